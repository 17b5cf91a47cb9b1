// SPDX-License-Identifier: MIT
// RFLAGS.AC from user mode, as real functions: pushfq in inline assembly
// would write into the red zone of the C function around it.

	.text
// uint64_t hd_rflags(void): the current RFLAGS.
	.global hd_rflags
hd_rflags:
	pushfq
	popq %rax
	ret

// void hd_ac_set(void): set AC (bit 18), as any program may with popfq.
	.global hd_ac_set
hd_ac_set:
	pushfq
	orl $0x40000, (%rsp)
	popfq
	ret

// void hd_ac_clear(void)
	.global hd_ac_clear
hd_ac_clear:
	pushfq
	andl $~0x40000, (%rsp)
	popfq
	ret

// A `ret` in the text segment's neighbour, read-only data: never executable.
	.section .rodata
	.global hd_ret_in_rodata
hd_ret_in_rodata:
	.byte 0xc3
