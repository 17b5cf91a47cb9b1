// SPDX-License-Identifier: MIT
// SHARE/CLAIM keys (fs/share.c).
#ifndef QUILT_FS_SHARE_H
#define QUILT_FS_SHARE_H

#include <stdint.h>

/* Keys issued and neither claimed nor expired yet. */
uint64_t share_keys_live(void);
struct abi_key;
struct file;
struct process;

/*
 * share_create - a fresh random key for @file (its reference is the key's
 * from now on, also on failure) valid for @timeout ns (CLOCKS_NEVER: until
 * claimed), stored in *@out. 0 or -ENOMEM (no memory, or the process's or
 * the system's key limit reached). Context: thread.
 */
int share_create(struct process *p, struct file *file, uint64_t timeout, struct abi_key *out);
/* share_withdraw - forget @key unless it was claimed already (its file is released). */
void share_withdraw(const struct abi_key *key);
/*
 * share_claim - consume @key (one claim only, before its deadline) and
 * install its file in @p's descriptor table. The descriptor, -ENOENT (no
 * such key, claimed or expired) or -EMFILE (the key stays claimable).
 */
int64_t share_claim(struct process *p, const struct abi_key *key);

/* Boot: start the thread that drops expired keys (and their files) at their deadlines. */
void share_init(void);

#endif
