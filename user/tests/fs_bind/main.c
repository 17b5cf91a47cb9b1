// SPDX-License-Identifier: MIT
// fs_bind: SYS_BIND (spec §7 number 32) and namespaces: what a binding shows,
// who sees it (children spawned after it, before it, with propagation),
// read-only bindings, and every error of the OUR CHOICE order.
// With an argument this program is one of its own helper children.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void make_file(const char *path, const char *text)
{
	char p[128];
	snprintf(p, sizeof(p), "%s:cwt", path);
	fd_t fd = open(p);
	if (fd != ERR) {
		write(fd, text, strlen(text));
		close(fd);
	}
}

static void make_dir(const char *path)
{
	char p[128];
	snprintf(p, sizeof(p), "%s:cd", path);
	fd_t fd = open(p);
	if (fd != ERR)
		close(fd);
}

/* 0 when @path reads exactly @want, 1 when it cannot be opened, 2 when it differs. */
static int check_file(const char *path, const char *want)
{
	fd_t fd = open(path);
	if (fd == ERR)
		return 1;
	char got[64] = { 0 };
	read(fd, got, sizeof(got) - 1);
	close(fd);
	return strcmp(got, want) == 0 ? 0 : 2;
}

static pid_t spawn_checker(const char *path, const char *want, spawn_flags_t flags)
{
	const char *argv[] = { "/bin/tests/fs_bind", "child-check", path, want, NULL };
	return spawn(argv, flags);
}

static int start_and_wait(pid_t pid, bool start)
{
	if (start) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%llu/ctl", (unsigned long long)pid);
		fd_t c = open(p);
		if (c == ERR || write(c, "start", 5) != 5)
			return -100;
		close(c);
	}
	int status = -1000;
	if (wait_pid(pid, &status) != 0)
		return -1001;
	return status;
}

KTAP_TEST(binding_shows_the_source)
{
	make_dir("/tmp/b1src");
	make_file("/tmp/b1src/file", "from src");
	make_dir("/tmp/b1mnt");
	make_file("/tmp/b1mnt/file", "hidden");
	fd_t d = open("/tmp/b1src:d");
	TASSERT(d != ERR);
	TEXPECT_EQ(bind(d, "/tmp/b1mnt", 0), 0);
	TEXPECT_EQ(check_file("/tmp/b1mnt/file", "from src"), 0);
	/* The source itself is unchanged, and the hidden entry is only hidden. */
	TEXPECT_EQ(check_file("/tmp/b1src/file", "from src"), 0);
	close(d);
}

KTAP_TEST(children_after_see_it_children_before_do_not)
{
	make_dir("/tmp/b2src");
	make_file("/tmp/b2src/file", "bound");
	make_dir("/tmp/b2mnt");
	pid_t before = spawn_checker("/tmp/b2mnt/file", "bound", SPAWN_SUSPEND);
	TASSERT(before != ERR);
	fd_t d = open("/tmp/b2src:d");
	TASSERT(d != ERR);
	TEXPECT_EQ(bind(d, "/tmp/b2mnt", 0), 0);
	pid_t after = spawn_checker("/tmp/b2mnt/file", "bound", 0);
	TASSERT(after != ERR);
	TEXPECT_EQ(start_and_wait(after, false), 0);
	TEXPECT_EQ(start_and_wait(before, true), 1); /* its namespace was copied before the binding */
	close(d);
}

KTAP_TEST(propagate_children_reaches_existing_children)
{
	make_dir("/tmp/b3src");
	make_file("/tmp/b3src/file", "shared");
	make_dir("/tmp/b3mnt");
	pid_t before = spawn_checker("/tmp/b3mnt/file", "shared", SPAWN_SUSPEND);
	TASSERT(before != ERR);
	fd_t d = open("/tmp/b3src:d");
	TASSERT(d != ERR);
	TEXPECT_EQ(bind(d, "/tmp/b3mnt", MOUNT_PROPAGATE_CHILDREN), 0);
	TEXPECT_EQ(start_and_wait(before, true), 0);
	close(d);
}

KTAP_TEST(read_only_binding_refuses_writes_and_removes)
{
	make_dir("/tmp/b4src");
	make_file("/tmp/b4src/file", "ro");
	make_dir("/tmp/b4ro");
	fd_t d = open("/tmp/b4src:dr");
	TASSERT(d != ERR);
	TEXPECT_EQ(bind(d, "/tmp/b4ro", 0), 0);
	TEXPECT_EQ(check_file("/tmp/b4ro/file", "ro"), 0);
	TEXPECT_ERR(open("/tmp/b4ro/file:w"), EACCES);
	TEXPECT_ERR(remove("/tmp/b4ro/file"), EACCES);
	TEXPECT_ERR(open("/tmp/b4ro/new:cw"), EACCES);
	close(d);
}

/*
 * Truncation needs no write request (spec §5.3, kept from PW), but a
 * read-only view must not empty the files it shows: the fuzzer truncated
 * /bin/true through a file bound from a ":r" descriptor.
 */
KTAP_TEST(read_only_binding_refuses_truncate)
{
	make_dir("/tmp/b5src");
	make_file("/tmp/b5src/file", "abc");
	make_dir("/tmp/b5ro");
	make_file("/tmp/b5spot", "x");
	fd_t d = open("/tmp/b5src:dr");
	fd_t f = open("/tmp/b5src/file:r");
	TASSERT(d != ERR && f != ERR);
	TEXPECT_EQ(bind(d, "/tmp/b5ro", 0), 0);
	TEXPECT_EQ(bind(f, "/tmp/b5spot", 0), 0);
	TEXPECT_ERR(open("/tmp/b5ro/file:t"), EACCES);
	TEXPECT_ERR(open("/tmp/b5ro/file:rt"), EACCES);
	TEXPECT_ERR(open("/tmp/b5spot:t"), EACCES);
	struct abi_stat st;
	TEXPECT_EQ(stat("/tmp/b5src/file", &st), 0);
	TEXPECT_EQ(st.size, 3);
	/* Where the mount allows writing, truncation without a write request still works. */
	fd_t t = open("/tmp/b5src/file:rt");
	TEXPECT(t != ERR);
	TEXPECT_EQ(stat("/tmp/b5src/file", &st), 0);
	TEXPECT_EQ(st.size, 0);
	close(t);
	close(f);
	close(d);
}

KTAP_TEST(errors_in_order)
{
	make_dir("/tmp/b5src");
	make_dir("/tmp/b5mnt");
	make_file("/tmp/b5file", "f");
	fd_t d = open("/tmp/b5src:d");
	TASSERT(d != ERR);
	fd_t f = open("/tmp/b5file");
	TASSERT(f != ERR);
	TEXPECT_ERR(bind(d, NULL, 0), EINVAL);
	TEXPECT_ERR(bind(d, "/tmp/b5mnt", 8), EINVAL);
	TEXPECT_ERR(bind(99, NULL, 0), EINVAL);           /* the NULL check comes first */
	TEXPECT_ERR(bind(d, "/tmp/b5mnt:bogus!", 0), EBADFLAG);
	TEXPECT_ERR(bind(99, "/tmp/b5mnt", 0), EBADF);
	TEXPECT_ERR(bind(d, "/tmp/b5missing", 0), ENOENT);
	TEXPECT_ERR(bind(d, "/tmp/b5file", 0), ENOTDIR);  /* directory onto a file */
	TEXPECT_ERR(bind(f, "/tmp/b5mnt", 0), EISDIR);    /* file onto a directory */
	TEXPECT_ERR(bind(d, (const char *)0xFFFFFFFF80000000ULL, 0), EFAULT);
	TEXPECT_EQ(bind(d, "/tmp/b5mnt", 0), 0);
	TEXPECT_ERR(bind(d, "/tmp/b5mnt", 0), EBUSY);
	close(f);
	close(d);
}

KTAP_TEST(overwrite_replaces_a_binding)
{
	make_dir("/tmp/b6a");
	make_file("/tmp/b6a/file", "first");
	make_dir("/tmp/b6b");
	make_file("/tmp/b6b/file", "second");
	make_dir("/tmp/b6mnt");
	fd_t a = open("/tmp/b6a:d"), b = open("/tmp/b6b:d");
	TASSERT(a != ERR && b != ERR);
	TEXPECT_EQ(bind(a, "/tmp/b6mnt", 0), 0);
	TEXPECT_EQ(check_file("/tmp/b6mnt/file", "first"), 0);
	TEXPECT_ERR(bind(b, "/tmp/b6mnt", 0), EBUSY);
	TEXPECT_EQ(bind(b, "/tmp/b6mnt", MOUNT_OVERWRITE), 0);
	TEXPECT_EQ(check_file("/tmp/b6mnt/file", "second"), 0);
	close(a);
	close(b);
}

KTAP_TEST(flags_upper_bits_ignored)
{
	make_dir("/tmp/b7src");
	make_dir("/tmp/b7mnt");
	fd_t d = open("/tmp/b7src:d");
	TASSERT(d != ERR);
	TEXPECT_EQ(syscall3(SYS_BIND, d, (uint64_t)"/tmp/b7mnt", 0xABCD000000000000ULL), 0);
	close(d);
}

int main(int argc, char **argv)
{
	if (argc > 3 && strcmp(argv[1], "child-check") == 0)
		return check_file(argv[2], argv[3]);
	return ktap_main();
}
