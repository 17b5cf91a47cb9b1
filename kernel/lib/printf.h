// SPDX-License-Identifier: MIT
// printf-style formatting into a buffer. Pure code, host-testable.
#ifndef QUILT_LIB_PRINTF_H
#define QUILT_LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * kvsnprintf - format into @buf (always NUL-terminated when @size > 0).
 * Conversions: d i u x X o p s c %, flags '-' '0' '+' ' ' '#', width and
 * precision (also '*'), length modifiers hh h l ll z t j. %p prints 0x and
 * 16 hex digits. A NULL %s prints "(null)".
 * Returns the length the full output would have had (like C99 vsnprintf).
 * Context: any; pure.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
