// SPDX-License-Identifier: MIT
// The user address range of the ABI (spec §1, §10.2), shared by the kernel,
// its entry assembly and user space: plain integers, usable from assembly.
#ifndef QUILT_ABI_LAYOUT_H
#define QUILT_ABI_LAYOUT_H

#ifdef __ASSEMBLER__
#define PAGE_SIZE 4096
#else
#include <stdint.h>
#define PAGE_SIZE ((uint64_t)4096) /* the only page size the ABI knows (spec §3.2) */
#endif

#define USER_MIN 0x0000000000400000 /* first byte a program may use */
#define USER_MAX 0x00007FFFFFFFF000 /* exclusive; also the highest RIP SYSRET may return to */

#endif
