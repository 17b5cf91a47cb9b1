// SPDX-License-Identifier: MIT
// Pipes (spec §8.3, with OUR CHOICE: any read count, writes of up to 4096
// bytes all-or-nothing, larger ones in pieces, nonblock honoured).
// Locks: pipe->lock (mutex) guards the ring and the end counts; user copies
// happen under it, so a faulting reader consumes nothing. pipe->wq wakes
// readers, writers and pollers on every change. Lifetime: the pipe goes with
// its last open file; readers and writers hold a file, so only release may
// find the pipe freed right after it unlocks.
#include "fs/internal.h"

#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/sched.h"

struct pipe {
	struct mutex lock;
	struct wait_queue wq;
	/* Guarded by: lock (read without it only to decide whether to wait) */
	uint64_t head, len;     /* unread bytes are ring[head, head + len) modulo the capacity */
	uint32_t readers, writers; /* open files holding each end */
	uint32_t files;            /* open files of either kind: the pipe goes with the last */
	uint8_t ring[PIPE_CAPACITY];
};

static const struct file_ops pipe_read_fops, pipe_write_fops, pipe_both_fops;

static bool can_read(const struct file *f)
{
	return f->ops != &pipe_write_fops;
}

static bool can_write(const struct file *f)
{
	return f->ops != &pipe_read_fops;
}

static bool nonblock(const struct file *f)
{
	return f->flags & PATH_FLAG_NONBLOCK;
}

static int64_t pipe_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct pipe *p = f->priv;
	if (!can_read(f))
		return -ENOTSUP;
	if (count == 0)
		return 0;
	for (;;) {
		mutex_lock(&p->lock);
		if (p->len) {
			uint64_t n = count < p->len ? count : p->len;
			uint64_t first = PIPE_CAPACITY - p->head;
			if (first > n)
				first = n;
			int err = copy_to_user(buf, p->ring + p->head, first);
			if (!err && n > first)
				err = copy_to_user((uint8_t __user *)buf + first, p->ring, n - first);
			if (err) {
				mutex_unlock(&p->lock);
				return err; /* nothing consumed */
			}
			p->head = (p->head + n) % PIPE_CAPACITY;
			p->len -= n;
			mutex_unlock(&p->lock);
			wait_queue_wake_all(&p->wq);
			return (int64_t)n;
		}
		bool eof = p->writers == 0;
		mutex_unlock(&p->lock);
		if (eof)
			return 0;
		if (nonblock(f))
			return -EAGAIN;
		int err = WAIT_EVENT(&p->wq, __atomic_load_n(&p->len, __ATOMIC_ACQUIRE) ||
					     !__atomic_load_n(&p->writers, __ATOMIC_ACQUIRE),
				     UINT64_MAX);
		if (err)
			return err;
	}
}

static int64_t pipe_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	struct pipe *p = f->priv;
	if (!can_write(f))
		return -ENOTSUP;
	uint64_t done = 0;
	/* Up to the capacity a write is all-or-nothing; beyond it, any room is progress. */
	uint64_t need = count <= PIPE_CAPACITY ? count : 1;
	while (done < count) {
		mutex_lock(&p->lock);
		if (p->readers == 0) {
			mutex_unlock(&p->lock);
			return done ? (int64_t)done : -EPIPE;
		}
		uint64_t space = PIPE_CAPACITY - p->len;
		if (space >= need) {
			uint64_t n = count - done < space ? count - done : space;
			uint64_t tail = (p->head + p->len) % PIPE_CAPACITY;
			uint64_t first = PIPE_CAPACITY - tail;
			if (first > n)
				first = n;
			const uint8_t __user *src = (const uint8_t __user *)buf + done;
			int err = copy_from_user(p->ring + tail, src, first);
			if (!err && n > first)
				err = copy_from_user(p->ring, src + first, n - first);
			if (err) {
				mutex_unlock(&p->lock);
				return done ? (int64_t)done : err;
			}
			__atomic_store_n(&p->len, p->len + n, __ATOMIC_RELEASE);
			done += n;
			mutex_unlock(&p->lock);
			wait_queue_wake_all(&p->wq);
			/* A fast reader can keep a big write going without it ever sleeping. */
			if (done < count && sched_checkpoint())
				return (int64_t)done;
			continue;
		}
		mutex_unlock(&p->lock);
		if (nonblock(f))
			return done ? (int64_t)done : -EAGAIN;
		int err = WAIT_EVENT(&p->wq, PIPE_CAPACITY - __atomic_load_n(&p->len, __ATOMIC_ACQUIRE) >= need ||
					     !__atomic_load_n(&p->readers, __ATOMIC_ACQUIRE),
				     UINT64_MAX);
		if (err)
			return done ? (int64_t)done : err;
	}
	return (int64_t)done;
}

/* No lock: called between thread_prepare_sleep() and sleeping, where a mutex may not be taken. */
static uint32_t pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->priv;
	poll_wait(pt, &p->wq);
	uint64_t len = __atomic_load_n(&p->len, __ATOMIC_ACQUIRE);
	uint32_t ev = 0;
	if (can_read(f) && (len || !__atomic_load_n(&p->writers, __ATOMIC_ACQUIRE)))
		ev |= POLLIN;
	if (can_write(f) && (len < PIPE_CAPACITY || !__atomic_load_n(&p->readers, __ATOMIC_ACQUIRE)))
		ev |= POLLOUT;
	return ev;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	mutex_lock(&p->lock);
	if (can_read(f))
		__atomic_store_n(&p->readers, p->readers - 1, __ATOMIC_RELEASE);
	if (can_write(f))
		__atomic_store_n(&p->writers, p->writers - 1, __ATOMIC_RELEASE);
	bool last = --p->files == 0;
	/*
	 * The other end sees end-of-stream or EPIPE now, not at some later
	 * wake-up. Woken while we still hold the lock: once it is released,
	 * the last releaser may take it and free p (mutex_unlock itself never
	 * touches the mutex after that point, see kernel/sync/mutex.c).
	 */
	wait_queue_wake_all(&p->wq);
	mutex_unlock(&p->lock);
	if (last)
		kfree(p);
}

/* The wrong direction of a one-way end (spec §8.3: ENOTSUP). */
static int64_t pipe_not_readable(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	return -ENOTSUP;
}

static int64_t pipe_not_writable(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	return -ENOTSUP;
}

/* The three tables differ in content, so they have distinct addresses (can_read/can_write). */
static const struct file_ops pipe_read_fops = {
	.read = pipe_read, .write = pipe_not_writable, .poll = pipe_poll, .release = pipe_release,
};
static const struct file_ops pipe_write_fops = {
	.read = pipe_not_readable, .write = pipe_write, .poll = pipe_poll, .release = pipe_release,
};
static const struct file_ops pipe_both_fops = {
	.read = pipe_read, .write = pipe_write, .poll = pipe_poll, .release = pipe_release,
};

static struct pipe *pipe_alloc(uint32_t readers, uint32_t writers, uint32_t files)
{
	if (!pmm_user_may_allocate())
		return NULL; /* a pipe is a page of program data: ENOMEM rather than the kernel's reserve */
	struct pipe *p = kzalloc(sizeof(*p));
	if (!p)
		return NULL;
	mutex_init(&p->lock);
	wait_queue_init(&p->wq);
	p->readers = readers;
	p->writers = writers;
	p->files = files;
	return p;
}

int pipe_open(struct inode *ino, struct file *f)
{
	struct pipe *p = pipe_alloc(1, 1, 1);
	if (!p)
		return -ENOMEM;
	f->priv = p;
	f->ops = &pipe_both_fops;
	return 0;
}

int pipe_open2(struct inode *ino, struct file *f[2])
{
	struct pipe *p = pipe_alloc(1, 1, 2);
	if (!p)
		return -ENOMEM;
	f[PIPE_READ]->priv = p;
	f[PIPE_READ]->ops = &pipe_read_fops;
	f[PIPE_WRITE]->priv = p;
	f[PIPE_WRITE]->ops = &pipe_write_fops;
	return 0;
}
