// SPDX-License-Identifier: MIT
// Address spaces: regions in a red-black tree keyed by start address, pages in
// the arch page tables, demand-zero faults, teardown.
// Locks: space->lock guards the region tree, the user half of the page tables
// and the counters of one space. It is taken with IRQs enabled, never from an
// IRQ handler: a CPU waiting for it must still answer TLB-shootdown IPIs sent
// by the holder. A fault taken with IRQs off only try-locks it. Every operation validates its arguments and
// allocates the region structures it may need before taking the lock, so a
// failing call changes nothing.
#include "kernel/mm/vmm.h"

#include "arch/x86_64/arch.h"
#include "kernel/abi/errno.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/thread.h"

static uint64_t spaces_live, regions_live; /* atomic */

uint64_t vm_spaces_live(void) { return __atomic_load_n(&spaces_live, __ATOMIC_RELAXED); }
uint64_t vm_regions_live(void) { return __atomic_load_n(&regions_live, __ATOMIC_RELAXED); }

static struct vm_region *region_alloc(void)
{
	struct vm_region *r = kzalloc(sizeof(*r));
	if (r)
		__atomic_fetch_add(&regions_live, 1, __ATOMIC_RELAXED);
	return r;
}

static void region_free(struct vm_region *r)
{
	if (!r)
		return;
	if (r->object)
		vm_object_put(r->object);
	__atomic_fetch_sub(&regions_live, 1, __ATOMIC_RELAXED);
	kfree(r);
}

/*
 * Regions a space let go of (unmapped, merged away, a spare not needed) wait
 * in its two slots for its next map, split or unmap, which then allocate
 * nothing: an mmap/munmap loop or an mprotect toggling a range back and
 * forth. The slots are taken and filled by atomic exchange, with or without
 * the lock. They go with the space.
 */
static struct vm_region *region_take_kept(struct vm_space *s)
{
	for (int i = 0; i < 2; i++) {
		struct vm_region *r = __atomic_exchange_n(&s->spare[i], NULL, __ATOMIC_ACQUIRE);
		if (r)
			return r;
	}
	return NULL;
}

static struct vm_region *region_get(struct vm_space *s)
{
	struct vm_region *r = region_take_kept(s);
	return r ? r : region_alloc();
}

/* @r (in no tree, or NULL) into a free slot of @s, else freed. */
static void region_put(struct vm_space *s, struct vm_region *r)
{
	if (!r)
		return;
	if (r->object)
		vm_object_put(r->object);
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 2; i++) {
		struct vm_region *none = NULL;
		if (__atomic_compare_exchange_n(&s->spare[i], &none, r, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	}
	region_free(r);
}

/* Fill the empty ones of @spare[0 .. n) (n <= 2) from @s's kept regions. */
static void take_spare(struct vm_space *s, struct vm_region *spare[2], unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!spare[i] && !(spare[i] = region_take_kept(s)))
			return;
}

static paddr_t vm_object_page(struct vm_object *o, uint64_t i);

static inline struct vm_region *to_region(struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_region, node) : NULL;
}

/* Readable and nothing unknown. (Write with execute is valid: see VM_EXEC in vmm.h.) */
static bool prot_valid(unsigned prot)
{
	return !(prot & ~(VM_READ | VM_WRITE | VM_EXEC)) && (prot & VM_READ);
}

static bool prot_is_wx(unsigned prot)
{
	return (prot & (VM_WRITE | VM_EXEC)) == (VM_WRITE | VM_EXEC);
}

/*
 * The page-table rights of a region's pages: no-execute unless the region is
 * program text (spec §7.19 allows NX). A write-and-execute region's pages
 * start in their write view; vm_fault switches them (W^X, see vmm.h).
 */
static unsigned arch_flags(unsigned prot)
{
	if (prot_is_wx(prot))
		return ARCH_MAP_USER | ARCH_MAP_WRITE;
	return ARCH_MAP_USER | ((prot & VM_EXEC) ? ARCH_MAP_EXEC : 0) | ((prot & VM_WRITE) ? ARCH_MAP_WRITE : 0);
}

/* The page-table flags of @r's pages: its rights, and write-combining for device memory. */
static unsigned region_flags(const struct vm_region *r)
{
	return arch_flags(r->prot) | (r->backing == VM_DEVICE ? ARCH_MAP_WC : 0);
}

/* Private regions own their frames; shared objects and device memory do not. */
static bool owns_frames(const struct vm_region *r)
{
	return r->backing == VM_ANON_ZERO || r->backing == VM_ANON_ONE;
}

/* The lowest region whose end is above @addr (it may start after @addr). Needs lock. */
static struct vm_region *first_ending_after(struct vm_space *s, uint64_t addr)
{
	spin_assert_held(&s->lock);
	struct rb_node *n = s->regions.node;
	struct vm_region *best = NULL;
	while (n) {
		struct vm_region *r = to_region(n);
		if (r->end > addr) {
			best = r;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

static void region_insert(struct vm_space *s, struct vm_region *r)
{
	struct rb_node **link = &s->regions.node, *parent = NULL;
	while (*link) {
		parent = *link;
		link = r->start < to_region(parent)->start ? &parent->left : &parent->right;
	}
	rb_link_node(&r->node, parent, link);
	rb_insert_color(&r->node, &s->regions);
	s->nregions++;
}

static void region_remove(struct vm_space *s, struct vm_region *r)
{
	rb_erase(&r->node, &s->regions);
	s->nregions--;
}

struct vm_space *vm_space_create(void)
{
	struct vm_space *s = kzalloc(sizeof(*s));
	if (!s)
		return NULL;
	s->root = arch_pt_new_root();
	if (!s->root) {
		kfree(s);
		return NULL;
	}
	spin_init(&s->lock);
	s->regions = RB_ROOT;
	__atomic_fetch_add(&spaces_live, 1, __ATOMIC_RELAXED);
	return s;
}

/* Private frames may be shared with a file (vm_map_frames): each region drops its reference. */
static void free_frames(const uint64_t *frames, unsigned n, void *ctx)
{
	pmm_pages_put(frames, n);
}

/* Make every CPU that may hold translations of @s forget [start, end). */
static void tlb_flush_space(struct vm_space *s, uint64_t start, uint64_t end)
{
	uint64_t mask = __atomic_load_n(&s->active_cpus, __ATOMIC_ACQUIRE);
	if (mask & (1ULL << arch_cpu_index()))
		arch_tlb_flush_local(start, end);
	/* Other CPUs that may have it loaded: an IPI each, waited for (arch_tlb_shootdown). */
	mask &= ~(1ULL << arch_cpu_index());
	if (mask)
		arch_tlb_shootdown(mask, s->root, start, end);
}

static uint64_t wx_pages_seen; /* atomic */
static uint64_t wx_steps;      /* atomic: instructions run with their own page open (fault_on_present) */

uint64_t vm_wx_pages_seen(void)
{
	return __atomic_load_n(&wx_pages_seen, __ATOMIC_RELAXED);
}

void vm_space_destroy(struct vm_space *s)
{
	ASSERT(__atomic_load_n(&s->active_cpus, __ATOMIC_RELAXED) == 0);
	/*
	 * W^X proof at the end of every address space's life, when it holds all
	 * it ever mapped but what was unmapped: the hardware's view (the page
	 * tables), not the regions that are meant to produce it.
	 */
	uint64_t wx = arch_pt_count_user_wx(s->root);
	if (wx)
		__atomic_fetch_add(&wx_pages_seen, wx, __ATOMIC_RELAXED);
	struct rb_node *n = rb_first(&s->regions);
	while (n) {
		struct vm_region *r = to_region(n);
		n = rb_next(n);
		arch_pt_unmap_range(s->root, r->start, r->end, owns_frames(r) ? free_frames : NULL, NULL);
		region_remove(s, r);
		region_free(r);
	}
	region_free(s->spare[0]);
	region_free(s->spare[1]);
	arch_pt_destroy_root(s->root);
	__atomic_fetch_sub(&spaces_live, 1, __ATOMIC_RELAXED);
	kfree(s);
}

void vm_space_activate(struct vm_space *s)
{
	irqflags_t f = arch_irq_save();
	struct vm_space *old = arch_current_space();
	uint64_t bit = 1ULL << arch_cpu_index();
	if (old != s) {
		if (s)
			__atomic_fetch_or(&s->active_cpus, bit, __ATOMIC_ACQ_REL);
		arch_pt_switch(s ? s->root : arch_pt_kernel_root());
		if (old)
			__atomic_fetch_and(&old->active_cpus, ~bit, __ATOMIC_ACQ_REL);
		arch_set_current_space(s);
	}
	arch_irq_restore(f);
}

struct vm_space *vm_space_current(void)
{
	return arch_current_space();
}

bool vm_space_loaded_elsewhere(struct vm_space *s)
{
	return __atomic_load_n(&s->active_cpus, __ATOMIC_ACQUIRE) & ~(1ULL << arch_cpu_index());
}

/*
 * What remove_range_locked takes out, freed by reclaim_finish() after the
 * lock is dropped: no frame goes back to the allocator before every CPU has
 * forgotten its translation, and no region (nor the shared object it holds)
 * is freed under the space lock.
 */
#define RECLAIM_FRAMES 256
#define RECLAIM_SMALL  16
struct vm_reclaim {
	struct vm_space *space;
	uint64_t start, end;            /* the range whose TLB entries must go before the frames */
	bool need_flush;
	unsigned nframes, cap;
	paddr_t *frames;                /* small[], or RECLAIM_FRAMES on the heap */
	struct vm_region *regions;      /* removed regions, through ->dead_next */
	paddr_t small[RECLAIM_SMALL];
};

/*
 * Give @rc (on the caller's stack) room for @pages frames: its own small
 * buffer, or a heap one of RECLAIM_FRAMES. Without memory for that, the
 * small one: collect_frames then flushes and frees in smaller batches.
 */
static void reclaim_setup(struct vm_reclaim *rc, uint64_t pages)
{
	rc->frames = pages > RECLAIM_SMALL ? kmalloc(RECLAIM_FRAMES * sizeof(paddr_t)) : NULL;
	rc->cap = rc->frames ? RECLAIM_FRAMES : RECLAIM_SMALL;
	if (!rc->frames)
		rc->frames = rc->small;
}

static void reclaim_release(struct vm_reclaim *rc)
{
	if (rc->frames != rc->small)
		kfree(rc->frames);
}

static void reclaim_init(struct vm_reclaim *rc, struct vm_space *s, uint64_t start, uint64_t end)
{
	rc->space = s;
	rc->start = start;
	rc->end = end;
	rc->need_flush = false;
	rc->nframes = 0;
	rc->regions = NULL;
}

/* Flush, then free the frames collected so far. Callable with or without the lock. */
static void reclaim_frames(struct vm_reclaim *rc)
{
	if (rc->need_flush)
		tlb_flush_space(rc->space, rc->start, rc->end);
	rc->need_flush = false;
	pmm_pages_put(rc->frames, rc->nframes);
	rc->nframes = 0;
}

static void collect_frames(const uint64_t *frames, unsigned n, void *ctx)
{
	struct vm_reclaim *rc = ctx;
	for (unsigned i = 0; i < n; i++) {
		if (rc->nframes == rc->cap) {
			/* A range bigger than the buffer (not chunked, or no heap buffer): these frames were mapped. */
			rc->need_flush = true;
			reclaim_frames(rc);
		}
		rc->frames[rc->nframes++] = frames[i];
	}
}

/* After the space lock is dropped: free what remove_range_locked took out. */
static void reclaim_finish(struct vm_reclaim *rc)
{
	reclaim_frames(rc);
	while (rc->regions) {
		struct vm_region *r = rc->regions;
		rc->regions = r->dead_next;
		region_put(rc->space, r);
	}
}

/*
 * Split @r at @at (strictly inside it) using the region @tail: @r keeps
 * [start, at), @tail gets [at, end) with the matching object offset and its
 * own object reference. Returns @tail. Needs lock.
 */
static struct vm_region *region_split(struct vm_space *s, struct vm_region *r, uint64_t at, struct vm_region *tail)
{
	spin_assert_held(&s->lock);
	*tail = *r;
	tail->start = at;
	tail->pgoff = r->pgoff + (at - r->start) / PAGE_SIZE;
	if (tail->object)
		vm_object_get(tail->object);
	r->end = at;
	region_insert(s, tail);
	return tail;
}

/*
 * Remove [start, end) from the tree and the page tables, trimming or splitting
 * regions at the edges. A split needs one new region: *spare, consumed (set to
 * NULL) if used. Frames and removed regions go to @rc. Needs lock.
 */
static void remove_range_locked(struct vm_space *s, uint64_t start, uint64_t end, struct vm_region **spare,
				struct vm_reclaim *rc)
{
	spin_assert_held(&s->lock);
	struct vm_region *r = first_ending_after(s, start);
	uint64_t flush_lo = UINT64_MAX, flush_hi = 0; /* what was mapped: all the flush must reach */
	while (r && r->start < end) {
		struct vm_region *next = to_region(rb_next(&r->node));
		/* Frames of private regions are ours to free; shared ones belong to their object. */
		uint64_t lo = r->start > start ? r->start : start, hi = r->end < end ? r->end : end;
		uint64_t n = arch_pt_unmap_range_span(s->root, lo, hi, owns_frames(r) ? collect_frames : NULL, rc,
						      &flush_lo, &flush_hi);
		s->resident -= n;
		rc->need_flush |= n != 0;
		if (r->start < start && r->end > end) {
			/* The range is strictly inside r: keep both sides. */
			region_split(s, r, end, *spare);
			*spare = NULL;
			r->end = start;
			break;
		} else if (r->start < start) {
			r->end = start;
		} else if (r->end > end) {
			/* Moving the start forward keeps the tree order: nothing lies in between. */
			r->pgoff += (end - r->start) / PAGE_SIZE;
			r->start = end;
		} else {
			region_remove(s, r);
			r->dead_next = rc->regions;
			rc->regions = r;
		}
		r = next;
	}
	/* Flush now, under the lock: a fault must not find a stale entry for a page of a removed region. */
	if (rc->need_flush)
		tlb_flush_space(s, flush_lo, flush_hi);
	rc->need_flush = false;
}

static bool range_ok(uint64_t start, uint64_t end)
{
	return start >= USER_MIN && end <= USER_MAX && start < end && !(start & (PAGE_SIZE - 1)) &&
	       !(end & (PAGE_SIZE - 1));
}

/* Lowest gap of @len bytes at or above USER_MIN. Needs lock. Returns 0 if none. */
static uint64_t find_gap(struct vm_space *s, uint64_t len)
{
	spin_assert_held(&s->lock);
	uint64_t candidate = USER_MIN;
	for (struct rb_node *n = rb_first(&s->regions); n; n = rb_next(n)) {
		struct vm_region *r = to_region(n);
		if (r->start >= candidate && r->start - candidate >= len)
			return candidate;
		if (r->end > candidate)
			candidate = r->end;
	}
	return USER_MAX - candidate >= len ? candidate : 0;
}

/*
 * The frames of a private mapping, as an arch_frame_source (fill_frames):
 * zeroed ones many at a time (one pass over the allocator's locks and
 * counters for a run of entries), never more than @want in all; /dev/one's
 * pages are filled one by one.
 */
struct fill_ctx {
	enum vm_backing backing;
	uint64_t allocated; /* frames handed out */
	uint64_t want;      /* frames that may still be asked for */
	bool refused;       /* the allocator said no: nothing more */
};

static void fill_init(struct fill_ctx *c, enum vm_backing backing, uint64_t want)
{
	c->backing = backing;
	c->allocated = 0;
	c->want = want;
	c->refused = false;
}

static unsigned fill_frames(uint64_t *out, unsigned max, void *arg)
{
	struct fill_ctx *c = arg;
	if (c->refused || c->want == 0)
		return 0;
	if (max > c->want)
		max = (unsigned)c->want;
	unsigned got = 0;
	if (c->backing == VM_ANON_ONE) {
		for (; got < max; got++) {
			paddr_t p = pmm_alloc_user_page();
			if (!p) {
				c->refused = true;
				break;
			}
			memset(phys_to_virt(p), 0xff, PAGE_SIZE);
			out[got] = p;
		}
	} else {
		got = pmm_alloc_zeroed_user_pages(out, max, &c->refused);
	}
	c->want -= got;
	c->allocated += got;
	return got;
}

/* Whether @s may gain @more regions (VM_MAX_REGIONS, like Linux's max_map_count). Needs lock. */
static bool regions_fit(struct vm_space *s, uint64_t more)
{
	spin_assert_held(&s->lock);
	return s->nregions + more <= VM_MAX_REGIONS;
}

#define UNMAP_CHUNK (RECLAIM_FRAMES * PAGE_SIZE)
static int unmap_chunked(struct vm_space *s, uint64_t start, uint64_t end, bool interruptible);

/*
 * The common start of vm_map and vm_map_object: get the new region (and,
 * for VM_FIXED, a spare for a split), set up the caller's reclaim list @rc
 * (reclaim_release it after), take the lock, and make room at *@start
 * (VM_FIXED: whatever was there goes, into @rc) or find the
 * lowest gap. A fixed mapping over many mapped pages first unmaps them piece
 * by piece (bounded latency); the lock is then held only for what is left,
 * so only an out-of-memory failure after that leaves the range unmapped.
 * Returns 0 with the lock held, or -ENOMEM (no memory, no gap, too many
 * regions) / -EINTR (killed while unmapping) with nothing held or allocated.
 */
static int place_locked(struct vm_space *s, unsigned flags, uint64_t *start, uint64_t size, struct vm_region **r,
			struct vm_region **spare, struct vm_reclaim *rc)
{
	if ((flags & VM_FIXED) && size > UNMAP_CHUNK) {
		int err = unmap_chunked(s, *start, *start + size, true);
		if (err)
			return err;
	}
	/* Frames are collected only from what a fixed mapping replaces (or an undo, in small batches). */
	reclaim_setup(rc, (flags & VM_FIXED) ? size / PAGE_SIZE : 0);
	reclaim_init(rc, s, *start, *start + size);
	*r = region_get(s);
	*spare = (flags & VM_FIXED) ? region_get(s) : NULL; /* only a fixed mapping can split a region */
	if (!*r || ((flags & VM_FIXED) && !*spare))
		goto err_free;
	spin_lock(&s->lock);
	/* The new region, and one more if it splits an old one in two. */
	if (!regions_fit(s, (flags & VM_FIXED) ? 2 : 1))
		goto err_unlock;
	if (flags & VM_FIXED)
		remove_range_locked(s, *start, *start + size, spare, rc);
	else if (!(*start = find_gap(s, size)))
		goto err_unlock;
	return 0;
err_unlock:
	spin_unlock(&s->lock);
err_free:
	region_put(s, *r);
	region_put(s, *spare);
	reclaim_release(rc);
	return -ENOMEM;
}

/*
 * Remove [start, end) in pieces of at most UNMAP_CHUNK bytes of mapped
 * pages, dropping the lock and passing a preemption point between pieces, so
 * that unmapping gigabytes never holds the lock or the CPU for long. Empty
 * stretches (no page table) are skipped in one step. Returns 0, -ENOMEM (no
 * region for a split, or one more region than VM_MAX_REGIONS) or -EINTR
 * (the caller was killed; what was done stays done). Context: may sleep.
 */
static int unmap_chunked(struct vm_space *s, uint64_t start, uint64_t end, bool interruptible)
{
	struct vm_region *spare = region_get(s);
	struct vm_reclaim reclaim, *rc = &reclaim;
	int err = 0;
	if (!spare)
		return -ENOMEM;
	reclaim_setup(rc, (end - start) / PAGE_SIZE);
	uint64_t cursor = start;
	while (cursor < end) {
		spin_lock(&s->lock);
		struct vm_region *r = first_ending_after(s, cursor);
		if (!r || r->start >= end) {
			spin_unlock(&s->lock);
			break;
		}
		if (r->start > cursor)
			cursor = r->start;
		/* Removing a piece from the middle of a region splits it for good. */
		if (r->start < cursor && r->end > end && !regions_fit(s, 1)) {
			spin_unlock(&s->lock);
			err = -ENOMEM;
			break;
		}
		uint64_t limit = r->end < end ? r->end : end;
		uint64_t piece = limit;
		uint64_t mapped = arch_pt_next_table(s->root, cursor, limit);
		if (mapped < limit) {
			/* Up to the end of the UNMAP_CHUNK-aligned block holding the first mapped table. */
			uint64_t block_end = (mapped + UNMAP_CHUNK) & ~(UNMAP_CHUNK - 1);
			if (block_end < piece)
				piece = block_end;
		}
		reclaim_init(rc, s, cursor, piece);
		remove_range_locked(s, cursor, piece, &spare, rc);
		spin_unlock(&s->lock);
		reclaim_finish(rc);
		cursor = piece;
		if (cursor < end && sched_checkpoint() && interruptible) {
			err = -EINTR;
			break;
		}
		if (!spare && !(spare = region_get(s))) {
			err = cursor < end ? -ENOMEM : 0;
			break;
		}
	}
	reclaim_release(rc);
	region_put(s, spare);
	return err;
}

int vm_map(struct vm_space *s, uint64_t addr, uint64_t len, unsigned prot, enum vm_backing backing,
	   unsigned flags, uint64_t *out)
{
	if (len == 0 || len > USER_MAX || !prot_valid(prot))
		return -EINVAL;
	if (backing != VM_ANON_ZERO && backing != VM_ANON_ONE)
		return -EINVAL;
	/* A fixed mapping covers every page that [addr, addr + len) touches. */
	uint64_t start = (flags & VM_FIXED) ? addr & ~(PAGE_SIZE - 1) : 0;
	uint64_t end_unaligned = (flags & VM_FIXED) ? addr + len : len;
	if (end_unaligned < len || end_unaligned > USER_MAX)
		return -EINVAL;
	uint64_t size = ((end_unaligned + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) - start;
	uint64_t npages = size / PAGE_SIZE;
	if ((flags & VM_FIXED) && !range_ok(start, start + size))
		return -EINVAL;
	if ((flags & VM_POPULATE) && npages + pmm_user_reserve_pages() > pmm_free_pages_count())
		return -ENOMEM;
	struct vm_reclaim reclaim, *rc = &reclaim;
	struct vm_region *r, *spare;
	int err = place_locked(s, flags, &start, size, &r, &spare, rc);
	if (err)
		return err;
	/* The range is known now (not before, without VM_FIXED): what an undo must flush. */
	rc->start = start;
	rc->end = start + size;
	*r = (struct vm_region){ .start = start, .end = start + size, .prot = prot, .backing = backing,
				 .fault_around = (flags & VM_FAULT_AROUND) != 0 };
	region_insert(s, r);
	if (flags & VM_POPULATE) {
		struct fill_ctx c;
		fill_init(&c, backing, npages);
		err = arch_pt_map_range(s->root, start, npages, fill_frames, &c, arch_flags(prot));
		s->resident += c.allocated;
		if (err) {
			/* Undo: the region and every page mapped so far. */
			struct vm_region *none = NULL;
			remove_range_locked(s, start, start + size, &none, rc);
		}
	}
	spin_unlock(&s->lock);
	reclaim_finish(rc);
	reclaim_release(rc);
	region_put(s, spare);
	if (!err)
		*out = start;
	return err;
}

int vm_map_frames(struct vm_space *s, uint64_t addr, uint64_t npages, unsigned prot, const paddr_t *frames)
{
	uint64_t size = npages * PAGE_SIZE, i = 0;
	struct vm_reclaim reclaim, *rc = &reclaim;
	struct vm_region *r, *spare;
	int err = -EINVAL;
	if (npages == 0 || size / PAGE_SIZE != npages || addr + size < addr || !range_ok(addr, addr + size) ||
	    !prot_valid(prot))
		goto err_put;
	err = place_locked(s, VM_FIXED, &addr, size, &r, &spare, rc);
	if (err)
		goto err_put;
	*r = (struct vm_region){ .start = addr, .end = addr + size, .prot = prot, .backing = VM_ANON_ZERO, .cow = true };
	region_insert(s, r);
	for (; i < npages; i++) {
		if (!frames[i])
			continue; /* demand-zero */
		/* A frame someone else holds too is never written through this mapping (cow_break). */
		unsigned flags = region_flags(r);
		if (pmm_page_shared(frames[i]))
			flags &= ~ARCH_MAP_WRITE;
		if (arch_pt_map(s->root, addr + i * PAGE_SIZE, frames[i], flags)) {
			/* Undo: the region and the frames mapped so far (their references go with them). */
			struct vm_region *none = NULL;
			remove_range_locked(s, addr, addr + size, &none, rc);
			err = -ENOMEM;
			break;
		}
		s->resident++;
	}
	spin_unlock(&s->lock);
	reclaim_finish(rc);
	reclaim_release(rc);
	region_put(s, spare);
	if (!err)
		return 0;
err_put:
	for (; i < npages; i++)
		if (frames[i])
			pmm_page_put(frames[i]);
	return err;
}

static int unmap_range(struct vm_space *s, uint64_t addr, uint64_t len, uint64_t *start, uint64_t *end)
{
	*start = addr & ~(PAGE_SIZE - 1);
	*end = addr + len;
	if (len == 0 || *end < addr || *end > USER_MAX || *start < USER_MIN)
		return -EINVAL;
	*end = (*end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	return 0;
}

int vm_unmap(struct vm_space *s, uint64_t addr, uint64_t len)
{
	uint64_t start, end;
	int err = unmap_range(s, addr, len, &start, &end);
	return err ? err : unmap_chunked(s, start, end, true);
}

/*
 * A space vm_space_destroy empties in about the time of one unmap_chunked
 * piece: left to it, since unmapping piece by piece while the space is
 * still loaded costs a lock round and a TLB flush per region (most of an
 * ending program's teardown), where destroy, run when no CPU has the space
 * loaded any more, needs no flush at all.
 */
#define CLEAR_SMALL_PAGES   (UNMAP_CHUNK / PAGE_SIZE)
#define CLEAR_SMALL_REGIONS 64

void vm_space_clear(struct vm_space *s)
{
	spin_lock(&s->lock);
	bool small = s->resident <= CLEAR_SMALL_PAGES && s->nregions <= CLEAR_SMALL_REGIONS;
	spin_unlock(&s->lock);
	if (small)
		return;
	/* Not interruptible: an exiting thread (killed or not) must empty its space all the way. */
	(void)unmap_chunked(s, USER_MIN, USER_MAX, false);
}

/* Merge @r with its successor when they continue each other. Needs lock. */
static bool try_merge_next(struct vm_space *s, struct vm_region *r)
{
	spin_assert_held(&s->lock);
	struct vm_region *n = to_region(rb_next(&r->node));
	if (!n || n->start != r->end || n->prot != r->prot || n->backing != r->backing || n->cow != r->cow ||
	    n->fault_around != r->fault_around)
		return false;
	if (!owns_frames(r) && (n->object != r->object || n->pgoff != r->pgoff + (r->end - r->start) / PAGE_SIZE))
		return false;
	r->end = n->end;
	region_remove(s, n);
	region_put(s, n);
	return true;
}

/*
 * Bring the page-table rights of [start, end) in line with the regions, at
 * most UNMAP_CHUNK bytes of mapped pages per lock hold, with a preemption
 * point between pieces. Each piece applies the rights its regions have now,
 * so a map or unmap by another thread in between is never overridden. Until
 * a piece is done its pages keep their old rights: an access there is one
 * that happened before the call (vm_fault upgrades a page whose region
 * became writable). Context: may sleep.
 */
static void sync_rights_chunked(struct vm_space *s, uint64_t start, uint64_t end)
{
	uint64_t cursor = start;
	while (cursor < end) {
		spin_lock(&s->lock);
		uint64_t mapped = arch_pt_next_table(s->root, cursor, end);
		if (mapped >= end) {
			spin_unlock(&s->lock);
			return;
		}
		uint64_t piece = (mapped + UNMAP_CHUNK) & ~(UNMAP_CHUNK - 1);
		if (piece > end || piece == 0)
			piece = end;
		bool narrowed = false;
		for (struct vm_region *r = first_ending_after(s, mapped); r && r->start < piece;
		     r = to_region(rb_next(&r->node))) {
			uint64_t lo = r->start > mapped ? r->start : mapped, hi = r->end < piece ? r->end : piece;
			/* A page of a copy-on-write region gets write back on its first write fault. */
			unsigned flags = r->cow ? region_flags(r) & ~ARCH_MAP_WRITE : region_flags(r);
			narrowed |= arch_pt_protect_range(s->root, lo, hi, flags) != 0;
		}
		/* Rights only gained: no CPU needs to forget anything (a stale entry faults, vm_fault retries). */
		if (narrowed)
			tlb_flush_space(s, mapped, piece);
		spin_unlock(&s->lock);
		cursor = piece;
		if (cursor < end && sched_checkpoint())
			return; /* killed: the whole process is going, its rights no longer matter */
	}
}

/* Whether regions cover [start, end) without a hole. Needs lock. */
static bool range_covered(struct vm_space *s, uint64_t start, uint64_t end)
{
	spin_assert_held(&s->lock);
	uint64_t covered = start;
	for (struct vm_region *r = first_ending_after(s, start); r && r->start <= covered && covered < end;
	     r = to_region(rb_next(&r->node)))
		covered = r->end;
	return covered >= end;
}

/* How many regions giving [start, end) (covered by regions) the protection @prot splits (0-2). Needs lock. */
static unsigned splits_needed(struct vm_space *s, uint64_t start, uint64_t end, unsigned prot)
{
	spin_assert_held(&s->lock);
	unsigned n = 0;
	struct vm_region *first = first_ending_after(s, start);
	if (first->prot != prot && first->start < start)
		n++;
	struct vm_region *last = first_ending_after(s, end - 1);
	if (last->prot != prot && last->end > end)
		n++;
	return n;
}

/*
 * Give [start, end) (covered by regions) the protection @prot, splitting
 * the edge regions with @spare (two). Returns how many spares it used.
 * Needs lock.
 */
static int set_prot_locked(struct vm_space *s, uint64_t start, uint64_t end, unsigned prot,
			   struct vm_region *spare[2])
{
	int used = 0;
	struct vm_region *r = first_ending_after(s, start);
	struct vm_region *prev = to_region(rb_prev(&r->node));
	while (r && r->start < end) {
		if (r->prot != prot) {
			if (r->start < start)
				r = region_split(s, r, start, spare[used++]); /* the head keeps its rights */
			if (r->end > end)
				region_split(s, r, end, spare[used++]); /* and so does the tail */
			r->prot = prot;
		}
		r = to_region(rb_next(&r->node));
	}
	/* Keep the tree small: merge what now continues its neighbour. */
	struct vm_region *m = prev ? prev : first_ending_after(s, start);
	while (m && m->start <= end) {
		if (!try_merge_next(s, m))
			m = to_region(rb_next(&m->node));
	}
	return used;
}

int vm_protect(struct vm_space *s, uint64_t addr, uint64_t len, unsigned prot)
{
	uint64_t start = addr & ~(PAGE_SIZE - 1);
	uint64_t end = addr + len;
	if (len == 0 || end < addr || end > USER_MAX || start < USER_MIN)
		return -EINVAL;
	if (!prot_valid(prot))
		return -EINVAL;
	end = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	/*
	 * A change in the middle of a region splits it in three: up to two
	 * spares, allocated without the lock. Most calls change whole regions
	 * and split none, so spares are allocated (and the lock taken again)
	 * only when the tree says a split is coming, and only as many.
	 */
	struct vm_region *spare[2] = { NULL, NULL };
	int err = 0, used = 0;
	for (;;) {
		spin_lock(&s->lock);
		bool retry = false;
		unsigned splits = 0;
		if (!range_covered(s, start, end))
			err = -ENOENT; /* nothing changes unless the whole range is mapped */
		else if ((splits = splits_needed(s, start, end, prot)) && !regions_fit(s, splits))
			err = -ENOMEM;
		else {
			take_spare(s, spare, splits);
			if (splits && !spare[splits - 1])
				retry = true;
			else
				err = 0, used = set_prot_locked(s, start, end, prot, spare);
		}
		spin_unlock(&s->lock);
		if (!retry)
			break;
		/* As many as the tree asked for; should it change meanwhile, the next round asks again. */
		bool short_of_memory = false;
		for (unsigned i = 0; i < splits && i < 2; i++)
			if (!spare[i] && !(spare[i] = region_get(s)))
				short_of_memory = true;
		if (short_of_memory) {
			err = -ENOMEM;
			break;
		}
	}
	/* The tree has the new rights; the page tables follow, piece by piece. */
	if (!err)
		sync_rights_chunked(s, start, end);
	for (int i = used; i < 2; i++)
		region_put(s, spare[i]);
	return err;
}

/*
 * Before a write to the present page @page of a copy-on-write region: if
 * its frame is shared (with a file, or a file's other mappings), give this
 * space a private copy, mapped with the old rights (still no write; the
 * caller grants what the access needs). Every CPU forgets the old frame
 * before this space drops its reference. Returns 0 or -ENOMEM. Needs lock.
 */
static int cow_break(struct vm_space *s, uint64_t page, const struct arch_mapping *m)
{
	spin_assert_held(&s->lock);
	paddr_t old = m->phys & ~(PAGE_SIZE - 1);
	if (!pmm_page_shared(old))
		return 0; /* ours alone (the file let go of it): written in place */
	paddr_t copy = pmm_alloc_user_page();
	if (!copy)
		return -ENOMEM;
	memcpy(phys_to_virt(copy), phys_to_virt(old), PAGE_SIZE);
	unsigned flags = ARCH_MAP_USER | (m->executable ? ARCH_MAP_EXEC : 0);
	/* The leaf table exists (the page is mapped): replacing the entry allocates nothing. */
	if (arch_pt_map(s->root, page, copy, flags)) {
		pmm_free_page(copy);
		return -ENOMEM;
	}
	tlb_flush_space(s, page, page + PAGE_SIZE);
	pmm_page_put(old);
	return 0;
}

/* Whether the instruction at @ip (up to 15 bytes) may lie on @page. */
static bool ip_on_page(uint64_t ip, uint64_t page)
{
	return ip && ((ip & ~(PAGE_SIZE - 1)) == page || ((ip + 14) & ~(PAGE_SIZE - 1)) == page);
}

/*
 * A fault on a mapped page of region @r: give it the rights its region has
 * gained (mprotect has not reached its entry yet), or switch a W^X page to
 * the view the access needs. Returns 0 (retry), VM_FAULT_STEP or -EFAULT.
 * Needs s->lock.
 */
static int fault_on_present(struct vm_space *s, struct vm_region *r, uint64_t page, unsigned access,
			    uint64_t user_ip, const struct arch_mapping *m)
{
	spin_assert_held(&s->lock);
	bool write = access & MM_FAULT_WRITE, exec = access & MM_FAULT_EXEC;
	if (write && r->cow) {
		int err = cow_break(s, page, m);
		if (err)
			return err;
	}
	if (prot_is_wx(r->prot) && write && m->executable && ip_on_page(user_ip, page)) {
		/*
		 * An instruction that writes to its own page needs both views
		 * at once: no retry could ever complete it. Open the page for
		 * exactly that instruction (the caller sets the trap flag) and
		 * close it in vm_single_step_done(). Only this CPU's entry is
		 * refreshed; the window lasts one instruction of this thread.
		 */
		arch_pt_protect_range(s->root, page, page + PAGE_SIZE, ARCH_MAP_USER | ARCH_MAP_WRITE | ARCH_MAP_EXEC);
		arch_tlb_flush_local(page, page + PAGE_SIZE);
		current_thread()->wx_step_page = page;
		__atomic_fetch_add(&wx_steps, 1, __ATOMIC_RELAXED);
		return VM_FAULT_STEP;
	}
	if (prot_is_wx(r->prot) && ((write && m->executable) || (exec && !m->executable))) {
		/*
		 * The other view: taking away write (or execute) must reach every
		 * CPU before the access is retried, or a stale entry would leave
		 * the page writable and executable at once somewhere.
		 */
		unsigned view = ARCH_MAP_USER | (exec ? ARCH_MAP_EXEC : ARCH_MAP_WRITE);
		arch_pt_protect_range(s->root, page, page + PAGE_SIZE, view);
		tlb_flush_space(s, page, page + PAGE_SIZE);
		return 0;
	}
	if ((write && !m->writable) || (exec && !m->executable))
		arch_pt_protect_range(s->root, page, page + PAGE_SIZE, region_flags(r));
	/* Rights gained, another CPU resolved it first, or a stale TLB entry: retry. */
	arch_tlb_flush_local(page, page + PAGE_SIZE);
	return 0;
}

bool mm_single_step_done(void)
{
	struct thread *t = current_thread();
	struct vm_space *s = vm_space_current();
	uint64_t page = t->wx_step_page;
	if (!page || !s)
		return false;
	t->wx_step_page = 0;
	/*
	 * Back to one view: the execute view, since this thread runs there.
	 * The lock is taken with IRQs on, as on the fault path, so that this
	 * CPU still answers shootdowns while it waits (the trap came from user
	 * mode, where IRQs were on).
	 */
	arch_irq_enable();
	spin_lock(&s->lock);
	struct arch_mapping m;
	if (arch_pt_query(s->root, page, &m) && m.writable && m.executable) {
		arch_pt_protect_range(s->root, page, page + PAGE_SIZE, ARCH_MAP_USER | ARCH_MAP_EXEC);
		tlb_flush_space(s, page, page + PAGE_SIZE);
	}
	spin_unlock(&s->lock);
	arch_irq_disable();
	return true;
}

/*
 * After a fault on @page of @r mapped it: map the untouched pages of the
 * aligned FAULT_AROUND_PAGES block around it as well, or, when the fault is
 * where the last such block ended, twice that block's pages from @page on
 * (up to FAULT_AROUND_MAX_PAGES): memory touched in order takes a handful
 * of faults, not one per block. Clipped to @r. Absent entries only, with
 * the frames' own rights; no flush, as nothing was present. Stops quietly
 * when programs may take no more memory. Needs lock.
 */
static void fault_around(struct vm_space *s, struct vm_region *r, uint64_t page)
{
	spin_assert_held(&s->lock);
	uint64_t lo, hi;
	if (page == r->fa_next && r->fa_pages) {
		r->fa_pages = r->fa_pages * 2 > FAULT_AROUND_MAX_PAGES ? FAULT_AROUND_MAX_PAGES : r->fa_pages * 2;
		lo = page;
		hi = page + (uint64_t)r->fa_pages * PAGE_SIZE;
	} else {
		const uint64_t block = FAULT_AROUND_PAGES * PAGE_SIZE;
		r->fa_pages = FAULT_AROUND_PAGES;
		lo = page & ~(block - 1);
		hi = lo + block;
	}
	if (lo < r->start)
		lo = r->start;
	if (hi > r->end || hi < lo)
		hi = r->end;
	r->fa_next = hi;
	struct fill_ctx c;
	fill_init(&c, r->backing, (hi - lo) / PAGE_SIZE - 1); /* the faulting page is mapped already */
	arch_pt_map_absent(s->root, lo, (hi - lo) / PAGE_SIZE, fill_frames, &c, region_flags(r));
	s->resident += c.allocated;
}

int vm_fault(struct vm_space *s, uint64_t addr, unsigned access, uint64_t user_ip, bool can_spin)
{
	if (addr < USER_MIN || addr >= USER_MAX)
		return -EFAULT;
	uint64_t page = addr & ~(PAGE_SIZE - 1);
	if (can_spin)
		spin_lock(&s->lock);
	else if (!spin_trylock(&s->lock))
		return -EFAULT; /* IRQs off: waiting could deadlock a shootdown */
	struct vm_region *r = first_ending_after(s, addr);
	if (!r || r->start > addr || ((access & MM_FAULT_WRITE) && !(r->prot & VM_WRITE)) ||
	    ((access & MM_FAULT_EXEC) && !(r->prot & VM_EXEC))) {
		spin_unlock(&s->lock);
		return -EFAULT;
	}
	struct arch_mapping m;
	if (arch_pt_query(s->root, page, &m)) {
		int err = fault_on_present(s, r, page, access, user_ip, &m);
		spin_unlock(&s->lock);
		return err;
	}
	paddr_t p;
	if (r->backing == VM_SHARED) {
		p = vm_object_page(r->object, r->pgoff + (page - r->start) / PAGE_SIZE);
	} else if (r->backing == VM_DEVICE) {
		p = (r->pgoff + (page - r->start) / PAGE_SIZE) * PAGE_SIZE; /* pgoff is the frame number */
	} else {
		struct fill_ctx c;
		fill_init(&c, r->backing, 1);
		p = fill_frames(&p, 1, &c) ? p : 0;
	}
	/* A W^X page that is first touched by a fetch starts in its execute view. */
	unsigned flags = (access & MM_FAULT_EXEC) && prot_is_wx(r->prot) ? ARCH_MAP_USER | ARCH_MAP_EXEC
									: region_flags(r);
	if (!p || arch_pt_map(s->root, page, p, flags)) {
		spin_unlock(&s->lock);
		if (p && owns_frames(r))
			pmm_free_page(p);
		return -ENOMEM; /* the faulting process cannot go on (a user access) or gets ENOMEM (uaccess) */
	}
	s->resident++;
	if (r->fault_around && owns_frames(r) && !r->cow && !prot_is_wx(r->prot))
		fault_around(s, r, page);
	spin_unlock(&s->lock);
	return 0;
}

bool vm_query(struct vm_space *s, uint64_t addr, struct vm_region *out)
{
	spin_lock(&s->lock);
	struct vm_region *r = first_ending_after(s, addr);
	bool found = r && r->start <= addr;
	if (found)
		*out = *r;
	spin_unlock(&s->lock);
	return found;
}

int mm_handle_page_fault(uint64_t addr, unsigned access, uint64_t user_ip, bool irqs_on)
{
	struct vm_space *s = vm_space_current();
	if (!s || addr >= USER_MAX)
		return MM_FAULT_UNRESOLVED;
	/*
	 * A read of a mapped page is refused by no right a region can have
	 * (every region is readable): nothing to resolve.
	 */
	if ((access & MM_FAULT_PRESENT) && !(access & (MM_FAULT_WRITE | MM_FAULT_EXEC)))
		return MM_FAULT_UNRESOLVED;
	if (irqs_on)
		arch_irq_enable();
	int err = vm_fault(s, addr, access, user_ip, irqs_on);
	if (irqs_on)
		arch_irq_disable();
	/* A uaccess copy that failed for want of a page reports ENOMEM, not EFAULT (spec §4.2 rule 6). */
	if (err == -ENOMEM && !(access & MM_FAULT_USER))
		uaccess_note_oom();
	if (err < 0)
		return MM_FAULT_UNRESOLVED;
	return err == VM_FAULT_STEP ? MM_FAULT_RETRY_STEP : MM_FAULT_RETRY;
}

uint64_t vm_wx_single_steps(void)
{
	return __atomic_load_n(&wx_steps, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ shared objects */

struct vm_object {
	uint64_t refcount;  /* atomic */
	struct spinlock lock;
	uint64_t npages;    /* Guarded by: lock; 0 until sized */
	paddr_t *pages;
};

static uint64_t objects_live; /* atomic */

uint64_t vm_objects_live(void)
{
	return __atomic_load_n(&objects_live, __ATOMIC_RELAXED);
}

struct vm_object *vm_object_create(void)
{
	struct vm_object *o = kzalloc(sizeof(*o));
	if (!o)
		return NULL;
	o->refcount = 1;
	spin_init(&o->lock);
	__atomic_fetch_add(&objects_live, 1, __ATOMIC_RELAXED);
	return o;
}

void vm_object_get(struct vm_object *o)
{
	__atomic_fetch_add(&o->refcount, 1, __ATOMIC_RELAXED);
}

void vm_object_put(struct vm_object *o)
{
	if (__atomic_sub_fetch(&o->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/*
	 * The last reference goes in thread context with no lock held (a region
	 * is freed after the space lock is dropped; a merge under the lock never
	 * drops the last one), so a big object is freed with preemption points.
	 */
	for (uint64_t i = 0; i < o->npages; i++) {
		if (o->pages[i])
			pmm_free_page(o->pages[i]);
		if (i % 1024 == 1023)
			(void)sched_checkpoint();
	}
	kfree(o->pages);
	__atomic_fetch_sub(&objects_live, 1, __ATOMIC_RELAXED);
	kfree(o);
}

uint64_t vm_object_pages(struct vm_object *o)
{
	spin_lock(&o->lock);
	uint64_t n = o->npages;
	spin_unlock(&o->lock);
	return n;
}

int vm_object_set_size(struct vm_object *o, uint64_t npages)
{
	if (npages == 0)
		return -EINVAL;
	/*
	 * Pages come on first touch (vm_fault), like private memory; the size
	 * obeys the same overcommit rule (spec §7 number 19, OUR CHOICE): never
	 * more than the memory programs may still take. Only the frame table is
	 * allocated now (8 bytes a page; its allocation bounds an object).
	 */
	uint64_t free = pmm_free_pages_count(), reserve = pmm_user_reserve_pages();
	if (free <= reserve || npages > free - reserve || npages > SIZE_MAX / sizeof(paddr_t))
		return -ENOMEM;
	paddr_t *pages = kzalloc(npages * sizeof(paddr_t));
	if (!pages)
		return -ENOMEM;
	spin_lock(&o->lock);
	if (o->npages) {
		spin_unlock(&o->lock);
		kfree(pages);
		return -EEXIST;
	}
	o->pages = pages;
	o->npages = npages;
	spin_unlock(&o->lock);
	return 0;
}

/*
 * The frame of page @i, allocated and zeroed on first use (OUR CHOICE: new
 * shared pages are zero). 0 when @i is out of range or memory ran out.
 * Context: any thread; takes o->lock (inside space->lock on the fault path).
 */
static paddr_t vm_object_page(struct vm_object *o, uint64_t i)
{
	spin_lock(&o->lock);
	paddr_t p = 0;
	if (i < o->npages) {
		p = o->pages[i];
		if (!p && (p = pmm_alloc_zeroed_user_page()))
			o->pages[i] = p;
	}
	spin_unlock(&o->lock);
	return p;
}

/*
 * Place a region of @npages pages at @addr (VM_FIXED) or anywhere free, made
 * from @tmpl (its backing, rights, object and page offset; the range is
 * filled in). Its pages are mapped as they are touched (vm_fault), so a
 * mapping costs no time per page. Used for memory the region does not own:
 * shared objects and device memory.
 */
static int map_on_touch(struct vm_space *s, uint64_t addr, uint64_t npages, unsigned flags,
			const struct vm_region *tmpl, uint64_t *out)
{
	uint64_t size = npages * PAGE_SIZE;
	uint64_t start = addr & ~(PAGE_SIZE - 1);
	if ((flags & VM_FIXED) && (start + size < start || !range_ok(start, start + size)))
		return -EINVAL;
	struct vm_reclaim reclaim, *rc = &reclaim;
	struct vm_region *r, *spare;
	int err = place_locked(s, flags, &start, size, &r, &spare, rc);
	if (err)
		return err;
	if (tmpl->object)
		vm_object_get(tmpl->object);
	*r = *tmpl;
	r->start = start;
	r->end = start + size;
	region_insert(s, r);
	spin_unlock(&s->lock);
	reclaim_finish(rc);
	reclaim_release(rc);
	region_put(s, spare);
	*out = start;
	return 0;
}

int vm_map_object(struct vm_space *s, uint64_t addr, struct vm_object *o, uint64_t pgoff, uint64_t npages,
		  unsigned prot, unsigned flags, uint64_t *out)
{
	if (npages == 0 || pgoff + npages > vm_object_pages(o) || !prot_valid(prot))
		return -EINVAL;
	struct vm_region tmpl = { .prot = prot, .backing = VM_SHARED, .object = o, .pgoff = pgoff };
	return map_on_touch(s, addr, npages, flags, &tmpl, out);
}

/* ------------------------------------------------------------ device memory */

int vm_map_device(struct vm_space *s, uint64_t addr, uint64_t phys, uint64_t npages, unsigned prot, unsigned flags,
		  uint64_t *out)
{
	if (npages == 0 || phys % PAGE_SIZE || !prot_valid(prot) || (prot & VM_EXEC))
		return -EINVAL;
	/* A 4 MiB framebuffer costs nothing until drawn on. */
	struct vm_region tmpl = { .prot = prot, .backing = VM_DEVICE, .pgoff = phys / PAGE_SIZE };
	return map_on_touch(s, addr, npages, flags, &tmpl, out);
}
