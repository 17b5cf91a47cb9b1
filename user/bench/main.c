// SPDX-License-Identifier: MIT
// bench: micro-benchmarks of the system-call ABI, timed with SYS_UPTIME, and a scaling run.
//
// Usage: /bin/bench [name...]    run every benchmark, or only the named ones
//        /bin/bench scale N...   the scaling run with N worker processes (each N given)
//        /bin/bench count N name... [N name...]  each named operation exactly N times (count_main)
//        /bin/bench pong IN OUT X Y  (internal: the pipe benchmark's partner)
//
// Each benchmark runs for about BENCH_TIME of wall time after one untimed
// warm-up operation. Operations run in batches, so the clock is read
// rarely: the batch doubles while one takes under SAMPLE_TIME/2; each batch
// SAMPLE_TIME/4 or more is one sample (its ns per operation). The line is
// "name median_ns min=<ns> max=<ns> n=<samples>": the median is the figure,
// min and max the spread between batches. At least MIN_SAMPLES samples are
// taken even past BENCH_TIME, so a slow operation still shows a spread.
// Anything that fails prints "# skipped <name>: <reason>" instead, and the
// program goes on. A watchdog thread bounds every benchmark: one stuck in a
// blocking call is reported as skipped and the program ends (the pipe
// benchmark, whose reads cannot carry a timeout, runs last for that reason).
//
// The scaling run ("scale N") has N worker processes, one per CPU, each
// looping on the same operation for SCALE_ROUND_TIME, SCALE_ROUNDS times, and
// prints "scale <name> threads=N ops_per_s=<median> min=<> max=<> n=<rounds>"
// (total operations of all workers per second of the round), after a line
// "# scale <name> threads=N idle per CPU: <share>..." (each CPU's idle time
// while the workers ran, from /dev/perf/cpu: whether the guest or each
// operation's cost keeps the ratio below the CPU count). How many CPUs there
// are comes from the command line: nothing in /dev or /proc says it.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/proc.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

#define BENCH_TIME (300 * TU_MS)
#define SAMPLE_TIME (BENCH_TIME / 10) /* batches take 1/2 to 1 of it: 10 to 20 samples */
#define MIN_SAMPLES 5
#define MAX_SAMPLES 64
#define BENCH_LIMIT (20 * TU_SEC) /* watchdog: no benchmark may take longer */
#define P TU_PAGE
#define RW (PROT_READ | PROT_WRITE)

/*
 * Why the current benchmark failed; set by bench_fail(). The first failure
 * wins: the scaling run's threads may fail at once, and the first cause is
 * the one worth reading (later ones are often its consequences).
 */
static char reason[160];
static atomic_bool reason_taken;

static void reason_clear(void)
{
	reason[0] = '\0';
	atomic_store(&reason_taken, false);
}

static bool bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool bench_fail(const char *fmt, ...)
{
	if (atomic_exchange(&reason_taken, true))
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return false;
}

/* ------------------------------------------------------------------ samples */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Print "<median> min=<> max=<> n=<>" of @v[0..@n) (n > 0, sorted in place) and a newline. */
static void print_spread(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	uint64_t median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2] + 1) / 2;
	printf("%llu min=%llu max=%llu n=%llu\n", (unsigned long long)median, (unsigned long long)v[0],
	       (unsigned long long)v[n - 1], (unsigned long long)n);
}

struct bench {
	const char *name;
	bool (*setup)(void);	/* optional; false (with bench_fail) skips the benchmark */
	bool (*op)(void);	/* one operation; false (with bench_fail) skips the benchmark */
	void (*teardown)(void); /* optional; runs after setup succeeded */
	uint64_t max_ops;	/* 0: no limit; else stop early (resource-hungry operations) */
	uint64_t calls_per_op;	/* report ns per call when an op makes several (0 means 1) */
};

/* ------------------------------------------------------------------ watchdog */

static const char *_Atomic current_name;
static _Atomic(uint64_t) current_start;

static void watchdog(void *arg)
{
	for (;;) {
		nanosleep(250 * TU_MS);
		uint64_t start = atomic_load(&current_start);
		if (start && uptime() - start > BENCH_LIMIT) {
			printf("# skipped %s: no result after %llu s (stuck in a blocking call?); stopping\n",
			       atomic_load(&current_name), (unsigned long long)(BENCH_LIMIT / TU_SEC));
			fflush(stdout);
			process_exit(1);
		}
	}
}

/* ------------------------------------------------------------------ simple calls */

static bool op_getpid(void)
{
	getpid();
	return true;
}

static bool op_yield(void)
{
	return yield() == 0 || bench_fail("yield returned non-zero");
}

/* ------------------------------------------------------------------ futex ping-pong */

static _Atomic(uint64_t) pp_word, pp_stop;
static struct tu_thread pp_thread;

/* The partner: turns every odd value into the next even one. */
static void pp_partner(void *arg)
{
	while (!atomic_load(&pp_stop)) {
		uint64_t v = atomic_load(&pp_word);
		if (v % 2 == 0) {
			tu_futex_wait(&pp_word, v, 100 * TU_MS);
			continue;
		}
		atomic_store(&pp_word, v + 1);
		tu_futex_wake(&pp_word, 1);
	}
}

static bool pp_setup(void)
{
	atomic_store(&pp_word, 0);
	atomic_store(&pp_stop, 0);
	return tu_thread_start(&pp_thread, pp_partner, NULL) || bench_fail("thread: %s", strerror(errno));
}

/* One round trip: make the word odd, wake the partner, sleep until it is even again. */
static bool pp_op(void)
{
	uint64_t v = atomic_load(&pp_word);
	atomic_store(&pp_word, v + 1);
	tu_futex_wake(&pp_word, 1);
	clock_t deadline = 0;
	for (;;) {
		uint64_t now = atomic_load(&pp_word);
		if (now == v + 2)
			return true;
		if (!deadline)
			deadline = uptime() + TU_SEC;
		else if (uptime() > deadline)
			return bench_fail("partner did not answer within 1 s");
		tu_futex_wait(&pp_word, now, 100 * TU_MS);
	}
}

static void pp_teardown(void)
{
	tu_store_wake(&pp_stop, 1);
	tu_thread_join(&pp_thread, 2 * TU_SEC);
}

/* ------------------------------------------------------------------ thread create + join */

static _Atomic(uint64_t) tc_done;

static void tc_body(void *arg)
{
	tu_store_wake(&tc_done, 1);
}

static bool tc_op(void)
{
	atomic_store(&tc_done, 0);
	if (thrd_create_raw(tc_body, NULL) < 0)
		return bench_fail("thrd_create_raw: %s", strerror(errno));
	return tu_wait_eq(&tc_done, 1, 2 * TU_SEC) || bench_fail("thread did not run within 2 s");
}

/* ------------------------------------------------------------------ spawn + exit + wait */

/*
 * wait_pid() with a bound: one open of /proc/<pid>/wait, a poll for POLLIN
 * (so that a lost wake-up shows as a skip, not a hang), one read.
 */
static bool spawn_wait(const char **argv)
{
	pid_t pid = spawn(argv, 0);
	if (pid == ERR)
		return bench_fail("spawn: %s", strerror(errno));
	char path[48], text[24];
	snprintf(path, sizeof(path), "/proc/%llu/wait", (unsigned long long)pid);
	fd_t fd = open(path);
	if (fd == ERR)
		return bench_fail("open %s: %s", path, strerror(errno));
	struct abi_pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
	uint64_t ready = poll(&pfd, 1, 5 * TU_SEC);
	if (ready != 1) {
		close(fd);
		return bench_fail("poll on %s gave %lld (%s)", path, (long long)ready,
				  ready == 0 ? "timeout" : strerror(errno));
	}
	uint64_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n == ERR || n == 0)
		return bench_fail("read %s: %s", path, n ? strerror(errno) : "empty");
	text[n] = '\0';
	return strcmp(text, "0") == 0 || bench_fail("child status \"%s\", want 0", text);
}

/* A program built with libc (its start-up and exit included). */
static bool spawn_wait_op(void)
{
	static const char *argv[] = { "/bin/tests/exit_with", "0", NULL };
	return spawn_wait(argv);
}

/* A program without libc (user/bare/exit0.S): the kernel's own cost of a process. */
static bool spawn_wait_bare_op(void)
{
	static const char *argv[] = { "/bin/bare/exit0", NULL };
	return spawn_wait(argv);
}

/* SPAWN_SUSPEND, then "start" through /proc/<pid>/ctl, then the wait. */
static bool spawn_suspend_op(void)
{
	static const char *argv[] = { "/bin/tests/exit_with", "0", NULL };
	pid_t pid = spawn(argv, SPAWN_SUSPEND);
	if (pid == ERR)
		return bench_fail("spawn: %s", strerror(errno));
	if (proc_ctl(pid, "start") != 0)
		return bench_fail("ctl start: %s", strerror(errno));
	int status = -1;
	if (wait_pid(pid, &status) != 0 || status != 0)
		return bench_fail("wait: status %d", status);
	return true;
}

/* SHARE of an open file, then CLAIM and CLOSE of the new descriptor. */
static fd_t sc_fd = FD_NONE;

static bool sc_setup(void)
{
	sc_fd = open("/dev/null");
	return sc_fd != ERR || bench_fail("open /dev/null: %s", strerror(errno));
}

static bool sc_op(void)
{
	struct abi_key k;
	if (share(&k, sc_fd, CLOCKS_NEVER) == ERR)
		return bench_fail("share: %s", strerror(errno));
	fd_t c = claim(&k);
	if (c == ERR)
		return bench_fail("claim: %s", strerror(errno));
	close(c);
	return true;
}

static void sc_teardown(void)
{
	close(sc_fd);
}

/* ------------------------------------------------------------------ memory */

static fd_t zero_fd = FD_NONE;

static bool zero_setup(void)
{
	if (zero_fd == FD_NONE)
		zero_fd = open("/dev/zero");
	return zero_fd != ERR || bench_fail("open /dev/zero: %s", strerror(errno));
}

static bool map_touch_unmap(uint64_t pages)
{
	volatile uint8_t *p = mmap(zero_fd, NULL, pages * P, RW);
	if (!p)
		return bench_fail("mmap %llu pages: %s", (unsigned long long)pages, strerror(errno));
	for (uint64_t i = 0; i < pages; i++)
		p[i * P] = 1;
	return munmap((void *)p, pages * P) == (void *)p || bench_fail("munmap: %s", strerror(errno));
}

static bool op_map_1(void)
{
	return map_touch_unmap(1);
}

static bool op_map_16(void)
{
	return map_touch_unmap(16);
}

static bool op_map_256(void)
{
	return map_touch_unmap(256);
}

/* 4 MiB and 16 MiB: where per-page costs dominate the fixed ones of the two calls. */
static bool op_map_1024(void)
{
	return map_touch_unmap(1024);
}

static bool op_map_4096(void)
{
	return map_touch_unmap(4096);
}

static volatile uint8_t *mp_pages;
static bool mp_readonly;

static bool mp_setup(void)
{
	if (!zero_setup())
		return false;
	mp_pages = mmap(zero_fd, NULL, 16 * P, RW);
	if (!mp_pages)
		return bench_fail("mmap: %s", strerror(errno));
	for (int i = 0; i < 16; i++)
		mp_pages[i * P] = 1; /* populated: the change has real page-table entries to edit */
	mp_readonly = false;
	return true;
}

static bool mp_op(void)
{
	mp_readonly = !mp_readonly;
	void *r = mprotect((void *)mp_pages, 16 * P, mp_readonly ? PROT_READ : RW);
	return r == (void *)mp_pages || bench_fail("mprotect: %s", strerror(errno));
}

static void mp_teardown(void)
{
	munmap((void *)mp_pages, 16 * P);
}

/* ------------------------------------------------------------------ files */

#define BENCH_FILE "/tmp/benchfile"
#define BENCH_4K "/tmp/bench4k"

static bool oc_setup(void)
{
	fd_t fd = open(BENCH_FILE ":c");
	if (fd == ERR)
		return bench_fail("open " BENCH_FILE ":c: %s", strerror(errno));
	close(fd);
	return true;
}

static bool oc_op(void)
{
	fd_t fd = open(BENCH_FILE);
	if (fd == ERR)
		return bench_fail("open: %s", strerror(errno));
	return close(fd) == 0 || bench_fail("close: %s", strerror(errno));
}

static void oc_teardown(void)
{
	remove(BENCH_FILE);
}

static fd_t rd_fd = FD_NONE;
static uint8_t rd_buf[4096];

static bool rd_setup(void)
{
	rd_fd = open(BENCH_4K ":ct");
	if (rd_fd == ERR)
		return bench_fail("open " BENCH_4K ":ct: %s", strerror(errno));
	memset(rd_buf, 'r', sizeof(rd_buf));
	uint64_t n = write(rd_fd, rd_buf, sizeof(rd_buf));
	if (n != sizeof(rd_buf)) {
		close(rd_fd);
		remove(BENCH_4K);
		return bench_fail("write 4096 bytes gave %lld: %s", (long long)n, strerror(errno));
	}
	return true;
}

static bool rd_op(void)
{
	if (seek(rd_fd, 0, SEEK_SET) != 0)
		return bench_fail("seek: %s", strerror(errno));
	uint64_t n = read(rd_fd, rd_buf, sizeof(rd_buf));
	return n == sizeof(rd_buf) || bench_fail("read gave %lld: %s", (long long)n, strerror(errno));
}

static void rd_teardown(void)
{
	close(rd_fd);
	remove(BENCH_4K);
}

/* ------------------------------------------------------------------ pipe ping-pong */

/*
 * Two processes, two pipes: this one writes a byte into to_partner, the
 * partner ("bench pong ...", this program again) echoes it back through
 * from_partner. Same method as the file layer's original benchmark.
 */
static fd_t to_partner[2] = { FD_NONE, FD_NONE }, from_partner[2] = { FD_NONE, FD_NONE };
static pid_t partner = ERR;
static const char *self = "/bin/bench";

/* bench pong <in> <out> <close> <close>: echo bytes from in to out until end of stream. */
static int pong(char **argv)
{
	fd_t in = tu_parse_u64(argv[2]), out = tu_parse_u64(argv[3]);
	/* Inherited ends this process must not hold, or the parent's close would not end the stream. */
	close(tu_parse_u64(argv[4]));
	close(tu_parse_u64(argv[5]));
	char c;
	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			return 1;
	return 0;
}

static void close_pipes(void)
{
	for (int i = 0; i < 2; i++) {
		if (to_partner[i] != FD_NONE)
			close(to_partner[i]);
		if (from_partner[i] != FD_NONE)
			close(from_partner[i]);
		to_partner[i] = from_partner[i] = FD_NONE;
	}
}

static bool pipe_setup(void)
{
	if (open2("/dev/pipe/new", to_partner) == ERR || open2("/dev/pipe/new", from_partner) == ERR) {
		bench_fail("open2 /dev/pipe/new: %s", strerror(errno));
		close_pipes();
		return false;
	}
	char in[24], out[24], c1[24], c2[24];
	snprintf(in, sizeof(in), "%llu", (unsigned long long)to_partner[PIPE_READ]);
	snprintf(out, sizeof(out), "%llu", (unsigned long long)from_partner[PIPE_WRITE]);
	snprintf(c1, sizeof(c1), "%llu", (unsigned long long)to_partner[PIPE_WRITE]);
	snprintf(c2, sizeof(c2), "%llu", (unsigned long long)from_partner[PIPE_READ]);
	const char *argv[] = { self, "pong", in, out, c1, c2, NULL };
	partner = spawn(argv, 0);
	if (partner == ERR) {
		bench_fail("spawn %s pong: %s", self, strerror(errno));
		close_pipes();
		return false;
	}
	/* Our copies of the partner's ends go, so that its exit shows as end of stream. */
	close(to_partner[PIPE_READ]);
	close(from_partner[PIPE_WRITE]);
	to_partner[PIPE_READ] = from_partner[PIPE_WRITE] = FD_NONE;
	/* One bounded round trip first: a partner that never answers is a skip, not a hang. */
	char c = 'x';
	if (write(to_partner[PIPE_WRITE], &c, 1) != 1)
		return bench_fail("write: %s", strerror(errno));
	struct abi_pollfd pfd = { .fd = from_partner[PIPE_READ], .events = POLLIN, .revents = 0 };
	if (poll(&pfd, 1, 5 * TU_SEC) == 0)
		return bench_fail("no echo within 5 s");
	if (read(from_partner[PIPE_READ], &c, 1) != 1)
		return bench_fail("read: %s", strerror(errno));
	return true;
}

static bool pipe_op(void)
{
	char c = 'p';
	if (write(to_partner[PIPE_WRITE], &c, 1) != 1)
		return bench_fail("write: %s", strerror(errno));
	return read(from_partner[PIPE_READ], &c, 1) == 1 || bench_fail("read: %s", strerror(errno));
}

static void pipe_teardown(void)
{
	/* End of stream on the partner's input ends it. */
	close_pipes();
	if (partner != ERR) {
		int status;
		if (tu_wait(partner, 5 * TU_SEC, &status) != 0)
			printf("# pipe partner %llu did not end cleanly\n", (unsigned long long)partner);
	}
	partner = ERR;
}

/*
 * Local sockets (/net/local, kernel/abi/net_local.h): a 1-byte message to a
 * partner process that echoes it, over a connection it made to our
 * listener, the way PatchworkOS's dwm and its clients talk.
 */
static fd_t sock_conn = FD_NONE; /* ERR and FD_NONE are the same value */

/* The id of a new socket (/net/local/seqpacket read to its end), or false. */
static bool sock_new_id(char id[32])
{
	fd_t fd = open("/net/local/seqpacket");
	if (fd == ERR)
		return false;
	uint64_t n = read(fd, id, 31);
	close(fd);
	if (n == ERR || n == 0)
		return false;
	id[n] = '\0';
	return true;
}

static bool sock_ctl(const char *id, const char *cmd)
{
	char path[64];
	snprintf(path, sizeof(path), "/net/local/%s/ctl", id);
	fd_t fd = open(path);
	if (fd == ERR)
		return false;
	bool ok = write(fd, cmd, strlen(cmd)) == strlen(cmd);
	close(fd);
	return ok;
}

/* bench sockpong <name>: connect to <name> and echo its messages until end of file. */
static int sockpong(char **argv)
{
	char id[32], cmd[64], path[64];
	snprintf(cmd, sizeof(cmd), "connect %s", argv[2]);
	if (!sock_new_id(id) || !sock_ctl(id, cmd))
		return 1;
	snprintf(path, sizeof(path), "/net/local/%s/data", id);
	fd_t fd = open(path);
	char c;
	while (fd != ERR && read(fd, &c, 1) == 1)
		if (write(fd, &c, 1) != 1)
			return 1;
	return 0;
}

static bool sock_setup(void)
{
	char id[32], name[32], cmd[64], path[64];
	snprintf(name, sizeof(name), "bench%llu", (unsigned long long)getpid());
	snprintf(cmd, sizeof(cmd), "bind %s && listen", name);
	if (!sock_new_id(id) || !sock_ctl(id, cmd))
		return bench_fail("a listening socket: %s", strerror(errno));
	const char *argv[] = { self, "sockpong", name, NULL };
	partner = spawn(argv, SPAWN_STDIO_FDS);
	if (partner == ERR)
		return bench_fail("spawn %s sockpong: %s", self, strerror(errno));
	/* Wait for the connection on the listener's data (POLLIN), bounded: a partner that fails is a skip. */
	snprintf(path, sizeof(path), "/net/local/%s/data", id);
	fd_t listener = open(path);
	struct abi_pollfd pfd = { .fd = listener, .events = POLLIN, .revents = 0 };
	bool waiting = listener != ERR && poll(&pfd, 1, 5 * TU_SEC) == 1;
	if (listener != ERR)
		close(listener);
	if (!waiting)
		return bench_fail("no connection within 5 s");
	/* A connection waits, so this open does not block; the connection it gives blocks, as a pipe does. */
	snprintf(path, sizeof(path), "/net/local/%s/accept", id);
	sock_conn = open(path);
	if (sock_conn == ERR)
		return bench_fail("accept: %s", strerror(errno));
	char c = 'x';
	if (write(sock_conn, &c, 1) != 1)
		return bench_fail("write: %s", strerror(errno));
	pfd = (struct abi_pollfd){ .fd = sock_conn, .events = POLLIN, .revents = 0 };
	if (poll(&pfd, 1, 5 * TU_SEC) != 1 || read(sock_conn, &c, 1) != 1)
		return bench_fail("no echo within 5 s");
	return true;
}

static bool sock_op(void)
{
	char c = 's';
	if (write(sock_conn, &c, 1) != 1)
		return bench_fail("write: %s", strerror(errno));
	return read(sock_conn, &c, 1) == 1 || bench_fail("read: %s", strerror(errno));
}

static void sock_teardown(void)
{
	/* The connection goes with its file: the partner reads end of file and ends. */
	if (sock_conn != FD_NONE)
		close(sock_conn);
	sock_conn = FD_NONE;
	if (partner != ERR) {
		int status;
		if (tu_wait(partner, 5 * TU_SEC, &status) != 0)
			printf("# socket partner %llu did not end cleanly\n", (unsigned long long)partner);
	}
	partner = ERR;
}

/* ------------------------------------------------------------------ driver */

static const struct bench benches[] = {
	{ "null_syscall_getpid", NULL, op_getpid, NULL, 0, 0 },
	{ "sched_yield", NULL, op_yield, NULL, 0, 0 },
	{ "futex_pingpong_roundtrip", pp_setup, pp_op, pp_teardown, 0, 0 },
	/* Capped: tids are never reused, and each thread leaves at least its stack region behind. */
	{ "thread_create_join", NULL, tc_op, NULL, 2000, 0 },
	{ "spawn_exit_wait", NULL, spawn_wait_op, NULL, 3000, 0 },
	{ "spawn_exit_wait_bare", NULL, spawn_wait_bare_op, NULL, 3000, 0 },
	{ "mmap_populate_munmap_1p", zero_setup, op_map_1, NULL, 0, 0 },
	{ "mmap_populate_munmap_16p", zero_setup, op_map_16, NULL, 0, 0 },
	{ "mmap_populate_munmap_256p", zero_setup, op_map_256, NULL, 0, 0 },
	{ "mmap_populate_munmap_1024p", zero_setup, op_map_1024, NULL, 0, 0 },
	{ "mmap_populate_munmap_4096p", zero_setup, op_map_4096, NULL, 0, 0 },
	{ "mprotect_16p", mp_setup, mp_op, mp_teardown, 0, 0 },
	{ "open_close_ramfs", oc_setup, oc_op, oc_teardown, 0, 0 },
	{ "read_4k_ramfs", rd_setup, rd_op, rd_teardown, 0, 0 },
	{ "pipe_pingpong_roundtrip", pipe_setup, pipe_op, pipe_teardown, 0, 0 },
	{ "socket_pingpong_roundtrip", sock_setup, sock_op, sock_teardown, 0, 0 },
	{ "share_claim_roundtrip", sc_setup, sc_op, sc_teardown, 0, 0 },
	{ "spawn_suspend_start_wait", NULL, spawn_suspend_op, NULL, 3000, 0 },
};

static void run(const struct bench *b)
{
	static uint64_t samples[MAX_SAMPLES]; /* ns per call of each sample batch */
	reason_clear();
	atomic_store(&current_name, b->name);
	atomic_store(&current_start, uptime() | 1);
	if (b->setup && !b->setup()) {
		printf("# skipped %s: %s\n", b->name, reason);
		atomic_store(&current_start, 0);
		return;
	}
	bool ok = b->op(); /* warm-up: first-touch costs, and a check that it works at all */
	uint64_t calls = b->calls_per_op ? b->calls_per_op : 1;
	/*
	 * A capped benchmark's batches stay small enough that calibration
	 * (at most twice the cap) and MIN_SAMPLES batches fit in max_ops.
	 */
	uint64_t batch_cap = b->max_ops ? b->max_ops / (2 * MIN_SAMPLES) : 1u << 20;
	if (batch_cap == 0)
		batch_cap = 1;
	uint64_t ops = 0, batch = 1;
	size_t n = 0;
	clock_t t0 = uptime();
	while (ok && (!b->max_ops || ops + batch <= b->max_ops)) {
		clock_t b0 = uptime();
		for (uint64_t i = 0; i < batch && ok; i++)
			ok = b->op();
		clock_t took = uptime() - b0;
		ops += batch;
		if (!ok)
			break;
		/*
		 * A short batch would measure the clock calls around it, not the
		 * operation: it is no sample, and the next one is twice as long.
		 * The batch keeps growing after the first sample, so one batch
		 * that a busy host stretched cannot fix the size too small.
		 */
		bool sample = took >= SAMPLE_TIME / 4 || batch == batch_cap;
		if (sample)
			samples[n++] = (took + batch * calls / 2) / (batch * calls);
		if (took < SAMPLE_TIME / 2 && batch < batch_cap)
			batch = batch * 2 < batch_cap ? batch * 2 : batch_cap;
		if (sample && (n == MAX_SAMPLES || (n >= MIN_SAMPLES && uptime() - t0 >= BENCH_TIME)))
			break;
	}
	if (b->teardown)
		b->teardown();
	atomic_store(&current_start, 0);
	if (ok && n == 0)
		bench_fail("no sample within %llu operations", (unsigned long long)b->max_ops);
	if (!ok || n == 0) {
		printf("# skipped %s: %s\n", b->name, reason);
		return;
	}
	printf("%s ", b->name);
	print_spread(samples, n);
}

/* ------------------------------------------------------------------ scaling */

#define SCALE_ROUNDS 7
#define SCALE_ROUND_TIME (500 * TU_MS)
#define SCALE_SLACK (100 * TU_MS) /* from the spawns to the round's start */
#define SCALE_MAX_PROCS 64

/*
 * Operations that should scale with the CPUs: each worker is a process of
 * its own (as programs on separate CPUs are), which maps, touches and
 * unmaps its own memory or spawns and waits for its own children.
 */
struct scale_work {
	const char *name;
	bool (*setup)(void);
	bool (*op)(void);
};

static const struct scale_work scale_works[] = {
	{ "mmap_populate_munmap_16p", zero_setup, op_map_16 },
	{ "spawn_exit_wait", NULL, spawn_wait_op },
};

/*
 * "bench scale-worker WORK START END": wait for uptime START, run operation
 * WORK until END, exit with the number of operations done (-1 on failure).
 */
static int scale_worker_main(char **argv)
{
	uint64_t i = tu_parse_u64(argv[2]), start = tu_parse_u64(argv[3]), end = tu_parse_u64(argv[4]);
	if (i >= sizeof(scale_works) / sizeof(scale_works[0]))
		return -1;
	const struct scale_work *w = &scale_works[i];
	reason_clear();
	int64_t ops = 0;
	if (w->setup && !w->setup())
		goto fail;
	uint64_t now = uptime();
	if (now < start)
		nanosleep(start - now);
	while (uptime() < end && ops < INT32_MAX) {
		if (!w->op())
			goto fail;
		ops++;
	}
	return (int)ops;
fail:
	/* The status says only that it failed: the reason goes to the shared output first. */
	printf("# scale-worker %llu (%s): failed after %lld operations: %s\n", (unsigned long long)getpid(),
	       w->name, (long long)ops, reason);
	fflush(stdout);
	return -1;
}

/*
 * Idle nanoseconds of each CPU from /dev/perf/cpu into @idle (at most
 * SCALE_MAX_PROCS of them); the CPU count, or 0 if it cannot be read.
 */
static unsigned cpu_idle_ns(uint64_t *idle)
{
	char text[96 * (SCALE_MAX_PROCS + 1)];
	if (tu_slurp("/dev/perf/cpu:r", text, sizeof(text)) < 0)
		return 0;
	unsigned cpus = 0;
	for (char *line = strchr(text, '\n'); line && cpus < SCALE_MAX_PROCS; line = strchr(line, '\n')) {
		line++;
		char *end;
		strtoull(line, &end, 10); /* the CPU's id */
		idle[cpus++] = strtoull(end, NULL, 10);
	}
	return cpus;
}

/* Per-round idle share of each CPU, summed over the rounds of one scale_run. */
static uint64_t scale_idle_permille[SCALE_MAX_PROCS];
static unsigned scale_idle_cpus;

/* One round of @nprocs workers: operations per second of all together, or 0 with bench_fail. */
static uint64_t scale_round(size_t work, unsigned nprocs)
{
	char arg_work[24], arg_start[24], arg_end[24];
	uint64_t start = uptime() + SCALE_SLACK, end = start + SCALE_ROUND_TIME;
	snprintf(arg_work, sizeof(arg_work), "%llu", (unsigned long long)work);
	snprintf(arg_start, sizeof(arg_start), "%llu", (unsigned long long)start);
	snprintf(arg_end, sizeof(arg_end), "%llu", (unsigned long long)end);
	const char *argv[] = { self, "scale-worker", arg_work, arg_start, arg_end, NULL };
	fd_t fds[SCALE_MAX_PROCS];
	pid_t pids[SCALE_MAX_PROCS];
	unsigned started = 0;
	bool ok = true;
	for (; started < nprocs; started++) {
		if ((pids[started] = tu_spawn_watched(argv, 0, &fds[started])) == ERR) {
			ok = bench_fail("spawn of worker %u: %s", started, strerror(errno));
			break;
		}
	}
	/* How idle each CPU is while the workers run: what keeps the ratio below the CPU count. */
	uint64_t idle0[SCALE_MAX_PROCS], idle1[SCALE_MAX_PROCS];
	uint64_t now = uptime();
	if (now < start)
		nanosleep(start - now);
	unsigned cpus = cpu_idle_ns(idle0);
	now = uptime();
	if (now < end)
		nanosleep(end - now);
	if (cpu_idle_ns(idle1) == cpus) {
		scale_idle_cpus = cpus;
		for (unsigned c = 0; c < cpus; c++)
			scale_idle_permille[c] += (idle1[c] - idle0[c]) * 1000 / (end - start);
	}
	uint64_t ops = 0;
	for (unsigned i = 0; i < started; i++) {
		int status = -1;
		if (tu_wait_fd(fds[i], pids[i], end - start + SCALE_SLACK + 10 * TU_SEC, &status) != 0 || status < 0)
			ok = ok && bench_fail("worker %u ended with status %d", i, status);
		else
			ops += (uint64_t)status;
	}
	if (ok && uptime() > end + SCALE_SLACK + 10 * TU_SEC)
		ok = bench_fail("the round overran its end by more than 10 s");
	return ok ? (ops * TU_SEC + SCALE_ROUND_TIME / 2) / SCALE_ROUND_TIME : 0;
}

static void scale_run(size_t work, unsigned nprocs)
{
	const struct scale_work *w = &scale_works[work];
	uint64_t rates[SCALE_ROUNDS];
	size_t n = 0;
	reason_clear();
	memset(scale_idle_permille, 0, sizeof(scale_idle_permille));
	scale_idle_cpus = 0;
	atomic_store(&current_name, w->name);
	atomic_store(&current_start, uptime() | 1);
	while (n < SCALE_ROUNDS && (rates[n] = scale_round(work, nprocs)) != 0)
		n++;
	atomic_store(&current_start, 0);
	if (n < SCALE_ROUNDS) {
		printf("# skipped scale %s threads=%u: %s\n", w->name, nprocs, reason);
		return;
	}
	if (scale_idle_cpus) {
		printf("# scale %s threads=%u idle per CPU:", w->name, nprocs);
		for (unsigned c = 0; c < scale_idle_cpus; c++)
			printf(" %llu.%llu%%", (unsigned long long)(scale_idle_permille[c] / n / 10),
			       (unsigned long long)(scale_idle_permille[c] / n % 10));
		printf("\n");
	}
	printf("scale %s threads=%u ops_per_s=", w->name, nprocs);
	print_spread(rates, n);
}

/* bench scale N...: the scaling run once per worker count. */
static int scale_main(int argc, char **argv)
{
	printf("# bench scale: operations per second of all workers, %d rounds of %llu ms\n", SCALE_ROUNDS,
	       (unsigned long long)(SCALE_ROUND_TIME / TU_MS));
	for (int a = 2; a < argc; a++) {
		uint64_t nprocs = tu_parse_u64(argv[a]);
		if (nprocs < 1 || nprocs > SCALE_MAX_PROCS) {
			printf("# scale: worker count \"%s\" is not in 1..%d\n", argv[a], SCALE_MAX_PROCS);
			return 2;
		}
		for (size_t i = 0; i < sizeof(scale_works) / sizeof(scale_works[0]); i++)
			scale_run(i, (unsigned)nprocs);
	}
	fflush(stdout);
	return 0;
}

/*
 * "count N name... [N name...]": each named benchmark's operation exactly N times after
 * its warm-up, between "# count start <name>" and "# count end <name> <ns>"
 * lines. A fixed amount of work, for a host-side measure that the host's
 * load does not enter (the emulator's instructions between the two lines);
 * no watchdog limit applies.
 */
static int count_main(int argc, char **argv)
{
	uint64_t n = 0;
	for (int a = 2; a < argc; a++) {
		if (argv[a][0] >= '0' && argv[a][0] <= '9') {
			n = tu_parse_u64(argv[a]); /* for the names after it */
			continue;
		}
		for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
			const struct bench *b = &benches[i];
			if (strcmp(argv[a], b->name) != 0)
				continue;
			reason_clear();
			bool ok = (!b->setup || b->setup()) && b->op();
			printf("# count start %s\n", b->name);
			fflush(stdout);
			uint64_t t0 = uptime();
			for (uint64_t k = 0; k < n && ok; k++)
				ok = b->op();
			uint64_t t1 = uptime();
			printf(ok ? "# count end %s %llu\n" : "# count failed %s %llu\n", b->name,
			       (unsigned long long)(n ? (t1 - t0) / n : 0));
			fflush(stdout);
			if (b->teardown)
				b->teardown();
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct tu_thread dog;
	if (argc > 0 && argv[0] && argv[0][0] == '/')
		self = argv[0];
	if (argc >= 6 && strcmp(argv[1], "pong") == 0)
		return pong(argv);
	if (argc >= 3 && strcmp(argv[1], "sockpong") == 0)
		return sockpong(argv);
	if (argc >= 5 && strcmp(argv[1], "scale-worker") == 0)
		return scale_worker_main(argv);
	if (!tu_thread_start(&dog, watchdog, NULL))
		printf("# no watchdog thread (%s): a stuck benchmark will hang\n", strerror(errno));
	if (argc >= 2 && strcmp(argv[1], "scale") == 0)
		return scale_main(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "count") == 0)
		return count_main(argc, argv);
	printf("# bench: median ns per operation of batches over ~%llu ms each (at least %d batches)\n",
	       (unsigned long long)(BENCH_TIME / TU_MS), MIN_SAMPLES);
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		bool wanted = argc < 2;
		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], benches[i].name) == 0;
		if (wanted)
			run(&benches[i]);
	}
	fflush(stdout);
	return 0;
}
