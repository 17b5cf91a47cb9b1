// SPDX-License-Identifier: MIT
// In-kernel tests: KTEST(suite, name) registers a test in the .ktests linker
// section; ktest_run() runs the ones the command line selects and reports in
// KTAP version 1 on the console (Documentation/dev-tools/ktap.rst).
#ifndef QUILT_TEST_KTEST_H
#define QUILT_TEST_KTEST_H

#include <stdbool.h>
#include <stdint.h>

struct ktest_ctx {
	bool failed;
	const char *skip_reason; /* set by KTEST_SKIP */
};

struct ktest {
	const char *suite;
	const char *name;
	void (*fn)(struct ktest_ctx *ctx);
};

#define KTEST(suite, name)                                                                  \
	static void ktest_fn_##suite##_##name(struct ktest_ctx *ctx);                         \
	static const struct ktest ktest_desc_##suite##_##name                                 \
		__attribute__((used, section(".ktests"), aligned(8))) = { #suite, #name,      \
									   ktest_fn_##suite##_##name }; \
	static void ktest_fn_##suite##_##name(struct ktest_ctx *ctx __attribute__((unused)))

void ktest_fail(struct ktest_ctx *ctx, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Checks record a failure and continue; ASSERT_ forms also return. */
#define KEXPECT(cond)                                                              \
	do {                                                                       \
		if (!(cond))                                                       \
			ktest_fail(ctx, __FILE__, __LINE__, "expected %s", #cond); \
	} while (0)

#define KEXPECT_EQ(a, b)                                                                          \
	do {                                                                                      \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                  \
		if (a_ != b_)                                                                     \
			ktest_fail(ctx, __FILE__, __LINE__, "expected %s == %s: got 0x%lx, want 0x%lx", \
				   #a, #b, a_, b_);                                              \
	} while (0)

#define KEXPECT_STREQ(a, b)                                                                   \
	do {                                                                                  \
		const char *a_ = (a), *b_ = (b);                                              \
		if (strcmp(a_, b_) != 0)                                                      \
			ktest_fail(ctx, __FILE__, __LINE__, "expected %s == \"%s\": got \"%s\"", #a, b_, a_); \
	} while (0)

#define KASSERT(cond)                  \
	do {                           \
		KEXPECT(cond);         \
		if (ctx->failed)       \
			return;        \
	} while (0)

#define KTEST_SKIP(reason)                  \
	do {                                \
		ctx->skip_reason = (reason); \
		return;                     \
	} while (0)

/*
 * ktest_seed - the starting state of a randomized test's generator: the run's
 * seed (command line "seed=N", decimal or 0x-hex, which `make test SEED=N`
 * passes to every boot; a fixed default otherwise) mixed with @salt, so that
 * each test draws its own stream. Prints "# <test>: seed N" so that a failure
 * names the run to replay. Never returns 0 (xorshift needs a non-zero state).
 * Context: inside a KTEST.
 */
uint64_t ktest_seed(uint64_t salt);
/* The run's seed itself. */
uint64_t ktest_run_seed(void);

/*
 * ktest_run - run every registered test whose "suite" or "suite.name" is in
 * the comma-separated @filter ("all" selects every suite except selfcheck).
 * Returns the number of failures. Context: boot, after the core subsystems.
 */
int ktest_run(const char *filter);


#endif
