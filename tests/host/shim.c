// SPDX-License-Identifier: MIT
// Kernel library functions the host C library lacks (glibc 2.36 has no strlcpy).
#include <string.h>

size_t strlcpy(char *dst, const char *src, size_t size);

/* strlcpy - copy at most size-1 bytes and NUL-terminate; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}
