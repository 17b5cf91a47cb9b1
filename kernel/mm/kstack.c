// SPDX-License-Identifier: MIT
// Kernel-stack slots. A slot is KSTACK_SLOT bytes of virtual space; its top
// KSTACK_PAGES pages are mapped, the rest stays unmapped as a guard.
// The last KSTACK_CACHE freed stacks stay mapped, ready for the next thread:
// mapping a stack's pages and unmapping them again (with the TLB flush)
// cost a thread create-and-end about 14 us of its 90 under QEMU.
// Any other freed stack is unmapped at once (its pages go back, a late access on
// this CPU faults), but other CPUs may keep its translations until a TLB
// flush reaches them. Flushing every CPU at every free cost each ending
// thread a round trip of IPIs to all CPUs, halted ones included; instead a
// freed slot waits in a dirty list, and one flush of the whole stack area
// on every CPU per KSTACK_FLUSH_BATCH frees makes the batch reusable. No
// code touches a dead thread's stack, so a stale translation is never used;
// the kernel half's page tables are never freed, so no stale table is either.
// Locks: kstack_lock guards the cache, the slot free list and the next-slot counter;
// kstack_pt_lock serialises the page-table updates of the stack area. Both
// are taken with IRQs off and never together.
#include "kernel/mm/kstack.h"

#include "arch/x86_64/arch.h"
#include "kernel/abi/errno.h"
#include "kernel/log/log.h"
#include "kernel/mm/pmm.h"
#include "kernel/sync/spinlock.h"

#define MAX_SLOTS ((0x10000000000ULL) / KSTACK_SLOT) /* a 1 TiB area */

static struct spinlock kstack_lock = SPINLOCK_INIT;
/*
 * The stack area's page tables are shared by every CPU and every address
 * space. Two CPUs mapping stacks in the same fresh 2 MiB range would each
 * create the missing page table and one would overwrite the other's entry,
 * losing a stack page (a double fault on first use); the per-table entry
 * counts are plain read-modify-writes too. So every map and unmap here
 * holds this lock.
 */
static struct spinlock kstack_pt_lock = SPINLOCK_INIT;
/* Guarded by: kstack_lock */
static uint64_t next_slot;
#define MAX_FREE_SLOTS 16384
static uint32_t free_slots[MAX_FREE_SLOTS]; /* stack of freed slot numbers, flushed everywhere */
static uint64_t nfree;
static uint32_t dirty_slots[KSTACK_FLUSH_BATCH]; /* freed, perhaps still in other CPUs' TLBs */
static uint64_t ndirty;
static uint64_t cache[KSTACK_CACHE]; /* freed stacks (their bottoms), still mapped */
static uint64_t ncached;
static uint64_t live;                /* atomic reads; written under kstack_lock */

static uint64_t slot_bottom(uint64_t slot)
{
	return KSTACK_BASE + slot * KSTACK_SLOT + KSTACK_SLOT - KSTACK_PAGES * PAGE_SIZE;
}

static void unmap_stack(uint64_t bottom)
{
	uint64_t root = arch_pt_kernel_root();
	irqflags_t f = spin_lock_irqsave(&kstack_pt_lock);
	for (int i = 0; i < KSTACK_PAGES; i++) {
		struct arch_mapping m;
		uint64_t va = bottom + i * PAGE_SIZE;
		if (arch_pt_query(root, va, &m)) {
			arch_pt_unmap_range(root, va, va + PAGE_SIZE, NULL, NULL);
			pmm_free_page(m.phys);
		}
	}
	spin_unlock_irqrestore(&kstack_pt_lock, f);
	/* Other CPUs drop it with the next batch (kstack_free). */
	arch_tlb_flush_local(bottom, bottom + KSTACK_PAGES * PAGE_SIZE);
}

/* Make @n dirty slots reusable. Needs kstack_lock. */
static void release_slots(const uint32_t *slots, uint64_t n)
{
	spin_assert_held(&kstack_lock);
	/* A full free list forgets a slot's address space (not its memory): 1 TiB is plenty. */
	for (uint64_t i = 0; i < n && nfree < MAX_FREE_SLOTS; i++)
		free_slots[nfree++] = slots[i];
}

static void release_stack(uint64_t bottom);

uint64_t kstack_alloc(void)
{
	irqflags_t f = spin_lock_irqsave(&kstack_lock);
	uint64_t slot;
	if (ncached) {
		uint64_t bottom = cache[--ncached];
		live++;
		spin_unlock_irqrestore(&kstack_lock, f);
		return bottom;
	}
	if (nfree) {
		slot = free_slots[--nfree];
	} else if (next_slot < MAX_SLOTS) {
		slot = next_slot++;
	} else {
		spin_unlock_irqrestore(&kstack_lock, f);
		return 0;
	}
	live++;
	spin_unlock_irqrestore(&kstack_lock, f);

	uint64_t bottom = slot_bottom(slot);
	for (int i = 0; i < KSTACK_PAGES; i++) {
		paddr_t p = pmm_alloc_page();
		int err = -ENOMEM;
		if (p) {
			f = spin_lock_irqsave(&kstack_pt_lock);
			err = arch_pt_map(arch_pt_kernel_root(), bottom + i * PAGE_SIZE, p,
					  ARCH_MAP_WRITE | ARCH_MAP_GLOBAL);
			spin_unlock_irqrestore(&kstack_pt_lock, f);
		}
		if (err) {
			if (p)
				pmm_free_page(p);
			/* Not into the cache: part of it is unmapped. */
			f = spin_lock_irqsave(&kstack_lock);
			live--;
			spin_unlock_irqrestore(&kstack_lock, f);
			release_stack(bottom);
			return 0;
		}
	}
	return bottom;
}

/* Unmap @bottom's stack and free its pages; its slot becomes reusable after the next batched flush. */
static void release_stack(uint64_t bottom)
{
	unmap_stack(bottom);
	uint32_t slot = (uint32_t)((bottom - KSTACK_BASE) / KSTACK_SLOT);
	uint32_t batch[KSTACK_FLUSH_BATCH + 1];
	irqflags_t f = spin_lock_irqsave(&kstack_lock);
	if (ndirty < KSTACK_FLUSH_BATCH) {
		dirty_slots[ndirty++] = slot;
		spin_unlock_irqrestore(&kstack_lock, f);
		return;
	}
	/* Take the batch: whatever is freed during our flush waits for the next one. */
	uint64_t n = ndirty;
	for (uint64_t i = 0; i < n; i++)
		batch[i] = dirty_slots[i];
	batch[n++] = slot;
	ndirty = 0;
	spin_unlock_irqrestore(&kstack_lock, f);
	arch_tlb_shootdown_all(KSTACK_BASE, KSTACK_BASE + MAX_SLOTS * KSTACK_SLOT);
	arch_tlb_flush_local(KSTACK_BASE, KSTACK_BASE + MAX_SLOTS * KSTACK_SLOT);
	f = spin_lock_irqsave(&kstack_lock);
	release_slots(batch, n);
	spin_unlock_irqrestore(&kstack_lock, f);
}

void kstack_free(uint64_t bottom)
{
	irqflags_t f = spin_lock_irqsave(&kstack_lock);
	live--;
	if (ncached < KSTACK_CACHE) {
		cache[ncached++] = bottom;
		spin_unlock_irqrestore(&kstack_lock, f);
		return;
	}
	spin_unlock_irqrestore(&kstack_lock, f);
	release_stack(bottom);
}

void kstack_cache_drain(void)
{
	for (;;) {
		irqflags_t f = spin_lock_irqsave(&kstack_lock);
		uint64_t bottom = ncached ? cache[--ncached] : 0;
		spin_unlock_irqrestore(&kstack_lock, f);
		if (!bottom)
			return;
		release_stack(bottom);
	}
}

uint64_t kstack_cached_pages(void)
{
	return __atomic_load_n(&ncached, __ATOMIC_RELAXED) * KSTACK_PAGES;
}

uint64_t kstack_slots_used(void)
{
	irqflags_t f = spin_lock_irqsave(&kstack_lock);
	uint64_t n = next_slot;
	spin_unlock_irqrestore(&kstack_lock, f);
	return n;
}

uint64_t kstacks_live(void)
{
	return __atomic_load_n(&live, __ATOMIC_RELAXED);
}
