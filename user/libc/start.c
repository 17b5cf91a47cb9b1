// SPDX-License-Identifier: MIT
// Process start and end: __libc_start (called by crt0's _start), exit,
// atexit, abort.
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "user/libc/internal.h"

int main(int argc, char **argv);

/* Bounds of .init_array, from user/user.ld. */
extern void (*const __init_array_start[])(void);
extern void (*const __init_array_end[])(void);

#define MAX_ATEXIT 32
static void (*atexit_fns[MAX_ATEXIT])(void);
static int atexit_count;

/*
 * Descriptors 0-2 are not guaranteed open (spec §10.6; /bin/init starts
 * with none). As PatchworkOS libc does, fill each empty one with /dev/null,
 * so that output to a missing stdout vanishes instead of failing and so that
 * later opens (the heap's /dev/zero, a program's files) never land in 0-2.
 * The probe is seek(fd, 0, SEEK_CUR): it fails with EBADF only for an empty
 * slot (a valid descriptor either succeeds without moving, or fails with
 * ESPIPE), unlike a write probe, which our kernel also refuses with EBADF
 * for a descriptor opened read-only. Raw calls: errno stays 0 for main().
 * Without /dev/null (e.g. SPAWN_EMPTY_NS) the slots stay empty.
 */
static void open_std_fds(void)
{
	for (fd_t fd = 0; fd <= STDERR_FILENO; fd++) {
		if (syscall3(SYS_SEEK, fd, 0, SEEK_CUR) != ERR || syscall0(SYS_ERRNO) != EBADF)
			continue;
		/* The lower slots are in use by now, so this takes slot fd... */
		fd_t got = syscall1(SYS_OPEN, (uint64_t)"/dev/null");
		if (got == ERR || got == fd)
			continue;
		/* ...unless the table had a hole we did not expect: move it into place. */
		syscall2(SYS_DUP2, got, fd);
		syscall1(SYS_CLOSE, got);
	}
}

/*
 * __libc_start - C side of the process entry (user/libc/crt0.S).
 * @argc and @argv are the kernel's RDI and RSI (spec §10.4/10.5); there is
 * no environment pointer and no auxiliary vector. errno starts at 0 because
 * the per-thread slots are in .bss, and stdio needs no set-up (static
 * buffers), so the work left is the descriptors and the constructors.
 */
__attribute__((noreturn)) void __libc_start(long argc, char **argv);

void __libc_start(long argc, char **argv)
{
	open_std_fds();
	for (void (*const *fn)(void) = __init_array_start; fn < __init_array_end; fn++)
		(*fn)();
	exit(main((int)argc, argv));
}

int atexit(void (*fn)(void))
{
	if (atexit_count == MAX_ATEXIT)
		return -1;
	atexit_fns[atexit_count++] = fn;
	return 0;
}

void exit(int status)
{
	while (atexit_count > 0)
		atexit_fns[--atexit_count]();
	__stdio_flush_all();
	process_exit(status);
}

void _Exit(int status)
{
	process_exit(status);
}

void _exit(int status)
{
	process_exit(status);
}

void abort(void)
{
	__builtin_trap();
}

void __libc_fatal(const char *msg)
{
	write(STDERR_FILENO, msg, strlen(msg));
	abort();
}

void __assert_fail(const char *expr, const char *file, int line, const char *func)
{
	fflush(stdout);
	dprintf(STDERR_FILENO, "%s:%d: %s: assertion failed: %s\n", file, line, func, expr);
	abort();
}
