// SPDX-License-Identifier: MIT
// Futexes: wait while a word holds a value, wake waiters (spec §7.27).
#ifndef QUILT_LIBC_SYS_FUTEX_H
#define QUILT_LIBC_SYS_FUTEX_H

#include <stdatomic.h>
#include <sys/types.h>

#include "kernel/abi/types.h"

/* Typed wrappers: the error convention is in <unistd.h>. */

/*
 * futex - FUTEX_WAIT: sleep while *@addr == @val (up to @timeout ns); 0 when
 * woken, ERR with EAGAIN/ETIMEDOUT/EINTR otherwise. FUTEX_WAKE: wake up to
 * @val waiters (FUTEX_ALL: every one); returns the number woken.
 */
uint64_t futex(_Atomic(uint64_t) *addr, uint64_t val, futex_op_t op, clock_t timeout);

#endif
