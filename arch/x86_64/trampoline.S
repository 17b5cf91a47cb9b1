// SPDX-License-Identifier: MIT
// AP start-up trampoline. Copied to TRAMPOLINE_PHYS (0x8000) at run time and
// entered by the STARTUP IPI in 16-bit real mode with CS:IP = 0800:0000.
// It goes through protected mode into long mode on a temporary page table
// (identity map of the first 2 MiB plus the kernel half), then jumps to
// ap_entry64 in the kernel. IF stays clear throughout.
//
// All APs are started at once, so they share this one copy: each takes the
// next slot of tramp_slots (an array of {stack top, struct cpu *}) by an
// atomic add on tramp_next and runs with RSP = that stack, RDI = that cpu.
// An AP that finds no slot (too late: the BSP closed the count by adding
// TRAMP_CLOSED, or more APs than slots) parks itself with interrupts off.
#include "arch/x86_64/msr.h"

#define TRAMP(sym) ((sym) - trampoline_start + 0x8000)

	.section .rodata
	.code16
	.global trampoline_start
trampoline_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl TRAMP(tramp_gdtr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $TRAMP(pm32)

	.code32
pm32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $((1 << 5) | (1 << 7)), %eax    /* PAE, PGE */
	movl %eax, %cr4
	movl TRAMP(tramp_cr3), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16)), %eax  /* PG, WP */
	movl %eax, %cr0
	ljmpl $0x18, $TRAMP(lm64)

	.code64
lm64:
	movl $1, %eax
	lock xaddl %eax, TRAMP(tramp_next)
	cmpl TRAMP(tramp_nslots), %eax
	jae park
	shll $4, %eax
	movq TRAMP(tramp_slots), %rbx
	addq %rax, %rbx
	movq (%rbx), %rsp
	movq 8(%rbx), %rdi
	movq TRAMP(tramp_entry), %rax
	jmpq *%rax
park:
	cli
	hlt
	jmp park

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff    /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff    /* 0x10: data */
	.quad 0x00af9a000000ffff    /* 0x18: 64-bit code */
tramp_gdtr:
	.word 31
	.long TRAMP(tramp_gdt)
	.balign 8
	.global tramp_cr3, tramp_slots, tramp_entry, tramp_next, tramp_nslots
tramp_cr3:    .quad 0
tramp_slots:  .quad 0   /* kernel address of the slot array */
tramp_entry:  .quad 0
tramp_next:   .long 0   /* slots taken so far (atomic) */
tramp_nslots: .long 0
	.global trampoline_end
trampoline_end:

	.text
	.code64
// First kernel code an AP runs, still on the trampoline's tables.
// RSP = its kernel stack, RDI = struct cpu *; switches to the kernel's own
// page tables and calls ap_main(cpu), which never returns.
	.global ap_entry64
ap_entry64:
	movq ap_kernel_cr3(%rip), %rax
	movq %rax, %cr3
	xorl %ebp, %ebp
	call ap_main
1:	hlt
	jmp 1b
