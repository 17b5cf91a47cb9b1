// SPDX-License-Identifier: MIT
// Mutexes on SYS_FUTEX, and threads whose end is signalled through a futex
// word in their per-thread slot so that others can join them.
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <threads.h>
#include <unistd.h>

#include "user/libc/internal.h"

/*
 * The futex calls here go through the raw syscall4(): EAGAIN (the word
 * changed before we slept) and EINTR (a note) are expected outcomes of a
 * wait, and a lock or unlock must not overwrite the caller's errno.
 */
static void futex_wait_raw(_Atomic(uint64_t) *word, uint64_t expected)
{
	syscall4(SYS_FUTEX, (uint64_t)word, expected, FUTEX_WAIT, CLOCKS_NEVER);
}

static void futex_wake_raw(_Atomic(uint64_t) *word, uint64_t count)
{
	syscall4(SYS_FUTEX, (uint64_t)word, count, FUTEX_WAKE, 0);
}

void mtx_init(mtx_t *m)
{
	atomic_store_explicit(&m->state, 0, memory_order_relaxed);
}

int mtx_trylock(mtx_t *m)
{
	uint64_t c = 0;
	return atomic_compare_exchange_strong_explicit(&m->state, &c, 1, memory_order_acquire,
						       memory_order_relaxed);
}

void mtx_lock(mtx_t *m)
{
	uint64_t c = 0;
	if (atomic_compare_exchange_strong_explicit(&m->state, &c, 1, memory_order_acquire,
						    memory_order_relaxed))
		return;
	/*
	 * Contended: mark the lock 2 ("maybe waiters") before sleeping, so the
	 * holder's unlock knows to wake someone. Whoever takes the lock out of
	 * this loop leaves it at 2, which at worst costs one needless wake.
	 */
	if (c != 2)
		c = atomic_exchange_explicit(&m->state, 2, memory_order_acquire);
	while (c != 0) {
		futex_wait_raw(&m->state, 2);
		c = atomic_exchange_explicit(&m->state, 2, memory_order_acquire);
	}
}

void mtx_unlock(mtx_t *m)
{
	if (atomic_fetch_sub_explicit(&m->state, 1, memory_order_release) != 1) {
		atomic_store_explicit(&m->state, 0, memory_order_release);
		futex_wake_raw(&m->state, 1);
	}
}

struct start_record {
	void (*entry)(void *);
	void *arg;
};

void __thrd_trampoline(void);
__attribute__((noreturn)) void __thrd_start(struct start_record *rec);

/* Called by __thrd_trampoline on the new thread's own stack. */
void __thrd_start(struct start_record *rec)
{
	/*
	 * Our slot (errno, join word) may be in a chunk nobody allocated yet;
	 * without memory for it errno falls back to the shared spare slot and
	 * thrd_exit tries once more.
	 */
	__thread_slot_claim(__current_sp());
	struct start_record r = *rec;
	free(rec);
	r.entry(r.arg);
	thrd_exit();
}

int thrd_create_raw(void (*entry)(void *), void *arg)
{
	struct start_record *rec = malloc(sizeof(*rec));
	if (!rec)
		return -1;
	rec->entry = entry;
	rec->arg = arg;
	tid_t tid = thread_create((void *)__thrd_trampoline, rec);
	if (tid == ERR) {
		int err = errno;
		free(rec);
		errno = err;
		return -1;
	}
	/* Have the join slot ready before anyone joins: a later join then cannot fail for want of memory. */
	int saved = errno;
	__thread_slot_of(tid);
	errno = saved;
	return (int)tid;
}

void thrd_exit(void)
{
	/*
	 * Our own slot, allocated now if __thrd_start could not: a joiner that
	 * got a slot for our tid allocated the same chunk, so we find it. The
	 * slot is not on our stack, which the kernel takes back at thread_exit.
	 */
	struct thread_slot *self = __thread_slot_of((tid_t)((USER_STACK_TOP - __current_sp()) / USER_STACK_STRIDE));
	if (self) {
		/* Release: everything this thread wrote is visible to whoever sees done == 1. */
		atomic_store_explicit(&self->done, 1, memory_order_release);
		futex_wake_raw(&self->done, FUTEX_ALL);
	}
	thread_exit();
}

int thrd_join_raw(int tid)
{
	if (tid < 0 || (tid_t)tid > USER_STACK_LAST_TID ||
	    (tid_t)tid == (USER_STACK_TOP - __current_sp()) / USER_STACK_STRIDE) {
		errno = EINVAL;
		return -1;
	}
	struct thread_slot *slot = __thread_slot_of((tid_t)tid);
	if (!slot) {
		errno = ENOMEM;
		return -1;
	}
	/* A fresh slot reads 0, so a thread that has not even started yet is waited for too. */
	while (!atomic_load_explicit(&slot->done, memory_order_acquire))
		futex_wait_raw(&slot->done, 0);
	return 0;
}

void thrd_yield(void)
{
	yield();
}
