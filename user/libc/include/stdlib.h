// SPDX-License-Identifier: MIT
// Number parsing, process exit and the heap.
#ifndef QUILT_LIBC_STDLIB_H
#define QUILT_LIBC_STDLIB_H

#include <stddef.h>

/* Exit statuses as PatchworkOS libc defines them: note EXIT_FAILURE is -1 (spec §3.5). */
#define EXIT_SUCCESS 0
#define EXIT_FAILURE (-1)

/*
 * strtol family - C11 semantics: optional white space and sign, base 0
 * (0x = hex, 0 = octal, else decimal) or 2..36 (16 also accepts 0x). *@end
 * (if non-NULL) gets the first unparsed byte, or @s when nothing was
 * parsed. Out of range: the limit (LONG_MAX, LONG_MIN, ULONG_MAX, ...) and
 * errno = ERANGE; invalid base: 0 and errno = EINVAL. The unsigned forms
 * negate a leading '-' modulo 2^64, as C requires. Context: any.
 */
long strtol(const char *restrict s, char **restrict end, int base);
long long strtoll(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
unsigned long long strtoull(const char *restrict s, char **restrict end, int base);
/* atoi/atol - strtol(s, NULL, 10) narrowed; no error reporting. */
int atoi(const char *s);
long atol(const char *s);

int abs(int x);
long labs(long x);
long long llabs(long long x);

/*
 * exit - run atexit handlers (last registered first), flush stdout/stderr,
 * then end the process with @status. _Exit/_exit skip both steps.
 * Context: any thread; ends every thread of the process.
 */
__attribute__((noreturn)) void exit(int status);
__attribute__((noreturn)) void _Exit(int status);
__attribute__((noreturn)) void _exit(int status);
/*
 * atexit - register @fn for exit(); at most 32. Returns 0, or -1 when full.
 * Context: not thread-safe; register from one thread.
 */
int atexit(void (*fn)(void));
/*
 * abort - abnormal end without flushing: executes ud2, so the kernel ends
 * the process with the fault status 14 (spec §9.3). There are no signals.
 */
__attribute__((noreturn)) void abort(void);

/*
 * Heap (user/libc/malloc.c), thread-safe. Memory comes from private mappings
 * of /dev/zero, which the first allocation opens and keeps open (that
 * descriptor is the lowest free one at the time). Blocks are 16-byte
 * aligned. Failure returns NULL with errno = ENOMEM. malloc(0) returns a
 * unique pointer; realloc keeps the block when the new size fits it
 * (realloc(p, 0) returns p) and leaves it intact when it fails;
 * free(NULL) does nothing. Freeing a pointer that is not a live block
 * aborts when the damage is detectable (bad or repeated free).
 * Context: any thread; may sleep on the heap lock.
 */
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);

/* qsort - sort @n elements of @size bytes with @cmp (not stable). Context: any. */
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Environment variables, stored as files in /proc/self/env/ (spec §9.7). */
char *getenv(const char *name);
int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name);

#endif
