// SPDX-License-Identifier: MIT
// Shared test helpers: children with bounded waits, futex words, joinable threads, a KTAP watchdog.
//
// Header only: everything is static inline, so a program pays only for what
// it uses. (The directory's .c files, ktap.c, make libtest.a, see user.mk.)
#ifndef QUILT_TESTS_COMMON_TU_H
#define QUILT_TESTS_COMMON_TU_H

#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define TU_MS 1000000ull
#define TU_SEC 1000000000ull
#define TU_PAGE 4096ull

/* Address-space landmarks of spec §1 and §10.2. */
#define TU_USER_MIN 0x0000000000400000ull
#define TU_USER_MAX 0x00007FFFFFFFF000ull
#define TU_KERNEL_ADDR 0xFFFFFFFF80000000ull
#define TU_NONCANONICAL 0x0000800000000000ull

/* Thread t's stack top (spec §10.3). */
#define TU_STACK_TOP(t) (TU_USER_MAX - (uint64_t)(t) * 0x65000ull)

/* The status of a process killed by an unhandled CPU exception (spec §9.3). */
#define TU_FAULT_STATUS 14

/* How long a child may run before the parent gives up on it and kills it. */
#define TU_CHILD_TIMEOUT (20 * TU_SEC)

/*
 * Checks on raw system calls (syscallN), which do not touch errno: the
 * result must be ERR (or 0 for the pointer calls) and the kernel's error
 * slot, read with a raw SYS_ERRNO right after, must hold @e.
 */
#define TEXPECT_RAW_ERR(call, e)                                                              \
	do {                                                                                  \
		uint64_t r_ = (call);                                                         \
		uint64_t e_ = syscall0(SYS_ERRNO);                                            \
		if (r_ != ERR || e_ != (uint64_t)(e))                                         \
			ktap_fail(__FILE__, __LINE__,                                         \
				  "expected %s to fail with %s: got %#llx, error slot %s", #call, \
				  strerrorname_np(e), (unsigned long long)r_, strerrorname_np((int)e_));    \
	} while (0)

#define TEXPECT_RAW_NULL_ERR(call, e)                                                         \
	do {                                                                                  \
		uint64_t r_ = (call);                                                         \
		uint64_t e_ = syscall0(SYS_ERRNO);                                            \
		if (r_ != 0 || e_ != (uint64_t)(e))                                           \
			ktap_fail(__FILE__, __LINE__,                                         \
				  "expected %s to fail with %s: got %#llx, error slot %s", #call, \
				  strerrorname_np(e), (unsigned long long)r_, strerrorname_np((int)e_));    \
	} while (0)

/* ------------------------------------------------------------------ futex words */

/* Raw futex calls: a wait's EAGAIN/ETIMEDOUT is an expected outcome here, not an error to keep. */
static inline uint64_t tu_futex_wait(_Atomic(uint64_t) *word, uint64_t val, clock_t timeout)
{
	return syscall4(SYS_FUTEX, (uint64_t)word, val, FUTEX_WAIT, timeout);
}

static inline uint64_t tu_futex_wake(_Atomic(uint64_t) *word, uint64_t count)
{
	return syscall4(SYS_FUTEX, (uint64_t)word, count, FUTEX_WAKE, 0);
}

/*
 * tu_wait_until - wait at most @timeout ns until *@word >= @want (or == @want
 * if @exact). Sleeps on the word's futex and re-checks after every return,
 * so it is correct whatever the futex returns; a broken futex only turns it
 * into a (bounded) busy loop. Returns whether the condition was met.
 */
static inline bool tu_wait_until(_Atomic(uint64_t) *word, uint64_t want, bool exact, clock_t timeout)
{
	clock_t deadline = uptime() + timeout;
	for (;;) {
		uint64_t v = atomic_load(word);
		if (exact ? v == want : v >= want)
			return true;
		clock_t now = uptime();
		if (now >= deadline)
			return false;
		tu_futex_wait(word, v, deadline - now);
	}
}

static inline bool tu_wait_eq(_Atomic(uint64_t) *word, uint64_t want, clock_t timeout)
{
	return tu_wait_until(word, want, true, timeout);
}

static inline bool tu_wait_ge(_Atomic(uint64_t) *word, uint64_t want, clock_t timeout)
{
	return tu_wait_until(word, want, false, timeout);
}

/* Set *@word and wake every waiter on it. */
static inline void tu_store_wake(_Atomic(uint64_t) *word, uint64_t v)
{
	atomic_store(word, v);
	tu_futex_wake(word, FUTEX_ALL);
}

/* Add @n to *@word and wake every waiter on it. */
static inline void tu_add_wake(_Atomic(uint64_t) *word, uint64_t n)
{
	atomic_fetch_add(word, n);
	tu_futex_wake(word, FUTEX_ALL);
}

/* ------------------------------------------------------------------ threads */

/*
 * A libc thread (thrd_create_raw) with a done word of our own, so that it can
 * be joined with a timeout (thrd_join_raw waits forever). Keep the struct
 * alive until the join succeeded: a thread that missed its deadline still
 * writes it when it finally ends, so long-lived tests use static storage.
 */
struct tu_thread {
	void (*fn)(void *);
	void *arg;
	_Atomic(uint64_t) done;
	int tid;
};

static inline void tu_thread_main(void *p)
{
	struct tu_thread *t = p;
	t->fn(t->arg);
	tu_store_wake(&t->done, 1);
}

/* Start @fn(@arg) in a new thread. Returns false (errno set) if it could not be created. */
static inline bool tu_thread_start(struct tu_thread *t, void (*fn)(void *), void *arg)
{
	t->fn = fn;
	t->arg = arg;
	atomic_store(&t->done, 0);
	t->tid = thrd_create_raw(tu_thread_main, t);
	return t->tid >= 0;
}

/* Wait at most @timeout ns for @t's function to return. */
static inline bool tu_thread_join(struct tu_thread *t, clock_t timeout)
{
	return tu_wait_eq(&t->done, 1, timeout);
}

/*
 * Progress marks: a test calls tu_progress() (any thread, cheap) for every
 * step it completes. The watchdog below and the waits that use
 * tu_progress_count() judge a test stuck only when the marks stop, so a
 * test on a slow or loaded machine is not mistaken for a hung one.
 */
static inline _Atomic(uint64_t) *tu_progress_word(void)
{
	static _Atomic(uint64_t) marks;
	return &marks;
}

static inline void tu_progress(void)
{
	atomic_fetch_add_explicit(tu_progress_word(), 1, memory_order_relaxed);
}

static inline uint64_t tu_progress_count(void)
{
	return atomic_load_explicit(tu_progress_word(), memory_order_relaxed);
}

/*
 * tu_wait_ge_progress - wait for *@word >= @want as long as the test makes
 * progress: false only after @stall ns without a tu_progress() from any thread.
 */
static inline bool tu_wait_ge_progress(_Atomic(uint64_t) *word, uint64_t want, clock_t stall)
{
	uint64_t seen = tu_progress_count();
	clock_t quiet_since = uptime();
	while (!tu_wait_ge(word, want, TU_SEC)) {
		uint64_t marks = tu_progress_count();
		if (marks != seen) {
			seen = marks;
			quiet_since = uptime();
		} else if (uptime() - quiet_since >= stall) {
			return false;
		}
	}
	return true;
}

/*
 * tu_thread_join_progress - wait for @t as long as the test makes progress:
 * false only after @stall ns without a tu_progress() from any thread.
 */
static inline bool tu_thread_join_progress(struct tu_thread *t, clock_t stall)
{
	return tu_wait_ge_progress(&t->done, 1, stall);
}

/* ------------------------------------------------------------------ processes */

/*
 * tu_write_file - open @path, write @len bytes of @buf in one call, close it.
 * Returns write's result, or ERR with the errno of the open or the write.
 */
static inline uint64_t tu_write_file(const char *path, const void *buf, uint64_t len)
{
	fd_t fd = open(path);
	if (fd == ERR)
		return ERR;
	uint64_t r = write(fd, buf, len);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

/*
 * tu_slurp - read the small file @path whole into @buf (at most @size - 1
 * bytes, NUL-terminated). Returns its length, or -1 if it cannot be opened.
 */
static inline int64_t tu_slurp(const char *path, char *buf, uint64_t size)
{
	fd_t fd = open(path);
	if (fd == ERR)
		return -1;
	uint64_t total = 0, r;
	while (total < size - 1 && (r = read(fd, buf + total, size - 1 - total)) != ERR && r > 0)
		total += r;
	close(fd);
	buf[total] = '\0';
	return (int64_t)total;
}

/* tu_proc_write - tu_write_file on /proc/<@pid>/<@file> (ctl, note, ...). */
static inline uint64_t tu_proc_write(pid_t pid, const char *file, const void *buf, uint64_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%llu/%s", (unsigned long long)pid, file);
	return tu_write_file(path, buf, len);
}

/* tu_kill - end process @pid through its ctl file (spec §8.5); its status becomes 0. */
static inline void tu_kill(pid_t pid)
{
	tu_proc_write(pid, "ctl", "kill", 4);
}

/* Results of tu_wait besides 0 (status stored) and -1 (errno). */
#define TU_TIMEOUT (-2)

/*
 * tu_read_status - read an open /proc/<pid>/wait to its end and store the
 * exit status it shows. Returns 0, or -1 with errno (EIO: not a number).
 */
static inline int tu_read_status(fd_t fd, int *status)
{
	char text[32];
	size_t len = 0;
	for (;;) {
		uint64_t n = read(fd, text + len, sizeof(text) - 1 - len);
		if (n == ERR)
			return -1;
		if (n == 0 || (len += n) == sizeof(text) - 1)
			break;
	}
	text[len] = 0;
	char *end;
	long v = strtol(text, &end, 10);
	if (!len || end == text) {
		errno = EIO;
		return -1;
	}
	*status = (int)v;
	return 0;
}

/* tu_wait_open - open /proc/<pid>/wait for tu_wait_fd. Returns the descriptor or ERR. */
static inline fd_t tu_wait_open(pid_t pid)
{
	char path[48];
	snprintf(path, sizeof(path), "/proc/%llu/wait", (unsigned long long)pid);
	return open(path);
}

/*
 * tu_wait_fd - wait at most @timeout ns for process @pid to end and store its
 * exit status, through @fd from tu_wait_open (closed here). The bound comes
 * from polling the wait file for POLLIN (spec §7 number 17); the status is
 * read from the same descriptor, which stays usable however long ago the
 * process was reaped. On a timeout the child is killed, so that it cannot
 * disturb later tests, and TU_TIMEOUT is returned. Returns 0, TU_TIMEOUT or -1.
 * Open the descriptor while the process certainly exists (before killing it,
 * or while it waits for us): its /proc entry lasts only a second after it
 * ends, and on a loaded host a second can pass between two lines of a test.
 */
static inline int tu_wait_fd(fd_t fd, pid_t pid, clock_t timeout, int *status)
{
	struct abi_pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
	uint64_t ready = poll(&p, 1, timeout);
	if (ready == 0) {
		tu_kill(pid);
		/* Give the kill a moment to land, so the child is gone before we go on. */
		p = (struct abi_pollfd){ .fd = fd, .events = POLLIN, .revents = 0 };
		poll(&p, 1, 5 * TU_SEC);
		close(fd);
		return TU_TIMEOUT;
	}
	int r = tu_read_status(fd, status);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

/*
 * tu_spawn_watched - spawn @argv with @flags, its wait file open in *@wait_fd
 * before it can run (suspended until the file is open, then started unless
 * @flags asked for SPAWN_SUSPEND). Returns the pid, or ERR with errno.
 */
static inline pid_t tu_spawn_watched(const char *const *argv, spawn_flags_t flags, fd_t *wait_fd)
{
	pid_t pid = spawn((const char **)argv, flags | SPAWN_SUSPEND);
	if (pid == ERR)
		return ERR;
	*wait_fd = tu_wait_open(pid);
	int e = errno;
	if (*wait_fd == ERR || (!(flags & SPAWN_SUSPEND) && proc_ctl(pid, "start") != 0)) {
		e = *wait_fd == ERR ? e : errno;
		tu_kill(pid);
		if (*wait_fd != ERR)
			close(*wait_fd);
		errno = e;
		return ERR;
	}
	return pid;
}

/* tu_note - write the note @text to process @pid's first thread (/proc/<pid>/note, spec §9.5). */
static inline uint64_t tu_note(pid_t pid, const char *text)
{
	return tu_proc_write(pid, "note", text, strlen(text));
}

/*
 * Notes until something happens. A note ends a wait only if the thread is
 * blocked when it comes (spec §9.5); one that comes while the thread is still
 * on its way to the blocking call is dropped when it next returns to user
 * mode. A test cannot know when the other thread has blocked (sleeping "long
 * enough" first is a bet on the host's load), so it sends the note again every
 * TU_NOTE_EVERY until the call has ended: every note but the one that counts
 * is dropped, which is what the test claims too.
 */
#define TU_NOTE_EVERY (20 * TU_MS)

/*
 * tu_note_until_exit - note process @pid (@text) until it ends, then store
 * its exit status; @wait_fd is from tu_wait_open (closed here). After
 * @timeout ns the child is killed and TU_TIMEOUT returned. Returns 0,
 * TU_TIMEOUT or -1 (errno).
 */
static inline int tu_note_until_exit(pid_t pid, fd_t wait_fd, const char *text, clock_t timeout, int *status)
{
	clock_t deadline = uptime() + timeout;
	for (;;) {
		tu_note(pid, text);
		struct abi_pollfd p = { .fd = wait_fd, .events = POLLIN, .revents = 0 };
		if (poll(&p, 1, TU_NOTE_EVERY) == 1 || uptime() >= deadline)
			break;
	}
	clock_t now = uptime();
	return tu_wait_fd(wait_fd, pid, now < deadline ? deadline - now : 0, status);
}

/*
 * A thread that notes @pid until told to stop: for a test whose own thread
 * makes the blocking call. Stop it (tu_noter_stop) as soon as the call has
 * returned, before the next call that may block.
 */
struct tu_noter {
	struct tu_thread thread;
	_Atomic(uint64_t) stop;
	pid_t pid;
	const char *text;
};

static inline void tu_noter_main(void *arg)
{
	struct tu_noter *n = arg;
	while (!atomic_load(&n->stop)) {
		tu_note(n->pid, n->text);
		tu_wait_eq(&n->stop, 1, TU_NOTE_EVERY);
	}
}

static inline bool tu_noter_start(struct tu_noter *n, pid_t pid, const char *text)
{
	n->pid = pid;
	n->text = text;
	atomic_store(&n->stop, 0);
	return tu_thread_start(&n->thread, tu_noter_main, n);
}

/* Stop and join the noter (no note is sent after this returns true). */
static inline bool tu_noter_stop(struct tu_noter *n)
{
	tu_store_wake(&n->stop, 1);
	return tu_thread_join(&n->thread, 10 * TU_SEC);
}

/* tu_wait - tu_wait_fd on a descriptor opened now. */
static inline int tu_wait(pid_t pid, clock_t timeout, int *status)
{
	fd_t fd = tu_wait_open(pid);
	return fd == ERR ? -1 : tu_wait_fd(fd, pid, timeout, status);
}

/*
 * tu_run - spawn @argv (NULL-terminated) with default flags and wait at most
 * @timeout ns for its exit status. Failures are reported as KTAP diagnostics
 * (they fail the current test). Returns whether *@status was stored.
 */
static inline bool tu_run(const char *const *argv, clock_t timeout, int *status)
{
	fd_t wait_fd;
	pid_t pid = tu_spawn_watched(argv, 0, &wait_fd);
	if (pid == ERR) {
		ktap_fail(__FILE__, __LINE__, "spawn %s %s failed: %s", argv[0], argv[1] ? argv[1] : "",
			  strerrorname_np(errno));
		return false;
	}
	int r = tu_wait_fd(wait_fd, pid, timeout, status);
	if (r == TU_TIMEOUT) {
		ktap_fail(__FILE__, __LINE__, "child %s %s (pid %llu) still running after %llu ms: killed",
			  argv[0], argv[1] ? argv[1] : "", (unsigned long long)pid,
			  (unsigned long long)(timeout / TU_MS));
		return false;
	}
	if (r != 0) {
		ktap_fail(__FILE__, __LINE__, "waiting for pid %llu failed: %s", (unsigned long long)pid,
			  strerrorname_np(errno));
		return false;
	}
	return true;
}

/*
 * tu_run_role_va - run this program (@self) again as "@self @role [args...]"
 * (at most 12 arguments from @ap, NULL-terminated) and wait at most
 * @timeout ns. Returns its exit status, or TU_NO_STATUS if there is none
 * (already reported as a failure of the current test).
 */
#define TU_NO_STATUS (INT32_MIN + 1)
static inline int tu_run_role_va(clock_t timeout, const char *self, const char *role, va_list ap)
{
	const char *argv[16] = { self, role };
	int n = 2;
	for (const char *a; n < 14 && (a = va_arg(ap, const char *)) != NULL;)
		argv[n++] = a;
	argv[n] = NULL;
	int status;
	return tu_run(argv, timeout, &status) ? status : TU_NO_STATUS;
}

/* tu_run_role - tu_run_role_va with TU_CHILD_TIMEOUT; the argument list ends with NULL. */
static inline int tu_run_role(const char *self, const char *role, ...)
{
	va_list ap;
	va_start(ap, role);
	int status = tu_run_role_va(TU_CHILD_TIMEOUT, self, role, ap);
	va_end(ap);
	return status;
}

/* tu_run_role_timeout - tu_run_role with a timeout of @timeout ns. */
static inline int tu_run_role_timeout(clock_t timeout, const char *self, const char *role, ...)
{
	va_list ap;
	va_start(ap, role);
	int status = tu_run_role_va(timeout, self, role, ap);
	va_end(ap);
	return status;
}

/* ------------------------------------------------------------------ KTAP driver */

/*
 * The watchdog: a thread that checks every 200 ms whether the current test
 * is still getting somewhere. A test that makes no progress for the limit (a
 * kernel that ignores a timeout, a lost wake-up, a deadlock) is reported
 * "not ok" by the watchdog, which then ends the process: the missing results
 * fail the run instead of hanging it. Progress is the test's start plus every
 * tu_progress() it calls (a test that marks no steps is bounded from its
 * start). While a test runs,
 * a diagnostic line every minute tells the runner the guest is alive.
 * `started` is 0 between tests; whoever swaps it to 0 first (the test
 * finishing, or the watchdog) reports the result.
 */
struct tu_watchdog {
	_Atomic(uint64_t) started;
	const char *_Atomic name;
	clock_t limit;
};

#define TU_HEARTBEAT (60 * TU_SEC)

static inline struct tu_watchdog *tu_watchdog_state(void)
{
	static struct tu_watchdog wd;
	return &wd;
}

static inline void tu_watchdog_main(void *arg)
{
	struct tu_watchdog *wd = tu_watchdog_state();
	uint64_t test = 0, marks = 0;
	clock_t quiet_since = 0, heartbeat = 0;
	for (;;) {
		nanosleep(200 * TU_MS);
		uint64_t started = atomic_load(&wd->started);
		if (!started)
			continue;
		clock_t now = uptime();
		uint64_t p = tu_progress_count();
		if (started != test || p != marks) {
			quiet_since = started != test ? started : now;
			if (started != test)
				heartbeat = started;
			test = started;
			marks = p;
		}
		if (now > heartbeat && now - heartbeat >= TU_HEARTBEAT) {
			heartbeat = now;
			printf("# watchdog: %s running for %llu s, %llu steps so far\n", atomic_load(&wd->name),
			       (unsigned long long)((now - started) / TU_SEC), (unsigned long long)p);
			fflush(stdout);
		}
		if (now <= quiet_since || now - quiet_since <= wd->limit)
			continue;
		if (!atomic_compare_exchange_strong(&wd->started, &started, 0))
			continue; /* the test finished just now */
		const char *name = atomic_load(&wd->name);
		ktap_fail(__FILE__, __LINE__, "watchdog: %s made no progress for %llu s (running for %llu s)", name,
			  (unsigned long long)(wd->limit / TU_SEC), (unsigned long long)((now - started) / TU_SEC));
		ktap_end(name);
		printf("# watchdog: giving up on the remaining tests\n");
		fflush(stdout);
		process_exit(3);
	}
}

/*
 * tu_ktap_main - like ktap_main(), but no test may go @limit ns without
 * progress (see the watchdog above). Returns main's exit status: 0 if every test
 * passed or was skipped, 1 otherwise.
 */
static inline int tu_ktap_main(clock_t limit)
{
	extern const struct ktap_case __start_ktap_tests[], __stop_ktap_tests[];
	static struct tu_thread watchdog;
	struct tu_watchdog *wd = tu_watchdog_state();
	int failures = 0;

	wd->limit = limit;
	ktap_header();
	ktap_plan((int)(__stop_ktap_tests - __start_ktap_tests));
	if (!tu_thread_start(&watchdog, tu_watchdog_main, NULL))
		printf("# no watchdog thread (%s): a stuck test will hang\n", strerrorname_np(errno));
	for (const struct ktap_case *c = __start_ktap_tests; c < __stop_ktap_tests; c++) {
		ktap_begin();
		atomic_store(&wd->name, c->name);
		atomic_store(&wd->started, uptime() | 1);
		c->fn();
		uint64_t started = atomic_load(&wd->started);
		if (!started || !atomic_compare_exchange_strong(&wd->started, &started, 0)) {
			/* The watchdog reported this test and is ending the process. */
			for (;;)
				nanosleep(TU_SEC);
		}
		failures += !ktap_end(c->name);
	}
	fflush(stdout);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ misc */

/* A small deterministic PRNG (xorshift64*), for reproducible random sequences. */
static inline uint64_t tu_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* A value in [0, @n), @n > 0. */
static inline uint64_t tu_rand_below(uint64_t *state, uint64_t n)
{
	return tu_rand(state) % n;
}

/* Parse a decimal or 0x-hex unsigned 64-bit number (no error checks: test arguments are ours). */
static inline uint64_t tu_parse_u64(const char *s)
{
	return strtoull(s, NULL, 0);
}

/* The seed of a run with no SEED in the environment (the kernel's ktests use the same default). */
#define TU_DEFAULT_SEED 0x51554C54ull

/*
 * tu_seed - the starting state of a randomized test's generator: the run's
 * seed (SEED in the environment: the runner sets it from `make test SEED=N`,
 * SPAWN passes it on to every child; TU_DEFAULT_SEED otherwise) mixed with
 * @salt, so that each user of it draws its own stream. Prints the run's seed
 * as a KTAP diagnostic when @announce, so a failure names the run to replay.
 * Never returns 0 (xorshift needs a non-zero state).
 */
static inline uint64_t tu_seed(uint64_t salt, bool announce)
{
	const char *env = getenv("SEED");
	uint64_t seed = env && *env ? tu_parse_u64(env) : TU_DEFAULT_SEED;
	if (announce)
		ktap_diag("seed %llu (make test SEED=%llu replays it)", (unsigned long long)seed,
			  (unsigned long long)seed);
	/* splitmix64 of seed ^ salt, like the kernel's ktest_seed. */
	uint64_t z = (seed ^ salt) + 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return z ? z : 1;
}

#endif
