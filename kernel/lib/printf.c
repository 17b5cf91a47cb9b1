// SPDX-License-Identifier: MIT
// A small, complete-enough vsnprintf: everything the kernel logs goes through
// it, so it must never write past the buffer whatever the format or width.
#include "kernel/lib/printf.h"

#include <stdbool.h>
#include <stdint.h>

#define FIELD_MAX 4096 /* largest width or precision honoured */

struct out {
	char *buf;
	size_t size;
	size_t len; /* bytes the full output would have */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	bool left, zero, plus, space, alt;
	int width, prec; /* prec < 0: none */
};

static void put_number(struct out *o, uint64_t v, bool negative, unsigned base, bool upper, const struct spec *s)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	if (v == 0 && s->prec != 0)
		tmp[n++] = '0';
	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	int zeros = s->prec > n ? s->prec - n : 0;
	const char *prefix = "";
	if (negative)
		prefix = "-";
	else if (s->plus)
		prefix = "+";
	else if (s->space)
		prefix = " ";
	if (s->alt && base == 16 && n > 0 && !(n == 1 && tmp[0] == '0'))
		prefix = upper ? "0X" : "0x";
	if (s->alt && base == 8 && zeros == 0 && !(n > 0 && tmp[n - 1] == '0'))
		zeros = 1;
	int plen = 0;
	while (prefix[plen])
		plen++;
	int pad = s->width - (plen + zeros + n);
	if (!s->left && !(s->zero && s->prec < 0))
		put_repeat(o, ' ', pad);
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	if (!s->left && s->zero && s->prec < 0)
		put_repeat(o, '0', pad);
	put_repeat(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (s->left)
		put_repeat(o, ' ', pad);
}

static void put_string(struct out *o, const char *str, const struct spec *s)
{
	if (!str)
		str = "(null)";
	int n = 0;
	while ((s->prec < 0 || n < s->prec) && str[n])
		n++;
	if (!s->left)
		put_repeat(o, ' ', s->width - n);
	for (int i = 0; i < n; i++)
		put(o, str[i]);
	if (s->left)
		put_repeat(o, ' ', s->width - n);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		struct spec s = { .prec = -1 };
		for (;; p++) {
			char f = p[1];
			if (f == '-')
				s.left = true;
			else if (f == '0')
				s.zero = true;
			else if (f == '+')
				s.plus = true;
			else if (f == ' ')
				s.space = true;
			else if (f == '#')
				s.alt = true;
			else
				break;
		}
		p++;
		/* Widths and precisions are clamped so that no format can overflow an int. */
		if (*p == '*') {
			int w = va_arg(ap, int);
			if (w < 0) {
				s.left = true;
				w = w < -FIELD_MAX ? FIELD_MAX : -w;
			}
			s.width = w > FIELD_MAX ? FIELD_MAX : w;
			p++;
		} else {
			while (*p >= '0' && *p <= '9') {
				if (s.width < FIELD_MAX)
					s.width = s.width * 10 + (*p - '0');
				p++;
			}
		}
		if (*p == '.') {
			p++;
			s.prec = 0;
			if (*p == '*') {
				s.prec = va_arg(ap, int);
				if (s.prec > FIELD_MAX)
					s.prec = FIELD_MAX;
				if (s.prec < 0)
					s.prec = -1; /* C: a negative precision is taken as none */
				p++;
			} else {
				while (*p >= '0' && *p <= '9') {
					if (s.prec < FIELD_MAX)
						s.prec = s.prec * 10 + (*p - '0');
					p++;
				}
			}
		}
		int longs = 0; /* 0 int, 1 long, 2 long long, -1 short, -2 char */
		for (;; p++) {
			if (*p == 'l')
				longs++;
			else if (*p == 'h')
				longs--;
			else if (*p == 'z' || *p == 't' || *p == 'j')
				longs = 2;
			else
				break;
		}
		char conv = *p;
		if (conv == '\0')
			break;
		uint64_t u;
		int64_t i;
		switch (conv) {
		case 'd':
		case 'i':
			if (longs >= 1)
				i = longs == 1 ? va_arg(ap, long) : va_arg(ap, long long);
			else
				i = va_arg(ap, int);
			if (longs == -1)
				i = (short)i;
			else if (longs <= -2)
				i = (signed char)i;
			put_number(&o, i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i, i < 0, 10, false, &s);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (longs >= 1)
				u = longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned long long);
			else
				u = va_arg(ap, unsigned int);
			if (longs == -1)
				u = (unsigned short)u;
			else if (longs <= -2)
				u = (unsigned char)u;
			put_number(&o, u, false, conv == 'u' ? 10 : conv == 'o' ? 8 : 16, conv == 'X', &s);
			break;
		case 'p': {
			struct spec ps = { .zero = true, .width = 16, .prec = -1 };
			put(&o, '0');
			put(&o, 'x');
			put_number(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), false, 16, false, &ps);
			break;
		}
		case 's':
			put_string(&o, va_arg(ap, const char *), &s);
			break;
		case 'c':
			if (!s.left)
				put_repeat(&o, ' ', s.width - 1);
			put(&o, (char)va_arg(ap, int));
			if (s.left)
				put_repeat(&o, ' ', s.width - 1);
			break;
		case '%':
			put(&o, '%');
			break;
		default: /* unknown conversion: print it verbatim */
			put(&o, '%');
			put(&o, conv);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
