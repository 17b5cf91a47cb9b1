// SPDX-License-Identifier: MIT
// exec_image: a program's pages are mapped from its RAM file (kernel/exec):
// read-only pages shared with the file, writable ones copied on write. A
// started program keeps the bytes it was started with whatever later
// happens to its file; writes to its data stay its own; its text and
// read-only data cannot be written; spawning it many times leaks nothing.
//
// Usage: /bin/tests/exec_image             the tests, KTAP on fd 1
//        <copy of it> child-<role> ...      a child role (see main)
// The children run from a copy in /tmp, so that the tests can rewrite it.
#include <fcntl.h>
#include <ktap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

#define RO_WORD 0x5a5a12345a5a1234ULL
#define RW_WORD 0x7777aaaa0bad0001ULL
#define WORDS   2048 /* 16 KiB: whole pages of each segment, shared with the file */

/* Read-only data and data, initialised from the file: a child checks they are still what the file had. */
static const volatile uint64_t ro_pattern[WORDS] = { [0 ... WORDS - 1] = RO_WORD };
static volatile uint64_t rw_pattern[WORDS] = { [0 ... WORDS - 1] = RW_WORD };

enum { CHILD_OK = 42, CHILD_BAD = 43, CHILD_IO = 44 };

static bool patterns_intact(void)
{
	for (int i = 0; i < WORDS; i++)
		if (ro_pattern[i] != RO_WORD || rw_pattern[i] != RW_WORD)
			return false;
	return true;
}

/* Arithmetic from the text pages, so a text page replaced under us shows. */
__attribute__((noinline)) static uint64_t mix(uint64_t x)
{
	for (int i = 0; i < 64; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}

static uint64_t mix_expected;

/* child-wait <ready fd> <go fd>: report ready, wait for go, then check our image. */
static int child_wait(char **argv)
{
	fd_t ready = tu_parse_u64(argv[2]), go = tu_parse_u64(argv[3]);
	uint64_t before = mix(7);
	char c = 'r';
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		return CHILD_IO;
	return patterns_intact() && mix(7) == before ? CHILD_OK : CHILD_BAD;
}

/* child-write-data <ready fd> <go fd> <value>: fill our data with @value, then check it stayed ours. */
static int child_write_data(char **argv)
{
	fd_t ready = tu_parse_u64(argv[2]), go = tu_parse_u64(argv[3]);
	uint64_t v = tu_parse_u64(argv[4]);
	if (!patterns_intact())
		return CHILD_BAD; /* another instance's writes reached us, or the file's copy */
	for (int i = 0; i < WORDS; i++)
		rw_pattern[i] = v + i;
	char c = 'r';
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		return CHILD_IO;
	for (int i = 0; i < WORDS; i++)
		if (rw_pattern[i] != v + i)
			return CHILD_BAD;
	return CHILD_OK;
}

/* child-write-text / child-write-rodata: must end with status 14 (spec §9.3). */
static int child_write_text(void)
{
	*(volatile uint8_t *)(uintptr_t)mix = 0xc3;
	return CHILD_BAD;
}

static int child_write_rodata(void)
{
	((volatile uint64_t *)ro_pattern)[WORDS / 2] = 1;
	return CHILD_BAD;
}

/* child-check: just the image check (the leak loop). */
static int child_check(void)
{
	rw_pattern[0] = 1; /* a copy-on-write of one page */
	rw_pattern[0] = RW_WORD;
	return patterns_intact() && mix(3) == mix_expected ? CHILD_OK : CHILD_BAD;
}

/* Zero-initialised data, written by nobody: must read as zeros. */
static volatile uint8_t bss_probe[3 * 4096];

/* The parts of ELF64 headers this test reads (the file is our own, so well formed). */
struct phdr64 {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
#define PT_LOAD_TYPE 1
#define PF_W_FLAG    2

/* Read the program headers of the ELF file @path into @ph (at most @max). Returns how many, or -1. */
static int read_phdrs(const char *path, struct phdr64 *ph, int max)
{
	static uint8_t head[4096];
	fd_t fd = open(path);
	if (fd == ERR)
		return -1;
	uint64_t n = read(fd, head, sizeof(head));
	close(fd);
	if (n == ERR || n < 64)
		return -1;
	uint64_t phoff = *(uint64_t *)(head + 32);
	uint16_t phnum = *(uint16_t *)(head + 56);
	if (phnum > max || phoff + phnum * sizeof(struct phdr64) > n)
		return -1;
	memcpy(ph, head + phoff, phnum * sizeof(struct phdr64));
	return phnum;
}

/*
 * child-zero-tails <path of our file>: the bytes of our read-only
 * segments' pages that are no file bytes of theirs (the rest of a last
 * page, the start of a first) read as zero, as a loader that copied the
 * file would leave them, although the file has other bytes there (the
 * parent put them in); and the .bss reads as zero. (Writable segments'
 * tails are the .bss, which the program itself writes.)
 */
static int child_zero_tails(char **argv)
{
	struct phdr64 ph[16];
	int n = read_phdrs(argv[2], ph, 16);
	if (n < 0)
		return CHILD_IO;
	for (size_t i = 0; i < sizeof(bss_probe); i++)
		if (bss_probe[i])
			return CHILD_BAD;
	for (int i = 0; i < n; i++) {
		if (ph[i].type != PT_LOAD_TYPE || (ph[i].flags & PF_W_FLAG))
			continue;
		uint64_t first = ph[i].vaddr & ~4095ULL, last = (ph[i].vaddr + ph[i].memsz + 4095) & ~4095ULL;
		for (uint64_t a = first; a < last; a++) {
			if (a >= ph[i].vaddr && a < ph[i].vaddr + ph[i].filesz)
				continue;
			if (*(const volatile uint8_t *)a != 0) {
				printf("# byte at %#llx of segment %d is %#x, want 0\n", (unsigned long long)a, i,
				       *(const volatile uint8_t *)a);
				return CHILD_BAD;
			}
		}
	}
	return CHILD_OK;
}

/* ------------------------------------------------------------------ parent side */

static const char *self = "/bin/tests/exec_image";

/* Copy our own file to @path. */
static bool copy_self(const char *path)
{
	static uint8_t buf[4096];
	char target[64];
	snprintf(target, sizeof(target), "%s:cwt", path);
	fd_t in = open(self), out = open(target);
	bool ok = in != ERR && out != ERR;
	while (ok) {
		uint64_t n = read(in, buf, sizeof(buf));
		if (n == ERR || n == 0) {
			ok = n == 0;
			break;
		}
		ok = write_all(out, buf, n);
	}
	if (in != ERR)
		close(in);
	if (out != ERR)
		close(out);
	return ok;
}

/* Overwrite every byte of @path in place with @byte (same size, the pages stay the file's). */
static bool overwrite(const char *path, uint8_t byte)
{
	static uint8_t buf[4096];
	memset(buf, byte, sizeof(buf));
	char target[64];
	snprintf(target, sizeof(target), "%s:w", path);
	fd_t fd = open(target);
	if (fd == ERR)
		return false;
	uint64_t size = seek(fd, 0, SEEK_END);
	bool ok = size != ERR && seek(fd, 0, SEEK_SET) == 0;
	for (uint64_t done = 0; ok && done < size; done += sizeof(buf)) {
		uint64_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		ok = write_all(fd, buf, n);
	}
	close(fd);
	return ok;
}

struct watched {
	pid_t pid;
	fd_t wait_fd, ready[2], go[2];
};

/* Start @path child-<role> with a ready and a go pipe; wait until it is ready. */
static bool start_waiting(struct watched *w, const char *path, const char *role, const char *extra)
{
	if (open2("/dev/pipe/new", w->ready) == ERR || open2("/dev/pipe/new", w->go) == ERR)
		return false;
	char r[24], g[24];
	snprintf(r, sizeof(r), "%llu", (unsigned long long)w->ready[PIPE_WRITE]);
	snprintf(g, sizeof(g), "%llu", (unsigned long long)w->go[PIPE_READ]);
	const char *argv[] = { path, role, r, g, extra, NULL };
	w->pid = tu_spawn_watched(argv, 0, &w->wait_fd);
	if (w->pid == ERR)
		return false;
	char c;
	return read(w->ready[PIPE_READ], &c, 1) == 1;
}

/* Let it go and return its status (-1 on a wait failure). */
static int finish(struct watched *w)
{
	char c = 'g';
	TEXPECT_EQ(write(w->go[PIPE_WRITE], &c, 1), 1);
	int status = -1;
	if (tu_wait_fd(w->wait_fd, w->pid, TU_CHILD_TIMEOUT, &status) != 0)
		status = -1;
	for (int i = 0; i < 2; i++) {
		close(w->ready[i]);
		close(w->go[i]);
	}
	return status;
}

KTAP_TEST(started_program_keeps_bytes_when_file_overwritten)
{
	TASSERT(copy_self("/tmp/exec_image_a"));
	struct watched w;
	TASSERT(start_waiting(&w, "/tmp/exec_image_a", "child-wait", NULL));
	/* Every page of the file changes under the running program: text, read-only data, data. */
	TEXPECT(overwrite("/tmp/exec_image_a", 0xcc));
	TEXPECT_EQ(finish(&w), CHILD_OK);
	TEXPECT_EQ(remove("/tmp/exec_image_a"), 0);
}

KTAP_TEST(started_program_keeps_bytes_when_file_truncated)
{
	TASSERT(copy_self("/tmp/exec_image_b"));
	struct watched w;
	TASSERT(start_waiting(&w, "/tmp/exec_image_b", "child-wait", NULL));
	/* Truncated, then new bytes written into fresh pages (the old ones may be reused). */
	fd_t fd = open("/tmp/exec_image_b:t");
	TEXPECT(fd != ERR);
	close(fd);
	TEXPECT(copy_self("/tmp/exec_image_c") && overwrite("/tmp/exec_image_c", 0x00));
	TEXPECT_EQ(finish(&w), CHILD_OK);
	TEXPECT_EQ(remove("/tmp/exec_image_b"), 0);
	TEXPECT_EQ(remove("/tmp/exec_image_c"), 0);
}

/* The file must still hold what it was copied from. */
static bool same_as_self(const char *path)
{
	static uint8_t a[4096], b[4096];
	fd_t fa = open(self), fb = open(path);
	bool ok = fa != ERR && fb != ERR;
	while (ok) {
		uint64_t na = read(fa, a, sizeof(a)), nb = read(fb, b, sizeof(b));
		ok = na != ERR && na == nb && memcmp(a, b, na) == 0;
		if (na == 0)
			break;
	}
	if (fa != ERR)
		close(fa);
	if (fb != ERR)
		close(fb);
	return ok;
}

KTAP_TEST(writable_data_private_between_instances)
{
	TASSERT(copy_self("/tmp/exec_image_d"));
	struct watched one, two;
	TASSERT(start_waiting(&one, "/tmp/exec_image_d", "child-write-data", "1000"));
	/* The second instance must start from the file's data, not the first one's writes. */
	TASSERT(start_waiting(&two, "/tmp/exec_image_d", "child-write-data", "2000000"));
	TEXPECT_EQ(finish(&one), CHILD_OK);
	TEXPECT_EQ(finish(&two), CHILD_OK);
	TEXPECT(same_as_self("/tmp/exec_image_d"));
	/* And a third one, after both ended. */
	int status;
	const char *argv[] = { "/tmp/exec_image_d", "child-check", NULL };
	TEXPECT(tu_run(argv, TU_CHILD_TIMEOUT, &status) && status == CHILD_OK);
	TEXPECT_EQ(remove("/tmp/exec_image_d"), 0);
}

/* Fill [@off, @off + @len) of @path with 0xab. */
static bool scribble(const char *path, uint64_t off, uint64_t len)
{
	static uint8_t buf[4096];
	memset(buf, 0xab, sizeof(buf));
	char target[64];
	snprintf(target, sizeof(target), "%s:w", path);
	fd_t fd = open(target);
	if (fd == ERR)
		return false;
	bool ok = seek(fd, off, SEEK_SET) == off && len <= sizeof(buf) && write_all(fd, buf, len);
	close(fd);
	return ok;
}

KTAP_TEST(bytes_outside_segment_file_bytes_read_zero)
{
	TASSERT(copy_self("/tmp/exec_image_f"));
	/*
	 * Non-zero bytes in the file after each read-only segment's bytes, up
	 * to the end of their page (no other segment's bytes are there: the
	 * linker script starts each segment on a page of its own).
	 */
	struct phdr64 ph[16];
	int n = read_phdrs("/tmp/exec_image_f", ph, 16);
	TASSERT(n > 0);
	int planted = 0;
	for (int i = 0; i < n; i++) {
		uint64_t end = ph[i].offset + ph[i].filesz;
		if (ph[i].type != PT_LOAD_TYPE || (ph[i].flags & PF_W_FLAG) || end % 4096 == 0)
			continue;
		bool clash = false;
		for (int j = 0; j < n; j++)
			clash |= j != i && ph[j].type == PT_LOAD_TYPE && ph[j].filesz && ph[j].offset < (end | 4095) + 1 &&
				 ph[j].offset + ph[j].filesz > end;
		if (!clash) {
			TEXPECT(scribble("/tmp/exec_image_f", end, 4096 - end % 4096));
			planted++;
		}
	}
	TEXPECT(planted > 0);
	int status;
	const char *argv[] = { "/tmp/exec_image_f", "child-zero-tails", "/tmp/exec_image_f", NULL };
	TEXPECT(tu_run(argv, TU_CHILD_TIMEOUT, &status) && status == CHILD_OK);
	TEXPECT_EQ(remove("/tmp/exec_image_f"), 0);
}

KTAP_TEST(text_and_rodata_not_writable)
{
	int status;
	const char *text[] = { self, "child-write-text", NULL };
	TEXPECT(tu_run(text, TU_CHILD_TIMEOUT, &status) && status == 14);
	const char *ro[] = { self, "child-write-rodata", NULL };
	TEXPECT(tu_run(ro, TU_CHILD_TIMEOUT, &status) && status == 14);
	/* Nobody wrote through to the file either. */
	const char *check[] = { self, "child-check", NULL };
	TEXPECT(tu_run(check, TU_CHILD_TIMEOUT, &status) && status == CHILD_OK);
}

/* used_pages of /dev/perf/mem, or UINT64_MAX. */
static uint64_t used_pages(void)
{
	char text[512];
	if (tu_slurp("/dev/perf/mem", text, sizeof(text)) < 0)
		return UINT64_MAX;
	const char *p = strstr(text, "used_pages ");
	return p ? strtoull(p + 11, NULL, 10) : UINT64_MAX;
}

/* Heap slabs and page tables come and go with where things landed: a leak of a page a spawn is far more. */
#define SPAWNS      200
#define PAGES_SLACK 16

KTAP_TEST(many_spawns_leak_no_pages)
{
	TASSERT(copy_self("/tmp/exec_image_e"));
	const char *argv[] = { "/tmp/exec_image_e", "child-check", NULL };
	int status;
	/* One first, so that every first-use allocation is made before the baseline. */
	TASSERT(tu_run(argv, TU_CHILD_TIMEOUT, &status) && status == CHILD_OK);
	uint64_t before = used_pages();
	TASSERT(before != UINT64_MAX);
	for (int i = 0; i < SPAWNS; i++) {
		TASSERT(tu_run(argv, TU_CHILD_TIMEOUT, &status));
		TEXPECT_EQ(status, CHILD_OK);
		tu_progress();
		if (i == SPAWNS / 2)
			TEXPECT(overwrite("/tmp/exec_image_e", 0x90) && copy_self("/tmp/exec_image_e"));
	}
	TEXPECT_EQ(remove("/tmp/exec_image_e"), 0);
	/* Freed pages of ended children come back shortly after their status: poll, with a bound. */
	uint64_t now = used_pages();
	for (int tries = 0; tries < 200 && now > before + PAGES_SLACK; tries++) {
		nanosleep(10 * TU_MS);
		now = used_pages();
	}
	if (now > before + PAGES_SLACK)
		ktap_diag("used pages %llu before, %llu after %d spawns", (unsigned long long)before,
			  (unsigned long long)now, SPAWNS);
	TEXPECT(now <= before + PAGES_SLACK);
}

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0] && argv[0][0] == '/')
		self = argv[0];
	mix_expected = mix(3);
	if (argc >= 4 && strcmp(argv[1], "child-wait") == 0)
		return child_wait(argv);
	if (argc >= 5 && strcmp(argv[1], "child-write-data") == 0)
		return child_write_data(argv);
	if (argc >= 2 && strcmp(argv[1], "child-write-text") == 0)
		return child_write_text();
	if (argc >= 2 && strcmp(argv[1], "child-write-rodata") == 0)
		return child_write_rodata();
	if (argc >= 3 && strcmp(argv[1], "child-zero-tails") == 0)
		return child_zero_tails(argv);
	if (argc >= 2 && strcmp(argv[1], "child-check") == 0)
		return child_check();
	return ktap_main();
}
