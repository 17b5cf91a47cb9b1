// SPDX-License-Identifier: MIT
// Loading a program (spec §10): an ELF image's PT_LOAD segments into a
// process's address space with per-page rights (W^X), and the start-up stack.
#include "kernel/exec/exec.h"

#include "kernel/abi/errno.h"
#include "kernel/lib/elf.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/uaccess.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sync/spinlock.h"

/*
 * How a program's pages are made (exec_load_image). The span of its PT_LOAD
 * segments is cut at every page where what covers a page changes: a
 * segment's first and last page, the first and last page of its file
 * bytes. Each piece is then uniform:
 *  - no file bytes on it (.bss, gaps between segments): demand-zero memory;
 *  - one segment and nothing else, its file bytes over the whole of every
 *    page, or over part of a page whose other bytes are zeros in the file
 *    too (the padding linkers put between segments): the file's own
 *    frames, shared (read-only in the page tables; a writable segment's
 *    page is copied on its first write, vmm.h);
 *  - otherwise (a segment's partial first or last page, a page two
 *    segments share): a private page with the file bytes copied in and
 *    zeros elsewhere, as a loader that copies everything would make it;
 *    for the partial page of one read-only segment, a prepared page that
 *    earlier starts of the program made and left in a small cache (below).
 * A page's rights are the union of those of the segments on it.
 */
enum piece_kind { PIECE_ZERO, PIECE_SHARED, PIECE_PRIVATE, PIECE_PREPARED };

struct piece {
	uint64_t start, end;
	unsigned prot;
	enum piece_kind kind;
	const struct elf64_phdr *seg; /* PIECE_SHARED: the segment whose file bytes cover it */
};

/* The cuts @nload segments can make (five each), plus the span's ends. */
static uint64_t max_cuts(uint32_t nload) { return 5 * (uint64_t)nload + 2; }

static uint64_t page_down(uint64_t a) { return a & ~(PAGE_SIZE - 1); }
static uint64_t page_up(uint64_t a) { return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }

/* Copy [@off, @off + @len) of a file snapshot (holes read as zeros) to @dst. */
static void file_read(const paddr_t *frames, uint64_t off, void *dst, uint64_t len)
{
	uint8_t *d = dst;
	while (len) {
		uint64_t in = off % PAGE_SIZE, n = PAGE_SIZE - in < len ? PAGE_SIZE - in : len;
		paddr_t f = frames[off / PAGE_SIZE];
		if (f)
			memcpy(d, (const uint8_t *)phys_to_virt(f) + in, n);
		else
			memset(d, 0, n);
		d += n;
		off += n;
		len -= n;
	}
}

/* Insert @v into the sorted set @cuts of *@n values (no duplicates). */
static void cut_add(uint64_t *cuts, unsigned *n, uint64_t v)
{
	unsigned i = *n;
	while (i > 0 && cuts[i - 1] > v)
		i--;
	if (i > 0 && cuts[i - 1] == v)
		return;
	memmove(&cuts[i + 1], &cuts[i], (*n - i) * sizeof(*cuts));
	cuts[i] = v;
	(*n)++;
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/* Whether the @n bytes at @b are all zeros: eight at a time where aligned (a page's tail is KiBs). */
static bool bytes_zero(const uint8_t *b, uint64_t n)
{
	for (; n && ((uint64_t)b & 7); b++, n--)
		if (*b)
			return false;
	typedef uint64_t __attribute__((may_alias)) word_t;
	for (; n >= 8; b += 8, n -= 8)
		if (*(const word_t *)b)
			return false;
	for (; n; b++, n--)
		if (*b)
			return false;
	return true;
}

/* Whether [@off, @off + @len) of a file snapshot is all zeros (holes are). */
static bool file_zero(const paddr_t *frames, uint64_t off, uint64_t len)
{
	while (len) {
		uint64_t in = off % PAGE_SIZE, n = PAGE_SIZE - in < len ? PAGE_SIZE - in : len;
		paddr_t f = frames[off / PAGE_SIZE];
		if (f && !bytes_zero((const uint8_t *)phys_to_virt(f) + in, n))
			return false;
		off += n;
		len -= n;
	}
	return true;
}

/* The file offset of the first byte of page @va of segment @ph (elf_parse: offset == vaddr modulo a page). */
static uint64_t file_page_of(const struct elf64_phdr *ph, uint64_t va)
{
	return page_down(ph->offset) + (va - page_down(ph->vaddr));
}

/*
 * Whether the one page @va, on which @ph's file bytes are only in part,
 * can still be the file's page: the file has zeros in the rest of it, which
 * is what a copy would have there.
 */
static bool partial_page_shareable(const paddr_t *frames, const struct elf64_phdr *ph, uint64_t va)
{
	uint64_t lo = ph->vaddr > va ? ph->vaddr : va;
	uint64_t hi = ph->vaddr + ph->filesz < va + PAGE_SIZE ? ph->vaddr + ph->filesz : va + PAGE_SIZE;
	uint64_t base = file_page_of(ph, va);
	return file_zero(frames, base, lo - va) && file_zero(frames, base + (hi - va), va + PAGE_SIZE - hi);
}

/* What the piece [start, end) is made of (see above). */
static void piece_classify(const struct elf_image *img, const paddr_t *frames, struct piece *pc)
{
	unsigned nmem = 0, nfile = 0;
	pc->prot = VM_READ;
	pc->seg = NULL;
	for (uint16_t i = 0; i < img->ehdr->phnum; i++) {
		const struct elf64_phdr *ph = &img->phdrs[i];
		if (ph->type != ELF_PT_LOAD || ph->memsz == 0)
			continue;
		if (!overlaps(page_down(ph->vaddr), page_up(ph->vaddr + ph->memsz), pc->start, pc->end))
			continue;
		nmem++;
		pc->prot |= ((ph->flags & ELF_PF_W) ? VM_WRITE : 0) | ((ph->flags & ELF_PF_X) ? VM_EXEC : 0);
		if (ph->filesz && overlaps(ph->vaddr, ph->vaddr + ph->filesz, pc->start, pc->end)) {
			nfile++;
			pc->seg = ph;
		}
	}
	if (nfile == 0)
		pc->kind = PIECE_ZERO;
	else if (nmem == 1 && pc->seg->vaddr <= pc->start && pc->seg->vaddr + pc->seg->filesz >= pc->end)
		pc->kind = PIECE_SHARED;
	else if (nmem == 1 && pc->end - pc->start == PAGE_SIZE && partial_page_shareable(frames, pc->seg, pc->start))
		pc->kind = PIECE_SHARED;
	else if (nmem == 1 && pc->end - pc->start == PAGE_SIZE && !(pc->prot & VM_WRITE))
		pc->kind = PIECE_PREPARED;
	else
		pc->kind = PIECE_PRIVATE;
}

/* A private page holding what every segment puts on page @va (file bytes, zeros elsewhere). 0: no memory. */
static paddr_t private_page(const struct elf_image *img, const paddr_t *frames, uint64_t va)
{
	paddr_t pa = pmm_alloc_zeroed_user_page();
	if (!pa)
		return 0;
	for (uint16_t i = 0; i < img->ehdr->phnum; i++) {
		const struct elf64_phdr *ph = &img->phdrs[i];
		if (ph->type != ELF_PT_LOAD || ph->memsz == 0 || !ph->filesz)
			continue;
		uint64_t lo = ph->vaddr > va ? ph->vaddr : va;
		uint64_t hi = ph->vaddr + ph->filesz < va + PAGE_SIZE ? ph->vaddr + ph->filesz : va + PAGE_SIZE;
		if (lo < hi)
			file_read(frames, ph->offset + (lo - ph->vaddr), (uint8_t *)phys_to_virt(pa) + (lo - va), hi - lo);
	}
	return pa;
}

/*
 * Prepared pages. The partial page of a read-only segment - its file bytes
 * and zeros around them - comes out the same at every start of a program,
 * so the last EXEC_PREPARED_PAGES made are kept: a program started again
 * maps the page it had before instead of a fresh copy. Besides the copy,
 * this saves QEMU translating the code on it again (TCG keeps translations
 * by physical page): a program without libc, whose one page is such a page,
 * started and ended in 105 us instead of 150.
 * An entry is found by the file frame its bytes came from and their span on
 * the page (their offsets in the file frame are the same: spec §10.1 ties
 * p_offset to p_vaddr modulo the page size), and used only if those bytes
 * still match: nothing pins the file frame, which may have been freed and
 * reused. A prepared page is shared, so no mapping writes it (vm_map_frames
 * maps shared frames read-only; a program that makes one writable gets its
 * own copy at the first write).
 * Locks: prepared_lock guards the table.
 */
#define EXEC_PREPARED_PAGES 32

struct prepared {
	paddr_t src;     /* the file frame the bytes came from (not pinned) */
	uint64_t lo, hi; /* the span of those bytes on the page */
	paddr_t page;    /* the prepared page, a reference of the table's; 0: a free slot */
};

static struct spinlock prepared_lock = SPINLOCK_INIT;
static struct prepared prepared[EXEC_PREPARED_PAGES]; /* Guarded by: prepared_lock */
static unsigned prepared_victim;                      /* Guarded by: prepared_lock: the slot a new page takes */
static uint64_t prepared_held;                        /* atomic: slots holding a page */

uint64_t exec_prepared_pages(void)
{
	return __atomic_load_n(&prepared_held, __ATOMIC_RELAXED);
}

/* Page @va of the one read-only segment @ph on it (a PIECE_PREPARED piece), with a reference. 0: no memory. */
static paddr_t prepared_page(const struct elf_image *img, const paddr_t *frames, const struct elf64_phdr *ph,
			     uint64_t va)
{
	paddr_t src = frames[file_page_of(ph, va) / PAGE_SIZE];
	if (!src)
		return private_page(img, frames, va); /* a hole in the file: nothing to key on */
	uint64_t lo = ph->vaddr > va ? ph->vaddr - va : 0;
	uint64_t hi = ph->vaddr + ph->filesz < va + PAGE_SIZE ? ph->vaddr + ph->filesz - va : PAGE_SIZE;
	irqflags_t f = spin_lock_irqsave(&prepared_lock);
	unsigned slot = EXEC_PREPARED_PAGES;
	paddr_t page = 0;
	for (unsigned i = 0; i < EXEC_PREPARED_PAGES; i++) {
		const struct prepared *e = &prepared[i];
		if (e->page && e->src == src && e->lo == lo && e->hi == hi) {
			slot = i;
			page = e->page;
			pmm_page_get(page);
			break;
		}
	}
	spin_unlock_irqrestore(&prepared_lock, f);
	/* The page itself never changes (shared, so never written): compare outside the lock. */
	if (page && memcmp((const uint8_t *)phys_to_virt(page) + lo, (const uint8_t *)phys_to_virt(src) + lo,
			   hi - lo) == 0)
		return page;
	if (page)
		pmm_page_put(page); /* stale: the frame holds other bytes now; its slot takes the new page */
	page = private_page(img, frames, va);
	if (!page)
		return 0;
	pmm_page_get(page); /* the table's */
	f = spin_lock_irqsave(&prepared_lock);
	if (slot == EXEC_PREPARED_PAGES) {
		slot = prepared_victim;
		prepared_victim = (prepared_victim + 1) % EXEC_PREPARED_PAGES;
	}
	paddr_t old = prepared[slot].page;
	prepared[slot] = (struct prepared){ src, lo, hi, page };
	spin_unlock_irqrestore(&prepared_lock, f);
	if (old)
		pmm_page_put(old);
	else
		__atomic_fetch_add(&prepared_held, 1, __ATOMIC_RELAXED);
	return page;
}

void exec_prepared_drop(void)
{
	for (unsigned i = 0; i < EXEC_PREPARED_PAGES; i++) {
		irqflags_t f = spin_lock_irqsave(&prepared_lock);
		paddr_t page = prepared[i].page;
		prepared[i].page = 0;
		spin_unlock_irqrestore(&prepared_lock, f);
		if (page) {
			pmm_page_put(page);
			__atomic_fetch_sub(&prepared_held, 1, __ATOMIC_RELAXED);
		}
	}
}

/*
 * Map the run [start, end) with @prot, made of file pieces: fill @buf (one
 * slot a page) with their frames, each with a reference the region takes
 * over. Returns 0 or -ENOMEM.
 */
static int map_file_run(struct process *p, const struct elf_image *img, const paddr_t *frames,
			const struct piece *first, const struct piece *last, unsigned prot, paddr_t *buf)
{
	uint64_t n = 0;
	for (const struct piece *pc = first; pc <= last; pc++) {
		for (uint64_t va = pc->start; va < pc->end; va += PAGE_SIZE, n++) {
			if (pc->kind == PIECE_SHARED) {
				buf[n] = frames[file_page_of(pc->seg, va) / PAGE_SIZE];
				if (buf[n])
					pmm_page_get(buf[n]);
			} else if (!(buf[n] = pc->kind == PIECE_PREPARED ? prepared_page(img, frames, pc->seg, va)
									  : private_page(img, frames, va))) {
				for (uint64_t i = 0; i < n; i++)
					if (buf[i])
						pmm_page_put(buf[i]);
				return -ENOMEM;
			}
		}
	}
	return vm_map_frames(p->space, first->start, n, prot, buf);
}

int exec_load_image(struct process *p, uint64_t size, const paddr_t *frames, uint64_t *entry)
{
	/* The ELF and program headers, as far as the ELF header says they go (a copy: elf_parse wants them whole). */
	struct elf64_ehdr eh;
	uint64_t head_len = size < sizeof(eh) ? size : sizeof(eh);
	file_read(frames, 0, &eh, head_len);
	if (head_len == sizeof(eh) && eh.phnum <= ELF_MAX_PHNUM && eh.phoff <= size &&
	    (uint64_t)eh.phnum * sizeof(struct elf64_phdr) <= size - eh.phoff &&
	    eh.phoff + (uint64_t)eh.phnum * sizeof(struct elf64_phdr) > head_len)
		head_len = eh.phoff + (uint64_t)eh.phnum * sizeof(struct elf64_phdr);
	uint8_t *head = kmalloc(head_len ? head_len : 1);
	uint64_t *cuts = NULL;
	struct piece *pieces = NULL;
	paddr_t *buf = NULL;
	int err = -ENOMEM;
	if (!head)
		goto out;
	file_read(frames, 0, head, head_len);
	struct elf_image img;
	const char *why;
	err = -ENOEXEC;
	if (elf_parse_head(head, head_len, size, USER_MIN, USER_MAX, &img, &why) != 0)
		goto out;
	/* Sized by the segments there are (ELF_MAX_PHNUM at most): small for every real program. */
	err = -ENOMEM;
	cuts = kmalloc(max_cuts(img.nload) * sizeof(*cuts));
	pieces = kmalloc(max_cuts(img.nload) * sizeof(*pieces));
	if (!cuts || !pieces)
		goto out;
	uint64_t span = img.vaddr_max - img.vaddr_min;
	uint64_t free = pmm_free_pages_count(), reserve = pmm_user_reserve_pages();
	if (free <= reserve || span / PAGE_SIZE > free - reserve)
		goto out; /* the overcommit rule of private mappings (spec §7 number 19) */

	unsigned ncuts = 0;
	cut_add(cuts, &ncuts, img.vaddr_min);
	cut_add(cuts, &ncuts, img.vaddr_max);
	for (uint16_t i = 0; i < img.ehdr->phnum; i++) {
		const struct elf64_phdr *ph = &img.phdrs[i];
		if (ph->type != ELF_PT_LOAD || ph->memsz == 0)
			continue;
		cut_add(cuts, &ncuts, page_down(ph->vaddr));
		cut_add(cuts, &ncuts, page_up(ph->vaddr + ph->memsz));
		if (ph->filesz) {
			/* The partial first and last pages of the file bytes are pieces of their own. */
			cut_add(cuts, &ncuts, page_down(ph->vaddr) + PAGE_SIZE);
			cut_add(cuts, &ncuts, page_down(ph->vaddr + ph->filesz));
			cut_add(cuts, &ncuts, page_up(ph->vaddr + ph->filesz));
		}
	}
	/* Cuts outside the span (a last page's end past it) are dropped by the bounds below. */
	unsigned npieces = 0;
	uint64_t longest = 0, run = 0;
	for (unsigned i = 0; i + 1 < ncuts; i++) {
		if (cuts[i] < img.vaddr_min || cuts[i + 1] > img.vaddr_max)
			continue;
		struct piece *pc = &pieces[npieces++];
		pc->start = cuts[i];
		pc->end = cuts[i + 1];
		piece_classify(&img, frames, pc);
		/* The longest run of file pieces with equal rights sizes the frame buffer. */
		bool joins = npieces > 1 && pc[-1].kind != PIECE_ZERO && pc->kind != PIECE_ZERO && pc[-1].prot == pc->prot;
		run = pc->kind == PIECE_ZERO ? 0 : (joins ? run : 0) + (pc->end - pc->start) / PAGE_SIZE;
		if (run > longest)
			longest = run;
	}
	if (longest && !(buf = kmalloc(longest * sizeof(*buf))))
		goto out;
	/* Map each run of pieces with equal rights and kind (zero or file) as one region. */
	err = 0;
	for (unsigned i = 0; i < npieces && !err;) {
		unsigned j = i;
		bool zero = pieces[i].kind == PIECE_ZERO;
		while (j + 1 < npieces && (pieces[j + 1].kind == PIECE_ZERO) == zero && pieces[j + 1].prot == pieces[i].prot)
			j++;
		if (zero) {
			uint64_t out;
			err = vm_map(p->space, pieces[i].start, pieces[j].end - pieces[i].start, pieces[i].prot,
				     VM_ANON_ZERO, VM_FIXED, &out);
		} else {
			err = map_file_run(p, &img, frames, &pieces[i], &pieces[j], pieces[i].prot, buf);
		}
		i = j + 1;
	}
	if (!err)
		*entry = img.entry;
out:
	kfree(buf);
	kfree(pieces);
	kfree(cuts);
	kfree(head);
	return err;
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
