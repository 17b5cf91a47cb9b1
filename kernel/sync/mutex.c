// SPDX-License-Identifier: MIT
// Sleeping mutex: an owner word set by compare-and-swap; contenders sleep on
// the wait queue and retry when the owner releases it. Not fair, but free of
// lost wake-ups thanks to the prepare-then-check protocol of wait.h.
#include "kernel/sync/mutex.h"

#include "kernel/log/log.h"
#include "kernel/sched/sched.h"

void mutex_init(struct mutex *m)
{
	m->owner = NULL;
	wait_queue_init(&m->wq);
}

bool mutex_trylock(struct mutex *m)
{
	struct thread *expected = NULL;
	return __atomic_compare_exchange_n(&m->owner, &expected, current_thread(), false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

void mutex_lock(struct mutex *m)
{
	if (mutex_trylock(m))
		return;
	struct waiter w;
	waiter_init(&w);
	wait_queue_add(&m->wq, &w);
	for (;;) {
		thread_prepare_sleep();
		if (mutex_trylock(m)) {
			thread_cancel_sleep();
			break;
		}
		/* Not interruptible: a note must not make a lock acquisition fail. */
		thread_sleep_uninterruptible();
	}
	wait_queue_remove(&m->wq, &w);
}

void mutex_unlock(struct mutex *m)
{
	ASSERT(m->owner == current_thread());
	/*
	 * Sequentially consistent (xchg on x86), not just release: the store
	 * must be visible before we look at the queue. Otherwise the load of the
	 * queue head can pass the store (store-load reordering), we see no
	 * waiter while a contender, just queued, still sees the lock taken and
	 * sleeps with nobody left to wake it.
	 */
	__atomic_store_n(&m->owner, NULL, __ATOMIC_SEQ_CST);
	if (!wait_queue_empty(&m->wq))
		wait_queue_wake_all(&m->wq);
}

bool mutex_held(struct mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == current_thread();
}
