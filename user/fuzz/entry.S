// SPDX-License-Identifier: MIT
// fuzz_thread_entry: where SYS_THREAD_CREATE starts a fuzzing thread.
// On entry (spec §7 number 23): RDI = the thread's slot index, RSP = the top
// of its stack, 16-byte aligned, no return address. The call below pushes
// one, so fuzz_thread_main sees the SysV alignment (RSP + 8 aligned).
// fuzz_thread_main never returns; ud2 is there if it ever did.
	.text
	.globl fuzz_thread_entry
	.type fuzz_thread_entry, @function
fuzz_thread_entry:
	andq $-16, %rsp
	xorl %ebp, %ebp
	call fuzz_thread_main
	ud2
	.size fuzz_thread_entry, . - fuzz_thread_entry
