// SPDX-License-Identifier: MIT
// The one printf engine of Quilt, shared by the kernel (kernel/lib/printf.c)
// and user space's libc (user/libc/format.c, stdio.c). Pure code, host-tested.
#ifndef QUILT_LIB_FORMAT_H
#define QUILT_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Options of a sink. */
#define FMT_POINTER_WIDE 1u /* %p as 0x and 16 hex digits (kernel logs line up) */
#define FMT_CLAMP_FIELDS 2u /* widths and precisions above FMT_FIELD_MAX are clamped */
#define FMT_FIELD_MAX 4096

/*
 * A destination: put() receives the output in pieces, in order. Embed it as
 * the first member of a larger struct to carry the destination's state.
 */
struct fmt_sink {
	void (*put)(struct fmt_sink *sink, const char *s, size_t n);
	unsigned options; /* FMT_* */
};

/*
 * fmt_vformat - format @fmt with @ap into @sink.
 * Conversions d i u o x X c s p %; flags - + space # 0; width and precision
 * (also '*'; a negative '*' width means '-'); lengths hh h l ll j z t (L
 * accepted). %p is 0x and lower-case hex (minimal digits unless
 * FMT_POINTER_WIDE); a NULL %s prints "(null)". Floating conversions print
 * "?" and consume their argument where the target has SSE (user space), and
 * are printed as written elsewhere (the kernel has no FPU state to use).
 * %n and unknown conversions are printed as written; a format ending inside
 * a conversion ends the output there.
 * Returns the number of bytes produced (capped at INT_MAX).
 * Context: any; pure; no allocation.
 */
int fmt_vformat(struct fmt_sink *sink, const char *fmt, va_list ap);

/*
 * fmt_vsnprintf - fmt_vformat into @buf, with the sink @options: at most
 * @size - 1 bytes and a NUL (nothing at all when @size is 0).
 * Returns the length the full output would have had (as C's vsnprintf).
 * Context: any; pure.
 */
int fmt_vsnprintf(char *buf, size_t size, unsigned options, const char *fmt, va_list ap);

#endif
