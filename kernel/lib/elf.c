// SPDX-License-Identifier: MIT
// ELF64 validation. Every offset read from the file is checked against its
// size before use, because the file comes from a disk (loader) or from user
// space (spawn) and is untrusted.
#include "kernel/lib/elf.h"

#define PAGE_MASK 0xfffULL

/* [off, off + len) inside a file of @size bytes, without wrap-around. */
static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static int fail(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

int elf_parse(const void *file, uint64_t size, uint64_t lo, uint64_t hi,
	      struct elf_image *out, const char **why)
{
	return elf_parse_head(file, size, size, lo, hi, out, why);
}

int elf_parse_head(const void *file, uint64_t head_len, uint64_t size, uint64_t lo, uint64_t hi,
		   struct elf_image *out, const char **why)
{
	const uint8_t *bytes = file;
	const struct elf64_ehdr *eh = file;

	if (head_len > size)
		return fail(why, "more headers than file");
	if (size < sizeof(*eh))
		return fail(why, "file shorter than an ELF header");
	if (head_len < sizeof(*eh))
		return fail(why, "ELF header beyond the bytes given");
	if (bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F')
		return fail(why, "bad ELF magic");
	if (bytes[4] != 2)
		return fail(why, "not a 64-bit ELF");
	if (bytes[5] != 1)
		return fail(why, "not little-endian");
	if (eh->type != ELF_ET_EXEC)
		return fail(why, "not an executable (ET_EXEC)");
	if (eh->machine != ELF_EM_X86_64)
		return fail(why, "not an x86-64 ELF");
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0)
		return fail(why, "bad program header table");
	if (!in_file(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), size))
		return fail(why, "program headers outside the file");
	if (!in_file(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), head_len))
		return fail(why, "program headers beyond the bytes given");
	if (eh->phoff % 8)
		return fail(why, "misaligned program header table");
	/* Keeps every loop over the headers (the overlap check is quadratic) short. */
	if (eh->phnum > ELF_MAX_PHNUM)
		return fail(why, "too many program headers");

	const struct elf64_phdr *ph = (const void *)(bytes + eh->phoff);
	uint64_t vmin = UINT64_MAX, vmax = 0;
	uint32_t nload = 0;
	int entry_ok = 0;
	for (uint16_t i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *p = &ph[i];
		if (p->type != ELF_PT_LOAD || p->memsz == 0)
			continue;
		if (p->filesz > p->memsz)
			return fail(why, "segment filesz larger than memsz");
		if (!in_file(p->offset, p->filesz, size))
			return fail(why, "segment bytes outside the file");
		/* The end is rounded up to a page below: it must not wrap either. */
		if (p->vaddr + p->memsz < p->vaddr || p->vaddr + p->memsz > ~PAGE_MASK)
			return fail(why, "segment wraps around");
		if (p->vaddr < lo || p->vaddr + p->memsz > hi)
			return fail(why, "segment outside the allowed address range");
		if ((p->vaddr & PAGE_MASK) != (p->offset & PAGE_MASK))
			return fail(why, "segment offset and address disagree modulo the page size");
		uint64_t start = p->vaddr & ~PAGE_MASK;
		uint64_t end = (p->vaddr + p->memsz + PAGE_MASK) & ~PAGE_MASK;
		if (start < vmin)
			vmin = start;
		if (end > vmax)
			vmax = end;
		if ((p->flags & ELF_PF_X) && eh->entry >= p->vaddr && eh->entry < p->vaddr + p->memsz)
			entry_ok = 1;
		nload++;
	}
	if (nload == 0)
		return fail(why, "no loadable segment");
	if (!entry_ok)
		return fail(why, "entry point not in an executable segment");
	/* Overlapping byte ranges would let one segment silently overwrite another. */
	for (uint16_t i = 0; i < eh->phnum; i++) {
		if (ph[i].type != ELF_PT_LOAD || ph[i].memsz == 0)
			continue;
		for (uint16_t j = i + 1; j < eh->phnum; j++) {
			if (ph[j].type != ELF_PT_LOAD || ph[j].memsz == 0)
				continue;
			if (ph[i].vaddr < ph[j].vaddr + ph[j].memsz && ph[j].vaddr < ph[i].vaddr + ph[i].memsz)
				return fail(why, "overlapping segments");
		}
	}

	out->ehdr = eh;
	out->phdrs = ph;
	out->entry = eh->entry;
	out->vaddr_min = vmin;
	out->vaddr_max = vmax;
	out->nload = nload;
	out->symtab_off = out->symtab_size = out->strtab_off = out->strtab_size = 0;

	/* Symbols are optional: a bad section table only loses names. */
	if (eh->shoff && eh->shoff % 8 == 0 && eh->shnum && eh->shentsize == sizeof(struct elf64_shdr) &&
	    in_file(eh->shoff, (uint64_t)eh->shnum * sizeof(struct elf64_shdr), head_len)) {
		const struct elf64_shdr *sh = (const void *)(bytes + eh->shoff);
		for (uint16_t i = 0; i < eh->shnum; i++) {
			if (sh[i].type != ELF_SHT_SYMTAB || sh[i].link >= eh->shnum)
				continue;
			const struct elf64_shdr *st = &sh[sh[i].link];
			if (!in_file(sh[i].offset, sh[i].size, head_len) || !in_file(st->offset, st->size, head_len))
				break;
			out->symtab_off = sh[i].offset;
			out->symtab_size = sh[i].size - sh[i].size % sizeof(struct elf64_sym);
			out->strtab_off = st->offset;
			out->strtab_size = st->size;
			break;
		}
	}
	return 0;
}
