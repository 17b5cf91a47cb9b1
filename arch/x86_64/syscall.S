// SPDX-License-Identifier: MIT
// SYSCALL entry.
// On entry (from CPL 3): RAX = number, RDI RSI RDX R10 R8 R9 = arguments,
// RCX = user RIP, R11 = user RFLAGS, RSP = user stack, GS = user GS. The CPU
// has cleared the RFLAGS bits of IA32_FMASK (IF among them), so IRQs are off.
// The stub swaps to the kernel GS (this CPU's struct cpu, which names the
// current thread and its kernel stack), parks the user RSP there, switches to
// the thread's kernel stack and saves every register as a struct trap_frame
// (the same layout as interrupts, so the return-to-user work is shared). With
// IRQs on it calls syscall_handler(a1, a2, a3, a4, a5, a6, number).
// On exit: IRQs off, pending work done (notes, kill, reschedule), all
// registers but RAX (result), RCX and R11 restored. SYSRET is used only when
// the return RIP is a canonical user address below USER_MAX; otherwise the
// frame leaves through IRETQ (spec §2.1, §11 row 42).
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/vectors.h"
#include "kernel/abi/layout.h"

	.text
	.global syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:CPU_OFF_USER_RSP
	movq %gs:CPU_OFF_KSTACK_TOP, %rsp
	pushq $SEL_UDATA                /* ss */
	pushq %gs:CPU_OFF_USER_RSP      /* rsp */
	pushq %r11                      /* rflags */
	pushq $SEL_UCODE                /* cs */
	pushq %rcx                      /* rip */
	pushq $0                        /* error code */
	pushq $VEC_SYSCALL              /* "vector": a system call */
	PUSH_GPRS
	movq %rsp, %rbx                 /* callee-saved: the frame */
	/* A fake frame (user RIP, RBP) makes kernel backtraces end at the user caller. */
	pushq FRAME_RIP(%rbx)
	pushq %rbp
	movq %rsp, %rbp
	sti
	pushq %rax                      /* 7th argument: the number */
	movq %r10, %rcx                 /* 4th argument: R10 stands in for RCX */
	call syscall_handler
	addq $8, %rsp
	movq %rax, FRAME_RAX(%rbx)
	cli
	movq %rbx, %rdi
	call user_return_work
	movq %rbx, %rsp
	/* SYSRET only to a canonical user RIP below USER_MAX. */
	movq FRAME_RIP(%rsp), %rcx
	movq $USER_MAX, %r11
	cmpq %r11, %rcx
	jae 1f
	POP_GPRS sysret=1
	movq FRAME_RIP-FRAME_VECTOR(%rsp), %rcx
	movq FRAME_RFLAGS-FRAME_VECTOR(%rsp), %r11
	movq FRAME_RSP-FRAME_VECTOR(%rsp), %rsp /* last use of the kernel stack */
	swapgs
	sysretq
1:	jmp isr_return                  /* IRETQ path: pops the same frame, swaps GS */

// Start a thread in user mode (spec §10.4, §7 number 23).
// void arch_enter_user(uint64_t kstack_top, uint64_t rip, uint64_t rsp,
//                      uint64_t rdi, uint64_t rsi, uint64_t rbp)
// Resets RSP to the top of this thread's kernel stack (nothing below it is
// needed any more), builds the IRETQ frame there, clears every other
// register, swaps to the user GS and enters user mode with RFLAGS = 0x202.
// IRQs must be off. Never returns.
	.global arch_enter_user
arch_enter_user:
	movq %rdi, %rsp
	pushq $SEL_UDATA
	pushq %rdx                      /* user rsp */
	pushq $0x202                    /* rflags: IF */
	pushq $SEL_UCODE
	pushq %rsi                      /* rip */
	movq %rcx, %rdi
	movq %r8, %rsi
	movq %r9, %rbp
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	swapgs
	iretq
