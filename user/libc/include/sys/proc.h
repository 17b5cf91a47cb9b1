// SPDX-License-Identifier: MIT
// Process helpers over /proc (spec §8.5): there is no waitpid system call.
#ifndef QUILT_LIBC_SYS_PROC_H
#define QUILT_LIBC_SYS_PROC_H

#include <sys/types.h>

/*
 * wait_pid - block until process @pid has ended, then store its exit status
 * (the signed decimal text of /proc/<pid>/wait) in *@status if non-NULL.
 * Any process may be waited for, any number of times, while its /proc entry
 * exists (at least 1 s after it ended). Returns 0, or -1 with errno: the
 * open's error (ENOENT: no such pid, or reaped), the read's (EINTR: a note
 * arrived), or EIO if the file's content is not a number.
 * Context: may sleep.
 */
int wait_pid(pid_t pid, int *status);

#endif
