// SPDX-License-Identifier: MIT
// C string and memory functions (C11 semantics unless noted).
#ifndef QUILT_LIBC_STRING_H
#define QUILT_LIBC_STRING_H

#include <stddef.h>

/* Memory: memmove allows overlap, memcpy does not. Context: any. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

/* Strings (bytes compared as unsigned char). Context: any. */
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
char *strcpy(char *restrict dst, const char *restrict src);
/* strncpy - C semantics: pads with NULs, leaves @dst unterminated if src is too long. */
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
char *strcat(char *restrict dst, const char *restrict src);
/* strlcpy - copy at most @size - 1 bytes, NUL-terminate if @size > 0; returns strlen(@src). */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
/*
 * strtok_r - split @str at bytes of @delim; pass NULL after the first call.
 * Returns the next token or NULL; *@save keeps the position.
 */
char *strtok_r(char *restrict str, const char *restrict delim, char **restrict save);

/* strdup/strndup - a malloc'd copy; NULL (errno ENOMEM) when memory runs out. */
char *strdup(const char *s);
char *strndup(const char *s, size_t max);

/*
 * strerror - error code @err in words, for people ("no such file or
 * directory"); codes without words (the ABI's unused Linux numbers) give
 * their name, an unknown code "E?". The string is static; never fails.
 */
char *strerror(int err);

/*
 * strerrorname_np - the symbolic name of @err ("ENOENT", "EOK"), or "E?"
 * for an unknown code: for diagnostics that compare codes. Static; never fails.
 */
const char *strerrorname_np(int err);

#endif
