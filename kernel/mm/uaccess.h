// SPDX-License-Identifier: MIT
// Access to user memory (spec §4). Every access goes through these helpers:
// the range is checked against [USER_MIN, USER_MAX) without wrap-around, the
// copy runs inside an SMAP window, and a fault during the copy resumes at a
// fix-up (exception table) so a bad pointer gives -EFAULT, never a crash.
// Not-yet-present pages of a region (demand-zero, stack) are faulted in.
#ifndef QUILT_MM_UACCESS_H
#define QUILT_MM_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

/* Marks user pointers; only the uaccess helpers may dereference them. */
#define __user __attribute__((noderef))

/*
 * user_range_check - the buffer rule of §4.2 steps 1-4: returns 0 when
 * @len == 0 or the range lies inside user space; -EINVAL for NULL with
 * len > 0, -EOVERFLOW when ptr + len wraps, -EFAULT outside [USER_MIN, USER_MAX).
 */
__must_check int user_range_check(const void __user *ptr, uint64_t len);

/*
 * user_buffer_check - the whole buffer rule of §4.2, for calls that check a
 * buffer before they start: user_range_check, then (rule 5, OUR CHOICE)
 * every page mapped, and writable when @write. 0 or -errno; -EINTR when the
 * caller was killed during a long walk. Context: thread, may sleep.
 */
__must_check int user_buffer_check(const void __user *ptr, uint64_t len, bool write);

/* Copy in/out. Return 0 or a negative errno from user_range_check / -EFAULT on a fault. */
__must_check int copy_from_user(void *dst, const void __user *src, uint64_t len);
__must_check int copy_to_user(void __user *dst, const void *src, uint64_t len);
/* Fill user memory with zero. */
__must_check int clear_user(void __user *dst, uint64_t len);

/*
 * strncpy_from_user - copy a NUL-terminated string of at most @max bytes
 * (NUL included) into @dst. Returns its length (without the NUL), -EINVAL for
 * NULL, -EFAULT, or -ENAMETOOLONG when no NUL lies within @max bytes.
 */
__must_check int64_t strncpy_from_user(char *dst, const char __user *src, uint64_t max);

/* 8-byte atomic-width reads/writes (futex words, single values). */
__must_check int get_user_u64(uint64_t *out, const void __user *src);
__must_check int put_user_u64(void __user *dst, uint64_t value);

#endif
