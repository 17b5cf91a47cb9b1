// SPDX-License-Identifier: MIT
// assert(): on failure prints "file:line: function: assertion failed: expr"
// to descriptor 2 and aborts (status 14, see abort()). Off with NDEBUG.
#undef assert
#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
#define assert(expr) ((expr) ? (void)0 : __assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif

#ifndef QUILT_LIBC_ASSERT_H
#define QUILT_LIBC_ASSERT_H
/* __assert_fail - the failure path of assert(). Never returns. */
__attribute__((noreturn)) void __assert_fail(const char *expr, const char *file, int line,
					     const char *func);
#define static_assert _Static_assert
#endif
