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
 * kstack_alloc - map a fresh stack. Returns its lowest usable address (the
 * stack top is that + KSTACK_PAGES * PAGE_SIZE), or 0 when out of memory.
 * Context: any; does not sleep.
 */
uint64_t kstack_alloc(void);
/* kstack_free - unmap and free a stack from kstack_alloc(). */
void kstack_free(uint64_t bottom);
uint64_t kstacks_live(void);

#endif
