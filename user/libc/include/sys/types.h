// SPDX-License-Identifier: MIT
// Scalar types of the PatchworkOS ABI as user space names them (spec §3.1).
#ifndef QUILT_LIBC_SYS_TYPES_H
#define QUILT_LIBC_SYS_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/abi/types.h"

/*
 * kernel/abi/types.h already provides fd_t, tid_t, inode_number_t and
 * priority_t; the rest of §3.1 is spelled here. The ABI's clock_t is a
 * nanosecond count (the kernel header calls it clock_t_ so as not to clash
 * with a hosted <time.h>); user space uses the spec's name.
 */
typedef uint64_t pid_t;
typedef uint64_t clock_t;
typedef unsigned long long time_t; /* unsigned seconds since 1970 (§3.1) */
typedef int64_t off_t;
typedef int64_t ssize_t;
typedef int errno_t;

/* The narrow argument types of §2.2: the kernel looks only at these widths. */
typedef uint8_t seek_origin_t;
typedef uint32_t prot_t;
typedef uint32_t spawn_flags_t;
typedef uint32_t futex_op_t;
typedef uint32_t mount_flags_t;
typedef uint32_t poll_events_t;

#endif
