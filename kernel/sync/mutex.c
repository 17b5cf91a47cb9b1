// SPDX-License-Identifier: MIT
// Sleeping mutex with direct hand-over.
//
// The owner word holds the owning thread, or 0 when free, plus the
// MUTEX_WAITERS bit while contenders sleep in the queue. Uncontended lock and
// unlock are one compare-and-swap each.
//
// Why hand-over: a mutex often lives inside the object it protects (a pipe,
// an inode), and the thread that drops the object's last reference does so
// after taking and releasing the mutex, then frees the memory. An unlock that
// first clears the owner word and then looks at the queue can be overtaken:
// another thread takes the free mutex, drops the last reference, frees it,
// and the unlocker reads freed memory. Here the owner word is never 0 while
// anyone sleeps: a contended unlock passes ownership to the oldest waiter
// under m->lock, and that waiter takes m->lock once more before it returns,
// so it cannot free the mutex before the unlocker's final store (the release
// of m->lock). After that store the unlocker touches only the waiter's
// thread, which it woke while it still held the lock.
//
// FIFO hand-over also means a contender cannot starve (no barging while
// others sleep); the price is a context switch per contended hand-over.
#include "kernel/sync/mutex.h"

#include "kernel/log/log.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"

#define MUTEX_WAITERS ((uintptr_t)1) /* thread structs are at least 8-byte aligned */

/* Lives on the sleeping contender's stack; queued and dequeued under m->lock. */
struct mutex_waiter {
	struct mutex_waiter *next;
	struct thread *thread;
	bool queued;
};

void mutex_init(struct mutex *m)
{
	m->owner = 0;
	spin_init(&m->lock);
	m->head = m->tail = NULL;
}

static uintptr_t self(void)
{
	uintptr_t t = (uintptr_t)current_thread();
	ASSERT(!(t & MUTEX_WAITERS));
	return t;
}

bool mutex_trylock(struct mutex *m)
{
	uintptr_t expected = 0;
	return __atomic_compare_exchange_n(&m->owner, &expected, self(), false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

void mutex_lock(struct mutex *m)
{
	if (mutex_trylock(m))
		return;
	uintptr_t me = self();
	struct mutex_waiter w = { NULL, current_thread(), false };
	irqflags_t f = spin_lock_irqsave(&m->lock);
	for (;;) {
		uintptr_t o = __atomic_load_n(&m->owner, __ATOMIC_RELAXED);
		if ((o & ~MUTEX_WAITERS) == me) {
			/* Handed over by mutex_unlock, which dequeued us under this lock. */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			break;
		}
		if (o == 0) {
			/* Free and nobody queued (the queue is never non-empty with the word 0). */
			if (__atomic_compare_exchange_n(&m->owner, &o, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
			continue;
		}
		/*
		 * Taken: announce a sleeper so that the owner's unlock fails its
		 * fast path and comes through m->lock. The CAS fails if the owner
		 * released meanwhile; then look again.
		 */
		if (!w.queued) {
			if (!(o & MUTEX_WAITERS) &&
			    !__atomic_compare_exchange_n(&m->owner, &o, o | MUTEX_WAITERS, false, __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED))
				continue;
			w.next = NULL;
			w.queued = true;
			if (m->tail)
				m->tail->next = &w;
			else
				m->head = &w;
			m->tail = &w;
		}
		/* Declared asleep before m->lock is dropped: a hand-over from now on is not lost. */
		thread_prepare_sleep();
		spin_unlock_irqrestore(&m->lock, f);
		/* Not interruptible: a note must not make a lock acquisition fail. */
		thread_sleep_uninterruptible();
		/* A wake-up for another reason leaves us queued: the loop sees we do not own it. */
		f = spin_lock_irqsave(&m->lock);
	}
	spin_unlock_irqrestore(&m->lock, f);
}

void mutex_unlock(struct mutex *m)
{
	uintptr_t me = self();
	uintptr_t expected = me;
	ASSERT((__atomic_load_n(&m->owner, __ATOMIC_RELAXED) & ~MUTEX_WAITERS) == me);
	/* Nobody sleeping: one atomic, and the mutex is not touched again. */
	if (__atomic_compare_exchange_n(&m->owner, &expected, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return;
	/* MUTEX_WAITERS is set, so the queue is not empty and only we can clear the bit. */
	irqflags_t f = spin_lock_irqsave(&m->lock);
	struct mutex_waiter *w = m->head;
	ASSERT(w);
	m->head = w->next;
	w->queued = false;
	if (!m->head)
		m->tail = NULL;
	struct thread *next = w->thread; /* w is on that thread's stack: read it while it waits */
	__atomic_store_n(&m->owner, (uintptr_t)next | (m->head ? MUTEX_WAITERS : 0), __ATOMIC_RELEASE);
	/* Woken under the lock: the new owner cannot return from mutex_lock (and exit) before we drop it. */
	thread_wake(next, 0);
	spin_unlock_irqrestore(&m->lock, f);
}

bool mutex_held(struct mutex *m)
{
	return (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) & ~MUTEX_WAITERS) == (uintptr_t)current_thread();
}
