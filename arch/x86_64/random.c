// SPDX-License-Identifier: MIT
// Hardware random numbers (RDRAND), where the CPU has them.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/io.h"

#define CPUID1_ECX_RDRAND (1u << 30)

/* 0: not asked yet, 1: the CPU has RDRAND, -1: it has not (the same on every CPU). */
static int has_rdrand;

bool arch_random64(uint64_t *out)
{
	int has = __atomic_load_n(&has_rdrand, __ATOMIC_RELAXED);
	if (!has) {
		/* CPUID exits to the hypervisor under virtualisation: ask once. */
		uint32_t a, b, c, d;
		cpuid(1, 0, &a, &b, &c, &d);
		has = (c & CPUID1_ECX_RDRAND) ? 1 : -1;
		__atomic_store_n(&has_rdrand, has, __ATOMIC_RELAXED);
	}
	if (has < 0)
		return false;
	/* RDRAND may come back empty-handed when its entropy is drained: retry a few times (Intel DRNG guide). */
	for (int tries = 0; tries < 10; tries++) {
		uint64_t v;
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (ok) {
			*out = v;
			return true;
		}
	}
	return false;
}
