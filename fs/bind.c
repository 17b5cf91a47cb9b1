// SPDX-License-Identifier: MIT
// BIND (spec §7 number 32; the handler is in kernel/syscall/sys_fs.c):
// attach an open file's object at a mount point of the caller's namespace,
// optionally in its parent or child namespaces.
#include "fs/internal.h"
#include "fs/path.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"

struct propagation {
	struct mount *mount;
	bool overwrite;
};

static void add_to(struct namespace *ns, void *arg)
{
	struct propagation *pr = arg;
	/* A namespace that already binds the place keeps its own unless asked to overwrite. */
	ns_set_mount(ns, pr->mount, pr->overwrite);
}

int vfs_bind(struct process *p, struct file *src, const char *pathname, uint32_t flags)
{
	struct vfs_lookup lk;
	int err = vfs_lookup_init(&lk, p, NULL);
	if (err)
		return err;
	struct vfs_loc at;
	char last[MAX_NAME];
	err = vfs_walk(&lk, pathname, &at, last);
	if (err)
		goto out_lookup;
	/*
	 * Resolution followed a mount at the last step: we are at the root of a
	 * mounted object, and the place to bind is where it is mounted (OUR
	 * CHOICE: replaced with MOUNT_OVERWRITE, else EBUSY).
	 */
	struct inode *mountpoint = at.inode;
	struct mount *parent = at.mnt ? at.mnt : lk.root.mnt;
	bool mounted_here = at.mnt && at.inode == at.mnt->root && at.mnt->mountpoint;
	if (mounted_here) {
		mountpoint = at.mnt->mountpoint;
		parent = at.mnt->parent;
	}
	bool src_dir = src->is_dir, dst_dir = mountpoint->type == INODE_DIR;
	if (src_dir && !dst_dir)
		err = -ENOTDIR;
	else if (!src_dir && dst_dir)
		err = -EISDIR;
	else if (mounted_here && !(flags & MOUNT_OVERWRITE))
		err = -EBUSY;
	if (!err) {
		/* The binding's permissions are those of the source's open file (spec §7 number 32). */
		struct mount *m = mount_create(src->inode, parent, mountpoint, src->flags & PATH_FLAG_PERMS);
		if (!m) {
			err = -ENOMEM;
		} else {
			err = ns_set_mount(lk.ns, m, flags & MOUNT_OVERWRITE);
			if (!err) {
				struct propagation pr = { m, flags & MOUNT_OVERWRITE };
				if (flags & MOUNT_PROPAGATE_CHILDREN)
					ns_for_each_relative(lk.ns, false, add_to, &pr);
				if (flags & MOUNT_PROPAGATE_PARENT)
					ns_for_each_relative(lk.ns, true, add_to, &pr);
			}
			mount_put(m);
		}
	}
	loc_put(at);
out_lookup:
	vfs_lookup_done(&lk);
	return err;
}
