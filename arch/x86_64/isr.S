// SPDX-License-Identifier: MIT
// Interrupt and exception entry stubs.
#include "arch/x86_64/cpu.h"
// On entry: the CPU has pushed SS, RSP, RFLAGS, CS, RIP (and an error code for
// some exceptions) on the kernel stack (TSS.RSP0 from user mode, the current
// stack from kernel mode, or an IST stack). IF is clear (all gates are
// interrupt gates). Each stub pushes a dummy error code where the CPU did not,
// then the vector, and jumps to the common path, which swaps GS only when the
// interrupted code was user mode, saves all general registers as a
// struct trap_frame and calls trap_dispatch(frame).
// On exit: registers restored from the (possibly modified) frame, iretq.
	.text

.macro STUB vec, has_error
	.global isr_stub_\vec
isr_stub_\vec:
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vec
	jmp isr_common
.endm

isr_common:
	testb $3, 24(%rsp)          /* CS of the interrupted context */
	jz 1f
	swapgs
1:	PUSH_GPRS
	cld
	movq %rsp, %rdi
	/* Make the frame look like a call from the interrupted RIP for backtraces. */
	movq 17*8(%rsp), %rax       /* rip */
	pushq %rax
	pushq %rbp
	movq %rsp, %rbp
	call trap_dispatch
	addq $16, %rsp
	/* Returning to user mode: notes, kill and rescheduling first (IRQs are off). */
	testb $3, 18*8(%rsp)
	jz isr_return
	movq %rsp, %rdi
	call user_return_work
	.global isr_return
isr_return:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp              /* vector and error code */
	testb $3, 8(%rsp)
	jz 2f
	swapgs
2:	iretq

/* Exceptions that push an error code: 8, 10-14, 17, 21, 29, 30. */
	.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	STUB \v, 0
	.endr
	.irp v, 8,10,11,12,13,14,17,21,29,30
	STUB \v, 1
	.endr
	.altmacro
	.set v, 32
	.rept 224
	STUB %v, 0
	.set v, v+1
	.endr

.macro STUB_ADDR n
	.quad isr_stub_\n
.endm

	.section .rodata
	.balign 8
	.global isr_stub_table
isr_stub_table:
	.set v, 0
	.rept 256
	STUB_ADDR %v
	.set v, v+1
	.endr
