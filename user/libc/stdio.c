// SPDX-License-Identifier: MIT
// The three standard streams and the functions that write and read them.
// Locks: each FILE's lock (its buffers and flags). Order: stdin before stdout.
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

#include "kernel/lib/format.h"
#include "user/libc/internal.h"

struct libc_file {
	/* Immutable after init */
	fd_t fd;
	/* Guarded by: lock */
	mtx_t lock;
	int mode;
	bool error, eof;
	size_t wlen;	   /* bytes waiting in wbuf */
	size_t rpos, rlen; /* unread bytes are rbuf[rpos, rlen) */
	char *wbuf, *rbuf; /* BUFSIZ bytes each */
};

/*
 * Static buffers: printing never allocates, so it works before the heap
 * (and /dev/zero) is usable and while the heap is broken. They sit in .bss,
 * apart from the FILEs, so that they cost no bytes in the program file.
 */
static char wbufs[3][BUFSIZ], rbufs[3][BUFSIZ];

static struct libc_file files[3] = {
	{ .fd = STDIN_FILENO, .mode = _IOLBF, .wbuf = wbufs[0], .rbuf = rbufs[0] },
	{ .fd = STDOUT_FILENO, .mode = _IOLBF, .wbuf = wbufs[1], .rbuf = rbufs[1] },
	{ .fd = STDERR_FILENO, .mode = _IONBF, .wbuf = wbufs[2], .rbuf = rbufs[2] },
};

FILE *stdin = &files[0];
FILE *stdout = &files[1];
FILE *stderr = &files[2];

bool write_all(fd_t fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		uint64_t done = write(fd, p, n);
		if (done == ERR)
			return false;
		if (done == 0) {
			errno = EIO; /* no progress: do not spin */
			return false;
		}
		p += done;
		n -= done;
	}
	return true;
}

/* Context: f->lock held. */
static int flush_locked(FILE *f)
{
	size_t n = f->wlen;
	f->wlen = 0; /* on failure the bytes are dropped; the error flag says so */
	if (n && !write_all(f->fd, f->wbuf, n)) {
		f->error = true;
		return EOF;
	}
	return 0;
}

/* Context: f->lock held. */
static int append_locked(FILE *f, const char *s, size_t n)
{
	while (n) {
		if (f->wlen == BUFSIZ && flush_locked(f))
			return EOF;
		/* Big writes bypass an empty buffer. */
		if (f->wlen == 0 && n >= BUFSIZ) {
			if (!write_all(f->fd, s, n)) {
				f->error = true;
				return EOF;
			}
			return 0;
		}
		size_t k = BUFSIZ - f->wlen < n ? BUFSIZ - f->wlen : n;
		memcpy(f->wbuf + f->wlen, s, k);
		f->wlen += k;
		s += k;
		n -= k;
	}
	return 0;
}

/* End of one output call: apply the buffering mode. Context: f->lock held. */
static int end_call_locked(FILE *f, bool wrote_newline)
{
	if (f->mode == _IONBF || (f->mode == _IOLBF && wrote_newline))
		return flush_locked(f);
	return 0;
}

/* Append @n bytes as one call; returns 0 or EOF. */
static int file_write(FILE *f, const char *s, size_t n)
{
	mtx_lock(&f->lock);
	int r = append_locked(f, s, n);
	int r2 = end_call_locked(f, memchr(s, '\n', n) != NULL);
	mtx_unlock(&f->lock);
	return r || r2 ? EOF : 0;
}

struct file_sink {
	struct fmt_sink sink;
	FILE *f;
	bool newline, failed;
};

static void file_put(struct fmt_sink *s, const char *p, size_t n)
{
	struct file_sink *fs = (struct file_sink *)s;
	if (memchr(p, '\n', n))
		fs->newline = true;
	if (append_locked(fs->f, p, n))
		fs->failed = true;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
	struct file_sink fs = { .sink = { .put = file_put }, .f = f, .newline = false, .failed = false };
	mtx_lock(&f->lock);
	int n = fmt_vformat(&fs.sink, fmt, ap);
	if (end_call_locked(f, fs.newline))
		fs.failed = true;
	mtx_unlock(&f->lock);
	return fs.failed ? -1 : n;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int vprintf(const char *restrict fmt, va_list ap)
{
	return vfprintf(stdout, fmt, ap);
}

int printf(const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return n;
}

/* dprintf: a small stack buffer, written out whenever it fills. */
struct fd_sink {
	struct fmt_sink sink;
	fd_t fd;
	bool failed;
	size_t len;
	char buf[256];
};

static void fd_put(struct fmt_sink *s, const char *p, size_t n)
{
	struct fd_sink *ds = (struct fd_sink *)s;
	while (n && !ds->failed) {
		size_t k = sizeof(ds->buf) - ds->len < n ? sizeof(ds->buf) - ds->len : n;
		memcpy(ds->buf + ds->len, p, k);
		ds->len += k;
		p += k;
		n -= k;
		if (ds->len == sizeof(ds->buf)) {
			ds->failed = !write_all(ds->fd, ds->buf, ds->len);
			ds->len = 0;
		}
	}
}

int vdprintf(fd_t fd, const char *restrict fmt, va_list ap)
{
	struct fd_sink ds = { .sink = { .put = fd_put }, .fd = fd, .failed = false, .len = 0 };
	int n = fmt_vformat(&ds.sink, fmt, ap);
	if (!ds.failed && ds.len)
		ds.failed = !write_all(fd, ds.buf, ds.len);
	return ds.failed ? -1 : n;
}

int dprintf(fd_t fd, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}

int fputc(int c, FILE *f)
{
	char ch = (char)c;
	return file_write(f, &ch, 1) ? EOF : (unsigned char)ch;
}

int putc(int c, FILE *f)
{
	return fputc(c, f);
}

int putchar(int c)
{
	return fputc(c, stdout);
}

int fputs(const char *restrict s, FILE *restrict f)
{
	return file_write(f, s, strlen(s));
}

int puts(const char *s)
{
	mtx_lock(&stdout->lock);
	int r = append_locked(stdout, s, strlen(s));
	int r2 = append_locked(stdout, "\n", 1);
	int r3 = end_call_locked(stdout, true);
	mtx_unlock(&stdout->lock);
	return r || r2 || r3 ? EOF : 0;
}

size_t fwrite(const void *restrict ptr, size_t size, size_t n, FILE *restrict f)
{
	size_t bytes;
	if (!size || !n || __builtin_mul_overflow(size, n, &bytes))
		return 0;
	return file_write(f, ptr, bytes) ? 0 : n;
}

int fflush(FILE *f)
{
	if (!f) {
		int r = 0;
		for (int i = 0; i < 3; i++)
			r |= fflush(&files[i]);
		return r ? EOF : 0;
	}
	mtx_lock(&f->lock);
	int r = flush_locked(f);
	mtx_unlock(&f->lock);
	return r;
}

void __stdio_flush_all(void)
{
	fflush(NULL);
}

int setvbuf(FILE *restrict f, char *restrict buf, int mode, size_t size)
{
	if (buf || (mode != _IOFBF && mode != _IOLBF && mode != _IONBF)) {
		errno = EINVAL;
		return -1;
	}
	mtx_lock(&f->lock);
	f->mode = mode;
	int r = end_call_locked(f, false);
	mtx_unlock(&f->lock);
	return r ? -1 : 0;
}

/* Next byte of @f, or EOF. Context: f->lock held. */
static int getc_locked(FILE *f)
{
	if (f->rpos == f->rlen) {
		/* Show a pending prompt before waiting for input (stdin before stdout). */
		if (f == stdin)
			fflush(stdout);
		uint64_t n = read(f->fd, f->rbuf, BUFSIZ);
		if (n == ERR || n == 0) {
			if (n == ERR)
				f->error = true;
			else
				f->eof = true;
			return EOF;
		}
		f->rpos = 0;
		f->rlen = n;
	}
	return (unsigned char)f->rbuf[f->rpos++];
}

int fgetc(FILE *f)
{
	mtx_lock(&f->lock);
	int c = getc_locked(f);
	mtx_unlock(&f->lock);
	return c;
}

int getc(FILE *f)
{
	return fgetc(f);
}

int getchar(void)
{
	return fgetc(stdin);
}

char *fgets(char *restrict s, int size, FILE *restrict f)
{
	int n = 0;
	if (size <= 0)
		return NULL;
	mtx_lock(&f->lock);
	while (n < size - 1) {
		int c = getc_locked(f);
		if (c == EOF)
			break;
		s[n++] = (char)c;
		if (c == '\n')
			break;
	}
	mtx_unlock(&f->lock);
	s[n] = '\0';
	return n ? s : NULL;
}

int feof(FILE *f)
{
	return f->eof;
}

int ferror(FILE *f)
{
	return f->error;
}

void clearerr(FILE *f)
{
	mtx_lock(&f->lock);
	f->error = f->eof = false;
	mtx_unlock(&f->lock);
}

fd_t fileno(FILE *f)
{
	return f->fd;
}

void perror(const char *s)
{
	const char *name = strerror(errno);
	if (s && *s)
		fprintf(stderr, "%s: %s\n", s, name);
	else
		fprintf(stderr, "%s\n", name);
}
