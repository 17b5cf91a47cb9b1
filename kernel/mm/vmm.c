// SPDX-License-Identifier: MIT
// Address spaces: regions in a red-black tree keyed by start address, pages in
// the arch page tables, demand-zero faults, teardown.
// Locks: space->lock guards the region tree, the user half of the page tables
// and the counters of one space. Every operation validates its arguments and
// allocates the region structures it may need before taking the lock, so a
// failing call changes nothing.
#include "kernel/mm/vmm.h"

#include "arch/x86_64/arch.h"
#include "kernel/abi/errno.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"

static uint64_t spaces_live, regions_live; /* atomic */

uint64_t vm_spaces_live(void) { return __atomic_load_n(&spaces_live, __ATOMIC_RELAXED); }
uint64_t vm_regions_live(void) { return __atomic_load_n(&regions_live, __ATOMIC_RELAXED); }

static struct vm_region *region_alloc(void)
{
	struct vm_region *r = kmalloc(sizeof(*r));
	if (r)
		__atomic_fetch_add(&regions_live, 1, __ATOMIC_RELAXED);
	return r;
}

static void region_free(struct vm_region *r)
{
	if (!r)
		return;
	__atomic_fetch_sub(&regions_live, 1, __ATOMIC_RELAXED);
	kfree(r);
}

static inline struct vm_region *to_region(struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_region, node) : NULL;
}

/* User page rights: user pages are executable (the ABI has no NX for user space). */
static unsigned arch_flags(unsigned prot)
{
	return ARCH_MAP_USER | ARCH_MAP_EXEC | ((prot & VM_WRITE) ? ARCH_MAP_WRITE : 0);
}

/* The lowest region whose end is above @addr (it may start after @addr). Needs lock. */
static struct vm_region *first_ending_after(struct vm_space *s, uint64_t addr)
{
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

static void free_frame(uint64_t pa, void *ctx)
{
	pmm_free_page(pa);
}

/* Make every CPU that may hold translations of @s forget [start, end). */
static void tlb_flush_space(struct vm_space *s, uint64_t start, uint64_t end)
{
	uint64_t mask = __atomic_load_n(&s->active_cpus, __ATOMIC_ACQUIRE);
	if (mask & (1ULL << arch_cpu_index()))
		arch_tlb_flush_local(start, end);
	/* Other CPUs: shootdown IPIs arrive with SMP bring-up (arch_tlb_shootdown). */
	mask &= ~(1ULL << arch_cpu_index());
	if (mask)
		arch_tlb_shootdown(mask, s->root, start, end);
}

void vm_space_destroy(struct vm_space *s)
{
	ASSERT(__atomic_load_n(&s->active_cpus, __ATOMIC_RELAXED) == 0);
	struct rb_node *n = rb_first(&s->regions);
	while (n) {
		struct vm_region *r = to_region(n);
		n = rb_next(n);
		arch_pt_unmap_range(s->root, r->start, r->end, free_frame, NULL);
		region_remove(s, r);
		region_free(r);
	}
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

/*
 * Remove [start, end) from the tree and the page tables, trimming or splitting
 * regions at the edges. A split needs one new region: *spare, consumed (set to
 * NULL) if used. Needs lock.
 */
static void remove_range_locked(struct vm_space *s, uint64_t start, uint64_t end, struct vm_region **spare)
{
	struct vm_region *r = first_ending_after(s, start);
	while (r && r->start < end) {
		struct vm_region *next = to_region(rb_next(&r->node));
		if (r->start < start && r->end > end) {
			/* The range is strictly inside r: keep both sides. */
			struct vm_region *tail = *spare;
			*spare = NULL;
			*tail = *r;
			tail->start = end;
			r->end = start;
			region_insert(s, tail);
			break;
		} else if (r->start < start) {
			r->end = start;
		} else if (r->end > end) {
			/* Moving the start forward keeps the tree order: nothing lies in between. */
			r->start = end;
		} else {
			region_remove(s, r);
			region_free(r);
		}
		r = next;
	}
	uint64_t n = arch_pt_unmap_range(s->root, start, end, free_frame, NULL);
	s->resident -= n;
	if (n)
		tlb_flush_space(s, start, end);
}

static bool range_ok(uint64_t start, uint64_t end)
{
	return start >= USER_MIN && end <= USER_MAX && start < end && !(start & (PAGE_SIZE - 1)) &&
	       !(end & (PAGE_SIZE - 1));
}

/* Lowest gap of @len bytes at or above USER_MIN. Needs lock. Returns 0 if none. */
static uint64_t find_gap(struct vm_space *s, uint64_t len)
{
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

struct fill_ctx {
	enum vm_backing backing;
	uint64_t allocated;
};

static uint64_t fill_next(void *arg)
{
	struct fill_ctx *c = arg;
	paddr_t p = pmm_alloc_page();
	if (!p)
		return 0;
	memset(phys_to_virt(p), c->backing == VM_ANON_ONE ? 0xff : 0, PAGE_SIZE);
	c->allocated++;
	return p;
}

int vm_map(struct vm_space *s, uint64_t addr, uint64_t len, unsigned prot, enum vm_backing backing,
	   unsigned flags, uint64_t *out)
{
	if (len == 0 || len > USER_MAX || (prot & ~(VM_READ | VM_WRITE)) || !(prot & VM_READ))
		return -EINVAL;
	if (backing != VM_ANON_ZERO && backing != VM_ANON_ONE)
		return -EINVAL;
	uint64_t npages = (len + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t size = npages * PAGE_SIZE;
	uint64_t start = addr & ~(PAGE_SIZE - 1);
	if ((flags & VM_FIXED) && (start > USER_MAX || !range_ok(start, start + size) || start + size < start))
		return -EINVAL;
	if ((flags & VM_POPULATE) && npages > pmm_free_pages_count())
		return -ENOMEM;

	struct vm_region *r = region_alloc();
	struct vm_region *spare = region_alloc();
	if (!r || !spare) {
		region_free(r);
		region_free(spare);
		return -ENOMEM;
	}
	irqflags_t f = spin_lock_irqsave(&s->lock);
	if (flags & VM_FIXED) {
		remove_range_locked(s, start, start + size, &spare);
	} else {
		start = find_gap(s, size);
		if (!start) {
			spin_unlock_irqrestore(&s->lock, f);
			region_free(r);
			region_free(spare);
			return -ENOMEM;
		}
	}
	r->start = start;
	r->end = start + size;
	r->prot = prot;
	r->backing = backing;
	region_insert(s, r);
	if (flags & VM_POPULATE) {
		struct fill_ctx c = { backing, 0 };
		int err = arch_pt_map_range(s->root, start, npages, fill_next, &c, arch_flags(prot));
		s->resident += c.allocated;
		if (err) {
			/* Undo: the region and every page mapped so far. */
			struct vm_region *none = NULL;
			remove_range_locked(s, start, start + size, &none);
			spin_unlock_irqrestore(&s->lock, f);
			region_free(spare);
			return err;
		}
	}
	spin_unlock_irqrestore(&s->lock, f);
	region_free(spare);
	*out = start;
	return 0;
}

int vm_unmap(struct vm_space *s, uint64_t addr, uint64_t len)
{
	uint64_t start = addr & ~(PAGE_SIZE - 1);
	uint64_t end = addr + len;
	if (len == 0 || end < addr || end > USER_MAX || start < USER_MIN)
		return -EINVAL;
	end = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	struct vm_region *spare = region_alloc();
	if (!spare)
		return -ENOMEM;
	irqflags_t f = spin_lock_irqsave(&s->lock);
	remove_range_locked(s, start, end, &spare);
	spin_unlock_irqrestore(&s->lock, f);
	region_free(spare);
	return 0;
}

/* Merge @r with its successor when they continue each other. Needs lock. */
static bool try_merge_next(struct vm_space *s, struct vm_region *r)
{
	struct vm_region *n = to_region(rb_next(&r->node));
	if (!n || n->start != r->end || n->prot != r->prot || n->backing != r->backing)
		return false;
	r->end = n->end;
	region_remove(s, n);
	region_free(n);
	return true;
}

int vm_protect(struct vm_space *s, uint64_t addr, uint64_t len, unsigned prot)
{
	uint64_t start = addr & ~(PAGE_SIZE - 1);
	uint64_t end = addr + len;
	if (len == 0 || end < addr || end > USER_MAX || start < USER_MIN)
		return -EINVAL;
	if ((prot & ~(VM_READ | VM_WRITE)) || !(prot & VM_READ))
		return -EINVAL;
	end = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	struct vm_region *spare[2] = { region_alloc(), region_alloc() };
	if (!spare[0] || !spare[1]) {
		region_free(spare[0]);
		region_free(spare[1]);
		return -ENOMEM;
	}
	irqflags_t f = spin_lock_irqsave(&s->lock);
	/* The whole range must be covered, without holes, before anything changes. */
	uint64_t covered = start;
	for (struct vm_region *r = first_ending_after(s, start); r && r->start <= covered && covered < end;
	     r = to_region(rb_next(&r->node)))
		covered = r->end;
	if (covered < end) {
		spin_unlock_irqrestore(&s->lock, f);
		region_free(spare[0]);
		region_free(spare[1]);
		return -ENOENT;
	}
	int used = 0;
	struct vm_region *r = first_ending_after(s, start);
	struct vm_region *prev = to_region(rb_prev(&r->node));
	while (r && r->start < end) {
		if (r->prot != prot) {
			if (r->start < start) {
				/* Split off the head that keeps its protection. */
				struct vm_region *tail = spare[used++];
				*tail = *r;
				tail->start = start;
				r->end = start;
				region_insert(s, tail);
				r = tail;
			}
			if (r->end > end) {
				struct vm_region *tail = spare[used++];
				*tail = *r;
				tail->start = end;
				r->end = end;
				region_insert(s, tail);
			}
			r->prot = prot;
		}
		r = to_region(rb_next(&r->node));
	}
	if (arch_pt_protect_range(s->root, start, end, arch_flags(prot)))
		tlb_flush_space(s, start, end);
	/* Keep the tree small: merge what now continues its neighbour. */
	struct vm_region *m = prev ? prev : first_ending_after(s, start);
	while (m && m->start <= end) {
		if (!try_merge_next(s, m))
			m = to_region(rb_next(&m->node));
	}
	spin_unlock_irqrestore(&s->lock, f);
	for (int i = used; i < 2; i++)
		region_free(spare[i]);
	return 0;
}

int vm_fault(struct vm_space *s, uint64_t addr, bool write)
{
	if (addr < USER_MIN || addr >= USER_MAX)
		return -EFAULT;
	uint64_t page = addr & ~(PAGE_SIZE - 1);
	irqflags_t f = spin_lock_irqsave(&s->lock);
	struct vm_region *r = first_ending_after(s, addr);
	if (!r || r->start > addr || (write && !(r->prot & VM_WRITE))) {
		spin_unlock_irqrestore(&s->lock, f);
		return -EFAULT;
	}
	struct arch_mapping m;
	if (arch_pt_query(s->root, page, &m)) {
		/* Another CPU resolved it first, or a stale TLB entry: retry if the rights allow. */
		spin_unlock_irqrestore(&s->lock, f);
		return (!write || m.writable) ? 0 : -EFAULT;
	}
	struct fill_ctx c = { r->backing, 0 };
	paddr_t p = fill_next(&c);
	if (!p || arch_pt_map(s->root, page, p, arch_flags(r->prot))) {
		spin_unlock_irqrestore(&s->lock, f);
		if (p)
			pmm_free_page(p);
		return -EFAULT; /* out of memory: the faulting process cannot go on */
	}
	s->resident++;
	spin_unlock_irqrestore(&s->lock, f);
	return 0;
}

bool vm_query(struct vm_space *s, uint64_t addr, struct vm_region *out)
{
	irqflags_t f = spin_lock_irqsave(&s->lock);
	struct vm_region *r = first_ending_after(s, addr);
	bool found = r && r->start <= addr;
	if (found)
		*out = *r;
	spin_unlock_irqrestore(&s->lock, f);
	return found;
}

/* Page faults from the trap path (arch/x86_64/trap.c). */
bool mm_handle_page_fault(uint64_t addr, uint64_t error, bool user)
{
	struct vm_space *s = vm_space_current();
	if (!s || addr >= USER_MAX)
		return false;
	/* Present + not a write: a protection fault no region can fix. */
	bool write = error & 2;
	if ((error & 1) && !write)
		return false;
	return vm_fault(s, addr, write) == 0;
}
