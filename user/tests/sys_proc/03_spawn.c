// SPDX-License-Identifier: MIT
// sys_proc: 2 SPAWN: argument checks and limits, argv delivered intact, load failures as statuses.
#include "user/tests/sys_proc/sys_proc.h"

/* ================================================================== child roles */

/* Arguments that must arrive byte for byte; the 255-character one is filled in by init_long_arg(). */
static char long_arg[256];
static const char *const argv_table[] = {
	"",	     "a",	 "two words", "tab\there", "quote\"s and \\", "\xff\xfe\x80 high bytes",
	"trailing ", long_arg, "-",	      "last",
};
#define ARGV_TABLE_LEN (sizeof(argv_table) / sizeof(argv_table[0]))

static void init_long_arg(void)
{
	for (int i = 0; i < 255; i++)
		long_arg[i] = (char)('a' + i % 26);
	long_arg[255] = '\0';
}

/* child-argv <self> <table...>: argv[0] must equal argv[2], argv[3...] the table. */
int child_argv(int argc, char **argv)
{
	init_long_arg();
	if (argc != 3 + (int)ARGV_TABLE_LEN) {
		printf("# child-argv: argc %d, want %d\n", argc, 3 + (int)ARGV_TABLE_LEN);
		return 1;
	}
	if (argv[argc] != NULL) {
		printf("# child-argv: argv[argc] is not NULL\n");
		return 1;
	}
	if (strcmp(argv[0], argv[2]) != 0 || strcmp(argv[1], "child-argv") != 0) {
		printf("# child-argv: argv[0] \"%s\", argv[1] \"%s\"\n", argv[0], argv[1]);
		return 1;
	}
	for (size_t i = 0; i < ARGV_TABLE_LEN; i++) {
		if (strcmp(argv[3 + i], argv_table[i]) != 0) {
			printf("# child-argv: argv[%d] is \"%s\", want \"%s\"\n", (int)(3 + i), argv[3 + i],
			       argv_table[i]);
			return 1;
		}
	}
	return 0;
}

/* child-argc <n> <len> x...: argc must be n and argv[4...] strings of len 'x's. */
int child_argc(int argc, char **argv)
{
	if (argc < 4 || argc != atoi(argv[2]) || argv[argc] != NULL) {
		printf("# child-argc: argc %d, want %s\n", argc, argc > 2 ? argv[2] : "?");
		return 1;
	}
	size_t len = (size_t)atoi(argv[3]);
	for (int i = 4; i < argc; i++) {
		if (strlen(argv[i]) != len || strspn(argv[i], "x") != len) {
			printf("# child-argc: argv[%d] has length %d, want %d 'x'\n", i, (int)strlen(argv[i]),
			       (int)len);
			return 1;
		}
	}
	return 0;
}

/* ================================================================== 2 SPAWN */

KTAP_TEST(spawn_argv_null_einval)
{
	TEXPECT_ERR(spawn(NULL, 0), EINVAL);
}

KTAP_TEST(spawn_argv_empty_einval)
{
	const char *argv[] = { NULL };
	TEXPECT_ERR(spawn(argv, 0), EINVAL);
}

KTAP_TEST(spawn_argv_unmapped_efault)
{
	TEXPECT_ERR(spawn((const char **)0x1000, 0), EFAULT);
	TEXPECT_ERR(spawn((const char **)TU_KERNEL_ADDR, 0), EFAULT);
	TEXPECT_ERR(spawn((const char **)TU_NONCANONICAL, 0), EFAULT);
	uint8_t *page = map_hole(1);
	TASSERT(page != NULL);
	munmap(page, TU_PAGE);
	TEXPECT_ERR(spawn((const char **)page, 0), EFAULT);
}

KTAP_TEST(spawn_argv_string_unmapped_efault)
{
	const char *argv[] = { self, (const char *)HOLE, NULL };
	munmap((void *)HOLE, TU_PAGE);
	TEXPECT_ERR(spawn(argv, 0), EFAULT);
	argv[1] = (const char *)TU_KERNEL_ADDR;
	TEXPECT_ERR(spawn(argv, 0), EFAULT);
}

KTAP_TEST(spawn_argv_array_runs_into_unmapped_page_efault)
{
	uint8_t *page = map_hole(2);
	TASSERT(page != NULL);
	TASSERT(munmap(page + TU_PAGE, TU_PAGE) == page + TU_PAGE);
	/* Make sure the kernel agrees the page is writable before we write it ourselves. */
	TASSERT(unix_epoch((time_t *)(page + TU_PAGE - 8)) != ERR);
	/* The last two pointer slots of the mapped page are arguments; the NULL would be past the end. */
	const char **slots = (const char **)(page + TU_PAGE) - 2;
	slots[0] = self;
	slots[1] = "child-exit-raw";
	TEXPECT_ERR(spawn(slots, 0), EFAULT);
	/* A string without its NUL before the unmapped page. */
	char *str = (char *)page + TU_PAGE - 4;
	memcpy(str, "abcd", 4);
	const char *argv[] = { self, str, NULL };
	TEXPECT_ERR(spawn(argv, 0), EFAULT);
}

KTAP_TEST(spawn_flags_unknown_bits_einval)
{
	const char *argv[] = { self, "child-exit-raw", "0", NULL };
	TEXPECT_ERR(spawn(argv, 0x40), EINVAL);
	TEXPECT_ERR(spawn(argv, 0x80000000u), EINVAL);
	/* The check sees the low 32 bits even when the upper ones are set. */
	TEXPECT_RAW_ERR(syscall2(SYS_SPAWN, (uint64_t)argv, 0xFFFFFFFF00000040ull), EINVAL);
}

KTAP_TEST(spawn_flags_upper_bits_ignored)
{
	const char *argv[] = { self, "child-exit-raw", "23", NULL };
	uint64_t pid = syscall2(SYS_SPAWN, (uint64_t)argv, 0xFFFFFFFF00000000ull);
	TASSERT(pid != ERR);
	int status = TU_NO_STATUS;
	TEXPECT_EQ(tu_wait(pid, TU_CHILD_TIMEOUT, &status), 0);
	TEXPECT_EQ(status, 23);
	pid = syscall2(SYS_SPAWN, (uint64_t)argv, 0xDEADBEEF00000000ull);
	TASSERT(pid != ERR);
	TEXPECT_EQ(tu_wait(pid, TU_CHILD_TIMEOUT, &status), 0);
	TEXPECT_EQ(status, 23);
}

KTAP_TEST(spawn_argv_passed_intact)
{
	init_long_arg();
	const char *argv[3 + ARGV_TABLE_LEN + 1] = { self, "child-argv", self };
	for (size_t i = 0; i < ARGV_TABLE_LEN; i++)
		argv[3 + i] = argv_table[i];
	argv[3 + ARGV_TABLE_LEN] = NULL;
	int status;
	if (tu_run(argv, TU_CHILD_TIMEOUT, &status))
		TEXPECT_EQ(status, 0);
}

static char x_arg[257];

static const char *xs(int len)
{
	memset(x_arg, 'x', (size_t)len);
	x_arg[len] = '\0';
	return x_arg;
}

KTAP_TEST(spawn_255_char_argument_accepted)
{
	const char *argv[] = { self, "child-argc", "5", "255", xs(255), NULL };
	int status;
	if (tu_run(argv, TU_CHILD_TIMEOUT, &status))
		TEXPECT_EQ(status, 0);
}

KTAP_TEST(spawn_256_char_argument_e2big)
{
	const char *argv[] = { self, "child-argc", "5", "256", xs(256), NULL };
	TEXPECT_ERR(spawn(argv, 0), E2BIG);
	/* argv[0] is held to the same limit. */
	const char *argv0[] = { xs(256), NULL };
	TEXPECT_ERR(spawn(argv0, 0), E2BIG);
}

/* Fill @argv with @n arguments for child-argc (1-character fillers) plus the NULL. */
static void many_args(const char **argv, int n, char *count)
{
	snprintf(count, 8, "%d", n);
	argv[0] = self;
	argv[1] = "child-argc";
	argv[2] = count;
	argv[3] = "1";
	for (int i = 4; i < n; i++)
		argv[i] = "x";
	argv[n] = NULL;
}

KTAP_TEST(spawn_511_arguments_accepted)
{
	static const char *argv[513];
	char count[8];
	many_args(argv, 511, count);
	int status;
	if (tu_run(argv, TU_CHILD_TIMEOUT, &status))
		TEXPECT_EQ(status, 0);
}

KTAP_TEST(spawn_512_arguments_e2big)
{
	static const char *argv[513];
	char count[8];
	many_args(argv, 512, count);
	TEXPECT_ERR(spawn(argv, 0), E2BIG);
}

/* Spawn @path (argv = { path }) and expect the child's status to be @want. */
static void expect_load_status(const char *path, int want)
{
	const char *argv[] = { path, NULL };
	int status;
	if (tu_run(argv, TU_CHILD_TIMEOUT, &status) && status != want)
		ktap_fail(__FILE__, __LINE__, "spawn \"%s\": child status %d, want %d", path, status, want);
}

KTAP_TEST(spawn_missing_program_status_2)
{
	/* SPAWN itself succeeds; the failure shows only as the status (spec §7.2 step 11). */
	expect_load_status("/bin/tests/no_such_program", ENOENT);
}

KTAP_TEST(spawn_directory_status_eisdir)
{
	expect_load_status("/bin", EISDIR);
}

KTAP_TEST(spawn_non_elf_status_espawnfail)
{
	expect_load_status("/tests/garbage.bin", ESPAWNFAIL);
}

KTAP_TEST(spawn_bad_path_flag_status_ebadflag)
{
	expect_load_status("/bin/tests/exit_with:zz", EBADFLAG);
}
