// SPDX-License-Identifier: MIT
// thread_rounds: many threads in one process. Rounds of 1, 2, 4, ... 4,096
// threads joined through libc (issue 13 defect 8: tids past 1,024 could not
// be joined), the stacks of ended threads given back (spec §7 number 1), and
// a thread churn after which the kernel's counters are back where they were.
//
// Usage: /bin/tests/thread_rounds              KTAP on fd 1 (make test)
//        /bin/tests/thread_rounds churn N [B]  only the churn test: N threads
//                                              (default 6,000), B at a time (64)
//
// The churn test reads /dev/perf/mem (kernel pages, heap bytes, threads,
// kernel stacks) and /proc/self/perf (this process's resident user pages and
// threads) before and after. A thread's end is seen by its joiner a little
// before the kernel has freed it (the thread is still on its way out), so
// the counters are polled until they settle, with a generous bound; only a
// counter that never comes back fails.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

/* ------------------------------------------------------------ rounds */

#define MAX_ROUND 4096
/* Each thread counts the primes below this on its own; there are 168. */
#define PRIME_LIMIT 1000
#define PRIMES_BELOW_LIMIT 168

static int counted[MAX_ROUND];
static int round_tids[MAX_ROUND];
/* Set (and woken) by each worker when its count is stored: a bounded wait before the libc join. */
static _Atomic(uint64_t) finished[MAX_ROUND];
static _Atomic(uint64_t) finished_total;

static int count_primes(int below)
{
	int n = 0;
	for (int i = 2; i < below; i++) {
		bool prime = true;
		for (int d = 2; d * d <= i && prime; d++)
			prime = i % d != 0;
		n += prime;
	}
	return n;
}

static void prime_worker(void *arg)
{
	int *out = arg;
	*out = count_primes(PRIME_LIMIT);
	atomic_fetch_add(&finished_total, 1);
	tu_progress();
	tu_store_wake(&finished[out - counted], 1);
}

/* How many threads this process has now (/proc/self/perf), or -1. */
static long long thread_count_now(void)
{
	char buf[512];
	fd_t fd = open("/proc/self/perf");
	if (fd == ERR)
		return -1;
	uint64_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n == ERR)
		return -1;
	buf[n] = '\0';
	const char *p = strstr(buf, "thread_count ");
	return p ? (long long)strtoull(p + 13, NULL, 10) : -1;
}

/*
 * Where the rounds are, for the progress reporter: phase 1 creating, 2
 * joining, 0 done; the index reached; bumped on every step.
 */
static _Atomic(uint64_t) round_phase, round_size, round_index, round_steps;

/*
 * A thread that says every 20 s without progress where the rounds stand:
 * a slow run and a stuck one look alike to the watchdog, not here.
 */
static void progress_reporter(void *arg)
{
	uint64_t last = UINT64_MAX;
	while (atomic_load(&round_phase)) {
		for (int i = 0; i < 100 && atomic_load(&round_phase); i++)
			nanosleep(200 * TU_MS);
		uint64_t steps = atomic_load(&round_steps);
		if (steps == last && atomic_load(&round_phase))
			ktap_diag("no progress for 20 s: round of %llu, %s index %llu, %llu finished, %lld threads",
				  (unsigned long long)atomic_load(&round_size),
				  atomic_load(&round_phase) == 1 ? "creating" : "joining",
				  (unsigned long long)atomic_load(&round_index),
				  (unsigned long long)atomic_load(&finished_total), thread_count_now());
		last = steps;
	}
}

/*
 * Wait until worker @i of the round has stored its count. Only a round that
 * stalls fails: no worker at all finishing for STALL_LIMIT (on a loaded host
 * one worker may legitimately wait long for a CPU; a lost thread stops
 * them all before long).
 */
#define STALL_LIMIT (120 * TU_SEC)
static bool wait_finished(int i)
{
	return tu_wait_ge_progress(&finished[i], 1, STALL_LIMIT); /* each finished worker is a mark */
}

/* One round: @n threads, all started before the first is joined. Returns false on a failure (reported). */
static bool run_round(int n)
{
	atomic_store(&round_size, (uint64_t)n);
	atomic_store(&round_phase, 1);
	atomic_store(&finished_total, 0);
	for (int i = 0; i < n; i++) {
		counted[i] = -1;
		atomic_store(&finished[i], 0);
		atomic_store(&round_index, (uint64_t)i);
		atomic_fetch_add(&round_steps, 1);
		tu_progress();
		round_tids[i] = thrd_create_raw(prime_worker, &counted[i]);
		if (round_tids[i] < 0) {
			ktap_fail(__FILE__, __LINE__, "round of %d: thread %d not created: %s", n, i, strerrorname_np(errno));
			for (int j = 0; j < i; j++)
				thrd_join_raw(round_tids[j]);
			return false;
		}
	}
	bool ok = true;
	atomic_store(&round_phase, 2);
	for (int i = 0; i < n; i++) {
		atomic_store(&round_index, (uint64_t)i);
		atomic_fetch_add(&round_steps, 1);
		/*
		 * A worker that never finishes (a thread lost by the scheduler)
		 * and a join that misses its wake-up are told apart here, with
		 * the state of the round, instead of the watchdog's bare timeout.
		 */
		if (!wait_finished(i)) {
			ktap_fail(__FILE__, __LINE__,
				  "round of %d: tid %d (index %d) not finished, none finished for 120 s; %llu of %d finished, "
				  "%lld threads in the process",
				  n, round_tids[i], i, (unsigned long long)atomic_load(&finished_total), n,
				  thread_count_now());
			return false;
		}
		if (thrd_join_raw(round_tids[i]) != 0) {
			ktap_fail(__FILE__, __LINE__, "round of %d: join of tid %d failed: %s", n, round_tids[i],
				  strerrorname_np(errno));
			return false; /* the rest cannot be joined either: the watchdog would only wait */
		}
		if (counted[i] != PRIMES_BELOW_LIMIT && ok) {
			ktap_fail(__FILE__, __LINE__, "round of %d: tid %d counted %d primes, want %d", n,
				  round_tids[i], counted[i], PRIMES_BELOW_LIMIT);
			ok = false;
		}
	}
	return ok;
}

/*
 * 8,191 threads in all, up to 4,096 alive at once: the rounds past 512
 * threads used to stop (libc could join no tid past 1,023), and every round
 * must count right with every thread joined.
 */
KTAP_TEST(rounds_of_1_to_4096_threads_all_joined)
{
	clock_t t0 = uptime();
	int first_tid = -1;
	static struct tu_thread reporter;
	atomic_store(&round_phase, 1);
	bool reporting = tu_thread_start(&reporter, progress_reporter, NULL);
	for (int n = 1; n <= MAX_ROUND; n *= 2) {
		clock_t r0 = uptime();
		if (!run_round(n)) {
			atomic_store(&round_phase, 0);
			return;
		}
		if (n >= 256)
			ktap_diag("round of %d threads (tids %d..%d): %llu ms", n, round_tids[0], round_tids[n - 1],
				  (unsigned long long)((uptime() - r0) / TU_MS));
		if (first_tid < 0)
			first_tid = round_tids[0];
	}
	atomic_store(&round_phase, 0);
	if (reporting)
		tu_thread_join(&reporter, 30 * TU_SEC);
	TEXPECT_EQ(round_tids[MAX_ROUND - 1] - first_tid, 2 * MAX_ROUND - 2); /* tids dense, never reused */
	ktap_diag("8191 threads in rounds of 1..4096: %llu ms", (unsigned long long)((uptime() - t0) / TU_MS));
}

/*
 * Write one byte in each of @npages pages below the caller's frame. The
 * array's address escapes into an asm statement: otherwise the compiler may
 * split an array it only indexes by constants into a few scalars and touch
 * none of the pages.
 */
__attribute__((noinline)) static void touch_stack_pages(int npages)
{
	char stack[npages * TU_PAGE];
	__asm__ volatile("" : : "r"(stack) : "memory");
	for (int i = npages - 1; i >= 0; i--)
		((volatile char *)stack)[(uint64_t)i * TU_PAGE] = 1;
	__asm__ volatile("" : : "r"(stack) : "memory");
}

/* ------------------------------------------------------------ counters */

struct counters {
	uint64_t used_pages, heap_bytes, threads, kernel_stacks; /* /dev/perf/mem */
	uint64_t user_pages, thread_count;                        /* /proc/self/perf */
};

/* The value after "@key " in @text, or UINT64_MAX if absent. */
static uint64_t field(const char *text, const char *key)
{
	size_t len = strlen(key);
	for (const char *p = text; (p = strstr(p, key)) != NULL; p += len)
		if ((p == text || p[-1] == '\n') && p[len] == ' ')
			return strtoull(p + len + 1, NULL, 10);
	return UINT64_MAX;
}

static bool read_counters(struct counters *c)
{
	char mem[512], self[512];
	if (tu_slurp("/dev/perf/mem", mem, sizeof(mem)) < 0 || tu_slurp("/proc/self/perf", self, sizeof(self)) < 0)
		return false;
	c->used_pages = field(mem, "used_pages");
	c->heap_bytes = field(mem, "heap_bytes");
	c->threads = field(mem, "threads");
	c->kernel_stacks = field(mem, "kernel_stacks");
	c->user_pages = field(self, "user_pages");
	c->thread_count = field(self, "thread_count");
	return c->used_pages != UINT64_MAX && c->heap_bytes != UINT64_MAX && c->threads != UINT64_MAX &&
	       c->kernel_stacks != UINT64_MAX && c->user_pages != UINT64_MAX && c->thread_count != UINT64_MAX;
}

static bool counters_equal(const struct counters *a, const struct counters *b)
{
	return a->used_pages == b->used_pages && a->heap_bytes == b->heap_bytes && a->threads == b->threads &&
	       a->kernel_stacks == b->kernel_stacks && a->user_pages == b->user_pages &&
	       a->thread_count == b->thread_count;
}

/*
 * Used pages may differ by a few from the baseline without anything lost:
 * the heap's slab pages depend on where objects landed, not only on how
 * many bytes are in use, and an empty page table is freed only when the
 * last mapping in its 2 MiB goes. A thread whose stack or kernel stack
 * stayed behind costs at least a page each, so thousands for the churn.
 */
#define USED_PAGES_SLACK 16

/* Everything back: object counts exactly, used pages within the slack. */
static bool counters_back(const struct counters *before, const struct counters *now)
{
	return now->used_pages <= before->used_pages + USED_PAGES_SLACK && now->heap_bytes == before->heap_bytes &&
	       now->threads == before->threads && now->kernel_stacks == before->kernel_stacks &&
	       now->user_pages == before->user_pages && now->thread_count == before->thread_count;
}

/* Poll until the counters are back at @want (ended threads are freed just after their joiner sees them end). */
static bool settle(const struct counters *want, struct counters *now)
{
	clock_t deadline = uptime() + 60 * TU_SEC; /* a bound, left early: threads leave promptly */
	for (;;) {
		if (read_counters(now) && counters_back(want, now))
			return true;
		if (uptime() >= deadline)
			return false;
		nanosleep(5 * TU_MS);
	}
}

static void report_counters(const struct counters *before, const struct counters *after)
{
	ktap_fail(__FILE__, __LINE__,
		  "counters before/after: used_pages %llu/%llu heap_bytes %llu/%llu threads %llu/%llu "
		  "kernel_stacks %llu/%llu user_pages %llu/%llu thread_count %llu/%llu",
		  (unsigned long long)before->used_pages, (unsigned long long)after->used_pages,
		  (unsigned long long)before->heap_bytes, (unsigned long long)after->heap_bytes,
		  (unsigned long long)before->threads, (unsigned long long)after->threads,
		  (unsigned long long)before->kernel_stacks, (unsigned long long)after->kernel_stacks,
		  (unsigned long long)before->user_pages, (unsigned long long)after->user_pages,
		  (unsigned long long)before->thread_count, (unsigned long long)after->thread_count);
}

/* ------------------------------------------------------------ churn */

/*
 * The churn threads use the raw calls only (no heap, no libc join slots),
 * so that nothing of this process's own memory grows with the number of
 * threads: whatever does not come back is the kernel's to give.
 */
#define MAX_BATCH 256
/* Stack pages each churn thread touches: a thread whose stack is kept leaks at least this many. */
#define CHURN_STACK_PAGES 4

static _Atomic(uint64_t) churn_done[MAX_BATCH];

__attribute__((noreturn, used)) static void churn_thread(_Atomic(uint64_t) *done)
{
	touch_stack_pages(CHURN_STACK_PAGES);
	atomic_store(done, 1);
	syscall4(SYS_FUTEX, (uint64_t)done, FUTEX_ALL, FUTEX_WAKE, 0);
	thread_exit();
}

/* SYS_THREAD_CREATE enters with RSP 16-aligned and no return address: realign for C (spec §7.23). */
__attribute__((naked)) static void churn_entry(void)
{
	__asm__ volatile("andq $-16, %rsp\n\tcall churn_thread\n\tud2");
}

/* Start @n churn threads and wait for each to have ended. Returns false on a failure (reported). */
static bool churn_batch(int n)
{
	for (int i = 0; i < n; i++)
		atomic_store(&churn_done[i], 0);
	int started = 0;
	bool ok = true;
	for (; started < n; started++) {
		if (thread_create((void *)churn_entry, (void *)&churn_done[started]) == ERR) {
			ktap_fail(__FILE__, __LINE__, "thread_create failed: %s", strerrorname_np(errno));
			ok = false;
			break;
		}
	}
	for (int i = 0; i < started; i++) {
		if (!tu_wait_eq(&churn_done[i], 1, 30 * TU_SEC)) {
			ktap_fail(__FILE__, __LINE__, "churn thread %d of a batch never ended", i);
			return false;
		}
		tu_progress();
	}
	return ok;
}

static uint64_t churn_total = 6000;
static int churn_batch_size = 64;

/*
 * churn_total threads created and ended, churn_batch_size at a time; then
 * the kernel's heap bytes, threads and kernel stacks and this process's
 * resident pages and thread count must all be back at their values after a
 * first warm-up batch (which lets one-time allocations, such as the
 * process's futex table, happen before the baseline), and the kernel's used
 * pages within USED_PAGES_SLACK of it.
 */
KTAP_TEST(thread_churn_gives_every_page_back)
{
	struct counters before, after;
	TASSERT(churn_batch(churn_batch_size));
	if (!read_counters(&before)) {
		ktap_fail(__FILE__, __LINE__, "cannot read /dev/perf/mem or /proc/self/perf");
		return;
	}
	/* The baseline: once the warm-up batch's threads have finished leaving (two equal readings). */
	for (int i = 0; i < 1000; i++) {
		struct counters again;
		nanosleep(5 * TU_MS);
		if (read_counters(&again) && counters_equal(&before, &again))
			break;
		before = again;
	}
	clock_t t0 = uptime();
	uint64_t made = 0;
	while (made < churn_total) {
		int n = churn_total - made < (uint64_t)churn_batch_size ? (int)(churn_total - made) : churn_batch_size;
		if (!churn_batch(n))
			return;
		made += (uint64_t)n;
	}
	clock_t elapsed = uptime() - t0;
	if (!settle(&before, &after))
		report_counters(&before, &after);
	ktap_diag("%llu threads, %d at a time: %llu ms (%llu us a thread); counters back: used_pages %llu "
		  "heap_bytes %llu threads %llu kernel_stacks %llu user_pages %llu",
		  (unsigned long long)made, churn_batch_size, (unsigned long long)(elapsed / TU_MS),
		  (unsigned long long)(elapsed / 1000 / (made ? made : 1)), (unsigned long long)after.used_pages,
		  (unsigned long long)after.heap_bytes, (unsigned long long)after.threads,
		  (unsigned long long)after.kernel_stacks, (unsigned long long)after.user_pages);
}

/* ------------------------------------------------------------ stacks */

static _Atomic(uint64_t) stack_probe_ready, stack_probe_go;

/* Touch 32 pages of this thread's stack, then wait to be released. */
static void stack_toucher(void *arg)
{
	touch_stack_pages(32);
	tu_add_wake(&stack_probe_ready, 1);
	tu_wait_ge(&stack_probe_go, 1, 30 * TU_SEC);
}

/*
 * Spec §7 number 1 lets the kernel take back an ended thread's stack: 32
 * threads that each touched 32 stack pages add at least 1,024 resident
 * pages while they live, and once they have ended this process must be
 * back to (about) its resident size before them. The slack covers libc's
 * join-word table, which grows by a chunk per 1,024 tids.
 */
KTAP_TEST(ended_threads_stacks_are_given_back)
{
	struct tu_thread t[32];
	struct counters before, during, after;
	TASSERT(read_counters(&before));
	atomic_store(&stack_probe_ready, 0);
	atomic_store(&stack_probe_go, 0);
	for (int i = 0; i < 32; i++)
		TASSERT(tu_thread_start(&t[i], stack_toucher, NULL));
	TASSERT(tu_wait_ge(&stack_probe_ready, 32, 30 * TU_SEC));
	TASSERT(read_counters(&during));
	if (during.user_pages < before.user_pages + 32 * 32)
		ktap_fail(__FILE__, __LINE__, "32 threads touching 32 stack pages each: resident %llu before, %llu with them",
			  (unsigned long long)before.user_pages, (unsigned long long)during.user_pages);
	tu_store_wake(&stack_probe_go, 1);
	for (int i = 0; i < 32; i++)
		TASSERT(tu_thread_join(&t[i], 30 * TU_SEC));
	/* Joined means "about to call thread_exit": wait for them to be gone. */
	clock_t deadline = uptime() + 60 * TU_SEC; /* a bound, left early: threads leave promptly */
	while (read_counters(&after) && after.thread_count > before.thread_count && uptime() < deadline)
		nanosleep(5 * TU_MS);
	if (after.user_pages > before.user_pages + 16) {
		ktap_fail(__FILE__, __LINE__, "resident pages: %llu before, %llu with the threads, %llu after them",
			  (unsigned long long)before.user_pages, (unsigned long long)during.user_pages,
			  (unsigned long long)after.user_pages);
	}
}

/* ------------------------------------------------------------ kill */

__attribute__((noreturn, used)) static void short_thread(void)
{
	thread_exit();
}

__attribute__((naked)) static void short_entry(void)
{
	__asm__ volatile("andq $-16, %rsp\n\tcall short_thread\n\tud2");
}

/* Role "creator": make short threads until killed. */
static int creator_role(void)
{
	for (;;)
		thread_create((void *)short_entry, NULL);
}

static const char *self_path = "/bin/tests/thread_rounds";

/*
 * A process killed while it is creating threads: the kill reaches the
 * thread being created (it is on the process's list) before the scheduler
 * has queued it. Each round must end with status 0 (the kill's), and the
 * kernel must go on scheduling (a thread queued twice corrupts a run queue).
 */
KTAP_TEST(kill_while_creating_threads)
{
	for (int i = 0; i < 40; i++) {
		pid_t pid = spawn((const char *[]){ self_path, "creator", NULL }, 0);
		TASSERT(pid != ERR);
		/* Opened before the kill (it runs until killed): the /proc entry goes a second after the end. */
		fd_t wait_fd = tu_wait_open(pid);
		TASSERT(wait_fd != ERR);
		nanosleep((uint64_t)(5 + i % 7 * 3) * TU_MS);
		tu_kill(pid);
		int status = -1;
		/* A hang detector: a loaded host took seconds to end a creator of hundreds of threads. */
		int r = tu_wait_fd(wait_fd, pid, 120 * TU_SEC, &status);
		if (r != 0 || status != 0) {
			ktap_fail(__FILE__, __LINE__, "round %d: wait gave %d, status %d", i, r, status);
			return;
		}
		tu_progress();
	}
	/* Still scheduling: a fresh round of threads runs and is joined. */
	TEXPECT(run_round(64));
}

/* ------------------------------------------------------------ argv */

static char **saved_argv;

/* After the main thread is gone, argv (on its stack region) must still read. */
static void argv_reader(void *arg)
{
	clock_t deadline = uptime() + 60 * TU_SEC; /* a bound, left early: threads leave promptly */
	while (thread_count_now() > 1 && uptime() < deadline)
		nanosleep(2 * TU_MS);
	process_exit(thread_count_now() == 1 && strcmp(saved_argv[1], "main-exits") == 0 ? 42 : 43);
}

/* Role "main-exits": the main thread ends first; the other thread reads argv and exits with 42. */
static int main_exits_role(char **argv)
{
	saved_argv = argv;
	if (thrd_create_raw(argv_reader, NULL) < 0)
		return 1;
	thrd_exit();
}

/*
 * Thread 0's stack region holds argv (spec §10.5). Ended threads' stacks are
 * given back, but not that one: a program may hand argv to its threads and
 * end main with thrd_exit, as elsewhere.
 */
KTAP_TEST(argv_outlives_the_main_thread)
{
	TEXPECT_EQ(tu_run_role(self_path, "main-exits", NULL), 42);
}

/*
 * A new thread starts on its creator's CPU (kernel/sched/sched.c,
 * SCHED_BALANCE_DELAY_NS) and an idle CPU takes it only later: a creator
 * that never blocks, here spinning in user mode for the thread's answer,
 * must still see it run (on the other CPU, or in a time slice of this one).
 * Both sides spin, so neither can wait for the other to sleep.
 */
static _Atomic(uint64_t) spin_seen, spin_answer;

static void spin_partner(void *arg)
{
	clock_t deadline = uptime() + 10 * TU_SEC;
	atomic_store(&spin_seen, 1);
	while (atomic_load(&spin_answer) == 0 && uptime() < deadline)
		;
	atomic_store(&spin_seen, 2);
}

KTAP_TEST(a_new_thread_runs_while_its_creator_spins)
{
	atomic_store(&spin_seen, 0);
	atomic_store(&spin_answer, 0);
	struct tu_thread t;
	TASSERT(tu_thread_start(&t, spin_partner, NULL));
	clock_t deadline = uptime() + 10 * TU_SEC;
	while (atomic_load(&spin_seen) == 0 && uptime() < deadline)
		;
	TEXPECT_EQ(atomic_load(&spin_seen), 1);
	atomic_store(&spin_answer, 1);
	while (atomic_load(&spin_seen) != 2 && uptime() < deadline)
		;
	TEXPECT_EQ(atomic_load(&spin_seen), 2);
	TEXPECT(tu_thread_join(&t, 10 * TU_SEC));
}

int main(int argc, char **argv)
{
	if (argc >= 1 && argv[0][0] == '/')
		self_path = argv[0];
	if (argc >= 2 && strcmp(argv[1], "creator") == 0)
		return creator_role();
	if (argc >= 2 && strcmp(argv[1], "main-exits") == 0)
		return main_exits_role(argv);
	if (argc >= 3 && strcmp(argv[1], "churn") == 0) {
		churn_total = tu_parse_u64(argv[2]);
		if (argc >= 4)
			churn_batch_size = (int)tu_parse_u64(argv[3]);
		if (churn_batch_size < 1 || churn_batch_size > MAX_BATCH)
			churn_batch_size = 64;
		ktap_header();
		ktap_plan(1);
		ktap_begin();
		ktap_fn_thread_churn_gives_every_page_back();
		int failed = !ktap_end("thread_churn_gives_every_page_back");
		fflush(stdout);
		return failed;
	}
	return tu_ktap_main(280 * TU_SEC);
}
