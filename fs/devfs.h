// SPDX-License-Identifier: MIT
// Shared by the two halves of /dev: devfs.c (the static tree, the memory and
// console files) and devfs_devices.c (the device files of spec §8.7).
#ifndef QUILT_FS_DEVFS_H
#define QUILT_FS_DEVFS_H

#include "fs/internal.h"

/*
 * A static directory: its children, and its parent (NULL for the root).
 * @shown (NULL: always) hides a child until its device exists, so that
 * /dev/mouse/0 appears only on a machine with a mouse, as in PatchworkOS.
 * Immutable once devfs_root() has built the tree.
 */
struct devfs_dir {
	struct inode *parent;
	struct inode **children;
	unsigned count;
	bool (*shown)(struct inode *child);
};

extern const struct inode_ops devfs_dir_ops;
extern const struct inode_ops devfs_file_ops;
extern const struct file_ops devfs_dir_fops;

/* The top inodes devfs_devices_init made, for devfs.c to link in. */
struct devfs_devices {
	struct inode *kbd, *mouse, *fb; /* directories /dev/kbd, /dev/mouse, /dev/fb */
	struct inode *perf_cpu;         /* /dev/perf/cpu */
};

/* Build the device subtrees under @root (perf/cpu goes in /dev/perf). Context: boot (devfs_root). */
struct devfs_devices devfs_devices_init(struct superblock *sb, struct inode *root);

#endif
