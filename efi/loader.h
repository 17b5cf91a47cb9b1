// SPDX-License-Identifier: MIT
// Shared declarations of the EFI loader's files.
#ifndef QUILT_EFI_LOADER_H
#define QUILT_EFI_LOADER_H

#include <efi.h>
#include <stdint.h>

#include "kernel/abi/layout.h" /* PAGE_SIZE */
#include "kernel/boot_info.h"
#include "kernel/lib/elf.h"


extern EFI_SYSTEM_TABLE *ST; /* NULL once boot services are gone */
extern EFI_BOOT_SERVICES *BS;

/* console.c: messages go to COM1 and, while boot services last, to ConOut. */
void serial_init(void);
extern int loader_fail_fast; /* cmdline word: skip the delay before powering off */
void log_line(const char *msg);
void warn(const char *msg);
void log_hex(const char *label, uint64_t v);
__attribute__((noreturn)) void die(const char *what, const char *detail);
__attribute__((noreturn)) void die_status(const char *what, const char *detail, EFI_STATUS st);

void *memcpy(void *dst, const void *src, uint64_t n);
void *memset(void *dst, int c, uint64_t n);

/* paging.c */
uint64_t paging_build(struct boot_info *bi, const struct elf_image *img, uint64_t phys_end);
__attribute__((noreturn)) void enter_kernel(uint64_t pml4, uint64_t entry, uint64_t boot_info_virt);

#endif
