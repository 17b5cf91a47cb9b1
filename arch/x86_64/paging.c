// SPDX-License-Identifier: MIT
// x86-64 4-level page tables behind the arch_pt_* contract. Page-table pages
// come from the page allocator; each one's struct page counts its present
// entries, so a table that becomes empty is found and freed in O(1).
// The kernel half (PML4 slots 256-511) is built once and shared by every
// address space: its PDPTs are allocated up front and never freed, so a
// kernel mapping made later is visible everywhere without copying.
// Locks: none here; the caller serializes changes to one address space.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/symbols.h"
#include "kernel/boot.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/pmm.h"

#define PTE_P    (1ULL << 0)
#define PTE_W    (1ULL << 1)
#define PTE_U    (1ULL << 2)
#define PTE_PWT  (1ULL << 3)
#define PTE_PCD  (1ULL << 4)
#define PTE_A    (1ULL << 5)
#define PTE_D    (1ULL << 6)
#define PTE_PS   (1ULL << 7)
#define PTE_G    (1ULL << 8)
#define PTE_NX   (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

static uint64_t kernel_root; /* immutable after arch_paging_init() */
static uint64_t kernel_tables; /* atomic: kernel-half table pages made after boot */

uint64_t arch_kernel_table_pages(void)
{
	return __atomic_load_n(&kernel_tables, __ATOMIC_RELAXED);
}

static inline uint64_t *table_virt(uint64_t phys)
{
	return phys_to_virt(phys & PTE_ADDR);
}

/*
 * Entries are written with accessed set, and dirty where writable: nothing
 * here reads those bits, and a walker that finds them set has no entry to
 * write back on the first access (QEMU's TCG walker stores to every level
 * it finds without them: a guest-physical write per level per new page).
 */
static uint64_t leaf_bits(unsigned flags)
{
	uint64_t e = PTE_P | PTE_A;
	if (flags & ARCH_MAP_WRITE)
		e |= PTE_W | PTE_D;
	if (flags & ARCH_MAP_USER)
		e |= PTE_U;
	if (!(flags & ARCH_MAP_EXEC))
		e |= PTE_NX;
	if (flags & ARCH_MAP_GLOBAL)
		e |= PTE_G;
	if (flags & ARCH_MAP_NOCACHE)
		e |= PTE_PCD | PTE_PWT;
	else if (flags & ARCH_MAP_WC)
		e |= arch_pat_wc ? PTE_PWT : PTE_PCD | PTE_PWT; /* PAT entry 1 (cpu_init.c), or UC */
	return e;
}

static void count_entry(uint64_t table_phys, int delta)
{
	pmm_page(table_phys & PTE_ADDR)->refcount += delta;
}

/*
 * The leaf table covering @va, creating missing levels when @create. Returns
 * a pointer to the PTE, or NULL (absent, huge page in the way, or no memory).
 */
static uint64_t *walk(uint64_t root, uint64_t va, bool create)
{
	uint64_t table = root;
	for (int level = 3; level > 0; level--) {
		uint64_t *t = table_virt(table);
		uint64_t *e = &t[(va >> (12 + 9 * level)) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			paddr_t fresh = pmm_alloc_zeroed_page();
			if (!fresh)
				return NULL;
			pmm_page(fresh)->refcount = 0; /* counts present entries from here on */
			/* Upper levels are permissive; the leaf decides. User bit only below the kernel half. */
			*e = fresh | PTE_P | PTE_W | PTE_A | (va < BOOT_DIRECT_MAP_BASE ? PTE_U : 0);
			if (level < 3 || va < BOOT_DIRECT_MAP_BASE)
				count_entry(table, +1);
			if (va >= BOOT_DIRECT_MAP_BASE)
				__atomic_fetch_add(&kernel_tables, 1, __ATOMIC_RELAXED);
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = *e & PTE_ADDR;
	}
	return &table_virt(table)[(va >> 12) & 511];
}

int arch_pt_map(uint64_t root, uint64_t va, uint64_t pa, unsigned flags)
{
	uint64_t *pte = walk(root, va, true);
	if (!pte)
		return -12; /* -ENOMEM */
	if (!(*pte & PTE_P))
		count_entry(virt_to_phys_direct(pte), +1);
	*pte = (pa & PTE_ADDR) | leaf_bits(flags);
	return 0;
}

bool arch_pt_query(uint64_t root, uint64_t va, struct arch_mapping *out)
{
	uint64_t *table = table_virt(root);
	bool writable = true, user = true, exec = true;
	for (int level = 3; level >= 0; level--) {
		int shift = 12 + 9 * level;
		uint64_t e = table[(va >> shift) & 511];
		if (!(e & PTE_P))
			return false;
		/* Rights are the intersection over all levels. */
		writable &= !!(e & PTE_W);
		user &= !!(e & PTE_U);
		exec &= !(e & PTE_NX);
		if (level == 0 || (e & PTE_PS)) {
			uint64_t size = 1ULL << shift;
			out->phys = (e & PTE_ADDR & ~(size - 1)) + (va & (size - 1));
			out->page_size = size;
			out->writable = writable;
			out->user = user;
			out->executable = exec;
			out->global = !!(e & PTE_G);
			/* PAT index PWT | PCD << 1 (we never set the PAT bit): cpu_init.c's table, or the reset one. */
			unsigned pat = !!(e & PTE_PWT) | (!!(e & PTE_PCD) << 1);
			out->write_combining = pat == 1 && arch_pat_wc;
			out->uncached = pat >= 2;
			return true;
		}
		table = table_virt(e);
	}
	return false;
}

bool arch_query_mapping(uint64_t virt, struct arch_mapping *out)
{
	return arch_pt_query(read_cr3() & PTE_ADDR, virt, out);
}

/*
 * Free the tables above @va's leaf table that became empty, bottom-up. Only
 * the user half is ever freed: kernel-half tables are shared by every space.
 */
static void prune(uint64_t root, uint64_t va)
{
	if (va >= BOOT_DIRECT_MAP_BASE)
		return;
	uint64_t *path[4];
	uint64_t table = root;
	for (int level = 3; level > 0; level--) {
		uint64_t *e = &table_virt(table)[(va >> (12 + 9 * level)) & 511];
		path[level] = e;
		if (!(*e & PTE_P) || (*e & PTE_PS))
			return;
		table = *e & PTE_ADDR;
	}
	/* path[1] points at the PD entry of the leaf table, path[3] at the PML4 entry. */
	for (int level = 1; level <= 3; level++) {
		uint64_t child = *path[level] & PTE_ADDR;
		if (pmm_page(child)->refcount != 0)
			return;
		*path[level] = 0;
		pmm_free_page(child);
		uint64_t parent = level == 3 ? root : (*path[level + 1] & PTE_ADDR);
		count_entry(parent, -1);
	}
}

uint64_t arch_pt_next_table(uint64_t root, uint64_t va, uint64_t end)
{
	while (va < end) {
		uint64_t *t = table_virt(root);
		uint64_t skip = 0;
		for (int level = 3; level > 0; level--) {
			uint64_t e = t[(va >> (12 + 9 * level)) & 511];
			if (!(e & PTE_P)) {
				skip = 1ULL << (12 + 9 * level);
				break;
			}
			if (e & PTE_PS)
				return va; /* a huge page: not skippable, let the caller see it */
			t = table_virt(e);
		}
		if (!skip)
			return va;
		uint64_t next = (va + skip) & ~(skip - 1);
		if (next <= va)
			return end; /* wrapped past the top */
		va = next;
	}
	return end;
}

/* The end of the leaf table's span that holds @va (a 2 MiB boundary), at most @end. */
static inline uint64_t span_end(uint64_t va, uint64_t end)
{
	uint64_t next = (va + (2ULL << 20)) & ~((2ULL << 20) - 1);
	return next > end || next == 0 ? end : next;
}

/*
 * The next run of [*va, end) that one existing leaf table covers: moves *va
 * to its start, sets *stop to its end and returns the entry for *va; NULL
 * when no leaf table is left in the range.
 */
static inline uint64_t *next_leaf_run(uint64_t root, uint64_t *va, uint64_t end, uint64_t *stop)
{
	while ((*va = arch_pt_next_table(root, *va, end)) < end) {
		*stop = span_end(*va, end);
		uint64_t *pte = walk(root, *va, false);
		if (pte)
			return pte;
		*va = *stop;
	}
	return NULL;
}

uint64_t arch_pt_unmap_range(uint64_t root, uint64_t start, uint64_t end, arch_frame_sink sink, void *ctx)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	return arch_pt_unmap_range_span(root, start, end, sink, ctx, &lo, &hi);
}

uint64_t arch_pt_unmap_range_span(uint64_t root, uint64_t start, uint64_t end, arch_frame_sink sink, void *ctx,
				  uint64_t *lo, uint64_t *hi)
{
	uint64_t unmapped = 0, stop, *pte;
	uint64_t frames[ARCH_FRAME_BATCH];
	unsigned nframes = 0;
	for (uint64_t va = start; (pte = next_leaf_run(root, &va, end, &stop)); va = stop) {
		uint64_t table_phys = virt_to_phys_direct(pte) & PTE_ADDR;
		int removed = 0;
		for (uint64_t v = va; v < stop; v += PAGE_SIZE, pte++) {
			if (!(*pte & PTE_P))
				continue;
			uint64_t pa = *pte & PTE_ADDR;
			*pte = 0;
			removed++;
			if (v < *lo)
				*lo = v;
			if (v + PAGE_SIZE > *hi)
				*hi = v + PAGE_SIZE;
			if (!sink)
				continue;
			frames[nframes++] = pa;
			if (nframes == ARCH_FRAME_BATCH) {
				sink(frames, nframes, ctx);
				nframes = 0;
			}
		}
		count_entry(table_phys, -removed); /* one update of the table's count per run */
		unmapped += removed;
		if (pmm_page(table_phys)->refcount == 0)
			prune(root, va);
	}
	if (nframes)
		sink(frames, nframes, ctx);
	return unmapped;
}

/* A user-accessible, writable, executable entry (at one level of the walk). */
static inline bool user_wx(uint64_t e)
{
	const uint64_t need = PTE_P | PTE_W | PTE_U;
	return (e & need) == need && !(e & PTE_NX);
}

/*
 * Walks of a user half visit each table's present entries only: @k-th slot
 * of [@first, @last] in the order first, last, first + 1, last - 1, ...
 * (programs fill tables from the bottom, stacks from the top), stopping
 * once the table's count of present entries (its struct page) is seen.
 * Scanning every slot of every table cost an ending process thousands of
 * loads, most of its exit under QEMU.
 */
static inline int both_ends(int k, int first, int last)
{
	return k & 1 ? last - k / 2 : first + k / 2;
}

static inline uint64_t present_count(uint64_t table)
{
	return pmm_page(table & PTE_ADDR)->refcount;
}

uint64_t arch_pt_count_user_wx(uint64_t root)
{
	/*
	 * Effective rights of a leaf combine every level: writable only if all
	 * levels have W, user only if all have U, executable only if none has NX.
	 * So a walk only descends through entries that are themselves user_wx.
	 * Four nested loops over the user half (PML4 slots 0-255), no recursion.
	 */
	uint64_t found = 0;
	uint64_t *l4 = table_virt(root);
	uint64_t left4 = present_count(root);
	for (int k4 = 0; k4 < 256 && left4; k4++) {
		int i4 = both_ends(k4, 0, 255);
		if (!(l4[i4] & PTE_P))
			continue;
		left4--;
		if (!user_wx(l4[i4]))
			continue;
		uint64_t *l3 = table_virt(l4[i4]);
		uint64_t left3 = present_count(l4[i4]);
		for (int k3 = 0; k3 < 512 && left3; k3++) {
			int i3 = both_ends(k3, 0, 511);
			if (!(l3[i3] & PTE_P))
				continue;
			left3--;
			if (!user_wx(l3[i3]))
				continue;
			if (l3[i3] & PTE_PS) {
				found += 512 * 512;
				continue;
			}
			uint64_t *l2 = table_virt(l3[i3]);
			uint64_t left2 = present_count(l3[i3]);
			for (int k2 = 0; k2 < 512 && left2; k2++) {
				int i2 = both_ends(k2, 0, 511);
				if (!(l2[i2] & PTE_P))
					continue;
				left2--;
				if (!user_wx(l2[i2]))
					continue;
				if (l2[i2] & PTE_PS) {
					found += 512;
					continue;
				}
				uint64_t *l1 = table_virt(l2[i2]);
				uint64_t left1 = present_count(l2[i2]);
				for (int k1 = 0; k1 < 512 && left1; k1++) {
					int i1 = both_ends(k1, 0, 511);
					if (!(l1[i1] & PTE_P))
						continue;
					left1--;
					found += user_wx(l1[i1]);
				}
			}
		}
	}
	return found;
}

/*
 * Whether a TLB may still hold entry @old against its successor @new: a
 * right taken away (write, or execute by NX), or the frame or attributes
 * changed. Gaining write (with its dirty bit) or execute is not: the stale,
 * narrower entry faults, and the CPU drops it on the fault (SDM 4.10.4.1).
 */
static inline bool needs_flush(uint64_t old, uint64_t new)
{
	if ((old ^ new) & ~(PTE_W | PTE_D | PTE_NX))
		return true;
	return ((old & PTE_W) && !(new & PTE_W)) || (!(old & PTE_NX) && (new & PTE_NX));
}

uint64_t arch_pt_protect_range(uint64_t root, uint64_t start, uint64_t end, unsigned flags)
{
	uint64_t narrowed = 0, stop, *pte;
	uint64_t bits = leaf_bits(flags);
	for (uint64_t va = start; (pte = next_leaf_run(root, &va, end, &stop)); va = stop) {
		for (uint64_t v = va; v < stop; v += PAGE_SIZE, pte++) {
			uint64_t old = *pte;
			if (!(old & PTE_P))
				continue;
			uint64_t new = (old & PTE_ADDR) | bits;
			if (new == old)
				continue;
			*pte = new;
			narrowed += needs_flush(old, new);
		}
	}
	return narrowed;
}

int arch_pt_map_range(uint64_t root, uint64_t va, uint64_t npages, arch_frame_source source, void *ctx,
		      unsigned flags)
{
	uint64_t bits = leaf_bits(flags);
	uint64_t end = va + npages * PAGE_SIZE;
	uint64_t frames[ARCH_FRAME_BATCH];
	while (va < end) {
		uint64_t table_end = span_end(va, end);
		uint64_t *pte = walk(root, va, true);
		if (!pte)
			return -12;
		uint64_t table_phys = virt_to_phys_direct(pte) & PTE_ADDR;
		int added = 0;
		while (va < table_end) {
			uint64_t left = (table_end - va) / PAGE_SIZE;
			unsigned got = source(frames, left < ARCH_FRAME_BATCH ? (unsigned)left : ARCH_FRAME_BATCH, ctx);
			if (!got) {
				count_entry(table_phys, added);
				return -12;
			}
			for (unsigned i = 0; i < got; i++, va += PAGE_SIZE, pte++) {
				if (!(*pte & PTE_P))
					added++;
				*pte = frames[i] | bits;
			}
		}
		count_entry(table_phys, added);
	}
	return 0;
}

uint64_t arch_pt_map_absent(uint64_t root, uint64_t va, uint64_t npages, arch_frame_source source, void *ctx,
			    unsigned flags)
{
	uint64_t bits = leaf_bits(flags);
	uint64_t end = va + npages * PAGE_SIZE, mapped = 0, stop, *pte;
	uint64_t frames[ARCH_FRAME_BATCH];
	for (; (pte = next_leaf_run(root, &va, end, &stop)); va = stop) {
		uint64_t table_phys = virt_to_phys_direct(pte) & PTE_ADDR;
		uint64_t *last = pte + (stop - va) / PAGE_SIZE;
		while (pte < last) {
			if (*pte & PTE_P) {
				pte++;
				continue;
			}
			/* A stretch of absent entries, its frames asked for at once. */
			unsigned want = 0;
			while (pte + want < last && want < ARCH_FRAME_BATCH && !(pte[want] & PTE_P))
				want++;
			unsigned got = source(frames, want, ctx);
			for (unsigned i = 0; i < got; i++)
				*pte++ = frames[i] | bits;
			count_entry(table_phys, (int)got);
			mapped += got;
			if (got < want)
				return mapped;
		}
	}
	return mapped;
}

uint64_t arch_pt_kernel_root(void)
{
	return kernel_root;
}

uint64_t arch_pt_new_root(void)
{
	paddr_t root = pmm_alloc_zeroed_page();
	if (!root)
		return 0;
	pmm_page(root)->refcount = 0;
	/* The shared kernel half: same PDPTs in every space. */
	memcpy(table_virt(root) + 256, table_virt(kernel_root) + 256, 256 * sizeof(uint64_t));
	return root;
}

void arch_pt_destroy_root(uint64_t root)
{
	/* The caller unmapped every user page; whatever tables remain are empty shells. */
	uint64_t *pml4 = table_virt(root);
	uint64_t left4 = present_count(root);
	for (int k4 = 0; k4 < 256 && left4; k4++) {
		int i = both_ends(k4, 0, 255);
		if (!(pml4[i] & PTE_P))
			continue;
		left4--;
		uint64_t *pdpt = table_virt(pml4[i]);
		uint64_t left3 = present_count(pml4[i]);
		for (int k3 = 0; k3 < 512 && left3; k3++) {
			int j = both_ends(k3, 0, 511);
			if (!(pdpt[j] & PTE_P))
				continue;
			left3--;
			uint64_t *pd = table_virt(pdpt[j]);
			uint64_t left2 = present_count(pdpt[j]);
			for (int k2 = 0; k2 < 512 && left2; k2++) {
				int k = both_ends(k2, 0, 511);
				if (pd[k] & PTE_P) {
					left2--;
					pmm_free_page(pd[k] & PTE_ADDR);
				}
			}
			pmm_free_page(pdpt[j] & PTE_ADDR);
		}
		pmm_free_page(pml4[i] & PTE_ADDR);
	}
	pmm_free_page(root);
}

void arch_pt_switch(uint64_t root)
{
	if ((read_cr3() & PTE_ADDR) != root)
		write_cr3(root);
}

uint64_t arch_pt_current(void)
{
	return read_cr3() & PTE_ADDR;
}

void arch_tlb_flush_local(uint64_t start, uint64_t end)
{
	if ((end - start) / PAGE_SIZE > 64) {
		if (start < USER_MAX) {
			write_cr3(read_cr3()); /* cheaper than many invlpg; user mappings are not global */
		} else {
			/* Kernel-half mappings are global and survive a CR3 reload: toggling PGE drops them too. */
			uint64_t cr4 = read_cr4();
			write_cr4(cr4 & ~(1ULL << 7));
			write_cr4(cr4);
		}
		return;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static bool has_1g_pages(void)
{
	uint32_t a, b, c, d;
	cpuid(0x80000001u, 0, &a, &b, &c, &d);
	return (d >> 26) & 1;
}

/* Map [start, end) of the kernel image with @flags. */
static void map_kernel_span(uint64_t root, char *start, char *end, unsigned flags)
{
	uint64_t kphys = boot_info->kernel_phys;
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE)
		if (arch_pt_map(root, va, kphys + (va - BOOT_KERNEL_BASE), flags | ARCH_MAP_GLOBAL))
			panic("paging: out of memory mapping the kernel");
}

void arch_paging_init(uint64_t phys_end)
{
	paddr_t root = pmm_alloc_zeroed_page();
	if (!root)
		panic("paging: no memory for the kernel page tables");
	uint64_t *pml4 = table_virt(root);
	/* Pre-allocate every kernel-half PDPT so the half can be shared by copying PML4 entries. */
	for (int i = 256; i < 512; i++) {
		paddr_t pdpt = pmm_alloc_zeroed_page();
		if (!pdpt)
			panic("paging: no memory for the kernel page tables");
		pml4[i] = pdpt | PTE_P | PTE_W;
	}
	/* Direct map: 1 GiB pages where possible, else 2 MiB; global, non-executable. */
	phys_end = (phys_end + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
	bool gig = has_1g_pages();
	for (uint64_t pa = 0; pa < phys_end; pa += 1ULL << 30) {
		uint64_t va = BOOT_DIRECT_MAP_BASE + pa;
		uint64_t *pdpt = table_virt(pml4[(va >> 39) & 511]);
		uint64_t *e = &pdpt[(va >> 30) & 511];
		if (gig) {
			*e = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
			continue;
		}
		paddr_t pd = pmm_alloc_zeroed_page();
		if (!pd)
			panic("paging: no memory for the direct map");
		uint64_t *pdv = table_virt(pd);
		for (int i = 0; i < 512; i++)
			pdv[i] = (pa + ((uint64_t)i << 21)) | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
		*e = pd | PTE_P | PTE_W;
	}
	/* The kernel image, W^X by section. */
	map_kernel_span(root, __text_start, __rodata_start, ARCH_MAP_EXEC);
	map_kernel_span(root, __rodata_start, __data_start, 0);
	map_kernel_span(root, __data_start, __kernel_end, ARCH_MAP_WRITE);
	kernel_root = root;
	write_cr3(root);
	/* The loader's tables are unused from here on; flush global entries too. */
	uint64_t cr4 = read_cr4();
	write_cr4(cr4 & ~(1ULL << 7));
	write_cr4(cr4);
}

void arch_drop_identity_map(void)
{
	uint64_t *pml4 = (uint64_t *)(BOOT_DIRECT_MAP_BASE + (read_cr3() & PTE_ADDR));
	for (int i = 0; i < 256; i++)
		pml4[i] = 0;
	/*
	 * The identity and direct maps share leaf entries, which carry the global
	 * bit: toggling CR4.PGE is what flushes global translations too.
	 */
	uint64_t cr4 = read_cr4();
	write_cr4(cr4 & ~(1ULL << 7));
	write_cr4(cr4 | (1ULL << 7));
	/* Kernel text and rodata are read-only from here on, for the kernel too. */
	write_cr0(read_cr0() | (1u << 16));
}
