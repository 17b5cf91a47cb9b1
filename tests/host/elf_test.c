// SPDX-License-Identifier: MIT
// Host tests of kernel/lib/elf.c: ELF64 images built in memory, valid and broken.
#include <stdlib.h>

#include "kernel/lib/elf.h"
#include "tests/host/htest.h"

/*
 * The image every test starts from, loaded in [LO, HI):
 *   0x0000  ehdr, then up to MAX_PH program headers at 0x40
 *   0x1000  text: PT_LOAD R+X, vaddr 0x401000, 0x100 bytes
 *   0x2000  data: PT_LOAD R+W, vaddr 0x402000, filesz 0x80, memsz 0x1800 (bss)
 *   0x2100  section headers: null, .symtab (link 2), .strtab
 *   0x2300  .symtab (3 symbols), 0x2400 .strtab (16 bytes); file ends at 0x2410
 */
#define LO        0x400000ULL
#define HI        0x800000ULL
#define MAX_PH    4
#define TEXT_OFF  0x1000ULL
#define TEXT_VA   0x401000ULL
#define DATA_OFF  0x2000ULL
#define DATA_VA   0x402000ULL
#define SH_OFF    0x2100ULL
#define SYM_OFF   0x2300ULL
#define STR_OFF   0x2400ULL
#define FILE_SIZE 0x2410ULL
#define ENTRY     (TEXT_VA + 0x10)

struct elf_fixture {
	uint64_t storage[FILE_SIZE / 8]; /* 8-byte aligned, like a loaded file */
	uint64_t size;                   /* bytes handed to elf_parse */
	struct elf64_ehdr *eh;
	struct elf64_phdr *ph;
	struct elf64_shdr *sh;
	uint8_t *copy; /* exactly sized heap copy actually parsed (ASan) */
	struct elf_image img;
	const char *why;
};

static struct elf_fixture *elf_new(bool with_symbols)
{
	struct elf_fixture *f = calloc(1, sizeof(*f));
	uint8_t *b = (uint8_t *)f->storage;
	f->size = FILE_SIZE;
	f->eh = (struct elf64_ehdr *)b;
	f->ph = (struct elf64_phdr *)(b + sizeof(struct elf64_ehdr));
	f->sh = (struct elf64_shdr *)(b + SH_OFF);

	memcpy(f->eh->ident, "\x7f" "ELF", 4);
	f->eh->ident[4] = 2; /* ELFCLASS64 */
	f->eh->ident[5] = 1; /* ELFDATA2LSB */
	f->eh->ident[6] = 1; /* EV_CURRENT */
	f->eh->type = ELF_ET_EXEC;
	f->eh->machine = ELF_EM_X86_64;
	f->eh->version = 1;
	f->eh->entry = ENTRY;
	f->eh->phoff = sizeof(struct elf64_ehdr);
	f->eh->ehsize = sizeof(struct elf64_ehdr);
	f->eh->phentsize = sizeof(struct elf64_phdr);
	f->eh->phnum = 2;

	f->ph[0] = (struct elf64_phdr){ .type = ELF_PT_LOAD, .flags = ELF_PF_R | ELF_PF_X, .offset = TEXT_OFF,
					.vaddr = TEXT_VA, .paddr = TEXT_VA, .filesz = 0x100, .memsz = 0x100,
					.align = 0x1000 };
	f->ph[1] = (struct elf64_phdr){ .type = ELF_PT_LOAD, .flags = ELF_PF_R | ELF_PF_W, .offset = DATA_OFF,
					.vaddr = DATA_VA, .paddr = DATA_VA, .filesz = 0x80, .memsz = 0x1800,
					.align = 0x1000 };
	memset(b + TEXT_OFF, 0xcc, 0x100);
	memset(b + DATA_OFF, 0x5a, 0x80);

	if (with_symbols) {
		f->eh->shoff = SH_OFF;
		f->eh->shentsize = sizeof(struct elf64_shdr);
		f->eh->shnum = 3;
		f->sh[1] = (struct elf64_shdr){ .type = ELF_SHT_SYMTAB, .offset = SYM_OFF,
						.size = 3 * sizeof(struct elf64_sym), .link = 2,
						.entsize = sizeof(struct elf64_sym) };
		f->sh[2] = (struct elf64_shdr){ .type = 3 /* SHT_STRTAB */, .offset = STR_OFF, .size = 16 };
		memcpy(b + STR_OFF, "\0_start\0main\0\0\0", 16);
	}
	return f;
}

/* Parse an exactly sized heap copy of the first f->size bytes. */
static int elf_run_range(struct elf_fixture *f, uint64_t lo, uint64_t hi)
{
	free(f->copy);
	f->copy = malloc(f->size ? f->size : 1);
	memcpy(f->copy, f->storage, f->size);
	memset(&f->img, 0xa5, sizeof(f->img));
	f->why = NULL;
	return elf_parse(f->copy, f->size, lo, hi, &f->img, &f->why);
}

static int elf_run(struct elf_fixture *f)
{
	return elf_run_range(f, LO, HI);
}

static void elf_free(struct elf_fixture *f)
{
	free(f->copy);
	free(f);
}

/* elf_parse must reject the image with a reason containing @word. */
#define HEXPECT_REJECT(f, word)                                                          \
	do {                                                                             \
		HEXPECT_EQ(elf_run(f), -1);                                              \
		HEXPECT((f)->why != NULL);                                               \
		if ((f)->why && !strstr((f)->why, word))                                 \
			htest_fail(ctx, __FILE__, __LINE__, "reason \"%s\" lacks \"%s\"", \
				   (f)->why, word);                                      \
	} while (0)

HTEST(elf, valid_image)
{
	struct elf_fixture *f = elf_new(false);
	HEXPECT_EQ(elf_run(f), 0);
	HEXPECT(f->why == NULL);
	HEXPECT(f->img.ehdr == (const void *)f->copy);
	HEXPECT(f->img.phdrs == (const void *)(f->copy + 0x40));
	HEXPECT_EQ(f->img.entry, ENTRY);
	HEXPECT_EQ(f->img.vaddr_min, TEXT_VA);
	HEXPECT_EQ(f->img.vaddr_max, 0x404000); /* 0x402000 + 0x1800 rounded up */
	HEXPECT_EQ(f->img.nload, 2);
	HEXPECT_EQ(f->img.symtab_off, 0);
	HEXPECT_EQ(f->img.symtab_size, 0);
	HEXPECT_EQ(f->img.strtab_off, 0);
	HEXPECT_EQ(f->img.strtab_size, 0);
	elf_free(f);
}

HTEST(elf, unaligned_segments_round_to_pages)
{
	struct elf_fixture *f = elf_new(false);
	/* text at page offset 0x234 ending mid-page; data ends exactly on a page */
	f->ph[0].vaddr = TEXT_VA + 0x234;
	f->ph[0].offset = TEXT_OFF + 0x234;
	f->ph[0].filesz = f->ph[0].memsz = 0x10;
	f->eh->entry = TEXT_VA + 0x234;
	f->ph[1].memsz = 0x2000;
	HEXPECT_EQ(elf_run(f), 0);
	HEXPECT_EQ(f->img.vaddr_min, TEXT_VA);
	HEXPECT_EQ(f->img.vaddr_max, DATA_VA + 0x2000);
	HEXPECT_EQ(f->img.entry, TEXT_VA + 0x234);
	elf_free(f);
}

HTEST(elf, non_load_and_empty_segments_ignored)
{
	struct elf_fixture *f = elf_new(false);
	f->eh->phnum = 4;
	/* PT_GNU_STACK and an empty PT_LOAD, both with nonsense fields */
	f->ph[2] = (struct elf64_phdr){ .type = 0x6474e551, .offset = UINT64_MAX, .vaddr = 0x123,
					.filesz = 0x100000, .memsz = 0x100000 };
	f->ph[3] = (struct elf64_phdr){ .type = ELF_PT_LOAD, .flags = ELF_PF_X, .offset = UINT64_MAX,
					.vaddr = 0x10, .filesz = 0, .memsz = 0 };
	HEXPECT_EQ(elf_run(f), 0);
	HEXPECT_EQ(f->img.nload, 2);
	HEXPECT_EQ(f->img.vaddr_min, TEXT_VA);
	HEXPECT_EQ(f->img.vaddr_max, 0x404000);
	elf_free(f);
}

HTEST(elf, bad_magic)
{
	struct elf_fixture *f = elf_new(false);
	f->eh->ident[1] = 'e';
	HEXPECT_REJECT(f, "magic");
	f->eh->ident[1] = 'E';
	f->eh->ident[0] = 0;
	HEXPECT_REJECT(f, "magic");
	elf_free(f);
}

HTEST(elf, class_32_bit)
{
	struct elf_fixture *f = elf_new(false);
	f->eh->ident[4] = 1;
	HEXPECT_REJECT(f, "64-bit");
	elf_free(f);
}

HTEST(elf, big_endian)
{
	struct elf_fixture *f = elf_new(false);
	f->eh->ident[5] = 2;
	HEXPECT_REJECT(f, "little-endian");
	elf_free(f);
}

HTEST(elf, not_exec)
{
	struct elf_fixture *f = elf_new(false);
	f->eh->type = 3; /* ET_DYN */
	HEXPECT_REJECT(f, "ET_EXEC");
	f->eh->type = 1; /* ET_REL */
	HEXPECT_REJECT(f, "ET_EXEC");
	elf_free(f);
}

HTEST(elf, wrong_machine)
{
	struct elf_fixture *f = elf_new(false);
	f->eh->machine = 3; /* EM_386 */
	HEXPECT_REJECT(f, "x86-64");
	f->eh->machine = 183; /* EM_AARCH64 */
	HEXPECT_REJECT(f, "x86-64");
	elf_free(f);
}

HTEST(elf, truncated_header)
{
	struct elf_fixture *f = elf_new(false);
	f->size = sizeof(struct elf64_ehdr) - 1;
	HEXPECT_REJECT(f, "shorter");
	f->size = 0;
	HEXPECT_REJECT(f, "shorter");
	elf_free(f);
}

HTEST(elf, truncated_file)
{
	struct elf_fixture *f = elf_new(false);
	/* the data segment's bytes end at 0x2080: one byte less */
	f->size = DATA_OFF + 0x80 - 1;
	HEXPECT_REJECT(f, "segment bytes outside");
	/* cut inside the program header table */
	f->size = 0x40 + sizeof(struct elf64_phdr) + 8;
	HEXPECT_REJECT(f, "program headers outside");
	/* exactly the loadable bytes: accepted */
	f->size = DATA_OFF + 0x80;
	HEXPECT_EQ(elf_run(f), 0);
	elf_free(f);
}

HTEST(elf, bad_program_header_table)
{
	struct elf_fixture *f = elf_new(false);
	f->eh->phentsize = sizeof(struct elf64_phdr) - 8;
	HEXPECT_REJECT(f, "program header table");
	f->eh->phentsize = sizeof(struct elf64_phdr);
	f->eh->phnum = 0;
	HEXPECT_REJECT(f, "program header table");
	elf_free(f);
}

HTEST(elf, program_headers_outside_file)
{
	struct elf_fixture *f = elf_new(false);
	f->eh->phoff = FILE_SIZE - 0x40; /* the second header would run past the end */
	HEXPECT_REJECT(f, "program headers outside");
	f->eh->phoff = FILE_SIZE + 0x1000;
	HEXPECT_REJECT(f, "program headers outside");
	f->eh->phoff = UINT64_MAX - 0x37; /* phoff + table size wraps */
	HEXPECT_REJECT(f, "program headers outside");
	f->eh->phoff = 0x40;
	f->eh->phnum = 0xffff;
	HEXPECT_REJECT(f, "program headers outside");
	elf_free(f);
}

HTEST(elf, segment_bytes_outside_file)
{
	struct elf_fixture *f = elf_new(false);
	f->ph[1].filesz = 0x1000; /* 0x2000 + 0x1000 > file size */
	HEXPECT_REJECT(f, "segment bytes outside");
	f->ph[1].filesz = 0x80;
	f->ph[1].offset = FILE_SIZE + 0x1000;
	f->ph[1].vaddr = DATA_VA + (f->ph[1].offset & 0xfff);
	HEXPECT_REJECT(f, "segment bytes outside");
	/* offset + filesz wraps around to a small number */
	f->ph[1].offset = UINT64_MAX & ~0xfffULL;
	f->ph[1].vaddr = DATA_VA;
	f->ph[1].filesz = 0x1080;
	f->ph[1].memsz = 0x2000;
	HEXPECT_REJECT(f, "segment bytes outside");
	elf_free(f);
}

HTEST(elf, filesz_larger_than_memsz)
{
	struct elf_fixture *f = elf_new(false);
	f->ph[0].filesz = 0x101;
	HEXPECT_REJECT(f, "filesz larger than memsz");
	elf_free(f);
}

HTEST(elf, wrapping_segment)
{
	struct elf_fixture *f = elf_new(false);
	f->ph[1].vaddr = 0xfffffffffffff000ULL;
	f->ph[1].memsz = 0x2000;
	HEXPECT_EQ(elf_run_range(f, LO, UINT64_MAX), -1);
	HEXPECT(f->why && strstr(f->why, "wraps"));
	elf_free(f);
}

HTEST(elf, segment_outside_range)
{
	struct elf_fixture *f = elf_new(false);
	f->ph[1].filesz = 0;
	/* below lo */
	f->ph[1].vaddr = LO - 0x1000;
	HEXPECT_REJECT(f, "allowed address range");
	/* runs one byte past hi */
	f->ph[1].vaddr = HI - 0x1000;
	f->ph[1].memsz = 0x1001;
	HEXPECT_REJECT(f, "allowed address range");
	/* entirely above hi */
	f->ph[1].vaddr = HI;
	f->ph[1].memsz = 0x10;
	HEXPECT_REJECT(f, "allowed address range");
	/* ends exactly at hi: accepted */
	f->ph[1].vaddr = HI - 0x1000;
	f->ph[1].memsz = 0x1000;
	HEXPECT_EQ(elf_run(f), 0);
	HEXPECT_EQ(f->img.vaddr_max, HI);
	/* starts exactly at lo: accepted */
	f->ph[1].vaddr = LO;
	HEXPECT_EQ(elf_run(f), 0);
	HEXPECT_EQ(f->img.vaddr_min, LO);
	elf_free(f);
}

HTEST(elf, page_offset_mismatch)
{
	struct elf_fixture *f = elf_new(false);
	f->ph[0].vaddr = TEXT_VA + 0x10;
	f->eh->entry = TEXT_VA + 0x20;
	HEXPECT_REJECT(f, "modulo the page size");
	elf_free(f);
}

HTEST(elf, entry_not_executable)
{
	struct elf_fixture *f = elf_new(false);
	/* in the data segment, which is not executable */
	f->eh->entry = DATA_VA + 0x10;
	HEXPECT_REJECT(f, "entry point");
	/* one past the end of text */
	f->eh->entry = TEXT_VA + 0x100;
	HEXPECT_REJECT(f, "entry point");
	/* before text, and zero */
	f->eh->entry = TEXT_VA - 1;
	HEXPECT_REJECT(f, "entry point");
	f->eh->entry = 0;
	HEXPECT_REJECT(f, "entry point");
	/* in a PF_X segment that is not PT_LOAD */
	f->eh->phnum = 3;
	f->ph[2] = (struct elf64_phdr){ .type = 4 /* PT_NOTE */, .flags = ELF_PF_X, .offset = 0x3000,
					.vaddr = 0x403000, .filesz = 0, .memsz = 0x1000 };
	f->eh->entry = 0x403000;
	HEXPECT_REJECT(f, "entry point");
	/* first and last byte of text are fine */
	f->eh->phnum = 2;
	f->eh->entry = TEXT_VA;
	HEXPECT_EQ(elf_run(f), 0);
	f->eh->entry = TEXT_VA + 0xff;
	HEXPECT_EQ(elf_run(f), 0);
	elf_free(f);
}

HTEST(elf, no_loadable_segment)
{
	struct elf_fixture *f = elf_new(false);
	f->ph[0].type = 4; /* PT_NOTE */
	f->ph[1].type = 0x6474e551;
	HEXPECT_REJECT(f, "no loadable segment");
	/* PT_LOADs with memsz 0 do not count */
	f->ph[0].type = f->ph[1].type = ELF_PT_LOAD;
	f->ph[0].filesz = f->ph[0].memsz = 0;
	f->ph[1].filesz = f->ph[1].memsz = 0;
	HEXPECT_REJECT(f, "no loadable segment");
	elf_free(f);
}

HTEST(elf, overlapping_segments)
{
	struct elf_fixture *f = elf_new(false);
	/* data [0x400000, 0x401800) covers text [0x401000, 0x401100) */
	f->ph[1].vaddr = LO;
	HEXPECT_REJECT(f, "overlapping");
	/* data starting on text's last byte */
	f->ph[1].vaddr = TEXT_VA + 0xff;
	f->ph[1].offset = DATA_OFF + 0xff;
	f->ph[1].filesz = 0;
	HEXPECT_REJECT(f, "overlapping");
	/* identical segments */
	f->ph[1] = f->ph[0];
	f->ph[1].flags = ELF_PF_R;
	HEXPECT_REJECT(f, "overlapping");
	elf_free(f);
}

HTEST(elf, overlap_with_later_segment)
{
	struct elf_fixture *f = elf_new(false);
	/* the third segment overlaps the first, not its neighbour */
	f->eh->phnum = 3;
	f->ph[2] = f->ph[1];
	f->ph[2].vaddr = TEXT_VA + 0x80;
	f->ph[2].offset = DATA_OFF + 0x80;
	f->ph[2].filesz = 0;
	f->ph[2].memsz = 0x10;
	HEXPECT_REJECT(f, "overlapping");
	elf_free(f);
}

HTEST(elf, touching_segments_accepted)
{
	struct elf_fixture *f = elf_new(false);
	/* data starts at the byte right after text, in the same page */
	f->ph[1].vaddr = TEXT_VA + 0x100;
	f->ph[1].offset = DATA_OFF + 0x100;
	f->ph[1].filesz = 0;
	f->ph[1].memsz = 0x100;
	HEXPECT_EQ(elf_run(f), 0);
	HEXPECT_EQ(f->img.vaddr_min, TEXT_VA);
	HEXPECT_EQ(f->img.vaddr_max, TEXT_VA + 0x1000);
	HEXPECT_EQ(f->img.nload, 2);
	elf_free(f);
}

HTEST(elf, symtab_found)
{
	struct elf_fixture *f = elf_new(true);
	HEXPECT_EQ(elf_run(f), 0);
	HEXPECT_EQ(f->img.symtab_off, SYM_OFF);
	HEXPECT_EQ(f->img.symtab_size, 3 * sizeof(struct elf64_sym));
	HEXPECT_EQ(f->img.strtab_off, STR_OFF);
	HEXPECT_EQ(f->img.strtab_size, 16);
	/* a ragged symtab size is cut to whole symbols */
	f->sh[1].size = 3 * sizeof(struct elf64_sym) + 5;
	HEXPECT_EQ(elf_run(f), 0);
	HEXPECT_EQ(f->img.symtab_size, 3 * sizeof(struct elf64_sym));
	elf_free(f);
}

HTEST(elf, symtab_absent_or_broken_gives_zeros)
{
	/* each broken section table still leaves a valid image, without symbols */
	for (int c = 0; c < 6; c++) {
		struct elf_fixture *g = elf_new(true);
		switch (c) {
		case 0: g->sh[1].type = 3; break;                           /* no SHT_SYMTAB */
		case 1: g->sh[1].link = 3; break;                           /* link out of range */
		case 2: g->sh[1].offset = FILE_SIZE - 8; break;             /* symtab past the end */
		case 3: g->sh[2].size = 0x100; break;                       /* strtab past the end */
		case 4: g->eh->shentsize = 40; break;                       /* wrong entry size */
		case 5: g->eh->shoff = FILE_SIZE - sizeof(struct elf64_shdr); break; /* table past end */
		}
		HEXPECT_EQ(elf_run(g), 0);
		if (g->img.symtab_off || g->img.symtab_size || g->img.strtab_off || g->img.strtab_size)
			htest_fail(ctx, __FILE__, __LINE__, "case %d: symbols reported from a broken table", c);
		elf_free(g);
	}
}

/*
 * The EFI loader calls elf_parse(..., BOOT_KERNEL_BASE, UINT64_MAX, ...). A
 * segment ending inside the last page of the address space is within
 * [lo, hi), but rounding its end up to a page wraps vaddr_max to 0, so
 * [vaddr_min, vaddr_max) no longer covers the segment (the loader then sizes
 * its copy by vaddr_max - vaddr_min). Either rejecting the image or reporting
 * a span that covers every segment is acceptable; silently wrapping is not.
 */
HTEST(elf, span_covers_segment_in_last_page)
{
	struct elf_fixture *f = elf_new(false);
	f->ph[1].vaddr = 0xfffffffffffff000ULL;
	f->ph[1].filesz = 0x10;
	f->ph[1].memsz = 0x10;
	int r = elf_run_range(f, LO, UINT64_MAX);
	if (r == 0) {
		HEXPECT(f->img.vaddr_min <= f->ph[1].vaddr);
		HEXPECT(f->img.vaddr_max > f->img.vaddr_min);
		HEXPECT(f->img.vaddr_max >= f->ph[1].vaddr + f->ph[1].memsz);
	}
	elf_free(f);
}

/*
 * Issue 13 defect 7: 65,535 program headers made SPAWN compare ~2e9 pairs.
 * An image with @n one-page PT_LOAD segments, none overlapping.
 */
static uint8_t *many_segments(uint16_t n, uint64_t *size)
{
	uint64_t table = sizeof(struct elf64_ehdr) + (uint64_t)n * sizeof(struct elf64_phdr);
	uint64_t text = (table + 0xfff) & ~0xfffULL;
	*size = text + 0x1000;
	uint8_t *b = calloc(1, *size);
	struct elf64_ehdr *eh = (struct elf64_ehdr *)b;
	struct elf64_phdr *ph = (struct elf64_phdr *)(b + sizeof(*eh));
	memcpy(eh->ident, "\x7f" "ELF", 4);
	eh->ident[4] = 2;
	eh->ident[5] = 1;
	eh->ident[6] = 1;
	eh->type = ELF_ET_EXEC;
	eh->machine = ELF_EM_X86_64;
	eh->version = 1;
	eh->phoff = sizeof(*eh);
	eh->ehsize = sizeof(*eh);
	eh->phentsize = sizeof(struct elf64_phdr);
	eh->phnum = n;
	eh->entry = LO + 0x10;
	for (uint16_t i = 0; i < n; i++)
		ph[i] = (struct elf64_phdr){ .type = ELF_PT_LOAD, .flags = ELF_PF_R | ELF_PF_X, .offset = text,
					     .vaddr = LO + (uint64_t)i * 0x1000, .filesz = 0x10, .memsz = 0x1000,
					     .align = 0x1000 };
	return b;
}

HTEST(elf, program_header_count_is_bounded)
{
	struct elf_image img;
	const char *why = NULL;
	uint64_t size;
	uint8_t *b = many_segments(ELF_MAX_PHNUM, &size);
	HEXPECT_EQ(elf_parse(b, size, LO, HI, &img, &why), 0);
	HEXPECT_EQ(img.nload, ELF_MAX_PHNUM);
	free(b);
	b = many_segments(ELF_MAX_PHNUM + 1, &size);
	HEXPECT_EQ(elf_parse(b, size, LO, HI, &img, &why), -1);
	HEXPECT(why && strstr(why, "too many program headers"));
	free(b);
	b = many_segments(1000, &size);
	HEXPECT_EQ(elf_parse(b, size, LO, 1ULL << 40, &img, &why), -1);
	HEXPECT(why && strstr(why, "too many program headers"));
	free(b);
}

/*
 * elf_parse_head (the program loader's form): only the ELF and program
 * headers in memory, segments checked against the whole file's size.
 */
HTEST(elf, head_only_checks_segments_against_file_size)
{
	struct elf_fixture *f = elf_new(false);
	uint64_t head = 0x40 + 2 * sizeof(struct elf64_phdr);
	struct elf_image img;
	const char *why = NULL;
	HEXPECT_EQ(elf_parse_head(f->storage, head, f->size, LO, HI, &img, &why), 0);
	HEXPECT_EQ(img.vaddr_max, 0x404000);
	/* Headers cut short: refused, never read past the bytes given. */
	HEXPECT_EQ(elf_parse_head(f->storage, head - 1, f->size, LO, HI, &img, &why), -1);
	/* A file too short for its segment bytes is refused as elf_parse refuses it. */
	HEXPECT_EQ(elf_parse_head(f->storage, head, DATA_OFF + 0x7f, LO, HI, &img, &why), -1);
	HEXPECT(why && strstr(why, "outside the file"));
	elf_free(f);
}
