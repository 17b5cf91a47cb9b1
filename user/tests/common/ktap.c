// SPDX-License-Identifier: MIT
// KTAP version 1 reporting for user-space test programs.
#include <ktap.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

/* Bounds of the ktap_tests section, from user/user.ld. */
extern const struct ktap_case __start_ktap_tests[], __stop_ktap_tests[];

/* Owner: the reporting thread, except `failed`, which any thread may set. */
static int number;
static atomic_bool failed;
static const char *skip_reason;

void ktap_header(void)
{
	printf("KTAP version 1\n");
}

void ktap_plan(int count)
{
	printf("1..%d\n", count);
}

void ktap_begin(void)
{
	atomic_store(&failed, false);
	skip_reason = NULL;
}

void ktap_result(bool ok, const char *name)
{
	printf("%s %d %s\n", ok ? "ok" : "not ok", ++number, name);
}

bool ktap_end(const char *name)
{
	if (skip_reason && !ktap_failed()) {
		printf("ok %d %s # SKIP %s\n", ++number, name, skip_reason);
		return true;
	}
	ktap_result(!ktap_failed(), name);
	return !ktap_failed();
}

void ktap_skip(const char *reason)
{
	skip_reason = reason;
}

static void vdiag(const char *prefix, const char *fmt, va_list ap)
{
	/* One line per diagnostic: format first, then print in a single call. */
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	printf("# %s%s\n", prefix, msg);
}

void ktap_diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag("", fmt, ap);
	va_end(ap);
}

void ktap_fail(const char *file, int line, const char *fmt, ...)
{
	char where[160];
	va_list ap;
	snprintf(where, sizeof(where), "%s:%d ", file, line);
	va_start(ap, fmt);
	vdiag(where, fmt, ap);
	va_end(ap);
	atomic_store(&failed, true);
}

bool ktap_failed(void)
{
	return atomic_load(&failed);
}

int ktap_main(void)
{
	int failures = 0;
	ktap_header();
	ktap_plan((int)(__stop_ktap_tests - __start_ktap_tests));
	for (const struct ktap_case *c = __start_ktap_tests; c < __stop_ktap_tests; c++) {
		ktap_begin();
		c->fn();
		failures += !ktap_end(c->name);
	}
	fflush(stdout);
	return failures ? 1 : 0;
}
