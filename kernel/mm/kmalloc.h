// SPDX-License-Identifier: MIT
// Kernel heap: size-class slabs for small objects, whole pages for large ones.
#ifndef QUILT_MM_KMALLOC_H
#define QUILT_MM_KMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

#define KMALLOC_MAX_SMALL 2048

/*
 * kmalloc - allocate @size bytes, 16-byte aligned (page aligned above
 * KMALLOC_MAX_SMALL). Returns NULL when out of memory or @size is 0.
 * Context: any; does not sleep.
 */
__must_check void *kmalloc(size_t size);
/* kzalloc - kmalloc, zero-filled. */
__must_check void *kzalloc(size_t size);
/* kfree - free a kmalloc'd pointer; NULL is ignored. Panics on a double free when heap debugging is on. */
void kfree(void *ptr);

/* Empty slab pages kept for reuse (one per size class at most). */
uint64_t kmalloc_retained_pages(void);

/* Bytes handed out and not yet freed (rounded to the size classes). */
uint64_t kmalloc_bytes_in_use(void);

/*
 * Fault injection for tests: alloc_fail_arm(@nth) makes the calling
 * thread's @nth allocation from now (0 = the next; kmalloc or a page of the
 * page allocator) fail as if memory were exhausted, once; alloc_fail_disarm()
 * stops it and says whether that allocation was reached. Costs one load per
 * allocation when unused. Context: thread context.
 */
void alloc_fail_arm(uint64_t nth);
bool alloc_fail_disarm(void);
/* The allocators' hook: true when this allocation is the one to fail. */
bool alloc_fail_now(void);

/* Poison freed objects and check for double frees (command line: heap_debug). */
extern int kmalloc_debug;

#endif
