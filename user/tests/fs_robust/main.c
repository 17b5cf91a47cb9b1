// SPDX-License-Identifier: MIT
// fs_robust: what a program can pile up must not take the kernel down
// (issue 13, defect 1): a chain of 2,000 nested directories removed in one
// recursive REMOVE, and a line of 1,000 process generations, each spawning
// the next and exiting, whose namespaces must go with their processes
// (while each keeps the bindings it copied from its parent). The runner's leak
// check after this program (namespaces, mounts, inodes, pages) proves that
// everything came back.
// With arguments this program is one generation of the line ("gen N FD").
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

enum { DEPTH = 2000, GENERATIONS = 1000 };

static void make_dir(const char *path)
{
	char p[128];
	snprintf(p, sizeof(p), "%s:cd", path);
	fd_t fd = open(p);
	if (fd != ERR)
		close(fd);
}

KTAP_TEST(deep_directory_chain_is_removed)
{
	remove("/tmp/robust-deep:dR");
	make_dir("/tmp/robust-deep");
	TASSERT(chdir("/tmp/robust-deep") == 0);
	int made = 0;
	for (; made < DEPTH; made++) {
		fd_t fd = open("d:cd");
		if (fd == ERR)
			break;
		close(fd);
		if (chdir("d") != 0)
			break;
	}
	TEXPECT_EQ(made, DEPTH);
	/* A file at the bottom too, so that the walk meets both kinds. */
	fd_t f = open("leaf:c");
	TEXPECT(f != ERR);
	close(f);
	TASSERT(chdir("/tmp") == 0);
	/*
	 * A recursive listing goes down as far as its 256-byte paths reach:
	 * ".", "..", then "d", "d/d", ... up to 255 characters, 128 names.
	 */
	fd_t dir = open("/tmp/robust-deep:dR");
	TASSERT(dir != ERR);
	static struct abi_dirent d[32];
	uint64_t records = 0;
	for (;;) {
		uint64_t n = getdents(dir, d, sizeof(d));
		TASSERT(n != ERR);
		if (n == 0)
			break;
		records += n / sizeof(d[0]);
	}
	close(dir);
	TEXPECT_EQ(records, 130);
	/* Not empty: refused without recursion; then the whole chain goes in one call. */
	TEXPECT_ERR(remove("/tmp/robust-deep:d"), ENOTEMPTY);
	TEXPECT_EQ(remove("/tmp/robust-deep:dR"), 0);
	struct abi_stat st;
	TEXPECT_ERR(stat("/tmp/robust-deep", &st), ENOENT);
}

/* Entries of /proc: self, the kernel and every process not yet reaped. */
static int count_proc_entries(void)
{
	static struct abi_dirent d[64];
	fd_t fd = open("/proc:d");
	if (fd == ERR)
		return -1;
	int total = 0;
	for (;;) {
		uint64_t n = getdents(fd, d, sizeof(d));
		if (n == ERR || n == 0)
			break;
		total += (int)(n / sizeof(d[0]));
	}
	close(fd);
	return total;
}

/* One generation: the next one, or (the last) check the namespace and report through @fd. */
static int generation(long n, fd_t fd)
{
	if (n > 0) {
		char num[24], fds[24];
		snprintf(num, sizeof(num), "%ld", n - 1);
		snprintf(fds, sizeof(fds), "%llu", (unsigned long long)fd);
		const char *argv[] = { "/bin/tests/fs_robust", "gen", num, fds, NULL };
		return spawn(argv, 0) == ERR ? 10 : 0; /* and exit: the line goes on without us */
	}
	/* The youngest: the first generation's binding came down by copy through every one. */
	char got[16] = { 0 };
	fd_t in = open("/tmp/robust-gen-mnt/file");
	if (in != ERR) {
		read(in, got, sizeof(got) - 1);
		close(in);
	}
	const char *msg = strcmp(got, "gen") == 0 ? "ok\n" : "copy lost\n";
	write(fd, msg, strlen(msg));
	return 0;
}

KTAP_TEST(generation_line_leaves_nothing_behind)
{
	make_dir("/tmp/robust-gen-src");
	make_dir("/tmp/robust-gen-mnt");
	fd_t w = open("/tmp/robust-gen-src/file:cwt");
	TASSERT(w != ERR);
	write(w, "gen", 3);
	close(w);
	fd_t src = open("/tmp/robust-gen-src:d");
	TASSERT(src != ERR);
	TEXPECT_EQ(bind(src, "/tmp/robust-gen-mnt", 0), 0);
	close(src);

	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	char num[24], fds[24];
	snprintf(num, sizeof(num), "%d", GENERATIONS - 1);
	snprintf(fds, sizeof(fds), "%llu", (unsigned long long)p[1]);
	const char *argv[] = { "/bin/tests/fs_robust", "gen", num, fds, NULL };
	/* Suspended until its wait file is open: it ends long before the line does, and may be reaped. */
	pid_t first = spawn(argv, SPAWN_SUSPEND);
	TASSERT(first != ERR);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%llu/wait", (unsigned long long)first);
	fd_t wait = open(path);
	snprintf(path, sizeof(path), "/proc/%llu/ctl", (unsigned long long)first);
	fd_t ctl = open(path);
	TEXPECT(wait != ERR && ctl != ERR);
	TEXPECT_EQ(write(ctl, "start", 5), 5);
	close(ctl);
	close(p[1]);
	/* Every generation holds the write end until it ends: end-of-file means the whole line is gone. */
	char buf[64] = { 0 };
	size_t len = 0;
	for (;;) {
		uint64_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n == ERR || n == 0)
			break;
		len += n;
	}
	close(p[0]);
	TEXPECT_STREQ(buf, "ok\n");
	char status[16] = { 0 };
	TEXPECT(read(wait, status, sizeof(status) - 1) > 0);
	TEXPECT_STREQ(status, "0");
	close(wait);
	remove("/tmp/robust-gen-src:dR");
	/*
	 * Ended processes stay in /proc for a second: wait until the reaper has
	 * taken the line (the process count is back to a handful), so that the
	 * programs after this one see an ordinary /proc.
	 */
	int listed = 0;
	for (int tries = 0; tries < 300; tries++) {
		listed = count_proc_entries();
		if (listed < 64)
			break;
		nanosleep(100 * 1000000ull);
	}
	TEXPECT(listed < 64);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return generation(strtol(argv[2], NULL, 10), (fd_t)strtol(argv[3], NULL, 10));
	return ktap_main();
}
