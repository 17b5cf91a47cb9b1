// SPDX-License-Identifier: MIT
// Model-specific register numbers (Intel SDM vol. 4), the one place they are
// written. Plain integers so that assembly (isr.S, entry.S) can use them too.
#ifndef QUILT_ARCH_X86_64_MSR_H
#define QUILT_ARCH_X86_64_MSR_H

#define MSR_APIC_BASE      0x1B
#define MSR_TSC_DEADLINE   0x6E0
#define MSR_X2APIC_BASE    0x800      /* x2APIC register r (xAPIC offset) is MSR 0x800 + r / 16 */
#define MSR_PAT            0x277
#define MSR_EFER           0xC0000080
#define MSR_STAR           0xC0000081
#define MSR_LSTAR          0xC0000082
#define MSR_SFMASK         0xC0000084
#define MSR_GS_BASE        0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102

/* EFER bits. */
#define EFER_SCE (1 << 0)  /* SYSCALL/SYSRET enabled */
#define EFER_LME (1 << 8)  /* long mode enabled */
#define EFER_NXE (1 << 11) /* no-execute page bit honoured */

#endif
