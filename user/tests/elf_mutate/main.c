// SPDX-License-Identifier: MIT
// elf_mutate: mutated programs through SPAWN (issue 13). A valid program
// (/bin/true) is changed by a seeded PRNG -- ELF header fields, program
// header fields, sizes, offsets, truncation, random bytes -- written to
// /tmp, spawned and waited for. Whatever the loader makes of it, the child
// must end with a status (killed after 5 s if it runs on: a mutated entry
// point may well loop), and the kernel must survive; its leak counters are
// checked by the runner's boot afterwards.
//
//   /bin/tests/elf_mutate [COUNT [SEED]]     (default 1000 mutants, a fresh seed)
//
// Statuses: 138 (ESPAWNFAIL, the loader refused it), 14 (a CPU exception in
// the mutant), 0 (it ran, or was killed), or any other when a mutant ran
// changed code that reached an exit (counted and shown, not an error: only
// the mutated program decides that number). What fails the test: spawn
// failing for another reason than the listed ones, a mutant that cannot be
// ended, and the control runs (unchanged file: 0; garbage: 138) going wrong.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kernel/lib/elf.h"
#include "user/tests/common/tu.h"

#define MUTANT "/tmp/elf_mutant"

static uint8_t *orig, *buf;
static uint64_t orig_size;
static uint64_t rng;

static uint64_t rnd(void) { return tu_rand(&rng); }
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

/* Values that break range checks: zero, ones, boundaries, wraps, huge. */
static uint64_t interesting(void)
{
	static const uint64_t v[] = { 0, 1, 2, 7, 8, 0x38, 0x40, 0x3f, 0xfff, 0x1000, 0x1001, 0x3fffff, 0x400000,
				      0x400001, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
				      0x00007FFFFFFFF000ull, 0x00007FFFFFFFEFFFull, 0x0000800000000000ull,
				      0xFFFF800000000000ull, 0xFFFFFFFF80000000ull, 0x7FFFFFFFFFFFFFFFull,
				      0x8000000000000000ull, 0xFFFFFFFFFFFFF000ull, 0xFFFFFFFFFFFFFFFFull };
	uint64_t x = v[below(sizeof(v) / sizeof(v[0]))];
	return below(4) ? x : x + below(16) - 8;
}

static void set_field(uint8_t *p, unsigned width, uint64_t value)
{
	memcpy(p, &value, width); /* little-endian: the low bytes */
}

/* One mutation of buf (orig_size bytes); returns the new length. */
static uint64_t mutate(char *what, size_t what_len)
{
	struct elf64_ehdr *eh = (struct elf64_ehdr *)buf;
	uint64_t len = orig_size;
	unsigned rounds = 1 + (unsigned)below(3);
	what[0] = 0;
	for (unsigned r = 0; r < rounds; r++) {
		size_t used = strlen(what);
		switch (below(7)) {
		case 0: { /* an ELF header field */
			static const struct { unsigned off, width; const char *name; } f[] = {
				{ 4, 1, "class" }, { 5, 1, "data" }, { 6, 1, "ident_version" }, { 7, 1, "osabi" },
				{ 16, 2, "type" }, { 18, 2, "machine" }, { 20, 4, "version" }, { 24, 8, "entry" },
				{ 32, 8, "phoff" }, { 40, 8, "shoff" }, { 48, 4, "flags" }, { 52, 2, "ehsize" },
				{ 54, 2, "phentsize" }, { 56, 2, "phnum" }, { 58, 2, "shentsize" }, { 60, 2, "shnum" },
				{ 62, 2, "shstrndx" }, { 0, 4, "magic" },
			};
			unsigned k = (unsigned)below(sizeof(f) / sizeof(f[0]));
			uint64_t v = interesting();
			set_field(buf + f[k].off, f[k].width, v);
			snprintf(what + used, what_len - used, "%s=%#llx ", f[k].name, (unsigned long long)v);
			break;
		}
		case 1:
		case 2: { /* a program header field */
			uint64_t phoff = 0;
			uint16_t phnum = 0;
			memcpy(&phoff, &eh->phoff, 8);
			memcpy(&phnum, &eh->phnum, 2);
			if (!phnum || phoff > orig_size || phnum * 56ull > orig_size - phoff)
				break;
			static const struct { unsigned off, width; const char *name; } f[] = {
				{ 0, 4, "p_type" }, { 4, 4, "p_flags" }, { 8, 8, "p_offset" }, { 16, 8, "p_vaddr" },
				{ 24, 8, "p_paddr" }, { 32, 8, "p_filesz" }, { 40, 8, "p_memsz" }, { 48, 8, "p_align" },
			};
			unsigned i = (unsigned)below(phnum), k = (unsigned)below(8);
			uint64_t v = interesting();
			if (k == 0 && below(2))
				v = below(2) ? 1 : 0x6474e551; /* PT_LOAD, PT_GNU_STACK */
			set_field(buf + phoff + i * 56ull + f[k].off, f[k].width, v);
			snprintf(what + used, what_len - used, "ph%u.%s=%#llx ", i, f[k].name, (unsigned long long)v);
			break;
		}
		case 3: /* truncation */
			len = below(len + 1);
			snprintf(what + used, what_len - used, "truncate=%llu ", (unsigned long long)len);
			break;
		case 4: { /* random bytes in the headers */
			unsigned n = 1 + (unsigned)below(8);
			for (unsigned i = 0; i < n; i++)
				buf[below(len < 512 ? len : 512)] = (uint8_t)rnd();
			snprintf(what + used, what_len - used, "header_bytes=%u ", n);
			break;
		}
		case 5: { /* random bytes anywhere */
			unsigned n = 1 + (unsigned)below(32);
			for (unsigned i = 0; i < n && len; i++)
				buf[below(len)] = (uint8_t)rnd();
			snprintf(what + used, what_len - used, "bytes=%u ", n);
			break;
		}
		default: { /* many program headers: phnum up to 65535, phoff anywhere */
			uint16_t n = (uint16_t)(below(2) ? 0xFFFF : below(1024));
			uint64_t off = below(2) ? 64 : below(len);
			memcpy(&eh->phnum, &n, 2);
			memcpy(&eh->phoff, &off, 8);
			snprintf(what + used, what_len - used, "phnum=%u phoff=%llu ", n, (unsigned long long)off);
			break;
		}
		}
	}
	return len;
}

static bool write_mutant(uint64_t len)
{
	fd_t fd = open(MUTANT ":cwt");
	if (fd == ERR)
		return false;
	bool ok = write(fd, buf, len) == len;
	close(fd);
	return ok;
}

/*
 * Spawn the mutant with no descriptors of ours; its status, or INT32_MIN if
 * it could not be ended. It is held (SPAWN_SUSPEND) until we hold its wait
 * file: a mutant that dies at once could otherwise be reaped before a
 * descheduled parent opens the file.
 */
static int run_mutant(pid_t *pid_out)
{
	const char *argv[] = { MUTANT, NULL };
	char path[48];
	pid_t pid = spawn(argv, SPAWN_EMPTY_FDS | SPAWN_SUSPEND);
	*pid_out = pid;
	if (pid == ERR)
		return INT32_MIN + 1;
	snprintf(path, sizeof(path), "/proc/%llu/wait", (unsigned long long)pid);
	fd_t fd = open(path);
	if (fd == ERR || proc_ctl(pid, "start") != 0) {
		tu_kill(pid);
		if (fd != ERR)
			close(fd);
		return INT32_MIN;
	}
	int status = INT32_MIN;
	struct abi_pollfd p = { fd, POLLIN, 0 };
	if (poll(&p, 1, 5 * TU_SEC) == 0) {
		/* Still running (a mutated entry may loop): kill it; it must end, with status 0 (spec §8.5). */
		tu_kill(pid);
		p.revents = 0;
		if (poll(&p, 1, 20 * TU_SEC) == 0 || tu_read_status(fd, &status) != 0 || status != 0)
			status = INT32_MIN;
	} else if (tu_read_status(fd, &status) != 0) {
		status = INT32_MIN;
	}
	close(fd);
	return status;
}

/* Every process started after us is a mutant's doing (the runner starts nothing meanwhile). */
static int kill_leftovers(void)
{
	static struct abi_dirent d[16];
	pid_t me = getpid();
	int found = 0;
	fd_t dir = open("/proc:d");
	if (dir == ERR)
		return 0;
	for (;;) {
		uint64_t n = getdents(dir, d, sizeof(d));
		if (n == ERR || n == 0)
			break;
		for (uint64_t i = 0; i < n / sizeof(d[0]); i++) {
			char *end;
			unsigned long long pid = strtoull(d[i].path, &end, 10);
			if (*end || end == d[i].path || pid <= me)
				continue;
			char path[64], b[32];
			snprintf(path, sizeof(path), "/proc/%llu/wait:n", pid);
			fd_t w = open(path);
			if (w == ERR)
				continue;
			if (read(w, b, sizeof(b)) == ERR && errno == EAGAIN) {
				found++;
				tu_kill(pid);
			}
			close(w);
		}
	}
	close(dir);
	return found;
}

int main(int argc, char **argv)
{
	uint64_t count = argc > 1 ? tu_parse_u64(argv[1]) : 1000;
	uint64_t seed = argc > 2 ? tu_parse_u64(argv[2]) : (uptime() ^ ((uint64_t)unix_epoch(NULL) << 16));
	rng = seed | 1;
	ktap_header();
	ktap_plan(4);
	printf("# elf_mutate: %llu mutants of /bin/true, seed %#llx (replay: /bin/tests/elf_mutate %llu %#llx)\n",
	       (unsigned long long)count, (unsigned long long)seed, (unsigned long long)count,
	       (unsigned long long)seed);

	fd_t fd = open("/bin/true:r");
	struct abi_stat st;
	if (fd == ERR || stat("/bin/true", &st) == ERR || !(orig = malloc(st.size)) || !(buf = malloc(st.size)) ||
	    read(fd, orig, st.size) != st.size) {
		printf("# cannot read /bin/true: %s\n", strerrorname_np(errno));
		return 1;
	}
	close(fd);
	orig_size = st.size;

	/* Controls: the unchanged program runs (0); garbage is refused (138). */
	pid_t pid;
	memcpy(buf, orig, orig_size);
	ktap_begin();
	TEXPECT(write_mutant(orig_size));
	int s = run_mutant(&pid);
	TEXPECT_EQ(s, 0);
	memset(buf, 0x5A, 64);
	TEXPECT(write_mutant(64));
	s = run_mutant(&pid);
	TEXPECT_EQ(s, 138);
	ktap_end("controls_unchanged_runs_garbage_refused");

	uint64_t n138 = 0, n14 = 0, n0 = 0, nother = 0, bad = 0, spawn_failed = 0;
	clock_t t0 = uptime();
	ktap_begin();
	for (uint64_t i = 0; i < count; i++) {
		char what[256];
		memcpy(buf, orig, orig_size);
		uint64_t len = mutate(what, sizeof(what));
		if (!write_mutant(len)) {
			ktap_fail(__FILE__, __LINE__, "mutant %llu: cannot write " MUTANT ": %s",
				  (unsigned long long)i, strerrorname_np(errno));
			break;
		}
		s = run_mutant(&pid);
		if (s == 138)
			n138++;
		else if (s == 14)
			n14++;
		else if (s == 0)
			n0++;
		else if (s == INT32_MIN + 1) {
			/* A spawn may fail for want of memory; nothing else is allowed for a valid argv. */
			if (errno != ENOMEM && ++spawn_failed <= 5)
				ktap_fail(__FILE__, __LINE__, "mutant %llu (%s): spawn failed: %s",
					  (unsigned long long)i, what, strerrorname_np(errno));
		} else if (s == INT32_MIN) {
			if (++bad <= 5)
				ktap_fail(__FILE__, __LINE__, "mutant %llu (%s), pid %llu: could not be ended",
					  (unsigned long long)i, what, (unsigned long long)pid);
		} else {
			if (++nother <= 5)
				printf("# mutant %llu (%s): status %d\n", (unsigned long long)i, what, s);
		}
		if (kill_leftovers())
			printf("# mutant %llu (%s) left processes behind: killed\n", (unsigned long long)i, what);
	}
	clock_t secs = (uptime() - t0) / TU_SEC;
	printf("# elf_mutate: %llu mutants in %llu s: %llu refused (138), %llu faulted (14), %llu ran or were "
	       "killed (0), %llu other statuses\n",
	       (unsigned long long)count, (unsigned long long)secs, (unsigned long long)n138,
	       (unsigned long long)n14, (unsigned long long)n0, (unsigned long long)nother);
	ktap_end("every_mutant_ends_with_a_status");

	ktap_begin();
	TEXPECT(count < 100 || n138 > count / 4); /* most mutations must be caught by the loader */
	ktap_end("loader_refuses_most_mutants");

	ktap_begin();
	for (int tries = 0; tries < 50 && kill_leftovers(); tries++)
		nanosleep(100 * TU_MS);
	TEXPECT_EQ(kill_leftovers(), 0);
	TEXPECT(remove(MUTANT) == 0);
	ktap_end("no_process_or_file_left");
	fflush(stdout);
	return 0;
}
