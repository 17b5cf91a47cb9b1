// SPDX-License-Identifier: MIT
// fs_pipe: pipes (spec §8.3), POLL (§7 number 17) over pipes, klog and
// /proc/<pid>/wait, and pipes between processes through SPAWN inheritance.
// Run with an argument this program is one of its own helper children.
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

#define MIB (1024 * 1024)

static uint32_t checksum_step(uint32_t sum, const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		sum = (sum * 31) ^ p[i];
	return sum;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 10));
}

/* Helper: write 1 MiB of the pattern on @fd in uneven pieces, then exit with its checksum's low byte. */
static int child_writer(fd_t fd)
{
	static uint8_t buf[10000];
	uint64_t sent = 0;
	uint32_t sum = 0;
	uint64_t piece = 1;
	while (sent < MIB) {
		uint64_t n = MIB - sent < piece ? MIB - sent : piece;
		for (uint64_t i = 0; i < n; i++)
			buf[i] = pattern(sent + i);
		if (write(fd, buf, n) != n)
			return 100;
		sum = checksum_step(sum, buf, n);
		sent += n;
		piece = piece * 3 % 9973 + 1; /* sizes below and above the pipe capacity */
	}
	return (int)(sum & 0x7f);
}

KTAP_TEST(pipe_basic_and_directions)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	TEXPECT_EQ(write(p[1], "hello", 5), 5);
	char b[16];
	TEXPECT_EQ(read(p[0], b, sizeof(b)), 5);
	TEXPECT(memcmp(b, "hello", 5) == 0);
	TEXPECT_ERR(read(p[1], b, 1), ENOTSUP);
	TEXPECT_ERR(write(p[0], "x", 1), ENOTSUP);
	TEXPECT_ERR(seek(p[0], 0, SEEK_SET), ESPIPE);
	TEXPECT_EQ(read(p[0], b, 0), 0);
	TEXPECT_EQ(write(p[1], b, 0), 0);
	/* Duplicated write end: EOF only when both are closed. */
	fd_t w2 = dup(p[1]);
	close(p[1]);
	TEXPECT_EQ(write(w2, "z", 1), 1);
	TEXPECT_EQ(read(p[0], b, 8), 1);
	close(w2);
	TEXPECT_EQ(read(p[0], b, 8), 0);
	close(p[0]);
	/* Reader gone: EPIPE. */
	TASSERT(open2("/dev/pipe/new", p) == 0);
	close(p[0]);
	TEXPECT_ERR(write(p[1], "x", 1), EPIPE);
	close(p[1]);
	/* One open() gives a pipe whose single file is both ends. */
	fd_t both = open("/dev/pipe/new");
	TEXPECT_EQ(write(both, "ab", 2), 2);
	TEXPECT_EQ(read(both, b, 8), 2);
	close(both);
}

KTAP_TEST(pipe_nonblock_and_capacity)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new:n", p) == 0);
	char b[8];
	TEXPECT_ERR(read(p[0], b, 8), EAGAIN);
	static char big[6000];
	memset(big, 'q', sizeof(big));
	/* More than the capacity, nonblocking: what fits goes in. */
	TEXPECT_EQ(write(p[1], big, sizeof(big)), 4096);
	TEXPECT_ERR(write(p[1], big, 1), EAGAIN);
	TEXPECT_EQ(read(p[0], big, 100), 100);
	/* Up to the capacity, all or nothing. */
	TEXPECT_ERR(write(p[1], big, 101), EAGAIN);
	TEXPECT_EQ(write(p[1], big, 100), 100);
	TEXPECT_EQ(read(p[0], big, sizeof(big)), 4096);
	close(p[0]);
	close(p[1]);
}

KTAP_TEST(open2_emfile_leaves_table_unchanged)
{
	fd_t fds[64];
	int n = 0;
	while (n < 60) {
		fd_t fd = open("/dev/null");
		if (fd == ERR)
			break;
		fds[n++] = fd;
	}
	/* 63 slots in use now (3 stdio + 60). */
	fd_t p[2] = { 77, 77 };
	TEXPECT_ERR(open2("/dev/pipe/new", p), EMFILE);
	TEXPECT_EQ(p[0], 77);
	fd_t last = open("/dev/null");
	TEXPECT_EQ(last, 63);
	close(last);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Spawn this program as a helper that sleeps @delay_ms, then writes one byte to inherited fd @fd. */
static pid_t spawn_late_writer(fd_t fd, int delay_ms)
{
	char fdarg[8], ms[8];
	snprintf(fdarg, sizeof(fdarg), "%llu", (unsigned long long)fd);
	snprintf(ms, sizeof(ms), "%d", delay_ms);
	const char *argv[] = { "/bin/tests/fs_pipe", "late", fdarg, ms, NULL };
	return spawn(argv, SPAWN_DEFAULT);
}

KTAP_TEST(blocked_read_wakes_on_write)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	/* t0 before the spawn: the child's 30 ms start after it, however late we get here. */
	clock_t t0 = uptime();
	pid_t pid = spawn_late_writer(p[1], 30);
	TASSERT(pid != ERR);
	close(p[1]);
	char b[8];
	TEXPECT_EQ(read(p[0], b, sizeof(b)), 1); /* blocks until the child writes */
	TEXPECT(uptime() - t0 >= 20000000);
	TEXPECT_EQ(read(p[0], b, sizeof(b)), 0); /* the child ended: end of stream */
	wait_pid(pid, NULL);
	close(p[0]);
}

/*
 * A second thread without the heap (mmap is not on this branch, so no
 * thrd_create): SYS_THREAD_CREATE on a trampoline that aligns the stack.
 */
static fd_t thread_fd;
static volatile int thread_done;

__attribute__((noreturn, used)) static void writer_thread(void *arg)
{
	nanosleep(30000000);
	write(thread_fd, "t", 1);
	thread_done = 1;
	thread_exit();
}

__attribute__((naked)) static void writer_thread_entry(void)
{
	__asm__ volatile("andq $-16, %rsp\n\tcall writer_thread\n\tud2");
}

KTAP_TEST(blocked_read_wakes_on_thread_write)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	thread_fd = p[1];
	thread_done = 0;
	TASSERT(thread_create((void *)writer_thread_entry, NULL) != ERR);
	char b[4];
	TEXPECT_EQ(read(p[0], b, sizeof(b)), 1);
	TEXPECT_EQ(b[0], 't');
	while (!thread_done)
		nanosleep(1000000);
	close(p[0]);
	close(p[1]);
}

KTAP_TEST(poll_pipes_and_timeouts)
{
	fd_t a[2], b[2];
	TASSERT(open2("/dev/pipe/new", a) == 0);
	TASSERT(open2("/dev/pipe/new", b) == 0);
	struct abi_pollfd pf[3] = {
		{ a[0], POLLIN, 0 }, { b[0], POLLIN, 0 }, { a[1], POLLOUT, 0 },
	};
	/* Empty pipes, 50 ms: 0 after at least 50 ms. */
	clock_t t0 = uptime();
	TEXPECT_EQ(poll(pf, 2, 50000000), 0);
	TEXPECT(uptime() - t0 >= 50000000);
	TEXPECT_EQ(pf[0].revents, 0);
	/* timeout 0 returns at once. */
	t0 = uptime();
	TEXPECT_EQ(poll(pf, 2, 0), 0);
	TEXPECT(uptime() - t0 < 5000000000ULL); /* not stuck: no upper bound a loaded host could break */
	/* POLLOUT on a fresh pipe is immediate. */
	TEXPECT_EQ(poll(&pf[2], 1, CLOCKS_NEVER), 1);
	TEXPECT_EQ(pf[2].revents, POLLOUT);
	/* One byte in b: exactly that entry. */
	write(b[1], "x", 1);
	TEXPECT_EQ(poll(pf, 2, CLOCKS_NEVER), 1);
	TEXPECT_EQ(pf[0].revents, 0);
	TEXPECT_EQ(pf[1].revents, POLLIN);
	/* Two ready entries. */
	write(a[1], "y", 1);
	TEXPECT_EQ(poll(pf, 3, 0), 3);
	/* The writer closed: POLLIN (end of stream). */
	char c[4];
	read(a[0], c, 4);
	close(a[1]);
	TEXPECT_EQ(poll(pf, 1, 0), 1);
	TEXPECT_EQ(pf[0].revents, POLLIN);
	/* Errors. */
	struct abi_pollfd bad[2] = { { b[0], POLLIN, 0 }, { 99, POLLIN, 0 } };
	TEXPECT_ERR(poll(bad, 2, 0), EBADF);
	TEXPECT_EQ(bad[1].revents, POLLNVAL);
	TEXPECT_ERR(poll(pf, 0, 0), EINVAL);
	TEXPECT_ERR(poll(pf, 65, 0), EINVAL);
	TEXPECT_ERR(poll(NULL, 1, 0), EFAULT);
	fd_t dir = open("/tmp:d");
	struct abi_pollfd pd = { dir, POLLIN, 0 };
	TEXPECT_ERR(poll(&pd, 1, 0), EISDIR);
	close(dir);
	close(a[0]);
	close(b[0]);
	close(b[1]);
}

KTAP_TEST(poll_wakes_when_written)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	pid_t pid = spawn_late_writer(p[1], 30);
	TASSERT(pid != ERR);
	struct abi_pollfd pf = { p[0], POLLIN, 0 };
	clock_t t0 = uptime();
	TEXPECT_EQ(poll(&pf, 1, 20000000000ULL), 1);
	TEXPECT(uptime() - t0 < 19000000000ULL); /* woken, not timed out */
	wait_pid(pid, NULL);
	close(p[0]);
	close(p[1]);
}

KTAP_TEST(poll_klog)
{
	fd_t k = open("/dev/klog");
	TASSERT(k != ERR);
	static char buf[4096];
	struct abi_pollfd pf = { k, POLLIN, 0 };
	/* Other processes (the test runner) log too: retry until we catch a quiet moment. */
	uint64_t quiet = ERR;
	for (int i = 0; i < 20 && quiet != 0; i++) {
		while (read(k, buf, sizeof(buf)) > 0)
			;
		quiet = poll(&pf, 1, 0);
	}
	TEXPECT_EQ(quiet, 0);
	dprintf(k, "# poll-klog\n");
	TEXPECT_EQ(poll(&pf, 1, 0), 1);
	TEXPECT_EQ(pf.revents, POLLIN);
	close(k);
}

KTAP_TEST(spawn_pipe_1mib_checksum)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	char fdarg[8];
	snprintf(fdarg, sizeof(fdarg), "%llu", (unsigned long long)p[1]);
	const char *argv[] = { "/bin/tests/fs_pipe", "writer", fdarg, NULL };
	pid_t pid = spawn(argv, SPAWN_DEFAULT);
	TASSERT(pid != ERR);
	close(p[1]); /* the child holds the only write end now */

	static uint8_t buf[5000];
	uint64_t got = 0;
	uint32_t sum = 0;
	bool same = true;
	for (;;) {
		uint64_t n = read(p[0], buf, sizeof(buf));
		if (n == ERR || n == 0)
			break;
		for (uint64_t i = 0; i < n && same; i++)
			same = buf[i] == pattern(got + i);
		sum = checksum_step(sum, buf, n);
		got += n;
	}
	close(p[0]);
	TEXPECT_EQ(got, MIB);
	TEXPECT(same);
	int status = -1;
	int w = wait_pid(pid, &status);
	if (w)
		ktap_diag("wait_pid(%llu): errno %d", (unsigned long long)pid, errno);
	TEXPECT_EQ(w, 0);
	TEXPECT_EQ(status, (int)(sum & 0x7f));
}

KTAP_TEST(proc_wait_poll_and_status)
{
	const char *argv[] = { "/bin/tests/fs_pipe", "exit", "-7", NULL };
	pid_t pid = spawn(argv, SPAWN_EMPTY_FDS);
	TASSERT(pid != ERR);
	char path[40];
	snprintf(path, sizeof(path), "/proc/%llu/wait", (unsigned long long)pid);
	fd_t w = open(path);
	TASSERT(w != ERR);
	fd_t p[2];
	open2("/dev/pipe/new", p);
	/* Poll composes the wait file with a pipe. */
	struct abi_pollfd pf[2] = { { p[0], POLLIN, 0 }, { w, POLLIN, 0 } };
	TEXPECT_EQ(poll(pf, 2, 10000000000ULL), 1);
	TEXPECT_EQ(pf[1].revents, POLLIN);
	char b[16] = { 0 };
	TEXPECT_EQ(read(w, b, sizeof(b)), 2);
	TEXPECT_STREQ(b, "-7");
	TEXPECT_EQ(read(w, b, sizeof(b)), 0);
	close(w);
	close(p[0]);
	close(p[1]);
	/* A missing program: spawn works, the status is ENOENT. */
	const char *missing[] = { "/bin/no-such-program", NULL };
	pid = spawn(missing, SPAWN_DEFAULT);
	TASSERT(pid != ERR);
	int status = 0;
	TEXPECT_EQ(wait_pid(pid, &status), 0);
	TEXPECT_EQ(status, ENOENT);
	const char *dir[] = { "/bin", NULL };
	pid = spawn(dir, SPAWN_DEFAULT);
	TEXPECT_EQ(wait_pid(pid, &status), 0);
	TEXPECT_EQ(status, EISDIR);
}

KTAP_TEST(spawn_fd_inheritance_flags)
{
	fd_t extra = open("/dev/null");
	TASSERT(extra >= 3);
	char fdarg[8];
	snprintf(fdarg, sizeof(fdarg), "%llu", (unsigned long long)extra);
	const char *argv[] = { "/bin/tests/fs_pipe", "probe", fdarg, NULL };
	int status = -1;
	pid_t pid = spawn(argv, SPAWN_DEFAULT);
	TEXPECT_EQ(wait_pid(pid, &status), 0);
	TEXPECT_EQ(status, 0); /* inherited */
	pid = spawn(argv, SPAWN_STDIO_FDS);
	TEXPECT_EQ(wait_pid(pid, &status), 0);
	TEXPECT_EQ(status, EBADF);
	close(extra);
	/* SPAWN_EMPTY_CWD: relative paths from /. */
	chdir("/dev");
	const char *rel[] = { "bin/tests/fs_pipe", "exit", "3", NULL };
	pid = spawn(rel, SPAWN_EMPTY_CWD);
	TEXPECT_EQ(wait_pid(pid, &status), 0);
	TEXPECT_EQ(status, 3);
	pid = spawn(rel, SPAWN_DEFAULT); /* from /dev: missing */
	TEXPECT_EQ(wait_pid(pid, &status), 0);
	TEXPECT_EQ(status, ENOENT);
	chdir("/");
	/* SPAWN_EMPTY_NS (OUR CHOICE): the root filesystem only; /dev is the plain directory. */
	const char *ns[] = { "/bin/tests/fs_pipe", "nsprobe", NULL };
	pid = spawn(ns, SPAWN_EMPTY_NS | SPAWN_EMPTY_FDS);
	TEXPECT_EQ(wait_pid(pid, &status), 0);
	TEXPECT_EQ(status, ENOENT);
}

/* Without arguments: the tests. With one, a helper role for a child of a test. */
int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "writer") == 0)
		return child_writer((fd_t)strtoull(argv[2], NULL, 10));
	if (argc >= 4 && strcmp(argv[1], "late") == 0) {
		nanosleep((uint64_t)atoi(argv[3]) * 1000000);
		return write((fd_t)strtoull(argv[2], NULL, 10), "!", 1) == 1 ? 0 : 1;
	}
	if (argc >= 3 && strcmp(argv[1], "exit") == 0)
		return atoi(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "probe") == 0) {
		uint64_t r = seek((fd_t)strtoull(argv[2], NULL, 10), 0, SEEK_CUR);
		return r == ERR ? errno == ESPIPE ? 0 : errno : 0;
	}
	if (argc >= 2 && strcmp(argv[1], "nsprobe") == 0) {
		fd_t fd = open("/dev/null");
		return fd == ERR ? errno : 0;
	}
	/* "only NAME": run one test five times (hunting a flaky one by hand). */
	if (argc >= 3 && strcmp(argv[1], "only") == 0) {
		extern const struct ktap_case __start_ktap_tests[], __stop_ktap_tests[];
		for (int round = 0; round < 5; round++)
			for (const struct ktap_case *c = __start_ktap_tests; c < __stop_ktap_tests; c++)
				if (strcmp(c->name, argv[2]) == 0) {
					ktap_begin();
					c->fn();
					ktap_end(c->name);
				}
		return 0;
	}
	return ktap_main();
}
