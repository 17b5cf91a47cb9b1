// SPDX-License-Identifier: MIT
// Wait queues: a thread sleeps until a condition holds, a deadline passes or a
// note interrupts it. The pattern is lost-wakeup free because the thread
// declares itself sleeping *before* it checks the condition:
//
//	struct waiter w;
//	waiter_init(&w);
//	wait_queue_add(&obj->wq, &w);
//	for (;;) {
//		thread_prepare_sleep();
//		if (condition) { thread_cancel_sleep(); err = 0; break; }
//		err = thread_sleep(deadline_ns);   /* 0, -ETIMEDOUT or -EINTR */
//		if (err) break;
//	}
//	wait_queue_remove(&obj->wq, &w);
//
// and the other side changes the state, then calls wait_queue_wake_all().
// WAIT_EVENT() below packages exactly that. A thread may add waiters to
// several queues before sleeping (poll).
#ifndef QUILT_SCHED_WAIT_H
#define QUILT_SCHED_WAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/sync/spinlock.h"

struct thread;

struct waiter {
	struct waiter *next, *prev;
	struct thread *thread;
	bool queued;
};

struct wait_queue {
	struct spinlock lock;
	struct waiter *head, *tail; /* Guarded by: lock */
};

#define WAIT_QUEUE_INIT { SPINLOCK_INIT, NULL, NULL }

void wait_queue_init(struct wait_queue *wq);
/* Context: any; @w is for the calling thread. */
void waiter_init(struct waiter *w);
void wait_queue_add(struct wait_queue *wq, struct waiter *w);
/* Returns true when @w was still queued. */
bool wait_queue_remove(struct wait_queue *wq, struct waiter *w);
/* Wake every waiter's thread; waiters stay queued. Returns how many. Context: any, IRQs any. */
uint64_t wait_queue_wake_all(struct wait_queue *wq);
/* Wake and dequeue up to @max waiters, oldest first. Returns how many. */
uint64_t wait_queue_wake_n(struct wait_queue *wq, uint64_t max);
bool wait_queue_empty(struct wait_queue *wq);

/*
 * thread_prepare_sleep - mark the calling thread as about to sleep; any wake
 * from now on makes the next thread_sleep() return at once.
 * thread_sleep - sleep until woken, @deadline_ns (absolute, time_now_ns
 * clock; UINT64_MAX = never) or a note. Returns 0, -ETIMEDOUT or -EINTR.
 * A pending note or kill makes it return -EINTR without sleeping.
 * thread_cancel_sleep - undo thread_prepare_sleep() when the condition held.
 * Context: thread context, no spinlock held.
 */
void thread_prepare_sleep(void);
int thread_sleep(uint64_t deadline_ns);
void thread_cancel_sleep(void);
/* As thread_sleep() without a deadline, but notes do not end it (locks). */
void thread_sleep_uninterruptible(void);
/*
 * sleep_until - sleep until @deadline_ns (absolute, time_now_ns clock) has
 * passed. Returns 0 then, or -EINTR for a note or kill. Context: thread.
 */
int sleep_until(uint64_t deadline_ns);

/*
 * WAIT_EVENT - sleep on @wq until @cond (re-evaluated after every wake-up,
 * without any lock held) is true. Evaluates to 0, -ETIMEDOUT or -EINTR.
 */
#define WAIT_EVENT(wq, cond, deadline_ns)                        \
	({                                                       \
		struct waiter w_;                                \
		int r_ = 0;                                      \
		waiter_init(&w_);                                \
		wait_queue_add((wq), &w_);                       \
		for (;;) {                                       \
			thread_prepare_sleep();                  \
			if (cond) {                              \
				thread_cancel_sleep();           \
				break;                           \
			}                                        \
			r_ = thread_sleep(deadline_ns);          \
			if (r_ && (cond))                        \
				r_ = 0;                          \
			if (r_)                                  \
				break;                           \
		}                                                \
		wait_queue_remove((wq), &w_);                    \
		r_;                                              \
	})

#endif
