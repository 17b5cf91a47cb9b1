// SPDX-License-Identifier: MIT
// Interrupt and exception entry stubs.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/msr.h"
#include "arch/x86_64/vectors.h"
// On entry: the CPU has pushed SS, RSP, RFLAGS, CS, RIP (and an error code for
// some exceptions) on the kernel stack (TSS.RSP0 from user mode, the current
// stack from kernel mode, or an IST stack). IF is clear (all gates are
// interrupt gates); AC is whatever the interrupted code had, user mode
// included. Each stub pushes a dummy error code where the CPU did not, then
// the vector, and jumps to a common path, which clears AC (SMAP on), saves all
// general registers as a struct trap_frame and calls trap_dispatch(frame).
// On exit: registers restored from the (possibly modified) frame, iretq
// (which restores the interrupted RFLAGS, AC included).
//
// Two common paths differ in how they find the kernel GS:
// * isr_common (every vector but 2, 8, 18) trusts the saved CS: these are
//   taken only where IF=1 or at a faulting instruction, and the kernel never
//   runs with IF=1 or faults between a swapgs and the mode change that goes
//   with it (the SYSCALL entry and exit run with IF=0 and touch nothing that
//   can fault before swapgs / after the last swapgs).
// * paranoid_common (NMI, #DF, #MC) cannot: those arrive anywhere, e.g.
//   right after the swapgs at syscall_entry, where CS is already the
//   kernel's but GS is still the user's, or between the exit swapgs and
//   sysretq. It reads IA32_GS_BASE instead: a kernel (negative) address is
//   this CPU's block already; anything else is a user value (user mode
//   cannot load a kernel address: CR4.FSGSBASE is off and no system call
//   sets GS), so it swaps, and on exit swaps back exactly when it swapped.
//   It does not run the return-to-user work: that may sleep or switch
//   threads, which must never happen on an IST stack.
	.text

.macro STUB vec, has_error, path=isr_common
	.global isr_stub_\vec
isr_stub_\vec:
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vec
	jmp \path
.endm

isr_common:
	ENTRY_CLAC
	testb $3, FRAME_CS-FRAME_VECTOR(%rsp) /* CS of the interrupted context */
	jz 1f
	swapgs
	/*
	 * Both paths: no GS-relative load may run speculatively with the wrong
	 * GS after a mispredicted branch around swapgs (CVE-2019-1125).
	 */
1:	lfence
	PUSH_GPRS
	cld
	movq %rsp, %rdi
	/* Make the frame look like a call from the interrupted RIP for backtraces. */
	movq FRAME_RIP(%rsp), %rax  /* rip */
	pushq %rax
	pushq %rbp
	movq %rsp, %rbp
	call trap_dispatch
	addq $16, %rsp
	/* Returning to user mode: notes, kill and rescheduling first (IRQs are off). */
	testb $3, FRAME_CS(%rsp)
	jz isr_return
	movq %rsp, %rdi
	call user_return_work
	jmp isr_return

paranoid_common:
	ENTRY_CLAC
	PUSH_GPRS
	cld
	movl $MSR_GS_BASE, %ecx
	rdmsr
	xorl %ebx, %ebx             /* callee-saved: 1 when we swapped */
	testl %edx, %edx
	js 1f                       /* kernel address: already this CPU's block */
	swapgs
	movl $1, %ebx
1:	lfence                      /* as in isr_common: no speculation past the GS decision */
	movq %rsp, %rdi
	movq FRAME_RIP(%rsp), %rax  /* rip, for backtraces as above */
	pushq %rax
	pushq %rbp
	movq %rsp, %rbp
	call trap_dispatch
	addq $16, %rsp
	testl %ebx, %ebx
	jz isr_pop_iret
	swapgs
	jmp isr_pop_iret

	.global isr_return
isr_return:
	testb $3, FRAME_CS(%rsp)    /* CS: swap back only for user mode */
	jz isr_pop_iret
	/* GS swaps after the pops would need %rsp-relative CS again; do it now. */
	swapgs
isr_pop_iret:
	POP_GPRS
	addq $16, %rsp              /* vector and error code */
	iretq

/* Exceptions that push an error code: 8, 10-14, 17, 21, 29, 30. */
	.irp v, 0,1,3,4,5,6,7,9,15,16,19,20,22,23,24,25,26,27,28,31
	STUB \v, 0
	.endr
	.irp v, 10,11,12,13,14,17,21,29,30
	STUB \v, 1
	.endr
	STUB VEC_NMI, 0, paranoid_common      /* NMI */
	STUB VEC_DOUBLE_FAULT, 1, paranoid_common      /* double fault */
	STUB VEC_MACHINE_CHECK, 0, paranoid_common     /* machine check */
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
