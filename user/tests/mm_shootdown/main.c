// SPDX-License-Identifier: MIT
// mm_shootdown: TLB coherence across threads for MUNMAP, MPROTECT (both ways), fixed MMAP; map/unmap churn.
//
// Usage: /bin/tests/mm_shootdown             KTAP on fd 1
//        /bin/tests/mm_shootdown child-...   one child role (see child_roles[])
//
// The races run in child processes (this program with a "child-*" argv[1])
// because the correct outcome of most of them is a fault that kills the
// process (status 14). The parent only interprets exit statuses:
//
//   14  a thread faulted (expected after munmap/mprotect returned)
//   77  STALE: a thread accessed the page successfully although it had
//       already seen the flag that is set only after the call returned,
//       i.e. a stale TLB entry on its CPU survived the call
//   78  a reader saw bytes that were never in the page
//   76  nobody faulted or finished within 2 s of the change
//   0   the role finished without fault (expected for upgrade/remap/neighbour/churn)
//
// Readers load the flag first and the page second; x86 does not reorder two
// loads (or a load and a later store), so seeing the flag set means the page
// access happened after the kernel call had returned.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

#define SELF_DEFAULT "/bin/tests/mm_shootdown"
#define P TU_PAGE
#define RW (PROT_READ | PROT_WRITE)

#define STATUS_STALE 77
#define STATUS_GARBAGE 78
#define STATUS_NOTHING 76

#define MAGIC 0x5EED5EED5EED5EEDull
#define ONES 0xFFFFFFFFFFFFFFFFull
#define NREADERS 3
#define REPEATS 10

static const char *self = SELF_DEFAULT;

static fd_t zero(void)
{
	static fd_t fd = FD_NONE;
	if (fd == FD_NONE)
		fd = open("/dev/zero");
	return fd;
}

static fd_t one(void)
{
	static fd_t fd = FD_NONE;
	if (fd == FD_NONE)
		fd = open("/dev/one");
	return fd;
}

/* ================================================================== child side */

/*
 * The attacked page, mapped a second time at @alias through one shared
 * memory object (/dev/shmem/new): unmapping or replacing `target` then
 * leaves the physical page alive, still holding MAGIC, instead of freeing
 * it for immediate reuse. Without the alias a stale translation could land
 * on the very frame the kernel just recycled (for the replacement page,
 * say) and look fresh. Falls back to plain /dev/zero memory (and no alias)
 * if shared memory is unavailable.
 */
static volatile uint64_t *alias;

static volatile uint64_t *map_pinned_page(void)
{
	fd_t fd = open("/dev/shmem/new");
	if (fd != ERR) {
		volatile uint64_t *a = mmap(fd, NULL, P, RW);
		alias = a ? mmap(fd, NULL, P, RW) : NULL;
		close(fd);
		if (a && alias && a != alias) {
			a[0] = MAGIC;
			if (alias[0] == MAGIC)
				return a;
		}
		printf("# shared memory double mapping failed: falling back to /dev/zero\n");
	}
	alias = NULL;
	return mmap(zero(), NULL, P, RW);
}

/*
 * After the change, keep this CPU busy for a moment instead of sleeping at
 * once: a reader scheduled here would fault straight away and end the
 * process before a stale reader on another CPU had a chance to report.
 */
static void spin_ms(uint64_t ms)
{
	clock_t end = uptime() + ms * TU_MS;
	while (uptime() < end)
		__asm__ volatile("pause");
}

static volatile uint64_t *target;	  /* the page under attack */
static _Atomic(uint64_t) changed;	  /* set right after the kernel call returned */
static _Atomic(uint64_t) accesses;	  /* successful accesses before the change */
static _Atomic(uint64_t) confirmed;	  /* remap: readers that saw the new page */
static _Atomic(uint64_t) stop;

static void fill(volatile uint64_t *p, uint64_t v)
{
	for (uint64_t i = 0; i < P / 8; i++)
		p[i] = v;
}

/*
 * Until the threads have made 20,000 accesses each (so every one has its
 * translation cached, and is spinning, likely on other CPUs), or 10 s.
 */
static void wait_until_warm(void)
{
	clock_t deadline = uptime() + 10 * TU_SEC;
	while (atomic_load(&accesses) < 20000 * NREADERS && uptime() < deadline)
		yield();
}

/* Start @n threads of @fn (arg = index); exit 97 if one cannot be created. */
static void start_threads(struct tu_thread *t, int n, void (*fn)(void *))
{
	for (int i = 0; i < n; i++)
		if (!tu_thread_start(&t[i], fn, (void *)(uintptr_t)i))
			process_exit(97);
}

static void unmap_reader(void *arg)
{
	volatile uint64_t *word = target + 8 * (uintptr_t)arg;
	for (;;) {
		uint64_t f = atomic_load(&changed);
		uint64_t v = *word;
		if (v != MAGIC)
			process_exit(STATUS_GARBAGE);
		if (f)
			process_exit(STATUS_STALE);
		atomic_fetch_add_explicit(&accesses, 1, memory_order_relaxed);
	}
}

/* child-unmap-reader: readers spin on a page that the main thread unmaps. Want 14. */
static int child_unmap_reader(int argc, char **argv)
{
	static struct tu_thread t[NREADERS];
	target = map_pinned_page();
	if (!target)
		return 2;
	fill(target, MAGIC);
	start_threads(t, NREADERS, unmap_reader);
	wait_until_warm();
	if (munmap((void *)target, P) != (void *)target)
		return 3;
	atomic_store(&changed, 1);
	spin_ms(3);
	nanosleep(2 * TU_SEC);
	return STATUS_NOTHING;
}

static void protect_writer(void *arg)
{
	volatile uint64_t *word = target + 8 * (uintptr_t)arg;
	for (uint64_t n = 0;; n++) {
		uint64_t f = atomic_load(&changed);
		*word = n;
		if (f)
			process_exit(STATUS_STALE);
		atomic_fetch_add_explicit(&accesses, 1, memory_order_relaxed);
	}
}

/* child-mprotect-writer: writers spin on a page that the main thread makes read-only. Want 14. */
static int child_mprotect_writer(int argc, char **argv)
{
	static struct tu_thread t[NREADERS];
	target = mmap(zero(), NULL, P, RW);
	if (!target)
		return 2;
	start_threads(t, NREADERS, protect_writer);
	wait_until_warm();
	if (mprotect((void *)target, P, PROT_READ) != (void *)target)
		return 3;
	atomic_store(&changed, 1);
	spin_ms(3);
	nanosleep(2 * TU_SEC);
	return STATUS_NOTHING;
}

static void upgrade_reader(void *arg)
{
	volatile uint64_t *word = target + 8 * (uintptr_t)arg;
	for (;;) {
		uint64_t f = atomic_load(&changed);
		if (*word != 0)
			process_exit(STATUS_GARBAGE);
		if (f)
			break;
		atomic_fetch_add_explicit(&accesses, 1, memory_order_relaxed);
	}
	/* A read-only translation of this page was in use a moment ago: the write must still work. */
	*word = MAGIC;
	if (*word != MAGIC)
		process_exit(STATUS_GARBAGE);
	tu_add_wake(&confirmed, 1);
}

/*
 * child-mprotect-upgrade: readers spin on a read-only page that the main
 * thread makes writable; once the call returned each writes its word. The
 * kernel sends no shootdown for rights only gained, so a reader's CPU may
 * hold the old entry: its write faults once and is retried. Want 0.
 */
static int child_mprotect_upgrade(int argc, char **argv)
{
	static struct tu_thread t[NREADERS];
	target = mmap(zero(), NULL, P, PROT_READ);
	if (!target)
		return 2;
	start_threads(t, NREADERS, upgrade_reader);
	wait_until_warm();
	if (mprotect((void *)target, P, RW) != (void *)target)
		return 3;
	atomic_store(&changed, 1);
	if (!tu_wait_ge(&confirmed, NREADERS, TU_CHILD_TIMEOUT))
		return STATUS_NOTHING;
	return 0;
}

static void remap_reader(void *arg)
{
	volatile uint64_t *word = target + 8 * (uintptr_t)arg;
	for (;;) {
		uint64_t f = atomic_load(&changed);
		uint64_t v = *word;
		if (v == MAGIC) {
			if (f)
				process_exit(STATUS_STALE);
			atomic_fetch_add_explicit(&accesses, 1, memory_order_relaxed);
		} else if (v == ONES) {
			if (f) {
				tu_add_wake(&confirmed, 1);
				return;
			}
		} else {
			process_exit(STATUS_GARBAGE);
		}
	}
}

/*
 * child-remap-reader: readers spin on a page that the main thread replaces
 * in place (a fixed mapping of /dev/one over it). Once the mmap returned
 * they must see 0xFF bytes, never the old content, which stays alive in
 * the alias. Want 0 (a fault during the replacement, 14, is tolerated).
 */
static int child_remap_reader(int argc, char **argv)
{
	static struct tu_thread t[NREADERS];
	if (one() == ERR)
		return 2;
	target = map_pinned_page();
	if (!target)
		return 2;
	fill(target, MAGIC);
	start_threads(t, NREADERS, remap_reader);
	wait_until_warm();
	if (mmap(one(), (void *)target, P, PROT_READ) != (void *)target)
		return 3;
	atomic_store(&changed, 1);
	if (alias && alias[0] != MAGIC)
		return STATUS_GARBAGE; /* the old page itself must be untouched */
	if (!tu_wait_ge(&confirmed, NREADERS, TU_CHILD_TIMEOUT))
		return STATUS_NOTHING;
	return 0;
}

static void neighbour_reader(void *arg)
{
	volatile uint64_t *word = target + 8 * (uintptr_t)arg;
	while (!atomic_load(&stop)) {
		if (*word != MAGIC)
			process_exit(STATUS_GARBAGE);
		atomic_fetch_add_explicit(&accesses, 1, memory_order_relaxed);
	}
}

/* Each round is two shootdowns; slow under TCG on a loaded host. */
#define NEIGHBOUR_ROUNDS 500

/*
 * child-neighbour: readers spin on page 0 of a two-page mapping while the
 * main thread maps, touches and unmaps page 1 over and over. Page 0 must
 * stay readable and intact throughout. Want 0.
 */
static int child_neighbour(int argc, char **argv)
{
	static struct tu_thread t[NREADERS];
	target = mmap(zero(), NULL, 2 * P, RW);
	if (!target)
		return 2;
	fill(target, MAGIC);
	volatile uint8_t *next = (volatile uint8_t *)target + P;
	start_threads(t, NREADERS, neighbour_reader);
	/* Only meaningful while the readers run: wait until one of them has read. */
	clock_t until = uptime() + TU_CHILD_TIMEOUT;
	while (atomic_load(&accesses) == 0 && uptime() < until)
		yield();
	for (int i = 0; i < NEIGHBOUR_ROUNDS; i++) {
		if (munmap((void *)next, P) != (void *)next)
			return 3;
		if (mmap(zero(), (void *)next, P, RW) != (void *)next)
			return 4;
		if (next[100] != 0)
			return STATUS_GARBAGE;
		next[100] = (uint8_t)i;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < NREADERS; i++)
		if (!tu_thread_join(&t[i], TU_CHILD_TIMEOUT))
			return 5;
	return atomic_load(&accesses) > 0 ? 0 : 6;
}

#define CHURN_THREADS 4
/*
 * A hang detector, not a speed limit: the churn takes about 50 s under TCG on
 * a host with a load of 10 and several minutes with two more `make test`s
 * beside it, so what fails it is 120 s without a round done (in the child)
 * or without the child using CPU time (seen from the test).
 */
#define CHURN_STALL (120 * TU_SEC)
#define CHURN_ROUNDS 2500
static _Atomic(uint64_t) churn_rounds, churn_errors;

/* Check 64 bytes at @p are zero. */
static bool zero64(const volatile uint8_t *p)
{
	for (int i = 0; i < 64; i++)
		if (p[i])
			return false;
	return true;
}

static void churn_thread(void *arg)
{
	uint64_t id = (uintptr_t)arg;
	uint64_t rng = tu_seed(0x9E3779B97F4A7C15ull * (id + 1), false);
	for (uint64_t r = 0; r < CHURN_ROUNDS; r++) {
		uint64_t pages = 1 + tu_rand_below(&rng, 4);
		volatile uint8_t *p = mmap(zero(), NULL, pages * P, RW);
		if (!p) {
			atomic_fetch_add(&churn_errors, 1);
			continue;
		}
		uint64_t tag = (id << 48) | r;
		for (uint64_t i = 0; i < pages; i++) {
			volatile uint8_t *pg = p + i * P;
			uint64_t off = 64 * tu_rand_below(&rng, P / 64);
			/* Fresh anonymous memory is zero, even just after another thread freed it. */
			if (!zero64(pg) || !zero64(pg + P - 64) || !zero64(pg + off))
				atomic_fetch_add(&churn_errors, 1);
			*(volatile uint64_t *)pg = tag + i;
		}
		if (r % 32 == 0)
			yield();
		/* Overlapping mappings would have let another thread overwrite our tags. */
		for (uint64_t i = 0; i < pages; i++)
			if (*(volatile uint64_t *)(p + i * P) != tag + i)
				atomic_fetch_add(&churn_errors, 1);
		if (munmap((void *)p, pages * P) != (void *)p)
			atomic_fetch_add(&churn_errors, 1);
		atomic_fetch_add(&churn_rounds, 1);
		tu_progress();
	}
}

/* child-churn: 4 threads x 2500 map/touch/unmap rounds. Want 0. */
static int child_churn(int argc, char **argv)
{
	static struct tu_thread t[CHURN_THREADS];
	clock_t t0 = uptime();
	start_threads(t, CHURN_THREADS, churn_thread);
	for (int i = 0; i < CHURN_THREADS; i++)
		if (!tu_thread_join_progress(&t[i], CHURN_STALL))
			return 5;
	printf("# child-churn: %llu rounds in %llu ms, %llu errors\n",
	       (unsigned long long)atomic_load(&churn_rounds), (unsigned long long)((uptime() - t0) / TU_MS),
	       (unsigned long long)atomic_load(&churn_errors));
	fflush(stdout);
	if (atomic_load(&churn_errors))
		return 3;
	return atomic_load(&churn_rounds) == CHURN_THREADS * CHURN_ROUNDS ? 0 : 4;
}

struct child_role {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct child_role child_roles[] = {
	{ "child-unmap-reader", child_unmap_reader },
	{ "child-mprotect-writer", child_mprotect_writer },
	{ "child-mprotect-upgrade", child_mprotect_upgrade },
	{ "child-remap-reader", child_remap_reader },
	{ "child-neighbour", child_neighbour },
	{ "child-churn", child_churn },
};

/* ================================================================== parent side */

static const char *explain(int status)
{
	switch (status) {
	case TU_FAULT_STATUS:
		return "faulted";
	case STATUS_STALE:
		return "STALE access after the call returned";
	case STATUS_GARBAGE:
		return "saw bytes that were never in the page";
	case STATUS_NOTHING:
		return "nothing happened within 2 s";
	case 0:
		return "finished";
	default:
		return "set-up failed (see the child role)";
	}
}

/* Run @role REPEATS times; every status must be @want or @also (pass -1 for none). */
static void repeat_role(const char *role, int want, int also)
{
	int tally[3] = { 0 }; /* want, also, other */
	for (int i = 0; i < REPEATS; i++) {
		int status = tu_run_role(self, role, NULL);
		if (status == TU_NO_STATUS)
			return;
		if (status == want) {
			tally[0]++;
		} else if (status == also) {
			tally[1]++;
		} else {
			tally[2]++;
			ktap_fail(__FILE__, __LINE__, "run %d of %s: status %d (%s)", i, role, status,
				  explain(status));
		}
	}
	ktap_diag("%s: %d x %s, %d x %s, %d other", role, tally[0], explain(want), tally[1],
		  also >= 0 ? explain(also) : "-", tally[2]);
}

KTAP_TEST(munmap_while_reading_faults_readers)
{
	repeat_role("child-unmap-reader", TU_FAULT_STATUS, -1);
}

KTAP_TEST(mprotect_read_only_while_writing_faults_writers)
{
	repeat_role("child-mprotect-writer", TU_FAULT_STATUS, -1);
}

KTAP_TEST(mprotect_writable_while_reading_lets_readers_write)
{
	repeat_role("child-mprotect-upgrade", 0, -1);
}

KTAP_TEST(fixed_remap_while_reading_never_shows_old_page)
{
	repeat_role("child-remap-reader", 0, TU_FAULT_STATUS);
}

KTAP_TEST(unmapping_neighbour_page_leaves_reader_alone)
{
	int status = tu_run_role_timeout(90 * TU_SEC, self, "child-neighbour", NULL);
	if (status != TU_NO_STATUS && status != 0)
		ktap_fail(__FILE__, __LINE__, "child-neighbour: status %d (%s)", status, explain(status));
}

KTAP_TEST(churn_4_threads_2500_map_touch_unmap_rounds)
{
	/*
	 * In this process, not a child: every round is a progress mark the
	 * watchdog sees, so only a stall (no round done for CHURN_STALL) fails
	 * it, however slow the host. A fault ends the program, which the runner
	 * reports as a failure.
	 */
	static const char *const why[] = { [3] = "a mapping was not fresh zero, overlapped another or did not "
		"unmap (see the diagnostic)", [4] = "rounds went missing", [5] = "no round done for 120 s" };
	tu_seed(0, true);
	int status = child_churn(0, NULL);
	if (status != 0)
		ktap_fail(__FILE__, __LINE__, "churn: status %d (%s)", status,
			  status > 0 && status < 6 && why[status] ? why[status] : "?");
}

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0] && argv[0][0] == '/')
		self = argv[0];
	if (argc >= 2 && strncmp(argv[1], "child-", 6) == 0) {
		if (zero() == ERR)
			return 2;
		for (size_t i = 0; i < sizeof(child_roles) / sizeof(child_roles[0]); i++)
			if (strcmp(argv[1], child_roles[i].name) == 0)
				return child_roles[i].fn(argc, argv);
		printf("# mm_shootdown: unknown child role %s\n", argv[1]);
		return 98;
	}
	return tu_ktap_main(2 * CHURN_STALL);
}
