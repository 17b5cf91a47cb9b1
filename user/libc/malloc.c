// SPDX-License-Identifier: MIT
// The heap: power-of-two size classes carved from 64 KiB chunks, one mapping
// per large block; all memory is a private mapping of /dev/zero (spec §7.19).
// Locks: heap_lock (the free lists and the /dev/zero descriptor).
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <threads.h>

#include "user/libc/internal.h"

/*
 * Every block starts with a 16-byte header, so payloads stay 16-byte
 * aligned. A small block is 2^shift bytes (header included) for shift in
 * [MIN_SHIFT, MAX_SHIFT]; those sizes tile a chunk exactly, so no chunk
 * bytes are wasted, at the price of up to half a block of slack. Requests
 * that do not fit the largest class (more than 32 KiB - 16) get a mapping of
 * their own, returned to the kernel by free(). Chunks are never unmapped:
 * freed small blocks go on their class's free list (LIFO).
 */
#define HEADER_BYTES 16
#define CHUNK_BYTES (64 * 1024)
#define MIN_SHIFT 5  /* 32-byte blocks: 16 bytes of payload */
#define MAX_SHIFT 15 /* 32 KiB blocks */
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define LARGE_CLASS 0xffffu
#define MAX_SMALL_PAYLOAD ((1u << MAX_SHIFT) - HEADER_BYTES)
#define MAGIC_USED 0x4b4c4f43u /* "COLK" */
#define MAGIC_FREE 0x45455246u /* "FREE" */

_Static_assert((1u << MAX_SHIFT) <= CHUNK_BYTES, "a chunk holds at least one block");

struct block {
	uint32_t magic;
	uint32_t cls;	/* size class index, or LARGE_CLASS */
	uint64_t bytes; /* whole block (small) or whole mapping (large) */
	/* payload, 16-byte aligned; a free block keeps its list link here */
	struct block *next_free;
};
_Static_assert(offsetof(struct block, next_free) == HEADER_BYTES, "header is 16 bytes");

static mtx_t heap_lock = MTX_INIT;
/* Guarded by: heap_lock */
static struct block *free_lists[NCLASSES];
static fd_t zero_fd = FD_NONE;

/* The class of a request of @size bytes, or -1 if it needs its own mapping. */
static int size_class(size_t size)
{
	if (size > MAX_SMALL_PAYLOAD)
		return -1;
	size_t need = size + HEADER_BYTES;
	/* Smallest shift with 2^shift >= need: 64 - clz(need - 1) for need >= 2. */
	int shift = 64 - __builtin_clzll((unsigned long long)need - 1);
	return shift < MIN_SHIFT ? 0 : shift - MIN_SHIFT;
}

static void *payload(struct block *b)
{
	return (char *)b + HEADER_BYTES;
}

static struct block *header_of(void *p)
{
	return (struct block *)((char *)p - HEADER_BYTES);
}

/* Map @bytes of fresh zero pages. Context: heap_lock held (for zero_fd). */
static void *map_zero(size_t bytes)
{
	if (zero_fd == FD_NONE) {
		fd_t fd = open("/dev/zero");
		if (fd == ERR)
			return NULL;
		zero_fd = fd;
	}
	return mmap(zero_fd, NULL, bytes, PROT_READ | PROT_WRITE);
}

/* Refill class @cls with the blocks of one new chunk. Context: heap_lock held. */
static bool refill(int cls)
{
	size_t block_bytes = (size_t)1 << (cls + MIN_SHIFT);
	char *chunk = map_zero(CHUNK_BYTES);
	if (!chunk)
		return false;
	/* Push in reverse so the list hands out ascending addresses. */
	for (size_t off = CHUNK_BYTES; off >= block_bytes; off -= block_bytes) {
		struct block *b = (struct block *)(chunk + off - block_bytes);
		b->magic = MAGIC_FREE;
		b->cls = cls;
		b->bytes = block_bytes;
		b->next_free = free_lists[cls];
		free_lists[cls] = b;
	}
	return true;
}

static void *large_alloc(size_t size)
{
	if (size > SIZE_MAX - HEADER_BYTES - PAGE_SIZE)
		return NULL;
	size_t bytes = (size + HEADER_BYTES + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
	mtx_lock(&heap_lock);
	struct block *b = map_zero(bytes);
	mtx_unlock(&heap_lock);
	if (!b)
		return NULL;
	b->magic = MAGIC_USED;
	b->cls = LARGE_CLASS;
	b->bytes = bytes;
	return payload(b);
}

void *malloc(size_t size)
{
	int saved = errno;
	int cls = size_class(size);
	void *p = NULL;

	if (cls < 0) {
		p = large_alloc(size);
	} else {
		mtx_lock(&heap_lock);
		if (free_lists[cls] || refill(cls)) {
			struct block *b = free_lists[cls];
			free_lists[cls] = b->next_free;
			b->magic = MAGIC_USED;
			p = payload(b);
		}
		mtx_unlock(&heap_lock);
	}
	/* Whatever open/mmap reported, C says a failed malloc sets ENOMEM. */
	errno = p ? saved : ENOMEM;
	return p;
}

/* The usable bytes of live block @b, after checking that it is one. */
static size_t capacity(struct block *b)
{
	if (b->magic != MAGIC_USED) {
		__libc_fatal(b->magic == MAGIC_FREE ? "free/realloc: block already freed\n"
						    : "free/realloc: not a heap pointer\n");
	}
	return b->bytes - HEADER_BYTES;
}

void free(void *ptr)
{
	if (!ptr)
		return;
	struct block *b = header_of(ptr);
	capacity(b);
	if (b->cls == LARGE_CLASS) {
		b->magic = MAGIC_FREE;
		int saved = errno;
		munmap(b, b->bytes);
		errno = saved;
		return;
	}
	if (b->cls >= NCLASSES)
		__libc_fatal("free: corrupted block header\n");
	mtx_lock(&heap_lock);
	b->magic = MAGIC_FREE;
	b->next_free = free_lists[b->cls];
	free_lists[b->cls] = b;
	mtx_unlock(&heap_lock);
}

void *calloc(size_t count, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(count, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = malloc(total);
	/* Recycled small blocks hold old data; fresh large mappings are already zero. */
	if (p && header_of(p)->cls != LARGE_CLASS)
		memset(p, 0, total);
	return p;
}

void *realloc(void *ptr, size_t size)
{
	if (!ptr)
		return malloc(size);
	size_t have = capacity(header_of(ptr));
	if (size <= have)
		return ptr;
	void *p = malloc(size);
	if (!p)
		return NULL; /* the old block stays valid, as C requires */
	memcpy(p, ptr, have);
	free(ptr);
	return p;
}
