// SPDX-License-Identifier: MIT
// Scheduler, kernel threads, wait queues, sleeping and mutexes, across CPUs.
#include "arch/x86_64/arch.h"
#include "arch/x86_64/test/arch_test.h"
#include "kernel/abi/errno.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "kernel/sync/mutex.h"
#include "kernel/test/ktest.h"
#include "kernel/time/time.h"

/*
 * Deadlines that only detect a lost wake-up: the event normally comes within
 * microseconds, but guest time runs on while a loaded host deschedules a
 * virtual CPU, so a tight one could fail a correct kernel.
 */
#define HANG_NS 30000000000ULL

static void set_flag(void *arg)
{
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

KTEST(sched, kthread_runs_and_joins)
{
	static int flag;
	flag = 0;
	struct thread *t = kthread_create(set_flag, &flag, 32);
	KASSERT(t);
	KEXPECT_EQ(thread_join(t), 0);
	KEXPECT_EQ(__atomic_load_n(&flag, __ATOMIC_ACQUIRE), 1);
	thread_put(t);
}

struct counter_ctx {
	uint64_t counter;
	uint64_t cpus_seen; /* bitmask */
	uint64_t started;
	uint64_t total;
};

static void count_with_yields(void *arg)
{
	struct counter_ctx *c = arg;
	/* All threads exist at once (a barrier), so they must share the CPUs. */
	__atomic_fetch_add(&c->started, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&c->started, __ATOMIC_ACQUIRE) < c->total)
		sched_yield();
	for (int i = 0; i < 200; i++) {
		__atomic_fetch_add(&c->counter, 1, __ATOMIC_RELAXED);
		__atomic_fetch_or(&c->cpus_seen, 1ULL << arch_cpu_index(), __ATOMIC_RELAXED);
		sched_yield();
	}
}

KTEST(sched, many_threads_yielding)
{
	enum { N = 40 };
	static struct counter_ctx c;
	c.counter = 0;
	c.cpus_seen = 0;
	c.started = 0;
	c.total = N;
	struct thread *ts[N];
	for (int i = 0; i < N; i++) {
		ts[i] = kthread_create(count_with_yields, &c, 32);
		KASSERT(ts[i]);
	}
	for (int i = 0; i < N; i++) {
		KEXPECT_EQ(thread_join(ts[i]), 0);
		thread_put(ts[i]);
	}
	KEXPECT_EQ(c.counter, N * 200);
	if (arch_cpu_count() > 1)
		KEXPECT(__builtin_popcountll(c.cpus_seen) > 1); /* the work spread over CPUs */
}

struct pingpong {
	struct wait_queue wq;
	uint64_t turn;   /* even: ping's turn, odd: pong's */
	uint64_t rounds;
	int timeouts;
};

static void pong(void *arg)
{
	struct pingpong *pp = arg;
	for (uint64_t i = 0; i < pp->rounds; i++) {
		int r = WAIT_EVENT(&pp->wq, __atomic_load_n(&pp->turn, __ATOMIC_ACQUIRE) == 2 * i + 1,
				   time_now_ns() + HANG_NS);
		if (r) {
			__atomic_fetch_add(&pp->timeouts, 1, __ATOMIC_RELAXED);
			return;
		}
		__atomic_store_n(&pp->turn, 2 * i + 2, __ATOMIC_RELEASE);
		wait_queue_wake_all(&pp->wq);
	}
}

KTEST(sched, wait_queue_pingpong_no_lost_wakeups)
{
	static struct pingpong pp;
	wait_queue_init(&pp.wq);
	pp.turn = 0;
	pp.rounds = 2000;
	pp.timeouts = 0;
	struct thread *t = kthread_create(pong, &pp, 32);
	KASSERT(t);
	for (uint64_t i = 0; i < pp.rounds; i++) {
		__atomic_store_n(&pp.turn, 2 * i + 1, __ATOMIC_RELEASE);
		wait_queue_wake_all(&pp.wq);
		int r = WAIT_EVENT(&pp.wq, __atomic_load_n(&pp.turn, __ATOMIC_ACQUIRE) == 2 * i + 2,
				   time_now_ns() + HANG_NS);
		if (r) {
			KEXPECT_EQ(r, 0);
			break;
		}
	}
	thread_join(t);
	thread_put(t);
	KEXPECT_EQ(pp.timeouts, 0);
	KEXPECT_EQ(pp.turn, 2 * pp.rounds);
}

KTEST(sched, sleep_times_out_not_early)
{
	struct wait_queue wq = WAIT_QUEUE_INIT;
	uint64_t t0 = time_now_ns();
	int r = WAIT_EVENT(&wq, false, t0 + 20000000ULL);
	uint64_t t1 = time_now_ns();
	KEXPECT_EQ(r, -ETIMEDOUT);
	KEXPECT(t1 - t0 >= 20000000ULL);
	/* An already-passed deadline returns at once. */
	KEXPECT_EQ(WAIT_EVENT(&wq, false, t0), -ETIMEDOUT);
}

struct mutex_ctx {
	struct mutex m;
	uint64_t plain; /* only touched under the mutex */
};

static void mutex_worker(void *arg)
{
	struct mutex_ctx *c = arg;
	for (int i = 0; i < 500; i++) {
		mutex_lock(&c->m);
		uint64_t v = c->plain;
		if (i % 16 == 0)
			sched_yield(); /* hold it across a switch now and then */
		c->plain = v + 1;
		mutex_unlock(&c->m);
	}
}

KTEST(sched, mutex_excludes)
{
	enum { N = 8 };
	static struct mutex_ctx c;
	mutex_init(&c.m);
	c.plain = 0;
	struct thread *ts[N];
	for (int i = 0; i < N; i++) {
		ts[i] = kthread_create(mutex_worker, &c, 32);
		KASSERT(ts[i]);
	}
	for (int i = 0; i < N; i++) {
		thread_join(ts[i]);
		thread_put(ts[i]);
	}
	KEXPECT_EQ(c.plain, N * 500);
	KEXPECT(!mutex_held(&c.m));
}

static void wake_after(void *arg)
{
	struct pingpong *pp = arg;
	sleep_until(time_now_ns() + 10000000ULL);
	__atomic_store_n(&pp->turn, 1, __ATOMIC_RELEASE);
	wait_queue_wake_all(&pp->wq);
}

KTEST(sched, cross_cpu_wakeup_before_deadline)
{
	static struct pingpong pp;
	wait_queue_init(&pp.wq);
	pp.turn = 0;
	struct thread *t = kthread_create(wake_after, &pp, 32);
	KASSERT(t);
	int r = WAIT_EVENT(&pp.wq, __atomic_load_n(&pp.turn, __ATOMIC_ACQUIRE) == 1, time_now_ns() + HANG_NS);
	KEXPECT_EQ(r, 0);
	thread_join(t);
	thread_put(t);
}

static void record_user_access(void *arg)
{
	__atomic_store_n((bool *)arg, arch_user_access_is_open(), __ATOMIC_RELEASE);
}

/*
 * RFLAGS belongs to its thread: a thread that sleeps with the user-access
 * window open (AC=1) must not hand it to the thread that runs next, and gets
 * it back when it runs again. With one CPU (the smp1 boot) the new thread
 * surely runs on the CPU the window was open on; with more it may not, and
 * then only the second check bites.
 */
KTEST(sched, rflags_stay_with_their_thread)
{
	struct arch_cpu_state st;
	arch_read_cpu_state(&st);
	if (!((st.cr4 >> 21) & 1))
		KTEST_SKIP("no SMAP");
	static bool child_saw_open;
	child_saw_open = true;
	uint64_t leaks = arch_user_access_leaks();
	arch_user_access_begin();
	struct thread *t = kthread_create(record_user_access, &child_saw_open, 32);
	int r = t ? thread_join(t) : -1; /* sleeps: other threads run on this CPU */
	bool open_after = arch_user_access_is_open();
	arch_user_access_end();
	KASSERT(t);
	thread_put(t);
	KEXPECT_EQ(r, 0);
	KEXPECT(!__atomic_load_n(&child_saw_open, __ATOMIC_ACQUIRE));
	KEXPECT(open_after);
	KEXPECT_EQ(arch_user_access_leaks(), leaks);
}
