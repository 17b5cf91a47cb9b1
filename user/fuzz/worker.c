// SPDX-License-Identifier: MIT
// The fuzzing worker: several threads, each making random system calls with
// arguments drawn from pools (spec numbers, §4 pointer rules, §5 paths).
//
// A worker is a disposable process. Whatever it does to itself is allowed
// (exit, kill notes, closing every descriptor, unmapping its own test memory),
// but it must not harm anything outside it, so a few calls are steered:
//   * paths that may change the file system (create, truncate, write, remove,
//     link) name only the worker's sandbox /tmp/fuzz/<slot>, its own /proc
//     entries or device files (LINK's old name: the sandbox only); every other path is opened with read permission only (no `w`,
//     `c`, `t`), and relative paths always are (the working directory may be
//     anywhere). A read-only open file cannot be written, and a binding made
//     from it is read-only (spec §7 number 32), so no alias can reach /bin.
//   * `bind` never propagates to the parent namespace (that is the
//     supervisor's, the runner's and init's): MOUNT_PROPAGATE_PARENT is only
//     passed together with an unknown bit, which fails with EINVAL first.
//   * memory calls with an address (fixed mmap, munmap, mprotect) stay inside
//     the worker's arena or a mapping the kernel placed for the fuzzer, or use
//     an address outside user space; the worker's own image, stacks, rings and
//     scratch buffers are never unmapped or re-protected.
//   * output buffers are scratch mappings followed by an unmapped page, so a
//     large count can only run into the hole (EFAULT), never into the
//     worker's state; the worker itself never reads fuzzed memory.
//   * PROCESS_EXIT uses FUZZ_EXIT_STATUS (with garbage upper bits, which the
//     kernel must ignore), and an unmapped THREAD_CREATE entry first tells the
//     supervisor that status 14 is now expected.
//   * processes are spawned only from a fixed list of harmless programs
//     (or names that do not load), at most FUZZ_MAX_CHILDREN per worker;
//     their pids go to the shared slot so the supervisor can kill them.
// Blocking calls mostly get short timeouts; the rare unbounded ones leave a
// thread stuck until the worker's lifetime ends (which tests exit during a
// blocking call).
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernel/abi/path_flags.h"
#include "user/fuzz/fuzz.h"

#define ARENA_PAGES 128
#define SCRATCH_PAGES 16
/* Mappings the kernel places for us are recorded only below this, far from the thread stacks. */
#define RECORD_LIMIT (USER_MAX - (64ull << 30))

/* ------------------------------------------------------------------ worker state */

struct fthread {
	int idx;
	uint64_t rng;
	struct fuzz_thread_ring *ring;
	uint8_t *scratch;          /* SCRATCH_PAGES RW pages, then a hole; keys in the first 256 bytes */
	char path[2][320];         /* paths the kernel reads */
	char strs[8][300];         /* argv strings */
	const char *argv[600];
	struct abi_pollfd pfd[72];
	char wbuf[512];            /* data for write() */
	unsigned flag_pct;         /* how often gen_path appends flags */
	bool inspect_only;         /* the call only looks (stat): no read-only restriction */
};

static struct fuzz_slot *slot_shm;
static bool alone;                /* started without a supervisor (a replay) */
static int slot_index;
static uint64_t deadline_ns;
static int max_threads;
static uint8_t *arena;            /* ARENA_PAGES of chaos: fixed mmap, munmap, mprotect land here */
static uint8_t *ro_page;          /* a private read-only page */
static uint8_t *scratch_base;     /* per-thread scratch regions */
static uint8_t *unterminated;     /* a read-only page of '*' with a hole after it */
static pid_t my_pid;
static pid_t sup_pid;
static struct fthread threads[FUZZ_MAX_THREADS];
static _Atomic(uint64_t) thread_busy[FUZZ_MAX_THREADS];
static _Atomic(uint64_t) live_threads;

#define NFDS 48
static _Atomic(uint64_t) fds[NFDS];   /* descriptors we have seen opened (maybe closed since) */
static _Atomic(uint64_t) nfds_seen;
#define NMAPS 32
static _Atomic(uint64_t) map_addr[NMAPS], map_len[NMAPS]; /* kernel-placed fuzz mappings */
static _Atomic(uint64_t) nmaps_seen;
static uint64_t mappable[4] = { FD_NONE, FD_NONE, FD_NONE, FD_NONE }; /* zero, one, shmem, zero:r */

static void note_fd(uint64_t fd)
{
	if (fd < 64)
		atomic_store(&fds[atomic_fetch_add(&nfds_seen, 1) % NFDS], fd);
}

/*
 * Remember a mapping the kernel placed for a fuzzed mmap. Only its first
 * page is sure to be ours: a second mmap of a shared-memory object is
 * clamped to what remains of it (spec §7 number 19), and the kernel may
 * have put the mapping in a one-page hole right below a scratch region.
 */
static void note_mapping(uint64_t addr, uint64_t len)
{
	len = len < PAGE_SIZE ? len : PAGE_SIZE;
	if (!addr || addr + len < addr || addr + len > RECORD_LIMIT)
		return;
	uint64_t i = atomic_fetch_add(&nmaps_seen, 1) % NMAPS;
	atomic_store(&map_len[i], 0);
	atomic_store(&map_addr[i], addr);
	atomic_store(&map_len[i], len);
}

/* ------------------------------------------------------------------ pools */

static uint64_t rnd(struct fthread *t) { return fuzz_rand(&t->rng); }
static uint64_t below(struct fthread *t, uint64_t n) { return fuzz_below(&t->rng, n); }
static bool chance(struct fthread *t, unsigned percent) { return below(t, 100) < percent; }

/* Integers for any argument; some may be mapped user addresses (pointers: gen_int_not_user). */
static const uint64_t interesting[] = {
	0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 65, 0xFF, 0x100, 0x101, 0xFFF, 0x1000, 0xFFFF, 0x3FFFFF,
	0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000ull, 0x100000003ull, 0x100000009ull,
	0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFEull,
	0xFFFFFFFFFFFFF000ull, 0x00007FFFFFFFF000ull, 0x0000800000000000ull, 0xFFFF800000000000ull,
	0xFFFFFFFF80000000ull, 0xFFFFFFFFFFFFFF00ull, 0x8000000000001000ull,
};
#define NINTERESTING (sizeof(interesting) / sizeof(interesting[0]))

static uint64_t gen_int(struct fthread *t)
{
	return interesting[below(t, NINTERESTING)];
}

/* gen_int, but a value inside user space is made non-canonical: never memory of ours (EFAULT). */
static uint64_t gen_int_not_user(struct fthread *t)
{
	uint64_t v = gen_int(t);
	return v >= USER_MIN && v < USER_MAX ? v | 0x8000000000000000ull : v;
}

static uint64_t gen_count(struct fthread *t)
{
	static const uint64_t counts[] = { 0, 1, 2, 7, 8, 15, 16, 17, 63, 64, 167, 168, 169, 271, 272, 273,
					   544, 1000, 4095, 4096, 4097, 8192, 16384, 65535, 65536 };
	switch (below(t, 10)) {
	case 0:
		return gen_int(t);
	case 1:
		return below(t, 70000);
	default:
		return counts[below(t, sizeof(counts) / sizeof(counts[0]))];
	}
}

static uint64_t gen_fd(struct fthread *t)
{
	unsigned r = (unsigned)below(t, 100);
	if (r < 65) {
		uint64_t n = atomic_load(&nfds_seen);
		return n ? atomic_load(&fds[below(t, n < NFDS ? n : NFDS)]) : below(t, 8);
	}
	if (r < 90)
		return below(t, 64);
	static const uint64_t bad[] = { 64, 65, 1000, FD_NONE, 0x100000000ull, 0x100000003ull, 0x8000000000000000ull };
	return bad[below(t, sizeof(bad) / sizeof(bad[0]))];
}

static uint64_t gen_timeout(struct fthread *t)
{
	static const uint64_t ts[] = { 0, 1, 1000, 100000, 1000000, 2000000, 5000000, 10000000 };
	unsigned r = (unsigned)below(t, 1000);
	if (r < 3)
		return CLOCKS_NEVER; /* the thread may stay blocked until the worker ends */
	if (r < 6)
		return 0x7FFFFFFFFFFFFFFFull; /* saturating deadline arithmetic, same */
	return ts[below(t, sizeof(ts) / sizeof(ts[0]))];
}

/* A pointer to a mapping of ours: an arena page or a kernel-placed fuzz mapping. */
static uint64_t gen_fuzz_memory(struct fthread *t)
{
	uint64_t n = atomic_load(&nmaps_seen);
	if (n && chance(t, 40)) {
		uint64_t i = below(t, n < NMAPS ? n : NMAPS);
		uint64_t a = atomic_load(&map_addr[i]), l = atomic_load(&map_len[i]);
		if (a && l)
			return a + below(t, l);
	}
	return (uint64_t)arena + below(t, ARENA_PAGES * PAGE_SIZE);
}

enum dir { IN, OUT }; /* IN: the kernel reads the buffer; OUT: it writes it */

/*
 * A buffer pointer for a call that will access @count bytes. Valid choices
 * are placed so that even a too-large count only reaches a hole or fuzz
 * memory, never the worker's own state.
 */
static uint64_t gen_ptr(struct fthread *t, enum dir d, uint64_t count)
{
	switch (below(t, 16)) {
	case 0:
		return 0;
	case 1:
		return gen_int(t);
	case 2: /* the last bytes before the hole after the scratch pages */
		return (uint64_t)t->scratch + SCRATCH_PAGES * PAGE_SIZE - 1 - below(t, 64);
	case 3:
		return (uint64_t)ro_page + below(t, PAGE_SIZE);
	case 4:
	case 5:
		return gen_fuzz_memory(t);
	case 6: /* deep in our own, never-touched stack (spec §4.2 rule 6) */
		if (count <= 65536) {
			uint64_t sp = (uint64_t)__builtin_frame_address(0);
			return (sp - 200 * 1024 - below(t, 4096)) & ~7ull;
		}
		return USER_MAX - 8; /* crosses the end of user space */
	case 7:
		return USER_MIN - 1 - below(t, 8);
	default:
		if (d == IN && chance(t, 50))
			return (uint64_t)t->wbuf;
		return (uint64_t)t->scratch + 256 + below(t, 2) * below(t, SCRATCH_PAGES * PAGE_SIZE - 256);
	}
}

/*
 * A bad pointer where a path is expected. Never fuzz memory or a scratch
 * buffer: the kernel wrote those, and a name found there (a directory
 * entry, say) without flags would open with write permission wherever the
 * working directory happens to be.
 * Not the empty path for OPENAT (@empty_ok false): openat(fd, "") opens the
 * descriptor's own object again, with the full permissions of its mount, so
 * a "/bin/true:r" or "/dev/klog:r" descriptor would come back writable.
 */
static uint64_t gen_path_ptr(struct fthread *t, bool empty_ok)
{
	switch (below(t, empty_ok ? 4 : 3)) {
	case 0:
		return 0;
	case 1:
		/*
		 * Never an address in user space: an "interesting" number may be
		 * mapped (a fuzzed mmap of 2 GiB covers 0x7FFFFFFF and 0x80000000),
		 * and what is there is whatever fuzzed reads put there. Its zeroes
		 * are the empty path (a 2-hour run wrote "31" and zeroes, a ctl
		 * command of fill_wbuf, to /dev/klog through OPENAT after 10.7
		 * million calls); a child's /proc cmdline read there is a path too
		 * (REMOVE deleted /bin/true after 300 workers at SMP=4, and a
		 * 2-hour run lost /bin/fuzz itself: every later worker failed to
		 * start).
		 */
		return gen_int_not_user(t);
	case 3:
		return (uint64_t)ro_page + below(t, PAGE_SIZE); /* zeroes: the empty path */
	default:
		return (uint64_t)unterminated + PAGE_SIZE - 1 - below(t, 300); /* EFAULT, ENAMETOOLONG or EINVAL */
	}
}

/* ------------------------------------------------------------------ paths (spec §5.1) */

static const char *const names[] = {
	"a", "b", "c", "d", "f", "dir", "x y", " lead", "trail ", "(p)[q]{r}", "~!@#$%^&?',;=+", "-_.",
	"a.b", "0123456789012345678901234567890",  /* 31 characters: the longest name */
	"01234567890123456789012345678901",        /* 32: ENAMETOOLONG */
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static const char *const short_flags = "rwxnacetdR";
static const char *const long_flags[] = { "read", "write", "execute", "nonblock", "append",
					   "create", "exclusive", "truncate", "directory", "recursive" };

struct pbuf {
	char *s;
	size_t len, cap;
};

static void put(struct pbuf *b, const char *s)
{
	while (*s && b->len + 1 < b->cap)
		b->s[b->len++] = *s++;
	b->s[b->len] = 0;
}

static void putc_(struct pbuf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->s[b->len++] = c;
		b->s[b->len] = 0;
	}
}

/*
 * The flag list. @safe: any flag may appear; otherwise write, create and
 * truncate never do (the open lands outside the sandbox) and read always
 * does. Invalid tokens always contain a character that is not a short flag,
 * so they fail with EBADFLAG (or ENAMETOOLONG) whatever else they hold.
 */
static void gen_flags(struct fthread *t, struct pbuf *b, bool safe, bool want_dir)
{
	unsigned ntok = (unsigned)below(t, 4);
	bool any = false;
	if (!safe || want_dir)
		putc_(b, ':');
	if (!safe) {
		put(b, want_dir ? "dr" : "r");
		any = true;
	} else if (want_dir) {
		put(b, "d");
		any = true;
	}
	for (unsigned i = 0; i < ntok; i++) {
		if (!any)
			putc_(b, ':');
		else
			put(b, chance(t, 20) ? "::" : ":");
		any = true;
		unsigned r = (unsigned)below(t, 20);
		if (r == 0) { /* invalid token */
			static const char *const bad[] = { "zz", "READ", "r!", "q", "rwz", "r w",
							   "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "\x80" };
			put(b, bad[below(t, sizeof(bad) / sizeof(bad[0]))]);
		} else if (r == 1) { /* 32+ characters of read flags: too long */
			put(b, "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr");
		} else if (r < 8) {
			const char *f;
			do
				f = long_flags[below(t, 10)];
			while (!safe && (!strcmp(f, "write") || !strcmp(f, "create") || !strcmp(f, "truncate")));
			put(b, f);
		} else {
			unsigned n = 1 + (unsigned)below(t, 4);
			for (unsigned k = 0; k < n; k++) {
				char c;
				do
					c = short_flags[below(t, 10)];
				while (!safe && (c == 'w' || c == 'c' || c == 't'));
				putc_(b, c);
			}
		}
	}
	if (chance(t, 5))
		putc_(b, ':');
}

/* Names below the sandbox, never going above it: ".." only right after a name. */
static void gen_sandbox_tail(struct fthread *t, struct pbuf *b)
{
	if (chance(t, 40)) { /* a few names, so that links and removals find what opens created */
		static const char *const few[] = { "/a", "/b", "/f", "/dir", "/dir/a" };
		put(b, few[below(t, 5)]);
		return;
	}
	unsigned depth = (unsigned)below(t, 4);
	for (unsigned i = 0; i < depth; i++) {
		put(b, chance(t, 10) ? "//" : "/");
		put(b, names[below(t, NNAMES)]);
		if (chance(t, 8))
			put(b, chance(t, 50) ? "/." : "/x/..");
	}
	if (chance(t, 5))
		putc_(b, '/');
}

static pid_t gen_child_pid(struct fthread *t)
{
	uint64_t n = atomic_load(&slot_shm->nchildren);
	if (!n)
		return my_pid;
	return atomic_load(&slot_shm->children[below(t, n < FUZZ_MAX_CHILDREN ? n : FUZZ_MAX_CHILDREN)]);
}

enum pmode { PM_ANY, PM_MUTATE, PM_SANDBOX };

/*
 * A path for @mode: PM_SANDBOX gives only sandbox paths, PM_MUTATE sandbox,
 * own-/proc and device paths, both with any flags; PM_ANY may name anything,
 * read-only outside those places.
 */
static const char *gen_path(struct fthread *t, int which, enum pmode mode);

/*
 * Where BIND may mount: never at or below the sandbox. Spec §7 number 29 lets
 * LINK give a file reached through a read-only binding a second name in a
 * writable directory, so a read-only binding of /bin inside the sandbox would
 * let a worker link /bin/fuzz there and write it (seen after 2,394 workers of
 * a 30 min run). Relative paths (the working directory may be the sandbox)
 * and any path naming tmp go to /dev instead. LINK's old name comes from the
 * sandbox only (PM_SANDBOX): a read-only /bin/fuzz bound onto /dev/null, a
 * PM_MUTATE path, was linked into the sandbox and written after 8,060
 * workers of a 2-hour run.
 */
static const char *bind_target(const char *p)
{
	return p[0] == '/' && !strstr(p, "tmp") ? p : "/dev";
}

static const char *gen_path(struct fthread *t, int which, enum pmode mode)
{
	struct pbuf b = { t->path[which], 0, sizeof(t->path[which]) };
	b.s[0] = 0;
	unsigned r = (unsigned)below(t, 100);
	if (mode == PM_ANY && r < 4) { /* garbage: an invalid first byte, then anything */
		static const char firsts[] = { '*', '"', '\\', '<', '|', '`', '\t', 1, (char)0x80, (char)0xFF };
		b.s[0] = firsts[below(t, sizeof(firsts))];
		size_t n = 1 + below(t, 300);
		for (size_t i = 1; i < n && i < b.cap - 1; i++)
			b.s[i] = (char)(1 + below(t, 255));
		b.s[n < b.cap - 1 ? n : b.cap - 1] = 0;
		return b.s;
	}
	if (mode == PM_ANY && r < 6) { /* too long, in every way */
		put(&b, "/tmp");
		while (b.len < 250 + below(t, 20))
			put(&b, chance(t, 50) ? "/." : "//");
		return b.s;
	}
	bool safe = true, dir = chance(t, 25);
	if (r < 45 || mode != PM_ANY) {
		char pre[48];
		unsigned k = mode == PM_SANDBOX ? 0 : (unsigned)below(t, 10);
		if (k < 7) {
			snprintf(pre, sizeof(pre), "/tmp/fuzz/%d", slot_index);
			put(&b, pre);
			gen_sandbox_tail(t, &b);
		} else if (k < 9) {
			static const char *const own[] = { "env/A", "env/B", "env/X Y", "env", "ctl", "note", "cwd",
							   "prio", "wait", "cmdline", "perf", "env/a/b" };
			pid_t pid = k == 7 ? my_pid : gen_child_pid(t);
			if (chance(t, 30))
				snprintf(pre, sizeof(pre), "/proc/self/%s", own[below(t, 12)]);
			else
				snprintf(pre, sizeof(pre), "/proc/%llu/%s", (unsigned long long)pid, own[below(t, 12)]);
			put(&b, pre);
		} else {
			/* Not /dev/fb/0/buffer: a mapping takes the screen from the kernel log, which says so. */
			static const char *const devs[] = { "/dev/null", "/dev/zero", "/dev/one", "/dev/pipe/new",
							    "/dev/shmem/new", "/dev/pipe", "/dev", "/proc/self",
							    "/dev/kbd/0/events", "/dev/mouse/0/events", "/dev/fb/0/info",
							    "/dev/perf/cpu", "/net/local/seqpacket", "/net/local",
							    "/net/local/0/ctl", "/net/local/1/data", "/net/local/2/accept",
							    "/net/local/3/ctl" };
			put(&b, devs[below(t, sizeof(devs) / sizeof(devs[0]))]);
		}
	} else {
		safe = false;
		static const char *const ro[] = {
			"/", "/bin", "/bin/true", "/bin/fuzz", "/bin/tests", "/tests/garbage.bin", "/dev/klog",
			"/dev/console", "/proc", "/tmp", "/tmp/fuzz", "/proc/1/wait", "/proc/0/ctl", "/proc/1/cmdline",
			"/dev/..", "/proc/..", "/bin/../dev/null", "", ".", "..", "bin", "a", "dev/zero",
			"../../..", "/nonexistent/x", "/bin/true/x", "/proc/99999999/wait", "/proc/abc",
		};
		put(&b, ro[below(t, sizeof(ro) / sizeof(ro[0]))]);
		if (r < 55) {
			char pre[64];
			static const char *const pf[] = { "wait", "cmdline", "perf", "prio", "ctl", "note", "env", "cwd" };
			snprintf(pre, sizeof(pre), "/proc/%llu/%s", (unsigned long long)sup_pid, pf[below(t, 8)]);
			b.len = 0;
			put(&b, pre);
		}
	}
	if (t->inspect_only)
		safe = true;
	if (chance(t, t->flag_pct))
		gen_flags(t, &b, safe, dir);
	else if (!safe)
		gen_flags(t, &b, false, dir);
	return b.s;
}

/* ------------------------------------------------------------------ argument builders */

static void fill_wbuf(struct fthread *t)
{
	static const char *const cmds[] = {
		"kill", "start", "close 3", "close 0 -1", "close 5 9", "dup2 3 4", "dup2 0 63", "dup2 1 64",
		"close", "frob", "start && kill", "dup2 \"3\" 4 && close 4", "", "1", "31", "32", "-1", "0\n",
		"/tmp", "/tmp/fuzz", "/nonexistent", "/bin/true", "\\", "\"unterminated",
		"bind fz", "listen", "listen 1", "connect fz", "bind fz && listen", "connect nobody",
	};
	if (chance(t, 50)) {
		const char *c = cmds[below(t, sizeof(cmds) / sizeof(cmds[0]))];
		size_t n = strlen(c);
		memcpy(t->wbuf, c, n);
		memset(t->wbuf + n, 0, sizeof(t->wbuf) - n);
	} else {
		for (size_t i = 0; i < sizeof(t->wbuf); i++)
			t->wbuf[i] = (char)rnd(t);
	}
}

/* Programs a worker may start: harmless, short or killable, never a shell or init. */
static const char *const progs[] = {
	"/bin/true", "/bin/false", "/bin/tests/exit_with", "/bin/tests/fault_null", "/bin/fuzz",
	"/bin/fuzz", "/tests/garbage.bin", "/bin", "/nonexistent", "/bin/true:rx", "/bin/true:zz",
	"/tmp/fuzz/0/a",
};

static uint64_t gen_argv(struct fthread *t)
{
	unsigned r = (unsigned)below(t, 20);
	if (r == 0)
		return 0;
	if (r == 1)
		return gen_int_not_user(t); /* an argv array found in fuzzed memory could name any program */
	if (r == 2)
		return (uint64_t)t->scratch + SCRATCH_PAGES * PAGE_SIZE - 8; /* runs into the hole */
	unsigned n = 0;
	const char *p = progs[below(t, sizeof(progs) / sizeof(progs[0]))];
	if (!strcmp(p, "/tmp/fuzz/0/a")) {
		snprintf(t->strs[0], sizeof(t->strs[0]), "/tmp/fuzz/%d/a", slot_index);
		p = t->strs[0];
	}
	t->argv[n++] = p;
	if (!strcmp(p, "/bin/fuzz")) {
		static const char *const modes[] = { "pipe", "futex", "sleep", "poll", "wait", "spin", "exit" };
		t->argv[n++] = "--victim";
		t->argv[n++] = modes[below(t, 7)];
	} else if (!strcmp(p, "/bin/tests/exit_with")) {
		t->argv[n++] = chance(t, 50) ? "3" : "-7";
	}
	switch (below(t, 8)) {
	case 0: /* an empty argv */
		n = 0;
		break;
	case 1: /* a too-long argument */
		memset(t->strs[1], 'A', 299);
		t->strs[1][256 + below(t, 2) - 1] = 0;
		t->argv[n++] = t->strs[1];
		break;
	case 2: /* too many arguments (511 are allowed) */
		while (n < 510 + below(t, 4))
			t->argv[n++] = "x";
		break;
	case 3: /* a bad string pointer */
		t->argv[n++] = (const char *)gen_int(t);
		break;
	}
	t->argv[n] = NULL;
	return (uint64_t)t->argv;
}

static uint64_t gen_pollfds(struct fthread *t, uint64_t *amount)
{
	static const uint64_t amounts[] = { 0, 1, 1, 2, 3, 5, 8, 63, 64, 65, 1000, UINT64_MAX };
	*amount = amounts[below(t, sizeof(amounts) / sizeof(amounts[0]))];
	for (int i = 0; i < 72; i++) {
		t->pfd[i].fd = gen_fd(t);
		t->pfd[i].events = chance(t, 80) ? (uint32_t)below(t, 32) : (uint32_t)rnd(t);
		t->pfd[i].revents = (uint32_t)rnd(t);
	}
	if (chance(t, 80))
		return (uint64_t)t->pfd;
	return gen_ptr(t, OUT, *amount * 16);
}

/* An address range for munmap/mprotect/fixed mmap: inside our fuzz memory, or outside user space. */
static void gen_range(struct fthread *t, uint64_t *addr, uint64_t *len)
{
	unsigned r = (unsigned)below(t, 10);
	if (r < 2) {
		*addr = gen_int(t);
		*len = chance(t, 50) ? gen_int(t) : PAGE_SIZE * below(t, 4);
		/* never a user range: those could hit the worker's own memory */
		if (*addr >= USER_MIN && *addr < USER_MAX)
			*addr = 0;
		return;
	}
	uint64_t n = atomic_load(&nmaps_seen);
	if (n && r < 5) {
		uint64_t i = below(t, n < NMAPS ? n : NMAPS);
		uint64_t a = atomic_load(&map_addr[i]), l = atomic_load(&map_len[i]);
		if (a && l && l < (1ull << 40)) {
			uint64_t lp = (l + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
			uint64_t off = below(t, lp / PAGE_SIZE) * PAGE_SIZE;
			*addr = a + off + (chance(t, 10) ? below(t, PAGE_SIZE) : 0);
			*len = 1 + below(t, lp - off - (*addr - a - off));
			return;
		}
	}
	uint64_t off = below(t, ARENA_PAGES) * PAGE_SIZE;
	*addr = (uint64_t)arena + off + (chance(t, 10) ? below(t, PAGE_SIZE) : 0);
	uint64_t room = (uint64_t)arena + ARENA_PAGES * PAGE_SIZE - *addr;
	*len = chance(t, 10) ? 0 : 1 + below(t, room < 16 * PAGE_SIZE ? room : 16 * PAGE_SIZE);
}

static uint64_t gen_prot(struct fthread *t)
{
	static const uint64_t prots[] = { 1, 3, 1, 3, 0, 2, 4, 5, 7, 8, 0x100000003ull, 0xFFFFFFFF };
	return prots[below(t, sizeof(prots) / sizeof(prots[0]))];
}

/* ------------------------------------------------------------------ one call */

/* Relative weights of the 34 calls (cheap, rich ones more often; spawn rarely). */
static const uint8_t weight[SYS_TOTAL_AMOUNT] = {
	[SYS_PROCESS_EXIT] = 1, [SYS_THREAD_EXIT] = 2, [SYS_SPAWN] = 2,  [SYS_NANOSLEEP] = 4,
	[SYS_ERRNO] = 2,        [SYS_GETPID] = 2,      [SYS_GETTID] = 2,  [SYS_UPTIME] = 2,
	[SYS_UNIX_EPOCH] = 3,   [SYS_OPEN] = 30,       [SYS_OPEN2] = 12,  [SYS_CLOSE] = 20,
	[SYS_READ] = 25,        [SYS_WRITE] = 25,      [SYS_SEEK] = 10,   [SYS_IOCTL] = 4,
	[SYS_CHDIR] = 5,        [SYS_POLL] = 10,       [SYS_STAT] = 15,   [SYS_MMAP] = 15,
	[SYS_MUNMAP] = 10,      [SYS_MPROTECT] = 10,   [SYS_GETDENTS] = 10, [SYS_THREAD_CREATE] = 4,
	[SYS_YIELD] = 2,        [SYS_DUP] = 8,         [SYS_DUP2] = 8,    [SYS_FUTEX] = 10,
	[SYS_REMOVE] = 12,      [SYS_LINK] = 8,        [SYS_SHARE] = 8,   [SYS_CLAIM] = 8,
	[SYS_BIND] = 8,         [SYS_OPENAT] = 12,
};
static unsigned weight_total;

extern void fuzz_thread_entry(void);

static uint64_t pick_nr(struct fthread *t)
{
	unsigned r = (unsigned)below(t, 1000);
	if (r < 15) { /* beyond the table, including numbers whose low 32 bits are valid */
		static const uint64_t bad[] = { 34, 35, 63, 64, 255, 1000, 0x100000000ull, 0x100000009ull,
						0x8000000000000005ull, UINT64_MAX, UINT64_MAX - 33 };
		return chance(t, 80) ? bad[below(t, sizeof(bad) / sizeof(bad[0]))] : 34 + below(t, UINT64_MAX - 34);
	}
	unsigned w = (unsigned)below(t, weight_total);
	for (uint64_t nr = 0; nr < SYS_TOTAL_AMOUNT; nr++) {
		if (w < weight[nr])
			return nr;
		w -= weight[nr];
	}
	return SYS_YIELD;
}

/* Which arguments of each call are user pointers (bit i: argument i + 1). */
static const uint8_t ptr_args[SYS_TOTAL_AMOUNT] = {
	[SYS_SPAWN] = 1, [SYS_UNIX_EPOCH] = 1, [SYS_OPEN] = 1, [SYS_OPEN2] = 3, [SYS_READ] = 2,
	[SYS_WRITE] = 2, [SYS_IOCTL] = 4, [SYS_CHDIR] = 1, [SYS_POLL] = 1, [SYS_STAT] = 3,
	[SYS_MMAP] = 2, [SYS_MUNMAP] = 1, [SYS_MPROTECT] = 1, [SYS_GETDENTS] = 2, [SYS_THREAD_CREATE] = 1,
	[SYS_FUTEX] = 1, [SYS_REMOVE] = 1, [SYS_LINK] = 3, [SYS_SHARE] = 1, [SYS_CLAIM] = 1,
	[SYS_BIND] = 2, [SYS_OPENAT] = 2,
};

/* Fill @a for call @nr. Returns the call number to make (some are redirected). */
static uint64_t gen_args(struct fthread *t, uint64_t nr, uint64_t a[4])
{
	a[0] = a[1] = a[2] = a[3] = 0;
	/* STAT and LINK refuse every flag (spec §5.4): mostly plain names for them. */
	t->flag_pct = nr == SYS_STAT || nr == SYS_LINK ? 25 : 85;
	t->inspect_only = nr == SYS_STAT;
	if (nr >= SYS_TOTAL_AMOUNT) {
		for (int i = 0; i < 4; i++)
			a[i] = gen_int(t);
		return nr;
	}
	if (chance(t, 4) && nr > SYS_THREAD_EXIT && nr != SYS_MUNMAP && nr != SYS_MPROTECT && nr != SYS_MMAP) {
		/*
		 * Integers only. A few of them (2 GiB, 4 GiB) are user addresses
		 * that could be mapped on a big machine: in pointer positions
		 * they are made non-canonical, so nothing of ours can be hit.
		 */
		for (int i = 0; i < 4; i++) {
			a[i] = gen_int(t);
			if ((ptr_args[nr] >> i & 1) && a[i] >= USER_MIN && a[i] < USER_MAX)
				a[i] |= 0x8000000000000000ull;
		}
		if (nr == SYS_BIND && (a[2] & MOUNT_PROPAGATE_PARENT) && !(a[2] & ~(uint64_t)MOUNT_ALL_FLAGS & 0xFFFFFFFFull))
			a[2] &= ~(uint64_t)MOUNT_PROPAGATE_PARENT;
		return nr;
	}
	switch (nr) {
	case SYS_PROCESS_EXIT:
		if (!chance(t, 2))
			return SYS_YIELD; /* about once in 20,000 calls: let workers live a while */
		a[0] = FUZZ_EXIT_STATUS | (rnd(t) << 32);
		break;
	case SYS_THREAD_EXIT:
		if (!chance(t, 20))
			return SYS_GETTID;
		atomic_store(&thread_busy[t->idx], 0);
		atomic_fetch_sub(&live_threads, 1);
		break;
	case SYS_SPAWN:
		if (atomic_load(&slot_shm->nchildren) >= FUZZ_MAX_CHILDREN) {
			a[0] = chance(t, 50) ? 0 : gen_int(t);
			break;
		}
		a[0] = gen_argv(t);
		a[1] = chance(t, 90) ? below(t, 64) : rnd(t);
		if (chance(t, 50))
			a[1] |= SPAWN_STDIO_FDS;
		break;
	case SYS_NANOSLEEP:
		a[0] = gen_timeout(t);
		break;
	case SYS_UNIX_EPOCH:
		a[0] = chance(t, 30) ? 0 : gen_ptr(t, OUT, 8);
		break;
	case SYS_OPEN:
	case SYS_CHDIR:
		a[0] = chance(t, 3) ? gen_path_ptr(t, true) : (uint64_t)gen_path(t, 0, chance(t, 50) ? PM_MUTATE : PM_ANY);
		break;
	case SYS_OPEN2:
		a[0] = chance(t, 3) ? gen_path_ptr(t, true) : (uint64_t)gen_path(t, 0, chance(t, 50) ? PM_MUTATE : PM_ANY);
		a[1] = chance(t, 80) ? (uint64_t)t->scratch + 16 * below(t, 16) : gen_ptr(t, OUT, 16);
		break;
	case SYS_CLOSE:
	case SYS_DUP:
		a[0] = gen_fd(t);
		break;
	case SYS_READ:
	case SYS_GETDENTS:
		a[0] = gen_fd(t);
		a[2] = gen_count(t);
		a[1] = gen_ptr(t, OUT, a[2]);
		break;
	case SYS_WRITE:
		fill_wbuf(t);
		a[0] = gen_fd(t);
		a[2] = chance(t, 50) ? strlen(t->wbuf) : gen_count(t);
		a[1] = gen_ptr(t, IN, a[2]);
		break;
	case SYS_SEEK: {
		static const int64_t offs[] = { 0, 1, -1, 3, 272, -272, 4096, 1 << 20, 16 << 20, INT64_MAX, INT64_MIN,
						INT64_MAX - 1, 1ll << 40 };
		a[0] = gen_fd(t);
		a[1] = (uint64_t)offs[below(t, sizeof(offs) / sizeof(offs[0]))];
		a[2] = chance(t, 80) ? below(t, 3) : gen_int(t);
		break;
	}
	case SYS_IOCTL:
		a[0] = gen_fd(t);
		a[1] = rnd(t);
		a[3] = gen_count(t);
		a[2] = gen_ptr(t, OUT, a[3]);
		break;
	case SYS_POLL:
		a[0] = gen_pollfds(t, &a[1]);
		a[2] = gen_timeout(t);
		break;
	case SYS_STAT:
		a[0] = chance(t, 3) ? gen_path_ptr(t, true) : (uint64_t)gen_path(t, 0, PM_ANY);
		a[1] = chance(t, 80) ? (uint64_t)t->scratch + 256 + below(t, 4096) : gen_ptr(t, OUT, 168);
		break;
	case SYS_MMAP: {
		static const uint64_t lens[] = { 0, 1, 4095, 4096, 4097, 8192, 65536, 1 << 20, 1ull << 46,
						 UINT64_MAX, UINT64_MAX - 4095, 0x100000000ull };
		a[0] = chance(t, 50) ? mappable[below(t, 4)] : gen_fd(t);
		a[2] = chance(t, 40) ? PAGE_SIZE * (1 + below(t, 8)) : lens[below(t, sizeof(lens) / sizeof(lens[0]))];
		if (chance(t, 60)) {
			a[1] = 0;
		} else {
			gen_range(t, &a[1], &a[2]);
		}
		a[3] = gen_prot(t);
		break;
	}
	case SYS_MUNMAP:
		gen_range(t, &a[0], &a[1]);
		break;
	case SYS_MPROTECT:
		gen_range(t, &a[0], &a[1]);
		a[2] = gen_prot(t);
		break;
	case SYS_THREAD_CREATE: {
		unsigned r = (unsigned)below(t, 1000);
		int free_idx = -1;
		for (int i = 0; i < max_threads; i++) {
			uint64_t zero = 0;
			if (atomic_compare_exchange_strong(&thread_busy[i], &zero, 1)) {
				free_idx = i;
				break;
			}
		}
		if (free_idx >= 0 && r < 900) {
			threads[free_idx].idx = free_idx;
			threads[free_idx].rng = fuzz_mix(t->rng ^ (uint64_t)free_idx);
			a[0] = (uint64_t)fuzz_thread_entry;
			a[1] = (uint64_t)free_idx;
			break;
		}
		if (free_idx >= 0)
			atomic_store(&thread_busy[free_idx], 0);
		if (r == 999) {
			/* A mapped-or-not user address that is no code: the thread faults, the process ends (14). */
			atomic_store(&slot_shm->fault_ok, 1);
			a[0] = (uint64_t)arena + below(t, ARENA_PAGES * PAGE_SIZE);
		} else {
			a[0] = gen_int(t);
			if (a[0] >= USER_MIN && a[0] < USER_MAX)
				a[0] = 0;
		}
		a[1] = rnd(t);
		break;
	}
	case SYS_DUP2:
		a[0] = gen_fd(t);
		a[1] = gen_fd(t);
		break;
	case SYS_FUTEX: {
		static const uint64_t ops[] = { 0, 1, 0, 1, 2, 0x100000000ull, 0x100000001ull, UINT64_MAX };
		unsigned r = (unsigned)below(t, 10);
		a[0] = r < 5 ? gen_fuzz_memory(t) & ~7ull
		       : r < 7 ? (uint64_t)t->scratch + 8 * below(t, 64) + (chance(t, 20) ? 3 : 0)
			       : gen_ptr(t, IN, 8);
		a[1] = chance(t, 70) ? 0 : (chance(t, 50) ? FUTEX_ALL : below(t, 4));
		a[2] = ops[below(t, sizeof(ops) / sizeof(ops[0]))];
		a[3] = gen_timeout(t);
		break;
	}
	case SYS_REMOVE:
		a[0] = chance(t, 3) ? gen_path_ptr(t, true) : (uint64_t)gen_path(t, 0, PM_MUTATE);
		break;
	case SYS_LINK:
		a[0] = (uint64_t)gen_path(t, 0, PM_SANDBOX);
		a[1] = (uint64_t)gen_path(t, 1, PM_MUTATE);
		if (chance(t, 3))
			a[chance(t, 50)] = gen_path_ptr(t, true);
		break;
	case SYS_SHARE:
		a[0] = chance(t, 80) ? (uint64_t)t->scratch + 16 * below(t, 16) : gen_ptr(t, OUT, 16);
		a[1] = gen_fd(t);
		/*
		 * A key that never expires keeps its open file until claimed, by
		 * design (spec §7 number 30), and would show as a leak at the end:
		 * bounded timeouts only.
		 */
		a[2] = below(t, 4) ? below(t, 20 * 1000000) : 0;
		break;
	case SYS_CLAIM:
		a[0] = chance(t, 80) ? (uint64_t)t->scratch + 16 * below(t, 16) : gen_ptr(t, IN, 16);
		break;
	case SYS_BIND:
		a[0] = gen_fd(t);
		a[1] = chance(t, 3) ? gen_path_ptr(t, false) : (uint64_t)bind_target(gen_path(t, 0, PM_ANY));
		a[2] = below(t, 8);
		/* Never into the supervisor's namespace: PROPAGATE_PARENT only with an unknown bit (EINVAL). */
		if (a[2] & MOUNT_PROPAGATE_PARENT)
			a[2] |= 8u << below(t, 24);
		break;
	case SYS_OPENAT:
		a[0] = chance(t, 20) ? FD_NONE : gen_fd(t);
		/* A relative path starts at an unknown place: read-only flags (PM_ANY) unless absolute. */
		a[1] = chance(t, 3) ? gen_path_ptr(t, false) : (uint64_t)gen_path(t, 0, chance(t, 40) ? PM_MUTATE : PM_ANY);
		break;
	default:
		break;
	}
	return nr;
}

/* Record a call in the shared ring, make it, record its result; learn from what succeeded. */
static void do_call(struct fthread *t)
{
	uint64_t a[4];
	uint64_t nr = gen_args(t, pick_nr(t), a);
	struct fuzz_thread_ring *ring = t->ring;
	uint64_t seq = atomic_fetch_add(&ring->calls, 1) + 1;
	struct fuzz_call *c = &ring->ring[seq % FUZZ_RING];
	c->seq = 0;
	c->nr = nr;
	for (int i = 0; i < 4; i++)
		c->arg[i] = a[i];
	c->ret = FUZZ_PENDING;
	c->err = 0;
	atomic_thread_fence(memory_order_release);
	c->seq = seq;
	uint64_t k = nr < SYS_TOTAL_AMOUNT ? nr : SYS_TOTAL_AMOUNT;
	atomic_fetch_add_explicit(&slot_shm->made[k][0], 1, memory_order_relaxed);
	uint64_t ret = syscall4(nr, a[0], a[1], a[2], a[3]);
	bool failed = (nr == SYS_MMAP || nr == SYS_MUNMAP || nr == SYS_MPROTECT) ? ret == 0 : ret == ERR;
	c->err = failed ? syscall0(SYS_ERRNO) : 0;
	c->ret = ret;
	if (!failed)
		atomic_fetch_add_explicit(&slot_shm->made[k][1], 1, memory_order_relaxed);
	if (failed) {
		if (nr == SYS_THREAD_CREATE && a[0] == (uint64_t)fuzz_thread_entry)
			atomic_store(&thread_busy[a[1]], 0);
		return;
	}
	switch (nr) {
	case SYS_OPEN:
	case SYS_OPENAT:
	case SYS_DUP:
	case SYS_DUP2:
	case SYS_CLAIM:
		note_fd(ret);
		break;
	case SYS_OPEN2:
		/* Our scratch is never unmapped: read the two descriptors back from there. */
		if (a[1] >= (uint64_t)t->scratch && a[1] + 16 <= (uint64_t)t->scratch + SCRATCH_PAGES * PAGE_SIZE) {
			note_fd(((volatile uint64_t *)a[1])[0]);
			note_fd(((volatile uint64_t *)a[1])[1]);
		}
		break;
	case SYS_MMAP:
		if (a[1] == 0)
			note_mapping(ret, a[2]);
		break;
	case SYS_SPAWN: {
		uint64_t i = atomic_fetch_add(&slot_shm->nchildren, 1);
		if (i < FUZZ_MAX_CHILDREN)
			atomic_store(&slot_shm->children[i], ret);
		break;
	}
	case SYS_THREAD_CREATE:
		if (a[0] == (uint64_t)fuzz_thread_entry)
			atomic_fetch_add(&live_threads, 1);
		break;
	}
}

/*
 * The end of the lifetime. Started alone (a replay), the worker also does
 * the supervisor's cleaning: it kills what it spawned and removes /tmp/fuzz
 * (not when a fuzzed exit or kill ends it first).
 */
static __attribute__((noreturn)) void end_worker(void)
{
	static _Atomic(uint64_t) ending;
	if (atomic_exchange(&ending, 1))
		for (;;)
			nanosleep(CLOCKS_NEVER); /* another thread is at it */
	if (alone) {
		/* The fuzzing threads may have used every slot: make room first. */
		for (fd_t fd = 0; fd < 64; fd++)
			close(fd);
		uint64_t n = atomic_load(&slot_shm->nchildren);
		for (uint64_t i = 0; i < n && i < FUZZ_MAX_CHILDREN; i++) {
			char path[48];
			snprintf(path, sizeof(path), "/proc/%llu/ctl",
				 (unsigned long long)atomic_load(&slot_shm->children[i]));
			fd_t c = open(path);
			if (c != ERR) {
				write(c, "kill", 4);
				close(c);
			}
		}
		for (int tries = 0; tries < 100 && remove("/tmp/fuzz:dR") != 0; tries++)
			nanosleep(100000000); /* EBUSY while a killed child's namespace still holds a mount */
	}
	process_exit(0);
}

static __attribute__((noreturn)) void fuzz_loop(struct fthread *t)
{
	atomic_store(&t->ring->used, 1);
	t->ring->seed = t->rng;
	for (uint64_t n = 0;; n++) {
		if ((n & 63) == 0 && uptime() >= deadline_ns)
			end_worker();
		do_call(t);
	}
}

/* C side of fuzz_thread_entry (entry.S): @idx is the thread's slot. */
__attribute__((noreturn)) void fuzz_thread_main(uint64_t idx);
void fuzz_thread_main(uint64_t idx)
{
	struct fthread *t = &threads[idx % FUZZ_MAX_THREADS];
	t->ring = &slot_shm->threads[t->idx];
	t->scratch = scratch_base + (uint64_t)t->idx * (SCRATCH_PAGES + 1) * PAGE_SIZE;
	fuzz_loop(t);
}

/* Descriptors worth fuzzing, opened once at the start (more come from the fuzzed calls). */
static void open_initial(void)
{
	char p[64];
	static const char *const paths[] = {
		"/dev/zero", "/dev/null", "/dev/one", "/dev/shmem/new", "/dev/klog:r", "/bin:dr", "/bin/true:r",
		"/proc/self/ctl", "/proc/self/note", "/proc/self/wait:n", "/proc/self:d", "/proc/self/env:d",
		"/proc/self/prio", "/dev/pipe/new:n", "/tests/garbage.bin:r", "/dev/kbd/0/events:n",
		"/dev/mouse/0/events", "/dev/kbd/0/name", "/dev/fb/0/info", "/dev/perf/cpu",
	};
	for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		note_fd(open(paths[i]));
	static const char *const maps[] = { "/dev/zero", "/dev/one", "/dev/shmem/new", "/dev/zero:r" };
	for (unsigned i = 0; i < 4; i++) {
		mappable[i] = open(maps[i]);
		note_fd(mappable[i]);
	}
	snprintf(p, sizeof(p), "/tmp/fuzz/%d/f:crw", slot_index);
	note_fd(open(p));
	snprintf(p, sizeof(p), "/tmp/fuzz/%d:d", slot_index);
	note_fd(open(p));
	snprintf(p, sizeof(p), "/proc/%llu/wait:rn", (unsigned long long)sup_pid);
	note_fd(open(p));
	fd_t pipe[2];
	for (int i = 0; i < 2; i++)
		if (open2(i ? "/dev/pipe/new:n" : "/dev/pipe/new", pipe) == 0) {
			note_fd(pipe[0]);
			note_fd(pipe[1]);
		}
}

static void *map_anon(uint64_t len)
{
	fd_t z = open("/dev/zero");
	if (z == ERR)
		return NULL;
	void *p = mmap(z, NULL, len, PROT_READ | PROT_WRITE);
	close(z);
	return p;
}

int fuzz_worker_main(int slot, uint64_t seed, uint64_t lifetime_ms, int nthreads, pid_t supervisor)
{
	if (slot < 0 || slot >= FUZZ_MAX_SLOTS || nthreads < 1 || nthreads > FUZZ_MAX_THREADS)
		return FUZZ_SETUP_FAILED;
	/*
	 * Descriptor 0 is the supervisor's shared-memory object; the first mmap
	 * sized it. Started alone (to replay one worker's streams, e.g. as the
	 * first process), the worker records into memory of its own.
	 */
	slot_shm = mmap(0, NULL, sizeof(struct fuzz_shared), PROT_READ | PROT_WRITE);
	if (!slot_shm) {
		fd_t own = open("/dev/shmem/new");
		slot_shm = own == ERR ? NULL : mmap(own, NULL, sizeof(struct fuzz_shared), PROT_READ | PROT_WRITE);
		if (!slot_shm)
			return FUZZ_SETUP_FAILED;
		alone = true;
	}
	slot_shm = &((struct fuzz_shared *)slot_shm)->slots[slot];
	close(0);
	slot_index = slot;
	max_threads = nthreads;
	my_pid = getpid();
	sup_pid = supervisor;
	deadline_ns = uptime() + lifetime_ms * 1000000ull;
	for (uint64_t nr = 0; nr < SYS_TOTAL_AMOUNT; nr++)
		weight_total += weight[nr];

	arena = map_anon(ARENA_PAGES * PAGE_SIZE);
	ro_page = map_anon(PAGE_SIZE);
	uint64_t per = (SCRATCH_PAGES + 1) * PAGE_SIZE;
	scratch_base = map_anon(per * FUZZ_MAX_THREADS);
	if (!arena || !ro_page || !scratch_base)
		return FUZZ_SETUP_FAILED;
	unterminated = map_anon(2 * PAGE_SIZE);
	if (!unterminated)
		return FUZZ_SETUP_FAILED;
	/*
	 * '*' is no name character: even if a later mapping fills the hole and
	 * ends the string, the path fails to parse instead of naming something.
	 */
	memset(unterminated, '*', PAGE_SIZE);
	if (!mprotect(ro_page, PAGE_SIZE, PROT_READ) || !mprotect(unterminated, PAGE_SIZE, PROT_READ) ||
	    !munmap(unterminated + PAGE_SIZE, PAGE_SIZE))
		return FUZZ_SETUP_FAILED;
	for (int i = 0; i < FUZZ_MAX_THREADS; i++)
		if (!munmap(scratch_base + i * per + SCRATCH_PAGES * PAGE_SIZE, PAGE_SIZE))
			return FUZZ_SETUP_FAILED;
	/* Give half the arena some shape: read-only pages and holes. */
	for (int i = 0; i < ARENA_PAGES; i += 8) {
		mprotect(arena + i * PAGE_SIZE, PAGE_SIZE, PROT_READ);
		munmap(arena + (i + 5) * PAGE_SIZE, PAGE_SIZE);
	}
	if (alone) { /* the supervisor's part: the sandbox */
		char p[48];
		snprintf(p, sizeof(p), "/tmp/fuzz/%d:cd", slot);
		close(open("/tmp/fuzz:cd"));
		close(open(p));
	}
	open_initial();

	for (int i = 0; i < FUZZ_MAX_THREADS; i++) {
		threads[i].idx = i;
		threads[i].rng = fuzz_mix(seed + 0x1000 * (uint64_t)i) | 1;
	}
	slot_shm->seed = seed;
	/*
	 * Every slot is taken before the first thread starts: a running thread's
	 * THREAD_CREATE claims any free slot, and one marked only as its turn came
	 * would then get two threads, sharing a path buffer (one thread's STAT
	 * path, which may lack flags, opened by the other with write permission:
	 * /tests/garbage.bin and /bin/fuzz were overwritten that way).
	 */
	for (int i = 0; i < nthreads; i++)
		atomic_store(&thread_busy[i], 1);
	for (int i = 0; i < nthreads; i++) {
		if (thread_create((void *)fuzz_thread_entry, (void *)(uint64_t)i) == ERR)
			atomic_store(&thread_busy[i], 0);
		else
			atomic_fetch_add(&live_threads, 1);
	}
	/*
	 * The main thread only keeps the lifetime: fuzzing threads are often
	 * stuck in a blocking call for good (a pipe nobody writes, a futex
	 * nobody wakes), and the process must still end on time. (A `kill`
	 * note to this first thread ends it early; then the supervisor's kill
	 * ends the process.)
	 */
	for (;;) {
		clock_t now = uptime();
		if (now >= deadline_ns)
			break;
		nanosleep(deadline_ns - now);
	}
	end_worker();
}
