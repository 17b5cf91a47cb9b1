// SPDX-License-Identifier: MIT
// The MMIO window: device registers mapped uncached, and framebuffers
// write-combining, by page attributes. The direct map covers registers below
// the end of RAM too, but with write-back page attributes: that is uncached
// only where the firmware's MTRRs say so (never write-combining), and a
// 64-bit BAR above the end of RAM is not mapped at all. Mappings here are
// made once (drivers at boot) and never removed.
// Locks: window_lock (the next free address and the kernel-half tables it fills).
#include "arch/x86_64/arch.h"
#include "kernel/mm/pmm.h"
#include "kernel/sync/spinlock.h"

#define MMIO_WINDOW_BASE 0xFFFFFE0000000000ULL /* PML4 slot 508, below the kernel stacks */
#define MMIO_WINDOW_SIZE (1ULL << 39)

static struct spinlock window_lock = SPINLOCK_INIT;
static uint64_t window_next = MMIO_WINDOW_BASE; /* Guarded by: window_lock */

static volatile void *window_map(uint64_t phys, uint64_t len_bytes, unsigned type)
{
	uint64_t first = phys & ~(PAGE_SIZE - 1);
	uint64_t end = (phys + len_bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (len_bytes == 0 || end <= first)
		return NULL;
	irqflags_t f = spin_lock_irqsave(&window_lock);
	uint64_t va = window_next;
	if (end - first > MMIO_WINDOW_BASE + MMIO_WINDOW_SIZE - va) {
		spin_unlock_irqrestore(&window_lock, f);
		return NULL;
	}
	for (uint64_t off = 0; off < end - first; off += PAGE_SIZE) {
		if (arch_pt_map(arch_pt_kernel_root(), va + off, first + off,
				ARCH_MAP_WRITE | type | ARCH_MAP_GLOBAL)) {
			/* The pages mapped so far stay (unused): the window is never reclaimed. */
			window_next = va + off;
			spin_unlock_irqrestore(&window_lock, f);
			return NULL;
		}
	}
	/* One unmapped page after each mapping: a register index out of range faults. */
	window_next = va + (end - first) + PAGE_SIZE;
	spin_unlock_irqrestore(&window_lock, f);
	return (volatile void *)(va + (phys - first));
}

volatile void *arch_mmio_map(uint64_t phys, uint64_t len_bytes)
{
	return window_map(phys, len_bytes, ARCH_MAP_NOCACHE);
}

void *arch_mmio_map_wc(uint64_t phys, uint64_t len_bytes)
{
	/* Plain memory to its users (no access-width rules), hence not volatile. */
	return (void *)window_map(phys, len_bytes, ARCH_MAP_WC);
}

uint32_t arch_mmio_read32(const volatile void *addr)
{
	return *(const volatile uint32_t *)addr;
}

void arch_mmio_write32(volatile void *addr, uint32_t value)
{
	*(volatile uint32_t *)addr = value;
}

uint64_t arch_mmio_read64(const volatile void *addr)
{
	const volatile uint32_t *p = addr;
	uint64_t lo = p[0];
	return lo | ((uint64_t)p[1] << 32);
}

void arch_mmio_write64(volatile void *addr, uint64_t value)
{
	volatile uint32_t *p = addr;
	p[0] = (uint32_t)value;
	p[1] = (uint32_t)(value >> 32);
}
