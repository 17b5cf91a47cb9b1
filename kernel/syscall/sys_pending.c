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

PENDING(SYS_BIND)
