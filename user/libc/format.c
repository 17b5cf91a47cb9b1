// SPDX-License-Identifier: MIT
// printf-style formatting into any byte sink, and the string forms
// (snprintf, vsnprintf, sprintf) built on it. Pure code, host-testable.
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "user/libc/internal.h"

#define F_MINUS 1u /* left-justify */
#define F_PLUS 2u  /* sign always */
#define F_SPACE 4u /* space where a '+' would go */
#define F_HASH 8u  /* alternate form: 0 for octal, 0x for hex */
#define F_ZERO 16u /* pad with zeros */

struct spec {
	unsigned flags;
	int width;
	int prec; /* -1: not given */
	char conv;
};

struct out {
	struct fmt_sink *sink;
	size_t count;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n) {
		o->sink->put(o->sink, s, n);
		o->count += n;
	}
}

static void pad(struct out *o, char c, int n)
{
	char buf[16];
	memset(buf, c, sizeof(buf));
	for (; n > 0; n -= (int)sizeof(buf))
		put(o, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf));
}

/* Text of @len bytes, padded to the field width. */
static void emit_text(struct out *o, const struct spec *sp, const char *s, size_t len)
{
	int fill = sp->width > (int)len ? sp->width - (int)len : 0;
	if (!(sp->flags & F_MINUS))
		pad(o, ' ', fill);
	put(o, s, len);
	if (sp->flags & F_MINUS)
		pad(o, ' ', fill);
}

/* An integer conversion: [spaces][sign or prefix][zeros]digits[spaces]. */
static void emit_int(struct out *o, const struct spec *sp, uint64_t v, bool neg)
{
	unsigned base = 10;
	const char *digit_chars = "0123456789abcdef";
	const char *prefix = "";
	char digits[24];
	int nd = 0;

	if (sp->conv == 'o')
		base = 8;
	else if (sp->conv == 'x' || sp->conv == 'p')
		base = 16;
	else if (sp->conv == 'X')
		base = 16, digit_chars = "0123456789ABCDEF";

	/* C: zero with precision 0 prints no digits at all. */
	if (v || sp->prec != 0) {
		do {
			digits[nd++] = digit_chars[v % base];
			v /= base;
		} while (v);
	}

	if (neg)
		prefix = "-";
	else if ((sp->conv == 'd' || sp->conv == 'i') && (sp->flags & F_PLUS))
		prefix = "+";
	else if ((sp->conv == 'd' || sp->conv == 'i') && (sp->flags & F_SPACE))
		prefix = " ";
	else if (sp->conv == 'p' || ((sp->flags & F_HASH) && nd && digits[nd - 1] != '0' &&
				     (sp->conv == 'x' || sp->conv == 'X')))
		prefix = sp->conv == 'X' ? "0X" : "0x";

	int zeros = sp->prec > nd ? sp->prec - nd : 0;
	/* '#' with 'o' raises the precision just enough to make the first digit 0. */
	if (sp->conv == 'o' && (sp->flags & F_HASH) && zeros == 0 &&
	    (nd == 0 || digits[nd - 1] != '0'))
		zeros = 1;
	int plen = (int)strlen(prefix);
	/* The '0' flag pads with zeros after the sign, unless '-' or a precision is given. */
	if ((sp->flags & F_ZERO) && !(sp->flags & F_MINUS) && sp->prec < 0 &&
	    sp->width > plen + zeros + nd)
		zeros = sp->width - plen - nd;
	int fill = sp->width - (plen + zeros + nd);

	if (!(sp->flags & F_MINUS))
		pad(o, ' ', fill);
	put(o, prefix, plen);
	pad(o, '0', zeros);
	while (nd > 0)
		put(o, &digits[--nd], 1);
	if (sp->flags & F_MINUS)
		pad(o, ' ', fill);
}

/* Parse a decimal number at *@p (width or precision); saturates at INT_MAX. */
static int parse_num(const char **p)
{
	int n = 0;
	for (; **p >= '0' && **p <= '9'; (*p)++)
		n = n > (INT_MAX - 9) / 10 ? INT_MAX : n * 10 + (**p - '0');
	return n;
}

int __vformat(struct fmt_sink *sink, const char *fmt, va_list ap)
{
	struct out o = { .sink = sink, .count = 0 };

	while (*fmt) {
		const char *start = fmt;
		if (*fmt != '%') {
			const char *next = strchr(fmt, '%');
			size_t n = next ? (size_t)(next - fmt) : strlen(fmt);
			put(&o, fmt, n);
			fmt += n;
			continue;
		}
		fmt++;

		struct spec sp = { .flags = 0, .width = 0, .prec = -1, .conv = 0 };
		for (;; fmt++) {
			if (*fmt == '-')
				sp.flags |= F_MINUS;
			else if (*fmt == '+')
				sp.flags |= F_PLUS;
			else if (*fmt == ' ')
				sp.flags |= F_SPACE;
			else if (*fmt == '#')
				sp.flags |= F_HASH;
			else if (*fmt == '0')
				sp.flags |= F_ZERO;
			else
				break;
		}
		if (*fmt == '*') {
			fmt++;
			sp.width = va_arg(ap, int);
			/* A negative width argument means '-' and its absolute value. */
			if (sp.width < 0) {
				sp.flags |= F_MINUS;
				sp.width = sp.width == INT_MIN ? INT_MAX : -sp.width;
			}
		} else {
			sp.width = parse_num(&fmt);
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				fmt++;
				sp.prec = va_arg(ap, int);
				if (sp.prec < 0)
					sp.prec = -1; /* as if no precision were given */
			} else {
				sp.prec = parse_num(&fmt);
			}
		}

		/* Length: 0 int, 1 char, 2 short, 3 64-bit (l, ll, j, z, t), 4 long double. */
		int len = 0;
		if (fmt[0] == 'h' && fmt[1] == 'h')
			len = 1, fmt += 2;
		else if (fmt[0] == 'h')
			len = 2, fmt++;
		else if (fmt[0] == 'l' && fmt[1] == 'l')
			len = 3, fmt += 2;
		else if (fmt[0] == 'l' || fmt[0] == 'j' || fmt[0] == 'z' || fmt[0] == 't')
			len = 3, fmt++;
		else if (fmt[0] == 'L')
			len = 4, fmt++;

		sp.conv = *fmt;
		if (sp.conv)
			fmt++;
		switch (sp.conv) {
		case 'd':
		case 'i': {
			int64_t v;
			if (len == 3)
				v = va_arg(ap, long long);
			else if (len == 1)
				v = (signed char)va_arg(ap, int);
			else if (len == 2)
				v = (short)va_arg(ap, int);
			else
				v = va_arg(ap, int);
			/* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
			emit_int(&o, &sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
			break;
		}
		case 'u':
		case 'o':
		case 'x':
		case 'X': {
			uint64_t v;
			if (len == 3)
				v = va_arg(ap, unsigned long long);
			else if (len == 1)
				v = (unsigned char)va_arg(ap, unsigned);
			else if (len == 2)
				v = (unsigned short)va_arg(ap, unsigned);
			else
				v = va_arg(ap, unsigned);
			emit_int(&o, &sp, v, false);
			break;
		}
		case 'p':
			sp.flags &= ~(F_PLUS | F_SPACE | F_HASH);
			emit_int(&o, &sp, (uintptr_t)va_arg(ap, void *), false);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			emit_text(&o, &sp, &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			emit_text(&o, &sp, s, sp.prec >= 0 ? strnlen(s, sp.prec) : strlen(s));
			break;
		}
		case '%':
			put(&o, "%", 1);
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			/* No floating point: consume the argument so later ones stay in step. */
			if (len == 4)
				(void)va_arg(ap, long double);
			else
				(void)va_arg(ap, double);
			emit_text(&o, &sp, "?", 1);
			break;
		default:
			/* Unknown (including %n, deliberately unsupported): print it as written. */
			put(&o, start, fmt - start);
			break;
		}
	}
	return o.count > INT_MAX ? INT_MAX : (int)o.count;
}

/* A sink that fills a caller's buffer, always leaving room for the NUL. */
struct buf_sink {
	struct fmt_sink sink;
	char *buf;
	size_t size, used;
};

static void buf_put(struct fmt_sink *s, const char *p, size_t n)
{
	struct buf_sink *b = (struct buf_sink *)s;
	if (b->used + 1 >= b->size)
		return;
	size_t room = b->size - 1 - b->used;
	if (n > room)
		n = room;
	memcpy(b->buf + b->used, p, n);
	b->used += n;
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	struct buf_sink b = { .sink = { buf_put }, .buf = buf, .size = size, .used = 0 };
	int n = __vformat(&b.sink, fmt, ap);
	if (size)
		buf[b.used] = '\0';
	return n;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
	return vsnprintf(buf, SIZE_MAX, fmt, ap);
}

int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsprintf(buf, fmt, ap);
	va_end(ap);
	return n;
}
