// SPDX-License-Identifier: MIT
// stress_proc: process ends and kills racing against calls in flight (issue 13).
//
//   * process exit during every blocking call (spec §12 item 8): a thread
//     blocked in poll, a pipe read, a pipe write on a full pipe, a read of
//     /proc/<pid>/wait, a poll of it, a console read, a futex wait or a
//     sleep; the process ends by an exit from another thread, by the blocked
//     thread's sibling exiting while the main thread blocks, or by a kill
//     through ctl. Each must end promptly with the right status.
//   * spawn/kill storms while other threads hold and use the victims'
//     /proc/<pid>/ files;
//   * both ends of a pipe closed at once by two threads while others read
//     and write through them.
//
//   /bin/tests/stress_proc                       the tests
//   /bin/tests/stress_proc block KIND HOW PPID   a child role (below)
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/futex.h>
#include <sys/proc.h>
#include <time.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

#define EXIT_STATUS 21

static const char *self = "/bin/tests/stress_proc";

/* ------------------------------------------------------------------ child role: block */

static _Atomic(uint64_t) blocking;  /* 1 once the blocker is about to block */
static _Atomic(uint64_t) never;     /* a futex word nobody changes */
static const char *block_kind;
static pid_t block_ppid;

/* Block in the call named by block_kind; returns only if the call failed to block. */
static void block_in_call(void)
{
	fd_t p[2] = { FD_NONE, FD_NONE };
	char buf[64], path[48];
	const char *k = block_kind;
	if (!strcmp(k, "poll") || !strcmp(k, "pipe_read") || !strcmp(k, "pipe_write")) {
		if (open2("/dev/pipe/new", p) != 0)
			return;
	}
	if (!strcmp(k, "pipe_write")) {
		static char fill[4096];
		if (write(p[1], fill, sizeof(fill)) != sizeof(fill))
			return;
	}
	if (!strcmp(k, "proc_wait") || !strcmp(k, "poll_wait")) {
		/* The parent (the test) is alive for the whole test: this blocks. */
		snprintf(path, sizeof(path), "/proc/%llu/wait", (unsigned long long)block_ppid);
		p[0] = open(path);
		if (p[0] == ERR)
			return;
	}
	if (!strcmp(k, "console")) {
		p[0] = open("/dev/console:r");
		if (p[0] == ERR)
			return;
	}
	tu_store_wake(&blocking, 1);
	struct abi_pollfd pf = { p[0], POLLIN, 0 };
	if (!strcmp(k, "poll") || !strcmp(k, "poll_wait"))
		poll(&pf, 1, CLOCKS_NEVER);
	else if (!strcmp(k, "pipe_read") || !strcmp(k, "proc_wait") || !strcmp(k, "console"))
		read(p[0], buf, sizeof(buf));
	else if (!strcmp(k, "pipe_write"))
		write(p[1], buf, 1);
	else if (!strcmp(k, "futex"))
		futex(&never, 0, FUTEX_WAIT, CLOCKS_NEVER);
	else if (!strcmp(k, "sleep"))
		nanosleep(CLOCKS_NEVER);
}

static void blocker_thread(void *arg)
{
	block_in_call();
	/* Reached only if the call did not block or was ended without killing us. */
	process_exit(95);
}

static void exiter_thread(void *arg)
{
	tu_wait_eq(&blocking, 1, 10 * TU_SEC);
	nanosleep(30 * TU_MS); /* let the blocker reach its wait (not needed for correctness) */
	process_exit(EXIT_STATUS);
}

/* block KIND HOW PPID (argv[2..4]): HOW = main_exits | thread_exits | killed. */
static int role_block(int argc, char **argv)
{
	if (argc < 5)
		return 90;
	block_kind = argv[2];
	block_ppid = tu_parse_u64(argv[4]);
	static struct tu_thread t;
	if (!strcmp(argv[3], "main_exits")) {
		if (!tu_thread_start(&t, blocker_thread, NULL))
			return 97;
		exiter_thread(NULL);
	} else if (!strcmp(argv[3], "thread_exits")) {
		if (!tu_thread_start(&t, exiter_thread, NULL))
			return 97;
		blocker_thread(NULL);
	} else { /* killed: block in the main thread until the parent's kill */
		blocker_thread(NULL);
	}
	return 94;
}

/* ------------------------------------------------------------------ exit during blocking calls */

static const char *const kinds[] = { "poll", "pipe_read", "pipe_write", "proc_wait", "poll_wait",
				     "console", "futex", "sleep" };
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static void check_block(const char *how, int want)
{
	char ppid[24];
	snprintf(ppid, sizeof(ppid), "%llu", (unsigned long long)getpid());
	for (unsigned i = 0; i < NKINDS; i++) {
		const char *argv[] = { self, "block", kinds[i], how, ppid, NULL };
		pid_t pid = spawn(argv, SPAWN_EMPTY_FDS);
		if (pid == ERR) {
			ktap_fail(__FILE__, __LINE__, "spawn: %s", strerrorname_np(errno));
			continue;
		}
		fd_t wait_fd = tu_wait_open(pid); /* before the kill: the entry goes a second after the end */
		if (want == 0) {
			nanosleep(100 * TU_MS); /* most likely blocked by now; killed earlier ends the same way */
			tu_kill(pid);
		}
		int status = -1;
		int r = wait_fd == ERR ? -1 : tu_wait_fd(wait_fd, pid, 20 * TU_SEC, &status);
		if (r == TU_TIMEOUT)
			ktap_fail(__FILE__, __LINE__, "%s, %s: the process did not end within 20 s", kinds[i], how);
		else if (r != 0)
			ktap_fail(__FILE__, __LINE__, "%s, %s: wait failed: %s", kinds[i], how, strerrorname_np(errno));
		else if (status != want)
			ktap_fail(__FILE__, __LINE__, "%s, %s: status %d, want %d", kinds[i], how, status, want);
	}
}

KTAP_TEST(exit_from_other_thread_ends_every_blocking_call)
{
	check_block("main_exits", EXIT_STATUS);
}

KTAP_TEST(exit_while_main_thread_blocks_in_every_blocking_call)
{
	check_block("thread_exits", EXIT_STATUS);
}

KTAP_TEST(kill_ends_every_blocking_call)
{
	check_block("killed", 0);
}

/* ------------------------------------------------------------------ spawn/kill storm */

struct storm {
	_Atomic(uint64_t) victim;   /* the pid under attack, 0 when none */
	_Atomic(uint64_t) stop;
	_Atomic(uint64_t) reads, errors;
	char bad[128];
};

static struct storm storm;

/* Use the current victim's /proc files: open, read, poll, write a harmless prio, close. */
static void storm_user(void *arg)
{
	static const char *const files[] = { "wait:n", "cmdline", "perf", "prio", "cwd", "env:d", "ctl", "note" };
	char path[64], buf[256];
	uint64_t rng = (uint64_t)arg | 1;
	while (!atomic_load(&storm.stop)) {
		pid_t pid = atomic_load(&storm.victim);
		if (!pid) {
			thrd_yield();
			continue;
		}
		const char *f = files[tu_rand_below(&rng, 8)];
		snprintf(path, sizeof(path), "/proc/%llu/%s", (unsigned long long)pid, f);
		fd_t fd = open(path);
		if (fd == ERR)
			continue; /* reaped already (ENOENT): fine */
		for (int i = 0; i < 4; i++) {
			uint64_t r;
			if (!strcmp(f, "env:d"))
				r = getdents(fd, (struct abi_dirent *)buf, 0) == ERR ? ERR : 0;
			else if (!strcmp(f, "ctl") || !strcmp(f, "note"))
				r = write(fd, "", 0);
			else if (!strcmp(f, "prio") && i == 3)
				r = write(fd, "7", 1);
			else
				r = read(fd, buf, sizeof(buf));
			atomic_fetch_add(&storm.reads, 1);
			/* A victim's files stay usable after its death; only these errors are allowed. */
			if (r == ERR && errno != EAGAIN && errno != EINVAL && errno != ENOSYS && errno != EBADF &&
			    errno != EINTR && atomic_fetch_add(&storm.errors, 1) == 0)
				snprintf(storm.bad, sizeof(storm.bad), "%s: %s", f, strerrorname_np(errno));
		}
		struct abi_pollfd pf = { fd, POLLIN, 0 };
		if (!strcmp(f, "wait:n"))
			poll(&pf, 1, 1 * TU_MS);
		close(fd);
	}
}

KTAP_TEST(spawn_kill_storm_while_proc_files_are_used)
{
	static struct tu_thread users[3];
	atomic_store(&storm.stop, 0);
	for (int i = 0; i < 3; i++)
		TASSERT(tu_thread_start(&users[i], storm_user, (void *)(uint64_t)(i + 1)));
	const char *modes[] = { "sleep", "futex", "pipe_read", "poll" };
	char ppid[24];
	snprintf(ppid, sizeof(ppid), "%llu", (unsigned long long)getpid());
	for (int round = 0; round < 40 && !ktap_failed(); round++) {
		const char *argv[] = { self, "block", modes[round % 4], "killed", ppid, NULL };
		pid_t pid = spawn(argv, round % 3 == 0 ? SPAWN_SUSPEND | SPAWN_EMPTY_FDS : SPAWN_EMPTY_FDS);
		TASSERT(pid != ERR);
		atomic_store(&storm.victim, pid);
		/* Opened while it lives (it blocks until killed): its entry goes a second after the end. */
		fd_t wait_fd = tu_wait_open(pid), fd = tu_wait_open(pid);
		TEXPECT(wait_fd != ERR);
		TEXPECT(fd != ERR);
		nanosleep((uint64_t)(round % 5) * TU_MS); /* kill at different moments of its life */
		tu_kill(pid);
		int status = -1;
		int r = wait_fd == ERR ? -1 : tu_wait_fd(wait_fd, pid, 20 * TU_SEC, &status);
		TEXPECT_EQ(r, 0);
		TEXPECT_EQ(status, 0);
		/* After its death its files still answer: a second wait file reads the status too. */
		char text[16] = { 0 };
		if (fd != ERR) {
			TEXPECT_EQ(read(fd, text, sizeof(text) - 1), 1);
			TEXPECT_STREQ(text, "0");
			close(fd);
		}
	}
	atomic_store(&storm.victim, 0);
	atomic_store(&storm.stop, 1);
	for (int i = 0; i < 3; i++)
		TEXPECT(tu_thread_join(&users[i], 20 * TU_SEC));
	if (atomic_load(&storm.errors))
		ktap_fail(__FILE__, __LINE__, "%llu unexpected errors, the first: %s",
			  (unsigned long long)atomic_load(&storm.errors), storm.bad);
	TEXPECT(atomic_load(&storm.reads) > 0);
}

/* ------------------------------------------------------------------ both pipe ends closed at once */

struct pipe_race {
	fd_t fds[2];
	_Atomic(uint64_t) go;
	_Atomic(uint64_t) bad;
};

static struct pipe_race pr;

static void race_reader(void *arg)
{
	char buf[512];
	tu_wait_eq(&pr.go, 1, 10 * TU_SEC);
	for (;;) {
		uint64_t n = read(pr.fds[0], buf, sizeof(buf));
		if (n == 0 || (n == ERR && errno == EBADF))
			return; /* end of stream, or the slot is gone */
		if (n == ERR && errno != EAGAIN) /* EAGAIN: a nonblock round */
			atomic_fetch_add(&pr.bad, 1);
	}
}

static void race_writer(void *arg)
{
	static char buf[3000];
	tu_wait_eq(&pr.go, 1, 10 * TU_SEC);
	for (;;) {
		uint64_t n = write(pr.fds[1], buf, sizeof(buf));
		if (n == ERR && (errno == EPIPE || errno == EBADF))
			return;
		if ((n == ERR && errno != EAGAIN) || (n != ERR && n != sizeof(buf)))
			atomic_fetch_add(&pr.bad, 1);
	}
}

static void race_closer(void *arg)
{
	tu_wait_eq(&pr.go, 1, 10 * TU_SEC);
	close(pr.fds[(uint64_t)arg]);
}

KTAP_TEST(both_pipe_ends_closed_at_once_while_in_use)
{
	for (int round = 0; round < 60 && !ktap_failed(); round++) {
		static struct tu_thread t[6];
		atomic_store(&pr.go, 0);
		TASSERT(open2(round & 1 ? "/dev/pipe/new:n" : "/dev/pipe/new", pr.fds) == 0);
		TASSERT(tu_thread_start(&t[0], race_reader, NULL));
		TASSERT(tu_thread_start(&t[1], race_reader, NULL));
		TASSERT(tu_thread_start(&t[2], race_writer, NULL));
		TASSERT(tu_thread_start(&t[3], race_writer, NULL));
		TASSERT(tu_thread_start(&t[4], race_closer, (void *)0));
		TASSERT(tu_thread_start(&t[5], race_closer, (void *)1));
		nanosleep((uint64_t)(round % 3) * TU_MS);
		tu_store_wake(&pr.go, 1);
		for (int i = 0; i < 6; i++)
			if (!tu_thread_join(&t[i], 20 * TU_SEC)) {
				ktap_fail(__FILE__, __LINE__, "round %d: thread %d still blocked after 20 s", round, i);
				return;
			}
		/* Both slots are gone: the closers did it, nothing reopened them. */
		TEXPECT_ERR(close(pr.fds[0]), EBADF);
		TEXPECT_ERR(close(pr.fds[1]), EBADF);
	}
	TEXPECT_EQ(atomic_load(&pr.bad), 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "block"))
		return role_block(argc, argv);
	return tu_ktap_main(120 * TU_SEC);
}
