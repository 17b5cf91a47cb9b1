// SPDX-License-Identifier: MIT
// fs_proc: /proc (spec §8.5): per-process directories, /proc/self, and the
// files wait, cmdline, cwd, prio and perf.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tu.h"

static uint64_t read_text(const char *path, char *buf, size_t len)
{
	fd_t fd = open(path);
	if (fd == ERR)
		return ERR;
	uint64_t n = read(fd, buf, len - 1);
	close(fd);
	if (n != ERR)
		buf[n] = 0;
	return n;
}

static uint64_t write_text(const char *path, const char *text)
{
	return tu_write_file(path, text, strlen(text));
}

KTAP_TEST(self_and_pid_directories)
{
	char p[64], buf[64];
	struct abi_stat a, b;
	snprintf(p, sizeof(p), "/proc/%llu", (unsigned long long)getpid());
	TEXPECT_EQ(stat(p, &a), 0);
	TEXPECT_EQ(stat("/proc/self", &b), 0);
	TEXPECT_EQ(a.type, INODE_DIR);
	TEXPECT_STREQ(a.name, b.name);
	TEXPECT_ERR(stat("/proc/999999", &a), ENOENT);
	TEXPECT_ERR(stat("/proc/abc", &a), ENOENT);
	/* A listing of /proc contains self and our pid (read to the end: earlier tests' processes linger). */
	static struct abi_dirent d[64];
	fd_t fd = open("/proc:d");
	bool self = false, mine = false;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)getpid());
	for (;;) {
		uint64_t n = getdents(fd, d, sizeof(d));
		TASSERT(n != ERR);
		if (n == 0)
			break;
		for (uint64_t i = 0; i < n / sizeof(d[0]); i++) {
			self |= strcmp(d[i].path, "self") == 0;
			mine |= strcmp(d[i].path, buf) == 0;
		}
	}
	TEXPECT(self && mine);
	close(fd);
	/* pid 0 is the kernel: its files refuse with EACCES. */
	TEXPECT_ERR(read_text("/proc/0/cmdline", buf, sizeof(buf)), EACCES);
	TEXPECT_ERR(read_text("/proc/0/wait", buf, sizeof(buf)), EACCES);
}

KTAP_TEST(cmdline_has_argv)
{
	const char *argv[] = { "/bin/tests/fs_proc", "sleep", "200", NULL };
	pid_t pid = spawn(argv, SPAWN_EMPTY_FDS);
	TASSERT(pid != ERR);
	char p[64], buf[128];
	snprintf(p, sizeof(p), "/proc/%llu/cmdline", (unsigned long long)pid);
	uint64_t n = read_text(p, buf, sizeof(buf));
	TEXPECT_EQ(n, strlen(argv[0]) + 1 + 6 + 4);
	TEXPECT(memcmp(buf, "/bin/tests/fs_proc\0sleep\0" "200\0", n) == 0);
	wait_pid(pid, NULL);
	clock_t ended = uptime(); /* no earlier than the child's end */
	/* The directory stays for a while after the end (at least 1 s). */
	snprintf(p, sizeof(p), "/proc/%llu/wait", (unsigned long long)pid);
	nanosleep(300000000);
	errno = 0;
	uint64_t got = read_text(p, buf, sizeof(buf));
	/* Gone is only acceptable once a whole second has passed (a stalled host can make that happen). */
	if (got == ERR && uptime() - ended < 1000000000ULL)
		ktap_fail(__FILE__, __LINE__, "%s gone after %llu ms: errno %d", p,
			  (unsigned long long)((uptime() - ended) / 1000000), errno);
	else if (got != ERR)
		TEXPECT_STREQ(buf, "0");
}

KTAP_TEST(cwd_read_and_write)
{
	char buf[256];
	TEXPECT_EQ(chdir("/tmp"), 0);
	TEXPECT(read_text("/proc/self/cwd", buf, sizeof(buf)) != ERR);
	TEXPECT_STREQ(buf, "/tmp");
	TEXPECT_EQ(write_text("/proc/self/cwd", "/dev:d"), 6);
	TEXPECT(read_text("/proc/self/cwd", buf, sizeof(buf)) != ERR);
	TEXPECT_STREQ(buf, "/dev");
	fd_t fd = open("null"); /* relative to the new cwd */
	TEXPECT(fd != ERR);
	close(fd);
	TEXPECT_ERR(write_text("/proc/self/cwd", "/nonexistent"), ENOENT);
	TEXPECT_ERR(write_text("/proc/self/cwd", "/dev/null"), ENOTDIR);
	chdir("/");
	TEXPECT(read_text("/proc/self/cwd", buf, sizeof(buf)) != ERR);
	TEXPECT_STREQ(buf, "/");
}

KTAP_TEST(prio_read_and_write)
{
	char buf[32];
	TEXPECT(read_text("/proc/self/prio", buf, sizeof(buf)) != ERR);
	int old = atoi(buf);
	TEXPECT(old >= 0 && old <= 31);
	TEXPECT_EQ(write_text("/proc/self/prio", "12"), 2);
	TEXPECT(read_text("/proc/self/prio", buf, sizeof(buf)) != ERR);
	TEXPECT_STREQ(buf, "12");
	TEXPECT_ERR(write_text("/proc/self/prio", "32"), EACCES);
	TEXPECT_ERR(write_text("/proc/self/prio", "-1"), EINVAL);
	TEXPECT_ERR(write_text("/proc/self/prio", "00000000000000000000000000000001"), EINVAL);
	snprintf(buf, sizeof(buf), "%d", old);
	write_text("/proc/self/prio", buf);
}

KTAP_TEST(perf_fields)
{
	char buf[256];
	TEXPECT(read_text("/proc/self/perf", buf, sizeof(buf)) != ERR);
	TEXPECT(strstr(buf, "user_clocks ") == buf);
	TEXPECT(strstr(buf, "\nkernel_clocks ") != NULL);
	TEXPECT(strstr(buf, "\nstart_clocks ") != NULL);
	TEXPECT(strstr(buf, "\nuser_pages ") != NULL);
	TEXPECT(strstr(buf, "\nthread_count 1") != NULL);
}

/* One numeric field of /proc/self/perf, or UINT64_MAX. */
static uint64_t perf_field(const char *name)
{
	char buf[256];
	if (read_text("/proc/self/perf", buf, sizeof(buf)) == ERR)
		return UINT64_MAX;
	const char *at = strstr(buf, name);
	return at ? strtoull(at + strlen(name), NULL, 10) : UINT64_MAX;
}

/*
 * CPU time is charged where it is spent: a thread computing in user mode for
 * 100 ms (several scheduler slices, each ending in a timer interrupt that
 * samples it) gains user time; one sleeping 200 ms gains next to none.
 */
KTAP_TEST(perf_clocks_count_cpu_time)
{
	uint64_t user0 = perf_field("user_clocks "), kernel0 = perf_field("kernel_clocks ");
	TASSERT(user0 != UINT64_MAX && kernel0 != UINT64_MAX);
	volatile uint64_t spin = 0;
	for (clock_t end = uptime() + 100000000ull; uptime() < end;)
		for (int i = 0; i < 100000; i++)
			spin++;
	uint64_t user1 = perf_field("user_clocks "), kernel1 = perf_field("kernel_clocks ");
	TEXPECT(user1 > user0);
	nanosleep(200000000ull);
	uint64_t user2 = perf_field("user_clocks "), kernel2 = perf_field("kernel_clocks ");
	TEXPECT((user2 - user1) + (kernel2 - kernel1) < 100000000ull);
	ktap_diag("100 ms busy: +%llu ns user, +%llu ns kernel; 200 ms asleep: +%llu ns in all",
		  (unsigned long long)(user1 - user0), (unsigned long long)(kernel1 - kernel0),
		  (unsigned long long)((user2 - user1) + (kernel2 - kernel1)));
}

KTAP_TEST(wait_nonblock_and_position)
{
	const char *argv[] = { "/bin/tests/fs_proc", "sleep", "100", NULL };
	pid_t pid = spawn(argv, SPAWN_EMPTY_FDS);
	TASSERT(pid != ERR);
	char p[64], buf[16];
	snprintf(p, sizeof(p), "/proc/%llu/wait:n", (unsigned long long)pid);
	fd_t fd = open(p);
	TEXPECT_ERR(read(fd, buf, sizeof(buf)), EAGAIN);
	close(fd);
	p[strlen(p) - 2] = 0;
	fd = open(p);
	TEXPECT_EQ(read(fd, buf, 1), 1); /* blocks until the end, then the first byte */
	TEXPECT_EQ(buf[0], '0');
	TEXPECT_EQ(read(fd, buf, 8), 0);
	close(fd);
}

/* One round of spawn_exit_wait_loop: 0, or 1 after saying what went wrong. */
static int spawn_exit_wait_once(const char **argv, int round)
{
	pid_t pid = spawn(argv, SPAWN_EMPTY_FDS);
	if (pid == ERR) {
		ktap_diag("round %d: spawn failed, errno %d", round, errno);
		return 1;
	}
	int status = -1;
	if (wait_pid(pid, &status) != 0) {
		ktap_diag("round %d: wait_pid(%llu) failed, errno %d", round, (unsigned long long)pid, errno);
		return 1;
	}
	if (status != 7) {
		ktap_diag("round %d: pid %llu ended with %d, want 7", round, (unsigned long long)pid, status);
		return 1;
	}
	return 0;
}

/* Spec §11 row 48: a spawn/exit/wait loop must never lose the wake-up. */
KTAP_TEST(spawn_exit_wait_loop)
{
	const char *argv[] = { "/bin/tests/fs_proc", "exit", NULL };
	int bad = 0;
	for (int i = 0; i < 40; i++)
		bad += spawn_exit_wait_once(argv, i);
	TEXPECT_EQ(bad, 0);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "exit") == 0)
		return 7;
	if (argc >= 3 && strcmp(argv[1], "sleep") == 0) {
		nanosleep((uint64_t)atoi(argv[2]) * 1000000);
		return 0;
	}
	return ktap_main();
}
