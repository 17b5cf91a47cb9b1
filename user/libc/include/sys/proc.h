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

/*
 * proc_ctl - write a command line ("dup2 3 0 && close 3 -1", "start", ...)
 * to /proc/<pid>/ctl (spec §8.5). Returns 0, or -1 with errno.
 */
int proc_ctl(pid_t pid, const char *command);

/*
 * spawn_with_fds - the suspend-adjust-start idiom: spawn @argv suspended,
 * make its descriptors 0, 1, 2 refer to our @in, @out, @err (FD_NONE: leave
 * as inherited), close everything else above 2, then start it.
 * Returns the pid, or ERR with errno.
 */
pid_t spawn_with_fds(const char **argv, fd_t in, fd_t out, fd_t err);

#endif
