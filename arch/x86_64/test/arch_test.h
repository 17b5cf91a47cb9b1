// SPDX-License-Identifier: MIT
// What the in-kernel tests need from arch/ beyond arch.h: probes that fault
// on purpose, the paranoid-NMI entry driven by hand, each CPU's control
// registers. Linked into test kernels only (arch/x86_64/test/).
#ifndef QUILT_ARCH_X86_64_TEST_ARCH_TEST_H
#define QUILT_ARCH_X86_64_TEST_ARCH_TEST_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Recoverable probes: the access or division runs with an exception-table
 * fix-up, so a fault returns -EFAULT instead of crashing. The vector, error
 * code and CR2 of the last recovered fault are in arch_last_fixup().
 */
int arch_probe_read64(uint64_t addr, uint64_t *out);
int arch_probe_write64(uint64_t addr, uint64_t value);
int arch_probe_divide(uint64_t dividend, uint64_t divisor, uint64_t *quotient);
void arch_last_fixup(uint64_t *vector, uint64_t *error, uint64_t *cr2);

/*
 * arch_probe_nmi - test hook for the paranoid NMI entry: raise vector 2
 * (`int $2`) on this CPU, with IRQs off, either from the normal kernel state
 * or (@with_user_gs) after swapgs with @user_gs as the user GS base, the state
 * right after the SYSCALL entry's swapgs. Reports this CPU's NMI count before
 * and after and the GS base found right after the handler returned (before
 * swapping back). Context: thread, any IRQ state.
 */
struct arch_nmi_probe {
	uint64_t nmi_count_before, nmi_count_after, gs_base_after;
};
void arch_probe_nmi(bool with_user_gs, uint64_t user_gs, struct arch_nmi_probe *out);

/* Control state of the calling CPU, for per-CPU checks. */
struct arch_cpu_state {
	uint64_t efer, star, lstar, sfmask, gs_base, kernel_gs_base, cr0, cr4;
	uint32_t apic_id, index;
	uint32_t recorded_apic_id; /* what the kernel's CPU table says (IPIs go there) */
	bool has_smep, has_smap, has_umip, has_nx; /* what CPUID offers */
};
void arch_read_cpu_state(struct arch_cpu_state *out);

#endif
