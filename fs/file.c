// SPDX-License-Identifier: MIT
// Open files and per-process descriptor tables (spec §6).
// Locks: fs_context->lock (spinlock, IRQs off) guards one process's table,
// cwd and namespace pointer; lookups take only that lock, so descriptor
// operations of different processes never contend. File references are
// atomic; the last file_put runs the device's release action.
#include "fs/fs.h"
#include "fs/internal.h"

#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/vmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/time/time.h"

static uint64_t files_alive; /* atomic */

uint64_t fs_open_files_live(void)
{
	return __atomic_load_n(&files_alive, __ATOMIC_RELAXED);
}

struct file *file_alloc(struct inode *ino, struct mount *mnt, uint32_t flags)
{
	struct file *f = kzalloc(sizeof(*f));
	if (!f)
		return NULL;
	f->refcount = 1;
	f->ops = ino->fops;
	f->flags = flags;
	f->is_dir = ino->type == INODE_DIR;
	mutex_init(&f->pos_lock);
	f->inode = ino;
	f->mount = mnt;
	__atomic_fetch_add(&files_alive, 1, __ATOMIC_RELAXED);
	return f;
}

void file_get(struct file *f)
{
	__atomic_fetch_add(&f->refcount, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->ops && f->ops->release)
		f->ops->release(f);
	inode_put(f->inode);
	mount_put(f->mount);
	__atomic_fetch_sub(&files_alive, 1, __ATOMIC_RELAXED);
	kfree(f);
}

struct file *fd_get(struct process *p, uint64_t fd)
{
	struct fs_context *ctx = p->fs;
	struct file *f = NULL;
	if (!ctx || fd >= CONFIG_MAX_FD)
		return NULL;
	irqflags_t fl = spin_lock_irqsave(&ctx->lock);
	f = ctx->fds[fd];
	if (f)
		file_get(f);
	spin_unlock_irqrestore(&ctx->lock, fl);
	return f;
}

/* The lowest clear bit of @used, or CONFIG_MAX_FD when full. O(1). */
static unsigned lowest_free(uint64_t used)
{
	return ~used ? (unsigned)__builtin_ctzll(~used) : CONFIG_MAX_FD;
}

int64_t fd_install(struct process *p, struct file *f)
{
	struct fs_context *ctx = p->fs;
	if (!ctx)
		return -EMFILE;
	irqflags_t fl = spin_lock_irqsave(&ctx->lock);
	unsigned fd = lowest_free(ctx->used);
	if (ctx->dead || fd >= CONFIG_MAX_FD) {
		spin_unlock_irqrestore(&ctx->lock, fl);
		return -EMFILE;
	}
	ctx->fds[fd] = f;
	ctx->used |= 1ULL << fd;
	spin_unlock_irqrestore(&ctx->lock, fl);
	return fd;
}

int fd_install2(struct process *p, struct file *f[2], uint64_t fds[2])
{
	struct fs_context *ctx = p->fs;
	if (!ctx)
		return -EMFILE;
	irqflags_t fl = spin_lock_irqsave(&ctx->lock);
	unsigned a = lowest_free(ctx->used);
	unsigned b = a < CONFIG_MAX_FD ? lowest_free(ctx->used | (1ULL << a)) : CONFIG_MAX_FD;
	if (ctx->dead || b >= CONFIG_MAX_FD) {
		spin_unlock_irqrestore(&ctx->lock, fl);
		return -EMFILE;
	}
	ctx->fds[a] = f[0];
	ctx->fds[b] = f[1];
	ctx->used |= (1ULL << a) | (1ULL << b);
	spin_unlock_irqrestore(&ctx->lock, fl);
	fds[0] = a;
	fds[1] = b;
	return 0;
}

int fd_close(struct process *p, uint64_t fd)
{
	struct fs_context *ctx = p->fs;
	if (!ctx || fd >= CONFIG_MAX_FD)
		return -EBADF;
	irqflags_t fl = spin_lock_irqsave(&ctx->lock);
	struct file *f = ctx->fds[fd];
	if (f) {
		ctx->fds[fd] = NULL;
		ctx->used &= ~(1ULL << fd);
	}
	spin_unlock_irqrestore(&ctx->lock, fl);
	if (!f)
		return -EBADF;
	file_put(f); /* outside the lock: a release action may sleep */
	return 0;
}

int64_t fd_dup(struct process *p, uint64_t fd)
{
	struct fs_context *ctx = p->fs;
	if (!ctx || fd >= CONFIG_MAX_FD)
		return -EBADF;
	irqflags_t fl = spin_lock_irqsave(&ctx->lock);
	struct file *f = ctx->fds[fd];
	if (!f) {
		spin_unlock_irqrestore(&ctx->lock, fl);
		return -EBADF;
	}
	unsigned n = lowest_free(ctx->used);
	if (n >= CONFIG_MAX_FD || ctx->dead) {
		spin_unlock_irqrestore(&ctx->lock, fl);
		return -EMFILE;
	}
	file_get(f);
	ctx->fds[n] = f;
	ctx->used |= 1ULL << n;
	spin_unlock_irqrestore(&ctx->lock, fl);
	return n;
}

int64_t fd_dup2(struct process *p, uint64_t oldfd, uint64_t newfd)
{
	struct fs_context *ctx = p->fs;
	if (!ctx || oldfd >= CONFIG_MAX_FD || newfd >= CONFIG_MAX_FD)
		return -EBADF;
	irqflags_t fl = spin_lock_irqsave(&ctx->lock);
	struct file *f = ctx->fds[oldfd];
	if (!f) {
		spin_unlock_irqrestore(&ctx->lock, fl);
		return -EBADF;
	}
	struct file *prev = NULL;
	if (oldfd != newfd) {
		/* Replace in one step under the lock: no thread sees the slot empty. */
		file_get(f);
		prev = ctx->fds[newfd];
		ctx->fds[newfd] = f;
		ctx->used |= 1ULL << newfd;
	}
	spin_unlock_irqrestore(&ctx->lock, fl);
	file_put(prev);
	return (int64_t)newfd;
}

void poll_wait(struct poll_table *pt, struct wait_queue *wq)
{
	if (!pt || pt->count >= POLL_TABLE_MAX)
		return;
	for (int i = 0; i < pt->count; i++)
		if (pt->queues[i] == wq)
			return; /* one waiter per queue is enough to be woken */
	struct waiter *w = &pt->waiters[pt->count];
	waiter_init(w);
	pt->queues[pt->count++] = wq;
	wait_queue_add(wq, w);
}

int64_t vfs_poll(struct file *const *files, struct abi_pollfd *fds, uint64_t n, uint64_t deadline)
{
	/* Only the first look registers on the files' queues; later looks just read their state. */
	struct poll_table *pt = kmalloc(sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->count = 0;
	int64_t r = 0;
	for (bool first = true;; first = false) {
		/* Declare the sleep first, then look: a change after the look wakes us (wait.h). */
		thread_prepare_sleep();
		uint64_t ready = 0;
		for (uint64_t i = 0; i < n; i++) {
			uint32_t ev = files[i]->ops->poll(files[i], first ? pt : NULL);
			fds[i].revents = ev & (fds[i].events | POLL_SPECIAL);
			ready += fds[i].revents != 0;
		}
		if (ready || time_now_ns() >= deadline) {
			thread_cancel_sleep();
			r = (int64_t)ready;
			break;
		}
		if (thread_sleep(deadline) == -EINTR) {
			r = -EINTR;
			break;
		}
		/* -ETIMEDOUT: one more look, then the deadline ends the loop. */
	}
	for (int i = 0; i < pt->count; i++)
		wait_queue_remove(pt->queues[i], &pt->waiters[i]);
	kfree(pt);
	return r;
}

int64_t fs_read_text(const char *text, uint64_t len, void __user *buf, uint64_t count, uint64_t *pos)
{
	if (*pos >= len)
		return 0;
	uint64_t n = len - *pos;
	if (n > count)
		n = count;
	int err = copy_to_user(buf, text + *pos, n);
	if (err)
		return err;
	*pos += n;
	return (int64_t)n;
}
