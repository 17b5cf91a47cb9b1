// SPDX-License-Identifier: MIT
// Buddy allocator with per-CPU single-page caches, over a page database
// (struct page array) that is initialised a section at a time, on demand.
// Locks: zone_lock (free lists, struct page of free blocks), taken with IRQs
// off. A CPU's cache is touched only by that CPU with IRQs off, so it needs no
// lock; the free counter is atomic so that it is exact without the lock.
#include "kernel/mm/pmm.h"

#include "kernel/mm/kmalloc.h"

#include "arch/x86_64/arch.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/spinlock.h"
#include "kernel/time/time.h"

/*
 * Pages a CPU may cache, and how many move per refill or drain. Large enough
 * that a process mapping and unmapping a few hundred pages in a loop never
 * reaches the buddy lists (each buddy operation splits or merges blocks).
 */
#define PCP_MAX   1024
#define PCP_BATCH 256
#define MAX_CPUS_PMM 64

/*
 * Each CPU's cache on cache lines of its own, and the shared counters and
 * locks on theirs: the first CPU's cache used to share a line with the
 * free count and the zone lock, which every other CPU writes.
 */
#define PMM_LINE 64

struct pcp_cache {
	uint32_t count;
	uint32_t pfns[PCP_MAX];
} __attribute__((aligned(PMM_LINE)));

/* Immutable after pmm_init(). */
static struct page *pages;  /* indexed by frame number */
static uint64_t max_pfn;    /* frames [0, max_pfn) have a struct page */
static uint64_t total_pages;

static struct spinlock zone_lock __attribute__((aligned(PMM_LINE))) = SPINLOCK_INIT;
/* Guarded by: zone_lock */
static uint32_t free_head[PMM_MAX_ORDER + 1];

static uint64_t free_count __attribute__((aligned(PMM_LINE))); /* atomic */

/*
 * Lazy page database. Writing the struct pages of all memory at boot costs
 * a first touch of every page of the array (96 MiB at 16 GiB), which QEMU
 * makes slow: a third of a second at 16 GiB. Instead the allocatable
 * memory is counted free at boot, and a section (one largest buddy block,
 * whose struct pages fill exactly six pages of the array) gets its struct
 * pages and enters the free lists when the lists run dry or a boot range
 * in it is released. A struct page of a section not yet ready is never
 * read: every page the allocator hands out comes from a ready section.
 */
#define SECTION_PAGES (1ULL << PMM_MAX_ORDER)
#define MAX_RANGES 512
static struct pfn_range {
	uint64_t start, end;
} ranges[MAX_RANGES];               /* allocatable frames, sorted, disjoint; immutable after pmm_init */
static uint64_t nranges;

/*
 * The firmware's boot-services code and the loader's (BOOT_MEM_BOOT_CODE):
 * free and counted free from the start, but kept out of the free lists
 * until everything else is in use (release_late_range). Under QEMU's TCG
 * the first write to a page that code ran from invalidates what QEMU
 * translated from it: 150-200 us a page, during which the other vCPUs slow
 * down too. make bench's idle-CPU zeroing reached those pages within
 * seconds of boot and doubled thread_create_join for tens of milliseconds
 * at a time. On real hardware the order costs nothing.
 */
#define MAX_LATE 128
static struct pfn_range late[MAX_LATE]; /* Guarded by: zone_lock; handed over from the last */
static uint64_t nlate;                  /* Guarded by: zone_lock */
static uint64_t *pending;           /* Guarded by: zone_lock; bit set = section still to initialise */
static uint64_t pending_words;
static uint64_t pending_hint;       /* Guarded by: zone_lock; no pending bit below this word */
static struct pcp_cache pcp[MAX_CPUS_PMM]; /* Owner CPU only, IRQs off */

/*
 * Pages zeroed ahead of need by idle CPUs (pmm_idle_zero), so that
 * pmm_alloc_zeroed_page() costs a pop where a busy CPU would otherwise
 * write a whole page. They are free pages (in free_count, PG_CACHED) and
 * any allocation takes them when nothing else is left; a failing
 * multi-page allocation gives them back to the buddy lists and holds the
 * refill off for a while, so that they never stand in the way of a merge.
 */
#define ZPOOL_MAX 1024
#define ZPOOL_PAUSE_NS 1000000000ULL
#define ZPOOL_BATCH 8 /* pages an idle CPU zeroes with IRQs off between looks at its run queue */
#define ZERO_BATCH 16 /* pages pmm_alloc_zeroed_user_pages takes from the cache at a time */
static struct spinlock zpool_lock __attribute__((aligned(PMM_LINE))) = SPINLOCK_INIT;
static uint32_t zpool[ZPOOL_MAX];   /* Guarded by: zpool_lock */
static uint32_t zpool_count;        /* Guarded by: zpool_lock; read unlocked as a hint */
static uint64_t zpool_paused_until; /* atomic: no refill before this time (ns) */

/*
 * Single pages between the CPUs' caches and the buddy lists: a cache that
 * overflows leaves its surplus here and one that runs dry refills from here
 * first, so that pages one CPU frees and another takes (the idle CPU's
 * zeroing for a busy one, say) pass without the splits and merges of the
 * buddy lists. Cached (PG_CACHED, counted free) like the CPUs' pages; a
 * failing multi-page allocation returns them to the buddy lists.
 */
#define SPARE_MAX 2048
static uint32_t spare[SPARE_MAX]; /* Guarded by: zone_lock */
static uint32_t spare_count;      /* Guarded by: zone_lock */

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
static bool init_next_section(void);

static bool release_late_range(void);

static uint32_t buddy_alloc(unsigned order)
{
	spin_assert_held(&zone_lock);
	unsigned o;
	for (;;) {
		o = order;
		while (o <= PMM_MAX_ORDER && free_head[o] == PFN_NONE)
			o++;
		if (o <= PMM_MAX_ORDER)
			break;
		if (!init_next_section() && !release_late_range())
			return PFN_NONE;
	}
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

static uint32_t pcp_take(void);
static paddr_t hand_out(uint32_t pfn);
static paddr_t alloc_single(void);

/* A page of the zeroed pool, still counted free, or PFN_NONE. Context: any. */
static uint32_t zpool_pop(void)
{
	if (__atomic_load_n(&zpool_count, __ATOMIC_RELAXED) == 0)
		return PFN_NONE;
	irqflags_t f = spin_lock_irqsave(&zpool_lock);
	uint32_t pfn = zpool_count ? zpool[--zpool_count] : PFN_NONE;
	bool half = zpool_count == ZPOOL_MAX / 2;
	spin_unlock_irqrestore(&zpool_lock, f);
	if (half)
		sched_wake_idle_cpu(); /* an idle CPU refills it meanwhile, one IPI for half a pool */
	return pfn;
}

/* Every pooled page back to the buddy lists, and no refill for ZPOOL_PAUSE_NS. */
static void zpool_drain(void)
{
	__atomic_store_n(&zpool_paused_until, time_now_ns() + ZPOOL_PAUSE_NS, __ATOMIC_RELAXED);
	irqflags_t f = spin_lock_irqsave(&zpool_lock);
	spin_lock(&zone_lock);
	while (zpool_count) {
		uint32_t pfn = zpool[--zpool_count];
		pages[pfn].flags = 0;
		buddy_free(pfn, 0);
	}
	spin_unlock(&zone_lock);
	spin_unlock_irqrestore(&zpool_lock, f);
}

paddr_t pmm_alloc_pages(unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	/*
	 * A single page through this CPU's cache, as pmm_alloc_page (but never
	 * a failure injected for tests): kmalloc's page-sized objects come here
	 * on every mmap and munmap, and the zone lock is shared by all CPUs.
	 */
	if (order == 0)
		return alloc_single();
	uint32_t pfn = buddy_alloc_locked(order);
	/* Cached single pages can block a merge: return them all, then try once more. */
	if (pfn == PFN_NONE) {
		pmm_drain_cpu_cache();
		drain_remote_caches();
		zpool_drain();
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
	if (order == 0) {
		pmm_free_page(base); /* into this CPU's cache, like every single page */
		return;
	}
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

/* Count @pfn, a free page taken from a CPU's cache, as allocated. */
static paddr_t hand_out(uint32_t pfn)
{
	mark_allocated(pfn, 0);
	__atomic_fetch_sub(&free_count, 1, __ATOMIC_RELAXED);
	return addr_of(pfn);
}

/* A free page from this CPU's cache, or another CPU's drained into it; PFN_NONE if none. */
static uint32_t take_cached(void)
{
	uint32_t pfn = pcp_take();
	if (pfn == PFN_NONE && drain_remote_caches())
		pfn = pcp_take();
	return pfn;
}

/* One page, allocated: a cached one, else a pooled zeroed one (the last free pages may be those); 0 if none. */
static paddr_t alloc_single(void)
{
	uint32_t pfn = take_cached();
	if (pfn == PFN_NONE)
		pfn = zpool_pop();
	return pfn == PFN_NONE ? 0 : hand_out(pfn);
}

paddr_t pmm_alloc_page(void)
{
	return alloc_fail_now() ? 0 : alloc_single();
}

/*
 * Up to @n free pages of this CPU's cache into @out, still counted free, in
 * one interrupts-off section; the cache is refilled a batch at a time as it
 * empties, from the spare pages first, then the buddy lists. Returns how
 * many: fewer only when both ran dry.
 */
static unsigned pcp_take_many(uint32_t *out, unsigned n)
{
	unsigned got = 0;
	irqflags_t f = arch_irq_save();
	struct pcp_cache *c = &pcp[arch_cpu_index()];
	while (got < n) {
		if (c->count == 0) {
			/* Refill a batch under one lock acquisition. */
			spin_lock(&zone_lock);
			while (c->count < PCP_BATCH && spare_count)
				c->pfns[c->count++] = spare[--spare_count];
			while (c->count < PCP_BATCH) {
				uint32_t pfn = buddy_alloc(0);
				if (pfn == PFN_NONE)
					break;
				pages[pfn].flags = PG_CACHED;
				c->pfns[c->count++] = pfn;
			}
			spin_unlock(&zone_lock);
			if (c->count == 0)
				break;
		}
		while (got < n && c->count)
			out[got++] = c->pfns[--c->count];
	}
	arch_irq_restore(f);
	return got;
}

/* A free page of this CPU's cache (refilled as pcp_take_many), still counted free; PFN_NONE if none. */
static uint32_t pcp_take(void)
{
	uint32_t pfn;
	return pcp_take_many(&pfn, 1) ? pfn : PFN_NONE;
}

/* Leave @keep pages in @c: the others to the spare pages while they have room, or with @all to the buddy lists. */
static void drain(struct pcp_cache *c, uint32_t keep, bool all)
{
	spin_lock(&zone_lock);
	while (!all && c->count > keep && spare_count < SPARE_MAX)
		spare[spare_count++] = c->pfns[--c->count];
	while (c->count > keep) {
		uint32_t pfn = c->pfns[--c->count];
		pages[pfn].flags = 0;
		buddy_free(pfn, 0);
	}
	if (all) {
		while (spare_count) {
			uint32_t pfn = spare[--spare_count];
			pages[pfn].flags = 0;
			buddy_free(pfn, 0);
		}
	}
	spin_unlock(&zone_lock);
}

/* Put a cached page (PG_CACHED, counted free) into @c, making room when it is full. IRQs off. */
static inline void pcp_push(struct pcp_cache *c, uint32_t pfn)
{
	if (c->count == PCP_MAX)
		drain(c, PCP_MAX - PCP_BATCH, false);
	c->pfns[c->count++] = pfn;
}

/* Pages taken by pcp_take_many and not used: back into this CPU's cache (they were still counted free). */
static void pcp_put_back(const uint32_t *pfns, unsigned n)
{
	irqflags_t f = arch_irq_save();
	struct pcp_cache *c = &pcp[arch_cpu_index()];
	for (unsigned i = 0; i < n; i++)
		pcp_push(c, pfns[i]);
	arch_irq_restore(f);
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
	p->flags = PG_CACHED;
	pcp_push(c, (uint32_t)pfn);
	__atomic_fetch_add(&free_count, 1, __ATOMIC_RELAXED);
	arch_irq_restore(f);
}

void pmm_page_get(paddr_t addr)
{
	struct page *p = &pages[pfn_of(addr)];
	int32_t before = __atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
	ASSERT(before > 0 && !(p->flags & (PG_FREE | PG_CACHED | PG_RESERVED | PG_SLAB)));
}

void pmm_page_put(paddr_t addr)
{
	struct page *p = &pages[pfn_of(addr)];
	/* The only holder (every private page): nobody can add a reference, no atomic update needed. */
	if (__atomic_load_n(&p->refcount, __ATOMIC_ACQUIRE) == 1) {
		pmm_free_page(addr);
		return;
	}
	/* Release: our last writes to the page happen before another owner frees or reuses it. */
	int32_t left = __atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL);
	ASSERT(left >= 0);
	if (left == 0)
		pmm_free_page(addr);
}

void pmm_pages_put(const paddr_t *frames, uint64_t n)
{
	irqflags_t f = arch_irq_save();
	struct pcp_cache *c = &pcp[arch_cpu_index()];
	uint64_t freed = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct page *p = &pages[pfn_of(frames[i])];
		/* As pmm_page_put: the only holder frees without an atomic update. */
		if (__atomic_load_n(&p->refcount, __ATOMIC_ACQUIRE) != 1) {
			int32_t left = __atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL);
			ASSERT(left >= 0);
			if (left != 0)
				continue;
		}
		if (p->flags & (PG_FREE | PG_CACHED | PG_RESERVED))
			panic("pmm: double free or bad free of page 0x%lx (flags 0x%x)", frames[i], p->flags);
		p->flags = PG_CACHED;
		pcp_push(c, (uint32_t)pfn_of(frames[i]));
		freed++;
	}
	/* One update of the shared counter for the batch. */
	__atomic_fetch_add(&free_count, freed, __ATOMIC_RELAXED);
	arch_irq_restore(f);
}

bool pmm_page_shared(paddr_t addr)
{
	return __atomic_load_n(&pages[pfn_of(addr)].refcount, __ATOMIC_ACQUIRE) > 1;
}

void pmm_drain_cpu_cache(void)
{
	irqflags_t f = arch_irq_save();
	drain(&pcp[arch_cpu_index()], 0, true);
	arch_irq_restore(f);
	zpool_drain();
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
	if (alloc_fail_now())
		return 0;
	uint32_t pfn = zpool_pop();
	if (pfn != PFN_NONE)
		return hand_out(pfn);
	pfn = take_cached();
	if (pfn == PFN_NONE)
		return 0;
	paddr_t p = hand_out(pfn);
	arch_zero_page(phys_to_virt(p));
	return p;
}

unsigned pmm_idle_zero(unsigned max)
{
	/* Only while memory is plentiful: a pooled page is one page less in the caches for others. */
	uint64_t free = __atomic_load_n(&free_count, __ATOMIC_RELAXED);
	if (__atomic_load_n(&zpool_count, __ATOMIC_RELAXED) >= ZPOOL_MAX || free < 4 * pmm_user_reserve_pages() ||
	    time_now_ns() < __atomic_load_n(&zpool_paused_until, __ATOMIC_RELAXED))
		return 0;
	uint32_t batch[ZPOOL_BATCH];
	unsigned pooled = 0;
	if (max > ZPOOL_BATCH)
		max = ZPOOL_BATCH;
	unsigned n = pcp_take_many(batch, max);
	for (unsigned i = 0; i < n; i++)
		arch_zero_page(phys_to_virt(addr_of(batch[i])));
	/* One lock round for the batch; what no longer fits goes back to this CPU's cache (still counted free). */
	irqflags_t f = spin_lock_irqsave(&zpool_lock);
	while (pooled < n && zpool_count < ZPOOL_MAX)
		zpool[zpool_count++] = batch[pooled++];
	spin_unlock_irqrestore(&zpool_lock, f);
	pcp_put_back(batch + pooled, n - pooled);
	return pooled;
}

unsigned pmm_alloc_zeroed_user_pages(paddr_t *out, unsigned n, bool *refused)
{
	unsigned got = 0;
	*refused = false;
	if (__atomic_load_n(&zpool_count, __ATOMIC_RELAXED)) {
		/* Pooled pages under one lock round and one update of the free count. */
		uint64_t free = __atomic_load_n(&free_count, __ATOMIC_RELAXED), reserve = pmm_user_reserve_pages();
		irqflags_t f = spin_lock_irqsave(&zpool_lock);
		uint32_t before = zpool_count;
		while (got < n && zpool_count && free - got > reserve) {
			if (alloc_fail_now()) {
				*refused = true;
				break;
			}
			out[got++] = addr_of(zpool[--zpool_count]);
		}
		bool wake = before > ZPOOL_MAX / 2 && zpool_count <= ZPOOL_MAX / 2;
		spin_unlock_irqrestore(&zpool_lock, f);
		for (unsigned i = 0; i < got; i++)
			mark_allocated(pfn_of(out[i]), 0);
		__atomic_fetch_sub(&free_count, got, __ATOMIC_RELAXED);
		if (wake)
			sched_wake_idle_cpu();
	}
	/*
	 * The rest from this CPU's cache, zeroed here, a batch per
	 * interrupts-off section and free-count update (a page at a time, the
	 * calls and flag changes around each cost a fifth of its zeroing).
	 */
	while (got < n && !*refused) {
		uint32_t batch[ZERO_BATCH];
		uint64_t free = pmm_free_pages_count(), reserve = pmm_user_reserve_pages();
		unsigned want = n - got < ZERO_BATCH ? n - got : ZERO_BATCH;
		if (free <= reserve) {
			*refused = true;
			break;
		}
		if (free - reserve < want)
			want = (unsigned)(free - reserve);
		unsigned k = pcp_take_many(batch, want);
		if (k == 0) {
			/* Nothing cached here: others' caches, or a pool refilled meanwhile, by the one-page path. */
			paddr_t p = pmm_alloc_zeroed_user_page();
			if (p)
				out[got++] = p;
			else
				*refused = true;
			continue;
		}
		unsigned ok = 0;
		while (ok < k && !alloc_fail_now())
			ok++;
		if (ok < k) {
			pcp_put_back(batch + ok, k - ok);
			*refused = true;
		}
		for (unsigned i = 0; i < ok; i++) {
			mark_allocated(batch[i], 0);
			out[got] = addr_of(batch[i]);
			arch_zero_page(phys_to_virt(out[got++]));
		}
		__atomic_fetch_sub(&free_count, ok, __ATOMIC_RELAXED);
	}
	return got;
}

uint64_t pmm_late_pages(void)
{
	irqflags_t f = spin_lock_irqsave(&zone_lock);
	uint64_t n = 0;
	for (uint64_t i = 0; i < nlate; i++)
		n += late[i].end - late[i].start;
	spin_unlock_irqrestore(&zone_lock, f);
	return n;
}

uint64_t pmm_zeroed_pool_pages(void)
{
	return __atomic_load_n(&zpool_count, __ATOMIC_RELAXED);
}

paddr_t pmm_alloc_zeroed_user_page(void)
{
	return pmm_user_may_allocate() ? pmm_alloc_zeroed_page() : 0;
}

uint64_t pmm_free_pages_count(void)
{
	return __atomic_load_n(&free_count, __ATOMIC_RELAXED);
}

uint64_t pmm_total_pages_count(void)
{
	return total_pages;
}

/*
 * Free [pfn, end) into the buddy lists in the largest aligned blocks that
 * fit. Only block heads are written (list_push): struct pages inside a free
 * block are never read, and a page split off later is written as it becomes
 * a head. Needs zone_lock.
 */
static void free_range(uint64_t pfn, uint64_t end)
{
	spin_assert_held(&zone_lock);
	while (pfn < end) {
		unsigned order = 0;
		while (order < PMM_MAX_ORDER && (pfn & ((2ULL << order) - 1)) == 0 && pfn + (2ULL << order) <= end)
			order++;
		buddy_free(pfn, order);
		pfn += 1ULL << order;
	}
}

static void mark_reserved(uint64_t pfn, uint64_t end)
{
	for (; pfn < end; pfn++)
		pages[pfn].flags = PG_RESERVED;
}

/*
 * Give section @i its struct pages: all zero (an allocated page no list
 * links, the state inside a free block), reserved where nothing may be
 * allocated, and its allocatable ranges into the free lists (they were
 * counted free at boot). Needs zone_lock.
 */
static void init_section(uint64_t i)
{
	spin_assert_held(&zone_lock);
	pending[i / 64] &= ~(1ULL << (i % 64));
	uint64_t base = i * SECTION_PAGES, end = base + SECTION_PAGES < max_pfn ? base + SECTION_PAGES : max_pfn;
	/* SECTION_PAGES struct pages are a whole number of array pages, and the array starts on a page. */
	uint8_t *first = (uint8_t *)&pages[base], *last = (uint8_t *)&pages[end];
	for (uint8_t *pg = first; pg < last; pg += PAGE_SIZE)
		arch_zero_page(pg);
	uint64_t cur = base;
	for (uint64_t r = 0; r < nranges && ranges[r].start < end; r++) {
		if (ranges[r].end <= base)
			continue;
		uint64_t s = ranges[r].start > base ? ranges[r].start : base;
		uint64_t e = ranges[r].end < end ? ranges[r].end : end;
		mark_reserved(cur, s);
		free_range(s, e);
		cur = e;
	}
	mark_reserved(cur, end);
}

/* Initialise the lowest pending section. Needs zone_lock. False when none is left. */
static bool init_next_section(void)
{
	spin_assert_held(&zone_lock);
	for (uint64_t w = pending_hint; w < pending_words; w++) {
		if (pending[w]) {
			pending_hint = w;
			init_section(w * 64 + (uint64_t)__builtin_ctzll(pending[w]));
			return true;
		}
	}
	pending_hint = pending_words;
	return false;
}

/*
 * Frames [pfn, end) that no allocatable range holds (so their sections, once
 * initialised, mark them reserved) into the free lists. Needs zone_lock.
 */
static void free_reserved_range(uint64_t pfn, uint64_t end)
{
	spin_assert_held(&zone_lock);
	for (uint64_t i = pfn / SECTION_PAGES; i <= (end - 1) / SECTION_PAGES; i++)
		if (pending[i / 64] & (1ULL << (i % 64)))
			init_section(i);
	for (uint64_t i = pfn; i < end; i++) {
		if (pages[i].flags != PG_RESERVED)
			panic("pmm: released page 0x%lx is not boot data (flags 0x%x)", addr_of(i), pages[i].flags);
		pages[i].flags = 0;
	}
	free_range(pfn, end);
}

/* Hand the highest late range to the free lists (counted free since boot). Needs zone_lock. */
static bool release_late_range(void)
{
	spin_assert_held(&zone_lock);
	if (!nlate)
		return false;
	nlate--;
	free_reserved_range(late[nlate].start, late[nlate].end);
	return true;
}

void pmm_release_range(paddr_t base, uint64_t npages)
{
	uint64_t pfn = pfn_of(base), end = pfn + npages;
	if (pfn < 256)
		pfn = 256;
	if (end > max_pfn)
		end = max_pfn;
	if (pfn >= end)
		return;
	irqflags_t f = spin_lock_irqsave(&zone_lock);
	free_reserved_range(pfn, end);
	total_pages += end - pfn;
	__atomic_fetch_add(&free_count, end - pfn, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&zone_lock, f);
}

static bool allocatable(uint32_t type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_BOOT_RECLAIM || type == BOOT_MEM_BOOT_CODE;
}

/* Add allocatable frames [pfn, end) to the sorted range table. */
static void insert_range(uint64_t pfn, uint64_t end)
{
	if (pfn >= end)
		return;
	if (nranges == MAX_RANGES) {
		kprintf("pmm: more than %u usable ranges; [0x%lx, 0x%lx) left unused\n", MAX_RANGES, addr_of(pfn),
			addr_of(end));
		return;
	}
	uint64_t i = nranges++;
	while (i > 0 && ranges[i - 1].start > pfn) {
		ranges[i] = ranges[i - 1];
		i--;
	}
	ranges[i] = (struct pfn_range){ pfn, end };
}

/* Add [pfn, end) minus the frames in [hole, hole_end): the pieces below and above the hole. */
static void add_range(uint64_t pfn, uint64_t end, uint64_t hole, uint64_t hole_end)
{
	if (pfn < hole_end && end > hole) {
		insert_range(pfn, hole < end ? hole : end);
		insert_range(hole_end > pfn ? hole_end : pfn, end);
	} else {
		insert_range(pfn, end);
	}
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

	/* The page array and the pending bitmap go into the first usable range above 1 MiB that holds them. */
	uint64_t nsections = (max_pfn + SECTION_PAGES - 1) / SECTION_PAGES;
	pending_words = (nsections + 63) / 64;
	uint64_t array_pages = (max_pfn * sizeof(struct page) + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t meta_pages = array_pages + (pending_words * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
	paddr_t meta_phys = 0;
	for (uint64_t i = 0; i < count && !meta_phys; i++) {
		if (map[i].type != BOOT_MEM_USABLE)
			continue;
		paddr_t start = map[i].base < 0x100000 ? 0x100000 : map[i].base;
		paddr_t end = map[i].base + map[i].npages * PAGE_SIZE;
		if (start < end && (end - start) / PAGE_SIZE >= meta_pages)
			meta_phys = start;
	}
	if (!meta_phys)
		panic("pmm: no room for the page array (%lu pages)", meta_pages);
	pages = phys_to_virt(meta_phys);
	pending = phys_to_virt(meta_phys + array_pages * PAGE_SIZE);
	memset(pending, 0, pending_words * 8);
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
		free_head[o] = PFN_NONE;

	/* Below 1 MiB (trampoline, legacy areas) and the array itself stay out. */
	uint64_t meta_first = pfn_of(meta_phys), meta_end = meta_first + meta_pages;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t pfn = pfn_of(map[i].base), end = pfn + map[i].npages;
		if (pfn < 256)
			pfn = 256;
		if (end > max_pfn)
			end = max_pfn;
		if (map[i].type == BOOT_MEM_BOOT_CODE && nlate < MAX_LATE && pfn < end &&
		    (end <= meta_first || pfn >= meta_end)) {
			/* Used last; counted free and its sections pending like the rest (below). */
			late[nlate++] = (struct pfn_range){ pfn, end };
			continue;
		}
		if (allocatable(map[i].type))
			add_range(pfn, end, meta_first, meta_end);
	}
	/* Every section with allocatable frames waits for its first use; its frames count free now. */
	for (uint64_t r = 0; r < nranges + nlate; r++) {
		const struct pfn_range *pr = r < nranges ? &ranges[r] : &late[r - nranges];
		for (uint64_t i = pr->start / SECTION_PAGES; i <= (pr->end - 1) / SECTION_PAGES; i++)
			pending[i / 64] |= 1ULL << (i % 64);
		total_pages += pr->end - pr->start;
	}
	/*
	 * So does every section of the loader's data, which pmm_release_range()
	 * hands over later: a section holding nothing else (a root archive of a
	 * few MiB covers whole ones) would otherwise never get its struct pages.
	 */
	for (uint64_t i = 0; i < count; i++) {
		if (map[i].type != BOOT_MEM_LOADER_DATA || map[i].npages == 0)
			continue;
		uint64_t pfn = pfn_of(map[i].base), end = pfn + map[i].npages;
		if (end > max_pfn)
			end = max_pfn;
		for (uint64_t s = pfn / SECTION_PAGES; pfn < end && s <= (end - 1) / SECTION_PAGES; s++)
			pending[s / 64] |= 1ULL << (s % 64);
	}
	__atomic_store_n(&free_count, total_pages, __ATOMIC_RELAXED);
}
