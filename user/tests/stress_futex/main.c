// SPDX-License-Identifier: MIT
// stress_futex: 64 threads hammering FUTEX and YIELD: no lost wake-up, exact wake counts.
//
// Usage: /bin/tests/stress_futex     KTAP on fd 1; no arguments, no children.
//
// Every futex wait here has a timeout. An expired wait counts as a failure
// (the symptom of a lost wake-up) when the word changed while it slept (the
// change's wake-up missed it) or when nothing at all happened meanwhile
// (every thread stuck); on a loaded host a wait may simply outlast the
// timeout while the others are still passing the word around, and then it
// waits again. Every hand-off is a progress mark (tu_progress), and a pattern
// is aborted only after STALL_LIMIT without one. Wake counts are audited too: the sum of what FUTEX_WAKE returned must equal the number of
// waits that returned 0 (woken), since the reference kernel has no spurious
// wake-ups and every woken waiter returns 0.
//
// 64 threads per pattern spread over every CPU of a 2-4 CPU machine, so
// wakes regularly cross CPUs; the ping-pong pattern adds a short spin
// before each wake so that the partner is really asleep when it is woken.
#include <errno.h>
#include <ktap.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

#define NTHREADS 64
#define ROUNDS 1000
/*
 * Hang detectors, not speed limits: how long one wait sleeps before it looks
 * around, and how long the whole pattern may go without a single hand-off
 * (guest time runs on while a loaded host deschedules a vCPU).
 */
#define WAIT_LIMIT (30 * TU_SEC)
#define STALL_LIMIT (120 * TU_SEC)
/* Bound on one crowd round's arrivals, wakes and departures. */
#define CROWD_LIMIT (60 * TU_SEC)

/* Statistics of the current pattern, reset by stats_reset(). */
static _Atomic(uint64_t) woken_by_wake; /* sum of FUTEX_WAKE results */
static _Atomic(uint64_t) waits_woken;	/* waits that returned 0 */
static _Atomic(uint64_t) waits_timed_out; /* expired with the word changed, or with nothing happening */
static _Atomic(uint64_t) waits_slow;      /* expired while the others made progress: waited again */
static _Atomic(uint64_t) wait_errors;	/* anything but 0, EAGAIN, ETIMEDOUT */
static _Atomic(uint64_t) order_errors;
static _Atomic(uint64_t) abort_all;	/* set by the main thread when a pattern overruns */

static void stats_reset(void)
{
	atomic_store(&woken_by_wake, 0);
	atomic_store(&waits_woken, 0);
	atomic_store(&waits_timed_out, 0);
	atomic_store(&waits_slow, 0);
	atomic_store(&wait_errors, 0);
	atomic_store(&order_errors, 0);
	atomic_store(&abort_all, 0);
}

/* One FUTEX_WAIT, with its outcome counted. */
static void counted_wait(_Atomic(uint64_t) *word, uint64_t val)
{
	uint64_t marks = tu_progress_count();
	uint64_t r = syscall4(SYS_FUTEX, (uint64_t)word, val, FUTEX_WAIT, WAIT_LIMIT);
	if (r == 0) {
		atomic_fetch_add(&waits_woken, 1);
		return;
	}
	uint64_t e = syscall0(SYS_ERRNO);
	if (r != ERR || (e != EAGAIN && e != ETIMEDOUT))
		atomic_fetch_add(&wait_errors, 1);
	else if (e == ETIMEDOUT && (atomic_load(word) != val || tu_progress_count() == marks))
		atomic_fetch_add(&waits_timed_out, 1);
	else if (e == ETIMEDOUT)
		atomic_fetch_add(&waits_slow, 1);
}

/* One FUTEX_WAKE, with its result counted. */
static void counted_wake(_Atomic(uint64_t) *word, uint64_t count)
{
	uint64_t r = syscall4(SYS_FUTEX, (uint64_t)word, count, FUTEX_WAKE, 0);
	if (r == ERR)
		atomic_fetch_add(&wait_errors, 1);
	else
		atomic_fetch_add(&woken_by_wake, r);
	tu_progress();
}

/* Wait until *@word == @want, or the pattern is aborted. Returns false on abort. */
static bool wait_for_value(_Atomic(uint64_t) *word, uint64_t want)
{
	for (;;) {
		uint64_t v = atomic_load(word);
		if (v == want)
			return true;
		if (atomic_load(&abort_all))
			return false;
		counted_wait(word, v);
	}
}

/*
 * The start gate: pattern threads wait here until all of them exist, so
 * that they contend from the first round instead of running one after
 * another as they are created. (Uncounted waits: not part of the audit.)
 */
static _Atomic(uint64_t) gate;
static void (*pattern_fn)(void *);

static void gated(void *arg)
{
	tu_wait_ge(&gate, 1, STALL_LIMIT);
	pattern_fn(arg);
}

/*
 * Start @n threads running @fn((void *)index) from @threads, wait for all
 * of them (as long as they make progress), and check the shared statistics.
 * On a stall the pattern is aborted: abort_all is set and @wake_on_abort
 * (if given) woken, so that the threads give up and end.
 */
static bool run_pattern(struct tu_thread *threads, int n, void (*fn)(void *), _Atomic(uint64_t) *wake_on_abort,
			int n_wake_words)
{
	clock_t t0 = uptime();
	int started = 0;
	atomic_store(&gate, 0);
	pattern_fn = fn;
	for (int i = 0; i < n; i++) {
		if (!tu_thread_start(&threads[i], gated, (void *)(uintptr_t)i)) {
			ktap_fail(__FILE__, __LINE__, "thread %d: %s", i, strerrorname_np(errno));
			atomic_store(&abort_all, 1);
			break;
		}
		started++;
	}
	tu_store_wake(&gate, 1);
	bool all = true;
	for (int i = 0; i < started; i++) {
		if (!tu_thread_join_progress(&threads[i], STALL_LIMIT)) {
			all = false;
			break;
		}
	}
	if (!all || started < n) {
		if (!all)
			ktap_fail(__FILE__, __LINE__, "no hand-off for %llu s after %llu s: aborting the pattern",
				  (unsigned long long)(STALL_LIMIT / TU_SEC),
				  (unsigned long long)((uptime() - t0) / TU_SEC));
		atomic_store(&abort_all, 1);
		for (int w = 0; wake_on_abort && w < n_wake_words; w++)
			tu_futex_wake(&wake_on_abort[w], FUTEX_ALL);
		for (int i = 0; i < started; i++)
			tu_thread_join(&threads[i], 2 * WAIT_LIMIT);
		return false;
	}
	ktap_diag("%d threads done in %llu ms: %llu wakes, %llu waits woken, %llu slow waits", n,
		  (unsigned long long)((uptime() - t0) / TU_MS), (unsigned long long)atomic_load(&woken_by_wake),
		  (unsigned long long)atomic_load(&waits_woken), (unsigned long long)atomic_load(&waits_slow));
	return true;
}

/* The checks every pattern ends with. */
static void expect_clean_stats(void)
{
	TEXPECT_EQ(atomic_load(&waits_timed_out), 0);
	TEXPECT_EQ(atomic_load(&wait_errors), 0);
	TEXPECT_EQ(atomic_load(&order_errors), 0);
	TEXPECT_EQ(atomic_load(&woken_by_wake), atomic_load(&waits_woken));
}

/* ------------------------------------------------------------------ ring */

/*
 * A token travels around a ring of 64 threads, ROUNDS times: thread i
 * waits on its own word until it holds the token, checks that the global
 * sequence says it is its turn, and passes the token to i + 1 with
 * FUTEX_WAKE 1. Every eighth turn it yields first.
 */
struct padded_word {
	_Atomic(uint64_t) w;
	char pad[56];
};
static struct padded_word ring[NTHREADS];
static _Atomic(uint64_t) ring_seq;

static void ring_thread(void *arg)
{
	int i = (int)(uintptr_t)arg, next = (i + 1) % NTHREADS;
	for (int r = 0; r < ROUNDS; r++) {
		if (!wait_for_value(&ring[i].w, 1))
			return;
		atomic_store(&ring[i].w, 0);
		if (atomic_fetch_add(&ring_seq, 1) % NTHREADS != (uint64_t)i)
			atomic_fetch_add(&order_errors, 1);
		if ((r + i) % 8 == 0 && yield() != 0)
			atomic_fetch_add(&wait_errors, 1);
		atomic_store(&ring[next].w, 1);
		counted_wake(&ring[next].w, 1);
	}
}

KTAP_TEST(ring_64_threads_1000_rounds)
{
	static struct tu_thread threads[NTHREADS];
	stats_reset();
	for (int i = 0; i < NTHREADS; i++)
		atomic_store(&ring[i].w, 0);
	atomic_store(&ring_seq, 0);
	atomic_store(&ring[0].w, 1);
	bool ok = run_pattern(threads, NTHREADS, ring_thread, NULL, 0);
	if (!ok) {
		/* Unblock anyone still waiting for the token. */
		for (int i = 0; i < NTHREADS; i++)
			tu_futex_wake(&ring[i].w, FUTEX_ALL);
		return;
	}
	TEXPECT_EQ(atomic_load(&ring_seq), (uint64_t)NTHREADS * ROUNDS);
	expect_clean_stats();
}

/* ------------------------------------------------------------------ mutex counter */

/*
 * A futex mutex (Drepper's "mutex 2": 0 free, 1 locked, 2 locked with
 * waiters) whose waits are bounded; 64 threads increment a plain counter
 * under it ROUNDS times each, yielding inside every eighth critical
 * section to provoke contention. Lost wake-ups show as expired waits, lost
 * mutual exclusion as a wrong total.
 */
static _Atomic(uint64_t) mutex_word;
static volatile uint64_t mutex_counter;
static _Atomic(uint64_t) mutex_holders;

static bool mutex_lock(void)
{
	uint64_t c = 0;
	if (atomic_compare_exchange_strong(&mutex_word, &c, 1))
		return true;
	if (c != 2)
		c = atomic_exchange(&mutex_word, 2);
	while (c != 0) {
		if (atomic_load(&abort_all))
			return false;
		counted_wait(&mutex_word, 2);
		c = atomic_exchange(&mutex_word, 2);
	}
	return true;
}

static void mutex_unlock(void)
{
	if (atomic_fetch_sub(&mutex_word, 1) != 1) {
		atomic_store(&mutex_word, 0);
		counted_wake(&mutex_word, 1);
	}
}

static void mutex_thread(void *arg)
{
	int i = (int)(uintptr_t)arg;
	for (int r = 0; r < ROUNDS; r++) {
		if (!mutex_lock())
			return;
		if (atomic_fetch_add(&mutex_holders, 1) != 0)
			atomic_fetch_add(&order_errors, 1);
		mutex_counter = mutex_counter + 1;
		/* Yielding while holding the lock sends the others to sleep on it. */
		if ((r + i) % 8 == 0)
			yield();
		atomic_fetch_sub(&mutex_holders, 1);
		mutex_unlock();
		tu_progress();
	}
}

KTAP_TEST(mutex_counter_64_threads_1000_increments)
{
	static struct tu_thread threads[NTHREADS];
	stats_reset();
	atomic_store(&mutex_word, 0);
	atomic_store(&mutex_holders, 0);
	mutex_counter = 0;
	if (!run_pattern(threads, NTHREADS, mutex_thread, &mutex_word, 1))
		return;
	TEXPECT_EQ(mutex_counter, (uint64_t)NTHREADS * ROUNDS);
	expect_clean_stats();
}

/* ------------------------------------------------------------------ barrier */

/*
 * A generation barrier: the last of 64 arrivals resets the count, bumps the
 * generation and wakes everyone with FUTEX_ALL; the others wait on the
 * generation word. After each barrier every thread checks that all others
 * have reached the same round (nobody was let through early).
 */
#define BARRIER_ROUNDS 1000
static _Atomic(uint64_t) barrier_count, barrier_gen;
static _Atomic(uint64_t) barrier_round[NTHREADS];

static void barrier_thread(void *arg)
{
	int i = (int)(uintptr_t)arg;
	for (uint64_t r = 1; r <= BARRIER_ROUNDS; r++) {
		atomic_store(&barrier_round[i], r);
		uint64_t gen = atomic_load(&barrier_gen);
		if (atomic_fetch_add(&barrier_count, 1) + 1 == NTHREADS) {
			atomic_store(&barrier_count, 0);
			atomic_store(&barrier_gen, gen + 1);
			counted_wake(&barrier_gen, FUTEX_ALL);
		} else {
			while (atomic_load(&barrier_gen) == gen) {
				if (atomic_load(&abort_all))
					return;
				counted_wait(&barrier_gen, gen);
			}
		}
		for (int j = 0; j < NTHREADS; j++)
			if (atomic_load(&barrier_round[j]) < r)
				atomic_fetch_add(&order_errors, 1);
	}
}

KTAP_TEST(barrier_64_threads_1000_rounds_wake_all)
{
	static struct tu_thread threads[NTHREADS];
	stats_reset();
	atomic_store(&barrier_count, 0);
	atomic_store(&barrier_gen, 0);
	for (int i = 0; i < NTHREADS; i++)
		atomic_store(&barrier_round[i], 0);
	if (!run_pattern(threads, NTHREADS, barrier_thread, &barrier_gen, 1))
		return;
	TEXPECT_EQ(atomic_load(&barrier_gen), BARRIER_ROUNDS);
	expect_clean_stats();
}

/* ------------------------------------------------------------------ ping-pong pairs */

/*
 * 32 pairs of threads bounce a counter ROUNDS times each way: thread 2k
 * moves it from even to odd, thread 2k + 1 from odd to even, each waking
 * the other with FUTEX_WAKE 1 after a short spin (so the partner, likely
 * on another CPU, has gone to sleep).
 */
#define PAIRS (NTHREADS / 2)
static struct padded_word pair_word[PAIRS];

static void spin_a_little(void)
{
	for (int i = 0; i < 200; i++)
		__asm__ volatile("pause");
}

static void pingpong_thread(void *arg)
{
	int i = (int)(uintptr_t)arg, pair = i / 2, side = i % 2;
	_Atomic(uint64_t) *w = &pair_word[pair].w;
	for (uint64_t r = 0; r < ROUNDS; r++) {
		if (!wait_for_value(w, 2 * r + (uint64_t)side))
			return;
		spin_a_little();
		atomic_store(w, 2 * r + (uint64_t)side + 1);
		counted_wake(w, 1);
	}
}

KTAP_TEST(pingpong_32_pairs_1000_round_trips)
{
	static struct tu_thread threads[NTHREADS];
	static _Atomic(uint64_t) *words[PAIRS];
	stats_reset();
	for (int p = 0; p < PAIRS; p++) {
		atomic_store(&pair_word[p].w, 0);
		words[p] = &pair_word[p].w;
	}
	if (!run_pattern(threads, NTHREADS, pingpong_thread, NULL, 0)) {
		for (int p = 0; p < PAIRS; p++)
			tu_futex_wake(words[p], FUTEX_ALL);
		return;
	}
	for (int p = 0; p < PAIRS; p++)
		TEXPECT_EQ(atomic_load(&pair_word[p].w), 2 * ROUNDS);
	expect_clean_stats();
}

/* ------------------------------------------------------------------ yield storm */

static _Atomic(uint64_t) yields_done, yield_bad_results;

static void yield_thread(void *arg)
{
	for (int r = 0; r < ROUNDS && !atomic_load(&abort_all); r++) {
		if (yield() != 0)
			atomic_fetch_add(&yield_bad_results, 1);
		atomic_fetch_add(&yields_done, 1);
		tu_progress();
	}
}

KTAP_TEST(yield_storm_64_threads_1000_yields)
{
	static struct tu_thread threads[NTHREADS];
	stats_reset();
	atomic_store(&yields_done, 0);
	atomic_store(&yield_bad_results, 0);
	if (!run_pattern(threads, NTHREADS, yield_thread, NULL, 0))
		return;
	TEXPECT_EQ(atomic_load(&yields_done), (uint64_t)NTHREADS * ROUNDS);
	TEXPECT_EQ(atomic_load(&yield_bad_results), 0);
}

/* ------------------------------------------------------------------ wake counts with many waiters */

/*
 * 64 threads block on one word per round; the main thread wakes them with
 * FUTEX_WAKE @per_call (retrying while waiters are still arriving) until all
 * 64 are out. Each call may wake at most @per_call (PW woke everyone for any
 * val >= 1, §11 row 44) and, summed, exactly the 64 waiters.
 */
#define CROWD_ROUNDS 30
static _Atomic(uint64_t) crowd_word, crowd_arrived, crowd_left, crowd_round;

static void crowd_thread(void *arg)
{
	for (uint64_t r = 1; r <= CROWD_ROUNDS; r++) {
		if (!tu_wait_ge_progress(&crowd_round, r, 3 * STALL_LIMIT) || atomic_load(&abort_all))
			return;
		tu_add_wake(&crowd_arrived, 1);
		tu_progress();
		/*
		 * Exactly one successful wait per round: a woken waiter leaves
		 * instead of sleeping again, so the wake results count distinct
		 * waiters. The word holds r until every waiter has been woken.
		 */
		for (;;) {
			if (atomic_load(&abort_all))
				return;
			uint64_t res = syscall4(SYS_FUTEX, (uint64_t)&crowd_word, r, FUTEX_WAIT, WAIT_LIMIT);
			if (res == 0) {
				atomic_fetch_add(&waits_woken, 1);
				break;
			}
			uint64_t e = syscall0(SYS_ERRNO);
			if (e == ETIMEDOUT) {
				atomic_fetch_add(&waits_timed_out, 1);
				continue;
			}
			if (e != EAGAIN)
				atomic_fetch_add(&wait_errors, 1);
			break;
		}
		tu_add_wake(&crowd_left, 1);
		tu_progress();
	}
}

static void crowd_pattern(uint64_t per_call)
{
	static struct tu_thread threads[2][NTHREADS];
	static int used;
	struct tu_thread *th = threads[used++ % 2];
	stats_reset();
	atomic_store(&crowd_arrived, 0);
	atomic_store(&crowd_left, 0);
	atomic_store(&crowd_round, 0);
	atomic_store(&crowd_word, 0);
	for (int i = 0; i < NTHREADS; i++)
		TASSERT(tu_thread_start(&th[i], crowd_thread, NULL));
	uint64_t too_many = 0;
	for (uint64_t r = 1; r <= CROWD_ROUNDS; r++) {
		atomic_store(&crowd_word, r);
		tu_store_wake(&crowd_round, r);
		if (!tu_wait_ge_progress(&crowd_arrived, r * NTHREADS, CROWD_LIMIT)) {
			ktap_fail(__FILE__, __LINE__, "round %llu: only %llu arrivals", (unsigned long long)r,
				  (unsigned long long)atomic_load(&crowd_arrived));
			break;
		}
		nanosleep(5 * TU_MS); /* most are asleep by now; the rest are caught by the retries */
		uint64_t woken = 0;
		clock_t deadline = uptime() + CROWD_LIMIT;
		while (woken < NTHREADS && uptime() < deadline) {
			uint64_t n = syscall4(SYS_FUTEX, (uint64_t)&crowd_word, per_call, FUTEX_WAKE, 0);
			if (n == ERR)
				break;
			if (n > per_call)
				too_many++;
			woken += n;
			atomic_fetch_add(&woken_by_wake, n);
			if (n == 0)
				nanosleep(1 * TU_MS);
		}
		TEXPECT_EQ(woken, NTHREADS);
		/*
		 * Nobody should be left waiting. A waiter found here would return 0
		 * without being counted by a wake, and the audit below reports it.
		 */
		atomic_store(&crowd_word, 0);
		tu_futex_wake(&crowd_word, FUTEX_ALL);
		if (!tu_wait_ge_progress(&crowd_left, r * NTHREADS, CROWD_LIMIT)) {
			ktap_fail(__FILE__, __LINE__, "round %llu: only %llu waiters left the wait",
				  (unsigned long long)r, (unsigned long long)atomic_load(&crowd_left));
			break;
		}
		if (ktap_failed())
			break;
	}
	if (ktap_failed()) {
		atomic_store(&abort_all, 1);
		atomic_store(&crowd_word, 0);
		tu_store_wake(&crowd_round, CROWD_ROUNDS + 1);
		tu_futex_wake(&crowd_word, FUTEX_ALL);
	}
	for (int i = 0; i < NTHREADS; i++)
		TEXPECT(tu_thread_join(&th[i], CROWD_LIMIT));
	TEXPECT_EQ(too_many, 0);
	expect_clean_stats();
}

KTAP_TEST(wake_all_counts_every_waiter)
{
	crowd_pattern(FUTEX_ALL);
}

KTAP_TEST(wake_n_wakes_at_most_n)
{
	crowd_pattern(5);
}

int main(void)
{
	return tu_ktap_main(3 * STALL_LIMIT);
}
