// SPDX-License-Identifier: MIT
// Open files and descriptor tables (spec §6): the contract between the file
// layer and the rest of the kernel (memory system calls, SHARE/CLAIM, /proc).
// An open file is shared by every descriptor (in any process) that refers to
// it, and is destroyed, running its device's release action, when the last
// reference goes.
#ifndef QUILT_FS_FILE_H
#define QUILT_FS_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/mm/uaccess.h"
#include "kernel/sync/mutex.h"

struct file;
struct process;
struct vm_mmap_request;
struct poll_table;
struct wait_queue;

struct file_ops {
	/* Each returns bytes / a value >= 0, or -errno. NULL: the operation is not supported. */
	int64_t (*read)(struct file *f, void __user *buf, uint64_t count, uint64_t *pos);
	int64_t (*write)(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos);
	int64_t (*seek)(struct file *f, int64_t offset, uint8_t origin, uint64_t *pos);
	int64_t (*ioctl)(struct file *f, uint64_t request, void __user *argp, uint64_t size);
	/* Events ready now (POLLIN...); adds @w to the queues that will signal changes, when non-NULL. */
	uint32_t (*poll)(struct file *f, struct poll_table *pt);
	/*
	 * Describe what a mapping of this file maps (spec §7 number 19): fill
	 * req->backing (and req->object for shared memory). NULL: ENOSYS.
	 */
	int (*mmap)(struct file *f, struct vm_mmap_request *req);
	/* The last reference went away. */
	void (*release)(struct file *f);
};

struct file {
	uint64_t refcount;            /* atomic */
	const struct file_ops *ops;   /* Immutable */
	uint32_t flags;               /* Immutable: PATH_FLAG_* of the open, permissions included */
	bool is_dir;                  /* Immutable */
	struct mutex pos_lock;        /* serializes position updates */
	uint64_t pos;                 /* Guarded by: pos_lock */
	void *inode;                  /* owned by fs/: struct inode, a reference */
	void *mount;                  /* owned by fs/: the mount it was opened through, a reference */
	void *priv;                   /* the device's */
};

/*
 * poll_wait - a wait set for POLL: a file's poll op calls it for each queue
 * that may signal a change (@pt may be NULL: nothing to register).
 * Context: called between thread_prepare_sleep() and sleeping, so it takes
 * only spinlocks; poll ops must not take a mutex either.
 */
void poll_wait(struct poll_table *pt, struct wait_queue *wq);

/* file_get/file_put - take / drop a reference; the last put runs ops->release. Context: any thread. */
void file_get(struct file *f);
void file_put(struct file *f);

/* fd_get - the open file in slot @fd of @p, with a reference (file_put it). NULL: -EBADF. Context: any thread; O(1). */
struct file *fd_get(struct process *p, uint64_t fd);
/*
 * fd_install - put @f in the lowest free slot of @p; on success its reference
 * moves into the table. Returns the fd, or -EMFILE (table full, or @p ended;
 * the caller still owns the reference). Context: any thread; O(1).
 */
int64_t fd_install(struct process *p, struct file *f);

#endif
