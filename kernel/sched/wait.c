// SPDX-License-Identifier: MIT
// Wait queues (see wait.h for the sleeping protocol).
// Locks: wq->lock guards the waiter list; taken before any run-queue lock.
// A waiter lives on its sleeper's stack and is unlinked under wq->lock by
// whoever removes it, so a waker that holds the lock never sees a waiter
// whose stack frame is gone.
#include "kernel/sched/wait.h"

#include "kernel/sched/sched.h"

void wait_queue_init(struct wait_queue *wq)
{
	spin_init(&wq->lock);
	wq->head = wq->tail = NULL;
}

void waiter_init(struct waiter *w)
{
	w->next = w->prev = NULL;
	w->thread = current_thread();
	w->queued = false;
}

static void unlink(struct wait_queue *wq, struct waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		wq->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		wq->tail = w->prev;
	w->next = w->prev = NULL;
	w->queued = false;
}

void wait_queue_add(struct wait_queue *wq, struct waiter *w)
{
	irqflags_t f = spin_lock_irqsave(&wq->lock);
	w->next = NULL;
	w->prev = wq->tail;
	if (wq->tail)
		wq->tail->next = w;
	else
		wq->head = w;
	wq->tail = w;
	w->queued = true;
	spin_unlock_irqrestore(&wq->lock, f);
}

bool wait_queue_remove(struct wait_queue *wq, struct waiter *w)
{
	irqflags_t f = spin_lock_irqsave(&wq->lock);
	bool was = w->queued;
	if (was)
		unlink(wq, w);
	spin_unlock_irqrestore(&wq->lock, f);
	return was;
}

/*
 * Waiters stay queued: each sleeper re-checks its condition and leaves the
 * queue itself (WAIT_EVENT), so a wake that races with a new sleeper is
 * never lost, and one that finds the condition still false just costs a
 * loop around.
 */
uint64_t wait_queue_wake_all(struct wait_queue *wq)
{
	uint64_t n = 0;
	irqflags_t f = spin_lock_irqsave(&wq->lock);
	for (struct waiter *w = wq->head; w; w = w->next, n++)
		thread_wake(w->thread, 0);
	spin_unlock_irqrestore(&wq->lock, f);
	return n;
}

/*
 * These waiters are dequeued as they are woken, oldest first: the count is
 * of distinct sleepers (FUTEX_WAKE's result must be exact), and the next
 * call wakes the next ones instead of the same.
 */
uint64_t wait_queue_wake_n(struct wait_queue *wq, uint64_t max)
{
	uint64_t n = 0;
	irqflags_t f = spin_lock_irqsave(&wq->lock);
	while (n < max && wq->head) {
		struct waiter *w = wq->head;
		unlink(wq, w);
		thread_wake(w->thread, 0);
		n++;
	}
	spin_unlock_irqrestore(&wq->lock, f);
	return n;
}

/* Lockless: a hint for fast paths (nobody to wake); a sleeper arriving just after is not seen. */
bool wait_queue_empty(struct wait_queue *wq)
{
	return __atomic_load_n(&wq->head, __ATOMIC_ACQUIRE) == NULL;
}
