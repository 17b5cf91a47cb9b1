// SPDX-License-Identifier: MIT
// sleep: wait for the given number of seconds (decimal fractions allowed).
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "12.5" -> 12500000000 ns; false if malformed or beyond a 64-bit count of ns. */
static bool parse_seconds(const char *s, clock_t *ns)
{
	uint64_t whole = 0, frac = 0, scale = CLOCKS_PER_SEC;
	bool digits = false;

	for (; *s >= '0' && *s <= '9'; s++, digits = true) {
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, (uint64_t)(*s - '0'), &whole))
			return false;
	}
	if (*s == '.') {
		/* Digits past nanoseconds are dropped. */
		for (s++; *s >= '0' && *s <= '9'; s++, digits = true) {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*s - '0') * scale;
			}
		}
	}
	if (!digits || *s != '\0')
		return false;
	return !__builtin_mul_overflow(whole, CLOCKS_PER_SEC, ns) &&
	       !__builtin_add_overflow(*ns, frac, ns);
}

int main(int argc, char **argv)
{
	clock_t ns;

	if (argc != 2) {
		fprintf(stderr, "usage: sleep seconds\n");
		return EXIT_FAILURE;
	}
	if (!parse_seconds(argv[1], &ns)) {
		fprintf(stderr, "sleep: %s: not a number of seconds\n", argv[1]);
		return EXIT_FAILURE;
	}
	if (nanosleep(ns) == ERR) {
		fprintf(stderr, "sleep: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return 0;
}
