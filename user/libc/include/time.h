// SPDX-License-Identifier: MIT
// Time: sleeping, the monotonic clock and the wall clock (spec §7.3, §7.6-7.8).
#ifndef QUILT_LIBC_TIME_H
#define QUILT_LIBC_TIME_H

#include <sys/types.h>

/* Typed wrappers: the error convention is in <unistd.h>. */

/* nanosleep - sleep at least @nanoseconds. Returns 0, or ERR (EINTR). */
uint64_t nanosleep(clock_t nanoseconds);
/* uptime - nanoseconds since boot, monotonic. Never fails. */
clock_t uptime(void);
/* unix_epoch - wall-clock seconds; also stored in *@out unless @out is NULL (§7.8). */
time_t unix_epoch(time_t *out);

#endif
