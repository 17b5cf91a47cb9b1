// SPDX-License-Identifier: MIT
// Kernel heap: size-class slabs for small objects, whole pages for large ones.
#ifndef QUILT_MM_KMALLOC_H
#define QUILT_MM_KMALLOC_H

#include <stddef.h>
#include <stdint.h>

#define KMALLOC_MAX_SMALL 2048

/*
 * kmalloc - allocate @size bytes, 16-byte aligned (page aligned above
 * KMALLOC_MAX_SMALL). Returns NULL when out of memory or @size is 0.
 * Context: any; does not sleep.
 */
void *kmalloc(size_t size);
/* kzalloc - kmalloc, zero-filled. */
void *kzalloc(size_t size);
/* kfree - free a kmalloc'd pointer; NULL is ignored. Panics on a double free when heap debugging is on. */
void kfree(void *ptr);

/* Empty slab pages kept for reuse (one per size class at most). */
uint64_t kmalloc_retained_pages(void);

/* Bytes handed out and not yet freed (rounded to the size classes). */
uint64_t kmalloc_bytes_in_use(void);

/* Poison freed objects and check for double frees (command line: heap_debug). */
extern int kmalloc_debug;

#endif
