// SPDX-License-Identifier: MIT
// Host unit tests for Quilt's pure code, reported in KTAP like the kernel's.
// HTEST(suite, name) { HEXPECT(...); } registers a test at load time.
#ifndef QUILT_TESTS_HTEST_H
#define QUILT_TESTS_HTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct htest_ctx {
	bool failed;
};

void htest_register(const char *suite, const char *name, void (*fn)(struct htest_ctx *));
void htest_fail(struct htest_ctx *ctx, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define HTEST(suite, name)                                                          \
	static void htest_fn_##suite##_##name(struct htest_ctx *ctx);                 \
	__attribute__((constructor)) static void htest_reg_##suite##_##name(void)     \
	{                                                                             \
		htest_register(#suite, #name, htest_fn_##suite##_##name);             \
	}                                                                             \
	static void htest_fn_##suite##_##name(struct htest_ctx *ctx)

#define HEXPECT(cond)                                                              \
	do {                                                                       \
		if (!(cond))                                                       \
			htest_fail(ctx, __FILE__, __LINE__, "expected %s", #cond); \
	} while (0)

#define HEXPECT_EQ(a, b)                                                                              \
	do {                                                                                          \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);        \
		if (a_ != b_)                                                                         \
			htest_fail(ctx, __FILE__, __LINE__, "expected %s == %s: got %#llx, want %#llx", \
				   #a, #b, a_, b_);                                                  \
	} while (0)

#define HEXPECT_STREQ(a, b)                                                                       \
	do {                                                                                      \
		const char *a_ = (a), *b_ = (b);                                                  \
		if (!a_ || strcmp(a_, b_) != 0)                                                   \
			htest_fail(ctx, __FILE__, __LINE__, "expected %s == \"%s\": got \"%s\"", #a, \
				   b_, a_ ? a_ : "(null)");                                       \
	} while (0)

#endif
