// SPDX-License-Identifier: MIT
// C string and memory functions: the ones the kernel does not share
// (kernel/lib/string.c supplies strlen, strcmp, strchr, strlcpy, memcmp and
// friends to both). Freestanding: -ffreestanding keeps clang from turning
// these loops back into calls to themselves.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* rep movsb/stosb: short, and fast on every CPU with ERMSB (all recent x86). */
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	/* Forward copying is safe unless dst starts inside [src, src + n). */
	if ((uintptr_t)d - (uintptr_t)s >= n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	for (size_t i = 0; i < n; i++)
		if (p[i] == (unsigned char)c)
			return (void *)(p + i);
	return NULL;
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;
	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

char *strstr(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return (char *)haystack;
	for (; (haystack = strchr(haystack, *needle)); haystack++)
		if (!strncmp(haystack, needle, n))
			return (char *)haystack;
	return NULL;
}

char *strcpy(char *restrict dst, const char *restrict src)
{
	char *d = dst;
	while ((*d++ = *src++))
		;
	return dst;
}

char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
	size_t i = 0;
	for (; i < n && src[i]; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = '\0';
	return dst;
}

char *strcat(char *restrict dst, const char *restrict src)
{
	strcpy(dst + strlen(dst), src);
	return dst;
}

size_t strspn(const char *s, const char *accept)
{
	size_t n = 0;
	while (s[n] && strchr(accept, s[n]))
		n++;
	return n;
}

size_t strcspn(const char *s, const char *reject)
{
	size_t n = 0;
	while (s[n] && !strchr(reject, s[n]))
		n++;
	return n;
}

char *strtok_r(char *restrict str, const char *restrict delim, char **restrict save)
{
	char *s = str ? str : *save;
	if (!s)
		return NULL;
	s += strspn(s, delim);
	if (!*s) {
		*save = NULL;
		return NULL;
	}
	char *end = s + strcspn(s, delim);
	if (*end)
		*end++ = '\0';
	else
		end = NULL;
	*save = end;
	return s;
}

char *strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *copy = malloc(n + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

char *strdup(const char *s)
{
	return strndup(s, SIZE_MAX);
}

/*
 * Names indexed by code, built from the ABI's own macros so no number is
 * written twice. Codes 41 and 58 do not exist and stay NULL.
 */
#define E_(name) [name] = #name
static const char *const error_names[ERR_MAX] = {
	E_(EOK), E_(EPERM), E_(ENOENT), E_(ESRCH), E_(EINTR), E_(EIO), E_(ENXIO),
	E_(E2BIG), E_(ENOEXEC), E_(EBADF), E_(ECHILD), E_(EAGAIN), E_(ENOMEM),
	E_(EACCES), E_(EFAULT), E_(ENOTBLK), E_(EBUSY), E_(EEXIST), E_(EXDEV),
	E_(ENODEV), E_(ENOTDIR), E_(EISDIR), E_(EINVAL), E_(ENFILE), E_(EMFILE),
	E_(ENOTTY), E_(ETXTBSY), E_(EFBIG), E_(ENOSPC), E_(ESPIPE), E_(EROFS),
	E_(EMLINK), E_(EPIPE), E_(EDOM), E_(ERANGE), E_(EDEADLK), E_(ENAMETOOLONG),
	E_(ENOLCK), E_(ENOSYS), E_(ENOTEMPTY), E_(ELOOP), E_(ENOMSG), E_(EIDRM),
	E_(ECHRNG), E_(EL2NSYNC), E_(EL3HLT), E_(EL3RST), E_(ELNRNG), E_(EUNATCH),
	E_(ENOCSI), E_(EL2HLT), E_(EBADE), E_(EBADR), E_(EXFULL), E_(ENOANO),
	E_(EBADRQC), E_(EBADSLT), E_(EBFONT), E_(ENOSTR), E_(ENODATA), E_(ETIME),
	E_(ENOSR), E_(ENONET), E_(ENOPKG), E_(EREMOTE), E_(ENOLINK), E_(EADV),
	E_(ESRMNT), E_(ECOMM), E_(EPROTO), E_(EMULTIHOP), E_(EDOTDOT), E_(EBADMSG),
	E_(EOVERFLOW), E_(ENOTUNIQ), E_(EBADFD), E_(EREMCHG), E_(ELIBACC),
	E_(ELIBBAD), E_(ELIBSCN), E_(ELIBMAX), E_(ELIBEXEC), E_(EILSEQ),
	E_(ERESTART), E_(ESTRPIPE), E_(EUSERS), E_(ENOTSOCK), E_(EDESTADDRREQ),
	E_(EMSGSIZE), E_(EPROTOTYPE), E_(ENOPROTOOPT), E_(EPROTONOSUPPORT),
	E_(ESOCKTNOSUPPORT), E_(EOPNOTSUPP), E_(EPFNOSUPPORT), E_(EAFNOSUPPORT),
	E_(EADDRINUSE), E_(EADDRNOTAVAIL), E_(ENETDOWN), E_(ENETUNREACH),
	E_(ENETRESET), E_(ECONNABORTED), E_(ECONNRESET), E_(ENOBUFS), E_(EISCONN),
	E_(ENOTCONN), E_(ESHUTDOWN), E_(ETOOMANYREFS), E_(ETIMEDOUT),
	E_(ECONNREFUSED), E_(EHOSTDOWN), E_(EHOSTUNREACH), E_(EALREADY),
	E_(EINPROGRESS), E_(ESTALE), E_(EUCLEAN), E_(ENOTNAM), E_(ENAVAIL),
	E_(EISNAM), E_(EREMOTEIO), E_(EDQUOT), E_(ENOMEDIUM), E_(EMEDIUMTYPE),
	E_(ECANCELED), E_(ENOKEY), E_(EKEYEXPIRED), E_(EKEYREVOKED),
	E_(EKEYREJECTED), E_(EOWNERDEAD), E_(ENOTRECOVERABLE), E_(ERFKILL),
	E_(EUNKNOWNCTL), E_(EBADPATH), E_(EBADFLAG), E_(ENOTSUP), E_(EDISCONNECTED),
	E_(ESPAWNFAIL), E_(ENOLABEL),
};
#undef E_

/* Words for the codes the kernel returns (spec §3's list) and a few more a program may set. */
static const char *const error_words[ERR_MAX] = {
	[EOK] = "no error",
	[EPERM] = "operation not permitted",
	[ENOENT] = "no such file or directory",
	[ESRCH] = "no such process",
	[EINTR] = "interrupted",
	[EIO] = "input/output error",
	[ENXIO] = "no such device or address",
	[E2BIG] = "argument list too long",
	[ENOEXEC] = "not an executable",
	[EBADF] = "bad file descriptor",
	[ECHILD] = "no child processes",
	[EAGAIN] = "resource temporarily unavailable",
	[ENOMEM] = "out of memory",
	[EACCES] = "permission denied",
	[EFAULT] = "bad address",
	[EBUSY] = "device or resource busy",
	[EEXIST] = "file exists",
	[EXDEV] = "cross-device link",
	[ENODEV] = "no such device",
	[ENOTDIR] = "not a directory",
	[EISDIR] = "is a directory",
	[EINVAL] = "invalid argument",
	[ENFILE] = "too many open files in the system",
	[EMFILE] = "too many open files",
	[ENOTTY] = "not a terminal",
	[ETXTBSY] = "text file busy",
	[EFBIG] = "file too large",
	[ENOSPC] = "no space left on device",
	[ESPIPE] = "illegal seek",
	[EROFS] = "read-only file system",
	[EMLINK] = "too many links",
	[EPIPE] = "broken pipe",
	[EDOM] = "argument out of domain",
	[ERANGE] = "result out of range",
	[EDEADLK] = "resource deadlock avoided",
	[ENAMETOOLONG] = "file name too long",
	[ENOSYS] = "no such system call",
	[ENOTEMPTY] = "directory not empty",
	[ELOOP] = "too many levels of links",
	[EOVERFLOW] = "value too large",
	[EILSEQ] = "illegal byte sequence",
	[ETIMEDOUT] = "timed out",
	[ECANCELED] = "canceled",
	[EUNKNOWNCTL] = "unknown control command",
	[EBADPATH] = "bad path",
	[EBADFLAG] = "bad flag",
	[ENOTSUP] = "not supported",
	[EDISCONNECTED] = "disconnected",
	[ESPAWNFAIL] = "cannot start the program",
	[ENOLABEL] = "no such label",
};

const char *strerrorname_np(int err)
{
	if (err < 0 || err >= ERR_MAX || !error_names[err])
		return "E?";
	return error_names[err];
}

char *strerror(int err)
{
	if (err >= 0 && err < ERR_MAX && error_words[err])
		return (char *)error_words[err];
	return (char *)strerrorname_np(err);
}
