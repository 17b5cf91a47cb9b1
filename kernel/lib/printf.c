// SPDX-License-Identifier: MIT
// The kernel's snprintf: the shared engine (format.c) with wide pointers for
// aligned logs, and clamped fields so that no format makes a log call spin.
#include "kernel/lib/printf.h"

#include "kernel/lib/format.h"

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return fmt_vsnprintf(buf, size, FMT_POINTER_WIDE | FMT_CLAMP_FIELDS, fmt, ap);
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
