// SPDX-License-Identifier: MIT
// Kernel context switch and the first run of a new thread.

	.text
// void arch_context_switch(uint64_t *save_rsp, uint64_t new_rsp)
// Called from schedule() with IRQs off and the run-queue lock held. Saves
// RFLAGS and the callee-saved registers on the current kernel stack, stores
// RSP in *save_rsp, switches to new_rsp and pops the new thread's registers
// and RFLAGS. Returns in the context of the new thread (which was itself
// suspended in this function, or is new and "returns" into
// arch_thread_start). RFLAGS travels with the thread: AC (the SMAP window)
// and DF of one thread must never leak into another; IF is off on both sides.
	.global arch_context_switch
arch_context_switch:
	pushfq
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	popfq
	ret

// First instruction of every new thread, "returned to" by arch_context_switch.
// R12 = C function, R13 = its argument (set up by arch_thread_init_stack).
// IRQs are off and the run-queue lock is held, as after any switch:
// sched_finish_switch() releases them. The function never returns.
	.global arch_thread_start
arch_thread_start:
	call sched_finish_switch
	movq %r13, %rdi
	xorl %ebp, %ebp          /* terminates backtraces */
	call *%r12
	ud2
