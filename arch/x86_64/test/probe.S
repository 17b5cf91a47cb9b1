// SPDX-License-Identifier: MIT
// Faulting on purpose, recoverably: each probe's risky instruction is listed
// in the exception table, so a fault resumes at its fix-up, which returns
// -EFAULT (-14). Used by tests of the trap path, and by the kernel where it
// must read memory that may not be there.
// All are SysV functions; IRQ state unchanged.
#include "arch/x86_64/cpu.h" /* EXTABLE */

	.text

// The fix-up of the probe at 1: return -EFAULT.
.macro FIXUP_RETURN_EFAULT
2:	movq $-14, %rax
	ret
	EXTABLE 1b, 2b
.endm

// int arch_probe_read64(uint64_t addr, uint64_t *out)
	.global arch_probe_read64
arch_probe_read64:
1:	movq (%rdi), %rax
	movq %rax, (%rsi)
	xorl %eax, %eax
	ret
	FIXUP_RETURN_EFAULT

// int arch_probe_write64(uint64_t addr, uint64_t value)
	.global arch_probe_write64
arch_probe_write64:
1:	movq %rsi, (%rdi)
	xorl %eax, %eax
	ret
	FIXUP_RETURN_EFAULT

// int arch_probe_divide(uint64_t dividend, uint64_t divisor, uint64_t *quotient)
	.global arch_probe_divide
arch_probe_divide:
	movq %rdx, %rcx
	movq %rdi, %rax
	xorl %edx, %edx
1:	divq %rsi
	movq %rax, (%rcx)
	xorl %eax, %eax
	ret
	FIXUP_RETURN_EFAULT
