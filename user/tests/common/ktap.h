// SPDX-License-Identifier: MIT
// KTAP version 1 output for user-space test programs (the format of the
// kernel's tests, Linux Documentation/dev-tools/ktap.rst), on stdout.
//
//   KTAP_TEST(strlen_counts) { TEXPECT_EQ(strlen("abc"), 3); }
//   int main(void) { return ktap_main(); }
//
// prints "KTAP version 1", "1..N", then "ok N name" / "not ok N name" per
// test, with "# file:line ..." diagnostics before a failing result.
#ifndef QUILT_TESTS_KTAP_H
#define QUILT_TESTS_KTAP_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/abi/syscalls.h" /* ERR */

struct ktap_case {
	const char *name;
	void (*fn)(void);
};

/*
 * KTAP_TEST(name) { body } - define a test and register it in the
 * ktap_tests section (collected by user/user.ld); ktap_main() runs them in
 * link order, which is source order within one file and file-name order
 * across the files of one program (user/user.mk sorts them).
 */
#define KTAP_TEST(name)                                                                   \
	static void ktap_fn_##name(void);                                                 \
	static const struct ktap_case ktap_case_##name                                    \
		__attribute__((used, section("ktap_tests"), aligned(8))) = { #name, ktap_fn_##name }; \
	static void ktap_fn_##name(void)

/*
 * ktap_main - run every KTAP_TEST of the program: header, plan, one result
 * per test. Returns the exit status for main: 0 if every test passed (or was
 * skipped), 1 otherwise. Context: main thread.
 */
int ktap_main(void);

/*
 * The pieces, for programs that drive the sequence themselves (for example
 * one child process per test case): ktap_header() and ktap_plan(N) once,
 * then per test ktap_begin(), checks, ktap_end(name). ktap_end prints
 * "ok"/"not ok" with the next number (or "ok N name # SKIP reason" after
 * ktap_skip) and returns whether the test passed. ktap_result prints a
 * result decided elsewhere. ktap_diag prints "# " + the message.
 * Context: results from one thread; checks may fail from any thread.
 */
void ktap_header(void);
void ktap_plan(int count);
void ktap_begin(void);
bool ktap_end(const char *name);
void ktap_result(bool ok, const char *name);
void ktap_skip(const char *reason);
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ktap_fail - mark the current test failed and print "# @file:@line message". */
void ktap_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* ktap_failed - whether the current test has failed so far. */
bool ktap_failed(void);

/* Checks record a failure and continue; TASSERT also returns from the test function. */
#define TEXPECT(cond)                                                       \
	do {                                                                \
		if (!(cond))                                                \
			ktap_fail(__FILE__, __LINE__, "expected %s", #cond); \
	} while (0)

/* Integers (converted to 64 bits): shown signed and in hex. */
#define TEXPECT_EQ(a, b)                                                                       \
	do {                                                                                   \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (a_ != b_)                                                                  \
			ktap_fail(__FILE__, __LINE__,                                          \
				  "expected %s == %s: got %lld (%#llx), want %lld (%#llx)", #a, #b, \
				  (long long)a_, a_, (long long)b_, b_);                      \
	} while (0)

#define TEXPECT_NE(a, b)                                                                       \
	do {                                                                                   \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (a_ == b_)                                                                  \
			ktap_fail(__FILE__, __LINE__, "expected %s != %s: both %lld (%#llx)",  \
				  #a, #b, (long long)a_, a_);                                  \
	} while (0)

#define TEXPECT_STREQ(a, b)                                                                    \
	do {                                                                                   \
		const char *a_ = (a), *b_ = (b);                                               \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                                         \
			ktap_fail(__FILE__, __LINE__, "expected %s == \"%s\": got \"%s\"", #a, \
				  b_ ? b_ : "(null)", a_ ? a_ : "(null)");                    \
	} while (0)

/* A system call with an integer result fails with ERR and errno @e. */
#define TEXPECT_ERR(call, e)                                                                   \
	do {                                                                                   \
		errno = 0;                                                                     \
		uint64_t r_ = (uint64_t)(call);                                                \
		int e_ = errno;                                                                \
		if (r_ != ERR || e_ != (e))                                                    \
			ktap_fail(__FILE__, __LINE__,                                          \
				  "expected %s to fail with %s: got %#llx, errno %s", #call,   \
				  strerrorname_np(e), (unsigned long long)r_, strerrorname_np(e_));          \
	} while (0)

/* A system call with a pointer result (mmap, munmap, mprotect) fails with NULL and errno @e. */
#define TEXPECT_NULL_ERR(call, e)                                                              \
	do {                                                                                   \
		errno = 0;                                                                     \
		void *r_ = (void *)(call);                                                     \
		int e_ = errno;                                                                \
		if (r_ != NULL || e_ != (e))                                                   \
			ktap_fail(__FILE__, __LINE__,                                          \
				  "expected %s to fail with %s: got %p, errno %s", #call,      \
				  strerrorname_np(e), r_, strerrorname_np(e_));                              \
	} while (0)

#define TASSERT(cond)                 \
	do {                          \
		TEXPECT(cond);        \
		if (ktap_failed())    \
			return;       \
	} while (0)

/* TSKIP - end the current test as skipped. */
#define TSKIP(reason)              \
	do {                       \
		ktap_skip(reason); \
		return;            \
	} while (0)

#endif
