// SPDX-License-Identifier: MIT
// Buddy allocator with per-CPU single-page caches.
// Locks: zone_lock (free lists, struct page of free blocks), taken with IRQs
// off. A CPU's cache is touched only by that CPU with IRQs off, so it needs no
// lock; the free counter is atomic so that it is exact without the lock.
#include "kernel/mm/pmm.h"

#include "kernel/mm/kmalloc.h"

#include "arch/x86_64/arch.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/sync/spinlock.h"

/*
 * Pages a CPU may cache, and how many move per refill or drain. Large enough
 * that a process mapping and unmapping a few hundred pages in a loop never
 * reaches the buddy lists (each buddy operation splits or merges blocks).
 */
#define PCP_MAX   1024
#define PCP_BATCH 256
#define MAX_CPUS_PMM 64

struct pcp_cache {
	uint32_t count;
	uint32_t pfns[PCP_MAX];
};

/* Immutable after pmm_init(). */
static struct page *pages;  /* indexed by frame number */
static uint64_t max_pfn;    /* frames [0, max_pfn) have a struct page */
static uint64_t total_pages;

static struct spinlock zone_lock = SPINLOCK_INIT;
/* Guarded by: zone_lock */
static uint32_t free_head[PMM_MAX_ORDER + 1];

static uint64_t free_count; /* atomic */
static struct pcp_cache pcp[MAX_CPUS_PMM]; /* Owner CPU only, IRQs off */

static inline uint64_t pfn_of(paddr_t a) { return a >> PAGE_SHIFT; }
static inline paddr_t addr_of(uint64_t pfn) { return pfn << PAGE_SHIFT; }

struct page *pmm_page(paddr_t addr)
{
	uint64_t pfn = pfn_of(addr);
	return pfn < max_pfn ? &pages[pfn] : NULL;
}

static void list_push(unsigned order, uint32_t pfn)
{
	struct page *p = &pages[pfn];
	p->prev = PFN_NONE;
	p->next = free_head[order];
	if (p->next != PFN_NONE)
		pages[p->next].prev = pfn;
	free_head[order] = pfn;
	p->flags = PG_FREE;
	p->order = (uint8_t)order;
}

static void list_remove(unsigned order, uint32_t pfn)
{
	struct page *p = &pages[pfn];
	if (p->prev != PFN_NONE)
		pages[p->prev].next = p->next;
	else
		free_head[order] = p->next;
	if (p->next != PFN_NONE)
		pages[p->next].prev = p->prev;
	p->flags = 0;
}

/* Free a block into the buddy lists, merging with free buddies. Needs zone_lock. */
static void buddy_free(uint64_t pfn, unsigned order)
{
	spin_assert_held(&zone_lock);
	while (order < PMM_MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ULL << order);
		if (buddy >= max_pfn)
			break;
		struct page *b = &pages[buddy];
		/* Only a free head of exactly this order can merge (not one in a CPU cache). */
		if (b->flags != PG_FREE || b->order != order)
			break;
		list_remove(order, (uint32_t)buddy);
		pfn &= ~(1ULL << order);
		order++;
	}
	list_push(order, (uint32_t)pfn);
}

/* Take a block of 2^order pages, splitting larger ones. Needs zone_lock. Returns PFN_NONE if none. */
static uint32_t buddy_alloc(unsigned order)
{
	spin_assert_held(&zone_lock);
	unsigned o = order;
	while (o <= PMM_MAX_ORDER && free_head[o] == PFN_NONE)
		o++;
	if (o > PMM_MAX_ORDER)
		return PFN_NONE;
	uint32_t pfn = free_head[o];
	list_remove(o, pfn);
	/* Give back the upper halves until the block has the wanted size. */
	while (o > order) {
		o--;
		list_push(o, pfn + (1u << o));
	}
	pages[pfn].order = (uint8_t)order;
	return pfn;
}

static void mark_allocated(uint64_t pfn, unsigned order)
{
	struct page *p = &pages[pfn];
	p->flags = 0;
	p->order = (uint8_t)order;
	p->kind = 0;
	p->refcount = 1;
}

static bool drain_remote_caches(void);

static uint32_t buddy_alloc_locked(unsigned order)
{
	irqflags_t f = spin_lock_irqsave(&zone_lock);
	uint32_t pfn = buddy_alloc(order);
	spin_unlock_irqrestore(&zone_lock, f);
	return pfn;
}

paddr_t pmm_alloc_pages(unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	uint32_t pfn = buddy_alloc_locked(order);
	/* Cached single pages can block a merge: return them all, then try once more. */
	if (pfn == PFN_NONE) {
		pmm_drain_cpu_cache();
		drain_remote_caches();
		pfn = buddy_alloc_locked(order);
	}
	if (pfn == PFN_NONE)
		return 0;
	__atomic_fetch_sub(&free_count, 1ULL << order, __ATOMIC_RELAXED);
	mark_allocated(pfn, order);
	return addr_of(pfn);
}

void pmm_free_pages(paddr_t base, unsigned order)
{
	uint64_t pfn = pfn_of(base);
	ASSERT(pfn < max_pfn && (pfn & ((1ULL << order) - 1)) == 0);
	struct page *p = &pages[pfn];
	if (p->flags & (PG_FREE | PG_CACHED | PG_RESERVED))
		panic("pmm: double free or bad free of page 0x%lx (flags 0x%x)", base, p->flags);
	__atomic_fetch_add(&free_count, 1ULL << order, __ATOMIC_RELAXED);
	irqflags_t f = spin_lock_irqsave(&zone_lock);
	buddy_free(pfn, order);
	spin_unlock_irqrestore(&zone_lock, f);
}

static void drain_here(void *arg)
{
	pmm_drain_cpu_cache();
}

/*
 * Out of memory here: pages may still sit in other CPUs' caches. Ask each to
 * give them back (only with IRQs on, since the remote call is waited for).
 * Returns true when something might have come back.
 */
static bool drain_remote_caches(void)
{
	if (!arch_irq_enabled() || __atomic_load_n(&free_count, __ATOMIC_RELAXED) == 0)
		return false;
	for (unsigned cpu = 0; cpu < arch_cpu_count(); cpu++)
		if (cpu != arch_cpu_index())
			arch_run_on_cpu(cpu, drain_here, NULL, true);
	return true;
}

static paddr_t alloc_page_local(void);

paddr_t pmm_alloc_page(void)
{
	if (alloc_fail_now())
		return 0;
	paddr_t p = alloc_page_local();
	if (!p && drain_remote_caches())
		p = alloc_page_local();
	return p;
}

static paddr_t alloc_page_local(void)
{
	irqflags_t f = arch_irq_save();
	struct pcp_cache *c = &pcp[arch_cpu_index()];
	if (c->count == 0) {
		/* Refill a batch under one lock acquisition. */
		spin_lock(&zone_lock);
		while (c->count < PCP_BATCH) {
			uint32_t pfn = buddy_alloc(0);
			if (pfn == PFN_NONE)
				break;
			pages[pfn].flags = PG_CACHED;
			c->pfns[c->count++] = pfn;
		}
		spin_unlock(&zone_lock);
		if (c->count == 0) {
			arch_irq_restore(f);
			return 0;
		}
	}
	uint32_t pfn = c->pfns[--c->count];
	mark_allocated(pfn, 0);
	__atomic_fetch_sub(&free_count, 1, __ATOMIC_RELAXED);
	arch_irq_restore(f);
	return addr_of(pfn);
}

static void drain(struct pcp_cache *c, uint32_t keep)
{
	spin_lock(&zone_lock);
	while (c->count > keep) {
		uint32_t pfn = c->pfns[--c->count];
		pages[pfn].flags = 0;
		buddy_free(pfn, 0);
	}
	spin_unlock(&zone_lock);
}

void pmm_free_page(paddr_t addr)
{
	uint64_t pfn = pfn_of(addr);
	ASSERT(pfn < max_pfn);
	struct page *p = &pages[pfn];
	if (p->flags & (PG_FREE | PG_CACHED | PG_RESERVED))
		panic("pmm: double free or bad free of page 0x%lx (flags 0x%x)", addr, p->flags);
	irqflags_t f = arch_irq_save();
	struct pcp_cache *c = &pcp[arch_cpu_index()];
	if (c->count == PCP_MAX)
		drain(c, PCP_MAX - PCP_BATCH);
	p->flags = PG_CACHED;
	c->pfns[c->count++] = (uint32_t)pfn;
	__atomic_fetch_add(&free_count, 1, __ATOMIC_RELAXED);
	arch_irq_restore(f);
}

void pmm_drain_cpu_cache(void)
{
	irqflags_t f = arch_irq_save();
	drain(&pcp[arch_cpu_index()], 0);
	arch_irq_restore(f);
}

/*
 * The pages programs cannot take: 1/64 of memory, at least 1 MiB and at most
 * 16 MiB. Enough for the page tables, kernel stacks and heap objects that
 * ending processes and failing calls need, so a machine whose programs ate
 * everything can still tell them ENOMEM and clean up after them.
 */
uint64_t pmm_user_reserve_pages(void)
{
	uint64_t r = total_pages / 64;
	return r < 256 ? 256 : r > 4096 ? 4096 : r;
}

bool pmm_user_may_allocate(void)
{
	/* Racy by a few pages against concurrent allocators: the reserve is a margin, not an exact line. */
	return pmm_free_pages_count() > pmm_user_reserve_pages();
}

paddr_t pmm_alloc_user_page(void)
{
	return pmm_user_may_allocate() ? pmm_alloc_page() : 0;
}

paddr_t pmm_alloc_zeroed_page(void)
{
	paddr_t p = pmm_alloc_page();
	if (p)
		memset(phys_to_virt(p), 0, PAGE_SIZE);
	return p;
}

uint64_t pmm_free_pages_count(void)
{
	return __atomic_load_n(&free_count, __ATOMIC_RELAXED);
}

uint64_t pmm_total_pages_count(void)
{
	return total_pages;
}

/* Free [pfn, end) into the buddy lists in the largest aligned blocks that fit. */
static void release_frames(uint64_t pfn, uint64_t end)
{
	irqflags_t f = spin_lock_irqsave(&zone_lock);
	while (pfn < end) {
		unsigned order = 0;
		while (order < PMM_MAX_ORDER && (pfn & ((2ULL << order) - 1)) == 0 && pfn + (2ULL << order) <= end)
			order++;
		for (uint64_t i = 0; i < (1ULL << order); i++)
			pages[pfn + i].flags = 0;
		buddy_free(pfn, order);
		total_pages += 1ULL << order;
		__atomic_fetch_add(&free_count, 1ULL << order, __ATOMIC_RELAXED);
		pfn += 1ULL << order;
	}
	spin_unlock_irqrestore(&zone_lock, f);
}

void pmm_release_range(paddr_t base, uint64_t npages)
{
	uint64_t pfn = pfn_of(base), end = pfn + npages;
	if (pfn < 256)
		pfn = 256;
	if (end > max_pfn)
		end = max_pfn;
	if (pfn < end)
		release_frames(pfn, end);
}

static bool allocatable(uint32_t type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_BOOT_RECLAIM;
}

void pmm_init(const struct boot_mem_entry *map, uint64_t count)
{
	/* Frames up to the end of the last RAM range get a struct page. */
	for (uint64_t i = 0; i < count; i++) {
		uint32_t t = map[i].type;
		if (t == BOOT_MEM_MMIO || t == BOOT_MEM_RESERVED || t == BOOT_MEM_BAD)
			continue;
		uint64_t end = pfn_of(map[i].base) + map[i].npages;
		if (end > max_pfn)
			max_pfn = end;
	}
	ASSERT(max_pfn < PFN_NONE);

	/* The page array goes into the first usable range above 1 MiB that holds it. */
	uint64_t array_bytes = max_pfn * sizeof(struct page);
	uint64_t array_pages = (array_bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	paddr_t array_phys = 0;
	for (uint64_t i = 0; i < count && !array_phys; i++) {
		if (map[i].type != BOOT_MEM_USABLE)
			continue;
		paddr_t start = map[i].base < 0x100000 ? 0x100000 : map[i].base;
		paddr_t end = map[i].base + map[i].npages * PAGE_SIZE;
		if (start < end && (end - start) / PAGE_SIZE >= array_pages)
			array_phys = start;
	}
	if (!array_phys)
		panic("pmm: no room for the page array (%lu pages)", array_pages);
	pages = phys_to_virt(array_phys);
	/* Everything starts reserved; only what is released below becomes allocatable. */
	for (uint64_t pfn = 0; pfn < max_pfn; pfn++) {
		pages[pfn] = (struct page){ .flags = PG_RESERVED, .next = PFN_NONE, .prev = PFN_NONE };
	}
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
		free_head[o] = PFN_NONE;

	uint64_t array_first = pfn_of(array_phys), array_end = array_first + array_pages;
	for (uint64_t i = 0; i < count; i++) {
		if (!allocatable(map[i].type))
			continue;
		uint64_t pfn = pfn_of(map[i].base), end = pfn + map[i].npages;
		if (pfn < 256) /* below 1 MiB: trampoline and legacy areas */
			pfn = 256;
		/* Skip the page array itself. */
		if (pfn < array_end && end > array_first) {
			if (pfn < array_first)
				release_frames(pfn, array_first);
			pfn = array_end;
		}
		if (pfn < end)
			release_frames(pfn, end);
	}
}
