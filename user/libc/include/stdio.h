// SPDX-License-Identifier: MIT
// Formatted output and minimal streams: stdin (read), stdout (line
// buffered), stderr (flushed after every call), on descriptors 0, 1, 2.
#ifndef QUILT_LIBC_STDIO_H
#define QUILT_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include "kernel/abi/types.h" /* SEEK_SET, SEEK_CUR, SEEK_END */

#define EOF (-1)
#define BUFSIZ 1024

/* Buffering modes for setvbuf. */
#define _IOFBF 0 /* flush when full */
#define _IOLBF 1 /* also flush after a call that wrote a newline */
#define _IONBF 2 /* flush at the end of every call */

typedef struct libc_file FILE;

extern FILE *stdin;
extern FILE *stdout;
extern FILE *stderr;

/*
 * Formatting (see user/libc/format.c for the conversions: C99 without
 * floating point; %p is 0x + hex). Return the number of bytes the full
 * output has, or -1 (errno set) if writing to the descriptor failed.
 * snprintf/vsnprintf always NUL-terminate when @size > 0 and return the
 * length the whole output would have had. Context: any thread; the FILE
 * forms take the stream's lock.
 */
int printf(const char *restrict fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *restrict fmt, va_list ap);
int fprintf(FILE *restrict f, const char *restrict fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap);
/* dprintf - format straight to descriptor @fd, unbuffered (pieces of at most 256 bytes). */
int dprintf(fd_t fd, const char *restrict fmt, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(fd_t fd, const char *restrict fmt, va_list ap);
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap);
int sprintf(char *restrict buf, const char *restrict fmt, ...) __attribute__((format(printf, 2, 3)));
int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap);

/* Character and string output. Return the byte written / a non-negative value, or EOF. */
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int putchar(int c);
int fputs(const char *restrict s, FILE *restrict f);
/* puts - @s and a newline to stdout. */
int puts(const char *s);
/* fwrite - @n items of @size bytes; returns the number of whole items written. */
size_t fwrite(const void *restrict ptr, size_t size, size_t n, FILE *restrict f);
/* fflush - write out @f's buffer (all streams if @f is NULL). 0, or EOF with errno. */
int fflush(FILE *f);
/* setvbuf - change the buffering mode; @buf must be NULL (streams own their buffers). */
int setvbuf(FILE *restrict f, char *restrict buf, int mode, size_t size);

/*
 * Input (buffered reads from the stream's descriptor). fgetc/getchar return
 * the byte or EOF at end of stream or on error. fgets reads up to @size - 1
 * bytes, stopping after a newline; returns @s, or NULL if nothing was read.
 */
int fgetc(FILE *f);
int getc(FILE *f);
int getchar(void);
char *fgets(char *restrict s, int size, FILE *restrict f);

int feof(FILE *f);
int ferror(FILE *f);
void clearerr(FILE *f);
/* fileno - the descriptor behind @f. */
fd_t fileno(FILE *f);

/* perror - "@s: ENAME\n" (or just "ENAME\n" if @s is NULL or empty) on stderr. */
void perror(const char *s);

#endif
