// SPDX-License-Identifier: MIT
// errno: the calling thread's last error code (values from spec §3.4).
#ifndef QUILT_LIBC_ERRNO_H
#define QUILT_LIBC_ERRNO_H

#include "kernel/abi/errno.h"

/*
 * __errno_location - address of the calling thread's errno.
 * The ABI has no TLS (FS/GS base are 0), so the slot is found from the stack
 * pointer: thread t always runs on the fixed stack region of §10.3. Code that
 * switches to a stack of its own making gets a shared spare slot instead.
 * Context: any thread running on its own ABI stack.
 */
int *__errno_location(void);

#define errno (*__errno_location())

#endif
