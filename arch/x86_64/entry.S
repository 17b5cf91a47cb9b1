// SPDX-License-Identifier: MIT
// Kernel entry from the EFI loader.
// On entry: long mode, CPL 0, IF clear, CR3 = loader-built tables (kernel image,
// direct map, temporary identity map), RSP on the loader's identity-mapped
// stack, RDI = virtual address of struct boot_info.
// We move to the kernel's own boot stack before any C runs, so that dropping the
// identity map cannot pull the stack out from under us.
#include "arch/x86_64/msr.h"

	.section .text.entry, "ax"
	.global _start
	.type _start, @function
_start:
	cli
	cld
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp            /* terminates frame-pointer backtraces */
	/* GS points at the BSP's per-CPU block from the first instruction on. */
	movq %rdi, %r12
	leaq cpus(%rip), %rax
	movq %rax, %rdx
	shrq $32, %rdx
	movl $MSR_GS_BASE, %ecx
	wrmsr
	movq %r12, %rdi
	call kmain
1:	hlt
	jmp 1b
	.size _start, . - _start

	.section .bss
	.balign 4096
	.global boot_stack_bottom
boot_stack_bottom:
	.skip 16384
	.global boot_stack_top
boot_stack_top:
