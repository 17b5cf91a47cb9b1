// SPDX-License-Identifier: MIT
// fs_efault: every pointer argument of the file system calls against bad
// addresses (spec §4.2, §4.3, §12 item 4): NULL, 1, below USER_MIN, a
// kernel address, a non-canonical one, a range running into the unmapped
// page after the program image, a read-only page as output; and a read into
// a never-touched part of the stack, which must work (§4.2 rule 6).
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

extern char _end[];

#define KERNEL_ADDR ((void *)0xFFFFFFFF80000000ULL)
#define NONCANON ((void *)0x0000800000000000ULL)
#define LOW ((void *)0x3FFFF0ULL) /* below USER_MIN */

/* The first unmapped page after the image, and a range that crosses into it. */
static char *unmapped(void)
{
	return (char *)(((uintptr_t)_end + 4095) & ~(uintptr_t)4095);
}

static void *crossing(void)
{
	return unmapped() - 8;
}

/* A string without NUL that runs into the unmapped page. */
static const char *crossing_string(void)
{
	char *p = unmapped() - 4;
	memset(p, 'a', 4);
	return p;
}

static const char rodata_page[8192] __attribute__((aligned(4096))) = { 1 };

static void *const bad_outputs[] = { KERNEL_ADDR, NONCANON, LOW, (void *)1 };

KTAP_TEST(path_arguments)
{
	const char *bad[] = { (const char *)1, (const char *)KERNEL_ADDR, (const char *)NONCANON,
			      (const char *)LOW };
	struct abi_stat st;
	fd_t fds[2];
	TEXPECT_ERR(open(NULL), EINVAL);
	TEXPECT_ERR(chdir(NULL), EINVAL);
	TEXPECT_ERR(stat(NULL, &st), EINVAL);
	TEXPECT_ERR(remove(NULL), EINVAL);
	TEXPECT_ERR(link(NULL, "/tmp/x"), EINVAL);
	TEXPECT_ERR(link("/tmp", NULL), EINVAL);
	TEXPECT_ERR(openat(FD_NONE, NULL), EINVAL);
	TEXPECT_ERR(open2(NULL, fds), EINVAL);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TEXPECT_ERR(open(bad[i]), EFAULT);
		TEXPECT_ERR(chdir(bad[i]), EFAULT);
		TEXPECT_ERR(stat(bad[i], &st), EFAULT);
		TEXPECT_ERR(remove(bad[i]), EFAULT);
		TEXPECT_ERR(link(bad[i], "/tmp/x"), EFAULT);
		TEXPECT_ERR(link("/tmp/nothing", bad[i]), EFAULT);
		TEXPECT_ERR(openat(FD_NONE, bad[i]), EFAULT);
		TEXPECT_ERR(open2(bad[i], fds), EFAULT);
	}
	const char *cross = crossing_string();
	TEXPECT_ERR(open(cross), EFAULT);
	TEXPECT_ERR(stat(cross, &st), EFAULT);
	TEXPECT_ERR(remove(cross), EFAULT);
	TEXPECT_ERR(chdir(cross), EFAULT);
}

KTAP_TEST(read_and_write_buffers)
{
	fd_t z = open("/dev/zero");
	fd_t n = open("/dev/null");
	TASSERT(z != ERR && n != ERR);
	TEXPECT_ERR(read(z, NULL, 8), EINVAL);
	TEXPECT_ERR(write(n, NULL, 8), EINVAL);
	for (unsigned i = 0; i < sizeof(bad_outputs) / sizeof(bad_outputs[0]); i++) {
		TEXPECT_ERR(read(z, bad_outputs[i], 8), EFAULT);
		TEXPECT_ERR(write(n, bad_outputs[i], 8), EFAULT);
	}
	TEXPECT_ERR(read(z, crossing(), 16), EFAULT);
	TEXPECT_ERR(write(n, crossing(), 16), EFAULT);
	TEXPECT_ERR(read(z, (void *)0x7FFFFFFFEFF8ULL, 16), EFAULT); /* crosses USER_MAX */
	TEXPECT_ERR(read(z, (void *)-8LL, 16), EOVERFLOW);
	/* Ending exactly at the image end is fine. */
	TEXPECT_EQ(read(z, crossing(), 8), 8);
	close(z);
	close(n);
}

/* A page of .data made read-only with MPROTECT; NULL where MPROTECT is not available. */
static char ro_page[4096] __attribute__((aligned(4096)));

static void *read_only_page(void)
{
	/* Success returns the page; failure NULL (or ERR while the call is still pending). */
	return mprotect(ro_page, sizeof(ro_page), PROT_READ) == (void *)ro_page ? ro_page : NULL;
}

static void writable_again(void)
{
	mprotect(ro_page, sizeof(ro_page), PROT_READ | PROT_WRITE);
}

KTAP_TEST(read_only_page_as_output)
{
	void *ro = read_only_page();
	if (!ro) {
		/* Without MPROTECT, try the image's .rodata: the loader may map it writable (§10.1). */
		fd_t z = open("/dev/one");
		uint64_t r = read(z, (void *)rodata_page, 16);
		int e = errno;
		close(z);
		if (r != ERR)
			TSKIP("no MPROTECT and .rodata is mapped writable: no read-only page to probe");
		TEXPECT_EQ(e, EFAULT);
		return;
	}
	fd_t z = open("/dev/one");
	TEXPECT_ERR(read(z, ro, 16), EFAULT);
	close(z);
	/* Nothing is consumed from a pipe by a refused read. */
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	write(p[1], "abc", 3);
	TEXPECT_ERR(read(p[0], ro, 3), EFAULT);
	char b[4];
	TEXPECT_EQ(read(p[0], b, 4), 3);
	close(p[0]);
	close(p[1]);
	TEXPECT_ERR(stat("/tmp", ro), EFAULT);
	TEXPECT_ERR(open2("/dev/pipe/new", ro), EFAULT);
	TEXPECT_ERR(poll(ro, 1, 0), EFAULT);
	fd_t d = open("/:d");
	TEXPECT_ERR(getdents(d, ro, 272), EFAULT);
	close(d);
	fd_t n = open("/dev/null");
	TEXPECT_ERR(ioctl(n, 0, ro, 8), EFAULT);
	/* Reading from a read-only page is fine. */
	TEXPECT_EQ(write(n, ro, 16), 16);
	close(n);
	writable_again();
}

KTAP_TEST(pipe_read_into_bad_buffer_consumes_nothing)
{
	fd_t p[2];
	TASSERT(open2("/dev/pipe/new", p) == 0);
	TEXPECT_EQ(write(p[1], "abc", 3), 3);
	TEXPECT_ERR(read(p[0], crossing(), 16), EFAULT);
	char b[4];
	TEXPECT_EQ(read(p[0], b, 4), 3);
	close(p[0]);
	close(p[1]);
}

KTAP_TEST(output_structures)
{
	struct abi_stat st;
	TEXPECT_ERR(stat("/tmp", NULL), EINVAL);
	fd_t fds[2] = { 5, 5 };
	TEXPECT_ERR(open2("/dev/pipe/new", NULL), EINVAL);
	for (unsigned i = 0; i < sizeof(bad_outputs) / sizeof(bad_outputs[0]); i++) {
		TEXPECT_ERR(stat("/tmp", bad_outputs[i]), EFAULT);
		TEXPECT_ERR(open2("/dev/pipe/new", bad_outputs[i]), EFAULT);
		TEXPECT_ERR(poll(bad_outputs[i], 1, 0), EFAULT);
	}
	TEXPECT_ERR(stat("/tmp", crossing()), EFAULT);
	TEXPECT_ERR(open2("/dev/pipe/new", crossing()), EFAULT);
	TEXPECT_ERR(poll(crossing(), 1, 0), EFAULT);
	TEXPECT_ERR(poll(NULL, 1, 0), EFAULT);
	/* No descriptor was consumed by the failed open2 calls. */
	fd_t probe = open("/dev/null");
	TEXPECT_EQ(probe, 3);
	close(probe);
	(void)st;
	(void)fds;
	fd_t d = open("/:d");
	TEXPECT_ERR(getdents(d, NULL, 272), EINVAL);
	for (unsigned i = 0; i < sizeof(bad_outputs) / sizeof(bad_outputs[0]); i++)
		TEXPECT_ERR(getdents(d, bad_outputs[i], 272), EFAULT);
	TEXPECT_ERR(getdents(d, crossing(), 272), EFAULT);
	close(d);
	fd_t n = open("/dev/null");
	TEXPECT_ERR(ioctl(n, 0, NULL, 8), EINVAL);
	TEXPECT_ERR(ioctl(n, 0, KERNEL_ADDR, 8), EFAULT);
	TEXPECT_ERR(ioctl(n, 0, crossing(), 16), EFAULT);
	close(n);
}

KTAP_TEST(read_into_untouched_stack)
{
	char here;
	/* 300 KiB below the current stack pointer: inside the stack region, never touched. */
	char *deep = &here - 300 * 1024;
	fd_t o = open("/dev/one");
	TEXPECT_EQ(read(o, deep, 64), 64);
	TEXPECT((unsigned char)deep[0] == 0xFF && (unsigned char)deep[63] == 0xFF);
	close(o);
}

int main(void)
{
	return ktap_main();
}
