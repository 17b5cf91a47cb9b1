// SPDX-License-Identifier: MIT
// Runs every registered host test and prints KTAP version 1.
// Usage: host_tests [suite-or-suite.name ...]
#include <stdarg.h>
#include <stdlib.h>

#include "tests/host/htest.h"

#define MAX_TESTS 1024

static struct {
	const char *suite, *name;
	void (*fn)(struct htest_ctx *);
} tests[MAX_TESTS];
static int ntests;

void htest_register(const char *suite, const char *name, void (*fn)(struct htest_ctx *))
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "htest: too many tests\n");
		exit(2);
	}
	tests[ntests].suite = suite;
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void htest_fail(struct htest_ctx *ctx, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("# %s:%d ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	ctx->failed = true;
}

static bool selected(int i, int argc, char **argv)
{
	if (argc < 2)
		return true;
	char full[128];
	snprintf(full, sizeof(full), "%s.%s", tests[i].suite, tests[i].name);
	for (int a = 1; a < argc; a++)
		if (strcmp(argv[a], tests[i].suite) == 0 || strcmp(argv[a], full) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	int total = 0, failures = 0, n = 0;
	for (int i = 0; i < ntests; i++)
		total += selected(i, argc, argv);
	printf("KTAP version 1\n1..%d\n", total);
	for (int i = 0; i < ntests; i++) {
		if (!selected(i, argc, argv))
			continue;
		struct htest_ctx ctx = { false };
		tests[i].fn(&ctx);
		printf("%s %d %s.%s\n", ctx.failed ? "not ok" : "ok", ++n, tests[i].suite, tests[i].name);
		fflush(stdout);
		failures += ctx.failed;
	}
	return failures ? 1 : 0;
}
