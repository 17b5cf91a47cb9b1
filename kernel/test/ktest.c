// SPDX-License-Identifier: MIT
// KTAP runner for in-kernel tests. Every test is bracketed by a leak check:
// the kernel's leak counters (kernel/leak.h: pages, heap bytes, ...) must read
// the same before and after, or the test fails.
#include "kernel/test/ktest.h"

#include <stdarg.h>

#include "kernel/cmdline.h"
#include "kernel/leak.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/sched/wait.h"
#include "kernel/time/time.h"

extern const struct ktest __ktests_start[], __ktests_end[];

void ktest_fail(struct ktest_ctx *ctx, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("# %s:%d %s\n", file, line, msg);
	ctx->failed = true;
}

static bool counters_match(const struct leak_counter *counters, unsigned ncounters, const uint64_t *before)
{
	for (unsigned i = 0; i < ncounters; i++)
		if (counters[i].read() != before[i])
			return false;
	return true;
}

static void settle_briefly(void)
{
	sleep_until(time_now_ns() + 1000000ULL);
}

/* Is @t named by the comma-separated @filter? */
#define KTEST_DEFAULT_SEED 0x51554C54ULL /* "QULT" */

static uint64_t run_seed = KTEST_DEFAULT_SEED;
static const struct ktest *running; /* the test in progress, for ktest_seed's message */

static uint64_t parse_seed(const char *s)
{
	uint64_t v = 0;
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			break;
		v = v * base + d;
	}
	return v;
}

uint64_t ktest_run_seed(void)
{
	return run_seed;
}

uint64_t ktest_seed(uint64_t salt)
{
	/* splitmix64 of seed ^ salt: nearby seeds and salts give unrelated streams. */
	uint64_t z = (run_seed ^ salt) + 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	if (running)
		kprintf("# %s.%s: seed %lu (make test SEED=%lu replays it)\n", running->suite, running->name, run_seed,
			run_seed);
	return z ? z : 1;
}

static bool selected(const struct ktest *t, const char *filter)
{
	char full[96];
	ksnprintf(full, sizeof(full), "%s.%s", t->suite, t->name);
	const char *p = filter;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		/* "all" leaves out the harness self-checks and the (slow, assertion-free) benchmarks. */
		if (n == 3 && strncmp(p, "all", 3) == 0 && strcmp(t->suite, "selfcheck") != 0 &&
		    strcmp(t->suite, "bench") != 0)
			return true;
		if ((strlen(t->suite) == n && strncmp(p, t->suite, n) == 0) ||
		    (strlen(full) == n && strncmp(p, full, n) == 0))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

int ktest_run(const char *filter)
{
	int total = 0, failures = 0;
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
		total += selected(t, filter);
	char seed_text[24];
	if (cmdline_get("seed", seed_text, sizeof(seed_text)))
		run_seed = parse_seed(seed_text);

	kprintf("KTAP version 1\n1..%d\n", total);
	int n = 0;
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		if (!selected(t, filter))
			continue;
		n++;
		struct ktest_ctx ctx = { 0 };
		unsigned ncounters;
		const struct leak_counter *counters = leak_counters(&ncounters);
		uint64_t before[LEAK_COUNTERS_MAX];
		for (unsigned i = 0; i < ncounters; i++)
			before[i] = counters[i].read();
		running = t;
		t->fn(&ctx);
		running = NULL;
		if (!ctx.skip_reason) {
			/* Some resources are reclaimed asynchronously (a dead thread by the next switch on its CPU): let them settle. */
			for (int tries = 0; tries < 200 && !counters_match(counters, ncounters, before); tries++)
				settle_briefly();
			for (unsigned i = 0; i < ncounters; i++) {
				uint64_t after = counters[i].read();
				if (after != before[i])
					ktest_fail(&ctx, __FILE__, __LINE__, "leak check: %s was %lu before, %lu after",
						   counters[i].name, before[i], after);
			}
		}
		if (ctx.skip_reason)
			kprintf("ok %d %s.%s # SKIP %s\n", n, t->suite, t->name, ctx.skip_reason);
		else
			kprintf("%s %d %s.%s\n", ctx.failed ? "not ok" : "ok", n, t->suite, t->name);
		failures += ctx.failed;
	}
	return failures;
}
