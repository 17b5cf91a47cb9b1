// SPDX-License-Identifier: MIT
// The hand-over from the EFI loader (efi/) to the kernel: plain fixed-width C
// types only, so the PE-targeted loader and the ELF kernel agree on the layout.
// Every pointer here is a physical address unless its name says _virt.
#ifndef QUILT_BOOT_INFO_H
#define QUILT_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC   0x51554c54424f4f54ULL /* "QULTBOOT" */
#define BOOT_INFO_VERSION 2

/* Fixed higher-half layout shared by loader and kernel. */
#define BOOT_DIRECT_MAP_BASE 0xFFFF800000000000ULL /* phys p is at BASE + p */
#define BOOT_KERNEL_BASE     0xFFFFFFFF80000000ULL /* kernel link address */

/* Memory-map entry types, the kernel's own (no EFI type crosses over). */
enum boot_mem_type {
	BOOT_MEM_USABLE = 1,      /* free RAM */
	BOOT_MEM_BOOT_RECLAIM,    /* firmware boot services data: free after hand-over */
	BOOT_MEM_LOADER_DATA,     /* boot_info, page tables, archive, symbols: free once consumed */
	BOOT_MEM_KERNEL,          /* the kernel image */
	BOOT_MEM_ACPI_RECLAIM,    /* ACPI tables: free once parsed */
	BOOT_MEM_ACPI_NVS,
	BOOT_MEM_RUNTIME,         /* EFI runtime services code/data */
	BOOT_MEM_MMIO,
	BOOT_MEM_RESERVED,
	BOOT_MEM_BAD,
	BOOT_MEM_BOOT_CODE,       /* firmware boot services and loader code: free after hand-over, used last */
	BOOT_MEM_LAST = BOOT_MEM_BOOT_CODE,
};

/* EFI memory types the loader uses for what it hands over (the OS-loader range). */
#define BOOT_EFI_TYPE_KERNEL 0x80000000u
#define BOOT_EFI_TYPE_DATA   0x80000001u

struct boot_mem_entry {
	uint64_t base;   /* page aligned */
	uint64_t npages; /* 4 KiB pages */
	uint32_t type;   /* enum boot_mem_type */
	uint32_t reserved;
};

struct boot_framebuffer {
	uint64_t phys;   /* 0 when there is no GOP */
	uint64_t size_bytes;
	uint32_t width, height;
	uint32_t stride_pixels;
	uint32_t format; /* 0 = none, 1 = BGRX 8:8:8:8, 2 = RGBX 8:8:8:8 */
};

#define BOOT_CMDLINE_MAX 1024
#define BOOT_VENDOR_MAX  64

struct boot_info {
	uint64_t magic;          /* BOOT_INFO_MAGIC */
	uint32_t version;        /* BOOT_INFO_VERSION */
	uint32_t size;           /* sizeof(struct boot_info) as the loader saw it */

	uint64_t mem_map;        /* phys of struct boot_mem_entry[mem_map_count], sorted by base */
	uint64_t mem_map_count;

	uint64_t kernel_phys;    /* physical base of the loaded image span */
	uint64_t kernel_size;    /* bytes, page multiple */
	uint64_t kernel_virt;    /* virtual address that kernel_phys is mapped at */

	uint64_t pml4;           /* phys of the loader-built top-level page table */
	uint64_t identity_end;   /* [0, identity_end) is identity mapped for the hand-over */

	uint64_t rsdp;           /* phys of the ACPI 2.0+ RSDP, 0 if none */
	uint64_t runtime_services; /* phys of EFI_RUNTIME_SERVICES (informative) */

	uint64_t archive;        /* phys of the root archive (cpio newc), 0 if none */
	uint64_t archive_size;

	uint64_t symtab;         /* phys of the kernel's ELF .symtab, 0 if none */
	uint64_t symtab_size;
	uint64_t strtab;         /* phys of its string table */
	uint64_t strtab_size;

	struct boot_framebuffer fb;

	char cmdline[BOOT_CMDLINE_MAX]; /* NUL-terminated */
	char firmware_vendor[BOOT_VENDOR_MAX]; /* ASCII, NUL-terminated */
	uint32_t firmware_revision;
	uint32_t reserved0;
};

/*
 * The layout is a contract between two compilers (a PE and an ELF target):
 * pin every offset, so a field added in the middle or a type whose size
 * differs between them fails both builds instead of misreading the hand-over.
 * A new field goes at the end, with BOOT_INFO_VERSION raised.
 */
#define BOOT_INFO_ASSERT_AT(type, field, off) \
	_Static_assert(__builtin_offsetof(type, field) == (off), #type "." #field " moved")
BOOT_INFO_ASSERT_AT(struct boot_mem_entry, npages, 8);
BOOT_INFO_ASSERT_AT(struct boot_mem_entry, type, 16);
_Static_assert(sizeof(struct boot_mem_entry) == 24, "boot_mem_entry size");
BOOT_INFO_ASSERT_AT(struct boot_framebuffer, size_bytes, 8);
BOOT_INFO_ASSERT_AT(struct boot_framebuffer, width, 16);
BOOT_INFO_ASSERT_AT(struct boot_framebuffer, stride_pixels, 24);
BOOT_INFO_ASSERT_AT(struct boot_framebuffer, format, 28);
_Static_assert(sizeof(struct boot_framebuffer) == 32, "boot_framebuffer size");
BOOT_INFO_ASSERT_AT(struct boot_info, version, 8);
BOOT_INFO_ASSERT_AT(struct boot_info, size, 12);
BOOT_INFO_ASSERT_AT(struct boot_info, mem_map, 16);
BOOT_INFO_ASSERT_AT(struct boot_info, mem_map_count, 24);
BOOT_INFO_ASSERT_AT(struct boot_info, kernel_phys, 32);
BOOT_INFO_ASSERT_AT(struct boot_info, kernel_size, 40);
BOOT_INFO_ASSERT_AT(struct boot_info, kernel_virt, 48);
BOOT_INFO_ASSERT_AT(struct boot_info, pml4, 56);
BOOT_INFO_ASSERT_AT(struct boot_info, identity_end, 64);
BOOT_INFO_ASSERT_AT(struct boot_info, rsdp, 72);
BOOT_INFO_ASSERT_AT(struct boot_info, runtime_services, 80);
BOOT_INFO_ASSERT_AT(struct boot_info, archive, 88);
BOOT_INFO_ASSERT_AT(struct boot_info, archive_size, 96);
BOOT_INFO_ASSERT_AT(struct boot_info, symtab, 104);
BOOT_INFO_ASSERT_AT(struct boot_info, symtab_size, 112);
BOOT_INFO_ASSERT_AT(struct boot_info, strtab, 120);
BOOT_INFO_ASSERT_AT(struct boot_info, strtab_size, 128);
BOOT_INFO_ASSERT_AT(struct boot_info, fb, 136);
BOOT_INFO_ASSERT_AT(struct boot_info, cmdline, 168);
BOOT_INFO_ASSERT_AT(struct boot_info, firmware_vendor, 168 + BOOT_CMDLINE_MAX);
BOOT_INFO_ASSERT_AT(struct boot_info, firmware_revision, 168 + BOOT_CMDLINE_MAX + BOOT_VENDOR_MAX);
_Static_assert(sizeof(struct boot_info) == 168 + BOOT_CMDLINE_MAX + BOOT_VENDOR_MAX + 8, "boot_info size");
#undef BOOT_INFO_ASSERT_AT

#endif
