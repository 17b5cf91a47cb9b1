// SPDX-License-Identifier: MIT
// Waiting for descriptors to become ready (spec §7.20).
#ifndef QUILT_LIBC_POLL_H
#define QUILT_LIBC_POLL_H

#include <sys/types.h>

#include "kernel/abi/types.h"

/* Typed wrappers: the error convention is in <unistd.h>. */

/* poll - wait for readiness of @amount (1..64) entries; returns the ready count, 0 on timeout, or ERR. */
uint64_t poll(struct abi_pollfd *fds, uint64_t amount, clock_t timeout);

#endif
