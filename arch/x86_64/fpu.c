// SPDX-License-Identifier: MIT
// x87/SSE/AVX state of user threads: XSAVE when the CPU has it (x87, SSE and
// AVX components enabled in XCR0), FXSAVE otherwise. Saved on every switch
// away from a user thread and restored on every switch to one; kernel code
// never touches these registers (-mgeneral-regs-only).
#include "arch/x86_64/arch.h"
#include "arch/x86_64/io.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"

static bool use_xsave;     /* immutable after arch_fpu_init_bsp() */
static uint64_t xcr0;
static uint32_t area_size = 512;

static inline void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void arch_fpu_init_cpu(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 26)) || !(c & (1u << 27)))
		return; /* no XSAVE or OSXSAVE not set: FXSAVE path */
	cpuid(0xD, 0, &a, &b, &c, &d);
	uint64_t supported = ((uint64_t)d << 32) | a;
	uint64_t want = 0x7; /* x87, SSE, AVX */
	xcr0 = supported & want;
	xsetbv(0, xcr0);
	cpuid(0xD, 0, &a, &b, &c, &d);
	area_size = b; /* for the components enabled in XCR0 */
	use_xsave = true;
}

uint32_t arch_fpu_area_size(void)
{
	return area_size;
}

void arch_fpu_init_area(void *area)
{
	/* Power-on defaults (spec §10.4): FCW 0x037F, MXCSR 0x1F80, registers zero. */
	memset(area, 0, area_size);
	uint8_t *b = area;
	*(uint16_t *)(b + 0) = 0x037F;
	*(uint32_t *)(b + 24) = 0x1F80;
	*(uint32_t *)(b + 28) = 0xFFFF; /* MXCSR_MASK (ignored by restore) */
	/* XSTATE_BV = 0 (header zeroed): every component starts in its init state except MXCSR. */
}

void arch_fpu_save(void *area)
{
	if (use_xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void arch_fpu_restore(const void *area)
{
	if (use_xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}
