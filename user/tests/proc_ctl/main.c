// SPDX-License-Identifier: MIT
// proc_ctl: /proc/<pid>/ctl commands and errors, the suspend-adjust-start
// spawn idiom, and notes ending a blocked call with EINTR (spec §8.5, §9.5).
// With an argument this program is one of its own helper children.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <time.h>
#include <unistd.h>

#include "tu.h"

static uint64_t ctl(pid_t pid, const char *text, uint64_t len)
{
	return tu_proc_write(pid, "ctl", text, len);
}

#define CTL(pid, lit) ctl(pid, lit, sizeof(lit) - 1)

static pid_t spawn_self(const char *role, spawn_flags_t flags)
{
	const char *argv[] = { "/bin/tests/proc_ctl", role, NULL };
	return spawn(argv, flags);
}

static int wait_status(pid_t pid)
{
	int status = -1000;
	if (wait_pid(pid, &status) != 0)
		return -1001;
	return status;
}

KTAP_TEST(ctl_errors)
{
	pid_t me = getpid();
	TEXPECT_ERR(ctl(me, "kill", 0), EINVAL);
	char big[300];
	memset(big, ' ', sizeof(big));
	TEXPECT_ERR(ctl(me, big, 257), E2BIG);
	TEXPECT_ERR(CTL(me, "   "), EUNKNOWNCTL);
	TEXPECT_ERR(CTL(me, "bogus 1"), ENOENT);
	TEXPECT_ERR(CTL(me, "close"), EUNKNOWNCTL);
	TEXPECT_ERR(CTL(me, "start now"), EUNKNOWNCTL);
	TEXPECT_ERR(CTL(me, "close x"), EINVAL);
	TEXPECT_ERR(CTL(me, "close 50"), EBADF);
	TEXPECT_ERR(CTL(me, "dup2 50 51"), EBADF);
	TEXPECT_ERR(CTL(0, "kill"), EACCES);
}

KTAP_TEST(ctl_chain_stops_at_first_failure)
{
	fd_t a = open("/dev/null");
	TASSERT(a != ERR);
	fd_t b = dup(a);
	TASSERT(b != ERR);
	char text[64];
	int n = snprintf(text, sizeof(text), "close %llu && bogus && close %llu", (unsigned long long)a,
			 (unsigned long long)b);
	TEXPECT_ERR(ctl(getpid(), text, (uint64_t)n), ENOENT);
	TEXPECT_ERR(close(a), EBADF); /* the first command happened */
	TEXPECT_EQ(close(b), 0);      /* the third did not */
}

KTAP_TEST(ctl_close_range)
{
	fd_t fds[3];
	for (int i = 0; i < 3; i++) {
		fds[i] = open("/dev/null");
		TASSERT(fds[i] != ERR);
	}
	char text[64];
	int n = snprintf(text, sizeof(text), "close %llu -1", (unsigned long long)fds[0]);
	TEXPECT_EQ(ctl(getpid(), text, (uint64_t)n), (uint64_t)n);
	for (int i = 0; i < 3; i++)
		TEXPECT_ERR(close(fds[i]), EBADF);
}

/* Child: print a fixed line on fd 1 and exit. */
static int child_hello(void)
{
	const char msg[] = "hello from the child";
	return write(1, msg, sizeof(msg) - 1) == sizeof(msg) - 1 ? 0 : 1;
}

KTAP_TEST(suspended_child_rearranged_before_start)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	pid_t pid = spawn_self("child-hello", SPAWN_SUSPEND);
	TASSERT(pid != ERR);
	/* The command line is there before the start (OUR CHOICE). */
	char path[64], cmd[128] = { 0 };
	snprintf(path, sizeof(path), "/proc/%llu/cmdline", (unsigned long long)pid);
	fd_t c = open(path);
	TASSERT(c != ERR);
	TEXPECT_EQ(read(c, cmd, sizeof(cmd)), sizeof("/bin/tests/proc_ctl") + sizeof("child-hello"));
	TEXPECT_STREQ(cmd, "/bin/tests/proc_ctl");
	close(c);
	/* Its fd 1 becomes our pipe's write end; everything else above 2 goes. */
	char text[96];
	int n = snprintf(text, sizeof(text), "dup2 %llu 1 && close 3 -1 && start", (unsigned long long)p[1]);
	TEXPECT_EQ(ctl(pid, text, (uint64_t)n), (uint64_t)n);
	close(p[1]);
	char got[64] = { 0 };
	uint64_t total = 0, r;
	while (total < sizeof(got) - 1 && (r = read(p[0], got + total, sizeof(got) - 1 - total)) != ERR && r > 0)
		total += r;
	TEXPECT_STREQ(got, "hello from the child");
	TEXPECT_EQ(wait_status(pid), 0);
	close(p[0]);
}

/* Child: sleep until interrupted; exit with the errno of the sleep (EINTR = 4). */
static int child_sleep(void)
{
	if (nanosleep(CLOCKS_NEVER) == ERR)
		return (int)errno;
	return 99;
}

KTAP_TEST(ctl_kill_ends_with_status_0)
{
	pid_t pid = spawn_self("child-sleep", 0);
	TASSERT(pid != ERR);
	nanosleep(20 * 1000 * 1000ULL);
	TEXPECT_EQ(CTL(pid, "kill"), 4);
	TEXPECT_EQ(wait_status(pid), 0);
}

static uint64_t note(pid_t pid, const char *text, uint64_t len)
{
	return tu_proc_write(pid, "note", text, len);
}

KTAP_TEST(note_interrupts_a_sleep_with_eintr)
{
	/*
	 * Noted until it ends: a note that comes before the child has fallen
	 * asleep is dropped (a single note after "long enough" hung this test on
	 * a loaded host, the child asleep for ever).
	 */
	const char *argv[] = { "/bin/tests/proc_ctl", "child-sleep", NULL };
	fd_t wait_fd;
	pid_t pid = tu_spawn_watched(argv, 0, &wait_fd);
	TASSERT(pid != ERR);
	int status = -1;
	TEXPECT_EQ(tu_note_until_exit(pid, wait_fd, "wake up", 60 * TU_SEC, &status), 0);
	TEXPECT_EQ(status, EINTR);
}

KTAP_TEST(note_kill_ends_the_thread)
{
	pid_t pid = spawn_self("child-sleep", 0);
	TASSERT(pid != ERR);
	nanosleep(20 * 1000 * 1000ULL);
	TEXPECT_EQ(note(pid, "kill", 4), 4);
	TEXPECT_EQ(wait_status(pid), 0); /* its only thread ended: status 0 */
}

/* Child: write "ran" on the descriptor named by @fdtext and exit. */
static int child_mark(const char *fdtext)
{
	fd_t fd = (fd_t)strtoull(fdtext, NULL, 10);
	return write(fd, "ran", 3) == 3 ? 0 : 1;
}

static pid_t spawn_marker(fd_t fd, spawn_flags_t flags)
{
	char text[24];
	snprintf(text, sizeof(text), "%llu", (unsigned long long)fd);
	const char *argv[] = { "/bin/tests/proc_ctl", "child-mark", text, NULL };
	return spawn(argv, flags);
}

/* Whether @fd has data now (poll without waiting). */
static uint64_t readable_now(fd_t fd)
{
	struct abi_pollfd pf = { .fd = fd, .events = POLLIN, .revents = 0 };
	return poll(&pf, 1, 0);
}

/* Defect 5 of issue 13: a note used to end the suspension, so the child ran before "start". */
KTAP_TEST(notes_do_not_start_a_suspended_child)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	pid_t pid = spawn_marker(p[1], SPAWN_SUSPEND);
	TASSERT(pid != ERR);
	/* More notes than the queue holds, with pauses in which a wrongly woken child would run. */
	for (int i = 0; i < 10; i++) {
		TEXPECT_EQ(note(pid, "wake up", 7), 7);
		nanosleep(5 * 1000 * 1000ULL);
	}
	nanosleep(50 * 1000 * 1000ULL);
	TEXPECT_EQ(readable_now(p[0]), 0);
	/* Still suspended, not ended. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%llu/wait:n", (unsigned long long)pid);
	fd_t w = open(path);
	TASSERT(w != ERR);
	char st[16];
	TEXPECT_ERR(read(w, st, sizeof(st)), EAGAIN);
	close(w);
	TEXPECT_EQ(CTL(pid, "start"), 5);
	char got[8] = { 0 };
	TEXPECT_EQ(read(p[0], got, 3), 3);
	TEXPECT_STREQ(got, "ran");
	TEXPECT_EQ(wait_status(pid), 0);
	close(p[0]);
	close(p[1]);
}

KTAP_TEST(kill_note_ends_a_suspended_child)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	pid_t pid = spawn_marker(p[1], SPAWN_SUSPEND);
	TASSERT(pid != ERR);
	TEXPECT_EQ(note(pid, "kill", 4), 4);
	TEXPECT_EQ(wait_status(pid), 0); /* its only thread ended: status 0 */
	TEXPECT_EQ(readable_now(p[0]), 0); /* it never ran */
	close(p[0]);
	close(p[1]);
}

KTAP_TEST(note_sizes)
{
	pid_t me = getpid();
	TEXPECT_EQ(note(me, "x", 0), 0);
	char big[64];
	memset(big, 'a', sizeof(big));
	TEXPECT_ERR(note(me, big, 64), EINVAL);
	TEXPECT_ERR(note(0, "hi", 2), EACCES);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child-hello") == 0)
		return child_hello();
	if (argc > 1 && strcmp(argv[1], "child-sleep") == 0)
		return child_sleep();
	if (argc > 2 && strcmp(argv[1], "child-mark") == 0)
		return child_mark(argv[2]);
	/* A watchdog: a child that never wakes fails its test instead of silencing the whole boot. */
	return tu_ktap_main(120 * TU_SEC);
}
