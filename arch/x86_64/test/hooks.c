// SPDX-License-Identifier: MIT
// Test kernels only: the arch state and entry paths the in-kernel tests
// inspect (declared in arch_test.h).
#include "arch/x86_64/test/arch_test.h"

#include "arch/x86_64/apic.h"
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"

void arch_last_fixup(uint64_t *vector, uint64_t *error, uint64_t *cr2)
{
	struct cpu *cpu = this_cpu();
	*vector = cpu->fixup_vector;
	*error = cpu->fixup_error;
	*cr2 = cpu->fixup_cr2;
}

void arch_probe_nmi(bool with_user_gs, uint64_t user_gs, struct arch_nmi_probe *out)
{
	irqflags_t f = arch_irq_save();
	struct cpu *cpu = this_cpu();
	uint64_t saved_user_gs = rdmsr(MSR_KERNEL_GS_BASE);
	uint32_t lo, hi;
	out->nmi_count_before = cpu->nmi_count;
	if (with_user_gs) {
		wrmsr(MSR_KERNEL_GS_BASE, user_gs);
		/* Nothing between the two swapgs may use GS: all of it is in one asm block. */
		__asm__ volatile("swapgs\n\t"
				 "int $2\n\t"
				 "rdmsr\n\t"
				 "swapgs"
				 : "=a"(lo), "=d"(hi)
				 : "c"(MSR_GS_BASE)
				 : "memory");
		wrmsr(MSR_KERNEL_GS_BASE, saved_user_gs);
	} else {
		__asm__ volatile("int $2\n\t"
				 "rdmsr"
				 : "=a"(lo), "=d"(hi)
				 : "c"(MSR_GS_BASE)
				 : "memory");
	}
	out->gs_base_after = ((uint64_t)hi << 32) | lo;
	out->nmi_count_after = cpu->nmi_count;
	arch_irq_restore(f);
}

void arch_read_cpu_state(struct arch_cpu_state *out)
{
	out->efer = rdmsr(MSR_EFER);
	out->star = rdmsr(MSR_STAR);
	out->lstar = rdmsr(MSR_LSTAR);
	out->sfmask = rdmsr(MSR_SFMASK);
	out->gs_base = rdmsr(MSR_GS_BASE);
	out->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
	out->cr0 = read_cr0();
	out->cr4 = read_cr4();
	out->apic_id = lapic_id();
	out->recorded_apic_id = this_cpu()->apic_id;
	out->index = this_cpu()->index;
	uint32_t a, b, c, d;
	cpuid(7, 0, &a, &b, &c, &d);
	out->has_smep = (b >> 7) & 1;
	out->has_smap = (b >> 20) & 1;
	out->has_umip = (c >> 2) & 1;
	cpuid(0x80000001u, 0, &a, &b, &c, &d);
	out->has_nx = (d >> 20) & 1;
}
