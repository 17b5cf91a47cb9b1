// SPDX-License-Identifier: MIT
// KTAP runner for in-kernel tests. Every test is bracketed by a leak check:
// the registered resource counters (free pages, heap bytes, ...) must read the
// same before and after, or the test fails.
#include "kernel/test/ktest.h"

#include <stdarg.h>

#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/sched/wait.h"
#include "kernel/time/time.h"

extern const struct ktest __ktests_start[], __ktests_end[];

#define MAX_COUNTERS 16
static struct ktest_counter counters[MAX_COUNTERS];
static int ncounters;

void ktest_register_counter(const char *name, uint64_t (*read)(void))
{
	ASSERT(ncounters < MAX_COUNTERS);
	counters[ncounters].name = name;
	counters[ncounters].read = read;
	ncounters++;
}

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

static bool counters_match(const uint64_t *before)
{
	for (int i = 0; i < ncounters; i++)
		if (counters[i].read() != before[i])
			return false;
	return true;
}

static void settle_briefly(void)
{
	struct wait_queue wq = WAIT_QUEUE_INIT;
	WAIT_EVENT(&wq, false, time_now_ns() + 1000000ULL);
}

/* Is @t named by the comma-separated @filter? */
static bool selected(const struct ktest *t, const char *filter)
{
	char full[96];
	ksnprintf(full, sizeof(full), "%s.%s", t->suite, t->name);
	const char *p = filter;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 3 && strncmp(p, "all", 3) == 0 && strcmp(t->suite, "selfcheck") != 0)
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

	kprintf("KTAP version 1\n1..%d\n", total);
	int n = 0;
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		if (!selected(t, filter))
			continue;
		n++;
		struct ktest_ctx ctx = { 0 };
		uint64_t before[MAX_COUNTERS];
		for (int i = 0; i < ncounters; i++)
			before[i] = counters[i].read();
		t->fn(&ctx);
		if (!ctx.skip_reason) {
			/* Some resources are reclaimed asynchronously (a dead thread by the next switch on its CPU): let them settle. */
			for (int tries = 0; tries < 200 && !counters_match(before); tries++)
				settle_briefly();
			for (int i = 0; i < ncounters; i++) {
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
