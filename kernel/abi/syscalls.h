// SPDX-License-Identifier: MIT
// The system-call list of the PatchworkOS ABI (spec §2.6): the one place the
// numbers are written. The kernel derives its SYS_* constants and the table
// check from it; user/libc derives its raw wrappers from it.
#ifndef QUILT_ABI_SYSCALLS_H
#define QUILT_ABI_SYSCALLS_H

#include "kernel/abi/types.h" /* ERR */

/*
 * SYSCALL_LIST(X) expands X(number, name, nargs, result) per call, where
 * result is INT (ERR on failure), PTR (NULL on failure) or NONE (never returns).
 */
#define SYSCALL_LIST(X)                      \
	X(0, PROCESS_EXIT, 1, NONE)          \
	X(1, THREAD_EXIT, 0, NONE)           \
	X(2, SPAWN, 2, INT)                  \
	X(3, NANOSLEEP, 1, INT)              \
	X(4, ERRNO, 0, INT)                  \
	X(5, GETPID, 0, INT)                 \
	X(6, GETTID, 0, INT)                 \
	X(7, UPTIME, 0, INT)                 \
	X(8, UNIX_EPOCH, 1, INT)             \
	X(9, OPEN, 1, INT)                   \
	X(10, OPEN2, 2, INT)                 \
	X(11, CLOSE, 1, INT)                 \
	X(12, READ, 3, INT)                  \
	X(13, WRITE, 3, INT)                 \
	X(14, SEEK, 3, INT)                  \
	X(15, IOCTL, 4, INT)                 \
	X(16, CHDIR, 1, INT)                 \
	X(17, POLL, 3, INT)                  \
	X(18, STAT, 2, INT)                  \
	X(19, MMAP, 4, PTR)                  \
	X(20, MUNMAP, 2, PTR)                \
	X(21, MPROTECT, 3, PTR)              \
	X(22, GETDENTS, 3, INT)              \
	X(23, THREAD_CREATE, 2, INT)         \
	X(24, YIELD, 0, INT)                 \
	X(25, DUP, 1, INT)                   \
	X(26, DUP2, 2, INT)                  \
	X(27, FUTEX, 4, INT)                 \
	X(28, REMOVE, 1, INT)                \
	X(29, LINK, 2, INT)                  \
	X(30, SHARE, 3, INT)                 \
	X(31, CLAIM, 1, INT)                 \
	X(32, BIND, 3, INT)                  \
	X(33, OPENAT, 2, INT)

#define SYSCALL_ENUM_(num, name, nargs, result) SYS_##name = num,
enum { SYSCALL_LIST(SYSCALL_ENUM_) SYS_TOTAL_AMOUNT };
#undef SYSCALL_ENUM_

#endif
