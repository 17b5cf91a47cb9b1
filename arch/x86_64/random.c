// SPDX-License-Identifier: MIT
// Hardware random numbers (RDRAND), where the CPU has them.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/io.h"

#define CPUID1_ECX_RDRAND (1u << 30)

bool arch_random64(uint64_t *out)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_RDRAND))
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
