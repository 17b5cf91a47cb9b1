// SPDX-License-Identifier: MIT
// _start: the entry point (e_entry) of every Quilt user program.

/*
 * _start - first instruction of the process's main thread.
 * On entry (spec §10.4/10.5): user mode, IF set, RDI = argc, RSI = argv
 * (a NULL-terminated pointer array on this stack), RSP 16-byte aligned with
 * nothing stored at it (no argc slot, no envp, no auxv), all other general
 * registers 0, FS/GS base 0, default x87/SSE state.
 * Leaves RDI/RSI untouched for __libc_start(argc, argv), clears RBP to end
 * frame-pointer walks here, and re-aligns RSP itself rather than trusting
 * the kernel, so that __libc_start sees RSP = 8 (mod 16) after the call.
 * __libc_start never returns (it calls exit); ud2 traps if it ever did.
 */
	.text
	.globl _start
	.type _start, @function
_start:
	/*
	 * Record the entry state for tests of the start contract (spec §12
	 * item 10): every general register, RFLAGS, MXCSR and the x87 control
	 * word, before anything changes them. Only RAX is clobbered, after it
	 * was saved.
	 */
	movq	%rax, __start_state+0(%rip)
	movq	%rbx, __start_state+8(%rip)
	movq	%rcx, __start_state+16(%rip)
	movq	%rdx, __start_state+24(%rip)
	movq	%rsi, __start_state+32(%rip)
	movq	%rdi, __start_state+40(%rip)
	movq	%rbp, __start_state+48(%rip)
	movq	%rsp, __start_state+56(%rip)
	movq	%r8, __start_state+64(%rip)
	movq	%r9, __start_state+72(%rip)
	movq	%r10, __start_state+80(%rip)
	movq	%r11, __start_state+88(%rip)
	movq	%r12, __start_state+96(%rip)
	movq	%r13, __start_state+104(%rip)
	movq	%r14, __start_state+112(%rip)
	movq	%r15, __start_state+120(%rip)
	pushfq
	popq	%rax
	movq	%rax, __start_state+128(%rip)
	stmxcsr	__start_state+136(%rip)
	fnstcw	__start_state+140(%rip)
	movq	__start_state+0(%rip), %rax
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	__libc_start
	ud2
	.size _start, . - _start

	/* struct start_state in <sys/start.h> */
	.bss
	.balign 8
	.globl __start_state
__start_state:
	.skip 144

	.section .note.GNU-stack, "", @progbits
