// SPDX-License-Identifier: MIT
// Validation of the loader's hand-over. Pure code (no globals, no I/O) so the
// host tests can feed it broken structures.
#include "kernel/boot_check.h"

#include <stddef.h>

#include "kernel/abi/errno.h"
#include "kernel/abi/layout.h" /* PAGE_SIZE */

/* The first problem found, or NULL. */
static const char *first_problem(const struct boot_info *bi, const struct boot_mem_entry *map)
{
	if (bi->magic != BOOT_INFO_MAGIC)
		return "bad magic (not started by the Quilt loader?)";
	if (bi->version != BOOT_INFO_VERSION)
		return "loader and kernel versions differ";
	if (bi->size != sizeof(*bi))
		return "boot_info size differs between loader and kernel";
	if (bi->cmdline[BOOT_CMDLINE_MAX - 1] != '\0' || bi->firmware_vendor[BOOT_VENDOR_MAX - 1] != '\0')
		return "unterminated string";
	if (bi->mem_map_count == 0 || bi->mem_map_count > 1u << 16)
		return "implausible memory map size";
	if ((bi->kernel_phys | bi->kernel_size) & (PAGE_SIZE - 1) || bi->kernel_size == 0)
		return "kernel image not page aligned";
	if (bi->kernel_virt != BOOT_KERNEL_BASE)
		return "kernel not at its link address";
	uint64_t usable = 0;
	for (uint64_t i = 0; i < bi->mem_map_count; i++) {
		const struct boot_mem_entry *e = &map[i];
		if (e->base & (PAGE_SIZE - 1))
			return "memory map entry not page aligned";
		if (e->npages == 0 || e->npages > (UINT64_MAX - e->base) / PAGE_SIZE)
			return "memory map entry size invalid";
		if (e->type < BOOT_MEM_USABLE || e->type > BOOT_MEM_LAST)
			return "memory map entry of unknown type";
		if (i > 0 && map[i - 1].base + map[i - 1].npages * PAGE_SIZE > e->base)
			return "memory map not sorted or overlapping";
		if (e->type == BOOT_MEM_USABLE)
			usable += e->npages;
	}
	if (usable == 0)
		return "no usable memory";
	return NULL;
}

int boot_info_check(const struct boot_info *bi, const struct boot_mem_entry *map, const char **why)
{
	*why = first_problem(bi, map);
	return *why ? -EINVAL : 0;
}
