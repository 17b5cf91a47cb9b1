// SPDX-License-Identifier: MIT
// The user address range of the ABI (spec §1, §10.2), shared by the kernel,
// its entry assembly and user space: plain integers, usable from assembly.
#ifndef QUILT_ABI_LAYOUT_H
#define QUILT_ABI_LAYOUT_H

#define USER_MIN 0x0000000000400000 /* first byte a program may use */
#define USER_MAX 0x00007FFFFFFFF000 /* exclusive; also the highest RIP SYSRET may return to */

#endif
