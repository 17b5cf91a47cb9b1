// SPDX-License-Identifier: MIT
// Opening files: open, open2, openat (spec §5 path grammar, §7.11-7.12, §7.33).
#ifndef QUILT_LIBC_FCNTL_H
#define QUILT_LIBC_FCNTL_H

#include <sys/types.h>

#include "kernel/abi/types.h"

/* Typed wrappers: the error convention is in <unistd.h>. */

/* open - open @path ("name[:flags]", §5) and return the lowest free descriptor, or ERR. */
fd_t open(const char *path);
/* open2 - open @path twice into @fds[0], @fds[1] (a pipe for "/dev/pipe/new"). 0 or ERR. */
uint64_t open2(const char *path, fd_t fds[2]);
/* openat - like open, relative paths starting at directory @from (FD_NONE: the cwd). */
fd_t openat(fd_t from, const char *path);

#endif
