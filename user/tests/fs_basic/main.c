// SPDX-License-Identifier: MIT
// fs_basic: OPEN, OPENAT, CLOSE, READ, WRITE, SEEK, IOCTL, CHDIR, STAT,
// GETDENTS, DUP, DUP2, REMOVE and LINK on the RAM root and /dev, with the
// probes of spec §7 (numbers 9-16, 18, 22, 25, 26, 28, 29, 33) and §5.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A fresh directory per test, under /tmp. */
static char dir[64];
static int seq;

static const char *mkpath(char *buf, const char *name)
{
	snprintf(buf, 200, "%s/%s", dir, name);
	return buf;
}

static void fresh_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fsb%d", ++seq);
	char p[80];
	snprintf(p, sizeof(p), "%s:cd", dir);
	fd_t fd = open(p);
	if (fd != ERR)
		close(fd);
}

static fd_t openf(const char *name, const char *flags)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s%s", dir, name, flags);
	return open(p);
}

KTAP_TEST(open_missing_is_enoent)
{
	fresh_dir();
	TEXPECT_ERR(openf("nothing", ""), ENOENT);
	TEXPECT_ERR(open("/tmp/nodir/x:c"), ENOENT);
}

KTAP_TEST(create_exclusive_truncate)
{
	fresh_dir();
	fd_t fd = openf("f", ":c");
	TASSERT(fd != ERR);
	TEXPECT_EQ(write(fd, "hello", 5), 5);
	close(fd);
	TEXPECT_ERR(openf("f", ":ce"), EEXIST);
	fd = openf("g", ":cte");
	TEXPECT(fd != ERR);
	close(fd);
	fd = openf("f", ":c");
	TEXPECT(fd != ERR);
	close(fd);
	struct abi_stat st;
	char p[200];
	TEXPECT_EQ(stat(mkpath(p, "f"), &st), 0);
	TEXPECT_EQ(st.size, 5);
	fd = openf("f", ":t");
	TEXPECT(fd != ERR);
	close(fd);
	TEXPECT_EQ(stat(mkpath(p, "f"), &st), 0);
	TEXPECT_EQ(st.size, 0);
}

KTAP_TEST(directory_flag_rules)
{
	fresh_dir();
	fd_t fd = openf("f", ":c");
	close(fd);
	TEXPECT_ERR(open(dir), EISDIR);
	char p[128];
	snprintf(p, sizeof(p), "%s:d", dir);
	fd = open(p);
	TEXPECT(fd != ERR);
	close(fd);
	TEXPECT_ERR(openf("f", ":d"), ENOTDIR);
	TEXPECT_ERR(open(""), EISDIR);
	TEXPECT_ERR(open("/"), EISDIR);
	fd = open("/:d");
	TEXPECT(fd != ERR);
	close(fd);
	fd = openf("sub", ":cd");
	TEXPECT(fd != ERR);
	close(fd);
	struct abi_stat st;
	char q[200];
	TEXPECT_EQ(stat(mkpath(q, "sub"), &st), 0);
	TEXPECT_EQ(st.type, INODE_DIR);
}

KTAP_TEST(path_syntax_errors)
{
	fresh_dir();
	TEXPECT_ERR(openf("f", ":zz"), EBADFLAG);
	TEXPECT_ERR(openf("f", ":READ"), EBADFLAG); /* ":Read" is R+e+a+d, valid by the §5.1 grammar */
	fd_t fd = openf("f", ":c");
	TEXPECT(fd != ERR);
	close(fd);
	fd = openf("f", ":");
	TEXPECT(fd != ERR);
	close(fd);
	fd = openf("f", "::r");
	TEXPECT(fd != ERR);
	close(fd);
	TEXPECT_ERR(open("/tmp/a*b"), EINVAL);
	TEXPECT_ERR(open(NULL), EINVAL);
	char name31[40], name32[40];
	memset(name31, 'n', 31);
	name31[31] = 0;
	memset(name32, 'n', 32);
	name32[32] = 0;
	fd = openf(name31, ":c");
	TEXPECT(fd != ERR);
	close(fd);
	TEXPECT_ERR(openf(name32, ":c"), ENAMETOOLONG);
	/* 255 characters are a path, 256 are too long. */
	char longp[300];
	memset(longp, '/', sizeof(longp));
	memcpy(longp, "/tmp", 4);
	longp[255] = 0;
	TEXPECT_ERR(open(longp), EISDIR); /* "/tmp////...": the directory */
	longp[255] = '/';
	longp[256] = 0;
	TEXPECT_ERR(open(longp), ENAMETOOLONG);
}

KTAP_TEST(dot_and_dotdot)
{
	fresh_dir();
	fd_t fd = openf("f", ":c");
	TEXPECT_EQ(write(fd, "xy", 2), 2);
	close(fd);
	char p[200];
	snprintf(p, sizeof(p), "/tmp/../tmp/./fsb%d/f", seq);
	fd = open(p);
	TEXPECT(fd != ERR);
	char b[4];
	TEXPECT_EQ(read(fd, b, 4), 2);
	close(fd);
	/* /dev/.. is / (the parent of the mount point), and ".." at / stays at /. */
	struct abi_stat a, r;
	TEXPECT_EQ(stat("/dev/..", &a), 0);
	TEXPECT_EQ(stat("/", &r), 0);
	TEXPECT_EQ(a.number, r.number);
	TEXPECT_EQ(stat("/../..", &a), 0);
	TEXPECT_EQ(a.number, r.number);
	TEXPECT_STREQ(r.name, "__root__");
	TEXPECT_EQ(stat("/dev", &a), 0);
	TEXPECT_STREQ(a.name, "__root__");
	/* A file in the middle of a path is ENOENT; a trailing slash is ignored. */
	TEXPECT_ERR(stat(mkpath(p, "f/x"), &a), ENOENT);
	TEXPECT_EQ(stat(mkpath(p, "f/"), &a), 0);
	TEXPECT_EQ(a.size, 2);
}

KTAP_TEST(emfile_and_lowest_free)
{
	fd_t fds[64];
	int n = 0;
	for (;;) {
		fd_t fd = open("/dev/null");
		if (fd == ERR)
			break;
		fds[n++] = fd;
	}
	TEXPECT_EQ(errno, EMFILE);
	/* Slots 0-2 were already in use (stdio): 61 more fit. */
	TEXPECT_EQ(n, 61);
	TEXPECT_ERR(dup(0), EMFILE);
	close(fds[5]);
	fd_t again = open("/dev/null");
	TEXPECT_EQ(again, fds[5]);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

KTAP_TEST(read_write_seek)
{
	fresh_dir();
	fd_t fd = openf("f", ":c");
	TASSERT(fd != ERR);
	TEXPECT_EQ(write(fd, "abc", 3), 3);
	char b[16];
	TEXPECT_EQ(read(fd, b, 10), 0); /* at the end */
	TEXPECT_EQ(seek(fd, 0, SEEK_SET), 0);
	TEXPECT_EQ(read(fd, b, 10), 3);
	TEXPECT(memcmp(b, "abc", 3) == 0);
	TEXPECT_EQ(seek(fd, 0, SEEK_END), 3);
	TEXPECT_EQ(seek(fd, 2, SEEK_SET), 2);
	TEXPECT_EQ(seek(fd, 0, SEEK_CUR), 2);
	TEXPECT_ERR(seek(fd, -1, SEEK_SET), EINVAL);
	TEXPECT_ERR(seek(fd, -5, SEEK_END), EINVAL);
	TEXPECT_ERR(seek(fd, 0, 3), EINVAL);
	TEXPECT_EQ(seek(fd, 2, SEEK_SET), 2);
	/* Only the low 8 bits of the origin count (spec §2.2). */
	TEXPECT_EQ(syscall3(SYS_SEEK, fd, 1, 0x100), 1);
	close(fd);
	/* Sparse growth: a write at 10 leaves zeros before it. */
	fd = openf("sparse", ":c");
	TEXPECT_EQ(seek(fd, 10, SEEK_SET), 10);
	TEXPECT_EQ(write(fd, "xyz", 3), 3);
	struct abi_stat st;
	char p[200];
	TEXPECT_EQ(stat(mkpath(p, "sparse"), &st), 0);
	TEXPECT_EQ(st.size, 13);
	seek(fd, 0, SEEK_SET);
	memset(b, 1, sizeof(b));
	TEXPECT_EQ(read(fd, b, 16), 13);
	int zeros = 0;
	for (int i = 0; i < 10; i++)
		zeros += b[i] == 0;
	TEXPECT_EQ(zeros, 10);
	/* A far hole costs nothing and reads as zeros. */
	TEXPECT_EQ(seek(fd, 1LL << 40, SEEK_SET), 1LL << 40);
	TEXPECT_EQ(write(fd, "!", 1), 1);
	TEXPECT_EQ(seek(fd, (1LL << 40) - 4, SEEK_SET), (1LL << 40) - 4);
	TEXPECT_EQ(read(fd, b, 8), 5);
	TEXPECT(b[0] == 0 && b[3] == 0 && b[4] == '!');
	close(fd);
}

KTAP_TEST(append_and_permissions)
{
	fresh_dir();
	fd_t fd = openf("f", ":ca");
	TASSERT(fd != ERR);
	TEXPECT_EQ(write(fd, "ab", 2), 2);
	TEXPECT_EQ(write(fd, "cd", 2), 2);
	char b[8];
	TEXPECT_ERR(read(fd, b, 4), EBADF); /* append files are unreadable (PW) */
	close(fd);
	fd = openf("f", ":r");
	TEXPECT_EQ(read(fd, b, 8), 4);
	TEXPECT(memcmp(b, "abcd", 4) == 0);
	TEXPECT_ERR(write(fd, "x", 1), EBADF);
	close(fd);
	fd = openf("f", ":w");
	TEXPECT_ERR(read(fd, b, 1), EBADF);
	close(fd);
	TEXPECT_ERR(read(99, NULL, 5), EBADF);
	fd = openf("f", "");
	TEXPECT_ERR(read(fd, NULL, 5), EINVAL);
	TEXPECT_EQ(read(fd, NULL, 0), 0);
	TEXPECT_EQ(write(fd, NULL, 0), 0);
	TEXPECT_ERR(read(fd, b, UINT64_MAX), EOVERFLOW);
	close(fd);
	char p[80];
	snprintf(p, sizeof(p), "%s:d", dir);
	fd = open(p);
	TEXPECT_ERR(read(fd, b, 1), EISDIR);
	TEXPECT_ERR(write(fd, b, 1), EISDIR);
	close(fd);
}

KTAP_TEST(devices)
{
	char b[8];
	fd_t fd = open("/dev/null");
	TEXPECT_EQ(read(fd, b, 8), 0);
	TEXPECT_EQ(write(fd, "abc", 3), 3);
	TEXPECT_ERR(seek(fd, 0, SEEK_SET), ESPIPE);
	TEXPECT_ERR(ioctl(fd, 1, NULL, 0), ENOTTY);
	TEXPECT_ERR(ioctl(fd, 1, NULL, 8), EINVAL);
	struct abi_pollfd pfd = { fd, POLLIN, 0 };
	TEXPECT_ERR(poll(&pfd, 1, 0), ENOSYS);
	close(fd);
	fd = open("/dev/zero");
	memset(b, 7, sizeof(b));
	TEXPECT_EQ(read(fd, b, 8), 8);
	TEXPECT(b[0] == 0 && b[7] == 0);
	TEXPECT_ERR(write(fd, b, 1), ENOSYS);
	close(fd);
	fd = open("/dev/one");
	TEXPECT_EQ(read(fd, b, 8), 8);
	TEXPECT((unsigned char)b[0] == 0xFF && (unsigned char)b[7] == 0xFF);
	close(fd);
	TEXPECT_ERR(open("/dev/newfile:c"), ENOSYS);
	TEXPECT_ERR(remove("/dev/null"), ENOSYS);
	TEXPECT_ERR(ioctl(99, 0, NULL, 0), EBADF);
	fd = open("/dev:d");
	TEXPECT_ERR(ioctl(fd, 0, NULL, 0), EISDIR);
	close(fd);
	/* klog: what we write can be read back from the ring. */
	fd = open("/dev/klog");
	TEXPECT_EQ(write(fd, "# klog-marker-xyzzy\n", 20), 20);
	TEXPECT_ERR(seek(fd, 0, SEEK_SET), ESPIPE);
	static char ring[70000];
	uint64_t n = read(fd, ring, sizeof(ring) - 1);
	TEXPECT(n != ERR && n > 0);
	ring[n == ERR ? 0 : n] = 0;
	TEXPECT(strstr(ring, "klog-marker-xyzzy") != NULL);
	close(fd);
}

/* /dev/power takes two exact words; anything else must be refused before the machine is touched. */
KTAP_TEST(dev_power_refuses_other_words)
{
	fd_t fd = open("/dev/power");
	TEXPECT(fd != ERR);
	char text[64];
	uint64_t n = read(fd, text, sizeof(text) - 1);
	TEXPECT(n != ERR && n > 0);
	text[n == ERR ? 0 : n] = 0;
	TEXPECT(strstr(text, "reboot\n") != NULL);
	TEXPECT_ERR(write(fd, "reboo", 5), EINVAL);
	TEXPECT_ERR(write(fd, "rebootx", 7), EINVAL);
	TEXPECT_ERR(write(fd, "poweroff\n\n", 10), EINVAL);
	TEXPECT_ERR(write(fd, "", 0), EINVAL);
	TEXPECT_ERR(write(fd, "poweroff-and-then-some-more", 27), EINVAL);
	TEXPECT_ERR(write(fd, (const void *)8, 6), EFAULT);
	close(fd);
}

/* The console's foreground (ours): the pids a typed Ctrl-C interrupts, written and read as text. */
static void read_fg(char *text, size_t size)
{
	/* A fresh open reads from the start (device files do not seek). */
	fd_t fd = open("/dev/console_fg");
	uint64_t n = fd == ERR ? ERR : read(fd, text, size - 1);
	text[n == ERR ? 0 : n] = 0;
	if (fd != ERR)
		close(fd);
}

KTAP_TEST(console_fg_names_processes_and_refuses_garbage)
{
	fd_t fd = open("/dev/console_fg");
	TEXPECT(fd != ERR);
	char text[256];
	TEXPECT_EQ(write(fd, "12 7\n3", 6), 6);
	read_fg(text, sizeof(text));
	TEXPECT_STREQ(text, "12 7 3\n");
	/* Anything but pids and blanks, too many pids, too long, a bad pointer: refused, nothing changed. */
	TEXPECT_ERR(write(fd, "12 x", 4), EINVAL);
	TEXPECT_ERR(write(fd, "-1", 2), EINVAL);
	TEXPECT_ERR(write(fd, "99999999999999999999999", 23), EINVAL);
	TEXPECT_ERR(write(fd, "1 2 3 4 5 6 7 8 9", 17), EINVAL);
	static char big[4096];
	memset(big, ' ', sizeof(big));
	TEXPECT_ERR(write(fd, big, sizeof(big)), EINVAL);
	TEXPECT_ERR(write(fd, (const void *)8, 4), EFAULT);
	read_fg(text, sizeof(text));
	TEXPECT_STREQ(text, "12 7 3\n");
	/* Blanks only: none (Ctrl-C is an input byte again). */
	TEXPECT_EQ(write(fd, " \n", 2), 2);
	read_fg(text, sizeof(text));
	TEXPECT_STREQ(text, "\n");
	close(fd);
}

KTAP_TEST(chdir_and_openat)
{
	fresh_dir();
	TEXPECT_EQ(chdir(dir), 0);
	fd_t fd = open("x:c");
	TEXPECT(fd != ERR);
	close(fd);
	char p[200];
	struct abi_stat st;
	TEXPECT_EQ(stat(mkpath(p, "x"), &st), 0);
	TEXPECT_ERR(chdir(mkpath(p, "x")), ENOTDIR);
	TEXPECT_ERR(chdir(mkpath(p, "missing")), ENOENT);
	fd = open("/proc/self/cwd");
	char cwd[256];
	uint64_t n = read(fd, cwd, sizeof(cwd) - 1);
	TEXPECT(n != ERR);
	cwd[n == ERR ? 0 : n] = 0;
	TEXPECT_STREQ(cwd, dir);
	close(fd);
	fd_t d = open(":d"); /* the working directory */
	TEXPECT(d != ERR);
	TEXPECT_EQ(chdir("/"), 0);
	TEXPECT_EQ(chdir(".."), 0);
	TEXPECT_EQ(stat(".", &st), 0);
	TEXPECT_STREQ(st.name, "__root__");
	fd = openat(d, "x");
	TEXPECT(fd != ERR);
	close(fd);
	TEXPECT_ERR(openat(99, "x"), EBADF);
	TEXPECT_ERR(openat(99, NULL), EBADF);
	fd = openat(FD_NONE, "tmp:d");
	TEXPECT(fd != ERR);
	close(fd);
	fd = openat(d, "/tmp:d");
	TEXPECT(fd != ERR);
	close(fd);
	fd = openat(d, "..:d");
	TEXPECT(fd != ERR);
	close(fd);
	fd_t f = openat(d, "x");
	TEXPECT_ERR(openat(f, "y"), ENOENT);
	close(f);
	close(d);
	TEXPECT_EQ(chdir("/dev"), 0);
	fd = open("null");
	TEXPECT(fd != ERR);
	close(fd);
	chdir("/");
}

KTAP_TEST(stat_fields)
{
	fresh_dir();
	fd_t fd = openf("f", ":c");
	write(fd, "abc", 3);
	close(fd);
	char p[200];
	struct abi_stat st;
	TEXPECT_EQ(stat(mkpath(p, "f"), &st), 0);
	TEXPECT_EQ(st.type, INODE_FILE);
	TEXPECT_EQ(st.size, 3);
	TEXPECT_EQ(st.link_amount, 1);
	TEXPECT_STREQ(st.name, "f");
	snprintf(p, sizeof(p), "%s/f:r", dir);
	TEXPECT_ERR(stat(p, &st), EBADFLAG);
	TEXPECT_ERR(stat(mkpath(p, "nope"), &st), ENOENT);
	TEXPECT_ERR(stat(mkpath(p, "f"), NULL), EINVAL);
	TEXPECT_EQ(stat("/proc/self", &st), 0);
	char pid[24];
	snprintf(pid, sizeof(pid), "%llu", (unsigned long long)getpid());
	TEXPECT_STREQ(st.name, pid);
}

static uint64_t dents(fd_t fd, struct abi_dirent *buf, int max)
{
	return getdents(fd, buf, (uint64_t)max * sizeof(*buf));
}

KTAP_TEST(getdents_order_and_recursion)
{
	static struct abi_dirent d[16];
	fresh_dir();
	fd_t fd = openf("", ":d");
	TASSERT(fd != ERR);
	TEXPECT_EQ(dents(fd, d, 16), 2 * sizeof(d[0]));
	TEXPECT_STREQ(d[0].path, ".");
	TEXPECT_STREQ(d[1].path, "..");
	close(openf("a", ":c"));
	close(openf("b", ":c"));
	close(openf("c", ":c"));
	TEXPECT_EQ(seek(fd, 0, SEEK_SET), 0);
	TEXPECT_EQ(dents(fd, d, 16), 5 * sizeof(d[0]));
	TEXPECT_STREQ(d[2].path, "a");
	TEXPECT_STREQ(d[3].path, "b");
	TEXPECT_STREQ(d[4].path, "c");
	TEXPECT_EQ(dents(fd, d, 16), 0);
	seek(fd, 0, SEEK_SET);
	int records = 0;
	while (getdents(fd, d, sizeof(d[0])) == sizeof(d[0]))
		records++;
	TEXPECT_EQ(records, 5);
	TEXPECT_ERR(getdents(fd, d, 100), EINVAL);
	TEXPECT_EQ(getdents(fd, NULL, 0), 0);
	close(fd);
	/* d/{x, s/{y}} recursively: . .. x s s/y */
	close(openf("d", ":cd"));
	close(openf("d/x", ":c"));
	close(openf("d/s", ":cd"));
	close(openf("d/s/y", ":c"));
	fd = openf("d", ":dR");
	TEXPECT_EQ(dents(fd, d, 16), 5 * sizeof(d[0]));
	TEXPECT_STREQ(d[2].path, "x");
	TEXPECT_STREQ(d[3].path, "s");
	TEXPECT_EQ(d[3].type, INODE_DIR);
	TEXPECT_STREQ(d[4].path, "s/y");
	close(fd);
	fd = openf("d/x", "");
	TEXPECT_ERR(getdents(fd, d, sizeof(d)), ENOTDIR);
	close(fd);
	/* A removed directory reports ENOENT (OUR CHOICE). */
	fd = openf("d/s", ":d");
	char p[200];
	snprintf(p, sizeof(p), "%s/d/s:dR", dir);
	TEXPECT_EQ(remove(p), 0);
	TEXPECT_ERR(getdents(fd, d, sizeof(d)), ENOENT);
	close(fd);
	/* The root of /dev is its own parent. */
	fd = open("/dev:d");
	TEXPECT(dents(fd, d, 16) != ERR);
	TEXPECT_EQ(d[0].number, d[1].number);
	close(fd);
}

KTAP_TEST(dup_and_dup2)
{
	fresh_dir();
	fd_t fd = openf("f", ":c");
	fd_t d = dup(fd);
	TEXPECT(d != ERR && d != fd);
	TEXPECT_EQ(write(fd, "ab", 2), 2);
	TEXPECT_EQ(write(d, "cd", 2), 2);
	TEXPECT_EQ(seek(fd, 0, SEEK_CUR), 4); /* shared position */
	TEXPECT_EQ(dup2(fd, 63), 63);
	TEXPECT_ERR(dup2(fd, 64), EBADF);
	TEXPECT_ERR(dup2(99, 5), EBADF);
	TEXPECT_ERR(dup2(FD_NONE, 5), EBADF);
	TEXPECT_EQ(dup2(fd, fd), fd);
	TEXPECT_ERR(dup2(50, 50), EBADF);
	TEXPECT_ERR(dup(FD_NONE), EBADF);
	close(63);
	close(d);
	TEXPECT_EQ(close(fd), 0);
	TEXPECT_ERR(close(fd), EBADF);
	TEXPECT_ERR(close(FD_NONE), EBADF);
}

KTAP_TEST(remove_rules)
{
	fresh_dir();
	char p[200];
	close(openf("f", ":c"));
	TEXPECT_EQ(remove(mkpath(p, "f")), 0);
	TEXPECT_ERR(remove(mkpath(p, "f")), ENOENT);
	close(openf("d", ":cd"));
	close(openf("d/x", ":c"));
	TEXPECT_ERR(remove(mkpath(p, "d")), EISDIR);
	snprintf(p, sizeof(p), "%s/d:d", dir);
	TEXPECT_ERR(remove(p), ENOTEMPTY);
	snprintf(p, sizeof(p), "%s/d:dR", dir);
	TEXPECT_EQ(remove(p), 0);
	struct abi_stat st;
	TEXPECT_ERR(stat(mkpath(p, "d"), &st), ENOENT);
	close(openf("g", ":c"));
	snprintf(p, sizeof(p), "%s/g:d", dir);
	TEXPECT_ERR(remove(p), ENOTDIR);
	TEXPECT_ERR(remove("/"), ENOENT);
	TEXPECT_ERR(remove(mkpath(p, "..")), EINVAL);
	TEXPECT_ERR(remove("/dev:d"), EBUSY); /* a mount point stays (OUR CHOICE) */
	/* An open descriptor outlives the name. */
	fd_t fd = openf("h", ":c");
	write(fd, "data", 4);
	TEXPECT_EQ(remove(mkpath(p, "h")), 0);
	seek(fd, 0, SEEK_SET);
	char b[8];
	TEXPECT_EQ(read(fd, b, 8), 4);
	close(fd);
}

KTAP_TEST(link_rules)
{
	fresh_dir();
	char a[200], b[200];
	fd_t fd = openf("a", ":c");
	close(fd);
	TEXPECT_EQ(link(mkpath(a, "a"), mkpath(b, "b")), 0);
	fd = openf("a", "");
	write(fd, "via-a", 5);
	close(fd);
	fd = openf("b", "");
	char buf[8];
	TEXPECT_EQ(read(fd, buf, 8), 5);
	close(fd);
	struct abi_stat st;
	TEXPECT_EQ(stat(b, &st), 0);
	TEXPECT_EQ(st.link_amount, 2);
	TEXPECT_EQ(remove(a), 0);
	TEXPECT_EQ(stat(b, &st), 0);
	TEXPECT_EQ(st.link_amount, 1);
	TEXPECT_EQ(st.size, 5);
	close(openf("c", ":c"));
	TEXPECT_ERR(link(b, mkpath(a, "c")), EEXIST);
	close(openf("dd", ":cd"));
	TEXPECT_ERR(link(mkpath(a, "dd"), mkpath(b, "e")), EISDIR);
	TEXPECT_ERR(link(mkpath(a, "c"), "/dev/x"), EXDEV);
	snprintf(a, sizeof(a), "%s/c:r", dir);
	TEXPECT_ERR(link(a, mkpath(b, "z")), EBADFLAG);
	TEXPECT_ERR(link(mkpath(a, "missing"), mkpath(b, "z")), ENOENT);
}

KTAP_TEST(open2_on_a_file_is_independent)
{
	fresh_dir();
	close(openf("f", ":c"));
	char p[200];
	fd_t fds[2];
	TEXPECT_EQ(open2(mkpath(p, "f"), fds), 0);
	TEXPECT(fds[0] < fds[1]);
	TEXPECT_EQ(write(fds[0], "abc", 3), 3);
	TEXPECT_EQ(seek(fds[1], 0, SEEK_CUR), 0);
	close(fds[0]);
	close(fds[1]);
	TEXPECT_ERR(open2(p, NULL), EINVAL);
}

KTAP_TEST(fd_none_everywhere)
{
	char b[4];
	struct abi_dirent d;
	struct abi_pollfd pf = { FD_NONE, POLLIN, 0 };
	TEXPECT_ERR(read(FD_NONE, b, 1), EBADF);
	TEXPECT_ERR(write(FD_NONE, b, 1), EBADF);
	TEXPECT_ERR(seek(FD_NONE, 0, SEEK_SET), EBADF);
	TEXPECT_ERR(ioctl(FD_NONE, 0, NULL, 0), EBADF);
	TEXPECT_ERR(getdents(FD_NONE, &d, sizeof(d)), EBADF);
	TEXPECT_ERR(close(FD_NONE), EBADF);
	TEXPECT_ERR(dup(FD_NONE), EBADF);
	TEXPECT_ERR(dup2(FD_NONE, 3), EBADF);
	TEXPECT_ERR(dup2(0, FD_NONE), EBADF);
	TEXPECT_ERR(poll(&pf, 1, 0), EBADF);
	TEXPECT_EQ(pf.revents, POLLNVAL);
	/* 64 is the first invalid slot. */
	TEXPECT_ERR(read(64, b, 1), EBADF);
	TEXPECT_ERR(close(64), EBADF);
}

KTAP_TEST(regular_files_are_not_pollable)
{
	fresh_dir();
	fd_t fd = openf("f", ":c");
	struct abi_pollfd pf = { fd, POLLIN, 0 };
	TEXPECT_ERR(poll(&pf, 1, 0), ENOSYS);
	close(fd);
}

int main(void)
{
	return ktap_main();
}
