// SPDX-License-Identifier: MIT
// syscall_table_check: exactly 0..n-1, each once, or a named error.
#include "kernel/syscall/syscall.h"
#include "tests/host/htest.h"

static struct syscall_desc d(uint64_t n)
{
	return (struct syscall_desc){ n, "x", NULL, false };
}

HTEST(syscall_table, dense_table_accepted)
{
	struct syscall_desc t[4] = { d(0), d(1), d(2), d(3) };
	const char *why = NULL;
	uint64_t bad = 99;
	HEXPECT_EQ(syscall_table_check(t, 4, 4, &why, &bad), 0);
}

HTEST(syscall_table, gap_reported)
{
	struct syscall_desc t[3] = { d(0), d(2), d(3) };
	const char *why = NULL;
	uint64_t bad = 99;
	HEXPECT_EQ(syscall_table_check(t, 3, 4, &why, &bad), -1);
	HEXPECT_STREQ(why, "missing");
	HEXPECT_EQ(bad, 1);
}

HTEST(syscall_table, duplicate_reported)
{
	struct syscall_desc t[4] = { d(0), d(1), d(1), d(2) };
	const char *why = NULL;
	uint64_t bad = 99;
	HEXPECT_EQ(syscall_table_check(t, 4, 3, &why, &bad), -1);
	HEXPECT_STREQ(why, "duplicate");
	HEXPECT_EQ(bad, 1);
}

HTEST(syscall_table, missing_tail_reported)
{
	struct syscall_desc t[2] = { d(0), d(1) };
	const char *why = NULL;
	uint64_t bad = 99;
	HEXPECT_EQ(syscall_table_check(t, 2, 3, &why, &bad), -1);
	HEXPECT_STREQ(why, "missing");
	HEXPECT_EQ(bad, 2);
}

HTEST(syscall_table, out_of_range_reported)
{
	struct syscall_desc t[3] = { d(0), d(1), d(7) };
	const char *why = NULL;
	uint64_t bad = 99;
	HEXPECT_EQ(syscall_table_check(t, 3, 2, &why, &bad), -1);
	HEXPECT_STREQ(why, "out of range");
	HEXPECT_EQ(bad, 7);
}
