// SPDX-License-Identifier: MIT
// Futex wait lists: one hash table per process (allocated on first use), each
// waiter an entry on the sleeping thread's own stack, so nothing is left
// behind when no one waits (spec §11 row 30). The value check and the queueing
// happen under the table lock, and a waker takes the same lock, so a wake
// between the check and the sleep cannot be lost.
// Locks: table->lock, taken before run-queue locks.
#include "kernel/sched/futex.h"

#include "kernel/abi/errno.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/uaccess.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"

#define FUTEX_BUCKETS 64

struct futex_waiter {
	struct futex_waiter *next, *prev;
	uint64_t addr;
	struct thread *thread;
	bool queued;
};

struct futex_bucket {
	struct futex_waiter *head, *tail;
};

struct futex_table {
	struct spinlock lock;
	struct futex_bucket buckets[FUTEX_BUCKETS];
};

static struct futex_table *table_of(struct process *p, bool create)
{
	struct futex_table *t = __atomic_load_n((struct futex_table **)&p->futexes, __ATOMIC_ACQUIRE);
	if (t || !create)
		return t;
	struct futex_table *fresh = kzalloc(sizeof(*fresh));
	if (!fresh)
		return NULL;
	spin_init(&fresh->lock);
	struct futex_table *expected = NULL;
	if (!__atomic_compare_exchange_n((struct futex_table **)&p->futexes, &expected, fresh, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		kfree(fresh); /* another thread won the race */
		return expected;
	}
	return fresh;
}

static struct futex_bucket *bucket_of(struct futex_table *t, uint64_t addr)
{
	return &t->buckets[(addr >> 3) * 0x9E3779B97F4A7C15ULL >> 58];
}

static void unlink_waiter(struct futex_bucket *b, struct futex_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		b->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		b->tail = w->prev;
	w->queued = false;
}

int futex_wait(struct process *p, uint64_t addr, uint64_t val, uint64_t deadline)
{
	struct futex_table *t = table_of(p, true);
	if (!t)
		return -ENOMEM;
	struct futex_bucket *b = bucket_of(t, addr);
	struct futex_waiter w = { NULL, NULL, addr, current_thread(), false };
	/*
	 * Touch the word first, with IRQs on, so that the read under the lock
	 * (IRQs off) finds the page present and cannot need the space lock.
	 */
	uint64_t current;
	int err = get_user_u64(&current, (const void *)addr);
	if (err)
		return err;
	irqflags_t f = spin_lock_irqsave(&t->lock);
	err = get_user_u64(&current, (const void *)addr);
	if (err || current != val) {
		spin_unlock_irqrestore(&t->lock, f);
		return err ? err : -EAGAIN;
	}
	w.prev = b->tail;
	if (b->tail)
		b->tail->next = &w;
	else
		b->head = &w;
	b->tail = &w;
	w.queued = true;
	for (;;) {
		thread_prepare_sleep();
		spin_unlock_irqrestore(&t->lock, f);
		int r = thread_sleep(deadline);
		f = spin_lock_irqsave(&t->lock);
		if (!w.queued) {
			err = 0; /* a FUTEX_WAKE took us off the list: that wins over a timeout */
			break;
		}
		if (r) {
			unlink_waiter(b, &w);
			err = r;
			break;
		}
		/* Woken for another reason while still listed: sleep on. */
	}
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

uint64_t futex_wake(struct process *p, uint64_t addr, uint64_t max)
{
	struct futex_table *t = table_of(p, false);
	if (!t || max == 0)
		return 0;
	struct futex_bucket *b = bucket_of(t, addr);
	uint64_t n = 0;
	irqflags_t f = spin_lock_irqsave(&t->lock);
	for (struct futex_waiter *w = b->head; w && n < max;) {
		struct futex_waiter *next = w->next;
		if (w->addr == addr) {
			unlink_waiter(b, w);
			thread_wake(w->thread, 0);
			n++;
		}
		w = next;
	}
	spin_unlock_irqrestore(&t->lock, f);
	return n;
}

void futex_table_free(struct process *p)
{
	kfree(p->futexes);
	p->futexes = NULL;
}
