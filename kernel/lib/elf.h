// SPDX-License-Identifier: MIT
// ELF64 images: the few structures we read, and a validator shared by the EFI
// loader (the kernel image) and the kernel (user programs). Pure code: no
// allocation, no I/O, host-testable.
#ifndef QUILT_LIB_ELF_H
#define QUILT_LIB_ELF_H

#include <stdint.h>

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf64_shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};

struct elf64_sym {
	uint32_t name;
	uint8_t info, other;
	uint16_t shndx;
	uint64_t value, size;
};

#define ELF_ET_EXEC   2
#define ELF_EM_X86_64 62
#define ELF_PT_LOAD   1
#define ELF_PF_X      1
#define ELF_PF_W      2
#define ELF_PF_R      4
#define ELF_SHT_SYMTAB 2
#define ELF_STT_FUNC  2
#define ELF_ST_TYPE(info) ((info) & 0xf)

/* What elf_parse() learned about a valid image. */
struct elf_image {
	const struct elf64_ehdr *ehdr;
	const struct elf64_phdr *phdrs; /* phnum entries, all bounds-checked */
	uint64_t entry;
	uint64_t vaddr_min, vaddr_max;  /* page-aligned span of the PT_LOAD segments */
	uint32_t nload;                 /* number of PT_LOAD segments (>= 1) */
	/* .symtab and its string table, 0/0 when absent; offsets into the file */
	uint64_t symtab_off, symtab_size, strtab_off, strtab_size;
};

/*
 * Program headers an image may have. Toolchains emit about ten; Linux caps
 * the table at 64 KiB. Bounding it bounds the pairwise overlap check (at most
 * ELF_MAX_PHNUM^2 / 2 comparisons) and every other walk over the headers.
 */
#define ELF_MAX_PHNUM 256

/*
 * elf_parse - validate an ELF64 x86-64 executable held in memory.
 * Checks magic, class, byte order, type, machine, header sizes, that every
 * header table and every PT_LOAD's file bytes lie inside the file, filesz <=
 * memsz, that segments do not wrap and are in [lo, hi), and that the entry
 * point lies in an executable segment, and that there are at most
 * ELF_MAX_PHNUM program headers.
 * Returns 0, or -1 with *why set to a static description of the first problem.
 * Context: any; pure.
 */
int elf_parse(const void *file, uint64_t size, uint64_t lo, uint64_t hi,
	      struct elf_image *out, const char **why);
/*
 * elf_parse_head - as elf_parse for a file of @size bytes of which only the
 * first @head_len are in memory at @file (a loader that maps the rest): the
 * ELF header and program headers must lie in them (the caller reads as far
 * as the header says); symbols are found only if they do too. Every check
 * against the file is made against @size, so the verdict is elf_parse's.
 */
int elf_parse_head(const void *file, uint64_t head_len, uint64_t size, uint64_t lo, uint64_t hi,
		   struct elf_image *out, const char **why);

#endif
