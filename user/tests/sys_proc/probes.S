// SPDX-License-Identifier: MIT
// Assembly probes for sys_proc: register state across SYSCALL, a thread's entry state, an SSE scrambler.

/*
 * All probe data lives in C (regs_* in 09_convention.c, entry_* in
 * 06_threads.c) and is reached RIP-relative, so no general register is
 * needed to address it while every one of them holds a pattern. Layouts
 * (offsets in bytes) must match the C declarations:
 *
 *   uint64_t regs_gpr_in[12], regs_gpr_out[12]:
 *	rbx 0, rbp 8, r12 16, r13 24, r14 32, r15 40,
 *	rdi 48, rsi 56, rdx 64, r8 72, r9 80, r10 88
 *   uint8_t regs_xmm_in[16][16], regs_xmm_out[16][16]
 *   uint64_t regs_rax_out, regs_rsp_before, regs_rsp_after
 *   uint32_t regs_mxcsr_in, regs_mxcsr_out; uint16_t regs_fcw_in, regs_fcw_out
 *   uint8_t regs_ymm_hi_in[16][16], regs_ymm_hi_out[16][16]  (bits 128-255)
 */

	.section .rodata
	.balign 4
default_mxcsr:
	.long	0x1f80
default_fcw:
	.word	0x037f

	.text

/*
 * regs_syscall_probe - void regs_syscall_probe(uint64_t nr)
 * Loads every pattern (x87 control word, MXCSR, XMM0-15, the twelve GPRs
 * of regs_gpr_in), executes SYSCALL number @nr, and stores what came back
 * before anything else can change it. RAX, RCX and R11 are the only
 * registers the ABI lets the kernel change (spec §2.1). Callee-saved
 * registers are saved on the stack around the probe; the default control
 * words are restored before returning to C.
 */
	.globl regs_syscall_probe
	.type regs_syscall_probe, @function
regs_syscall_probe:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rdi, %rax

	fldcw	regs_fcw_in(%rip)
	ldmxcsr	regs_mxcsr_in(%rip)
	movdqu	regs_xmm_in+0(%rip), %xmm0
	movdqu	regs_xmm_in+16(%rip), %xmm1
	movdqu	regs_xmm_in+32(%rip), %xmm2
	movdqu	regs_xmm_in+48(%rip), %xmm3
	movdqu	regs_xmm_in+64(%rip), %xmm4
	movdqu	regs_xmm_in+80(%rip), %xmm5
	movdqu	regs_xmm_in+96(%rip), %xmm6
	movdqu	regs_xmm_in+112(%rip), %xmm7
	movdqu	regs_xmm_in+128(%rip), %xmm8
	movdqu	regs_xmm_in+144(%rip), %xmm9
	movdqu	regs_xmm_in+160(%rip), %xmm10
	movdqu	regs_xmm_in+176(%rip), %xmm11
	movdqu	regs_xmm_in+192(%rip), %xmm12
	movdqu	regs_xmm_in+208(%rip), %xmm13
	movdqu	regs_xmm_in+224(%rip), %xmm14
	movdqu	regs_xmm_in+240(%rip), %xmm15

	movq	regs_gpr_in+0(%rip), %rbx
	movq	regs_gpr_in+8(%rip), %rbp
	movq	regs_gpr_in+16(%rip), %r12
	movq	regs_gpr_in+24(%rip), %r13
	movq	regs_gpr_in+32(%rip), %r14
	movq	regs_gpr_in+40(%rip), %r15
	movq	regs_gpr_in+48(%rip), %rdi
	movq	regs_gpr_in+56(%rip), %rsi
	movq	regs_gpr_in+64(%rip), %rdx
	movq	regs_gpr_in+72(%rip), %r8
	movq	regs_gpr_in+80(%rip), %r9
	movq	regs_gpr_in+88(%rip), %r10
	movq	%rsp, regs_rsp_before(%rip)

	syscall

	movq	%rax, regs_rax_out(%rip)
	movq	%rsp, regs_rsp_after(%rip)
	movq	%rbx, regs_gpr_out+0(%rip)
	movq	%rbp, regs_gpr_out+8(%rip)
	movq	%r12, regs_gpr_out+16(%rip)
	movq	%r13, regs_gpr_out+24(%rip)
	movq	%r14, regs_gpr_out+32(%rip)
	movq	%r15, regs_gpr_out+40(%rip)
	movq	%rdi, regs_gpr_out+48(%rip)
	movq	%rsi, regs_gpr_out+56(%rip)
	movq	%rdx, regs_gpr_out+64(%rip)
	movq	%r8, regs_gpr_out+72(%rip)
	movq	%r9, regs_gpr_out+80(%rip)
	movq	%r10, regs_gpr_out+88(%rip)
	movdqu	%xmm0, regs_xmm_out+0(%rip)
	movdqu	%xmm1, regs_xmm_out+16(%rip)
	movdqu	%xmm2, regs_xmm_out+32(%rip)
	movdqu	%xmm3, regs_xmm_out+48(%rip)
	movdqu	%xmm4, regs_xmm_out+64(%rip)
	movdqu	%xmm5, regs_xmm_out+80(%rip)
	movdqu	%xmm6, regs_xmm_out+96(%rip)
	movdqu	%xmm7, regs_xmm_out+112(%rip)
	movdqu	%xmm8, regs_xmm_out+128(%rip)
	movdqu	%xmm9, regs_xmm_out+144(%rip)
	movdqu	%xmm10, regs_xmm_out+160(%rip)
	movdqu	%xmm11, regs_xmm_out+176(%rip)
	movdqu	%xmm12, regs_xmm_out+192(%rip)
	movdqu	%xmm13, regs_xmm_out+208(%rip)
	movdqu	%xmm14, regs_xmm_out+224(%rip)
	movdqu	%xmm15, regs_xmm_out+240(%rip)
	fnstcw	regs_fcw_out(%rip)
	stmxcsr	regs_mxcsr_out(%rip)

	fldcw	default_fcw(%rip)
	ldmxcsr	default_mxcsr(%rip)
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size regs_syscall_probe, . - regs_syscall_probe

/*
 * regs_ymm_probe - void regs_ymm_probe(uint64_t nr)
 * The AVX variant: loads YMM0-15 with XMM patterns in bits 0-127 and
 * regs_ymm_hi_in in bits 128-255, executes SYSCALL @nr with the GPR
 * patterns, and stores the GPRs and both halves back (MXCSR and the x87
 * control word are left to regs_syscall_probe). Only call it when the OS has
 * enabled AVX state (CPUID.1:ECX.OSXSAVE and XCR0 bit 2), or it raises #UD.
 * Ends with VZEROUPPER so that later SSE code pays no transition penalty.
 */
	.globl regs_ymm_probe
	.type regs_ymm_probe, @function
regs_ymm_probe:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rdi, %rax

	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vmovdqu	regs_xmm_in+16*\n(%rip), %xmm\n
	vinsertf128 $1, regs_ymm_hi_in+16*\n(%rip), %ymm\n, %ymm\n
	.endr

	movq	regs_gpr_in+0(%rip), %rbx
	movq	regs_gpr_in+8(%rip), %rbp
	movq	regs_gpr_in+16(%rip), %r12
	movq	regs_gpr_in+24(%rip), %r13
	movq	regs_gpr_in+32(%rip), %r14
	movq	regs_gpr_in+40(%rip), %r15
	movq	regs_gpr_in+48(%rip), %rdi
	movq	regs_gpr_in+56(%rip), %rsi
	movq	regs_gpr_in+64(%rip), %rdx
	movq	regs_gpr_in+72(%rip), %r8
	movq	regs_gpr_in+80(%rip), %r9
	movq	regs_gpr_in+88(%rip), %r10
	movq	%rsp, regs_rsp_before(%rip)

	syscall

	movq	%rax, regs_rax_out(%rip)
	movq	%rsp, regs_rsp_after(%rip)
	movq	%rbx, regs_gpr_out+0(%rip)
	movq	%rbp, regs_gpr_out+8(%rip)
	movq	%r12, regs_gpr_out+16(%rip)
	movq	%r13, regs_gpr_out+24(%rip)
	movq	%r14, regs_gpr_out+32(%rip)
	movq	%r15, regs_gpr_out+40(%rip)
	movq	%rdi, regs_gpr_out+48(%rip)
	movq	%rsi, regs_gpr_out+56(%rip)
	movq	%rdx, regs_gpr_out+64(%rip)
	movq	%r8, regs_gpr_out+72(%rip)
	movq	%r9, regs_gpr_out+80(%rip)
	movq	%r10, regs_gpr_out+88(%rip)
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vmovdqu	%xmm\n, regs_xmm_out+16*\n(%rip)
	vextractf128 $1, %ymm\n, regs_ymm_hi_out+16*\n(%rip)
	.endr
	vzeroupper

	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size regs_ymm_probe, . - regs_ymm_probe

/*
 * regs_scrambler - void regs_scrambler(void)
 * Runs in helper threads while the main thread probes: fills XMM0-15 with
 * regs_xmm_scramble and the GPRs with junk, spins a little and yields, over
 * and over until regs_scrambler_stop is non-zero. If the kernel failed to
 * switch SSE state per thread, these values would show up in the prober's
 * registers after a YIELD or NANOSLEEP.
 */
	.globl regs_scrambler
	.type regs_scrambler, @function
regs_scrambler:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
1:
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	movdqu	regs_xmm_scramble+16*\n(%rip), %xmm\n
	.endr
	movabsq	$0x5c5c5c5c5c5c5c5c, %rbx
	movq	%rbx, %rbp
	movq	%rbx, %r12
	movq	%rbx, %r13
	movq	%rbx, %r14
	movq	%rbx, %r15
	movq	%rbx, %r8
	movq	%rbx, %r9
	movq	%rbx, %r10
	movl	$2000, %ecx
2:
	pause
	decl	%ecx
	jnz	2b
	movl	$24, %eax		/* SYS_YIELD */
	syscall
	cmpq	$0, regs_scrambler_stop(%rip)
	je	1b
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size regs_scrambler, . - regs_scrambler

/*
 * entry_probe - a THREAD_CREATE entry point (never called, jumped to).
 * Records the registers exactly as the kernel left them (spec §7.23: RIP =
 * entry, RDI = arg, RSP = RBP = stack top, 16-byte aligned, other GPRs 0,
 * RFLAGS 0x202, default FCW/MXCSR) into entry_regs, then continues in C
 * with entry_probe_main(arg) on a SysV-aligned stack. PUSHFQ is the only
 * stack access before the record is complete, and it changes no register
 * but RSP, which is recorded first.
 *
 *   uint64_t entry_regs[16]: rsp 0, rbp 8, rdi 16, rax 24, rbx 32, rcx 40,
 *	rdx 48, rsi 56, r8 64, r9 72, r10 80, r11 88, r12 96, r13 104,
 *	r14 112, r15 120
 *   uint64_t entry_rflags; uint32_t entry_mxcsr; uint16_t entry_fcw
 */
	.globl entry_probe
	.type entry_probe, @function
entry_probe:
	movq	%rsp, entry_regs+0(%rip)
	movq	%rbp, entry_regs+8(%rip)
	movq	%rdi, entry_regs+16(%rip)
	movq	%rax, entry_regs+24(%rip)
	movq	%rbx, entry_regs+32(%rip)
	movq	%rcx, entry_regs+40(%rip)
	movq	%rdx, entry_regs+48(%rip)
	movq	%rsi, entry_regs+56(%rip)
	movq	%r8, entry_regs+64(%rip)
	movq	%r9, entry_regs+72(%rip)
	movq	%r10, entry_regs+80(%rip)
	movq	%r11, entry_regs+88(%rip)
	movq	%r12, entry_regs+96(%rip)
	movq	%r13, entry_regs+104(%rip)
	movq	%r14, entry_regs+112(%rip)
	movq	%r15, entry_regs+120(%rip)
	stmxcsr	entry_mxcsr(%rip)
	fnstcw	entry_fcw(%rip)
	pushfq
	popq	%rax
	movq	%rax, entry_rflags(%rip)
	/* RDI still holds arg. Align for the call whatever RSP was. */
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	entry_probe_main
	ud2
	.size entry_probe, . - entry_probe

	.section .note.GNU-stack, "", @progbits
