// SPDX-License-Identifier: MIT
// Futexes (spec §7 number 27): per-process wait lists keyed by the virtual
// address of a 64-bit word.
#ifndef QUILT_SCHED_FUTEX_H
#define QUILT_SCHED_FUTEX_H

#include <stdint.h>

struct process;

/* FUTEX_WAIT: 0, -EAGAIN, -ETIMEDOUT, -EINTR, -EFAULT, -ENOMEM. @addr already checked for alignment. */
int futex_wait(struct process *p, uint64_t addr, uint64_t val, uint64_t deadline_ns);
/* FUTEX_WAKE: wakes up to @max waiters on @addr, oldest first; returns how many. */
uint64_t futex_wake(struct process *p, uint64_t addr, uint64_t max);
void futex_table_free(struct process *p);

#endif
