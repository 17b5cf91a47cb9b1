// SPDX-License-Identifier: MIT
// Memory: page allocator, heap, page tables, address spaces, demand faults,
// kernel stacks. Every test is bracketed by the runner's leak check (pages in
// use, heap bytes, spaces, regions, stacks equal before and after).
#include "arch/x86_64/arch.h"
#include "arch/x86_64/test/arch_test.h"
#include "kernel/abi/errno.h"
#include "kernel/exec/exec.h"
#include "kernel/lib/elf.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/kstack.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/test/ktest.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic per seed (ktest_seed), so a failure can be replayed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* ------------------------------------------------------------ page allocator */

KTEST(pmm, alloc_free_single)
{
	uint64_t free_before = pmm_free_pages_count();
	paddr_t p = pmm_alloc_page();
	KASSERT(p != 0);
	KEXPECT_EQ(p & (PAGE_SIZE - 1), 0);
	KEXPECT_EQ(pmm_free_pages_count(), free_before - 1);
	uint64_t *v = phys_to_virt(p);
	v[0] = 0x1234;
	v[511] = 0x5678;
	KEXPECT_EQ(v[0] + v[511], 0x1234 + 0x5678);
	pmm_free_page(p);
	KEXPECT_EQ(pmm_free_pages_count(), free_before);
}

KTEST(pmm, pages_distinct_and_managed)
{
	enum { N = 2000 };
	paddr_t *pages = kmalloc(N * sizeof(*pages));
	KASSERT(pages);
	for (int i = 0; i < N; i++) {
		pages[i] = pmm_alloc_page();
		KASSERT(pages[i]);
		KEXPECT(pmm_page(pages[i]) != NULL);
		KEXPECT(pages[i] >= 0x100000); /* low memory is kept back */
		*(uint64_t *)phys_to_virt(pages[i]) = (uint64_t)i;
	}
	for (int i = 0; i < N; i++)
		KEXPECT_EQ(*(uint64_t *)phys_to_virt(pages[i]), (uint64_t)i); /* no page handed out twice */
	for (int i = 0; i < N; i++)
		pmm_free_page(pages[i]);
	kfree(pages);
}

KTEST(pmm, orders_naturally_aligned)
{
	for (unsigned order = 0; order <= PMM_MAX_ORDER; order++) {
		paddr_t p = pmm_alloc_pages(order);
		KASSERT(p);
		KEXPECT_EQ(p & ((PAGE_SIZE << order) - 1), 0);
		/* The whole block is usable memory. */
		uint8_t *v = phys_to_virt(p);
		v[0] = 1;
		v[(PAGE_SIZE << order) - 1] = 2;
		pmm_free_pages(p, order);
	}
	KEXPECT_EQ(pmm_alloc_pages(PMM_MAX_ORDER + 1), 0);
}

KTEST(pmm, zeroed_page_is_zero)
{
	paddr_t p = pmm_alloc_page();
	KASSERT(p);
	memset(phys_to_virt(p), 0xa5, PAGE_SIZE);
	pmm_free_page(p);
	/* Likely the same page again from this CPU's cache: it must come back zeroed. */
	paddr_t q = pmm_alloc_zeroed_page();
	KASSERT(q);
	uint64_t *v = phys_to_virt(q);
	uint64_t acc = 0;
	for (int i = 0; i < 512; i++)
		acc |= v[i];
	KEXPECT_EQ(acc, 0);
	pmm_free_page(q);
}

/* Whether the page at @p reads zero in every word. */
static bool page_is_zero(paddr_t p)
{
	const uint64_t *v = phys_to_virt(p);
	uint64_t acc = 0;
	for (int i = 0; i < 512; i++)
		acc |= v[i];
	return acc == 0;
}

KTEST(pmm, zeroed_pool_pages_read_zero)
{
	enum { DIRTY = 64, TAKE = 2 * 1024 + DIRTY }; /* more than the pool holds: pooled and inline-zeroed pages */
	uint64_t free_before = pmm_free_pages_count();
	/* Dirty pages on top of this CPU's cache: what the pool is filled from. */
	paddr_t head = 0;
	for (int i = 0; i < DIRTY; i++) {
		paddr_t p = pmm_alloc_page();
		KASSERT(p);
		memset(phys_to_virt(p), 0x5a, PAGE_SIZE);
		*(paddr_t *)phys_to_virt(p) = head;
		head = p;
	}
	while (head) {
		paddr_t next = *(paddr_t *)phys_to_virt(head);
		pmm_free_page(head);
		head = next;
	}
	for (int i = 0; i < DIRTY; i++)
		(void)pmm_idle_zero(1); /* 0 when the pool is full or held off: then it is tested as it is */
	KEXPECT(pmm_zeroed_pool_pages() <= 1024);
	uint64_t nonzero = 0;
	for (int i = 0; i < TAKE; i++) {
		paddr_t p = pmm_alloc_zeroed_page();
		KASSERT(p);
		nonzero += !page_is_zero(p);
		*(paddr_t *)phys_to_virt(p) = head;
		head = p;
	}
	KEXPECT_EQ(nonzero, 0);
	while (head) {
		paddr_t next = *(paddr_t *)phys_to_virt(head);
		pmm_free_page(head);
		head = next;
	}
	KEXPECT_EQ(pmm_free_pages_count(), free_before);
	/* A drain empties the pool and holds the refill off, so that merges can happen. */
	pmm_drain_cpu_cache();
	KEXPECT_EQ(pmm_zeroed_pool_pages(), 0);
	KEXPECT_EQ(pmm_idle_zero(8), 0);
	KEXPECT_EQ(pmm_zeroed_pool_pages(), 0);
}

KTEST(pmm, fragmentation_then_merge)
{
	/* Take 1024 single pages, free every other one, then all: large blocks must form again. */
	enum { N = 1024 };
	paddr_t *pages = kmalloc(N * sizeof(*pages));
	KASSERT(pages);
	uint64_t free_before = pmm_free_pages_count();
	for (int i = 0; i < N; i++) {
		pages[i] = pmm_alloc_page();
		KASSERT(pages[i]);
	}
	for (int i = 0; i < N; i += 2)
		pmm_free_page(pages[i]);
	paddr_t big = pmm_alloc_pages(4);
	KEXPECT(big != 0);
	if (big)
		pmm_free_pages(big, 4);
	for (int i = 1; i < N; i += 2)
		pmm_free_page(pages[i]);
	pmm_drain_cpu_cache();
	KEXPECT_EQ(pmm_free_pages_count(), free_before);
	kfree(pages);
	paddr_t max = pmm_alloc_pages(PMM_MAX_ORDER);
	KEXPECT(max != 0);
	if (max)
		pmm_free_pages(max, PMM_MAX_ORDER);
}

static void drain_cpu(void *arg)
{
	pmm_drain_cpu_cache();
}

/* Give every CPU's cached free pages back to the shared lists, where any CPU can allocate them. */
static void drain_all_cpus(void)
{
	for (unsigned i = 0; i < arch_cpu_count(); i++)
		arch_run_on_cpu(i, drain_cpu, NULL, true);
}

/* Whether @p lies in the firmware's or the loader's code (BOOT_MEM_BOOT_CODE in the boot map). */
static bool boot_code_page(paddr_t p)
{
	for (uint64_t i = 0; i < boot_info->mem_map_count; i++) {
		const struct boot_mem_entry *e = &boot_mem_map[i];
		if (e->type == BOOT_MEM_BOOT_CODE && p >= e->base && p < e->base + e->npages * PAGE_SIZE)
			return true;
	}
	return false;
}

KTEST(pmm, exhaust_and_recover)
{
	/*
	 * Chain every free page through its own first word, hit the end, give
	 * all back. Pages that other CPUs free meanwhile (a dead thread's stack,
	 * the reaper) land in their own caches, out of this CPU's reach: drain
	 * them whenever the allocator runs dry, until a drain brings nothing.
	 */
	drain_all_cpus();
	uint64_t free_before = pmm_free_pages_count();
	/* The firmware's code pages come last: none is handed out while any is still held back. */
	uint64_t held = pmm_late_pages(), early_code = 0;
	paddr_t head = 0;
	uint64_t n = 0;
	for (bool drained = false;;) {
		paddr_t p = pmm_alloc_page();
		if (!p) {
			if (drained)
				break;
			drain_all_cpus();
			drained = true;
			continue;
		}
		if (held && pmm_late_pages() == held && boot_code_page(p))
			early_code++;
		drained = false;
		*(paddr_t *)phys_to_virt(p) = head;
		head = p;
		n++;
	}
	KEXPECT_EQ(pmm_free_pages_count(), 0);
	KEXPECT(n >= free_before); /* more if other CPUs freed pages meanwhile, never fewer */
	KEXPECT_EQ(early_code, 0);
	KEXPECT_EQ(pmm_late_pages(), 0); /* all handed over once nothing else was left */
	KEXPECT_EQ(pmm_alloc_pages(0), 0);
	while (head) {
		paddr_t next = *(paddr_t *)phys_to_virt(head);
		pmm_free_page(head);
		head = next;
	}
	KEXPECT_EQ(pmm_free_pages_count(), free_before);
}

KTEST(pmm, random_orders_stress)
{
	enum { SLOTS = 64 };
	paddr_t addr[SLOTS] = { 0 };
	unsigned order[SLOTS] = { 0 };
	uint64_t free_before = pmm_free_pages_count();
	rng_state = ktest_seed(0x9e3779b97f4a7c15ULL);
	for (int step = 0; step < 4000; step++) {
		int i = (int)(rng() % SLOTS);
		if (addr[i]) {
			KEXPECT_EQ(*(uint64_t *)phys_to_virt(addr[i]), addr[i] ^ order[i]);
			if (order[i] == 0)
				pmm_free_page(addr[i]);
			else
				pmm_free_pages(addr[i], order[i]);
			addr[i] = 0;
		} else {
			order[i] = (unsigned)(rng() % 6);
			addr[i] = order[i] ? pmm_alloc_pages(order[i]) : pmm_alloc_page();
			KASSERT(addr[i]);
			*(uint64_t *)phys_to_virt(addr[i]) = addr[i] ^ order[i];
		}
	}
	for (int i = 0; i < SLOTS; i++) {
		if (!addr[i])
			continue;
		if (order[i] == 0)
			pmm_free_page(addr[i]);
		else
			pmm_free_pages(addr[i], order[i]);
	}
	KEXPECT_EQ(pmm_free_pages_count(), free_before);
}

/* -------------------------------------------------------------------- heap */

KTEST(kmalloc, small_classes_aligned_and_distinct)
{
	static const size_t sizes[] = { 1, 8, 16, 17, 31, 64, 100, 255, 500, 1000, 2048 };
	void *ptrs[11];
	for (int i = 0; i < 11; i++) {
		ptrs[i] = kmalloc(sizes[i]);
		KASSERT(ptrs[i]);
		KEXPECT_EQ((uint64_t)ptrs[i] & 15, 0);
		memset(ptrs[i], i, sizes[i]);
	}
	for (int i = 0; i < 11; i++) {
		uint8_t *b = ptrs[i];
		KEXPECT(b[0] == i && b[sizes[i] - 1] == i);
	}
	for (int i = 0; i < 11; i++)
		kfree(ptrs[i]);
}

KTEST(kmalloc, large_allocations_page_aligned)
{
	static const size_t sizes[] = { 2049, 4096, 8192, 100000, 1 << 20 };
	for (int i = 0; i < 5; i++) {
		uint8_t *p = kmalloc(sizes[i]);
		KASSERT(p);
		KEXPECT_EQ((uint64_t)p & (PAGE_SIZE - 1), 0);
		p[0] = 1;
		p[sizes[i] - 1] = 2;
		kfree(p);
	}
}

KTEST(kmalloc, zero_size_and_null)
{
	KEXPECT(kmalloc(0) == NULL);
	kfree(NULL);
	uint8_t *z = kzalloc(300);
	KASSERT(z);
	uint8_t acc = 0;
	for (int i = 0; i < 300; i++)
		acc |= z[i];
	KEXPECT_EQ(acc, 0);
	kfree(z);
}

KTEST(kmalloc, many_objects_random_free_order)
{
	enum { N = 6000 };
	void **ptrs = kmalloc(N * sizeof(void *));
	KASSERT(ptrs);
	uint64_t bytes_before = kmalloc_bytes_in_use();
	rng_state = ktest_seed(12345);
	for (int i = 0; i < N; i++) {
		ptrs[i] = kmalloc(8 + rng() % 600);
		KASSERT(ptrs[i]);
		*(uint64_t *)ptrs[i] = (uint64_t)i;
	}
	/* Fisher-Yates shuffle, then free in that order. */
	for (int i = N - 1; i > 0; i--) {
		int j = (int)(rng() % (uint64_t)(i + 1));
		void *t = ptrs[i];
		ptrs[i] = ptrs[j];
		ptrs[j] = t;
	}
	for (int i = 0; i < N; i++)
		kfree(ptrs[i]);
	KEXPECT_EQ(kmalloc_bytes_in_use(), bytes_before);
	kfree(ptrs);
}

KTEST(kmalloc, freed_memory_poisoned)
{
	if (!kmalloc_debug)
		KTEST_SKIP("heap_debug not on the command line");
	uint64_t *p = kmalloc(64);
	KASSERT(p);
	memset(p, 0, 64);
	kfree(p);
	/* Bytes after the free-list link are poisoned (the page stays mapped: same slab). */
	KEXPECT_EQ(p[1], 0x6b6b6b6b6b6b6b6bULL);
	KEXPECT_EQ(p[7], 0x6b6b6b6b6b6b6b6bULL);
}

/* ------------------------------------------------------------- page tables */

KTEST(paging, map_query_unmap)
{
	uint64_t root = arch_pt_new_root();
	KASSERT(root);
	paddr_t frame = pmm_alloc_page();
	KASSERT(frame);
	uint64_t va = 0x0000123456789000ULL;
	KEXPECT_EQ(arch_pt_map(root, va, frame, ARCH_MAP_USER | ARCH_MAP_WRITE), 0);
	struct arch_mapping m;
	KASSERT(arch_pt_query(root, va + 0x123, &m));
	KEXPECT_EQ(m.phys, frame + 0x123);
	KEXPECT(m.user && m.writable && !m.executable);
	KEXPECT_EQ(m.page_size, PAGE_SIZE);
	KEXPECT(!arch_pt_query(root, va + PAGE_SIZE, &m));
	KEXPECT_EQ(arch_pt_protect_range(root, va, va + PAGE_SIZE, ARCH_MAP_USER | ARCH_MAP_EXEC), 1);
	KASSERT(arch_pt_query(root, va, &m));
	KEXPECT(!m.writable && m.executable);
	/* It counts the pages a TLB must forget: a right taken away, not the same rights or write gained. */
	KEXPECT_EQ(arch_pt_protect_range(root, va, va + PAGE_SIZE, ARCH_MAP_USER | ARCH_MAP_EXEC), 0);
	KEXPECT_EQ(arch_pt_protect_range(root, va, va + PAGE_SIZE, ARCH_MAP_USER), 1);
	KEXPECT_EQ(arch_pt_protect_range(root, va, va + PAGE_SIZE, ARCH_MAP_USER | ARCH_MAP_WRITE), 0);
	KASSERT(arch_pt_query(root, va, &m));
	KEXPECT(m.writable && !m.executable && m.phys == frame);
	KEXPECT_EQ(arch_pt_protect_range(root, va, va + PAGE_SIZE, ARCH_MAP_USER), 1);
	KEXPECT_EQ(arch_pt_unmap_range(root, va, va + PAGE_SIZE, NULL, NULL), 1);
	KEXPECT(!arch_pt_query(root, va, &m));
	pmm_free_page(frame);
	arch_pt_destroy_root(root);
}

KTEST(paging, empty_tables_freed)
{
	uint64_t root = arch_pt_new_root();
	KASSERT(root);
	uint64_t free_before = pmm_free_pages_count();
	paddr_t frame = pmm_alloc_page();
	KASSERT(frame);
	/* Far apart: each needs its own PDPT, PD and PT. */
	KEXPECT_EQ(arch_pt_map(root, 0x0000010000000000ULL, frame, ARCH_MAP_USER), 0);
	KEXPECT_EQ(arch_pt_map(root, 0x0000020000000000ULL, frame, ARCH_MAP_USER), 0);
	KEXPECT_EQ(pmm_free_pages_count(), free_before - 1 - 6);
	arch_pt_unmap_range(root, 0x0000010000000000ULL, 0x0000010000001000ULL, NULL, NULL);
	KEXPECT_EQ(pmm_free_pages_count(), free_before - 1 - 3);
	arch_pt_unmap_range(root, 0x0000020000000000ULL, 0x0000020000001000ULL, NULL, NULL);
	KEXPECT_EQ(pmm_free_pages_count(), free_before - 1);
	pmm_free_page(frame);
	arch_pt_destroy_root(root);
}

static uint64_t va_of(uint64_t i4, uint64_t i3, uint64_t i2, uint64_t i1)
{
	return i4 << 39 | i3 << 30 | i2 << 21 | i1 << 12;
}

/*
 * The teardown walks (the W^X count, freeing the tables) look at a table's
 * present entries only, from both ends, and stop when its count is seen:
 * entries in the middle of tables, at both ends and beside others must all
 * be found, and every table freed.
 */
KTEST(paging, walks_find_entries_anywhere_in_a_table)
{
	uint64_t root = arch_pt_new_root();
	KASSERT(root);
	uint64_t free_before = pmm_free_pages_count();
	paddr_t frame = pmm_alloc_page();
	KASSERT(frame);
	const uint64_t wx[][4] = { { 0, 0, 3, 7 }, { 0, 0, 3, 250 }, { 100, 257, 300, 511 }, { 255, 511, 511, 0 },
				   { 255, 511, 511, 300 }, { 37, 200, 0, 256 } };
	const uint64_t plain[][4] = { { 0, 0, 3, 100 }, { 100, 257, 300, 5 }, { 37, 44, 55, 66 }, { 255, 511, 511, 511 } };
	for (unsigned i = 0; i < sizeof(wx) / sizeof(wx[0]); i++)
		KEXPECT_EQ(arch_pt_map(root, va_of(wx[i][0], wx[i][1], wx[i][2], wx[i][3]), frame,
				       ARCH_MAP_USER | ARCH_MAP_WRITE | ARCH_MAP_EXEC), 0);
	for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		KEXPECT_EQ(arch_pt_map(root, va_of(plain[i][0], plain[i][1], plain[i][2], plain[i][3]), frame,
				       ARCH_MAP_USER | ARCH_MAP_WRITE), 0);
	KEXPECT_EQ(arch_pt_count_user_wx(root), 6);
	uint64_t va = va_of(0, 0, 3, 250);
	KEXPECT_EQ(arch_pt_unmap_range(root, va, va + PAGE_SIZE, NULL, NULL), 1);
	KEXPECT_EQ(arch_pt_count_user_wx(root), 5);
	/* Tables still full of entries: destroying the root frees every one of them. */
	arch_pt_destroy_root(root);
	KEXPECT_EQ(pmm_free_pages_count(), free_before);
	pmm_free_page(frame);
}

/* A frame source that gives at most 7 frames a call: the mapping must come back for the rest. */
static unsigned seven_frames(uint64_t *out, unsigned max, void *ctx)
{
	unsigned n = max < 7 ? max : 7;
	(*(uint64_t *)ctx)++;
	for (unsigned i = 0; i < n; i++)
		if (!(out[i] = pmm_alloc_page()))
			return i;
	return n;
}

struct sink_count {
	uint64_t frames, calls;
	unsigned largest;
};

static void free_frames_cb(const uint64_t *frames, unsigned n, void *ctx)
{
	struct sink_count *c = ctx;
	c->frames += n;
	c->calls++;
	if (n > c->largest)
		c->largest = n;
	for (unsigned i = 0; i < n; i++)
		pmm_free_page(frames[i]);
}

KTEST(paging, range_across_table_boundary)
{
	uint64_t root = arch_pt_new_root();
	KASSERT(root);
	/* 256 pages straddling a 2 MiB boundary: two leaf tables. */
	uint64_t va = 0x40000000ULL - 100 * PAGE_SIZE;
	uint64_t asked = 0;
	KEXPECT_EQ(arch_pt_map_range(root, va, 256, seven_frames, &asked, ARCH_MAP_USER | ARCH_MAP_WRITE), 0);
	/* 100 pages in the first table, 156 in the second, 7 a call: 15 + 23 calls. */
	KEXPECT_EQ(asked, 15 + 23);
	struct arch_mapping m;
	for (int i = 0; i < 256; i += 51)
		KEXPECT(arch_pt_query(root, va + i * PAGE_SIZE, &m));
	KEXPECT(arch_pt_query(root, va + 99 * PAGE_SIZE, &m) && arch_pt_query(root, va + 100 * PAGE_SIZE, &m));
	KEXPECT(!arch_pt_query(root, va - PAGE_SIZE, &m));
	KEXPECT(!arch_pt_query(root, va + 256 * PAGE_SIZE, &m));
	struct sink_count freed = { 0 };
	KEXPECT_EQ(arch_pt_unmap_range(root, va, va + 256 * PAGE_SIZE, free_frames_cb, &freed), 256);
	KEXPECT_EQ(freed.frames, 256);
	KEXPECT_EQ(freed.largest, ARCH_FRAME_BATCH);
	KEXPECT_EQ(freed.calls, 4);
	arch_pt_destroy_root(root);
}

KTEST(paging, direct_map_uses_huge_pages)
{
	struct arch_mapping m;
	paddr_t p = pmm_alloc_page();
	KASSERT(p);
	KASSERT(arch_query_mapping((uint64_t)phys_to_virt(p), &m));
	KEXPECT(m.page_size == (1ULL << 30) || m.page_size == (2ULL << 20));
	KEXPECT(m.global && m.writable && !m.executable && !m.user);
	KEXPECT_EQ(m.phys, p);
	pmm_free_page(p);
}

/* ---------------------------------------------------------- address spaces */

/* Read/write user memory of the active space from the kernel, faults recovered. */
static int uread(uint64_t va, uint64_t *out)
{
	arch_user_access_begin();
	int r = arch_probe_read64(va, out);
	arch_user_access_end();
	return r;
}

static int uwrite(uint64_t va, uint64_t value)
{
	arch_user_access_begin();
	int r = arch_probe_write64(va, value);
	arch_user_access_end();
	return r;
}

KTEST(vmm, create_destroy)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	KEXPECT_EQ(s->nregions, 0);
	vm_space_destroy(s);
}

KTEST(vmm, demand_zero)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t addr;
	KASSERT(vm_map(s, 0, 8 * PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, 0, &addr) == 0);
	KEXPECT_EQ(addr, USER_MIN);
	KEXPECT_EQ(s->resident, 0); /* nothing allocated before a touch */
	vm_space_activate(s);
	uint64_t v = 1;
	KEXPECT_EQ(uread(addr + 3 * PAGE_SIZE + 8, &v), 0);
	KEXPECT_EQ(v, 0);
	KEXPECT_EQ(s->resident, 1);
	KEXPECT_EQ(uwrite(addr + 5 * PAGE_SIZE, 0xfeedULL), 0);
	KEXPECT_EQ(uread(addr + 5 * PAGE_SIZE, &v), 0);
	KEXPECT_EQ(v, 0xfeedULL);
	KEXPECT_EQ(s->resident, 2);
	/* Outside the region: no page appears. */
	KEXPECT_EQ(uread(addr + 8 * PAGE_SIZE, &v), -14);
	KEXPECT_EQ(s->resident, 2);
	vm_space_activate(NULL);
	vm_space_destroy(s);
}

KTEST(vmm, smap_blocks_plain_kernel_access)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t addr, v;
	KASSERT(vm_map(s, 0, PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_POPULATE, &addr) == 0);
	vm_space_activate(s);
	/* Without the user-access window the kernel must not touch user pages (SMAP). */
	int r = arch_probe_read64(addr, &v);
	KEXPECT_EQ(r, -14);
	KEXPECT_EQ(uread(addr, &v), 0);
	vm_space_activate(NULL);
	vm_space_destroy(s);
}

/* The W^X walk run at every address-space teardown can see a W+X user page, and the VM layer never makes one. */
KTEST(vmm, wx_walk_finds_writable_executable_pages)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a, b;
	KASSERT(vm_map(s, 0, 4 * PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_POPULATE, &a) == 0);
	KASSERT(vm_map(s, 0, 2 * PAGE_SIZE, VM_READ | VM_EXEC, VM_ANON_ZERO, VM_POPULATE, &b) == 0);
	KEXPECT_EQ(arch_pt_count_user_wx(s->root), 0);
	/* W^X in the VM layer: a write-and-execute region's pages are never both (see vmm.h). */
	uint64_t c;
	KEXPECT_EQ(vm_map(s, 0, 2 * PAGE_SIZE, VM_READ | VM_WRITE | VM_EXEC, VM_ANON_ZERO, VM_POPULATE, &c), 0);
	KEXPECT_EQ(vm_protect(s, a, PAGE_SIZE, VM_READ | VM_WRITE | VM_EXEC), 0);
	KEXPECT_EQ(vm_protect(s, b, PAGE_SIZE, VM_READ | VM_WRITE | VM_EXEC), 0);
	KEXPECT_EQ(arch_pt_count_user_wx(s->root), 0);
	/* Plant one behind the VM layer's back: the walk must see it. */
	paddr_t frame = pmm_alloc_zeroed_page();
	KASSERT(frame);
	uint64_t va = a + 8 * PAGE_SIZE;
	KASSERT(arch_pt_map(s->root, va, frame, ARCH_MAP_USER | ARCH_MAP_WRITE | ARCH_MAP_EXEC) == 0);
	KEXPECT_EQ(arch_pt_count_user_wx(s->root), 1);
	arch_pt_unmap_range(s->root, va, va + PAGE_SIZE, NULL, NULL);
	pmm_free_page(frame);
	KEXPECT_EQ(arch_pt_count_user_wx(s->root), 0);
	vm_space_destroy(s);
}

/* Device memory (/dev/fb/0/buffer): mapped on touch, shared with its frame, never freed by an unmap. */
KTEST(vmm, device_region_maps_frames_it_does_not_own)
{
	paddr_t frame = pmm_alloc_zeroed_page();
	KASSERT(frame);
	*(uint64_t *)phys_to_virt(frame + 16) = 0xfb0fb0ULL;
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a, v = 0;
	KEXPECT_EQ(vm_map_device(s, 0, frame, 1, VM_READ | VM_WRITE | VM_EXEC, 0, &a), -EINVAL);
	KEXPECT_EQ(vm_map_device(s, 0, frame + 8, 1, VM_READ, 0, &a), -EINVAL);
	KEXPECT_EQ(vm_map_device(s, 0, frame, 0, VM_READ, 0, &a), -EINVAL);
	KASSERT(vm_map_device(s, 0, frame, 1, VM_READ | VM_WRITE, 0, &a) == 0);
	KEXPECT_EQ(s->resident, 0);
	vm_space_activate(s);
	KEXPECT_EQ(uread(a + 16, &v), 0);
	KEXPECT_EQ(v, 0xfb0fb0ULL);
	KEXPECT_EQ(uwrite(a + 24, 0x5eedULL), 0);
	KEXPECT_EQ(*(uint64_t *)phys_to_virt(frame + 24), 0x5eedULL);
	struct arch_mapping m;
	KEXPECT(arch_pt_query(s->root, a, &m) && m.phys == frame && m.writable && !m.executable);
	/* Read-only and back: the page keeps its frame (region_flags keeps the memory type too). */
	KEXPECT_EQ(vm_protect(s, a, PAGE_SIZE, VM_READ), 0);
	KEXPECT(arch_pt_query(s->root, a, &m) && m.phys == frame && !m.writable);
	KEXPECT_EQ(vm_protect(s, a, PAGE_SIZE, VM_READ | VM_WRITE), 0);
	KEXPECT_EQ(uwrite(a + 32, 7), 0);
	/*
	 * Unmapping frees nothing: the frame is the device's. (Had it been
	 * freed, the pmm_free_page at the end would free it twice and the
	 * runner's leak check of pages in use would fail.)
	 */
	KEXPECT_EQ(vm_unmap(s, a, PAGE_SIZE), 0);
	KEXPECT_EQ(*(uint64_t *)phys_to_virt(frame + 32), 7);
	/* And an address space that ends with the mapping in place frees nothing either. */
	KASSERT(vm_map_device(s, 0, frame, 1, VM_READ, 0, &a) == 0);
	KEXPECT_EQ(uread(a + 16, &v), 0);
	vm_space_activate(NULL);
	vm_space_destroy(s);
	KEXPECT_EQ(*(uint64_t *)phys_to_virt(frame + 16), 0xfb0fb0ULL);
	pmm_free_page(frame);
}

KTEST(vmm, anon_one_and_populate)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t addr, v = 0;
	KASSERT(vm_map(s, 0, 3 * PAGE_SIZE + 1, VM_READ, VM_ANON_ONE, VM_POPULATE, &addr) == 0);
	KEXPECT_EQ(s->resident, 4); /* rounded up to pages, all populated */
	vm_space_activate(s);
	KEXPECT_EQ(uread(addr + 3 * PAGE_SIZE + 4088, &v), 0);
	KEXPECT_EQ(v, ~0ULL);
	/* Read-only: a write fails and changes nothing. */
	KEXPECT_EQ(uwrite(addr, 0), -14);
	KEXPECT_EQ(uread(addr, &v), 0);
	KEXPECT_EQ(v, ~0ULL);
	vm_space_activate(NULL);
	vm_space_destroy(s);
}

/* Whether @va has a page-table entry in @s. */
static bool mapped_at(struct vm_space *s, uint64_t va)
{
	struct arch_mapping m;
	return arch_pt_query(s->root, va, &m);
}

KTEST(vmm, fault_around_stays_in_its_region)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	const uint64_t block = FAULT_AROUND_PAGES * PAGE_SIZE;
	/* Region A: 1.5 blocks, starting on a block; region B (no fault-around) right after it. */
	uint64_t a = (USER_MIN + 2 * block) & ~(block - 1), a_end = a + block + block / 2, got, v = 1;
	KASSERT(vm_map(s, a, a_end - a, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_FIXED | VM_FAULT_AROUND, &got) == 0);
	KASSERT(vm_map(s, a_end, block, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_FIXED, &got) == 0);
	KEXPECT_EQ(s->resident, 0);
	vm_space_activate(s);
	/* A fault in A's second, clipped block maps that block up to A's end, and nothing of B. */
	KEXPECT_EQ(uwrite(a_end - PAGE_SIZE, 7), 0);
	KEXPECT_EQ(s->resident, FAULT_AROUND_PAGES / 2);
	for (uint64_t va = a + block; va < a_end; va += PAGE_SIZE)
		KEXPECT(mapped_at(s, va));
	KEXPECT(!mapped_at(s, a_end));
	KEXPECT(!mapped_at(s, a + block - PAGE_SIZE));
	/* Every page it mapped reads zero. */
	for (uint64_t va = a + block; va < a_end - PAGE_SIZE; va += PAGE_SIZE) {
		KEXPECT_EQ(uread(va + 8, &v), 0);
		KEXPECT_EQ(v, 0);
	}
	/* A write on a page mapped around an earlier fault keeps the page: no new one. */
	KEXPECT_EQ(uwrite(a + block, 5), 0);
	KEXPECT_EQ(s->resident, FAULT_AROUND_PAGES / 2);
	/* B maps what is touched, one page. */
	KEXPECT_EQ(uread(a_end + PAGE_SIZE, &v), 0);
	KEXPECT_EQ(s->resident, FAULT_AROUND_PAGES / 2 + 1);
	KEXPECT(!mapped_at(s, a_end));
	/* The first block of A, from a fault in its middle. */
	KEXPECT_EQ(uread(a + 3 * PAGE_SIZE, &v), 0);
	KEXPECT_EQ(v, 0);
	KEXPECT_EQ(s->resident, FAULT_AROUND_PAGES + FAULT_AROUND_PAGES / 2 + 1);
	KEXPECT(mapped_at(s, a) && mapped_at(s, a + block - PAGE_SIZE));
	KEXPECT(!mapped_at(s, a - PAGE_SIZE));
	/* Unmapped, all of it faults again. */
	KEXPECT_EQ(vm_unmap(s, a, a_end + block - a), 0);
	KEXPECT_EQ(s->resident, 0);
	KEXPECT_EQ(uread(a + block, &v), -14);
	vm_space_activate(NULL);
	vm_space_destroy(s);
}

KTEST(vmm, fault_around_grows_in_order)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	const uint64_t F = FAULT_AROUND_PAGES;
	uint64_t a = (USER_MIN + (2ULL << 20)) & ~((2ULL << 20) - 1), got, v = 1;
	KASSERT(vm_map(s, a, 4096 * PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_FIXED | VM_FAULT_AROUND, &got) == 0);
	vm_space_activate(s);
	/* In order: a block, then twice as many pages from where it ended, and so on. */
	KEXPECT_EQ(uwrite(a, 1), 0);
	KEXPECT_EQ(s->resident, F);
	KEXPECT_EQ(uwrite(a + F * PAGE_SIZE, 1), 0);
	KEXPECT_EQ(s->resident, F + 2 * F);
	KEXPECT(mapped_at(s, a + (3 * F - 1) * PAGE_SIZE) && !mapped_at(s, a + 3 * F * PAGE_SIZE));
	KEXPECT_EQ(uwrite(a + 3 * F * PAGE_SIZE, 1), 0);
	KEXPECT_EQ(s->resident, 7 * F);
	/* Out of order: one aligned block again; and the page after it starts no doubling. */
	uint64_t far = a + 2048 * PAGE_SIZE + 5 * PAGE_SIZE;
	KEXPECT_EQ(uread(far, &v), 0);
	KEXPECT_EQ(v, 0);
	KEXPECT_EQ(s->resident, 8 * F);
	KEXPECT(mapped_at(s, a + 2048 * PAGE_SIZE) && !mapped_at(s, a + (2048 + F) * PAGE_SIZE));
	KEXPECT_EQ(uwrite(a + 7 * F * PAGE_SIZE + 3 * PAGE_SIZE, 1), 0);
	KEXPECT_EQ(s->resident, 9 * F);
	/* Never more than FAULT_AROUND_MAX_PAGES at a fault, nor past the region's end. */
	uint64_t next = a + 8 * F * PAGE_SIZE, before = s->resident;
	for (int i = 0; i < 8 && next < a + 4096 * PAGE_SIZE; i++) {
		KEXPECT_EQ(uwrite(next, 1), 0);
		KEXPECT(s->resident - before <= FAULT_AROUND_MAX_PAGES);
		before = s->resident;
		while (next < a + 4096 * PAGE_SIZE && mapped_at(s, next))
			next += PAGE_SIZE;
	}
	KEXPECT(!mapped_at(s, a + 4096 * PAGE_SIZE));
	KEXPECT_EQ(uread(a + 4095 * PAGE_SIZE, &v), 0);
	KEXPECT_EQ(v, 0);
	KEXPECT_EQ(vm_unmap(s, a, 4096 * PAGE_SIZE), 0);
	KEXPECT_EQ(s->resident, 0);
	vm_space_activate(NULL);
	vm_space_destroy(s);
}

KTEST(vmm, fixed_map_replaces_and_splits)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a, b, v;
	KASSERT(vm_map(s, 0, 10 * PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_POPULATE, &a) == 0);
	vm_space_activate(s);
	KEXPECT_EQ(uwrite(a + 4 * PAGE_SIZE, 77), 0);
	/* Unaligned fixed address: rounded down to its page; every touched page (4, 5, 6) is covered. */
	KASSERT(vm_map(s, a + 4 * PAGE_SIZE + 123, 2 * PAGE_SIZE, VM_READ, VM_ANON_ONE, VM_FIXED, &b) == 0);
	KEXPECT_EQ(b, a + 4 * PAGE_SIZE);
	KEXPECT_EQ(s->nregions, 3);
	KEXPECT_EQ(uread(a + 4 * PAGE_SIZE, &v), 0);
	KEXPECT_EQ(v, ~0ULL); /* new contents, old page gone */
	struct vm_region r;
	KASSERT(vm_query(s, a + 7 * PAGE_SIZE, &r));
	KEXPECT_EQ(r.start, a + 7 * PAGE_SIZE);
	KEXPECT_EQ(r.end, a + 10 * PAGE_SIZE);
	KEXPECT_EQ(r.prot, VM_READ | VM_WRITE);
	KEXPECT_EQ(s->resident, 7 + 1); /* 10 - 3 replaced, plus the new page just read */
	vm_space_activate(NULL);
	vm_space_destroy(s);
}

KTEST(vmm, unmap_subrange_and_holes)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a, v;
	uint64_t free_before = pmm_free_pages_count();
	KASSERT(vm_map(s, 0, 16 * PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_POPULATE, &a) == 0);
	KEXPECT_EQ(vm_unmap(s, a + 4 * PAGE_SIZE, 4 * PAGE_SIZE), 0);
	KEXPECT_EQ(s->nregions, 2);
	KEXPECT_EQ(s->resident, 12);
	/* Across the hole: holes are skipped. */
	KEXPECT_EQ(vm_unmap(s, a + 2 * PAGE_SIZE, 8 * PAGE_SIZE), 0);
	KEXPECT_EQ(s->resident, 8);
	KEXPECT_EQ(s->nregions, 2);
	vm_space_activate(s);
	KEXPECT_EQ(uread(a + 5 * PAGE_SIZE, &v), -14);
	KEXPECT_EQ(uread(a + PAGE_SIZE, &v), 0);
	KEXPECT_EQ(uread(a + 10 * PAGE_SIZE, &v), 0);
	vm_space_activate(NULL);
	KEXPECT_EQ(vm_unmap(s, a, 16 * PAGE_SIZE), 0);
	KEXPECT_EQ(s->nregions, 0);
	KEXPECT_EQ(s->resident, 0);
	/* Pages and page tables all came back (the root page stays until destroy). */
	KEXPECT_EQ(pmm_free_pages_count(), free_before);
	vm_space_destroy(s);
}

KTEST(vmm, protect_splits_and_enforces)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a, v;
	KASSERT(vm_map(s, 0, 8 * PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_POPULATE, &a) == 0);
	vm_space_activate(s);
	KEXPECT_EQ(uwrite(a + 3 * PAGE_SIZE, 5), 0);
	KEXPECT_EQ(vm_protect(s, a + 2 * PAGE_SIZE, 3 * PAGE_SIZE, VM_READ), 0);
	KEXPECT_EQ(s->nregions, 3);
	KEXPECT_EQ(uwrite(a + 3 * PAGE_SIZE, 6), -14); /* the TLB forgot the writable entry */
	KEXPECT_EQ(uread(a + 3 * PAGE_SIZE, &v), 0);
	KEXPECT_EQ(v, 5);
	KEXPECT_EQ(uwrite(a + 5 * PAGE_SIZE, 6), 0);
	/* Back to RW: the regions merge again. */
	KEXPECT_EQ(vm_protect(s, a + 2 * PAGE_SIZE, 3 * PAGE_SIZE, VM_READ | VM_WRITE), 0);
	KEXPECT_EQ(s->nregions, 1);
	KEXPECT_EQ(uwrite(a + 3 * PAGE_SIZE, 7), 0);
	vm_space_activate(NULL);
	vm_space_destroy(s);
}

KTEST(vmm, protect_partially_mapped_changes_nothing)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a;
	KASSERT(vm_map(s, 0, 4 * PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, 0, &a) == 0);
	KEXPECT_EQ(vm_protect(s, a + 2 * PAGE_SIZE, 4 * PAGE_SIZE, VM_READ), -ENOENT);
	struct vm_region r;
	KASSERT(vm_query(s, a + 3 * PAGE_SIZE, &r));
	KEXPECT_EQ(r.prot, VM_READ | VM_WRITE);
	KEXPECT_EQ(r.start, a);
	KEXPECT_EQ(s->nregions, 1);
	KEXPECT_EQ(vm_protect(s, a, PAGE_SIZE, 0), -EINVAL);
	KEXPECT_EQ(vm_protect(s, a, PAGE_SIZE, 8 | VM_READ), -EINVAL);                /* unknown bit */
	vm_space_destroy(s);
}

/* A write-and-execute region (an RWX segment): each page is in one view at a time, switched by faults. */
KTEST(vmm, wx_region_switches_views_on_faults)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a;
	KASSERT(vm_map(s, 0, 2 * PAGE_SIZE, VM_READ | VM_WRITE | VM_EXEC, VM_ANON_ZERO, VM_POPULATE, &a) == 0);
	struct arch_mapping m;
	KASSERT(arch_pt_query(s->root, a, &m));
	KEXPECT(m.writable && !m.executable); /* the write view first */
	KEXPECT_EQ(vm_fault(s, a, MM_FAULT_PRESENT | MM_FAULT_EXEC | MM_FAULT_USER, 0, true), 0);
	KASSERT(arch_pt_query(s->root, a, &m));
	KEXPECT(!m.writable && m.executable);
	KEXPECT_EQ(vm_fault(s, a + 8, MM_FAULT_PRESENT | MM_FAULT_WRITE | MM_FAULT_USER, 0, true), 0);
	KASSERT(arch_pt_query(s->root, a, &m));
	KEXPECT(m.writable && !m.executable);
	/* The other page was never fetched from: still the write view. */
	KASSERT(arch_pt_query(s->root, a + PAGE_SIZE, &m));
	KEXPECT(m.writable && !m.executable);
	KEXPECT_EQ(arch_pt_count_user_wx(s->root), 0);
	/* A region without execute rights is not switched: a fetch there is a fault. */
	uint64_t d;
	KASSERT(vm_map(s, 0, PAGE_SIZE, VM_READ | VM_WRITE, VM_ANON_ZERO, VM_POPULATE, &d) == 0);
	KEXPECT_EQ(vm_fault(s, d, MM_FAULT_PRESENT | MM_FAULT_EXEC | MM_FAULT_USER, 0, true), -EFAULT);
	vm_space_destroy(s);
}

KTEST(vmm, invalid_arguments)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a = 0;
	KEXPECT_EQ(vm_map(s, 0, 0, VM_READ, VM_ANON_ZERO, 0, &a), -EINVAL);
	KEXPECT_EQ(vm_map(s, 0, PAGE_SIZE, VM_WRITE, VM_ANON_ZERO, 0, &a), -EINVAL);
	KEXPECT_EQ(vm_map(s, 0x1000, PAGE_SIZE, VM_READ, VM_ANON_ZERO, VM_FIXED, &a), -EINVAL);
	KEXPECT_EQ(vm_map(s, USER_MAX - PAGE_SIZE, 2 * PAGE_SIZE, VM_READ, VM_ANON_ZERO, VM_FIXED, &a), -EINVAL);
	KEXPECT_EQ(vm_map(s, 0xFFFFFFFF80000000ULL, PAGE_SIZE, VM_READ, VM_ANON_ZERO, VM_FIXED, &a), -EINVAL);
	KEXPECT_EQ(vm_map(s, 0, USER_MAX, VM_READ, VM_ANON_ZERO, 0, &a), -ENOMEM);
	KEXPECT_EQ(vm_unmap(s, 0, PAGE_SIZE), -EINVAL);
	KEXPECT_EQ(vm_unmap(s, USER_MIN, ~0ULL), -EINVAL);
	KEXPECT_EQ(s->nregions, 0);
	vm_space_destroy(s);
}

KTEST(vmm, first_fit_reuses_gaps)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	uint64_t a, b, c, d;
	KASSERT(vm_map(s, 0, 4 * PAGE_SIZE, VM_READ, VM_ANON_ZERO, 0, &a) == 0);
	KASSERT(vm_map(s, 0, 4 * PAGE_SIZE, VM_READ, VM_ANON_ZERO, 0, &b) == 0);
	KEXPECT_EQ(b, a + 4 * PAGE_SIZE);
	KEXPECT_EQ(vm_unmap(s, a, 4 * PAGE_SIZE), 0);
	KASSERT(vm_map(s, 0, 8 * PAGE_SIZE, VM_READ, VM_ANON_ZERO, 0, &c) == 0);
	KEXPECT_EQ(c, b + 4 * PAGE_SIZE); /* too big for the gap */
	KASSERT(vm_map(s, 0, 2 * PAGE_SIZE, VM_READ, VM_ANON_ZERO, 0, &d) == 0);
	KEXPECT_EQ(d, a); /* fits the gap */
	vm_space_destroy(s);
}

/*
 * Seeded random map/unmap/protect over a 64-page window, checked after every
 * step against a model of what each page should be: unmapped, or mapped with a
 * protection and a known content (0, 0xFF.., or what was last written).
 */
#define WIN_PAGES 64
struct page_model {
	bool mapped;
	unsigned prot;
	uint64_t value; /* first word */
};

KTEST(vmm, random_model_stress)
{
	struct vm_space *s = vm_space_create();
	KASSERT(s);
	vm_space_activate(s);
	static struct page_model model[WIN_PAGES];
	memset(model, 0, sizeof(model));
	uint64_t base = USER_MIN + 0x100000;
	rng_state = ktest_seed(0xc0ffee);
	for (int step = 0; step < 600 && !ctx->failed; step++) {
		uint64_t first = rng() % WIN_PAGES;
		uint64_t n = 1 + rng() % (WIN_PAGES - first);
		uint64_t va = base + first * PAGE_SIZE;
		switch (rng() % 4) {
		case 0: { /* fixed map, zero or one */
			bool one = rng() & 1;
			unsigned prot = (rng() & 1) ? VM_READ : VM_READ | VM_WRITE;
			uint64_t got;
			KASSERT(vm_map(s, va, n * PAGE_SIZE, prot, one ? VM_ANON_ONE : VM_ANON_ZERO, VM_FIXED, &got) == 0);
			KEXPECT_EQ(got, va);
			for (uint64_t i = first; i < first + n; i++)
				model[i] = (struct page_model){ true, prot, one ? ~0ULL : 0 };
			break;
		}
		case 1:
			KASSERT(vm_unmap(s, va, n * PAGE_SIZE) == 0);
			for (uint64_t i = first; i < first + n; i++)
				model[i].mapped = false;
			break;
		case 2: {
			unsigned prot = (rng() & 1) ? VM_READ : VM_READ | VM_WRITE;
			bool all = true;
			for (uint64_t i = first; i < first + n; i++)
				all &= model[i].mapped;
			KEXPECT_EQ(vm_protect(s, va, n * PAGE_SIZE, prot), all ? 0 : -ENOENT);
			if (all)
				for (uint64_t i = first; i < first + n; i++)
					model[i].prot = prot;
			break;
		}
		case 3: { /* write one page */
			uint64_t value = rng();
			int expect = model[first].mapped && (model[first].prot & VM_WRITE) ? 0 : -14;
			KEXPECT_EQ(uwrite(va, value), expect);
			if (expect == 0)
				model[first].value = value;
			break;
		}
		}
		/* Check every page of the window against the model. */
		for (uint64_t i = 0; i < WIN_PAGES; i++) {
			uint64_t v = 0;
			int r = uread(base + i * PAGE_SIZE, &v);
			if (model[i].mapped) {
				KEXPECT_EQ(r, 0);
				KEXPECT_EQ(v, model[i].value);
			} else {
				KEXPECT_EQ(r, -14);
			}
		}
	}
	vm_space_activate(NULL);
	vm_space_destroy(s);
}

/* ----------------------------------------------------------- kernel stacks */

KTEST(kstack, guard_page_and_reuse)
{
	kstack_cache_drain();
	uint64_t bottom = kstack_alloc();
	KASSERT(bottom);
	uint64_t v;
	KEXPECT_EQ(arch_probe_write64(bottom, 1), 0);
	KEXPECT_EQ(arch_probe_write64(bottom + KSTACK_PAGES * PAGE_SIZE - 8, 2), 0);
	KEXPECT_EQ(arch_probe_read64(bottom - 8, &v), -14); /* guard */
	kstack_free(bottom);
	/* Cached: still mapped, and the next allocation takes it. */
	KEXPECT_EQ(kstack_cached_pages(), KSTACK_PAGES);
	KEXPECT_EQ(arch_probe_read64(bottom, &v), 0);
	KEXPECT_EQ(kstack_alloc(), bottom);
	KEXPECT_EQ(kstack_cached_pages(), 0);
	/* One more freed stack than the cache holds: that one is unmapped at once. */
	uint64_t b[KSTACK_CACHE + 1];
	b[0] = bottom;
	for (int i = 1; i <= KSTACK_CACHE; i++) {
		b[i] = kstack_alloc();
		KASSERT(b[i]);
	}
	for (int i = 0; i <= KSTACK_CACHE; i++)
		kstack_free(b[i]);
	KEXPECT_EQ(kstack_cached_pages(), KSTACK_CACHE * KSTACK_PAGES);
	KEXPECT_EQ(arch_probe_read64(b[0], &v), 0);
	KEXPECT_EQ(arch_probe_read64(b[KSTACK_CACHE], &v), -14);
	/* Draining unmaps the cached ones too. */
	kstack_cache_drain();
	KEXPECT_EQ(kstack_cached_pages(), 0);
	for (int i = 0; i < KSTACK_CACHE; i++)
		KEXPECT_EQ(arch_probe_read64(b[i], &v), -14);
	/* Slots are reused (after a batched flush): endless threads need a bounded area. */
	uint64_t used = kstack_slots_used();
	for (int i = 0; i < 4 * KSTACK_FLUSH_BATCH; i++) {
		uint64_t one = kstack_alloc();
		KASSERT(one);
		KEXPECT_EQ(arch_probe_write64(one, 3), 0);
		kstack_free(one);
		kstack_cache_drain(); /* past the cache: the slot is released */
	}
	KEXPECT(kstack_slots_used() - used <= KSTACK_FLUSH_BATCH + 1);
}

/* ------------------------------------------------------------ kstack concurrency */

#define KSTACK_RACE_STACKS 256

struct kstack_race {
	uint64_t gate;                         /* atomic: both start together */
	uint64_t bottoms[2][KSTACK_RACE_STACKS];
};

struct kstack_racer {
	struct kstack_race *race;
	int side;
};

static void kstack_racer(void *arg)
{
	struct kstack_racer *r = arg;
	__atomic_fetch_add(&r->race->gate, 1, __ATOMIC_ACQ_REL);
	/* Yield, not spin: kernel threads are not preempted, and with one CPU the other needs it. */
	while (__atomic_load_n(&r->race->gate, __ATOMIC_ACQUIRE) < 2)
		sched_yield();
	for (int i = 0; i < KSTACK_RACE_STACKS; i++)
		r->race->bottoms[r->side][i] = kstack_alloc();
}

/*
 * Two CPUs allocating stacks at once, into fresh 2 MiB ranges whose page
 * tables neither has yet: every page of every stack must be mapped (the
 * page-table updates of the stack area were once unserialised, so one CPU's
 * new table could replace the other's and lose its pages).
 */
KTEST(kstack, concurrent_allocations_map_every_page)
{
	static struct kstack_race race;
	static struct kstack_racer racers[2];
	memset(&race, 0, sizeof(race));
	struct thread *t[2];
	for (int s = 0; s < 2; s++) {
		racers[s] = (struct kstack_racer){ &race, s };
		t[s] = kthread_create(kstack_racer, &racers[s], 32);
		KASSERT(t[s]);
	}
	for (int s = 0; s < 2; s++) {
		KEXPECT_EQ(thread_join(t[s]), 0);
		thread_put(t[s]);
	}
	uint64_t unmapped = 0, failed = 0;
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < KSTACK_RACE_STACKS; i++) {
			uint64_t bottom = race.bottoms[s][i];
			if (!bottom) {
				failed++;
				continue;
			}
			for (int p = 0; p < KSTACK_PAGES; p++)
				unmapped += arch_probe_write64(bottom + p * PAGE_SIZE, p) != 0;
			kstack_free(bottom);
		}
	}
	KEXPECT_EQ(failed, 0);
	KEXPECT_EQ(unmapped, 0);
}

/* ------------------------------------------------------------ program images */

#define PREP_VA   0x400000ULL
#define PREP_TEXT 0xe8 /* where the segment's bytes start on the page, as a small linked program has it */
#define PREP_LEN  0x20

/* A one-page program: ELF header, one read-only executable segment [PREP_TEXT, +PREP_LEN) of @fill bytes, and other bytes (not zero) after it. */
static void prep_image(uint8_t *page, uint8_t fill)
{
	memset(page, 0xAB, PAGE_SIZE); /* what a linker puts after the segment: symbols, section headers */
	struct elf64_ehdr *eh = (void *)page;
	memset(eh, 0, sizeof(*eh) + sizeof(struct elf64_phdr));
	memcpy(eh->ident, "\x7f" "ELF\x02\x01\x01", 7);
	eh->type = ELF_ET_EXEC;
	eh->machine = ELF_EM_X86_64;
	eh->version = 1;
	eh->entry = PREP_VA + PREP_TEXT;
	eh->phoff = sizeof(*eh);
	eh->ehsize = sizeof(*eh);
	eh->phentsize = sizeof(struct elf64_phdr);
	eh->phnum = 1;
	struct elf64_phdr *ph = (void *)(page + sizeof(*eh));
	*ph = (struct elf64_phdr){ .type = ELF_PT_LOAD, .flags = ELF_PF_R | ELF_PF_X, .offset = 0, .vaddr = PREP_VA,
				   .filesz = PREP_TEXT + PREP_LEN, .memsz = PREP_TEXT + PREP_LEN, .align = PAGE_SIZE };
	memset(page + PREP_TEXT, fill, PREP_LEN);
}

/* Load the one-page program in @frame into a new space; its page's frame, or 0. */
static paddr_t prep_load(paddr_t frame)
{
	struct process proc = { .space = vm_space_create() };
	if (!proc.space)
		return 0;
	uint64_t entry;
	paddr_t got = 0;
	struct arch_mapping m;
	if (exec_load_image(&proc, PAGE_SIZE, &frame, &entry) == 0 && entry == PREP_VA + PREP_TEXT &&
	    arch_pt_query(proc.space->root, PREP_VA, &m) && !m.writable)
		got = m.phys;
	vm_space_destroy(proc.space);
	return got;
}

/*
 * A read-only segment's partial page is a prepared copy (file bytes, zeros
 * around them, never the file's other bytes) that the next load of the same
 * file maps again; after the file's bytes change, a load gets a new copy of
 * them, not the stale one.
 */
KTEST(exec, prepared_pages_reused_while_the_file_is_the_same)
{
	exec_prepared_drop();
	paddr_t file = pmm_alloc_page();
	KASSERT(file);
	prep_image(phys_to_virt(file), 0xC3);
	paddr_t first = prep_load(file), second = prep_load(file);
	KASSERT(first && second);
	KEXPECT(first != file);
	KEXPECT_EQ(first, second);
	KEXPECT_EQ(exec_prepared_pages(), 1);
	const uint8_t *b = phys_to_virt(first);
	KEXPECT_EQ(b[PREP_TEXT], 0xC3);
	KEXPECT_EQ(b[PREP_TEXT + PREP_LEN - 1], 0xC3);
	KEXPECT_EQ(b[PREP_TEXT + PREP_LEN], 0); /* not the file's 0xAB */
	KEXPECT_EQ(b[PAGE_SIZE - 1], 0);
	/* The file's bytes change in place (same frame): the copy no longer matches. */
	memset((uint8_t *)phys_to_virt(file) + PREP_TEXT, 0x90, PREP_LEN);
	paddr_t third = prep_load(file);
	KASSERT(third);
	KEXPECT(third != first);
	KEXPECT_EQ(((const uint8_t *)phys_to_virt(third))[PREP_TEXT], 0x90);
	KEXPECT_EQ(exec_prepared_pages(), 1); /* the stale copy's slot took the new one */
	exec_prepared_drop();
	KEXPECT_EQ(exec_prepared_pages(), 0);
	pmm_free_page(file);
}
