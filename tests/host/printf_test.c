// SPDX-License-Identifier: MIT
// Host tests of the printf engine (kernel/lib/format.c) as the kernel (ksnprintf) and libc use it,
// checked against literal strings and the host's snprintf.
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/lib/format.h"
#include "kernel/lib/printf.h"
#include "tests/host/htest.h"

/*
 * Format with both ksnprintf and the host's snprintf: both must produce @want
 * (the host check keeps the expectation honest) and return its length.
 */
#define HEXPECT_FMT(want, fmt, ...)                                                 \
	do {                                                                        \
		char k_[256], h_[256];                                              \
		int kn_ = ksnprintf(k_, sizeof(k_), fmt, __VA_ARGS__);              \
		int hn_ = snprintf(h_, sizeof(h_), fmt, __VA_ARGS__);               \
		HEXPECT_STREQ(h_, want);                                            \
		HEXPECT_STREQ(k_, want);                                            \
		HEXPECT_EQ(kn_, strlen(want));                                      \
		HEXPECT_EQ(hn_, kn_);                                               \
	} while (0)

/* Only ksnprintf: for our own formats (%p) and literal-only strings. */
#define HEXPECT_KFMT(want, fmt, ...)                                                \
	do {                                                                        \
		char k_[256];                                                       \
		int kn_ = ksnprintf(k_, sizeof(k_), fmt, ##__VA_ARGS__);            \
		HEXPECT_STREQ(k_, want);                                            \
		HEXPECT_EQ(kn_, strlen(want));                                      \
	} while (0)

/* kvsnprintf through a wrapper without a format attribute, to pass raw ints. */
static int kraw(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

HTEST(printf, plain_text)
{
	HEXPECT_KFMT("hello, world", "hello, world");
	HEXPECT_KFMT("", "");
}

HTEST(printf, percent_literal)
{
	HEXPECT_KFMT("100%", "100%%");
	HEXPECT_KFMT("%%", "%%%%");
	HEXPECT_FMT("a%b7", "a%%b%d", 7);
}

HTEST(printf, signed_decimal)
{
	HEXPECT_FMT("0", "%d", 0);
	HEXPECT_FMT("42", "%d", 42);
	HEXPECT_FMT("-42", "%d", -42);
	HEXPECT_FMT("-1 17", "%i %i", -1, 17);
	HEXPECT_FMT("2147483647", "%d", INT_MAX);
	HEXPECT_FMT("-2147483648", "%d", INT_MIN);
}

HTEST(printf, long_decimal)
{
	HEXPECT_FMT("-9223372036854775808", "%ld", (long)INT64_MIN);
	HEXPECT_FMT("9223372036854775807", "%ld", (long)INT64_MAX);
	HEXPECT_FMT("-9223372036854775808", "%lld", LLONG_MIN);
	HEXPECT_FMT("-5000000000", "%lld", -5000000000LL);
	/* a long argument must not be truncated to int */
	HEXPECT_FMT("4294967296", "%ld", 4294967296L);
}

HTEST(printf, unsigned_decimal)
{
	HEXPECT_FMT("0", "%u", 0u);
	HEXPECT_FMT("4294967295", "%u", UINT_MAX);
	HEXPECT_FMT("18446744073709551615", "%lu", ULONG_MAX);
	HEXPECT_FMT("18446744073709551615", "%llu", ULLONG_MAX);
}

HTEST(printf, hex)
{
	HEXPECT_FMT("0", "%x", 0u);
	HEXPECT_FMT("deadbeef", "%x", 0xdeadbeefu);
	HEXPECT_FMT("DEADBEEF", "%X", 0xdeadbeefu);
	HEXPECT_FMT("ffffffff80000000", "%lx", 0xffffffff80000000UL);
	HEXPECT_FMT("FFFFFFFFFFFFFFFF", "%llX", ULLONG_MAX);
	/* a negative int printed with %x is its 32-bit pattern */
	HEXPECT_FMT("ffffffff", "%x", (unsigned int)-1);
}

HTEST(printf, octal)
{
	HEXPECT_FMT("0", "%o", 0u);
	HEXPECT_FMT("755", "%o", 0755u);
	HEXPECT_FMT("1777777777777777777777", "%lo", ULONG_MAX);
}

HTEST(printf, alternate_form)
{
	HEXPECT_FMT("0x1f", "%#x", 0x1fu);
	HEXPECT_FMT("0X1F", "%#X", 0x1fu);
	HEXPECT_FMT("0", "%#x", 0u); /* no prefix for zero */
	HEXPECT_FMT("0755", "%#o", 0755u);
	HEXPECT_FMT("0", "%#o", 0u);
	HEXPECT_FMT("010", "%#.3o", 8u);
	HEXPECT_FMT("0x00001f", "%#08x", 0x1fu);
	HEXPECT_FMT("    0x1f", "%#8x", 0x1fu);
}

HTEST(printf, width)
{
	HEXPECT_FMT("   42", "%5d", 42);
	HEXPECT_FMT("  -42", "%5d", -42);
	HEXPECT_FMT("123456", "%3d", 123456); /* width is a minimum */
	HEXPECT_FMT("   ab", "%5x", 0xabu);
	HEXPECT_FMT("   hi", "%5s", "hi");
	HEXPECT_FMT("    7", "%*d", 5, 7);
}

HTEST(printf, left_justify)
{
	HEXPECT_FMT("42   |", "%-5d|", 42);
	HEXPECT_FMT("-42  |", "%-5d|", -42);
	HEXPECT_FMT("hi   |", "%-5s|", "hi");
	HEXPECT_FMT("x  |", "%-3c|", 'x');
	/* '-' beats '0' (through kraw: clang warns about the literal) */
	char buf[16];
	HEXPECT_EQ(kraw(buf, sizeof(buf), "%-05d|", 42), 6);
	HEXPECT_STREQ(buf, "42   |");
	/* a negative '*' width means left-justify */
	HEXPECT_FMT("7    |", "%*d|", -5, 7);
}

HTEST(printf, zero_pad)
{
	HEXPECT_FMT("00042", "%05d", 42);
	HEXPECT_FMT("-0042", "%05d", -42); /* sign before the zeros */
	HEXPECT_FMT("+0042", "%+05d", 42);
	HEXPECT_FMT("000000ff", "%08x", 0xffu);
	HEXPECT_FMT("0000000000001234", "%016lx", 0x1234UL);
}

HTEST(printf, sign_flags)
{
	HEXPECT_FMT("+5", "%+d", 5);
	HEXPECT_FMT("-5", "%+d", -5);
	HEXPECT_FMT("+0", "%+d", 0);
	HEXPECT_FMT(" 5", "% d", 5);
	HEXPECT_FMT("-5", "% d", -5);
	/* '+' beats ' ' (through kraw: clang warns about the literal) */
	char buf[16];
	HEXPECT_EQ(kraw(buf, sizeof(buf), "%+ d", 5), 2);
	HEXPECT_STREQ(buf, "+5");
}

HTEST(printf, int_precision)
{
	HEXPECT_FMT("00042", "%.5d", 42);
	HEXPECT_FMT("-00042", "%.5d", -42);
	HEXPECT_FMT("  00042", "%7.5d", 42);
	HEXPECT_FMT("  00042", "%07.5d", 42); /* precision disables '0' */
	HEXPECT_FMT("", "%.0d", 0);           /* zero with precision 0 prints nothing */
	HEXPECT_FMT("   ", "%3.0d", 0);
	HEXPECT_FMT("12345", "%.2d", 12345);
	HEXPECT_FMT("0000ff", "%.6x", 0xffu);
	HEXPECT_FMT("007", "%.*d", 3, 7);
	/* a negative '*' precision is as if none were given */
	HEXPECT_FMT("7", "%.*d", -3, 7);
}

HTEST(printf, string_precision)
{
	HEXPECT_FMT("abc", "%.3s", "abcdef");
	HEXPECT_FMT("ab", "%.3s", "ab");
	HEXPECT_FMT("", "%.0s", "abc");
	HEXPECT_FMT("abcd", "%.*s", 4, "abcdefgh");
	HEXPECT_FMT("   ab", "%5.2s", "abc");
	HEXPECT_FMT("ab   |", "%-5.2s|", "abc");
}

/* Run @fn in a child so a sanitizer abort fails one test, not the whole run. */
static bool runs_clean(void (*fn)(void))
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void precision_over_unterminated(void)
{
	/* exactly 3 bytes, no NUL: "%.3s" may read those 3 and no more */
	char *s = malloc(3);
	memcpy(s, "xyz", 3);
	char buf[16];
	int n = ksnprintf(buf, sizeof(buf), "[%.*s]", 3, s);
	free(s);
	if (n != 5 || strcmp(buf, "[xyz]") != 0)
		_exit(3);
}

HTEST(printf, string_precision_does_not_read_past)
{
	/*
	 * C11 7.21.6.1p8: with a precision, the array need not be NUL-terminated
	 * and no more than precision bytes are read. ASan in the child reports
	 * any read of the byte after them.
	 */
	HEXPECT(runs_clean(precision_over_unterminated));
}

HTEST(printf, null_string)
{
	const char *null = NULL;
	HEXPECT_KFMT("(null)", "%s", null);
	HEXPECT_KFMT("[  (null)]", "[%8s]", null);
	HEXPECT_KFMT("<(nu>", "<%.3s>", null);
}

HTEST(printf, pointer)
{
	HEXPECT_KFMT("0x0000000000001234", "%p", (void *)0x1234);
	HEXPECT_KFMT("0x0000000000000000", "%p", (void *)0);
	HEXPECT_KFMT("0xffffffff80000000", "%p", (void *)0xffffffff80000000UL);
	HEXPECT_KFMT("<0xdeadbeefcafef00d>", "<%p>", (void *)0xdeadbeefcafef00dUL);
}

HTEST(printf, character)
{
	HEXPECT_FMT("x", "%c", 'x');
	HEXPECT_FMT("a-b", "%c-%c", 'a', 'b');
	HEXPECT_FMT("  z", "%3c", 'z');
	/* a NUL character counts in the length even though it ends the string */
	char buf[8];
	memset(buf, 'Q', sizeof(buf));
	HEXPECT_EQ(ksnprintf(buf, sizeof(buf), "a%cb", 0), 3);
	HEXPECT_EQ(buf[0], 'a');
	HEXPECT_EQ(buf[1], 0);
	HEXPECT_EQ(buf[2], 'b');
	HEXPECT_EQ(buf[3], 0);
}

HTEST(printf, length_modifiers)
{
	HEXPECT_FMT("-56", "%hhd", (signed char)200);
	HEXPECT_FMT("200", "%hhu", (unsigned char)200);
	HEXPECT_FMT("ff", "%hhx", (unsigned char)0xff);
	HEXPECT_FMT("-1", "%hd", (short)-1);
	HEXPECT_FMT("65535", "%hu", (unsigned short)0xffff);
	HEXPECT_FMT("18446744073709551615", "%zu", SIZE_MAX);
	HEXPECT_FMT("ffffffffffffffff", "%zx", SIZE_MAX);
	HEXPECT_FMT("-3", "%zd", (ptrdiff_t)-3);
	HEXPECT_FMT("-9", "%td", (ptrdiff_t)-9);
	HEXPECT_FMT("-9223372036854775808", "%jd", INTMAX_MIN);
	HEXPECT_FMT("123456789012", "%llu", 123456789012ULL);
}

HTEST(printf, hh_h_narrow_promoted_ints)
{
	/* hh and h receive a full int and must narrow it themselves */
	char buf[64];
	HEXPECT_EQ(kraw(buf, sizeof(buf), "%hhd %hhu %hhx", 0x1ff80, 0x1ff80, 0x1ff80), 11);
	HEXPECT_STREQ(buf, "-128 128 80");
	HEXPECT_EQ(kraw(buf, sizeof(buf), "%hd %hu %hx", 0x18000, 0x18000, 0x1ffff), 17);
	HEXPECT_STREQ(buf, "-32768 32768 ffff");
}

HTEST(printf, mixed_conversions)
{
	HEXPECT_FMT("-42|    7|ab  |ok", "%d|%5u|%-4x|%s", -42, 7u, 0xabu, "ok");
	HEXPECT_FMT("[ -1][ff][  x][str][%]", "[%3d][%02x][%3c][%s][%%]", -1, 0xffu, 'x', "str");
}

HTEST(printf, truncation)
{
	/* an exactly sized heap buffer: ASan reports any write past it */
	char *buf = malloc(8);
	HEXPECT_EQ(ksnprintf(buf, 8, "hello world"), 11);
	HEXPECT_STREQ(buf, "hello w");
	HEXPECT_EQ(ksnprintf(buf, 8, "%d", -1234567890), 11);
	HEXPECT_STREQ(buf, "-123456");
	HEXPECT_EQ(ksnprintf(buf, 8, "%300d", 1), 300);
	HEXPECT_STREQ(buf, "       ");
	HEXPECT_EQ(ksnprintf(buf, 8, "%-20s|", "ab"), 21);
	HEXPECT_STREQ(buf, "ab     ");
	HEXPECT_EQ(ksnprintf(buf, 8, "%p", (void *)0x1234), 18);
	HEXPECT_STREQ(buf, "0x00000");
	/* exactly fitting: 7 characters and the NUL */
	HEXPECT_EQ(ksnprintf(buf, 8, "1234567"), 7);
	HEXPECT_STREQ(buf, "1234567");
	free(buf);
}

HTEST(printf, size_one)
{
	char *buf = malloc(1);
	buf[0] = 'Q';
	HEXPECT_EQ(ksnprintf(buf, 1, "abc%d", 5), 4);
	HEXPECT_EQ(buf[0], '\0');
	free(buf);
}

HTEST(printf, size_zero_writes_nothing)
{
	char buf[4] = { 'Q', 'Q', 'Q', 'Q' };
	HEXPECT_EQ(ksnprintf(buf, 0, "abc%d", 12345), 8);
	HEXPECT_EQ(buf[0], 'Q');
	HEXPECT_EQ(buf[1], 'Q');
	HEXPECT_EQ(buf[3], 'Q');
	/* the classic length query: NULL buffer, size 0 */
	HEXPECT_EQ(ksnprintf(NULL, 0, "%s=%lu", "key", 123456UL), 10);
}

HTEST(printf, return_matches_host_when_truncated)
{
	char k[5], h[5];
	int kn = ksnprintf(k, sizeof(k), "%08x-%s", 0xbeefu, "tail");
	int hn = snprintf(h, sizeof(h), "%08x-%s", 0xbeefu, "tail");
	HEXPECT_EQ(kn, hn);
	HEXPECT_STREQ(k, h);
}

HTEST(printf, trailing_percent_and_unknown)
{
	char buf[16];
	/* a lone trailing '%' ends the output without reading past the format */
	HEXPECT_EQ(kraw(buf, sizeof(buf), "abc%"), 3);
	HEXPECT_STREQ(buf, "abc");
	HEXPECT_EQ(kraw(buf, sizeof(buf), "abc%-08l"), 3);
	HEXPECT_STREQ(buf, "abc");
	/* unknown conversions are printed verbatim */
	HEXPECT_EQ(kraw(buf, sizeof(buf), "x%qy"), 4);
	HEXPECT_STREQ(buf, "x%qy");
}

/* The same engine as libc uses it: no options. */
static int uraw(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, 0, fmt, ap);
	va_end(ap);
	return n;
}

HTEST(format, libc_pointers_are_minimal)
{
	char buf[64];
	HEXPECT_EQ(uraw(buf, sizeof(buf), "%p|%p", (void *)0x1234, (void *)0), 10);
	HEXPECT_STREQ(buf, "0x1234|0x0");
}

HTEST(format, libc_fields_are_not_clamped)
{
	/* the kernel clamps at FMT_FIELD_MAX; C's snprintf does not */
	char buf[8];
	HEXPECT_EQ(uraw(buf, sizeof(buf), "%5000d", 1), 5000);
	HEXPECT_STREQ(buf, "       ");
	HEXPECT_EQ(ksnprintf(buf, sizeof(buf), "%5000d", 1), FMT_FIELD_MAX);
}

HTEST(format, floats_consume_their_argument)
{
	char buf[32];
	HEXPECT_EQ(uraw(buf, sizeof(buf), "%f %d %Lg %d", 1.5, 7, (long double)2.5, 8), 7);
	HEXPECT_STREQ(buf, "? 7 ? 8");
}

HTEST(format, unknown_conversion_printed_as_written)
{
	char buf[32];
	HEXPECT_EQ(uraw(buf, sizeof(buf), "a%-5qb%n", (int *)0), 8);
	HEXPECT_STREQ(buf, "a%-5qb%n");
}

struct count_sink {
	struct fmt_sink sink;
	int calls;
	size_t bytes;
};

static void count_put(struct fmt_sink *s, const char *p, size_t n)
{
	struct count_sink *c = (struct count_sink *)s;
	c->calls++;
	c->bytes += n;
}

static int count_format(struct count_sink *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vformat(&c->sink, fmt, ap);
	va_end(ap);
	return n;
}

HTEST(format, sink_receives_every_byte_in_pieces)
{
	struct count_sink c = { .sink = { .put = count_put } };
	HEXPECT_EQ(count_format(&c, "%-40s|%08x|%s", "name", 0xabcu, "tail"), 54);
	HEXPECT_EQ(c.bytes, 54);
	HEXPECT(c.calls > 1 && c.calls < 54); /* runs, not byte by byte */
}
