// SPDX-License-Identifier: MIT
// sys_mem: a random sequence of MMAP, MUNMAP, MPROTECT and writes in a window, checked against a model.
#include "user/tests/sys_mem/sys_mem.h"

/* The window of the sequence: nothing else maps there (the heap grows up from the image). */
#define WIN 0x0000200000000000ull
#define WIN_PAGES 64

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
			snprintf(why, why_size, "mmap returned %p (errno %s), want %#llx", r, strerrorname_np(errno),
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
					 strerrorname_np(errno), (unsigned long long)page0);
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
					 strerrorname_np(errno));
				return false;
			}
			return true;
		}
		if ((uint64_t)r != page0) {
			snprintf(why, why_size, "mprotect returned %p (errno %s), want %#llx", r, strerrorname_np(errno),
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
					 strerrorname_np((int)e));
				return false;
			}
			memcpy(&model.content[i][off], &t, 8);
		} else if (t != ERR || e != EFAULT) {
			snprintf(why, why_size, "page %d is read-only but unix_epoch into it gave %#llx errno %s", i,
				 (unsigned long long)t, strerrorname_np((int)e));
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

/*
 * child-replay <seed> <steps> <page> <r|w>: replay the first @steps
 * operations of the random sequence, then read or write one byte of window
 * page @page. Status 0 if the access worked, 14 if it faulted, 3 if the
 * kernel's results diverged from the model during the replay.
 */
int child_replay(int argc, char **argv)
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
