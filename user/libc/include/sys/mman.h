// SPDX-License-Identifier: MIT
// Memory mappings (spec §7.22, §7.28-7.29).
#ifndef QUILT_LIBC_SYS_MMAN_H
#define QUILT_LIBC_SYS_MMAN_H

#include <sys/types.h>

#include "kernel/abi/types.h"

/* Typed wrappers: the error convention is in <unistd.h>. */

/* mmap - map @length bytes of @fd's object (/dev/zero for anonymous memory); NULL on failure. */
void *mmap(fd_t fd, void *addr, uint64_t length, prot_t prot);
/* munmap - unmap the pages touched by [@addr, @addr + @length); returns the page start or NULL. */
void *munmap(void *addr, uint64_t length);
/* mprotect - change the protection of mapped pages (PROT_NONE unmaps); page start or NULL. */
void *mprotect(void *addr, uint64_t length, prot_t prot);

#endif
