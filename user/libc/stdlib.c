// SPDX-License-Identifier: MIT
// Number parsing (strtol family), abs, qsort.
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static int digit_value(char c)
{
	if (isdigit(c))
		return c - '0';
	if (islower(c))
		return c - 'a' + 10;
	if (isupper(c))
		return c - 'A' + 10;
	return 99;
}

/*
 * The shared parser: the magnitude, saturated to UINT64_MAX with *overflow
 * set, and the sign. *end gets the first unparsed byte, or @s if no digit
 * was found (then the sign and any "0x" do not count as parsed).
 */
static uint64_t parse(const char *s, char **end, int base, bool *neg, bool *overflow)
{
	const char *p = s;
	uint64_t v = 0;
	bool any = false;

	*neg = false;
	*overflow = false;
	if (base < 0 || base == 1 || base > 36) {
		errno = EINVAL;
		if (end)
			*end = (char *)s;
		return 0;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		*neg = *p++ == '-';
	/* "0x" counts only if a hex digit follows; otherwise the "0" alone is the number. */
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    digit_value(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = p[0] == '0' ? 8 : 10;
	}
	for (int d; (d = digit_value(*p)) < base; p++) {
		any = true;
		if (v > (UINT64_MAX - d) / base)
			*overflow = true;
		else
			v = v * base + d;
	}
	if (end)
		*end = (char *)(any ? p : s);
	return *overflow ? UINT64_MAX : v;
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
	bool neg, overflow;
	uint64_t v = parse(s, end, base, &neg, &overflow);
	/* |LLONG_MIN| is LLONG_MAX + 1: allowed only with the minus sign. */
	uint64_t limit = neg ? (uint64_t)LLONG_MAX + 1 : (uint64_t)LLONG_MAX;
	if (overflow || v > limit) {
		errno = ERANGE;
		return neg ? LLONG_MIN : LLONG_MAX;
	}
	return neg ? (long long)(0 - v) : (long long)v;
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
	bool neg, overflow;
	uint64_t v = parse(s, end, base, &neg, &overflow);
	if (overflow) {
		errno = ERANGE;
		return ULLONG_MAX;
	}
	return neg ? 0 - v : v;
}

/* long and long long are both 64 bits on x86-64. */
_Static_assert(sizeof(long) == sizeof(long long), "LP64");

long strtol(const char *restrict s, char **restrict end, int base)
{
	return strtoll(s, end, base);
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
	return strtoull(s, end, base);
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
	return strtol(s, NULL, 10);
}

int abs(int x)
{
	return x < 0 ? -x : x;
}

long labs(long x)
{
	return x < 0 ? -x : x;
}

long long llabs(long long x)
{
	return x < 0 ? -x : x;
}

static void swap_bytes(char *a, char *b, size_t n)
{
	while (n--) {
		char t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

/*
 * Heap sort: O(n log n) in the worst case, no recursion and no allocation,
 * which matters more here than quicksort's better constant.
 */
static void sift_down(char *base, size_t root, size_t n, size_t size,
		      int (*cmp)(const void *, const void *))
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (cmp(base + root * size, base + child * size) >= 0)
			return;
		swap_bytes(base + root * size, base + child * size, size);
	}
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *b = base;
	if (n < 2 || !size)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(b, i, n, size, cmp);
	for (size_t end = n - 1; end > 0; end--) {
		swap_bytes(b, b + end * size, size);
		sift_down(b, 0, end, size, cmp);
	}
}
