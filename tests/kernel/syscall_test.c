// SPDX-License-Identifier: MIT
// The system-call dispatcher's per-thread trace: the last calls of the thread
// on each CPU, which a panic prints so that a crash names its cause.
#include <stdarg.h>

#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/syscall/syscall.h"
#include "kernel/test/ktest.h"

uint64_t syscall_handler(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
			 uint64_t number);

/* The first occurrence of @needle in @hay, or NULL (the kernel's lib has no strstr). */
static const char *find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (memcmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

static char dump[4096];
static size_t dump_len;

static void collect(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(dump + dump_len, sizeof(dump) - dump_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		dump_len += (size_t)n < sizeof(dump) - dump_len ? (size_t)n : sizeof(dump) - dump_len - 1;
}

KTEST(syscall, trace_dump_names_the_last_calls_in_order)
{
	/* Calls from this kernel thread go through the same dispatcher as user ones. */
	syscall_handler(0x11, 0x22, 0x33, 0x44, 0, 0, SYS_GETPID);
	KEXPECT_EQ(syscall_handler(0, 0, 0, 0, 0, 0, 1000), ERR);
	syscall_handler(0xAB, 0, 0, 0, 0, 0, SYS_GETTID);
	dump_len = 0;
	dump[0] = 0;
	syscall_trace_dump(collect);
	const char *getpid = find(dump, "GETPID(0x11, 0x22, 0x33, 0x44)");
	const char *bad = find(dump, "#0x3e8(");
	const char *gettid = find(dump, "GETTID(0xab,");
	KEXPECT(find(dump, "syscall trace cpu ") != NULL);
	KEXPECT(getpid != NULL);
	KEXPECT(bad != NULL);
	KEXPECT(gettid != NULL);
	KEXPECT(getpid < bad && bad < gettid);
}

KTEST(syscall, trace_keeps_only_the_last_eight)
{
	for (uint64_t i = 0; i < 20; i++)
		syscall_handler(i, 0, 0, 0, 0, 0, SYS_UPTIME);
	dump_len = 0;
	dump[0] = 0;
	syscall_trace_dump(collect);
	KEXPECT(find(dump, "UPTIME(0xb,") == NULL);
	KEXPECT(find(dump, "UPTIME(0xc,") != NULL);
	KEXPECT(find(dump, "UPTIME(0x13,") != NULL);
}
