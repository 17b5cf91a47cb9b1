// SPDX-License-Identifier: MIT
// Slab-style heap. Each small size class keeps a list of slab pages that still
// have free objects; a slab's free objects form a list threaded through the
// objects themselves, its head kept in struct page->priv and its live count in
// ->refcount. A page-sized slab reached through the direct map needs no
// virtual heap area and no page-table work.
// Locks: class->lock per size class (its partial list and the slabs on it).
#include "kernel/mm/kmalloc.h"

#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/spinlock.h"

#define NCLASSES 8
#define KIND_SLAB  0x10 /* page->kind = KIND_SLAB + class */
#define KIND_LARGE 0x20
#define POISON_FREE 0x6b6b6b6b6b6b6b6bULL

struct size_class {
	struct spinlock lock;
	uint32_t size;
	uint32_t partial; /* frame number of the first slab with free objects, or PFN_NONE */
};

static struct size_class classes[NCLASSES] = {
	{ SPINLOCK_INIT, 16, PFN_NONE },  { SPINLOCK_INIT, 32, PFN_NONE },   { SPINLOCK_INIT, 64, PFN_NONE },
	{ SPINLOCK_INIT, 128, PFN_NONE }, { SPINLOCK_INIT, 256, PFN_NONE },  { SPINLOCK_INIT, 512, PFN_NONE },
	{ SPINLOCK_INIT, 1024, PFN_NONE }, { SPINLOCK_INIT, 2048, PFN_NONE },
};

static uint64_t bytes_in_use; /* atomic */
int kmalloc_debug;

static unsigned class_of(size_t size)
{
	unsigned c = 0;
	while (classes[c].size < size)
		c++;
	return c;
}

static struct page *page_of_pfn(uint32_t pfn)
{
	return pmm_page((paddr_t)pfn << PAGE_SHIFT);
}

static void partial_push(struct size_class *sc, uint32_t pfn)
{
	struct page *p = page_of_pfn(pfn);
	p->prev = PFN_NONE;
	p->next = sc->partial;
	if (sc->partial != PFN_NONE)
		page_of_pfn(sc->partial)->prev = pfn;
	sc->partial = pfn;
}

static void partial_remove(struct size_class *sc, uint32_t pfn)
{
	struct page *p = page_of_pfn(pfn);
	if (p->prev != PFN_NONE)
		page_of_pfn(p->prev)->next = p->next;
	else
		sc->partial = p->next;
	if (p->next != PFN_NONE)
		page_of_pfn(p->next)->prev = p->prev;
	p->next = p->prev = PFN_NONE;
}

/* A fresh slab page for @sc with all objects on its free list. Needs sc->lock. */
static bool slab_grow(struct size_class *sc, unsigned cls)
{
	spin_assert_held(&sc->lock);
	paddr_t phys = pmm_alloc_page();
	if (!phys)
		return false;
	struct page *p = pmm_page(phys);
	uint8_t *base = phys_to_virt(phys);
	p->kind = (uint8_t)(KIND_SLAB + cls);
	p->refcount = 0;
	uint64_t head = 0;
	for (int64_t off = (int64_t)(PAGE_SIZE - sc->size); off >= 0; off -= sc->size) {
		uint64_t *obj = (uint64_t *)(base + off);
		obj[0] = head;
		if (kmalloc_debug && sc->size >= 16)
			memset(obj + 1, 0x6b, sc->size - 8);
		head = (uint64_t)obj;
	}
	p->priv = head;
	partial_push(sc, (uint32_t)(phys >> PAGE_SHIFT));
	return true;
}

static void *fail_thread;        /* the thread whose allocations are counted, or NULL */
static uint64_t fail_countdown;    /* Owner: fail_thread */
static bool fail_done;             /* Owner: fail_thread */

void alloc_fail_arm(uint64_t nth)
{
	fail_countdown = nth;
	fail_done = false;
	__atomic_store_n(&fail_thread, current_thread(), __ATOMIC_RELEASE);
}

bool alloc_fail_disarm(void)
{
	__atomic_store_n(&fail_thread, NULL, __ATOMIC_RELEASE);
	return fail_done;
}

bool alloc_fail_now(void)
{
	if (__builtin_expect(__atomic_load_n(&fail_thread, __ATOMIC_ACQUIRE) == NULL, 1))
		return false;
	/* Only the armed thread's own allocations count (an IRQ on its CPU borrows it: rare, harmless). */
	if (__atomic_load_n(&fail_thread, __ATOMIC_ACQUIRE) != current_thread() || fail_done)
		return false;
	if (fail_countdown--)
		return false;
	fail_done = true;
	return true;
}

void *kmalloc(size_t size)
{
	if (size == 0 || alloc_fail_now())
		return NULL;
	if (size > KMALLOC_MAX_SMALL) {
		unsigned order = 0;
		while ((PAGE_SIZE << order) < size)
			order++;
		paddr_t phys = pmm_alloc_pages(order);
		if (!phys)
			return NULL;
		pmm_page(phys)->kind = KIND_LARGE;
		__atomic_fetch_add(&bytes_in_use, PAGE_SIZE << order, __ATOMIC_RELAXED);
		return phys_to_virt(phys);
	}
	unsigned cls = class_of(size);
	struct size_class *sc = &classes[cls];
	irqflags_t f = spin_lock_irqsave(&sc->lock);
	if (sc->partial == PFN_NONE && !slab_grow(sc, cls)) {
		spin_unlock_irqrestore(&sc->lock, f);
		return NULL;
	}
	struct page *p = page_of_pfn(sc->partial);
	uint64_t *obj = (uint64_t *)p->priv;
	if (kmalloc_debug && sc->size >= 16 && obj[1] != POISON_FREE)
		panic("kmalloc: free object %p of size %u was written after free", (void *)obj, sc->size);
	p->priv = obj[0];
	/* A live object never carries the poison word, so kfree can tell a second free. */
	if (kmalloc_debug && sc->size >= 16)
		obj[1] = 0;
	p->refcount++;
	if (p->priv == 0)
		partial_remove(sc, sc->partial); /* slab now full */
	spin_unlock_irqrestore(&sc->lock, f);
	__atomic_fetch_add(&bytes_in_use, sc->size, __ATOMIC_RELAXED);
	return obj;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *ptr)
{
	if (!ptr)
		return;
	paddr_t phys = virt_to_phys_direct(ptr);
	paddr_t page_phys = phys & ~(PAGE_SIZE - 1);
	struct page *p = pmm_page(page_phys);
	if (!p)
		panic("kfree: %p is not a heap address", ptr);
	if (p->kind == KIND_LARGE) {
		if (phys != page_phys)
			panic("kfree: %p is inside a large allocation", ptr);
		unsigned order = p->order;
		/* Poisoned like small objects: a use after free then reads garbage, not stale data. */
		if (kmalloc_debug)
			memset(ptr, 0x6b, PAGE_SIZE << order);
		p->kind = 0;
		__atomic_fetch_sub(&bytes_in_use, PAGE_SIZE << order, __ATOMIC_RELAXED);
		pmm_free_pages(page_phys, order);
		return;
	}
	if (p->kind < KIND_SLAB || p->kind >= KIND_SLAB + NCLASSES)
		panic("kfree: %p is not a heap object (page kind 0x%x)", ptr, p->kind);
	unsigned cls = p->kind - KIND_SLAB;
	struct size_class *sc = &classes[cls];
	if ((phys - page_phys) % sc->size)
		panic("kfree: %p is not the start of a %u-byte object", ptr, sc->size);
	uint64_t *obj = ptr;
	irqflags_t f = spin_lock_irqsave(&sc->lock);
	if (kmalloc_debug && sc->size >= 16) {
		if (obj[1] == POISON_FREE)
			panic("kfree: double free of %p (size %u)", ptr, sc->size);
		memset(obj + 1, 0x6b, sc->size - 8);
	}
	bool was_full = p->priv == 0;
	obj[0] = p->priv;
	p->priv = (uint64_t)obj;
	p->refcount--;
	uint32_t pfn = (uint32_t)(page_phys >> PAGE_SHIFT);
	if (was_full)
		partial_push(sc, pfn);
	/* Give an empty slab back unless it is the class's only partial one. */
	if (p->refcount == 0 && !(sc->partial == pfn && p->next == PFN_NONE)) {
		partial_remove(sc, pfn);
		p->kind = 0;
		p->priv = 0;
		spin_unlock_irqrestore(&sc->lock, f);
		pmm_free_page(page_phys);
	} else {
		spin_unlock_irqrestore(&sc->lock, f);
	}
	__atomic_fetch_sub(&bytes_in_use, sc->size, __ATOMIC_RELAXED);
}

uint64_t kmalloc_bytes_in_use(void)
{
	return __atomic_load_n(&bytes_in_use, __ATOMIC_RELAXED);
}

uint64_t kmalloc_retained_pages(void)
{
	uint64_t n = 0;
	for (unsigned c = 0; c < NCLASSES; c++) {
		irqflags_t f = spin_lock_irqsave(&classes[c].lock);
		for (uint32_t pfn = classes[c].partial; pfn != PFN_NONE; pfn = page_of_pfn(pfn)->next)
			n += page_of_pfn(pfn)->refcount == 0;
		spin_unlock_irqrestore(&classes[c].lock, f);
	}
	return n;
}
