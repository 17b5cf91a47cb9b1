// SPDX-License-Identifier: MIT
// What the kernel keeps of the loader's hand-over, validated in kmain().
#ifndef QUILT_BOOT_H
#define QUILT_BOOT_H

#include "kernel/boot_info.h"

/* Immutable after kmain() validated them. */
extern const struct boot_info *boot_info;
extern const struct boot_mem_entry *boot_mem_map;

/* Physical address to its alias in the direct map. */
static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(BOOT_DIRECT_MAP_BASE + phys);
}

static inline uint64_t virt_to_phys_direct(const void *virt)
{
	return (uint64_t)virt - BOOT_DIRECT_MAP_BASE;
}

#endif
