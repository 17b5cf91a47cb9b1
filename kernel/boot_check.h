// SPDX-License-Identifier: MIT
// Checks on struct boot_info before the kernel trusts it.
#ifndef QUILT_BOOT_CHECK_H
#define QUILT_BOOT_CHECK_H

#include "kernel/boot_info.h"

/*
 * boot_info_check - validate header, strings and the memory map @map
 * (bi->mem_map_count entries, already mapped). Returns NULL when valid, else a
 * static description of the first problem. Context: any; pure.
 */
const char *boot_info_check(const struct boot_info *bi, const struct boot_mem_entry *map);

#endif
