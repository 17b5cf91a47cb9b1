// SPDX-License-Identifier: MIT
// Host tests of fs/path.c: the §5.1 path/flag grammar, its errors and their order, component helpers.
#include "fs/path.h"
#include "kernel/abi/errno.h"
#include "kernel/abi/path_flags.h"
#include "tests/host/htest.h"

/* Large enough for the over-long strings some tests build (NUL included). */
#define BIG 512

static struct path_parsed parsed;

/* path_parse(@s) into the shared result, returning its code. */
static int parse(const char *s)
{
	return path_parse(s, &parsed);
}

/* The flags of a path expected to parse; a value no flag set can have otherwise. */
static uint32_t flags_of(const char *s)
{
	return parse(s) == 0 ? parsed.flags : 0xdeadbeefu;
}

/* Append @n copies of @c to the string in @buf (BIG bytes) and return @buf. */
static char *add(char *buf, char c, size_t n)
{
	size_t len = strlen(buf);

	if (len + n >= BIG)
		n = BIG - 1 - len;
	memset(buf + len, c, n);
	buf[len + n] = '\0';
	return buf;
}

static char *cat(char *buf, const char *s)
{
	strncat(buf, s, BIG - 1 - strlen(buf));
	return buf;
}

/* ------------------------------------------------------------ ABI headers */

HTEST(path_abi, errno_values)
{
	HEXPECT_EQ(EOK, 0);
	HEXPECT_EQ(EPERM, 1);
	HEXPECT_EQ(ENOENT, 2);
	HEXPECT_EQ(EAGAIN, 11);
	HEXPECT_EQ(EWOULDBLOCK, EAGAIN);
	HEXPECT_EQ(EFAULT, 14);
	HEXPECT_EQ(EEXIST, 17);
	HEXPECT_EQ(ENOTDIR, 20);
	HEXPECT_EQ(EISDIR, 21);
	HEXPECT_EQ(EINVAL, 22);
	HEXPECT_EQ(EMFILE, 24);
	HEXPECT_EQ(ENAMETOOLONG, 36);
	HEXPECT_EQ(ENOSYS, 38);
	HEXPECT_EQ(ENOTEMPTY, 39);
	HEXPECT_EQ(ELOOP, 40);
	HEXPECT_EQ(ENOMSG, 42);  /* 41 is a hole */
	HEXPECT_EQ(EBADSLT, 57);
	HEXPECT_EQ(EBFONT, 59);  /* 58 is a hole */
	HEXPECT_EQ(EOVERFLOW, 75);
	HEXPECT_EQ(ETIMEDOUT, 110);
	HEXPECT_EQ(ERFKILL, 132);
	HEXPECT_EQ(EUNKNOWNCTL, 133);
	HEXPECT_EQ(EBADPATH, 134);
	HEXPECT_EQ(EBADFLAG, 135);
	HEXPECT_EQ(ENOTSUP, 136);
	HEXPECT_EQ(EDISCONNECTED, 137);
	HEXPECT_EQ(ESPAWNFAIL, 138);
	HEXPECT_EQ(ENOLABEL, 139);
	HEXPECT_EQ(ERR_POSIX_MAX, 133);
	HEXPECT_EQ(ERR_MAX, 140);
}

HTEST(path_abi, flag_values)
{
	HEXPECT_EQ(PATH_FLAG_READ, 1u << 0);
	HEXPECT_EQ(PATH_FLAG_WRITE, 1u << 1);
	HEXPECT_EQ(PATH_FLAG_EXECUTE, 1u << 2);
	HEXPECT_EQ(PATH_FLAG_NONBLOCK, 1u << 3);
	HEXPECT_EQ(PATH_FLAG_APPEND, 1u << 4);
	HEXPECT_EQ(PATH_FLAG_CREATE, 1u << 5);
	HEXPECT_EQ(PATH_FLAG_EXCLUSIVE, 1u << 6);
	HEXPECT_EQ(PATH_FLAG_TRUNCATE, 1u << 7);
	HEXPECT_EQ(PATH_FLAG_DIRECTORY, 1u << 8);
	HEXPECT_EQ(PATH_FLAG_RECURSIVE, 1u << 9);
	HEXPECT_EQ(PATH_FLAG_ALL, 0x3ffu);
	HEXPECT_EQ(PATH_FLAG_PERMS, 7u);
	HEXPECT_EQ(PATH_MAX_PATH, 256);
	HEXPECT_EQ(PATH_MAX_NAME, 32);
}

/* The X-macro table must list exactly the ten flags, in bit order. */
#define COUNT_FLAG(v, l, s) +1
#define OR_FLAG(v, l, s) | (v)
HTEST(path_abi, flag_table)
{
	static const struct {
		uint32_t v;
		const char *l;
		char s;
	} t[] = {
#define ROW(v, l, s) { v, l, s },
		PATH_FLAG_TABLE(ROW)
#undef ROW
	};
	HEXPECT_EQ(0 PATH_FLAG_TABLE(COUNT_FLAG), PATH_FLAG_COUNT);
	HEXPECT_EQ(0 PATH_FLAG_TABLE(OR_FLAG), PATH_FLAG_ALL);
	for (int i = 0; i < PATH_FLAG_COUNT; i++)
		HEXPECT_EQ(t[i].v, 1u << i);
	HEXPECT_STREQ(t[0].l, "read");
	HEXPECT_EQ(t[0].s, 'r');
	HEXPECT_STREQ(t[9].l, "recursive");
	HEXPECT_EQ(t[9].s, 'R');
}

/* ------------------------------------------------------------ pathname part */

HTEST(path_parse, plain_absolute)
{
	HEXPECT_EQ(parse("/tmp/f"), 0);
	HEXPECT_STREQ(parsed.pathname, "/tmp/f");
	HEXPECT_EQ(parsed.flags, 0);
	HEXPECT(parsed.absolute);
}

HTEST(path_parse, plain_relative)
{
	HEXPECT_EQ(parse("a/b"), 0);
	HEXPECT_STREQ(parsed.pathname, "a/b");
	HEXPECT_EQ(parsed.flags, 0);
	HEXPECT(!parsed.absolute);
}

HTEST(path_parse, empty_path)
{
	HEXPECT_EQ(parse(""), 0);
	HEXPECT_STREQ(parsed.pathname, "");
	HEXPECT_EQ(parsed.flags, 0);
	HEXPECT(!parsed.absolute);
}

HTEST(path_parse, root_and_slash_runs)
{
	HEXPECT_EQ(parse("/"), 0);
	HEXPECT_STREQ(parsed.pathname, "/");
	HEXPECT(parsed.absolute);
	HEXPECT_EQ(parse("//x///"), 0);
	HEXPECT(parsed.absolute);
	HEXPECT_EQ(parse("x/"), 0);
	HEXPECT(!parsed.absolute);
}

/* The pathname is handed on exactly as written: no normalisation here. */
HTEST(path_parse, pathname_unchanged)
{
	HEXPECT_EQ(parse("/tmp/../tmp/./f//:r"), 0);
	HEXPECT_STREQ(parsed.pathname, "/tmp/../tmp/./f//");
	HEXPECT_EQ(parse("./.."), 0);
	HEXPECT_STREQ(parsed.pathname, "./..");
	HEXPECT_EQ(parse("..."), 0);
}

HTEST(path_parse, flags_without_pathname)
{
	HEXPECT_EQ(parse(":d"), 0);
	HEXPECT_STREQ(parsed.pathname, "");
	HEXPECT_EQ(parsed.flags, PATH_FLAG_DIRECTORY);
	HEXPECT(!parsed.absolute);
	HEXPECT_EQ(parse("/:d"), 0);
	HEXPECT_STREQ(parsed.pathname, "/");
	HEXPECT(parsed.absolute);
}

HTEST(path_parse, space_in_names)
{
	HEXPECT_EQ(parse("/tmp/my file"), 0);
	HEXPECT_STREQ(parsed.pathname, "/tmp/my file");
	HEXPECT_EQ(parse(" leading"), 0);
	HEXPECT_STREQ(parsed.pathname, " leading");
	HEXPECT_EQ(parse("/trailing /x"), 0);
	HEXPECT_EQ(parse("/ / "), 0);
	HEXPECT_STREQ(parsed.pathname, "/ / ");
	HEXPECT_EQ(parse("a b:r"), 0);
	HEXPECT_STREQ(parsed.pathname, "a b");
	HEXPECT_EQ(parsed.flags, PATH_FLAG_READ);
}

HTEST(path_parse, full_valid_charset)
{
	const char *s = "/abcdefghijklmnopqrstuvwxyz/ABCDEFGHIJKLMNOPQRSTUVWXYZ/0123456789"
			"/_-. ()[]{}~!@#$%^&?',;=+";
	HEXPECT_EQ(parse(s), 0);
	HEXPECT_STREQ(parsed.pathname, s);
}

/* Every byte 1..255 in the middle of a name, against an independent allow list. */
HTEST(path_parse, byte_sweep)
{
	const char *punct = "_-. ()[]{}~!@#$%^&?',;=+";
	int accepted = 0;

	for (int c = 1; c < 256; c++) {
		char s[4] = { 'a', (char)c, 'b', '\0' };
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		bool ok = alnum || strchr(punct, c) != NULL;
		int r;

		if (c == '/' || c == ':')
			continue; /* separators, tested elsewhere */
		r = parse(s);
		if (r != (ok ? 0 : -EINVAL))
			htest_fail(ctx, __FILE__, __LINE__, "byte %#x: got %d", c, r);
		accepted += r == 0;
	}
	HEXPECT_EQ(accepted, 26 + 26 + 10 + 24);
}

HTEST(path_parse, invalid_quote)
{
	HEXPECT_EQ(parse("/tmp/a\"b"), -EINVAL);
	HEXPECT_EQ(parse("\""), -EINVAL);
}

HTEST(path_parse, invalid_star)
{
	HEXPECT_EQ(parse("/tmp/a*b"), -EINVAL);
	HEXPECT_EQ(parse("*"), -EINVAL);
	HEXPECT_EQ(parse("/tmp/*/f"), -EINVAL);
}

HTEST(path_parse, invalid_backslash)
{
	HEXPECT_EQ(parse("/tmp\\f"), -EINVAL);
	HEXPECT_EQ(parse("\\"), -EINVAL);
}

HTEST(path_parse, invalid_angle_brackets)
{
	HEXPECT_EQ(parse("/tmp/<f"), -EINVAL);
	HEXPECT_EQ(parse("/tmp/f>"), -EINVAL);
}

HTEST(path_parse, invalid_pipe)
{
	HEXPECT_EQ(parse("/tmp/a|b"), -EINVAL);
	HEXPECT_EQ(parse("|"), -EINVAL);
}

HTEST(path_parse, invalid_backtick)
{
	HEXPECT_EQ(parse("/tmp/`f`"), -EINVAL);
}

HTEST(path_parse, invalid_tab)
{
	HEXPECT_EQ(parse("/tmp/a\tb"), -EINVAL);
	HEXPECT_EQ(parse("\t"), -EINVAL);
}

HTEST(path_parse, invalid_high_bytes)
{
	HEXPECT_EQ(parse("/tmp/\x80"), -EINVAL);
	HEXPECT_EQ(parse("/tmp/caf\xc3\xa9"), -EINVAL); /* UTF-8 is not special-cased */
	HEXPECT_EQ(parse("/tmp/\xff"), -EINVAL);
}

HTEST(path_parse, invalid_control_chars)
{
	HEXPECT_EQ(parse("/tmp/\x01"), -EINVAL);
	HEXPECT_EQ(parse("/tmp/a\nb"), -EINVAL);
	HEXPECT_EQ(parse("/tmp/a\rb"), -EINVAL);
	HEXPECT_EQ(parse("/tmp/\x1b[0m"), -EINVAL);
	HEXPECT_EQ(parse("/tmp/\x1f"), -EINVAL);
	HEXPECT_EQ(parse("/tmp/\x7f"), -EINVAL); /* DEL is a control character */
}

/* ':' ends the pathname, so a name can never contain one. */
HTEST(path_parse, first_colon_ends_pathname)
{
	HEXPECT_EQ(parse("a:d:c"), 0);
	HEXPECT_STREQ(parsed.pathname, "a");
	HEXPECT_EQ(parsed.flags, PATH_FLAG_DIRECTORY | PATH_FLAG_CREATE);
	HEXPECT_EQ(parse("a:b"), -EBADFLAG); /* "b" is read as a flag, not a name */
	HEXPECT_EQ(parse("/dir:x/y"), -EBADFLAG);
}

HTEST(path_parse, component_31_ok)
{
	char s[BIG] = "/tmp/";

	add(s, 'n', 31);
	HEXPECT_EQ(parse(s), 0); /* §11 row 43: PW refuses this one */
	HEXPECT_STREQ(parsed.pathname, s);
	s[0] = '\0';
	add(s, 'n', 31);
	HEXPECT_EQ(parse(s), 0);
	cat(s, "/");
	add(s, 'm', 31);
	cat(s, "/:rw");
	HEXPECT_EQ(parse(s), 0);
	HEXPECT_EQ(parsed.flags, PATH_FLAG_READ | PATH_FLAG_WRITE);
}

HTEST(path_parse, component_32_too_long)
{
	char s[BIG] = "/tmp/";

	add(s, 'n', 32);
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	s[0] = '\0';
	add(s, 'n', 32); /* relative, first component */
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	strcpy(s, "/");
	add(s, 'n', 40);
	cat(s, "/x");    /* a middle component */
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	strcpy(s, "/a/");
	add(s, ' ', 32); /* spaces count like any name character */
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
}

/* Only one component is limited, not their sum: slashes reset the count. */
HTEST(path_parse, many_long_components)
{
	char s[BIG] = "";

	for (int i = 0; i < 7; i++) {
		cat(s, "/");
		add(s, 'a' + i, 31);
	}
	HEXPECT_EQ(strlen(s), 7 * 32);
	HEXPECT_EQ(parse(s), 0);
	HEXPECT_STREQ(parsed.pathname, s);
}

HTEST(path_parse, total_255_ok)
{
	char s[BIG] = "";

	while (strlen(s) + 16 <= 255)
		cat(s, "/abcdefghijklmno");
	add(s, 'z', 255 - strlen(s));
	/* The last component is short enough: 255 = 15 * 16 + 15. */
	HEXPECT_EQ(strlen(s), 255);
	HEXPECT_EQ(parse(s), 0);
	HEXPECT_STREQ(parsed.pathname, s);
	HEXPECT_EQ(strlen(parsed.pathname), 255);
}

HTEST(path_parse, total_256_too_long)
{
	char s[BIG] = "";

	while (strlen(s) + 16 <= 256)
		cat(s, "/abcdefghijklmno");
	HEXPECT_EQ(strlen(s), 256);
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	add(s, 'x', 100);
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
}

/* The limit covers the whole string, flags included. */
HTEST(path_parse, total_length_counts_flags)
{
	char s[BIG] = "/f:";

	add(s, 'r', 255 - 3 - 8); /* tokens of at most 31 'r' separated by ':' */
	for (size_t i = 3 + 31; i < strlen(s); i += 32)
		s[i] = ':';
	add(s, ':', 255 - strlen(s));
	HEXPECT_EQ(strlen(s), 255);
	HEXPECT_EQ(parse(s), 0);
	HEXPECT_EQ(parsed.flags, PATH_FLAG_READ);
	HEXPECT_STREQ(parsed.pathname, "/f");
	cat(s, ":");
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
}

HTEST(path_parse, null_arguments)
{
	memset(&parsed, 'J', sizeof(parsed));
	HEXPECT_EQ(path_parse(NULL, &parsed), -EINVAL);
	HEXPECT_STREQ(parsed.pathname, "");
	HEXPECT_EQ(path_parse("/a", NULL), -EINVAL);
}

HTEST(path_parse, result_cleared_on_error)
{
	memset(&parsed, 'J', sizeof(parsed));
	HEXPECT_EQ(parse("/tmp/ok:zz"), -EBADFLAG);
	HEXPECT_STREQ(parsed.pathname, "");
	HEXPECT_EQ(parsed.flags, 0);
	HEXPECT(!parsed.absolute);
	memset(&parsed, 'J', sizeof(parsed));
	HEXPECT_EQ(parse("/a*"), -EINVAL);
	HEXPECT_STREQ(parsed.pathname, "");
	HEXPECT(!parsed.absolute);
}

/* A successful parse leaves nothing from an earlier one behind. */
HTEST(path_parse, result_overwritten)
{
	HEXPECT_EQ(parse("/a/long/name:rwxR"), 0);
	HEXPECT_EQ(parse("b"), 0);
	HEXPECT_STREQ(parsed.pathname, "b");
	HEXPECT_EQ(parsed.flags, 0);
	HEXPECT(!parsed.absolute);
}

/* ------------------------------------------------------------ flag list */

HTEST(path_flags, each_long_name)
{
	HEXPECT_EQ(flags_of("/f:read"), PATH_FLAG_READ);
	HEXPECT_EQ(flags_of("/f:write"), PATH_FLAG_WRITE);
	HEXPECT_EQ(flags_of("/f:execute"), PATH_FLAG_EXECUTE);
	HEXPECT_EQ(flags_of("/f:nonblock"), PATH_FLAG_NONBLOCK);
	HEXPECT_EQ(flags_of("/f:append"), PATH_FLAG_APPEND);
	HEXPECT_EQ(flags_of("/f:create"), PATH_FLAG_CREATE);
	HEXPECT_EQ(flags_of("/f:exclusive"), PATH_FLAG_EXCLUSIVE);
	HEXPECT_EQ(flags_of("/f:truncate"), PATH_FLAG_TRUNCATE);
	HEXPECT_EQ(flags_of("/f:directory"), PATH_FLAG_DIRECTORY);
	HEXPECT_EQ(flags_of("/f:recursive"), PATH_FLAG_RECURSIVE);
}

HTEST(path_flags, each_short_letter)
{
	HEXPECT_EQ(flags_of("/f:r"), PATH_FLAG_READ);
	HEXPECT_EQ(flags_of("/f:w"), PATH_FLAG_WRITE);
	HEXPECT_EQ(flags_of("/f:x"), PATH_FLAG_EXECUTE);
	HEXPECT_EQ(flags_of("/f:n"), PATH_FLAG_NONBLOCK);
	HEXPECT_EQ(flags_of("/f:a"), PATH_FLAG_APPEND);
	HEXPECT_EQ(flags_of("/f:c"), PATH_FLAG_CREATE);
	HEXPECT_EQ(flags_of("/f:e"), PATH_FLAG_EXCLUSIVE);
	HEXPECT_EQ(flags_of("/f:t"), PATH_FLAG_TRUNCATE);
	HEXPECT_EQ(flags_of("/f:d"), PATH_FLAG_DIRECTORY);
	HEXPECT_EQ(flags_of("/f:R"), PATH_FLAG_RECURSIVE);
}

/* Every other single letter or digit is not a flag. */
HTEST(path_flags, other_single_chars_rejected)
{
	const char *letters = "rwxnacetdR";

	for (int c = 1; c < 256; c++) {
		char s[5] = { 'f', ':', (char)c, '\0', '\0' };
		int want = strchr(letters, c) ? 0 : -EBADFLAG;
		int r;

		if (c == ':')
			continue; /* an empty token */
		r = parse(s);
		if (r != want)
			htest_fail(ctx, __FILE__, __LINE__, "flag byte %#x: got %d, want %d", c, r, want);
	}
}

HTEST(path_flags, combined_short)
{
	HEXPECT_EQ(flags_of("/f:rwc"), PATH_FLAG_READ | PATH_FLAG_WRITE | PATH_FLAG_CREATE);
	HEXPECT_EQ(flags_of("/f:cte"), PATH_FLAG_CREATE | PATH_FLAG_TRUNCATE | PATH_FLAG_EXCLUSIVE);
	HEXPECT_EQ(flags_of("/d:dR"), PATH_FLAG_DIRECTORY | PATH_FLAG_RECURSIVE);
	HEXPECT_EQ(flags_of("/f:rwxnacetdR"), PATH_FLAG_ALL);
	HEXPECT_EQ(flags_of("/f:Rdtecanxwr"), PATH_FLAG_ALL); /* order does not matter */
}

HTEST(path_flags, all_long_names_together)
{
	HEXPECT_EQ(flags_of("/f:read:write:execute:nonblock:append:create:exclusive:truncate:"
			    "directory:recursive"),
		   PATH_FLAG_ALL);
}

HTEST(path_flags, long_and_short_mixed)
{
	HEXPECT_EQ(flags_of("/f:read:wc:directory"),
		   PATH_FLAG_READ | PATH_FLAG_WRITE | PATH_FLAG_CREATE | PATH_FLAG_DIRECTORY);
	HEXPECT_EQ(flags_of(":R:create:t"),
		   PATH_FLAG_RECURSIVE | PATH_FLAG_CREATE | PATH_FLAG_TRUNCATE);
}

/*
 * "read" and "create" are also strings of short letters (r|e|a|d and
 * c|r|e|a|t|e); the long name wins.
 */
HTEST(path_flags, long_name_wins_over_letters)
{
	HEXPECT_EQ(flags_of("/f:read"), PATH_FLAG_READ);
	HEXPECT_EQ(flags_of("/f:create"), PATH_FLAG_CREATE);
	/* Not long names, so read letter by letter. */
	HEXPECT_EQ(flags_of("/f:dear"),
		   PATH_FLAG_DIRECTORY | PATH_FLAG_EXCLUSIVE | PATH_FLAG_APPEND | PATH_FLAG_READ);
	HEXPECT_EQ(flags_of("/f:creat"), PATH_FLAG_CREATE | PATH_FLAG_READ | PATH_FLAG_EXCLUSIVE |
						 PATH_FLAG_APPEND | PATH_FLAG_TRUNCATE);
	HEXPECT_EQ(flags_of("/f:trace"), PATH_FLAG_TRUNCATE | PATH_FLAG_READ | PATH_FLAG_APPEND |
						 PATH_FLAG_CREATE | PATH_FLAG_EXCLUSIVE);
}

HTEST(path_flags, repeated_flags)
{
	HEXPECT_EQ(flags_of("/f:rrr"), PATH_FLAG_READ);
	HEXPECT_EQ(flags_of("/f:read:read"), PATH_FLAG_READ);
	HEXPECT_EQ(flags_of("/f:r:read:r"), PATH_FLAG_READ);
	HEXPECT_EQ(flags_of("/f:dd:directory:d"), PATH_FLAG_DIRECTORY);
}

HTEST(path_flags, double_colon)
{
	HEXPECT_EQ(flags_of("/tmp/f::r"), PATH_FLAG_READ);
	HEXPECT_STREQ(parsed.pathname, "/tmp/f");
	HEXPECT_EQ(flags_of("/f:r::w"), PATH_FLAG_READ | PATH_FLAG_WRITE);
	HEXPECT_EQ(flags_of("/f:::::c"), PATH_FLAG_CREATE);
}

HTEST(path_flags, trailing_colon)
{
	HEXPECT_EQ(flags_of("/tmp/f:"), 0);
	HEXPECT_STREQ(parsed.pathname, "/tmp/f");
	HEXPECT_EQ(flags_of("/f:r:"), PATH_FLAG_READ);
	HEXPECT_EQ(flags_of("/f:r:::"), PATH_FLAG_READ);
}

HTEST(path_flags, empty_flag_list)
{
	HEXPECT_EQ(flags_of(":"), 0);
	HEXPECT_STREQ(parsed.pathname, "");
	HEXPECT_EQ(flags_of("::::"), 0);
	HEXPECT_EQ(flags_of("/f::"), 0);
	HEXPECT_STREQ(parsed.pathname, "/f");
}

HTEST(path_flags, case_sensitive)
{
	HEXPECT_EQ(flags_of("/f:R"), PATH_FLAG_RECURSIVE); /* not read */
	HEXPECT_EQ(flags_of("/f:rR"), PATH_FLAG_READ | PATH_FLAG_RECURSIVE);
	HEXPECT_EQ(parse("/f:W"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:D"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:rW"), -EBADFLAG);
}

HTEST(path_flags, mixed_case_long_names)
{
	HEXPECT_EQ(parse("/tmp/f:READ"), -EBADFLAG);
	HEXPECT_EQ(parse("/tmp/f:Write"), -EBADFLAG);
	HEXPECT_EQ(parse("/tmp/f:createE"), -EBADFLAG);
	HEXPECT_EQ(parse("/tmp/f:Recursive"), -EBADFLAG);
	HEXPECT_EQ(parse("/tmp/f:DIRECTORY"), -EBADFLAG);
	HEXPECT_EQ(parse("/tmp/f:Nonblock"), -EBADFLAG);
}

/*
 * "Read" is not the long name, but R, e, a and d are all short letters, so
 * by the §5.1 rule (and in PW) it is recursive|exclusive|append|directory.
 * The §7 OPEN probe that expects EBADFLAG for it contradicts the grammar; an
 * open of "/tmp/f:Read" fails later, with ENOTDIR or ENOENT.
 */
HTEST(path_flags, capitalised_read_is_letters)
{
	HEXPECT_EQ(flags_of("/tmp/f:Read"), PATH_FLAG_RECURSIVE | PATH_FLAG_EXCLUSIVE |
						    PATH_FLAG_APPEND | PATH_FLAG_DIRECTORY);
	HEXPECT_EQ(flags_of("/f:readd"), PATH_FLAG_READ | PATH_FLAG_EXCLUSIVE | PATH_FLAG_APPEND |
						 PATH_FLAG_DIRECTORY);
}

HTEST(path_flags, misspelt_long_names)
{
	HEXPECT_EQ(parse("/f:wirte"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:directroy"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:exclusiv"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:recursiv"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:nonblocking"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:rread"), 0); /* a typo made only of short letters is a union */
}

HTEST(path_flags, unknown_tokens)
{
	HEXPECT_EQ(parse("/tmp/f:zz"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:rz"), -EBADFLAG);   /* one bad letter spoils the token */
	HEXPECT_EQ(parse("/f:1"), -EBADFLAG);    /* alphanumeric, but not a flag */
	HEXPECT_EQ(parse("/f:r:zz"), -EBADFLAG); /* a good token first does not help */
	HEXPECT_EQ(parse("/f:zz:r"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:parents"), -EBADFLAG); /* later PW flags are not ours */
	HEXPECT_EQ(parse("/f:nofollow"), -EBADFLAG);
}

HTEST(path_flags, non_alnum_in_token)
{
	HEXPECT_EQ(parse("/f:r-w"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:r w"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:r/w"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:r.w"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:_"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:*"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:r\t"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:r\x80"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:\xff"), -EBADFLAG);
	HEXPECT_EQ(parse("/f: r"), -EBADFLAG);
}

HTEST(path_flags, token_31_ok)
{
	char s[BIG] = "/f:";

	add(s, 'r', 31);
	HEXPECT_EQ(flags_of(s), PATH_FLAG_READ);
	strcpy(s, "/f:");
	add(s, 'd', 31);
	cat(s, ":");
	add(s, 'c', 31);
	HEXPECT_EQ(flags_of(s), PATH_FLAG_DIRECTORY | PATH_FLAG_CREATE);
}

HTEST(path_flags, token_32_too_long)
{
	char s[BIG] = "/f:";

	add(s, 'r', 32);
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	strcpy(s, "/f:r:");
	add(s, 'w', 40);
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	/* Length is judged before meaning: 32 unknown letters are "too long". */
	strcpy(s, "/f:");
	add(s, 'z', 32);
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
}

/* ------------------------------------------------------------ error order */

/* The copy-time length check comes before anything inside the string. */
HTEST(path_order, length_before_everything)
{
	char s[BIG] = "*";

	add(s, 'a', 299);
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	strcpy(s, "/f:zz");
	add(s, ':', 300);
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
}

HTEST(path_order, invalid_char_then_long_component)
{
	char s[BIG] = "/a*/";

	add(s, 'n', 32);
	HEXPECT_EQ(parse(s), -EINVAL);
}

HTEST(path_order, long_component_then_invalid_char)
{
	char s[BIG] = "/";

	add(s, 'n', 32);
	cat(s, "/a*");
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
}

/* In one component the error at the lower position wins. */
HTEST(path_order, same_component)
{
	char s[BIG] = "/";

	add(s, 'n', 40);
	s[1 + 34] = '*'; /* after the 32nd character */
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	s[1 + 34] = 'n';
	s[1 + 4] = '*'; /* before it */
	HEXPECT_EQ(parse(s), -EINVAL);
	s[1 + 4] = 'n';
	s[1 + 31] = '*'; /* it is the 32nd character: not a name character, so not counted */
	HEXPECT_EQ(parse(s), -EINVAL);
}

HTEST(path_order, pathname_before_flags)
{
	char s[BIG] = "/";

	HEXPECT_EQ(parse("/a*b:zz"), -EINVAL);
	HEXPECT_EQ(parse("/a*b:READ"), -EINVAL);
	add(s, 'n', 32);
	cat(s, ":zz");
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	HEXPECT_EQ(parse("/a\x80:r-w"), -EINVAL);
}

HTEST(path_order, unknown_token_then_long_token)
{
	char s[BIG] = "/f:zz:";

	add(s, 'r', 32);
	HEXPECT_EQ(parse(s), -EBADFLAG);
}

HTEST(path_order, long_token_then_unknown_token)
{
	char s[BIG] = "/f:";

	add(s, 'r', 32);
	cat(s, ":zz");
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
	strcpy(s, "/f:");
	add(s, 'r', 32);
	cat(s, ":r-w");
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
}

HTEST(path_order, bad_char_token_then_long_token)
{
	char s[BIG] = "/f:r-w:";

	add(s, 'r', 40);
	HEXPECT_EQ(parse(s), -EBADFLAG);
}

/*
 * A token is judged as a whole, characters before length (as in PW): a bad
 * character anywhere in an over-long token gives EBADFLAG.
 */
HTEST(path_order, same_token)
{
	char s[BIG] = "/f:";

	add(s, 'r', 40);
	s[3 + 34] = '-'; /* after the 32nd character */
	HEXPECT_EQ(parse(s), -EBADFLAG);
	s[3 + 34] = 'r';
	s[3 + 2] = '-'; /* before it */
	HEXPECT_EQ(parse(s), -EBADFLAG);
	s[3 + 2] = 'r';
	s[3 + 39] = '\x80'; /* the very last one */
	HEXPECT_EQ(parse(s), -EBADFLAG);
	s[3 + 39] = 'r';
	HEXPECT_EQ(parse(s), -ENAMETOOLONG);
}

/* Both errors are EBADFLAG; the point is that neither is missed. */
HTEST(path_order, unknown_token_then_bad_char)
{
	HEXPECT_EQ(parse("/f:zz:r-w"), -EBADFLAG);
	HEXPECT_EQ(parse("/f:r-w:zz"), -EBADFLAG);
}

/* ------------------------------------------------------------ components */

HTEST(path_component, slash_runs)
{
	const char *cur = "//a///b/", *start = NULL;

	HEXPECT_EQ(path_next_component(&cur, &start), 1);
	HEXPECT_EQ(*start, 'a');
	HEXPECT_EQ(*cur, '/');
	HEXPECT_EQ(path_next_component(&cur, &start), 1);
	HEXPECT_EQ(*start, 'b');
	HEXPECT_EQ(path_next_component(&cur, &start), 0);
	HEXPECT_EQ(*cur, '\0');
	HEXPECT(start == cur);
	HEXPECT_EQ(path_next_component(&cur, &start), 0); /* stays at the end */
}

HTEST(path_component, names_and_lengths)
{
	const char *path = "abc/de/./../f g", *cur = path, *start;

	HEXPECT_EQ(path_next_component(&cur, &start), 3);
	HEXPECT(start == path);
	HEXPECT(strncmp(start, "abc", 3) == 0);
	HEXPECT_EQ(path_next_component(&cur, &start), 2);
	HEXPECT(start == path + 4);
	HEXPECT_EQ(path_next_component(&cur, &start), 1); /* "." is the resolver's business */
	HEXPECT_EQ(*start, '.');
	HEXPECT_EQ(path_next_component(&cur, &start), 2);
	HEXPECT(strncmp(start, "..", 2) == 0);
	HEXPECT_EQ(path_next_component(&cur, &start), 3);
	HEXPECT(strncmp(start, "f g", 3) == 0);
	HEXPECT_EQ(path_next_component(&cur, &start), 0);
}

HTEST(path_component, empty_and_root)
{
	const char *cur = "", *start;

	HEXPECT_EQ(path_next_component(&cur, &start), 0);
	cur = "/";
	HEXPECT_EQ(path_next_component(&cur, &start), 0);
	cur = "////";
	HEXPECT_EQ(path_next_component(&cur, &start), 0);
	HEXPECT_EQ(*cur, '\0');
}

HTEST(path_component, count_parsed)
{
	const char *cur, *start;
	int n = 0;

	HEXPECT_EQ(parse("/usr//lib/x/:d"), 0);
	cur = parsed.pathname;
	while (path_next_component(&cur, &start))
		n++;
	HEXPECT_EQ(n, 3);
}

/* ------------------------------------------------------------ split */

static char parent[PATH_MAX_PATH], last[PATH_MAX_NAME];

static int split(const char *p)
{
	return path_split_last(p, parent, sizeof(parent), last, sizeof(last));
}

HTEST(path_split, absolute_two_levels)
{
	HEXPECT_EQ(split("/a/b"), 0);
	HEXPECT_STREQ(parent, "/a");
	HEXPECT_STREQ(last, "b");
}

HTEST(path_split, relative_single)
{
	HEXPECT_EQ(split("a"), 0);
	HEXPECT_STREQ(parent, "");
	HEXPECT_STREQ(last, "a");
}

HTEST(path_split, trailing_slash)
{
	HEXPECT_EQ(split("/a/b/"), 0);
	HEXPECT_STREQ(parent, "/a");
	HEXPECT_STREQ(last, "b");
	HEXPECT_EQ(split("a///"), 0);
	HEXPECT_STREQ(parent, "");
	HEXPECT_STREQ(last, "a");
}

HTEST(path_split, under_root)
{
	HEXPECT_EQ(split("/a"), 0);
	HEXPECT_STREQ(parent, "/");
	HEXPECT_STREQ(last, "a");
	HEXPECT_EQ(split("//a//"), 0);
	HEXPECT_STREQ(parent, "/");
	HEXPECT_STREQ(last, "a");
}

HTEST(path_split, slash_runs_between)
{
	HEXPECT_EQ(split("a//b"), 0);
	HEXPECT_STREQ(parent, "a");
	HEXPECT_STREQ(last, "b");
	HEXPECT_EQ(split("/x/y///z"), 0);
	HEXPECT_STREQ(parent, "/x/y");
	HEXPECT_STREQ(last, "z");
	HEXPECT_EQ(split("./a"), 0);
	HEXPECT_STREQ(parent, ".");
	HEXPECT_STREQ(last, "a");
}

HTEST(path_split, root_has_no_last_name)
{
	HEXPECT_EQ(split("/"), -ENOENT);
	HEXPECT_EQ(split("///"), -ENOENT);
}

HTEST(path_split, empty_has_no_last_name)
{
	HEXPECT_EQ(split(""), -ENOENT);
}

HTEST(path_split, dot_names_rejected)
{
	HEXPECT_EQ(split("a/."), -EINVAL);
	HEXPECT_EQ(split(".."), -EINVAL);
	HEXPECT_EQ(split("."), -EINVAL);
	HEXPECT_EQ(split("/a/.."), -EINVAL);
	HEXPECT_EQ(split("/a/../"), -EINVAL);
	HEXPECT_EQ(split("./"), -EINVAL);
}

HTEST(path_split, dot_like_names_accepted)
{
	HEXPECT_EQ(split("/a/..."), 0);
	HEXPECT_STREQ(last, "...");
	HEXPECT_EQ(split("/a/.hidden"), 0);
	HEXPECT_STREQ(last, ".hidden");
	HEXPECT_EQ(split("../x"), 0);
	HEXPECT_STREQ(parent, "..");
	HEXPECT_STREQ(last, "x");
	HEXPECT_EQ(split(". "), 0); /* dot followed by a space is an ordinary name */
	HEXPECT_STREQ(last, ". ");
}

HTEST(path_split, buffers_untouched_on_error)
{
	strcpy(parent, "keep");
	strcpy(last, "keep");
	HEXPECT_EQ(split("/"), -ENOENT);
	HEXPECT_EQ(split("a/.."), -EINVAL);
	HEXPECT_STREQ(parent, "keep");
	HEXPECT_STREQ(last, "keep");
}

HTEST(path_split, buffer_sizes)
{
	char p[3], l[4];
	char s[BIG] = "/";

	HEXPECT_EQ(path_split_last("ab/abc", p, sizeof(p), l, sizeof(l)), 0); /* exact fit */
	HEXPECT_STREQ(p, "ab");
	HEXPECT_STREQ(l, "abc");
	HEXPECT_EQ(path_split_last("abc/a", p, sizeof(p), l, sizeof(l)), -ENAMETOOLONG);
	HEXPECT_EQ(path_split_last("a/abcd", p, sizeof(p), l, sizeof(l)), -ENAMETOOLONG);
	HEXPECT_EQ(path_split_last("a", p, 0, l, sizeof(l)), -ENAMETOOLONG);
	add(s, 'q', 31);
	HEXPECT_EQ(split(s), 0); /* the longest valid name fits MAX_NAME */
	HEXPECT_EQ(strlen(last), 31);
	memset(s, 'a', 300);
	s[300] = '\0';
	HEXPECT_EQ(split(s), -ENAMETOOLONG);
	HEXPECT_EQ(path_split_last(NULL, p, sizeof(p), l, sizeof(l)), -EINVAL);
	HEXPECT_EQ(path_split_last("a", NULL, 1, l, sizeof(l)), -EINVAL);
	HEXPECT_EQ(path_split_last("a", p, sizeof(p), NULL, 1), -EINVAL);
}

/* The intended pipeline: parse, then split the pathname (flags ignored). */
HTEST(path_split, after_parse)
{
	HEXPECT_EQ(parse("/tmp/new/:cd"), 0);
	HEXPECT_EQ(split(parsed.pathname), 0);
	HEXPECT_STREQ(parent, "/tmp");
	HEXPECT_STREQ(last, "new");
	HEXPECT_EQ(parsed.flags, PATH_FLAG_CREATE | PATH_FLAG_DIRECTORY);
}
