// SPDX-License-Identifier: MIT
// sys_mem: probes of MMAP, MUNMAP, MPROTECT (spec §7.19-21) and a random sequence against a model.
//
// Usage: /bin/tests/sys_mem [seed=N]     every probe, KTAP on fd 1; N seeds
//                                        the random sequence (default fixed)
//        /bin/tests/sys_mem child-...    one child role (see child_roles[])
//
// Accesses that must fault (and any that would fault on a broken kernel in
// a way the parent could not survive) run in child processes: this program
// again, with a "child-*" argv[1]. A child that faults ends with status 14;
// one whose access unexpectedly worked exits NO_FAULT_STATUS.
//
// Writability is also probed without faulting: UNIX_EPOCH writes 8 bytes
// through its `out` pointer, and the buffer rule (§4.2 step 5) makes it fail
// with EFAULT unless every byte is in a writable user page.
#include <errno.h>
#include <fcntl.h>
#include <ktap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "user/tests/common/tu.h"

#define SELF_DEFAULT "/bin/tests/sys_mem"
#define P TU_PAGE
#define RW (PROT_READ | PROT_WRITE)
#define NO_FAULT_STATUS 99

/* Fixed-address playgrounds: nothing else maps there (the heap grows up from the image). */
#define HOLE 0x0000300000000000ull
#define WIN 0x0000200000000000ull
#define WIN_PAGES 64

static const char *self = SELF_DEFAULT;
static uint64_t random_seed = 0x51554C54D00D5EEDull;

/* ------------------------------------------------------------------ helpers */

static fd_t dev_fd(const char *path, fd_t *cache)
{
	if (*cache == FD_NONE)
		*cache = open(path);
	return *cache;
}

static fd_t zero(void)
{
	static fd_t fd = FD_NONE;
	return dev_fd("/dev/zero", &fd);
}

static fd_t one(void)
{
	static fd_t fd = FD_NONE;
	return dev_fd("/dev/one", &fd);
}

#define NEED_ZERO() TASSERT(zero() != ERR)
#define NEED_ONE() TASSERT(one() != ERR)

/*
 * Does the kernel see the page holding @p as mapped and readable? FUTEX_WAIT
 * with timeout 0 reads the page's first 8 bytes and changes nothing: EFAULT
 * if unmapped, else EAGAIN or ETIMEDOUT.
 */
static bool kernel_can_read(const void *p)
{
	uint64_t page = (uint64_t)p & ~(P - 1);
	return syscall4(SYS_FUTEX, page, 0, FUTEX_WAIT, 0) != ERR || syscall0(SYS_ERRNO) != EFAULT;
}

/* Does the kernel see the 8 bytes at @p as mapped and writable? (UNIX_EPOCH writes there.) */
static bool kernel_can_write(void *p)
{
	return syscall1(SYS_UNIX_EPOCH, (uint64_t)p) != ERR;
}

/*
 * Whether every page of [@p, @p + @n) is readable / writable for the
 * kernel. Checked before this process reads or writes memory that a broken
 * kernel might have unmapped or protected, so that such a kernel fails the
 * test instead of killing the whole KTAP stream. writable() changes the
 * first 8 bytes of each page.
 */
static bool readable(const void *p, uint64_t n)
{
	for (uint64_t a = (uint64_t)p & ~(P - 1); a < (uint64_t)p + n; a += P) {
		if (!kernel_can_read((void *)a)) {
			ktap_diag("page %#llx is not readable", (unsigned long long)a);
			return false;
		}
	}
	return true;
}

static bool writable(void *p, uint64_t n)
{
	for (uint64_t a = (uint64_t)p & ~(P - 1); a < (uint64_t)p + n; a += P) {
		if (!kernel_can_write((void *)a)) {
			ktap_diag("page %#llx is not writable", (unsigned long long)a);
			return false;
		}
	}
	return true;
}

/* Whether all @n bytes at @p equal @v; reports the first difference as a diagnostic. */
static bool all_bytes(const void *p, uint64_t n, uint8_t v)
{
	const volatile uint8_t *b = p;
	if (!readable(p, n))
		return false;
	for (uint64_t i = 0; i < n; i++) {
		if (b[i] != v) {
			ktap_diag("byte %llu of %p is %#x, want %#x", (unsigned long long)i, p, b[i], v);
			return false;
		}
	}
	return true;
}

/*
 * Is the page at @p mapped? mprotect to @prot (the page's expected
 * protection) says so; on a wrong protection it would repair it, so tests
 * check writability (kernel_can_write) before they call this.
 */
static bool page_mapped(void *p, uint32_t prot)
{
	return syscall3(SYS_MPROTECT, (uint64_t)p, P, prot) == (uint64_t)p;
}

/* Unmap HOLE..HOLE+64 pages and map @pages fresh zero pages at HOLE, RW. */
static uint8_t *map_hole(uint64_t pages)
{
	munmap((void *)HOLE, 64 * P);
	return mmap(zero(), (void *)HOLE, pages * P, RW);
}

/* Run a child role; TU_NO_STATUS if it produced no status (already reported). */
#define EXPECT_ROLE_STATUS(want, ...)                                                        \
	do {                                                                                 \
		int st_ = tu_run_role(self, __VA_ARGS__, NULL);                              \
		if (st_ != TU_NO_STATUS && st_ != (want))                                    \
			ktap_fail(__FILE__, __LINE__, "child %s ended with status %d, want %d", \
				  #__VA_ARGS__, st_, (want));                                \
	} while (0)

/* ------------------------------------------------------------------ the model and its random sequence */

/*
 * Reference model of the 64-page window at WIN: per page whether it is
 * mapped, its protection and every byte of its content. The sequence of
 * operations is a pure function of the seed and of the model's mapped/prot
 * state (never of content), so a child can replay it exactly.
 */
struct model {
	bool mapped[WIN_PAGES];
	uint32_t prot[WIN_PAGES];
	uint8_t content[WIN_PAGES][P];
};

static struct model model;

enum op_kind { OP_MAP, OP_UNMAP, OP_PROTECT, OP_WRITE, OP_NOTHING };

struct op {
	enum op_kind kind;
	int first, last; /* pages touched */
	uint64_t addr, len;
	bool from_one;	 /* OP_MAP: /dev/one instead of /dev/zero */
	uint32_t prot;	 /* OP_MAP, OP_PROTECT */
	uint64_t woff, wlen;
	uint8_t value;	 /* OP_WRITE: memset(page first + woff, value, wlen) */
};

static const char *op_name(enum op_kind k)
{
	static const char *const names[] = { "mmap", "munmap", "mprotect", "write", "nothing" };
	return names[k];
}

/*
 * A byte range [a, b) inside the window, as an address and a length, whose
 * pages are first..last: the start is sometimes unaligned inside the first
 * page and the end sometimes short of the last page's end.
 */
static void gen_range(uint64_t *rng, int max_pages, struct op *op)
{
	int s = (int)tu_rand_below(rng, WIN_PAGES);
	int n = 1 + (int)tu_rand_below(rng, (uint64_t)max_pages);
	if (s + n > WIN_PAGES)
		n = WIN_PAGES - s;
	uint64_t a = (uint64_t)s * P + (tu_rand_below(rng, 4) == 0 ? tu_rand_below(rng, P) : 0);
	uint64_t last_start = (uint64_t)(s + n - 1) * P;
	uint64_t lo = a + 1 > last_start + 1 ? a + 1 : last_start + 1;
	uint64_t hi = last_start + P;
	uint64_t b = tu_rand_below(rng, 4) == 0 ? lo + tu_rand_below(rng, hi - lo + 1) : hi;
	op->first = s;
	op->last = s + n - 1;
	op->addr = WIN + a;
	op->len = b - a;
}

static struct op gen_op(uint64_t *rng)
{
	struct op op = { .kind = OP_NOTHING };
	uint64_t k = tu_rand_below(rng, 100);
	if (k < 30) {
		op.kind = OP_MAP;
		gen_range(rng, 8, &op);
		op.from_one = tu_rand_below(rng, 2);
		op.prot = tu_rand_below(rng, 10) < 3 ? PROT_READ : RW;
	} else if (k < 50) {
		op.kind = OP_UNMAP;
		gen_range(rng, 12, &op);
	} else if (k < 75) {
		op.kind = OP_PROTECT;
		gen_range(rng, 8, &op);
		uint64_t p = tu_rand_below(rng, 5);
		op.prot = p == 0 ? PROT_NONE : p <= 2 ? PROT_READ : RW;
	} else {
		int writable[WIN_PAGES], n = 0;
		for (int i = 0; i < WIN_PAGES; i++)
			if (model.mapped[i] && model.prot[i] == RW)
				writable[n++] = i;
		if (n == 0)
			return op;
		op.kind = OP_WRITE;
		op.first = op.last = writable[tu_rand_below(rng, (uint64_t)n)];
		op.woff = tu_rand_below(rng, P);
		op.wlen = 1 + tu_rand_below(rng, P - op.woff);
		op.value = (uint8_t)tu_rand(rng);
	}
	return op;
}

static void describe(const struct op *op, char *buf, size_t size)
{
	snprintf(buf, size, "%s pages %d-%d addr %#llx len %llu prot %u%s woff %llu wlen %llu", op_name(op->kind),
		 op->first, op->last, (unsigned long long)op->addr, (unsigned long long)op->len, op->prot,
		 op->from_one ? " /dev/one" : "", (unsigned long long)op->woff, (unsigned long long)op->wlen);
}

/*
 * Perform @op and update the model. Returns false if the kernel's result
 * differs from the model's prediction (the model is then updated as if it
 * had not, so that reports stay about the first difference).
 */
static bool apply_op(const struct op *op, char *why, size_t why_size)
{
	uint64_t page0 = WIN + (uint64_t)op->first * P;
	void *r;
	bool all_mapped = true;
	why[0] = '\0';
	switch (op->kind) {
	case OP_NOTHING:
		return true;
	case OP_WRITE:
		memset((void *)(page0 + op->woff), op->value, op->wlen);
		memset(&model.content[op->first][op->woff], op->value, op->wlen);
		return true;
	case OP_MAP:
		r = mmap(op->from_one ? one() : zero(), (void *)op->addr, op->len, op->prot);
		if ((uint64_t)r != page0) {
			snprintf(why, why_size, "mmap returned %p (errno %s), want %#llx", r, strerror(errno),
				 (unsigned long long)page0);
			return false;
		}
		for (int i = op->first; i <= op->last; i++) {
			model.mapped[i] = true;
			model.prot[i] = op->prot;
			memset(model.content[i], op->from_one ? 0xFF : 0x00, P);
		}
		return true;
	case OP_UNMAP:
	case OP_PROTECT:
		for (int i = op->first; i <= op->last; i++)
			all_mapped &= model.mapped[i];
		if (op->kind == OP_UNMAP)
			r = munmap((void *)op->addr, op->len);
		else
			r = mprotect((void *)op->addr, op->len, op->prot);
		if (op->kind == OP_UNMAP || op->prot == PROT_NONE) {
			/* munmap semantics: always succeeds on a valid range (§7.20, §7.21 step 2). */
			if ((uint64_t)r != page0) {
				snprintf(why, why_size, "%s returned %p (errno %s), want %#llx", op_name(op->kind), r,
					 strerror(errno), (unsigned long long)page0);
				return false;
			}
			for (int i = op->first; i <= op->last; i++)
				model.mapped[i] = false;
			return true;
		}
		if (!all_mapped) {
			/* OUR CHOICE (§7.21 steps 6-7): ENOENT and nothing changes. */
			if (r != NULL || errno != ENOENT) {
				snprintf(why, why_size, "mprotect over a hole returned %p (errno %s), want ENOENT", r,
					 strerror(errno));
				return false;
			}
			return true;
		}
		if ((uint64_t)r != page0) {
			snprintf(why, why_size, "mprotect returned %p (errno %s), want %#llx", r, strerror(errno),
				 (unsigned long long)page0);
			return false;
		}
		for (int i = op->first; i <= op->last; i++)
			model.prot[i] = op->prot;
		return true;
	}
	return true;
}

/*
 * Compare the window with the model without any access that could fault
 * and without changing any protection: mapped or not (FUTEX_WAIT reads the
 * page or fails with EFAULT), writability (UNIX_EPOCH into the page, which
 * changes 8 bytes that the model records), then the content (reads of
 * mapped pages only).
 */
static bool verify_window(uint64_t *vrng, char *why, size_t why_size)
{
	for (int i = 0; i < WIN_PAGES; i++) {
		uint8_t *pg = (uint8_t *)(WIN + (uint64_t)i * P);
		if (kernel_can_read(pg) != model.mapped[i]) {
			snprintf(why, why_size, "page %d should be %s", i, model.mapped[i] ? "mapped" : "unmapped");
			return false;
		}
		if (!model.mapped[i])
			continue;
		uint64_t off = 8 * tu_rand_below(vrng, P / 8);
		uint64_t t = syscall1(SYS_UNIX_EPOCH, (uint64_t)(pg + off));
		uint64_t e = syscall0(SYS_ERRNO);
		if (model.prot[i] == RW) {
			if (t == ERR) {
				snprintf(why, why_size, "page %d is RW but the kernel could not write it: %s", i,
					 strerror((int)e));
				return false;
			}
			memcpy(&model.content[i][off], &t, 8);
		} else if (t != ERR || e != EFAULT) {
			snprintf(why, why_size, "page %d is read-only but unix_epoch into it gave %#llx errno %s", i,
				 (unsigned long long)t, strerror((int)e));
			return false;
		}
		if (memcmp(pg, model.content[i], P) != 0) {
			uint64_t at = 0;
			while (at < P && pg[at] == model.content[i][at])
				at++;
			snprintf(why, why_size, "page %d byte %llu is %#x, want %#x", i, (unsigned long long)at,
				 pg[at], model.content[i][at]);
			return false;
		}
	}
	return true;
}

static void model_reset(void)
{
	memset(&model, 0, sizeof(model));
	munmap((void *)WIN, WIN_PAGES * P);
}

/* ================================================================== child roles */

static int child_ro_write(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, P, PROT_READ);
	if (!p)
		return 2;
	for (uint64_t i = 0; i < P; i++)
		if (((volatile uint8_t *)p)[i] != 0)
			return 3;
	((volatile uint8_t *)p)[100] = 1;
	return NO_FAULT_STATUS;
}

static int child_unmap_touch(int argc, char **argv)
{
	bool write = strcmp(argv[1], "child-unmap-write") == 0;
	uint8_t *p = mmap(zero(), NULL, P, RW);
	if (!p)
		return 2;
	p[0] = 1;
	if (munmap(p, P) != p)
		return 3;
	if (write)
		((volatile uint8_t *)p)[0] = 2;
	else
		(void)((volatile uint8_t *)p)[0];
	return NO_FAULT_STATUS;
}

/* Map three pages filled 1, 2, 3 and unmap the middle one. */
static uint8_t *three_pages_without_middle(void)
{
	uint8_t *p = mmap(zero(), NULL, 3 * P, RW);
	if (!p)
		return NULL;
	for (int i = 0; i < 3; i++)
		memset(p + (uint64_t)i * P, i + 1, P);
	return munmap(p + P, P) == p + P ? p : NULL;
}

static int child_unmap_middle_touch(int argc, char **argv)
{
	uint8_t *p = three_pages_without_middle();
	if (!p)
		return 2;
	(void)((volatile uint8_t *)p)[P + 1];
	return NO_FAULT_STATUS;
}

static int child_unmap_middle_neighbours(int argc, char **argv)
{
	uint8_t *p = three_pages_without_middle();
	if (!p)
		return 2;
	for (uint64_t i = 0; i < P; i++)
		if (p[i] != 1 || p[2 * P + i] != 3)
			return 3;
	memset(p, 0x11, P);
	memset(p + 2 * P, 0x33, P);
	for (uint64_t i = 0; i < P; i++)
		if (((volatile uint8_t *)p)[i] != 0x11 || ((volatile uint8_t *)p)[2 * P + i] != 0x33)
			return 4;
	return 0;
}

static int child_mprotect_ro_write(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, P, RW);
	if (!p)
		return 2;
	memset(p, 0x5A, P);
	if (mprotect(p, P, PROT_READ) != p)
		return 3;
	if (((volatile uint8_t *)p)[7] != 0x5A)
		return 4;
	((volatile uint8_t *)p)[7] = 0;
	return NO_FAULT_STATUS;
}

static int child_mprotect_rw_write(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, 2 * P, PROT_READ);
	if (!p)
		return 2;
	if (mprotect(p, 2 * P, RW) != p)
		return 3;
	memset(p, 0x77, 2 * P);
	for (uint64_t i = 0; i < 2 * P; i++)
		if (((volatile uint8_t *)p)[i] != 0x77)
			return 4;
	return 0;
}

static int child_mprotect_none_touch(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, P, RW);
	if (!p)
		return 2;
	p[0] = 1;
	if (mprotect(p, P, PROT_NONE) != p)
		return 3;
	(void)((volatile uint8_t *)p)[0];
	return NO_FAULT_STATUS;
}

static int child_mprotect_bad_prot_write(int argc, char **argv)
{
	uint8_t *p = mmap(zero(), NULL, P, RW);
	if (!p)
		return 2;
	p[0] = 1;
	if (mprotect(p, P, PROT_EXECUTE) != NULL || errno != EINVAL)
		return 3;
	((volatile uint8_t *)p)[0] = 2;
	return ((volatile uint8_t *)p)[0] == 2 ? 0 : 4;
}

/*
 * child-replay <seed> <steps> <page> <r|w>: replay the first @steps
 * operations of the random sequence, then read or write one byte of window
 * page @page. Status 0 if the access worked, 14 if it faulted, 3 if the
 * kernel's results diverged from the model during the replay.
 */
static int child_replay(int argc, char **argv)
{
	if (argc < 6)
		return 2;
	uint64_t rng = tu_parse_u64(argv[2]);
	uint64_t steps = tu_parse_u64(argv[3]);
	uint64_t page = tu_parse_u64(argv[4]);
	char why[200];
	if (zero() == ERR || one() == ERR || page >= WIN_PAGES)
		return 2;
	model_reset();
	for (uint64_t s = 0; s < steps; s++) {
		struct op op = gen_op(&rng);
		if (!apply_op(&op, why, sizeof(why))) {
			printf("# child-replay: step %llu: %s\n", (unsigned long long)s, why);
			return 3;
		}
	}
	volatile uint8_t *b = (volatile uint8_t *)(WIN + page * P + 123);
	if (argv[5][0] == 'w')
		*b = 0x42;
	else
		(void)*b;
	return 0;
}

struct child_role {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct child_role child_roles[] = {
	{ "child-ro-write", child_ro_write },
	{ "child-unmap-read", child_unmap_touch },
	{ "child-unmap-write", child_unmap_touch },
	{ "child-unmap-middle-touch", child_unmap_middle_touch },
	{ "child-unmap-middle-neighbours", child_unmap_middle_neighbours },
	{ "child-mprotect-ro-write", child_mprotect_ro_write },
	{ "child-mprotect-rw-write", child_mprotect_rw_write },
	{ "child-mprotect-none-touch", child_mprotect_none_touch },
	{ "child-mprotect-bad-prot-write", child_mprotect_bad_prot_write },
	{ "child-replay", child_replay },
};

/* ================================================================== 19 MMAP */

KTAP_TEST(mmap_zero_page_aligned_zero_writable)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT_EQ((uint64_t)p % P, 0);
	TEXPECT((uint64_t)p >= TU_USER_MIN && (uint64_t)p + P <= TU_USER_MAX);
	TEXPECT(all_bytes(p, P, 0));
	TASSERT(kernel_can_write(p)); /* before our own writes: see the header comment */
	memset(p, 0xA5, P);
	TEXPECT(all_bytes(p, P, 0xA5));
	TEXPECT(munmap(p, P) == p);
}

KTAP_TEST(mmap_zero_16_pages_zero_and_distinct)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 16 * P, RW);
	TASSERT(p != NULL);
	TEXPECT(all_bytes(p, 16 * P, 0));
	TASSERT(writable(p, 16 * P));
	for (int i = 0; i < 16; i++)
		memset(p + (uint64_t)i * P, i + 1, P);
	for (int i = 0; i < 16; i++)
		TEXPECT(all_bytes(p + (uint64_t)i * P, P, (uint8_t)(i + 1)));
	TEXPECT(munmap(p, 16 * P) == p);
}

KTAP_TEST(mmap_length_rounds_up_to_pages)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P + 1, RW); /* two pages */
	TASSERT(p != NULL);
	TEXPECT(kernel_can_write(p + 2 * P - 8));
	TEXPECT(page_mapped(p + P, RW));
	TEXPECT(munmap(p, 2 * P) == p);
}

KTAP_TEST(mmap_prot_invalid_einval)
{
	NEED_ZERO();
	static const uint32_t bad[] = { 0, 2, 4, 5, 6, 7, 8, 9, 0x10, 0x80000001u };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEXPECT_NULL_ERR(mmap(zero(), NULL, P, bad[i]), EINVAL);
}

KTAP_TEST(mmap_prot_upper_bits_ignored)
{
	NEED_ZERO();
	uint64_t p = syscall4(SYS_MMAP, zero(), 0, P, 0x100000003ull);
	TASSERT(p != 0);
	TEXPECT(kernel_can_write((void *)p));
	munmap((void *)p, P);
	p = syscall4(SYS_MMAP, zero(), 0, P, 0xFFFFFFFF00000001ull);
	TASSERT(p != 0);
	TEXPECT(!kernel_can_write((void *)p)); /* PROT_READ */
	munmap((void *)p, P);
	TEXPECT_RAW_NULL_ERR(syscall4(SYS_MMAP, zero(), 0, P, 0x100000000ull), EINVAL);
}

KTAP_TEST(mmap_length_0_einval)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), NULL, 0, RW), EINVAL);
	TEXPECT_NULL_ERR(mmap(zero(), NULL, 0, PROT_READ), EINVAL);
}

KTAP_TEST(mmap_read_only_descriptor_eacces)
{
	fd_t fd = open("/dev/zero:r");
	TASSERT(fd != ERR);
	TEXPECT_NULL_ERR(mmap(fd, NULL, P, RW), EACCES);
	uint8_t *p = mmap(fd, NULL, P, PROT_READ);
	TEXPECT(p != NULL);
	if (p)
		munmap(p, P);
	close(fd);
}

KTAP_TEST(mmap_write_only_descriptor_eacces)
{
	fd_t fd = open("/dev/zero:w");
	TASSERT(fd != ERR);
	TEXPECT_NULL_ERR(mmap(fd, NULL, P, PROT_READ), EACCES);
	TEXPECT_NULL_ERR(mmap(fd, NULL, P, RW), EACCES);
	close(fd);
}

KTAP_TEST(mmap_bad_descriptor_ebadf_and_check_order)
{
	TEXPECT_NULL_ERR(mmap(9999, NULL, P, PROT_READ), EBADF);
	TEXPECT_NULL_ERR(mmap(FD_NONE, NULL, P, RW), EBADF);
	TEXPECT_NULL_ERR(mmap(64, NULL, P, RW), EBADF);
	/* Error order (§7.19): address range, then prot, then the descriptor. */
	TEXPECT_NULL_ERR(mmap(9999, NULL, P, 0), EINVAL);
	TEXPECT_NULL_ERR(mmap(9999, (void *)0x1000, P, 0), EFAULT);
	TEXPECT_NULL_ERR(mmap(9999, (void *)(UINT64_MAX - 10), 100, 0), EOVERFLOW);
}

KTAP_TEST(mmap_unmappable_objects)
{
	fd_t null = open("/dev/null");
	TASSERT(null != ERR);
	TEXPECT_NULL_ERR(mmap(null, NULL, P, PROT_READ), ENOSYS);
	close(null);
	fd_t dir = open("/:d");
	TASSERT(dir != ERR);
	TEXPECT_NULL_ERR(mmap(dir, NULL, P, PROT_READ), EISDIR);
	close(dir);
}

KTAP_TEST(mmap_fixed_below_user_min_efault)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), (void *)0x1000, P, RW), EFAULT);
	TEXPECT_NULL_ERR(mmap(zero(), (void *)1, P, RW), EFAULT);
	TEXPECT_NULL_ERR(mmap(zero(), (void *)(TU_USER_MIN - P), 2 * P, RW), EFAULT);
}

KTAP_TEST(mmap_fixed_crossing_user_max_efault)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), (void *)(TU_USER_MAX - P), 2 * P, RW), EFAULT);
	TEXPECT_NULL_ERR(mmap(zero(), (void *)TU_USER_MAX, P, RW), EFAULT);
}

KTAP_TEST(mmap_fixed_wrapping_eoverflow)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), (void *)(UINT64_MAX - 10), 100, RW), EOVERFLOW);
}

KTAP_TEST(mmap_fixed_kernel_and_noncanonical_efault)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), (void *)TU_KERNEL_ADDR, P, RW), EFAULT);
	TEXPECT_NULL_ERR(mmap(zero(), (void *)TU_NONCANONICAL, P, RW), EFAULT);
}

KTAP_TEST(mmap_fixed_replaces_existing_mapping)
{
	NEED_ZERO();
	NEED_ONE();
	uint8_t *p = map_hole(2);
	TASSERT(p == (uint8_t *)HOLE);
	TASSERT(writable(p, 2 * P));
	memset(p, 0xAA, 2 * P);
	TEXPECT(mmap(zero(), p, P, RW) == p);
	TEXPECT(all_bytes(p, P, 0));
	TEXPECT(all_bytes(p + P, P, 0xAA)); /* only the covered page was replaced */
	/* Replacing a writable page by a read-only /dev/one page. */
	TEXPECT(mmap(one(), p + P, P, PROT_READ) == p + P);
	TEXPECT(all_bytes(p + P, P, 0xFF));
	TEXPECT(!kernel_can_write(p + P));
	munmap(p, 2 * P);
}

KTAP_TEST(mmap_fixed_unaligned_returns_page_start)
{
	NEED_ZERO();
	uint8_t *base = map_hole(2);
	TASSERT(base == (uint8_t *)HOLE);
	TASSERT(writable(base, 2 * P));
	memset(base, 0xAA, 2 * P);
	TEXPECT(mmap(zero(), base + 0x123, 100, RW) == base);
	TEXPECT(all_bytes(base, P, 0)); /* the whole page, not only the 100 bytes (§11 row 23) */
	TEXPECT(all_bytes(base + P, P, 0xAA));
	munmap(base, 2 * P);
}

KTAP_TEST(mmap_fixed_unaligned_spanning_two_pages)
{
	NEED_ZERO();
	uint8_t *base = map_hole(3);
	TASSERT(base == (uint8_t *)HOLE);
	TASSERT(writable(base, 3 * P));
	memset(base, 0xAA, 3 * P);
	TEXPECT(mmap(zero(), base + P - 96, 200, RW) == base);
	TEXPECT(all_bytes(base, 2 * P, 0));
	TEXPECT(all_bytes(base + 2 * P, P, 0xAA));
	munmap(base, 3 * P);
}

KTAP_TEST(mmap_huge_enomem)
{
	NEED_ZERO();
	TEXPECT_NULL_ERR(mmap(zero(), NULL, 1ull << 46, RW), ENOMEM);
	TEXPECT_NULL_ERR(mmap(zero(), NULL, 1ull << 46, PROT_READ), ENOMEM);
}

KTAP_TEST(mmap_read_only_reads_zero)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 4 * P, PROT_READ);
	TASSERT(p != NULL);
	TEXPECT(all_bytes(p, 4 * P, 0));
	TEXPECT_ERR(unix_epoch((time_t *)(p + P)), EFAULT);
	TEXPECT(all_bytes(p, 4 * P, 0));
	munmap(p, 4 * P);
}

KTAP_TEST(mmap_read_only_write_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-ro-write");
}

KTAP_TEST(mmap_one_reads_ff)
{
	NEED_ONE();
	uint8_t *p = mmap(one(), NULL, 3 * P, RW);
	TASSERT(p != NULL);
	TEXPECT(all_bytes(p, 3 * P, 0xFF));
	TASSERT(writable(p, 3 * P));
	memset(p, 0, 3 * P);
	TEXPECT(all_bytes(p, 3 * P, 0));
	munmap(p, 3 * P);
}

KTAP_TEST(mmap_one_unaligned_fixed_whole_page_ff)
{
	NEED_ZERO();
	NEED_ONE();
	uint8_t *base = map_hole(2);
	TASSERT(base == (uint8_t *)HOLE);
	TEXPECT(mmap(one(), base + 0x123, 100, RW) == base);
	TEXPECT(all_bytes(base, P, 0xFF));
	TEXPECT(all_bytes(base + P, P, 0));
	munmap(base, 2 * P);
}

KTAP_TEST(mmap_one_read_only_ff)
{
	NEED_ONE();
	uint8_t *p = mmap(one(), NULL, 2 * P, PROT_READ);
	TASSERT(p != NULL);
	TEXPECT(all_bytes(p, 2 * P, 0xFF));
	TEXPECT(!kernel_can_write(p));
	munmap(p, 2 * P);
}

KTAP_TEST(mmap_survives_closing_the_descriptor)
{
	fd_t fd = open("/dev/zero");
	TASSERT(fd != ERR);
	uint8_t *p = mmap(fd, NULL, 2 * P, RW);
	TASSERT(p != NULL);
	TEXPECT_EQ(close(fd), 0);
	TASSERT(writable(p, 2 * P));
	memset(p, 0x3C, 2 * P);
	TEXPECT(all_bytes(p, 2 * P, 0x3C));
	TEXPECT(munmap(p, 2 * P) == p);
}

KTAP_TEST(mmap_kernel_placed_mappings_disjoint)
{
	NEED_ZERO();
	uint8_t *maps[8];
	uint64_t sizes[8];
	for (int i = 0; i < 8; i++) {
		sizes[i] = (uint64_t)(1 + i % 5) * P;
		maps[i] = mmap(zero(), NULL, sizes[i], RW);
		TASSERT(maps[i] != NULL);
		TEXPECT_EQ((uint64_t)maps[i] % P, 0);
		TEXPECT((uint64_t)maps[i] >= TU_USER_MIN && (uint64_t)maps[i] + sizes[i] <= TU_USER_MAX);
		TASSERT(writable(maps[i], sizes[i]));
		memset(maps[i], 0x10 + i, sizes[i]);
	}
	for (int i = 0; i < 8; i++) {
		TEXPECT(all_bytes(maps[i], sizes[i], (uint8_t)(0x10 + i)));
		for (int j = 0; j < i; j++)
			TEXPECT(maps[i] + sizes[i] <= maps[j] || maps[j] + sizes[j] <= maps[i]);
	}
	for (int i = 0; i < 8; i++)
		munmap(maps[i], sizes[i]);
}

/* ================================================================== 20 MUNMAP */

KTAP_TEST(munmap_then_read_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-unmap-read");
}

KTAP_TEST(munmap_then_write_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-unmap-write");
}

KTAP_TEST(munmap_removes_mapping)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT(munmap(p, P) == p);
	TEXPECT(!page_mapped(p, RW));
	TEXPECT(!kernel_can_write(p));
}

KTAP_TEST(munmap_never_mapped_range_succeeds)
{
	munmap((void *)HOLE, 16 * P);
	TEXPECT(munmap((void *)HOLE, 16 * P) == (void *)HOLE);
	TEXPECT(munmap((void *)(HOLE + 5 * P + 7), 1) == (void *)(HOLE + 5 * P));
}

KTAP_TEST(munmap_range_with_holes_succeeds)
{
	NEED_ZERO();
	uint8_t *p = map_hole(4);
	TASSERT(p == (uint8_t *)HOLE);
	TASSERT(munmap(p + P, P) == p + P);
	TEXPECT(munmap(p, 4 * P) == p);
	for (int i = 0; i < 4; i++)
		TEXPECT(!page_mapped(p + (uint64_t)i * P, RW));
}

KTAP_TEST(munmap_null_efault)
{
	TEXPECT_NULL_ERR(munmap(NULL, P), EFAULT);
}

KTAP_TEST(munmap_length_0_einval)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT_NULL_ERR(munmap(p, 0), EINVAL);
	TEXPECT(page_mapped(p, RW)); /* nothing happened */
	munmap(p, P);
}

KTAP_TEST(munmap_bad_ranges_efault)
{
	TEXPECT_NULL_ERR(munmap((void *)TU_KERNEL_ADDR, P), EFAULT);
	TEXPECT_NULL_ERR(munmap((void *)TU_NONCANONICAL, P), EFAULT);
	TEXPECT_NULL_ERR(munmap((void *)0x1000, P), EFAULT);
	TEXPECT_NULL_ERR(munmap((void *)(TU_USER_MAX - P), 2 * P), EFAULT);
	/* MUNMAP folds every range failure, wrapping included, into EFAULT (§7.20). */
	TEXPECT_NULL_ERR(munmap((void *)(UINT64_MAX - 10), 100), EFAULT);
}

KTAP_TEST(munmap_unaligned_returns_page_start)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 2 * P, RW);
	TASSERT(p != NULL);
	TASSERT(writable(p, 2 * P));
	memset(p, 0x66, 2 * P);
	TEXPECT(munmap(p + 5, 10) == p);
	TEXPECT(!page_mapped(p, RW));
	TEXPECT(page_mapped(p + P, RW));
	TEXPECT(all_bytes(p + P, P, 0x66));
	munmap(p + P, P);
}

KTAP_TEST(munmap_middle_page_keeps_neighbours)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 3 * P, RW);
	TASSERT(p != NULL);
	TASSERT(writable(p, 3 * P));
	for (int i = 0; i < 3; i++)
		memset(p + (uint64_t)i * P, i + 1, P);
	TEXPECT(munmap(p + P, P) == p + P);
	TEXPECT(!page_mapped(p + P, RW));
	TEXPECT(all_bytes(p, P, 1));
	TEXPECT(all_bytes(p + 2 * P, P, 3));
	TEXPECT(kernel_can_write(p + 8));
	TEXPECT(kernel_can_write(p + 2 * P + 8));
	munmap(p, 3 * P);
	EXPECT_ROLE_STATUS(0, "child-unmap-middle-neighbours");
}

KTAP_TEST(munmap_middle_page_touch_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-unmap-middle-touch");
}

/* ================================================================== 21 MPROTECT */

KTAP_TEST(mprotect_rw_to_r_keeps_content_refuses_kernel_writes)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TASSERT(writable(p, P));
	memset(p, 0x5A, P);
	TEXPECT(mprotect(p, P, PROT_READ) == p);
	TEXPECT(all_bytes(p, P, 0x5A));
	TEXPECT_ERR(unix_epoch((time_t *)p), EFAULT);
	TEXPECT(all_bytes(p, P, 0x5A));
	munmap(p, P);
}

KTAP_TEST(mprotect_rw_to_r_write_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-mprotect-ro-write");
}

KTAP_TEST(mprotect_r_to_rw_write_works)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, PROT_READ);
	TASSERT(p != NULL);
	TEXPECT(!kernel_can_write(p));
	TEXPECT(mprotect(p, P, RW) == p);
	TEXPECT(kernel_can_write(p));
	munmap(p, P);
	EXPECT_ROLE_STATUS(0, "child-mprotect-rw-write");
}

KTAP_TEST(mprotect_none_unmaps_then_enoent)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT(mprotect(p, P, PROT_NONE) == p);
	TEXPECT_NULL_ERR(mprotect(p, P, PROT_READ), ENOENT);
	TEXPECT_NULL_ERR(mprotect(p, P, RW), ENOENT);
	/* PROT_NONE is munmap: again on the now-empty range still succeeds. */
	TEXPECT(mprotect(p, P, PROT_NONE) == p);
}

KTAP_TEST(mprotect_none_then_touch_kills_child)
{
	EXPECT_ROLE_STATUS(TU_FAULT_STATUS, "child-mprotect-none-touch");
}

KTAP_TEST(mprotect_invalid_prot_einval_mapping_intact)
{
	NEED_ZERO();
	static const uint32_t bad[] = { 2, 4, 5, 6, 7, 8, 0x11 };
	uint8_t *p = mmap(zero(), NULL, 2 * P, RW);
	TASSERT(p != NULL);
	TASSERT(writable(p, 2 * P));
	memset(p, 0x24, 2 * P);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TEXPECT_NULL_ERR(mprotect(p, 2 * P, bad[i]), EINVAL);
	TEXPECT(all_bytes(p, 2 * P, 0x24));
	TEXPECT(kernel_can_write(p) && kernel_can_write(p + P));
	TEXPECT(page_mapped(p, RW) && page_mapped(p + P, RW));
	munmap(p, 2 * P);
	EXPECT_ROLE_STATUS(0, "child-mprotect-bad-prot-write");
}

KTAP_TEST(mprotect_half_mapped_enoent_no_change)
{
	NEED_ZERO();
	uint8_t *p = map_hole(4);
	TASSERT(p == (uint8_t *)HOLE);
	/* Pages 1 and 2 mapped RW; 0 and 3 holes. */
	TASSERT(munmap(p, P) == p);
	TASSERT(munmap(p + 3 * P, P) == p + 3 * P);
	TASSERT(writable(p + P, 2 * P));
	memset(p + P, 0x42, 2 * P);
	TEXPECT_NULL_ERR(mprotect(p, 3 * P, PROT_READ), ENOENT);     /* hole first */
	TEXPECT_NULL_ERR(mprotect(p + P, 3 * P, PROT_READ), ENOENT); /* hole last */
	TEXPECT(all_bytes(p + P, 2 * P, 0x42));
	/* Still writable: PW would have made page 1 read-only before failing (§11 row 26). */
	TEXPECT(kernel_can_write(p + P) && kernel_can_write(p + 2 * P));
	TEXPECT(!page_mapped(p, PROT_READ) && !page_mapped(p + 3 * P, PROT_READ));
	munmap(p, 4 * P);
}

KTAP_TEST(mprotect_unmapped_range_enoent)
{
	munmap((void *)HOLE, 4 * P);
	TEXPECT_NULL_ERR(mprotect((void *)HOLE, 4 * P, PROT_READ), ENOENT);
	TEXPECT_NULL_ERR(mprotect((void *)HOLE, 4 * P, RW), ENOENT);
}

KTAP_TEST(mprotect_length_0_einval)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT_NULL_ERR(mprotect(p, 0, PROT_READ), EINVAL);
	TEXPECT_NULL_ERR(mprotect(p, 0, PROT_NONE), EINVAL);
	TEXPECT(kernel_can_write(p));
	munmap(p, P);
}

KTAP_TEST(mprotect_null_einval)
{
	TEXPECT_NULL_ERR(mprotect(NULL, P, PROT_READ), EINVAL);
}

KTAP_TEST(mprotect_bad_ranges)
{
	TEXPECT_NULL_ERR(mprotect((void *)(UINT64_MAX - 10), 100, PROT_READ), EOVERFLOW);
	TEXPECT_NULL_ERR(mprotect((void *)TU_KERNEL_ADDR, P, PROT_READ), EFAULT);
	TEXPECT_NULL_ERR(mprotect((void *)TU_NONCANONICAL, P, PROT_READ), EFAULT);
	TEXPECT_NULL_ERR(mprotect((void *)0x1000, P, PROT_READ), EFAULT);
	TEXPECT_NULL_ERR(mprotect((void *)(TU_USER_MAX - P), 2 * P, PROT_READ), EFAULT);
}

KTAP_TEST(mprotect_unaligned_returns_page_start)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, 2 * P, RW);
	TASSERT(p != NULL);
	TEXPECT(mprotect(p + 5, 10, PROT_READ) == p);
	TEXPECT(!kernel_can_write(p));
	TEXPECT(kernel_can_write(p + P));
	TEXPECT(mprotect(p + P - 1, 2, PROT_READ) == p); /* touches both pages */
	TEXPECT(!kernel_can_write(p + P));
	munmap(p, 2 * P);
}

KTAP_TEST(mprotect_prot_upper_bits_ignored)
{
	NEED_ZERO();
	uint8_t *p = mmap(zero(), NULL, P, RW);
	TASSERT(p != NULL);
	TEXPECT_EQ(syscall3(SYS_MPROTECT, (uint64_t)p, P, 0xABCD000000000001ull), (uint64_t)p);
	TEXPECT(!kernel_can_write(p));
	TEXPECT_EQ(syscall3(SYS_MPROTECT, (uint64_t)p, P, 0x100000003ull), (uint64_t)p);
	TEXPECT(kernel_can_write(p));
	TEXPECT_RAW_NULL_ERR(syscall3(SYS_MPROTECT, (uint64_t)p, P, 0x100000004ull), EINVAL);
	TEXPECT(page_mapped(p, RW)); /* the invalid request changed nothing */
	munmap(p, P);
}

/* ================================================================== random sequence */

#define RANDOM_STEPS 400
#define CHILD_PROBE_EVERY 40

/* Ask a child to replay @steps operations and then access @page; compare with the model. */
static bool probe_in_child(uint64_t steps, uint64_t *vrng)
{
	uint64_t page = tu_rand_below(vrng, WIN_PAGES);
	bool write = tu_rand_below(vrng, 2);
	int want = model.mapped[page] && (!write || model.prot[page] == RW) ? 0 : TU_FAULT_STATUS;
	char seed[24], n[24], pg[24];
	snprintf(seed, sizeof(seed), "%#llx", (unsigned long long)random_seed);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)steps);
	snprintf(pg, sizeof(pg), "%llu", (unsigned long long)page);
	int status = tu_run_role(self, "child-replay", seed, n, pg, write ? "w" : "r", NULL);
	if (status == want)
		return true;
	ktap_fail(__FILE__, __LINE__,
		  "after %llu steps a child %s of page %llu (%s, prot %u) ended with %d, want %d",
		  (unsigned long long)steps, write ? "write" : "read", (unsigned long long)page,
		  model.mapped[page] ? "mapped" : "unmapped", model.prot[page], status, want);
	return false;
}

KTAP_TEST(random_sequence_matches_model)
{
	NEED_ZERO();
	NEED_ONE();
	uint64_t rng = random_seed, vrng = random_seed ^ 0x5BD1E9955BD1E995ull;
	char why[200], what[160];
	int counts[5] = { 0 };
	const char *run_seed = getenv("SEED");
	ktap_diag("seed %#llx (rerun with: sys_mem seed=%#llx, or the whole run with make test SEED=%s)",
		  (unsigned long long)random_seed, (unsigned long long)random_seed,
		  run_seed && *run_seed ? run_seed : "<default>");
	model_reset();
	for (uint64_t step = 0; step < RANDOM_STEPS; step++) {
		struct op op = gen_op(&rng);
		counts[op.kind]++;
		if (!apply_op(&op, why, sizeof(why)) || !verify_window(&vrng, why, sizeof(why))) {
			describe(&op, what, sizeof(what));
			ktap_fail(__FILE__, __LINE__, "step %llu (%s): %s", (unsigned long long)step, what, why);
			model_reset();
			return;
		}
		if ((step + 1) % CHILD_PROBE_EVERY == 0 && !probe_in_child(step + 1, &vrng))
			break;
	}
	ktap_diag("%d mmap, %d munmap, %d mprotect, %d writes", counts[OP_MAP], counts[OP_UNMAP],
		  counts[OP_PROTECT], counts[OP_WRITE]);
	model_reset();
}

/* ================================================================== main */

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0] && argv[0][0] == '/')
		self = argv[0];
	if (argc >= 2 && strncmp(argv[1], "child-", 6) == 0) {
		for (size_t i = 0; i < sizeof(child_roles) / sizeof(child_roles[0]); i++)
			if (strcmp(argv[1], child_roles[i].name) == 0)
				return zero() == ERR ? 2 : child_roles[i].fn(argc, argv);
		printf("# sys_mem: unknown child role %s\n", argv[1]);
		return 98;
	}
	if (argc >= 2 && strncmp(argv[1], "seed=", 5) == 0)
		random_seed = tu_parse_u64(argv[1] + 5) | 1; /* xorshift needs a non-zero state */
	else
		random_seed = tu_seed(0x51554C54D00D5EEDull, false) | 1; /* the run's seed (make test SEED=) */
	return tu_ktap_main(60 * TU_SEC);
}
