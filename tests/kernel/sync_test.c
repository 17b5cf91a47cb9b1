// SPDX-License-Identifier: MIT
// Mutexes whose memory goes with the object they guard: a contended unlock
// hands the lock over to the oldest sleeper instead of dropping it, and
// never touches the mutex after that (issue 13, defect 2); spinlocks taken in
// ticket order and test-and-set at once still exclude each other.
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/thread.h"
#include "kernel/sync/mutex.h"
#include "kernel/sync/spinlock.h"
#include "kernel/test/ktest.h"

struct handover {
	struct mutex m;
	int holder_ran; /* atomic */
	int checked;    /* atomic: the test has looked; the sleeper may release */
};

static void take_and_release(void *arg)
{
	struct handover *h = arg;
	mutex_lock(&h->m);
	__atomic_store_n(&h->holder_ran, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->checked, __ATOMIC_ACQUIRE))
		sched_yield();
	mutex_unlock(&h->m);
}

KTEST(sync, mutex_contended_unlock_hands_over)
{
	/*
	 * While a thread sleeps on the mutex, unlocking gives it the lock at
	 * once: the unlocker cannot take it back, so nothing can barge in,
	 * free the mutex and leave the unlocker reading freed memory.
	 */
	static struct handover h;
	mutex_init(&h.m);
	h.holder_ran = 0;
	h.checked = 0;
	mutex_lock(&h.m);
	struct thread *t = kthread_create(take_and_release, &h, 32);
	KASSERT(t);
	/* Blocked means queued on the mutex: its only way to sleep. */
	while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != THREAD_BLOCKED)
		sched_yield();
	mutex_unlock(&h.m);
	/* Whether or not the sleeper has run yet, the lock is its own now. */
	bool taken_back = mutex_trylock(&h.m);
	KEXPECT(!taken_back);
	if (taken_back)
		mutex_unlock(&h.m);
	__atomic_store_n(&h.checked, 1, __ATOMIC_RELEASE);
	KEXPECT_EQ(thread_join(t), 0);
	thread_put(t);
	KEXPECT_EQ(h.holder_ran, 1);
	/* Free again once the sleeper is through. */
	KEXPECT(mutex_trylock(&h.m));
	mutex_unlock(&h.m);
}

/* ---- the last user frees the object that holds the mutex ---- */

enum { USERS = 3, OBJECTS = 1000 };

struct shared_obj {
	struct mutex m;
	int refs; /* Guarded by: m */
};

struct free_race {
	struct shared_obj *obj[OBJECTS];
	uint64_t go;           /* atomic: all users start together */
	uint64_t done;         /* atomic: users finished */
	uint64_t next[USERS];  /* atomic: the object each user is at */
};

/*
 * Every user takes every object once, in the same order, and starts on an
 * object only when all have left the one before: so they arrive at each
 * object together, and whoever drops the last reference frees it at once.
 */
static void last_user_frees(struct free_race *r, int me)
{
	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (uint64_t i = 0; i < OBJECTS; i++) {
		for (int u = 0; u < USERS; u++)
			while (__atomic_load_n(&r->next[u], __ATOMIC_ACQUIRE) < i)
				sched_yield();
		struct shared_obj *o = r->obj[i];
		/* One user barges with trylock instead of sleeping: the pattern that caught the old unlock. */
		if (me == 0) {
			while (!mutex_trylock(&o->m))
				sched_yield(); /* not a bare spin: kernel threads are not preempted */
		} else {
			mutex_lock(&o->m);
		}
		bool last = --o->refs == 0;
		mutex_unlock(&o->m);
		if (last)
			kfree(o); /* poisoned with heap_debug: a late touch faults or is caught by kmalloc */
		__atomic_store_n(&r->next[me], i + 1, __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&r->done, 1, __ATOMIC_ACQ_REL);
}

static void user0(void *arg) { last_user_frees(arg, 0); }
static void user1(void *arg) { last_user_frees(arg, 1); }
static void user2(void *arg) { last_user_frees(arg, 2); }

KTEST(sync, mutex_freed_by_its_last_user)
{
	struct free_race *r = kzalloc(sizeof(*r));
	KASSERT(r);
	for (uint64_t i = 0; i < OBJECTS; i++) {
		struct shared_obj *o = kmalloc(sizeof(*o));
		KASSERT(o); /* (the test's heap is small; a failure here leaks the earlier objects) */
		mutex_init(&o->m);
		o->refs = USERS;
		r->obj[i] = o;
	}
	void (*fns[USERS])(void *) = { user0, user1, user2 };
	struct thread *ts[USERS];
	for (int i = 0; i < USERS; i++) {
		ts[i] = kthread_create(fns[i], r, 32);
		KASSERT(ts[i]);
	}
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < USERS; i++) {
		KEXPECT_EQ(thread_join(ts[i]), 0);
		thread_put(ts[i]);
	}
	KEXPECT_EQ(r->done, USERS);
	kfree(r);
}

/* ---- spinlocks: ticket order and test-and-set exclude each other ---- */

enum { SPIN_USERS = 4, SPIN_ROUNDS = 2000 };

struct spin_race {
	struct spinlock lock;
	uint64_t counter; /* Guarded by: lock (read and written in two steps on purpose) */
	uint64_t go;      /* atomic */
};

/* Half the users queue for tickets, half take the lock test-and-set: both forms at once on one lock. */
static void spin_user(struct spin_race *r, bool fair)
{
	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (int i = 0; i < SPIN_ROUNDS; i++) {
		irqflags_t f = arch_irq_save();
		if (fair)
			spin_lock_fair(&r->lock);
		else
			spin_lock_unfair(&r->lock);
		spin_assert_held(&r->lock);
		uint64_t v = __atomic_load_n(&r->counter, __ATOMIC_RELAXED);
		arch_cpu_relax(); /* widen the window a second holder would fall into */
		__atomic_store_n(&r->counter, v + 1, __ATOMIC_RELAXED);
		spin_unlock(&r->lock);
		arch_irq_restore(f);
	}
}

static void spin_fair_user(void *arg) { spin_user(arg, true); }
static void spin_tas_user(void *arg) { spin_user(arg, false); }

KTEST(sync, spinlock_ticket_and_test_and_set_exclude_each_other)
{
	static struct spin_race r;
	spin_init(&r.lock);
	r.counter = 0;
	r.go = 0;
	struct thread *ts[SPIN_USERS];
	for (int i = 0; i < SPIN_USERS; i++) {
		ts[i] = kthread_create(i % 2 ? spin_tas_user : spin_fair_user, &r, 32);
		KASSERT(ts[i]);
	}
	__atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < SPIN_USERS; i++) {
		KEXPECT_EQ(thread_join(ts[i]), 0);
		thread_put(ts[i]);
	}
	KEXPECT_EQ(r.counter, (uint64_t)SPIN_USERS * SPIN_ROUNDS);
	/* Free again, and every ticket handed out was served. */
	KEXPECT_EQ(r.lock.next, r.lock.serving);
	KEXPECT(spin_trylock(&r.lock));
	spin_unlock(&r.lock);
}
