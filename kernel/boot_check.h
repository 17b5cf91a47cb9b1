// SPDX-License-Identifier: MIT
// Checks on struct boot_info before the kernel trusts it.
#ifndef QUILT_BOOT_CHECK_H
#define QUILT_BOOT_CHECK_H

#include "kernel/boot_info.h"

/*
 * boot_info_check - validate header, strings and the memory map @map
 * (bi->mem_map_count entries, already mapped). Returns 0 when valid, else
 * -EINVAL with a static description of the first problem in *@why (the
 * style of every pure parser here: elf_parse, cpio_next, acpi_parse).
 * Context: any; pure.
 */
int boot_info_check(const struct boot_info *bi, const struct boot_mem_entry *map, const char **why);

#endif
