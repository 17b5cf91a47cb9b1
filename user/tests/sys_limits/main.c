// SPDX-License-Identifier: MIT
// sys_limits: what a program can grow is bounded, running out of memory is an
// ENOMEM and never the kernel's end, and a kill ends a long call (issue 13,
// defect 7, "out of memory is an errno", "bounded latency").
// With an argument this program is one of its own helper children.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/tu.h"

#define MIB (1024ull * 1024ull)

/* user_pages of /proc/self/perf: the pages mapped in our address space now. */
static uint64_t resident_pages(void)
{
	fd_t fd = open("/proc/self/perf");
	if (fd == ERR)
		return UINT64_MAX;
	char text[256] = { 0 };
	uint64_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n == ERR)
		return UINT64_MAX;
	char *at = strstr(text, "user_pages ");
	return at ? strtoull(at + 11, NULL, 10) : UINT64_MAX;
}

/* thread_count of the perf file in the /proc/<pid> directory @dir. */
static uint64_t thread_count(fd_t dir)
{
	fd_t fd = openat(dir, "perf");
	if (fd == ERR)
		return UINT64_MAX;
	char text[256] = { 0 };
	uint64_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n == ERR)
		return UINT64_MAX;
	char *at = strstr(text, "thread_count ");
	return at ? strtoull(at + 13, NULL, 10) : UINT64_MAX;
}

static uint64_t ctl(pid_t pid, const char *text)
{
	return tu_proc_write(pid, "ctl", text, strlen(text));
}

/* ------------------------------------------------------------ shared memory */

KTAP_TEST(shmem_huge_first_mapping_fails_with_enomem_and_sizes_nothing)
{
	fd_t fd = open("/dev/shmem/new");
	TASSERT(fd != ERR);
	TEXPECT_NULL_ERR(mmap(fd, NULL, 1ull << 44, PROT_READ | PROT_WRITE), ENOMEM);
	/* The failed call fixed no size: the next first mapping does. */
	uint8_t *p = mmap(fd, NULL, 2 * TU_PAGE, PROT_READ | PROT_WRITE);
	TASSERT(p != NULL);
	p[0] = 1;
	p[TU_PAGE] = 2;
	TEXPECT_EQ(p[1], 0);
	TEXPECT(munmap(p, 2 * TU_PAGE) != NULL);
	close(fd);
}

/* A big shared mapping costs memory as it is touched, not when it is made. */
KTAP_TEST(shmem_pages_come_on_first_touch)
{
	fd_t fd = open("/dev/shmem/new");
	TASSERT(fd != ERR);
	uint64_t before = resident_pages();
	uint8_t *p = mmap(fd, NULL, 64 * MIB, PROT_READ | PROT_WRITE);
	TASSERT(p != NULL);
	uint64_t after = resident_pages();
	TEXPECT(after - before < 64); /* was 16384: every page allocated and mapped up front */
	p[0] = 7;
	p[64 * MIB - 1] = 9;
	TEXPECT_EQ(p[1], 0);
	TEXPECT_EQ(p[64 * MIB - 2], 0);
	TEXPECT(resident_pages() - after <= 8);
	TEXPECT(munmap(p, 64 * MIB) != NULL);
	close(fd);
}

/* ------------------------------------------------------------ regions */

KTAP_TEST(regions_per_address_space_are_bounded)
{
	fd_t fd = open("/dev/shmem/new");
	TASSERT(fd != ERR);
	uint8_t *first = mmap(fd, NULL, TU_PAGE, PROT_READ | PROT_WRITE);
	TASSERT(first != NULL);
	/* One-page mappings with a hole between them: none can merge with another. */
	uint8_t *base = (uint8_t *)0x300000000000ull;
	uint64_t n = 0;
	for (; n < 40000; n++)
		if (mmap(fd, base + 2 * n * TU_PAGE, TU_PAGE, PROT_READ | PROT_WRITE) == NULL)
			break;
	int e = errno;
	ktap_diag("%llu mappings before the limit", (unsigned long long)n);
	TEXPECT(n > 1000 && n < 40000);
	TEXPECT_EQ(e, ENOMEM);
	/* Everything still works, and one munmap removes them all. */
	TEXPECT(munmap(base, 2 * 40000 * TU_PAGE) != NULL);
	TEXPECT(mmap(fd, base, TU_PAGE, PROT_READ | PROT_WRITE) == base);
	TEXPECT(munmap(base, TU_PAGE) != NULL);
	TEXPECT(munmap(first, TU_PAGE) != NULL);
	close(fd);
}

/* ------------------------------------------------------------ SHARE keys */

#define MAX_KEYS_TRIED 5000

KTAP_TEST(share_keys_per_process_are_bounded)
{
	static struct abi_key keys[MAX_KEYS_TRIED];
	fd_t fd = open("/dev/null");
	TASSERT(fd != ERR);
	uint64_t n = 0;
	for (; n < MAX_KEYS_TRIED; n++)
		if (share(&keys[n], fd, CLOCKS_NEVER) == ERR)
			break;
	int e = errno;
	ktap_diag("%llu live keys before the limit", (unsigned long long)n);
	TEXPECT(n >= 64 && n < MAX_KEYS_TRIED);
	TEXPECT_EQ(e, ENOMEM);
	/* Claiming gives the room back. */
	for (uint64_t i = 0; i < n; i++) {
		fd_t c = claim(&keys[i]);
		TEXPECT(c != ERR);
		if (c != ERR)
			close(c);
	}
	struct abi_key k;
	TEXPECT_EQ(share(&k, fd, 0), 0);
	close(fd);
}

/* ------------------------------------------------------------ environment */

static uint64_t env_create(const char *name, uint64_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/env/%s:cw", name);
	fd_t fd = open(path);
	if (fd == ERR)
		return ERR;
	static char value[MIB];
	uint64_t r = size ? write(fd, value, size) : 0;
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static void env_remove(const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/env/%s", name);
	remove(path);
}

KTAP_TEST(environment_count_is_bounded)
{
	char name[32];
	uint64_t n = 0;
	for (; n < 5000; n++) {
		snprintf(name, sizeof(name), "LIMITS_%llu", (unsigned long long)n);
		if (env_create(name, 1) == ERR)
			break;
	}
	int e = errno;
	ktap_diag("%llu variables before the limit", (unsigned long long)n);
	TEXPECT(n >= 64 && n < 5000);
	TEXPECT_EQ(e, ENOMEM);
	for (uint64_t i = 0; i <= n; i++) {
		snprintf(name, sizeof(name), "LIMITS_%llu", (unsigned long long)i);
		env_remove(name);
	}
	TEXPECT_EQ(env_create("LIMITS_AGAIN", 1), 1);
	env_remove("LIMITS_AGAIN");
}

KTAP_TEST(environment_size_is_bounded)
{
	/*
	 * One variable may be as large as all of them together, not larger.
	 * The runner's own variables (SEED) take a few bytes of the 1 MiB.
	 */
	TEXPECT_EQ(env_create("LIMITS_BIG", MIB - 4096), MIB - 4096);
	TEXPECT_ERR(env_create("LIMITS_MORE", 64 * 1024), ENOMEM);
	env_remove("LIMITS_MORE");
	env_remove("LIMITS_BIG");
	TEXPECT_EQ(env_create("LIMITS_MORE", 64 * 1024), 64 * 1024);
	env_remove("LIMITS_MORE");
}

/* ------------------------------------------------------------ mounts */

#define MOUNT_TRIES 400

/* Child: bind /dev on /tmp/limits_mnt/<i> until BIND fails; exit with the count, or 255 on a wrong errno. */
static int child_binds(void)
{
	fd_t dev = open("/dev:d");
	if (dev == ERR)
		return 254;
	char path[64];
	for (int i = 0; i < MOUNT_TRIES; i++) {
		snprintf(path, sizeof(path), "/tmp/limits_mnt/%d", i);
		if (bind(dev, path, MOUNT_NONE) == ERR)
			return errno == ENOMEM ? i : 255;
	}
	return MOUNT_TRIES;
}

KTAP_TEST(mounts_per_namespace_are_bounded)
{
	fd_t top = open("/tmp/limits_mnt:cd");
	TASSERT(top != ERR);
	close(top);
	char path[64];
	for (int i = 0; i < MOUNT_TRIES; i++) {
		snprintf(path, sizeof(path), "/tmp/limits_mnt/%d:cd", i);
		fd_t fd = open(path);
		TASSERT(fd != ERR);
		close(fd);
	}
	/* In a child, so that its namespace and its mounts go with it. */
	int status = -1;
	TASSERT(tu_run((const char *const[]){ "/bin/tests/sys_limits", "child-binds", NULL }, TU_CHILD_TIMEOUT,
		       &status));
	ktap_diag("%d binds before the limit", status);
	TEXPECT(status >= 64 && status < MOUNT_TRIES);
	uint64_t r = remove("/tmp/limits_mnt:dR");
	if (r == ERR)
		ktap_diag("remove: %s", strerrorname_np(errno));
	TEXPECT_EQ(r, 0);
}

/* ------------------------------------------------------------ bounded latency */

/*
 * A read of /dev/zero into a 16 GiB buffer made of 1,024 aliases of one
 * 16 MiB shared object (so it costs 16 MiB), followed by one page of a
 * second object the parent watches: if the call ran to its end, that page
 * was zeroed. The kill must end it long before.
 */
#define ALIAS_BYTES (16 * MIB)
#define ALIASES 1024ull
#define ALIAS_BASE ((uint8_t *)0x200000000000ull)

static int child_long_read(const char *marker_fd, const char *signal_fd)
{
	fd_t marker = (fd_t)strtoull(marker_fd, NULL, 10), sig = (fd_t)strtoull(signal_fd, NULL, 10);
	fd_t obj = open("/dev/shmem/new");
	fd_t zero = open("/dev/zero");
	if (obj == ERR || zero == ERR)
		return 20;
	for (uint64_t i = 0; i < ALIASES; i++)
		if (mmap(obj, ALIAS_BASE + i * ALIAS_BYTES, ALIAS_BYTES, PROT_READ | PROT_WRITE) == NULL)
			return 21;
	uint8_t *end = ALIAS_BASE + ALIASES * ALIAS_BYTES;
	if (mmap(marker, end, TU_PAGE, PROT_READ | PROT_WRITE) != end)
		return 22;
	if (write(sig, "go", 2) != 2)
		return 23;
	read(zero, ALIAS_BASE, ALIASES * ALIAS_BYTES + TU_PAGE);
	return 24; /* the whole call ran: the kill did not stop it */
}

KTAP_TEST(kill_ends_a_long_read)
{
	fd_t marker = open("/dev/shmem/new");
	TASSERT(marker != ERR);
	uint8_t *page = mmap(marker, NULL, TU_PAGE, PROT_READ | PROT_WRITE);
	TASSERT(page != NULL);
	memset(page, 0xAA, TU_PAGE);
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	char mtext[24], stext[24];
	snprintf(mtext, sizeof(mtext), "%llu", (unsigned long long)marker);
	snprintf(stext, sizeof(stext), "%llu", (unsigned long long)p[1]);
	const char *argv[] = { "/bin/tests/sys_limits", "child-long-read", mtext, stext, NULL };
	pid_t pid = spawn(argv, 0);
	TASSERT(pid != ERR);
	char path[48];
	snprintf(path, sizeof(path), "/proc/%llu:d", (unsigned long long)pid);
	fd_t dir = open(path); /* keeps the process's files reachable after it is reaped */
	TASSERT(dir != ERR);
	char go[2];
	TEXPECT_EQ(read(p[0], go, 2), 2);
	nanosleep(30 * TU_MS); /* well inside the read by now */
	clock_t t0 = uptime();
	TEXPECT_EQ(ctl(pid, "kill"), 4);
	int status = -1;
	TEXPECT_EQ(wait_pid(pid, &status), 0);
	TEXPECT_EQ(status, 0); /* the status of a ctl kill, published at once */
	/*
	 * The status is out before the thread has left the kernel (spec §9.3):
	 * the thread is gone when the process's thread count drops to 0. The
	 * bound only keeps a broken kernel from hanging the test.
	 */
	uint64_t threads = UINT64_MAX;
	while ((threads = thread_count(dir)) != 0 && uptime() - t0 < 100 * TU_SEC)
		nanosleep(TU_MS);
	clock_t latency = uptime() - t0;
	ktap_diag("kill to the thread's end: %llu us", (unsigned long long)(latency / 1000));
	TEXPECT_EQ(threads, 0);
	TEXPECT_EQ(page[0], 0xAA); /* the call did not run to its end */
	TEXPECT_EQ(page[TU_PAGE - 1], 0xAA);
	close(dir);
	close(p[0]);
	close(p[1]);
	munmap(page, TU_PAGE);
	close(marker);
}

/* ------------------------------------------------------------ out of memory */

/* Child: exit 0 (proves that a process can still be made). */
static int child_true(void)
{
	return 0;
}

/* Run child-true and return its status (-1000 if there is none). */
static int run_true(void)
{
	int status = -1000;
	if (!tu_run((const char *const[]){ "/bin/tests/sys_limits", "child-true", NULL }, TU_CHILD_TIMEOUT, &status))
		return -1000;
	return status;
}

/*
 * With every page programs may take gone, the kernel still answers: calls
 * that need no new memory work, calls that do either work or fail with
 * ENOMEM, and a new process, if one can be made, ends with a status (138,
 * ESPAWNFAIL, when there is no memory for its image) instead of hanging.
 */
static void still_working(void)
{
	fd_t null = open("/dev/null");
	TEXPECT(null != ERR);
	TEXPECT_EQ(write(null, "x", 1), 1);
	close(null);
	struct abi_stat st;
	TEXPECT_EQ(stat("/", &st), 0);
	fd_t p[2];
	if (open2("/dev/pipe/new", p) == 0) {
		TEXPECT_EQ(write(p[1], "ok", 2), 2);
		char buf[2];
		TEXPECT_EQ(read(p[0], buf, 2), 2);
		close(p[0]);
		close(p[1]);
	} else {
		TEXPECT_EQ(errno, ENOMEM);
	}
	const char *argv[] = { "/bin/tests/sys_limits", "child-true", NULL };
	pid_t pid = spawn(argv, 0);
	if (pid == ERR) {
		TEXPECT_EQ(errno, ENOMEM);
		ktap_diag("no process could be made with no memory left (ENOMEM)");
		return;
	}
	int status = -1000;
	TEXPECT_EQ(tu_wait(pid, TU_CHILD_TIMEOUT, &status), 0);
	ktap_diag("a process started with no memory left ended with status %d", status);
	TEXPECT(status == 0 || status == 138);
}

/*
 * Take private memory (populated when mapped) 4 MiB at a time, then a page
 * at a time, until ENOMEM. Returns the MiB taken; the mappings stay until
 * release().
 */
struct taken {
	void *p;
	uint64_t len;
};
#define MAX_TAKEN 12000
/* MiB of private memory the first exhaustion took (0: that test skipped). */
static uint64_t private_mib;
/* Exhausting a bigger machine would take minutes under emulation: the tests skip there. */
#define MAX_TAKEN_BYTES (2048 * MIB)

static uint64_t take_all_memory(struct taken *maps, uint64_t *count, int *err)
{
	fd_t zero = open("/dev/zero");
	uint64_t n = 0, bytes = 0, len = 4 * MIB;
	*err = 0;
	while (n < MAX_TAKEN && bytes < MAX_TAKEN_BYTES) {
		void *p = mmap(zero, NULL, len, PROT_READ | PROT_WRITE);
		if (!p) {
			*err = errno;
			if (len == TU_PAGE)
				break;
			len = TU_PAGE;
			continue;
		}
		maps[n++] = (struct taken){ p, len };
		bytes += len;
	}
	close(zero);
	*count = n;
	return bytes / MIB;
}

/* After take_all_memory: whatever was freed since (a reaped process's kernel stack, ...) too, a page at a time. */
static void take_the_rest(struct taken *maps, uint64_t *count)
{
	fd_t zero = open("/dev/zero");
	while (*count < MAX_TAKEN) {
		void *p = mmap(zero, NULL, TU_PAGE, PROT_READ | PROT_WRITE);
		if (!p)
			break;
		maps[(*count)++] = (struct taken){ p, TU_PAGE };
	}
	close(zero);
}

/*
 * read() from @zero into pages of @lazy that are not there yet, with no
 * memory left: the result (ERR and errno). The kernel frees memory of its
 * own between two calls (the reaper takes a process a second after its
 * end), so a read that found some takes that too and tries the next 64 KiB,
 * at most eight times.
 */
static uint64_t read_with_memory_gone(fd_t zero, uint8_t *lazy, struct taken *maps, uint64_t *count)
{
	for (int tries = 0;; tries++) {
		uint64_t r = read(zero, lazy + tries * 64 * 1024, 64 * 1024);
		if (r == ERR || tries == 7)
			return r;
		ktap_diag("memory was freed meanwhile (the read got %llu bytes): taking it too", (unsigned long long)r);
		take_the_rest(maps, count);
	}
}

static void release(struct taken *maps, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++)
		munmap(maps[i].p, maps[i].len);
}

KTAP_TEST(private_memory_runs_out_with_enomem)
{
	static struct taken maps[MAX_TAKEN];
	uint64_t count;
	int err;
	clock_t started = uptime();
	/* Mapped now, filled on demand (over 4 MiB): its pages are wanted once none are left. */
	fd_t zero = open("/dev/zero");
	TASSERT(zero != ERR);
	uint8_t *lazy = mmap(zero, NULL, 8 * MIB, PROT_READ | PROT_WRITE);
	TASSERT(lazy != NULL);
	uint64_t first = take_all_memory(maps, &count, &err);
	if (!err) {
		release(maps, count);
		TSKIP("more memory than this test exhausts in reasonable time");
	}
	ktap_diag("took %llu MiB before ENOMEM", (unsigned long long)first);
	TEXPECT_EQ(err, ENOMEM);
	TEXPECT(first >= 16);
	/* The kernel cannot fault in a page for the call's buffer: ENOMEM (spec §4.2), not EFAULT. */
	TEXPECT_ERR(read_with_memory_gone(zero, lazy + 4 * MIB, maps, &count), ENOMEM);
	still_working();
	release(maps, count);
	private_mib = first;
	TEXPECT_EQ(read(zero, lazy + 4 * MIB, 64 * 1024), 64 * 1024);
	TEXPECT(munmap(lazy, 8 * MIB) != NULL);
	close(zero);
	TEXPECT_EQ(run_true(), 0);
	ktap_diag("%llu ms in all", (unsigned long long)((uptime() - started) / TU_MS));
}

/*
 * One round (filling all memory takes seconds under emulation): that the
 * memory came back is checked by taking all private memory again after the
 * file is gone, against what the test above took.
 */
KTAP_TEST(ramfs_growth_runs_out_with_enomem_and_comes_back)
{
	static char chunk[MIB];
	memset(chunk, 'q', sizeof(chunk));
	clock_t started = uptime();
	for (int round = 0; round < 1; round++) {
		fd_t fd = open("/tmp/limits_big:cwt");
		TASSERT(fd != ERR);
		uint64_t total = 0, r;
		int e = 0;
		/* A short write is allowed; the next write then says why. */
		while (total < MAX_TAKEN_BYTES && (r = write(fd, chunk, sizeof(chunk))) != ERR && r != 0)
			total += r;
		if (total >= MAX_TAKEN_BYTES) {
			close(fd);
			remove("/tmp/limits_big");
			TSKIP("more memory than this test exhausts in reasonable time");
		}
		e = r == ERR ? errno : -1;
		ktap_diag("round %d: %llu MiB written before ENOMEM", round, (unsigned long long)(total / MIB));
		TEXPECT_EQ(e, ENOMEM);
		/* What was written is all there, and nothing more. */
		struct abi_stat st;
		TEXPECT_EQ(stat("/tmp/limits_big", &st), 0);
		TEXPECT_EQ(st.size, total);
		still_working();
		close(fd);
		clock_t t0 = uptime();
		TEXPECT_EQ(remove("/tmp/limits_big"), 0);
		ktap_diag("removing it took %llu ms", (unsigned long long)((uptime() - t0) / TU_MS));
		TEXPECT_EQ(run_true(), 0);
	}
	static struct taken maps[MAX_TAKEN];
	uint64_t count;
	int err;
	uint64_t again = take_all_memory(maps, &count, &err);
	release(maps, count);
	ktap_diag("then %llu MiB of private memory (%llu before); %llu ms in all", (unsigned long long)again,
		  (unsigned long long)private_mib, (unsigned long long)((uptime() - started) / TU_MS));
	TEXPECT_EQ(err, ENOMEM);
	TEXPECT(again + 8 >= private_mib);
}

/*
 * Not part of the KTAP run (it prints a flood of empty lines on the console):
 * "sys_limits klog-latency" measures how fast a kill ends a 16 GiB write to
 * /dev/klog, for the README's figures.
 */
static int child_long_klog(const char *obj_fd, const char *signal_fd)
{
	fd_t obj = (fd_t)strtoull(obj_fd, NULL, 10), sig = (fd_t)strtoull(signal_fd, NULL, 10);
	fd_t klog = open("/dev/klog");
	if (klog == ERR)
		return 20;
	for (uint64_t i = 0; i < ALIASES; i++)
		if (mmap(obj, ALIAS_BASE + i * ALIAS_BYTES, ALIAS_BYTES, PROT_READ | PROT_WRITE) == NULL)
			return 21;
	if (write(sig, "go", 2) != 2)
		return 23;
	write(klog, ALIAS_BASE, ALIASES * ALIAS_BYTES);
	return 24;
}

static int klog_latency(void)
{
	fd_t obj = open("/dev/shmem/new");
	uint8_t *p = mmap(obj, NULL, ALIAS_BYTES, PROT_READ | PROT_WRITE);
	fd_t s[2];
	if (!p || open2("/dev/pipe/new", s) != 0)
		return 1;
	memset(p, '\n', ALIAS_BYTES);
	char otext[24], stext[24];
	snprintf(otext, sizeof(otext), "%llu", (unsigned long long)obj);
	snprintf(stext, sizeof(stext), "%llu", (unsigned long long)s[1]);
	const char *argv[] = { "/bin/tests/sys_limits", "child-long-klog", otext, stext, NULL };
	pid_t pid = spawn(argv, 0);
	char path[48], go[2];
	snprintf(path, sizeof(path), "/proc/%llu:d", (unsigned long long)pid);
	fd_t dir = open(path);
	if (pid == ERR || dir == ERR || read(s[0], go, 2) != 2)
		return 2;
	nanosleep(30 * TU_MS);
	clock_t t0 = uptime();
	ctl(pid, "kill");
	while (thread_count(dir) != 0 && uptime() - t0 < 600 * TU_SEC)
		nanosleep(TU_MS);
	printf("# klog write: kill to the thread's end: %llu us\n", (unsigned long long)((uptime() - t0) / 1000));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "klog-latency") == 0)
		return klog_latency();
	if (argc > 3 && strcmp(argv[1], "child-long-klog") == 0)
		return child_long_klog(argv[2], argv[3]);
	if (argc > 1 && strcmp(argv[1], "child-true") == 0)
		return child_true();
	if (argc > 1 && strcmp(argv[1], "child-binds") == 0)
		return child_binds();
	if (argc > 3 && strcmp(argv[1], "child-long-read") == 0)
		return child_long_read(argv[2], argv[3]);
	return tu_ktap_main(120 * TU_SEC);
}
