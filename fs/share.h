// SPDX-License-Identifier: MIT
// SHARE/CLAIM keys (fs/share.c).
#ifndef QUILT_FS_SHARE_H
#define QUILT_FS_SHARE_H

#include <stdint.h>

/* Keys issued and neither claimed nor expired yet. */
uint64_t share_keys_live(void);
/* Boot: start the thread that drops expired keys (and their files) at their deadlines. */
void share_init(void);

#endif
