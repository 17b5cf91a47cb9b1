// SPDX-License-Identifier: MIT
// The printf engine (see format.h): parse one conversion at a time into a
// struct spec, then emit it through the sink. Kernel, libc and host tests all
// build this one file, so the kernel's logs and user programs' printf agree.
#include "kernel/lib/format.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/string.h"

#define F_MINUS 1u /* left-justify */
#define F_PLUS 2u  /* sign always */
#define F_SPACE 4u /* space where a '+' would go */
#define F_HASH 8u  /* alternate form: 0 for octal, 0x for hex */
#define F_ZERO 16u /* pad with zeros */

/* Length modifiers, by the size of the argument they announce. */
enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_64, LEN_LONG_DOUBLE };

struct spec {
	unsigned flags;
	int width;
	int prec; /* -1: not given */
	enum length len;
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

/* The sign or radix prefix C asks for, given the digits (most significant last). */
static const char *int_prefix(const struct spec *sp, const char *digits, int nd, bool neg)
{
	bool is_signed = sp->conv == 'd' || sp->conv == 'i';
	if (neg)
		return "-";
	if (is_signed && (sp->flags & F_PLUS))
		return "+";
	if (is_signed && (sp->flags & F_SPACE))
		return " ";
	/* '#' adds 0x to a non-zero hex value only; %p always has it. */
	if (sp->conv == 'p' ||
	    ((sp->flags & F_HASH) && nd && digits[nd - 1] != '0' && (sp->conv == 'x' || sp->conv == 'X')))
		return sp->conv == 'X' ? "0X" : "0x";
	return "";
}

/* An integer conversion: [spaces][sign or prefix][zeros]digits[spaces]. */
static void emit_int(struct out *o, const struct spec *sp, uint64_t v, bool neg)
{
	unsigned base = 10;
	const char *digit_chars = "0123456789abcdef";
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

	const char *prefix = int_prefix(sp, digits, nd, neg);
	int zeros = sp->prec > nd ? sp->prec - nd : 0;
	/* '#' with 'o' raises the precision just enough to make the first digit 0. */
	if (sp->conv == 'o' && (sp->flags & F_HASH) && zeros == 0 && (nd == 0 || digits[nd - 1] != '0'))
		zeros = 1;
	int plen = (int)strlen(prefix);
	/* The '0' flag pads with zeros after the sign, unless '-' or a precision is given. */
	if ((sp->flags & F_ZERO) && !(sp->flags & F_MINUS) && sp->prec < 0 && sp->width > plen + zeros + nd)
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

/* A decimal width or precision at *@p; saturates at @max. */
static int parse_num(const char **p, int max)
{
	int n = 0;
	for (; **p >= '0' && **p <= '9'; (*p)++)
		n = n > (max - 9) / 10 ? max : n * 10 + (**p - '0');
	return n > max ? max : n;
}

/*
 * Parse the conversion after a '%' at *@p into @sp, advancing *@p past it and
 * taking '*' arguments from @ap. Returns false if the format ends inside it.
 */
static bool parse_spec(const char **p, struct spec *sp, va_list *ap, int field_max)
{
	const char *f = *p;
	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->flags |= F_MINUS;
		else if (*f == '+')
			sp->flags |= F_PLUS;
		else if (*f == ' ')
			sp->flags |= F_SPACE;
		else if (*f == '#')
			sp->flags |= F_HASH;
		else if (*f == '0')
			sp->flags |= F_ZERO;
		else
			break;
	}
	if (*f == '*') {
		f++;
		int w = va_arg(*ap, int);
		/* A negative width argument means '-' and its absolute value. */
		if (w < 0) {
			sp->flags |= F_MINUS;
			w = w < -field_max ? field_max : -w;
		}
		sp->width = w > field_max ? field_max : w;
	} else {
		sp->width = parse_num(&f, field_max);
	}
	if (*f == '.') {
		f++;
		if (*f == '*') {
			f++;
			int pr = va_arg(*ap, int);
			/* C: a negative precision is taken as none. */
			sp->prec = pr < 0 ? -1 : pr > field_max ? field_max : pr;
		} else {
			sp->prec = parse_num(&f, field_max);
		}
	}
	if (f[0] == 'h' && f[1] == 'h')
		sp->len = LEN_CHAR, f += 2;
	else if (f[0] == 'h')
		sp->len = LEN_SHORT, f++;
	else if (f[0] == 'l' && f[1] == 'l')
		sp->len = LEN_64, f += 2;
	else if (f[0] == 'l' || f[0] == 'j' || f[0] == 'z' || f[0] == 't')
		sp->len = LEN_64, f++;
	else if (f[0] == 'L')
		sp->len = LEN_LONG_DOUBLE, f++;
	sp->conv = *f;
	if (!sp->conv)
		return false;
	*p = f + 1;
	return true;
}

static int64_t signed_arg(const struct spec *sp, va_list *ap)
{
	switch (sp->len) {
	case LEN_64:
		return va_arg(*ap, long long);
	case LEN_CHAR:
		return (signed char)va_arg(*ap, int);
	case LEN_SHORT:
		return (short)va_arg(*ap, int);
	default:
		return va_arg(*ap, int);
	}
}

static uint64_t unsigned_arg(const struct spec *sp, va_list *ap)
{
	switch (sp->len) {
	case LEN_64:
		return va_arg(*ap, unsigned long long);
	case LEN_CHAR:
		return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT:
		return (unsigned short)va_arg(*ap, unsigned);
	default:
		return va_arg(*ap, unsigned);
	}
}

/* Emit one parsed conversion, taking its argument from @ap. Returns false if it is unknown. */
static bool emit_conversion(struct out *o, struct spec *sp, va_list *ap, unsigned options)
{
	switch (sp->conv) {
	case 'd':
	case 'i': {
		int64_t v = signed_arg(sp, ap);
		/* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
		emit_int(o, sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
		return true;
	}
	case 'u':
	case 'o':
	case 'x':
	case 'X':
		emit_int(o, sp, unsigned_arg(sp, ap), false);
		return true;
	case 'p':
		sp->flags &= ~(F_PLUS | F_SPACE | F_HASH);
		if (options & FMT_POINTER_WIDE) {
			sp->flags |= F_ZERO;
			sp->flags &= ~F_MINUS;
			sp->width = 18;
			sp->prec = -1;
		}
		emit_int(o, sp, (uintptr_t)va_arg(*ap, void *), false);
		return true;
	case 'c': {
		char c = (char)va_arg(*ap, int);
		emit_text(o, sp, &c, 1);
		return true;
	}
	case 's': {
		const char *s = va_arg(*ap, const char *);
		if (!s)
			s = "(null)";
		emit_text(o, sp, s, sp->prec >= 0 ? strnlen(s, sp->prec) : strlen(s));
		return true;
	}
	case '%':
		put(o, "%", 1);
		return true;
#ifdef __SSE__
	case 'f':
	case 'F':
	case 'e':
	case 'E':
	case 'g':
	case 'G':
	case 'a':
	case 'A':
		/* No floating point: consume the argument so later ones stay in step. */
		if (sp->len == LEN_LONG_DOUBLE)
			(void)va_arg(*ap, long double);
		else
			(void)va_arg(*ap, double);
		emit_text(o, sp, "?", 1);
		return true;
#endif
	default:
		return false;
	}
}

int fmt_vformat(struct fmt_sink *sink, const char *fmt, va_list ap)
{
	struct out o = { .sink = sink, .count = 0 };
	int field_max = (sink->options & FMT_CLAMP_FIELDS) ? FMT_FIELD_MAX : INT_MAX;
	va_list args;
	va_copy(args, ap); /* passed on by address: a va_list may be an array type */

	while (*fmt) {
		if (*fmt != '%') {
			const char *next = strchr(fmt, '%');
			size_t n = next ? (size_t)(next - fmt) : strlen(fmt);
			put(&o, fmt, n);
			fmt += n;
			continue;
		}
		const char *start = fmt++;
		struct spec sp;
		if (!parse_spec(&fmt, &sp, &args, field_max))
			break;
		/* Unknown conversions (and %n, deliberately unsupported) are printed as written. */
		if (!emit_conversion(&o, &sp, &args, sink->options))
			put(&o, start, fmt - start);
	}
	va_end(args);
	return o.count > INT_MAX ? INT_MAX : (int)o.count;
}

/* A sink that fills a caller's buffer, always leaving room for the NUL. */
struct buf_sink {
	struct fmt_sink sink;
	char *buf;
	size_t size;
	size_t used; /* bytes stored, always < size when size > 0 */
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

int fmt_vsnprintf(char *buf, size_t size, unsigned options, const char *fmt, va_list ap)
{
	struct buf_sink b = { .sink = { .put = buf_put, .options = options }, .buf = buf, .size = size };
	int n = fmt_vformat(&b.sink, fmt, ap);
	if (size)
		buf[b.used] = '\0';
	return n;
}
