// SPDX-License-Identifier: MIT
// Kernel stacks: each in its own slot of the kernel-stack area with unmapped
// guard pages below it, so an overflow faults instead of corrupting memory.
#ifndef QUILT_MM_KSTACK_H
#define QUILT_MM_KSTACK_H

#include <stdint.h>

#define KSTACK_BASE   0xFFFFFE8000000000ULL
#define KSTACK_PAGES  8                  /* 32 KiB usable */
#define KSTACK_SLOT   (64 * 1024ULL)     /* stack + guard region per slot */

/*
 * kstack_alloc - a stack: one of the few recently freed ones kept mapped,
 * else a freshly mapped one. Returns its lowest usable address (the stack
 * top is that + KSTACK_PAGES * PAGE_SIZE), or 0 when out of memory. Its
 * contents are undefined. Context: any; does not sleep.
 */
uint64_t kstack_alloc(void);
/*
 * kstack_free - give back a stack from kstack_alloc(). Up to KSTACK_CACHE
 * freed stacks stay mapped for the next allocations; the others are
 * unmapped and freed at once, their slots reused once a flush of every
 * CPU's TLB has followed, which happens once per KSTACK_FLUSH_BATCH frees.
 * Context: any thread; may wait for IPIs.
 */
void kstack_free(uint64_t bottom);
#define KSTACK_CACHE 8
#define KSTACK_FLUSH_BATCH 64
/* Unmap and free every stack the cache keeps (tests). Context: as kstack_free. */
void kstack_cache_drain(void);
/* Stacks in use (allocated and not freed); the cached ones are not counted. */
uint64_t kstacks_live(void);
/* Pages of the freed stacks the cache keeps mapped. */
uint64_t kstack_cached_pages(void);
/* Slots ever used: the high-water mark of the stack area. */
uint64_t kstack_slots_used(void);

#endif
