// SPDX-License-Identifier: MIT
// The RAM root filesystem (spec §8.1): directories with a name hash and a
// creation-order list (stable getdents order), regular files as a tree of
// pages indexed by page number (holes cost nothing and read as zeros),
// hard links, truncation, seeking. Filled at boot from the cpio archive.
// Locks: inode->lock (mutex) guards a directory's entries or a file's pages
// and size; a parent directory's lock is taken before a child's.
#include "fs/internal.h"

#include "fs/archive.h"
#include "kernel/boot.h"
#include "kernel/lib/rbtree.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/sched.h"

#define RAMFS_BUCKETS 32

struct ramfs_entry {
	struct ramfs_entry *hnext;       /* hash chain */
	struct ramfs_entry *next, *prev; /* creation order */
	struct inode *inode;             /* the name's reference */
	uint8_t len;
	char name[MAX_NAME];
};

struct ramfs_dir {
	struct ramfs_entry *buckets[RAMFS_BUCKETS];
	struct ramfs_entry *head, *tail;
	uint64_t count;
	/*
	 * Not a reference (that would be a cycle with the parent's entry): a
	 * directory can only be removed once empty, so while this one is
	 * linked (!removed, checked under this directory's lock) its parent is.
	 */
	struct inode *parent;
	/*
	 * Guarded by: this directory's lock, and meaningful only to the thread
	 * that holds it during a subtree walk (subtree_has_mount,
	 * dir_clear_locked): the directory the walk came from, and its entry
	 * for this one. They replace the call stack of a recursive walk.
	 */
	struct inode *walk_parent;
	struct ramfs_entry *walk_from;
};

struct ramfs_page {
	struct rb_node node;
	uint64_t index;
	uint8_t *data;
};

struct ramfs_file {
	struct rb_root pages;
};

struct superblock ramfs_sb = { .name = "ramfs" };
static const struct inode_ops ramfs_dir_ops, ramfs_file_ops;
static const struct file_ops ramfs_fops, ramfs_dir_fops;

static unsigned name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h % RAMFS_BUCKETS;
}

static struct ramfs_entry *dir_find(struct ramfs_dir *d, const char *name, size_t len)
{
	for (struct ramfs_entry *e = d->buckets[name_hash(name, len)]; e; e = e->hnext)
		if (e->len == len && memcmp(e->name, name, len) == 0)
			return e;
	return NULL;
}

static void dir_insert(struct ramfs_dir *d, struct ramfs_entry *e)
{
	unsigned b = name_hash(e->name, e->len);
	e->hnext = d->buckets[b];
	d->buckets[b] = e;
	e->next = NULL;
	e->prev = d->tail;
	if (d->tail)
		d->tail->next = e;
	else
		d->head = e;
	d->tail = e;
	d->count++;
}

static void dir_unlink(struct ramfs_dir *d, struct ramfs_entry *e)
{
	struct ramfs_entry **link = &d->buckets[name_hash(e->name, e->len)];
	while (*link != e)
		link = &(*link)->hnext;
	*link = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		d->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		d->tail = e->prev;
	d->count--;
}

static struct inode *ramfs_new_inode(bool is_dir, const char *name, size_t len)
{
	struct inode *ino = inode_alloc(&ramfs_sb, is_dir ? INODE_DIR : INODE_FILE,
					is_dir ? &ramfs_dir_ops : &ramfs_file_ops,
					is_dir ? &ramfs_dir_fops : &ramfs_fops, name, len);
	if (!ino)
		return NULL;
	ino->priv = is_dir ? kzalloc(sizeof(struct ramfs_dir)) : kzalloc(sizeof(struct ramfs_file));
	if (!ino->priv) {
		inode_put(ino);
		return NULL;
	}
	return ino;
}

struct inode *ramfs_create_root(void)
{
	return ramfs_new_inode(true, "__root__", 8);
}

static int ramfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct ramfs_dir *d = dir->priv;
	int err = -ENOENT;
	mutex_lock(&dir->lock);
	struct ramfs_entry *e = dir->removed ? NULL : dir_find(d, name, len);
	if (e) {
		inode_get(e->inode);
		*out = e->inode;
		err = 0;
	}
	mutex_unlock(&dir->lock);
	return err;
}

/* Add @name -> @ino to @dir (locked); the entry takes a new reference. */
static int dir_add_locked(struct inode *dir, const char *name, size_t len, struct inode *ino)
{
	mutex_assert_held(&dir->lock);
	struct ramfs_dir *d = dir->priv;
	if (dir->removed)
		return -ENOENT;
	if (dir_find(d, name, len))
		return -EEXIST;
	struct ramfs_entry *e = kzalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	memcpy(e->name, name, len);
	e->len = (uint8_t)len;
	inode_get(ino);
	e->inode = ino;
	dir_insert(d, e);
	dir->mtime = dir->ctime = fs_now();
	return 0;
}

static int ramfs_create(struct inode *dir, const char *name, size_t len, bool is_dir, struct inode **out)
{
	if (len == 0 || len >= MAX_NAME)
		return -EINVAL;
	/* Names and inodes are program data too: they may not eat the kernel's reserve. */
	if (!pmm_user_may_allocate())
		return -ENOMEM;
	struct inode *ino = ramfs_new_inode(is_dir, name, len);
	if (!ino)
		return -ENOMEM;
	mutex_lock(&dir->lock);
	int err = dir_add_locked(dir, name, len, ino);
	if (!err && is_dir)
		((struct ramfs_dir *)ino->priv)->parent = dir;
	mutex_unlock(&dir->lock);
	if (err) {
		inode_put(ino);
		return err;
	}
	*out = ino; /* the allocation's reference */
	return 0;
}

static int ramfs_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	if (!pmm_user_may_allocate())
		return -ENOMEM;
	mutex_lock(&dir->lock);
	int err = dir_add_locked(dir, name, len, target);
	mutex_unlock(&dir->lock);
	if (!err) {
		mutex_lock(&target->lock);
		target->nlink++;
		target->ctime = fs_now();
		mutex_unlock(&target->lock);
	}
	return err;
}

/*
 * Whether anything below @top (locked) is a mount point in any namespace.
 * Iterative, because a program controls the depth (a chain of thousands of
 * nested directories must not overflow the kernel stack): the walk holds
 * the locks of the directories on its current path, parent before child as
 * everywhere, and each one it entered records where to resume in its
 * parent (walk_parent, walk_from). Those stay valid because every directory
 * on the path is locked by us, so none of their entries can go.
 */
static bool subtree_has_mount(struct inode *top)
{
	struct inode *dir = top;
	struct ramfs_entry *e = ((struct ramfs_dir *)top->priv)->head;
	bool found = false;
	for (;;) {
		if (e && !found) {
			struct inode *c = e->inode;
			if (__atomic_load_n(&c->mounted, __ATOMIC_ACQUIRE)) {
				found = true;
				continue;
			}
			if (c->type != INODE_DIR) {
				e = e->next;
				continue;
			}
			mutex_lock(&c->lock);
			struct ramfs_dir *cd = c->priv;
			cd->walk_parent = dir;
			cd->walk_from = e;
			dir = c;
			e = cd->head;
			continue;
		}
		/* This directory is done (or the answer is known): back to where we came from. */
		if (dir == top)
			return found;
		struct ramfs_dir *d = dir->priv;
		struct inode *up = d->walk_parent;
		e = d->walk_from->next;
		mutex_unlock(&dir->lock);
		dir = up;
	}
}

/* Drop one name of @ino (the caller holds the lock of the directory it was in). */
static void name_dropped(struct inode *ino)
{
	mutex_lock(&ino->lock);
	ino->nlink--;
	ino->ctime = fs_now();
	if (ino->type == INODE_DIR) {
		ino->removed = true;
		((struct ramfs_dir *)ino->priv)->parent = NULL;
	}
	mutex_unlock(&ino->lock);
}

/* Remove the entry @e of @dir (locked); the directory it names, if any, is empty. */
static void entry_drop_locked(struct inode *dir, struct ramfs_entry *e)
{
	dir_unlink(dir->priv, e);
	name_dropped(e->inode);
	inode_put(e->inode);
	kfree(e);
}

/*
 * Empty @top (locked), depth first, without recursion (see
 * subtree_has_mount): descend into the first entry while it is a non-empty
 * directory, drop entries that are files or emptied directories, and climb
 * back (walk_parent) when a directory is empty. Every child directory is
 * emptied before its entry's reference goes, so an inode_put() here never
 * finds entries left to clear (its evict does not recurse either).
 */
static void dir_clear_locked(struct inode *top)
{
	struct inode *dir = top;
	for (;;) {
		struct ramfs_dir *d = dir->priv;
		struct ramfs_entry *e = d->head;
		if (!e) {
			if (dir == top)
				return;
			struct inode *up = d->walk_parent;
			mutex_unlock(&dir->lock);
			dir = up; /* its first entry is the directory just emptied */
			entry_drop_locked(dir, ((struct ramfs_dir *)dir->priv)->head);
			continue;
		}
		struct inode *c = e->inode;
		if (c->type == INODE_DIR) {
			mutex_lock(&c->lock);
			struct ramfs_dir *cd = c->priv;
			if (cd->head) {
				cd->walk_parent = dir;
				dir = c;
				continue;
			}
			mutex_unlock(&c->lock);
		}
		entry_drop_locked(dir, e);
	}
}

static int ramfs_remove(struct inode *dir, const char *name, size_t len, bool recursive)
{
	struct ramfs_dir *d = dir->priv;
	mutex_lock(&dir->lock);
	struct ramfs_entry *e = dir->removed ? NULL : dir_find(d, name, len);
	if (!e) {
		mutex_unlock(&dir->lock);
		return -ENOENT;
	}
	struct inode *child = e->inode;
	if (child->type == INODE_DIR) {
		mutex_lock(&child->lock);
		struct ramfs_dir *cd = child->priv;
		int err = 0;
		if (cd->count && !recursive)
			err = -ENOTEMPTY;
		else if (cd->count && subtree_has_mount(child))
			err = -EBUSY;
		if (err) {
			mutex_unlock(&child->lock);
			mutex_unlock(&dir->lock);
			return err;
		}
		dir_clear_locked(child);
		mutex_unlock(&child->lock);
	}
	dir_unlink(d, e);
	dir->mtime = dir->ctime = fs_now();
	name_dropped(child);
	mutex_unlock(&dir->lock);
	inode_put(child);
	kfree(e);
	return 0;
}

static int ramfs_readdir(struct inode *dir, readdir_emit_t emit, void *ctx)
{
	struct ramfs_dir *d = dir->priv;
	int r = 0;
	mutex_lock(&dir->lock);
	if (!dir->removed)
		for (struct ramfs_entry *e = d->head; e && !r; e = e->next)
			r = emit(ctx, e->name, e->inode);
	mutex_unlock(&dir->lock);
	return r;
}

static int ramfs_parent(struct inode *dir, struct inode **out)
{
	struct ramfs_dir *d = dir->priv;
	int err = -ENOENT;
	mutex_lock(&dir->lock);
	if (!dir->removed && d->parent) {
		inode_get(d->parent);
		*out = d->parent;
		err = 0;
	}
	mutex_unlock(&dir->lock);
	return err;
}

/* ---- file pages ---- */

static struct ramfs_page *page_find(struct ramfs_file *rf, uint64_t index)
{
	struct rb_node *n = rf->pages.node;
	while (n) {
		struct ramfs_page *p = rb_entry(n, struct ramfs_page, node);
		if (index == p->index)
			return p;
		n = index < p->index ? n->left : n->right;
	}
	return NULL;
}

static struct ramfs_page *page_get_or_add(struct ramfs_file *rf, uint64_t index)
{
	struct rb_node **link = &rf->pages.node, *parent = NULL;
	while (*link) {
		struct ramfs_page *p = rb_entry(*link, struct ramfs_page, node);
		if (index == p->index)
			return p;
		parent = *link;
		link = index < p->index ? &(*link)->left : &(*link)->right;
	}
	struct ramfs_page *p = kmalloc(sizeof(*p));
	/* File contents are program data: they may not take the kernel's reserve (ENOMEM instead). */
	paddr_t phys = pmm_alloc_zeroed_user_page();
	if (!p || !phys) {
		kfree(p);
		if (phys)
			pmm_free_page(phys);
		return NULL;
	}
	p->index = index;
	p->data = phys_to_virt(phys);
	rb_link_node(&p->node, parent, link);
	rb_insert_color(&p->node, &rf->pages);
	return p;
}

/* A mapping may still hold the frame (a program's image): it goes with the last reference. */
static void page_free(struct ramfs_file *rf, struct ramfs_page *p)
{
	rb_erase(&p->node, &rf->pages);
	pmm_page_put(virt_to_phys_direct(p->data));
	kfree(p);
}

/*
 * Before @p's bytes change: if a program maps the frame (ramfs_map_pages),
 * the file takes a copy and leaves the old frame to the mappings, which
 * keep the bytes they were started with. Returns 0 or -ENOMEM (nothing
 * changed). Needs the file's lock: only under it can a mapping take a new
 * reference, so a frame found unshared stays the file's alone.
 */
static int page_unshare(struct ramfs_page *p)
{
	paddr_t old = virt_to_phys_direct(p->data);
	if (!pmm_page_shared(old))
		return 0;
	paddr_t copy = pmm_alloc_user_page();
	if (!copy)
		return -ENOMEM;
	memcpy(phys_to_virt(copy), p->data, PAGE_SIZE);
	p->data = phys_to_virt(copy);
	pmm_page_put(old);
	return 0;
}

/*
 * Cut @ino (locked) to @size: pages past it go, the tail of the last one is
 * zeroed. With @preempt, a preemption point every RAMFS_BATCH pages (a
 * truncation always finishes: a kill does not stop it half way).
 */
#define RAMFS_BATCH 64
static int truncate_locked(struct inode *ino, uint64_t size, bool preempt)
{
	mutex_assert_held(&ino->lock);
	struct ramfs_file *rf = ino->priv;
	uint64_t keep = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	/* The one step that can fail comes first: the last page kept is written below. */
	struct ramfs_page *tail = size % PAGE_SIZE ? page_find(rf, size / PAGE_SIZE) : NULL;
	if (tail && page_unshare(tail))
		return -ENOMEM;
	/* Only the pages past @keep are visited: the tree is ordered by index. */
	struct rb_node *n = rf->pages.node, *first = NULL;
	while (n) {
		struct ramfs_page *p = rb_entry(n, struct ramfs_page, node);
		if (p->index >= keep) {
			first = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	uint64_t freed = 0;
	for (n = first; n;) {
		struct ramfs_page *p = rb_entry(n, struct ramfs_page, node);
		n = rb_next(n);
		page_free(rf, p);
		if (preempt && ++freed % RAMFS_BATCH == 0)
			(void)sched_checkpoint();
	}
	if (tail)
		memset(tail->data + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
	ino->size = size;
	return 0;
}

/*
 * After a failed or short write that stopped at @at: a page allocated for it
 * wholly past the end of the file holds nothing a reader can see, so it goes
 * (the write left no memory behind).
 */
static void truncate_unused_locked(struct inode *ino, uint64_t size, uint64_t at)
{
	struct ramfs_file *rf = ino->priv;
	uint64_t first_unused = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	struct ramfs_page *p = at / PAGE_SIZE >= first_unused ? page_find(rf, at / PAGE_SIZE) : NULL;
	if (p)
		page_free(rf, p);
}

static int ramfs_truncate(struct inode *ino, uint64_t size)
{
	mutex_lock(&ino->lock);
	int err = truncate_locked(ino, size, true);
	if (!err)
		ino->mtime = ino->ctime = fs_now();
	mutex_unlock(&ino->lock);
	return err;
}

static void dir_clear_locked(struct inode *dir);

static void ramfs_evict(struct inode *ino)
{
	/*
	 * Eviction may sleep (a directory's takes mutexes), so a big file's
	 * pages can go with preemption points: removing a 500 MiB file does not
	 * hold the CPU for its whole length.
	 */
	if (ino->type == INODE_FILE && ino->priv) {
		mutex_lock(&ino->lock); /* uncontended: nobody else holds a reference */
		(void)truncate_locked(ino, 0, true); /* to 0: no page is written, nothing can fail */
		mutex_unlock(&ino->lock);
	}
	/* Only a root goes with entries left (removed directories were emptied first). */
	if (ino->type == INODE_DIR && ino->priv)
		dir_clear_locked(ino);
	kfree(ino->priv);
}

/*
 * Copy between a file (locked) and a buffer, page by page. @user selects a
 * user buffer (copy_*_user, faults give -EFAULT) or a kernel one, and makes
 * every page a preemption and kill point (a killed caller stops with -EINTR).
 * *@done gets the bytes copied, also on failure.
 */
static int file_copy(struct inode *ino, uint64_t off, void *buf, uint64_t len, bool to_file, bool user,
		     uint64_t *done_out)
{
	struct ramfs_file *rf = ino->priv;
	uint64_t done = 0;
	*done_out = 0;
	while (done < len) {
		if (user && done && sched_checkpoint())
			return -EINTR;
		uint64_t at = off + done, in = at % PAGE_SIZE;
		uint64_t n = PAGE_SIZE - in;
		if (n > len - done)
			n = len - done;
		uint8_t *b = (uint8_t *)buf + done;
		int err = 0;
		if (to_file) {
			struct ramfs_page *p = page_get_or_add(rf, at / PAGE_SIZE);
			if (!p || page_unshare(p))
				return -ENOMEM;
			if (user)
				err = copy_from_user(p->data + in, (const void __user *)b, n);
			else
				memcpy(p->data + in, b, n);
		} else {
			struct ramfs_page *p = page_find(rf, at / PAGE_SIZE);
			if (user)
				err = p ? copy_to_user((void __user *)b, p->data + in, n) : clear_user((void __user *)b, n);
			else if (p)
				memcpy(b, p->data + in, n);
			else
				memset(b, 0, n);
		}
		if (err)
			return err;
		done += n;
		*done_out = done;
	}
	return 0;
}

static int64_t ramfs_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct inode *ino = f->inode;
	mutex_lock(&ino->lock);
	uint64_t n = 0;
	if (*pos < ino->size) {
		n = ino->size - *pos;
		if (n > count)
			n = count;
	}
	uint64_t done = 0;
	int err = n ? file_copy(ino, *pos, (void *)buf, n, false, true, &done) : 0;
	/* Interrupted by a kill after some progress: report that progress (never seen anyway). */
	if (err == -EINTR && done)
		err = 0;
	if (!err) {
		*pos += done;
		ino->atime = fs_now();
	}
	mutex_unlock(&ino->lock);
	return err ? err : (int64_t)done;
}

static int64_t ramfs_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	struct inode *ino = f->inode;
	mutex_lock(&ino->lock);
	if (f->flags & PATH_FLAG_APPEND)
		*pos = ino->size;
	if (*pos + count < *pos || *pos + count > (uint64_t)INT64_MAX) {
		mutex_unlock(&ino->lock);
		return -EFBIG;
	}
	uint64_t old_size = ino->size, done = 0;
	int err = file_copy(ino, *pos, (void *)buf, count, true, true, &done);
	/*
	 * Out of memory (or killed, or a fault) part way: a short write of what
	 * was copied, as POSIX does; nothing is kept beyond it. With no progress
	 * the call fails and the file is as it was.
	 */
	if (err && done)
		err = 0;
	if (err) {
		truncate_unused_locked(ino, old_size, *pos);
	} else {
		*pos += done;
		/* OUR CHOICE (spec §11 row 19): no stray NUL; the size is max(old, end). */
		if (*pos > ino->size)
			ino->size = *pos;
		ino->mtime = ino->ctime = fs_now();
		if (done < count)
			truncate_unused_locked(ino, ino->size, *pos);
	}
	mutex_unlock(&ino->lock);
	return err ? err : (int64_t)done;
}

int64_t fs_seek_generic(uint64_t size, int64_t offset, uint8_t origin, uint64_t *pos)
{
	int64_t base = origin == SEEK_SET ? 0 : origin == SEEK_CUR ? (int64_t)*pos : (int64_t)size;
	int64_t r;
	/* OUR CHOICE (spec §7 number 14): no wrap-around, no negative position. */
	if (origin > SEEK_END || __builtin_add_overflow(base, offset, &r) || r < 0)
		return -EINVAL;
	*pos = (uint64_t)r;
	return r;
}

static int64_t ramfs_seek(struct file *f, int64_t offset, uint8_t origin, uint64_t *pos)
{
	struct inode *ino = f->inode;
	mutex_lock(&ino->lock);
	uint64_t size = ino->size;
	mutex_unlock(&ino->lock);
	return fs_seek_generic(size, offset, origin, pos);
}

int64_t fs_dir_seek(struct file *f, int64_t offset, uint8_t origin, uint64_t *pos)
{
	return fs_seek_generic(0, offset, origin, pos);
}

int ramfs_read_kernel(struct inode *ino, void *buf, uint64_t off, uint64_t len)
{
	if (ino->sb != &ramfs_sb || ino->type != INODE_FILE)
		return -ENOSYS;
	mutex_lock(&ino->lock);
	uint64_t done;
	int err = off + len > ino->size ? -EIO : file_copy(ino, off, buf, len, false, false, &done);
	mutex_unlock(&ino->lock);
	return err;
}

int ramfs_map_pages(struct inode *ino, uint64_t *size_out, paddr_t **frames_out)
{
	if (ino->sb != &ramfs_sb || ino->type != INODE_FILE)
		return -ENOSYS;
	mutex_lock(&ino->lock);
	uint64_t size = ino->size, npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	paddr_t *frames = kzalloc((npages ? npages : 1) * sizeof(paddr_t));
	if (!frames) {
		mutex_unlock(&ino->lock);
		return -ENOMEM;
	}
	struct ramfs_file *rf = ino->priv;
	/* In index order: the tree's pages below npages (none lies beyond the size). */
	for (struct rb_node *n = rb_first(&rf->pages); n; n = rb_next(n)) {
		struct ramfs_page *p = rb_entry(n, struct ramfs_page, node);
		if (p->index >= npages)
			break;
		frames[p->index] = virt_to_phys_direct(p->data);
		pmm_page_get(frames[p->index]);
	}
	mutex_unlock(&ino->lock);
	*size_out = size;
	*frames_out = frames;
	return 0;
}

static const struct inode_ops ramfs_dir_ops = {
	.lookup = ramfs_lookup,
	.create = ramfs_create,
	.link = ramfs_link,
	.remove = ramfs_remove,
	.readdir = ramfs_readdir,
	.parent = ramfs_parent,
	.evict = ramfs_evict,
};

static const struct inode_ops ramfs_file_ops = {
	.truncate = ramfs_truncate,
	.evict = ramfs_evict,
};

static const struct file_ops ramfs_fops = {
	.read = ramfs_read,
	.write = ramfs_write,
	.seek = ramfs_seek,
};

static const struct file_ops ramfs_dir_fops = {
	.seek = fs_dir_seek,
};

/* ---- boot: unpack the cpio archive ---- */

/* The child @name of @dir, created (as a directory when @is_dir) if missing. */
static struct inode *get_or_create(struct inode *dir, const char *name, size_t len, bool is_dir)
{
	struct inode *ino;
	if (ramfs_lookup(dir, name, len, &ino) == 0)
		return ino;
	if (ramfs_create(dir, name, len, is_dir, &ino) == 0)
		return ino;
	return NULL;
}

int ramfs_unpack(struct inode *root, const void *archive, uint64_t size)
{
	size_t off = 0;
	struct cpio_entry e;
	const char *why;
	int r, files = 0;
	while ((r = cpio_next(archive, size, &off, &e, &why)) == 1) {
		const char *p = e.name, *end = e.name + e.name_len;
		bool is_dir = (e.mode & CPIO_MODE_TYPE) == CPIO_MODE_DIR;
		if ((e.mode & CPIO_MODE_TYPE) != CPIO_MODE_DIR && (e.mode & CPIO_MODE_TYPE) != CPIO_MODE_REG)
			continue;
		struct inode *cur = root;
		inode_get(cur);
		while (p < end && cur) {
			while (p < end && *p == '/')
				p++;
			const char *s = p;
			while (p < end && *p != '/')
				p++;
			size_t len = (size_t)(p - s);
			if (len == 0 || (len == 1 && s[0] == '.'))
				continue;
			bool last = p >= end;
			struct inode *next = len < MAX_NAME && cur->type == INODE_DIR
						     ? get_or_create(cur, s, len, last ? is_dir : true)
						     : NULL;
			inode_put(cur);
			cur = next;
		}
		if (!cur) {
			kprintf("fs: cannot unpack %.*s\n", (int)e.name_len, e.name);
			continue;
		}
		if (!is_dir && cur->type == INODE_FILE) {
			mutex_lock(&cur->lock);
			uint64_t done;
			int err = file_copy(cur, 0, (void *)e.data, e.size, true, false, &done);
			if (!err) {
				cur->size = e.size;
				/* Boot files predate the clock (spec §7 number 18): times stay 0. */
				cur->atime = cur->mtime = cur->ctime = cur->crtime = 0;
			}
			mutex_unlock(&cur->lock);
			if (err) {
				inode_put(cur);
				return err;
			}
			files++;
		}
		inode_put(cur);
	}
	if (r < 0) {
		kprintf("fs: root archive malformed: %s\n", why);
		return -EINVAL;
	}
	kprintf("fs: root filesystem: %d files from a %lu byte archive\n", files, size);
	return 0;
}
