// SPDX-License-Identifier: MIT
// System calls whose subsystem has not landed yet answer ENOSYS, so the table
// stays dense (syscall_table_init checks it). Each entry disappears from this
// file when its real handler is written.
#include "kernel/syscall/syscall.h"

#define PENDING(num)                                   \
	SYSCALL_DEFINE(num, uint64_t)                  \
	{                                              \
		return -ENOSYS;                        \
	}

PENDING(SYS_OPEN)
PENDING(SYS_OPEN2)
PENDING(SYS_CLOSE)
PENDING(SYS_READ)
PENDING(SYS_WRITE)
PENDING(SYS_SEEK)
PENDING(SYS_IOCTL)
PENDING(SYS_CHDIR)
PENDING(SYS_POLL)
PENDING(SYS_STAT)
PENDING(SYS_GETDENTS)
PENDING(SYS_DUP)
PENDING(SYS_DUP2)
PENDING(SYS_REMOVE)
PENDING(SYS_LINK)
PENDING(SYS_BIND)
PENDING(SYS_OPENAT)
