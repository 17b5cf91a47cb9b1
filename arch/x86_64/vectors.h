// SPDX-License-Identifier: MIT
// Interrupt vectors, the one place they are numbered: the CPU's exceptions
// Quilt handles by name, and the vectors it assigns to IRQs and IPIs.
// Plain integers so that assembly (isr.S, syscall.S) can use them too.
#ifndef QUILT_ARCH_X86_64_VECTORS_H
#define QUILT_ARCH_X86_64_VECTORS_H

/* Exceptions (Intel SDM vol. 3, table 6-1). */
#define VEC_DEBUG          1
#define VEC_NMI            2
#define VEC_BREAKPOINT     3
#define VEC_DOUBLE_FAULT   8
#define VEC_PAGE_FAULT     14
#define VEC_MACHINE_CHECK  18
#define VEC_FIRST_IRQ      32 /* 0-31 are the CPU's */

/* Assigned by Quilt. */
#define VEC_TIMER      0x20
#define VEC_ISA_FIRST  0x20 /* ISA IRQ n is vector VEC_ISA_FIRST + n (IRQ 0, the PIT, is never used) */
#define VEC_COM1       0x24 /* ISA IRQ 4 */
#define VEC_MSI_FIRST  0x30 /* device MSIs (arch_msi_alloc), 0x30-0x3f */
#define VEC_MSI_LAST   0x3f
#define VEC_SHOOTDOWN  0xF0
#define VEC_RESCHEDULE 0xF1
#define VEC_CALL       0xF2
#define VEC_SPURIOUS   0xFF
#define VEC_SYSCALL    0x100 /* not a vector: marks a system call's trap frame */

#endif
