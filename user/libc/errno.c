// SPDX-License-Identifier: MIT
// Per-thread slots (errno, join word) located from the stack pointer, since
// the ABI gives user space no TLS register (spec §10.4: FS/GS base are 0).
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "user/libc/internal.h"

/*
 * Slot t belongs to thread t. Thread t's stack spans
 * [top(t) - 400 KiB, top(t)], so (USER_STACK_TOP - sp) / stride == t for
 * every stack pointer it can hold, including RSP == top(t) at its first
 * instruction (§7.23). Tids are dense and never reused (§9.2), so a table
 * indexed by tid needs no recycling, and a slot that starts zeroed gives a
 * new thread errno 0 without anyone clearing it.
 *
 * The table is sparse, in chunks of SLOTS_PER_CHUNK: the first chunk is
 * static (programs with few threads never allocate; directory 0's first
 * entry stays unused), the others are
 * allocated zeroed on demand and hung from a two-level directory, so any
 * tid the stack area allows has a slot. The slots cannot live on the
 * threads' stacks: a joiner reads the done word after the thread ended,
 * when the kernel has already reclaimed that stack (§7 number 1).
 * Pointers are published with a compare-and-swap, so lookups take no lock.
 */
#define SLOTS_PER_CHUNK 1024u
#define CHUNKS_PER_DIR 512u
/* Tids below this have a slot: more than the stack area holds (USER_STACK_LAST_TID). */
#define NDIRS 1024u
#define MAX_SLOT_TID ((uint64_t)NDIRS * CHUNKS_PER_DIR * SLOTS_PER_CHUNK)

_Static_assert(MAX_SLOT_TID > (USER_STACK_TOP - 0x400000ull) / USER_STACK_STRIDE,
	       "every tid with a stack region has a slot");

struct slot_chunk {
	struct thread_slot slots[SLOTS_PER_CHUNK];
};

struct slot_dir {
	struct slot_chunk *_Atomic chunks[CHUNKS_PER_DIR];
};

/* Tids below SLOTS_PER_CHUNK use the static chunk (in .bss, like everything here). */
static struct slot_chunk first_chunk;
static struct slot_dir *_Atomic dirs[NDIRS];
/* Threads without a slot of their own share this one (their errno is then unreliable). */
static struct thread_slot spare;

/* Install a zeroed object of @bytes at *@where unless someone was faster. Returns what is there. */
static void *install(void *_Atomic *where, size_t bytes)
{
	void *have = atomic_load_explicit(where, memory_order_acquire);
	if (have)
		return have;
	void *fresh = calloc(1, bytes);
	if (!fresh)
		return NULL;
	if (!atomic_compare_exchange_strong_explicit(where, &have, fresh, memory_order_acq_rel,
						     memory_order_acquire)) {
		free(fresh); /* another thread installed one first */
		return have;
	}
	return fresh;
}

/* The slot of @tid, allocating its chunk if @create. NULL: none (or no memory). */
static struct thread_slot *lookup(uint64_t tid, bool create)
{
	if (tid < SLOTS_PER_CHUNK)
		return &first_chunk.slots[tid];
	if (tid >= MAX_SLOT_TID)
		return NULL;
	uint64_t chunk_no = tid / SLOTS_PER_CHUNK;
	void *_Atomic *dir_ref = (void *_Atomic *)&dirs[chunk_no / CHUNKS_PER_DIR];
	struct slot_dir *dir = create ? install(dir_ref, sizeof(struct slot_dir))
				      : atomic_load_explicit(dir_ref, memory_order_acquire);
	if (!dir)
		return NULL;
	void *_Atomic *chunk_ref = (void *_Atomic *)&dir->chunks[chunk_no % CHUNKS_PER_DIR];
	struct slot_chunk *chunk = create ? install(chunk_ref, sizeof(struct slot_chunk))
					  : atomic_load_explicit(chunk_ref, memory_order_acquire);
	return chunk ? &chunk->slots[tid % SLOTS_PER_CHUNK] : NULL;
}

static uint64_t tid_at(uint64_t sp)
{
	return sp > USER_STACK_TOP ? UINT64_MAX : (USER_STACK_TOP - sp) / USER_STACK_STRIDE;
}

struct thread_slot *__thread_slot_at(uint64_t sp)
{
	struct thread_slot *s = lookup(tid_at(sp), false);
	return s ? s : &spare;
}

struct thread_slot *__thread_slot_of(tid_t tid)
{
	return lookup(tid, true);
}

bool __thread_slot_claim(uint64_t sp)
{
	return lookup(tid_at(sp), true) != NULL;
}

int *__errno_location(void)
{
	return &__thread_slot_at(__current_sp())->err;
}
