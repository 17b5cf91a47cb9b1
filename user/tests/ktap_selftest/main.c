// SPDX-License-Identifier: MIT
// ktap_selftest: libc's pure functions (strings, formatting, number parsing,
// character classes) checked from user space, reported in KTAP. Needs only
// descriptor 1: no heap, no files.
#include <ctype.h>
#include <errno.h>
#include <ktap.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

KTAP_TEST(string_lengths_and_compares)
{
	TEXPECT_EQ(strlen(""), 0);
	TEXPECT_EQ(strlen("quilt"), 5);
	TEXPECT_EQ(strnlen("quilt", 3), 3);
	TEXPECT(strcmp("abc", "abd") < 0);
	TEXPECT(strcmp("abc", "abc") == 0);
	TEXPECT(strcmp("\xff", "a") > 0); /* bytes compare unsigned */
	TEXPECT(strncmp("abcx", "abcy", 3) == 0);
	TEXPECT(memcmp("ab\0c", "ab\0d", 4) < 0);
}

KTAP_TEST(string_search)
{
	const char *s = "a/b/c";
	TEXPECT_EQ(strchr(s, '/') - s, 1);
	TEXPECT_EQ(strrchr(s, '/') - s, 3);
	TEXPECT(strchr(s, 'z') == NULL);
	TEXPECT(strchr(s, '\0') == s + 5);
	TEXPECT_EQ(strstr("hello world", "wor") - "hello world" + 0, 6);
	TEXPECT(strstr("abc", "abcd") == NULL);
}

KTAP_TEST(string_copies)
{
	char buf[16];
	memset(buf, 'x', sizeof(buf));
	strncpy(buf, "ab", 4);
	TEXPECT(buf[2] == '\0' && buf[3] == '\0' && buf[4] == 'x');
	strcpy(buf, "ab");
	strcat(buf, "cd");
	TEXPECT_STREQ(buf, "abcd");
	char over[] = "abcdef";
	memmove(over + 2, over, 4);
	TEXPECT_STREQ(over, "ababcd");
	memmove(over, over + 2, 5);
	TEXPECT_STREQ(over, "abcd");
}

KTAP_TEST(strtok_r_splits)
{
	char line[] = "  ls -l  /tmp ";
	char *save;
	TEXPECT_STREQ(strtok_r(line, " ", &save), "ls");
	TEXPECT_STREQ(strtok_r(NULL, " ", &save), "-l");
	TEXPECT_STREQ(strtok_r(NULL, " ", &save), "/tmp");
	TEXPECT(strtok_r(NULL, " ", &save) == NULL);
}

KTAP_TEST(snprintf_formats)
{
	char buf[64];
	TEXPECT_EQ(snprintf(buf, sizeof(buf), "%d|%5d|%-5d|%05d", -42, 42, 42, -42), 21);
	TEXPECT_STREQ(buf, "-42|   42|42   |-0042");
	snprintf(buf, sizeof(buf), "%x %#X %o %#o %llu", 255u, 255u, 8u, 8u, 18446744073709551615ull);
	TEXPECT_STREQ(buf, "ff 0XFF 10 010 18446744073709551615");
	snprintf(buf, sizeof(buf), "[%s|%.2s|%4s|%c]", "abc", "abc", "z", 'q');
	TEXPECT_STREQ(buf, "[abc|ab|   z|q]");
	snprintf(buf, sizeof(buf), "%lld %p", (long long)LLONG_MIN, (void *)0x400000);
	TEXPECT_STREQ(buf, "-9223372036854775808 0x400000");
}

KTAP_TEST(snprintf_truncates)
{
	char buf[4] = "zzz";
	TEXPECT_EQ(snprintf(buf, sizeof(buf), "%s", "abcdef"), 6);
	TEXPECT_STREQ(buf, "abc");
	TEXPECT_EQ(snprintf(NULL, 0, "%d", 12345), 5);
}

KTAP_TEST(strtol_parses)
{
	char *end;
	TEXPECT_EQ(strtol("  -123xyz", &end, 10), -123);
	TEXPECT_STREQ(end, "xyz");
	TEXPECT_EQ(strtol("0x1f", NULL, 0), 31);
	TEXPECT_EQ(strtol("017", NULL, 0), 15);
	TEXPECT_EQ(strtoul("ff", NULL, 16), 255);
	TEXPECT_EQ(strtol("0x", &end, 16), 0);
	TEXPECT_STREQ(end, "x");
	const char *none = "  +";
	TEXPECT_EQ(strtol(none, &end, 10), 0);
	TEXPECT(end == none);
}

KTAP_TEST(strtol_range_errors)
{
	errno = 0;
	TEXPECT_EQ(strtol("9223372036854775808", NULL, 10), LONG_MAX);
	TEXPECT_EQ(errno, ERANGE);
	errno = 0;
	TEXPECT_EQ(strtol("-9223372036854775808", NULL, 10), LONG_MIN);
	TEXPECT_EQ(errno, 0);
	TEXPECT_EQ(strtoull("18446744073709551616", NULL, 10), ULLONG_MAX);
	TEXPECT_EQ(errno, ERANGE);
	errno = 0;
	TEXPECT_EQ(strtol("1", NULL, 1), 0);
	TEXPECT_EQ(errno, EINVAL);
}

KTAP_TEST(ctype_classes)
{
	TEXPECT(isdigit('7') && !isdigit('a'));
	TEXPECT(isspace('\t') && isspace(' ') && !isspace('x'));
	TEXPECT(isxdigit('F') && !isxdigit('g'));
	TEXPECT_EQ(toupper('q'), 'Q');
	TEXPECT_EQ(tolower('Q'), 'q');
	TEXPECT_EQ(tolower('1'), '1');
}

KTAP_TEST(errno_names)
{
	TEXPECT_STREQ(strerrorname_np(ENOENT), "ENOENT");
	TEXPECT_STREQ(strerrorname_np(ESPAWNFAIL), "ESPAWNFAIL");
	TEXPECT_STREQ(strerrorname_np(41), "E?");
	TEXPECT_STREQ(strerrorname_np(-1), "E?");
}

int main(void)
{
	return ktap_main();
}
