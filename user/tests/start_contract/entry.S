// SPDX-License-Identifier: MIT
// start_contract's own _start: record the entry state, then go on into
// libc's (crt0.S __crt0_start). Linked as an object, this strong _start
// replaces libc's weak one in this program only.

/*
 * _start - save every general register, RFLAGS, MXCSR and the x87 control
 * word into __start_state (struct start_state, start_state.h) before
 * anything changes them (spec §12 item 10). Only RAX is clobbered, after it
 * was saved, and restored before the jump, so crt0 sees the kernel's state.
 */
	.text
	.globl _start
	.type _start, @function
_start:
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
	jmp	__crt0_start
	.size _start, . - _start

	.bss
	.balign 8
	.globl __start_state
__start_state:
	.skip 144

	.section .note.GNU-stack, "", @progbits
