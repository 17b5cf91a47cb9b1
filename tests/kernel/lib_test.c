// SPDX-License-Identifier: MIT
// In-kernel checks of the library, log and symbol code as built for the kernel
// (same sources as the host tests, but the kernel's compiler flags and memory).
#include "kernel/cmdline.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/test/ktest.h"

KTEST(lib, printf_formats)
{
	char buf[64];
	KEXPECT_EQ(ksnprintf(buf, sizeof(buf), "%d|%5u|%-4x|%s", -42, 7u, 0xabu, "ok"), 17);
	KEXPECT_STREQ(buf, "-42|    7|ab  |ok");
	ksnprintf(buf, sizeof(buf), "%lx %p", 0xffffffff80000000UL, (void *)0x1234);
	KEXPECT_STREQ(buf, "ffffffff80000000 0x0000000000001234");
}

KTEST(lib, printf_truncates)
{
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	KEXPECT_EQ(ksnprintf(buf, 4, "%s", "abcdef"), 6);
	KEXPECT_STREQ(buf, "abc");
	KEXPECT_EQ(buf[4], 'x');
}

KTEST(lib, memmove_overlap)
{
	char buf[16] = "0123456789";
	memmove(buf + 2, buf, 8);
	KEXPECT(memcmp(buf, "0101234567", 10) == 0);
	memmove(buf, buf + 2, 8);
	KEXPECT(memcmp(buf, "0123456767", 10) == 0);
}

KTEST(lib, memset_memcpy_unaligned)
{
	uint8_t a[64], b[64];
	for (int off = 0; off < 8; off++) {
		memset(a, 0, sizeof(a));
		memset(a + off, 0x5a, 33);
		for (int i = 0; i < 64; i++)
			KEXPECT_EQ(a[i], (i >= off && i < off + 33) ? 0x5a : 0);
		for (int i = 0; i < 64; i++)
			b[i] = (uint8_t)i;
		memcpy(a + off, b + 3, 40);
		KEXPECT(memcmp(a + off, b + 3, 40) == 0);
	}
}

KTEST(log, ring_records_output)
{
	uint64_t start = log_total_bytes();
	kprintf("ktest ring marker %d\n", 1234);
	uint64_t pos = start;
	char buf[64];
	size_t n = log_read(&pos, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	KEXPECT_STREQ(buf, "ktest ring marker 1234\n");
	KEXPECT_EQ(pos, start + n);
}

KTEST(log, long_line_is_cut_but_ends_its_line)
{
	/* Longer than one kprintf holds: cut, and still a line of its own. */
	static char word[3000];
	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	uint64_t start = log_total_bytes();
	kprintf("long %s\n", word);
	uint64_t pos = start, total = 0;
	static char buf[4096];
	size_t n;
	while ((n = log_read(&pos, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	KEXPECT(total > 1024 && total < 2000); /* the whole command line fits; this did not */
	KEXPECT(total >= 4 && memcmp(buf + total - 4, "...\n", 4) == 0);
	/* The 700-character command line of make test's user boot: whole. */
	static char mid[800];
	memset(mid, 'y', sizeof(mid) - 1);
	mid[sizeof(mid) - 1] = '\0';
	start = log_total_bytes();
	kprintf("mid %s end\n", mid);
	pos = start;
	total = 0;
	while ((n = log_read(&pos, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	KEXPECT_EQ(total, 4 + sizeof(mid) - 1 + 5);
	KEXPECT(total >= 5 && memcmp(buf + total - 5, " end\n", 5) == 0);
}

KTEST(log, symbols_resolve_kernel_functions)
{
	char buf[96];
	symbol_format((uint64_t)&ktest_run, buf, sizeof(buf));
	KEXPECT_STREQ(buf, "ktest_run+0x0");
	symbol_format((uint64_t)&ktest_run + 5, buf, sizeof(buf));
	KEXPECT_STREQ(buf, "ktest_run+0x5");
	symbol_format(0x1000, buf, sizeof(buf));
	KEXPECT_STREQ(buf, "?");
}

KTEST(boot, cmdline_parsed)
{
	/* The runner always boots tests with qemu_exit and ktest on the line. */
	KEXPECT(cmdline_has("qemu_exit"));
	KEXPECT(cmdline_has("ktest"));
	KEXPECT(!cmdline_has("qemu"));
}
