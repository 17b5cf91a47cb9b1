// SPDX-License-Identifier: MIT
// proc_env: environment variables as files in /proc/<pid>/env/ (spec §8.5,
// §9.7): create, read, write, seek, truncate, list, remove, and the copy a
// child gets at SPAWN (none with SPAWN_EMPTY_ENV).
// With an argument this program is one of its own helper children.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <sys/stat.h>
#include <unistd.h>

static int set_var(const char *dir, const char *name, const char *value)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s:cwt", dir, name);
	fd_t fd = open(path);
	if (fd == ERR)
		return -1;
	uint64_t n = write(fd, value, strlen(value));
	close(fd);
	return n == strlen(value) ? 0 : -1;
}

/* The value into @buf; -1 when the variable does not exist. */
static int get_var(const char *dir, const char *name, char *buf, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd_t fd = open(path);
	if (fd == ERR)
		return -1;
	memset(buf, 0, len);
	uint64_t n = read(fd, buf, len - 1);
	close(fd);
	return n == ERR ? -1 : (int)n;
}

KTAP_TEST(create_read_write_seek)
{
	char buf[64];
	TEXPECT_EQ(set_var("/proc/self/env", "GREETING", "hello"), 0);
	TEXPECT_EQ(get_var("/proc/self/env", "GREETING", buf, sizeof(buf)), 5);
	TEXPECT_STREQ(buf, "hello");
	fd_t fd = open("/proc/self/env/GREETING:rw");
	TASSERT(fd != ERR);
	TEXPECT_EQ(seek(fd, 1, SEEK_SET), 1);
	TEXPECT_EQ(write(fd, "ipp", 3), 3);
	TEXPECT_EQ(seek(fd, 0, SEEK_END), 5);
	close(fd);
	TEXPECT_EQ(get_var("/proc/self/env", "GREETING", buf, sizeof(buf)), 5);
	TEXPECT_STREQ(buf, "hippo");
	struct abi_stat st;
	TEXPECT_EQ(stat("/proc/self/env/GREETING", &st), 0);
	TEXPECT_EQ(st.size, 5);
	TEXPECT_EQ(st.type, INODE_FILE);
	/* :t empties it. */
	fd = open("/proc/self/env/GREETING:wt");
	TASSERT(fd != ERR);
	close(fd);
	TEXPECT_EQ(get_var("/proc/self/env", "GREETING", buf, sizeof(buf)), 0);
}

KTAP_TEST(listed_and_removed)
{
	TEXPECT_EQ(set_var("/proc/self/env", "LISTME", "1"), 0);
	fd_t d = open("/proc/self/env:d");
	TASSERT(d != ERR);
	static struct abi_dirent dents[16];
	uint64_t n = getdents(d, dents, sizeof(dents));
	close(d);
	TASSERT(n != ERR);
	bool seen = false;
	for (uint64_t i = 0; i < n / sizeof(dents[0]); i++)
		seen |= strcmp(dents[i].path, "LISTME") == 0;
	TEXPECT(seen);
	TEXPECT_EQ(remove("/proc/self/env/LISTME"), 0);
	TEXPECT_ERR(open("/proc/self/env/LISTME"), ENOENT);
	TEXPECT_ERR(remove("/proc/self/env/LISTME"), ENOENT);
}

KTAP_TEST(exclusive_create_and_no_subdirectories)
{
	TEXPECT_EQ(set_var("/proc/self/env", "ONCE", "x"), 0);
	TEXPECT_ERR(open("/proc/self/env/ONCE:ce"), EEXIST);
	TEXPECT_ERR(open("/proc/self/env/SUB:cd"), EINVAL);
}

/* Child: exit 0 when /proc/self/env/INHERIT holds argv[2], 1 when absent, 2 when different. */
static int child_check(const char *want)
{
	char buf[64];
	int n = get_var("/proc/self/env", "INHERIT", buf, sizeof(buf));
	if (n < 0)
		return 1;
	return strcmp(buf, want) == 0 ? 0 : 2;
}

static int run_child(const char *want, spawn_flags_t flags)
{
	const char *argv[] = { "/bin/tests/proc_env", "child-check", want, NULL };
	pid_t pid = spawn(argv, flags);
	if (pid == ERR)
		return -100;
	int status = -1000;
	wait_pid(pid, &status);
	return status;
}

KTAP_TEST(spawn_copies_the_environment)
{
	TEXPECT_EQ(set_var("/proc/self/env", "INHERIT", "from parent"), 0);
	TEXPECT_EQ(run_child("from parent", 0), 0);
	TEXPECT_EQ(run_child("from parent", SPAWN_EMPTY_ENV), 1);
	/* A copy: the child's later changes do not reach us. */
	char buf[64];
	TEXPECT_EQ(get_var("/proc/self/env", "INHERIT", buf, sizeof(buf)), 11);
}

KTAP_TEST(suspended_child_gets_variables_before_start)
{
	const char *argv[] = { "/bin/tests/proc_env", "child-check", "set by ctl", NULL };
	pid_t pid = spawn(argv, SPAWN_SUSPEND | SPAWN_EMPTY_ENV);
	TASSERT(pid != ERR);
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%llu/env", (unsigned long long)pid);
	TEXPECT_EQ(set_var(dir, "INHERIT", "set by ctl"), 0);
	char ctl[64];
	snprintf(ctl, sizeof(ctl), "/proc/%llu/ctl", (unsigned long long)pid);
	fd_t c = open(ctl);
	TASSERT(c != ERR);
	TEXPECT_EQ(write(c, "start", 5), 5);
	close(c);
	int status = -1000;
	wait_pid(pid, &status);
	TEXPECT_EQ(status, 0);
}

KTAP_TEST(libc_getenv_setenv_unsetenv)
{
	TEXPECT_EQ(setenv("LIBC_VAR", "one", 1), 0);
	TEXPECT_STREQ(getenv("LIBC_VAR"), "one");
	TEXPECT_EQ(setenv("LIBC_VAR", "two", 0), 0); /* kept: no overwrite */
	TEXPECT_STREQ(getenv("LIBC_VAR"), "one");
	TEXPECT_EQ(setenv("LIBC_VAR", "three", 1), 0);
	TEXPECT_STREQ(getenv("LIBC_VAR"), "three");
	TEXPECT_EQ(unsetenv("LIBC_VAR"), 0);
	TEXPECT(getenv("LIBC_VAR") == NULL);
	TEXPECT_EQ(setenv("BAD=NAME", "x", 1), -1);
	TEXPECT_EQ(errno, EINVAL);
}

/* Child: write a line on fd 1 (rearranged by the parent before start). */
static int child_say(void)
{
	return write(1, "said", 4) == 4 ? 0 : 1;
}

KTAP_TEST(libc_spawn_with_fds)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	const char *argv[] = { "/bin/tests/proc_env", "child-say", NULL };
	pid_t pid = spawn_with_fds(argv, FD_NONE, p[1], FD_NONE);
	TASSERT(pid != ERR);
	close(p[1]);
	char buf[8] = { 0 };
	TEXPECT_EQ(read(p[0], buf, sizeof(buf) - 1), 4);
	TEXPECT_STREQ(buf, "said");
	int status = -1;
	TEXPECT_EQ(wait_pid(pid, &status), 0);
	TEXPECT_EQ(status, 0);
	close(p[0]);
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "child-check") == 0)
		return child_check(argv[2]);
	if (argc > 1 && strcmp(argv[1], "child-say") == 0)
		return child_say();
	return ktap_main();
}
