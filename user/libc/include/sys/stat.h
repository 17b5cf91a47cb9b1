// SPDX-License-Identifier: MIT
// Describing a file by name (spec §7.21).
#ifndef QUILT_LIBC_SYS_STAT_H
#define QUILT_LIBC_SYS_STAT_H

#include <sys/types.h>

#include "kernel/abi/types.h"

/* Typed wrappers: the error convention is in <unistd.h>. */

/* stat - describe the object at @path into *@out. 0 or ERR. */
uint64_t stat(const char *path, struct abi_stat *out);

#endif
