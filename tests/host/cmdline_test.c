// SPDX-License-Identifier: MIT
// Host tests of kernel/cmdline.c: option lookup, the " -- " split and the init command.
#include <stdlib.h>

#include "kernel/boot_info.h"
#include "kernel/cmdline.h"
#include "tests/host/htest.h"

/* cmdline_lookup on @text; on a match, copy the value into @val (64 bytes). */
static bool lookup(const char *text, const char *name, char *val, const char **vp)
{
	const char *v = NULL;
	size_t n = 999;
	if (!cmdline_lookup(text, name, &v, &n))
		return false;
	if (vp)
		*vp = v;
	if (n >= 64)
		n = 63;
	memcpy(val, v, n);
	val[n] = '\0';
	return true;
}

HTEST(cmdline, lookup_bare_word)
{
	const char *text = "quiet ktest", *v;
	char val[64];
	HEXPECT(lookup(text, "quiet", val, &v));
	HEXPECT_STREQ(val, "");
	HEXPECT(v == text + 5); /* points just past the word */
	HEXPECT(lookup(text, "ktest", val, &v));
	HEXPECT_STREQ(val, "");
	HEXPECT(v == text + 11);
}

HTEST(cmdline, lookup_name_value)
{
	const char *text = "a=1 log=debug b", *v;
	char val[64];
	HEXPECT(lookup(text, "log", val, &v));
	HEXPECT_STREQ(val, "debug");
	HEXPECT(v == text + 8);
	HEXPECT(lookup(text, "a", val, NULL));
	HEXPECT_STREQ(val, "1");
	HEXPECT(lookup(text, "b", val, NULL));
	HEXPECT_STREQ(val, "");
	HEXPECT(!lookup(text, "c", val, NULL));
}

HTEST(cmdline, lookup_empty_value)
{
	const char *text = "init= x", *v;
	const char *vv = NULL;
	size_t n = 99;
	HEXPECT(cmdline_lookup(text, "init", &vv, &n));
	HEXPECT_EQ(n, 0);
	HEXPECT(vv == text + 5);
	char val[64];
	HEXPECT(lookup(text, "x", val, &v));
	HEXPECT(v == text + 7);
}

HTEST(cmdline, lookup_value_keeps_later_equals)
{
	char val[64];
	HEXPECT(lookup("root=dev=sda1", "root", val, NULL));
	HEXPECT_STREQ(val, "dev=sda1");
}

HTEST(cmdline, lookup_no_prefix_confusion)
{
	char val[64];
	HEXPECT(!lookup("ktests=1", "ktest", val, NULL));
	HEXPECT(!lookup("ktests", "ktest", val, NULL));
	HEXPECT(!lookup("ktest", "kt", val, NULL));
	HEXPECT(!lookup("ktest=1", "kt", val, NULL));
	HEXPECT(!lookup("xktest", "ktest", val, NULL));
	HEXPECT(!lookup("ktest", "ktests", val, NULL));
	/* a name that only appears as somebody's value is not an option */
	HEXPECT(!lookup("a=ktest", "ktest", val, NULL));
	/* ... but the real word later on is found */
	HEXPECT(lookup("ktests=1 kt=2 ktest=3", "ktest", val, NULL));
	HEXPECT_STREQ(val, "3");
}

HTEST(cmdline, lookup_spacing_and_first_match)
{
	char val[64];
	HEXPECT(lookup("   quiet   log=3  ", "quiet", val, NULL));
	HEXPECT(lookup("   quiet   log=3  ", "log", val, NULL));
	HEXPECT_STREQ(val, "3");
	HEXPECT(lookup("x=1 x=2", "x", val, NULL));
	HEXPECT_STREQ(val, "1");
	HEXPECT(!lookup("", "x", val, NULL));
	HEXPECT(!lookup("     ", "x", val, NULL));
}

HTEST(cmdline, lookup_stops_at_double_dash)
{
	char val[64];
	HEXPECT(lookup("quiet -- ktest=1", "quiet", val, NULL));
	HEXPECT(!lookup("quiet -- ktest=1", "ktest", val, NULL));
	HEXPECT(!lookup("quiet -- ktest", "ktest", val, NULL));
	HEXPECT(!lookup("-- ktest", "ktest", val, NULL));
	HEXPECT(!lookup("a --", "--", val, NULL));
	/* the option just before " -- " keeps its whole value */
	HEXPECT(lookup("log=debug -- sh", "log", val, NULL));
	HEXPECT_STREQ(val, "debug");
}

HTEST(cmdline, double_dash_must_be_a_word)
{
	char val[64];
	/* "a--b", "--x" and "x=--" do not end the options */
	HEXPECT(lookup("a--b ktest", "ktest", val, NULL));
	HEXPECT(lookup("--x=1 ktest", "ktest", val, NULL));
	HEXPECT(lookup("--x=1 ktest", "--x", val, NULL));
	HEXPECT_STREQ(val, "1");
	HEXPECT(lookup("init=-- ktest=2", "ktest", val, NULL));
	HEXPECT_STREQ(val, "2");
	HEXPECT(lookup("---- ktest", "ktest", val, NULL));
}

HTEST(cmdline, init_has_get)
{
	cmdline_init("ktest=all quiet log=info -- /bin/sh -c echo");
	HEXPECT_STREQ(cmdline_text(), "ktest=all quiet log=info -- /bin/sh -c echo");
	HEXPECT(cmdline_has("quiet"));
	HEXPECT(cmdline_has("ktest"));
	HEXPECT(!cmdline_has("kt"));
	HEXPECT(!cmdline_has("/bin/sh"));
	HEXPECT(!cmdline_has("-c"));
	char buf[32];
	HEXPECT(cmdline_get("ktest", buf, sizeof(buf)));
	HEXPECT_STREQ(buf, "all");
	HEXPECT(cmdline_get("quiet", buf, sizeof(buf)));
	HEXPECT_STREQ(buf, "");
	memset(buf, 'Q', sizeof(buf));
	HEXPECT(!cmdline_get("missing", buf, sizeof(buf)));
	HEXPECT_EQ(buf[0], 'Q');
}

HTEST(cmdline, init_copies_text)
{
	char src[32];
	strcpy(src, "quiet");
	cmdline_init(src);
	strcpy(src, "noisy");
	HEXPECT(cmdline_text() != src);
	HEXPECT_STREQ(cmdline_text(), "quiet");
	HEXPECT(cmdline_has("quiet"));
	HEXPECT(!cmdline_has("noisy"));
}

HTEST(cmdline, init_truncates_long_text)
{
	char *src = malloc(2 * BOOT_CMDLINE_MAX);
	memset(src, 'a', 2 * BOOT_CMDLINE_MAX - 1);
	src[2 * BOOT_CMDLINE_MAX - 1] = '\0';
	cmdline_init(src);
	HEXPECT_EQ(strlen(cmdline_text()), BOOT_CMDLINE_MAX - 1);
	free(src);
}

HTEST(cmdline, init_command_with_arguments)
{
	cmdline_init("quiet -- /bin/init --verbose -- x");
	HEXPECT_STREQ(cmdline_init_command(), "/bin/init --verbose -- x");
	cmdline_init("-- /bin/sh");
	HEXPECT_STREQ(cmdline_init_command(), "/bin/sh");
	cmdline_init("log=1 --    /bin/sh  -i");
	HEXPECT_STREQ(cmdline_init_command(), "/bin/sh  -i");
}

HTEST(cmdline, init_command_absent)
{
	cmdline_init("quiet ktest=1");
	HEXPECT(cmdline_init_command() == NULL);
	cmdline_init("");
	HEXPECT(cmdline_init_command() == NULL);
	cmdline_init("a--b --x x--");
	HEXPECT(cmdline_init_command() == NULL);
}

HTEST(cmdline, init_command_dash_dash_at_end)
{
	cmdline_init("quiet --");
	HEXPECT(cmdline_init_command() == NULL);
	cmdline_init("quiet --   ");
	HEXPECT(cmdline_init_command() == NULL);
	cmdline_init("--");
	HEXPECT(cmdline_init_command() == NULL);
}

HTEST(cmdline, get_truncates_into_small_buffer)
{
	cmdline_init("name=abcdefgh other");
	/* an exactly sized heap buffer: ASan reports any write past it */
	char *buf = malloc(4);
	HEXPECT(cmdline_get("name", buf, 4));
	HEXPECT_STREQ(buf, "abc");
	free(buf);
	/* a buffer exactly as long as the value leaves no room for the NUL */
	buf = malloc(8);
	HEXPECT(cmdline_get("name", buf, 8));
	HEXPECT_STREQ(buf, "abcdefg");
	free(buf);
	buf = malloc(1);
	HEXPECT(cmdline_get("name", buf, 1));
	HEXPECT_STREQ(buf, "");
	free(buf);
	/* exactly fitting value */
	char nine[9];
	HEXPECT(cmdline_get("name", nine, sizeof(nine)));
	HEXPECT_STREQ(nine, "abcdefgh");
	/* len 0: nothing written, reported as absent */
	char q = 'Q';
	HEXPECT(!cmdline_get("name", &q, 0));
	HEXPECT_EQ(q, 'Q');
}
