// SPDX-License-Identifier: MIT
// Loading a program (spec §10): an ELF image's PT_LOAD segments into a
// process's address space with per-page rights (W^X), and the start-up stack.
#include "kernel/exec/exec.h"

#include "kernel/abi/errno.h"
#include "kernel/lib/elf.h"
#include "kernel/lib/string.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/uaccess.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"

/* Program images up to this size are populated when loaded (like private mmaps, sys_memory.c). */
#define LOAD_POPULATE_MAX (4ULL << 20)

/*
 * Give the pages of one PT_LOAD segment its rights on top of what other
 * segments already gave them: a page's rights are the union over the
 * segments that touch it. A union that is writable and executable (an RWX
 * segment, or W and X segments sharing a page) is kept as such: its pages
 * switch between a write and an execute view (W^X, see kernel/mm/vmm.h).
 * Returns 0 or an error of vm_protect.
 */
static int protect_segment(struct process *p, const struct elf64_phdr *ph)
{
	unsigned want = VM_READ | ((ph->flags & ELF_PF_W) ? VM_WRITE : 0) | ((ph->flags & ELF_PF_X) ? VM_EXEC : 0);
	uint64_t addr = ph->vaddr & ~(PAGE_SIZE - 1);
	uint64_t end = (ph->vaddr + ph->memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	while (addr < end) {
		struct vm_region r;
		if (!vm_query(p->space, addr, &r) || r.start > addr)
			return -ENOEXEC; /* cannot happen: the span was mapped whole */
		uint64_t piece_end = r.end < end ? r.end : end;
		unsigned prot = r.prot | want;
		if (prot != r.prot) {
			int err = vm_protect(p->space, addr, piece_end - addr, prot);
			if (err)
				return err;
		}
		addr = piece_end;
	}
	return 0;
}

int exec_load_image(struct process *p, const void *data, uint64_t size, uint64_t *entry)
{
	struct elf_image img;
	const char *why;
	if (elf_parse(data, size, USER_MIN, USER_MAX, &img, &why) != 0)
		return -ENOEXEC;
	uint64_t start, span = img.vaddr_max - img.vaddr_min;
	/*
	 * Populated at once when small (the copy below would otherwise fault on
	 * every page); a bigger span fills on demand, so mapping it holds the
	 * address-space lock for no time, and only the pages used cost memory.
	 */
	unsigned flags = VM_FIXED | (span <= LOAD_POPULATE_MAX ? VM_POPULATE : 0);
	uint64_t free = pmm_free_pages_count(), reserve = pmm_user_reserve_pages();
	if (free <= reserve || span / PAGE_SIZE > free - reserve)
		return -ENOMEM; /* the overcommit rule of private mappings (spec §7 number 19) */
	int err = vm_map(p->space, img.vaddr_min, span, VM_READ | VM_WRITE, VM_ANON_ZERO, flags, &start);
	if (err)
		return err;
	for (uint16_t i = 0; i < img.ehdr->phnum; i++) {
		const struct elf64_phdr *ph = &img.phdrs[i];
		if (ph->type != ELF_PT_LOAD || ph->filesz == 0)
			continue;
		err = copy_to_user((void *)ph->vaddr, (const uint8_t *)data + ph->offset, ph->filesz);
		if (err)
			return err;
	}
	/* Everything read-only, then each segment adds its own rights. */
	err = vm_protect(p->space, start, img.vaddr_max - start, VM_READ);
	for (uint16_t i = 0; !err && i < img.ehdr->phnum; i++) {
		const struct elf64_phdr *ph = &img.phdrs[i];
		if (ph->type == ELF_PT_LOAD && ph->memsz > 0)
			err = protect_segment(p, ph);
	}
	if (err)
		return err;
	*entry = img.entry;
	return 0;
}

int exec_build_stack(uint64_t top, const char *args, uint64_t args_len, uint64_t argc, uint64_t *rsp_out,
		     uint64_t *argv_out)
{
	uint64_t strings = top - args_len;
	int err = copy_to_user((void *)strings, args, args_len);
	if (err)
		return err;
	uint64_t p = strings & ~7ULL;
	uint64_t array = p - 8 - 8 * argc;
	uint64_t s = strings;
	for (uint64_t i = 0; i < argc; i++) {
		if ((err = put_user_u64((void *)(array + 8 * i), s)))
			return err;
		s += strnlen(args + (s - strings), args_len - (s - strings)) + 1;
	}
	if ((err = put_user_u64((void *)(p - 8), 0)))
		return err;
	*argv_out = array;
	*rsp_out = (array - 8) & ~15ULL;
	return 0;
}
