// SPDX-License-Identifier: MIT
// The VFS: path resolution in a process's namespace (through the pure rules
// of fs/resolve.c), open with the flag semantics of spec §5.3, stat, remove,
// link, chdir, getdents and the path of a location.
// Locks: takes fs_context->lock and namespace->lock briefly (never across a
// filesystem call); filesystems take their inode mutexes.
#include "fs/internal.h"

#include "fs/path.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"

struct mount *fs_root_mount;
struct namespace *fs_kernel_ns;

/* ---- the resolve_ops over inodes and mounts; ctx is the namespace ---- */

static bool op_is_dir(void *ctx, struct rloc l)
{
	return ((struct inode *)l.node)->type == INODE_DIR;
}

static int op_lookup(void *ctx, struct rloc dir, const char *name, size_t len, struct rloc *out)
{
	struct inode *d = dir.node, *child;
	if (!d->ops->lookup)
		return -ENOENT;
	int err = d->ops->lookup(d, name, len, &child);
	if (err)
		return err;
	mount_get(dir.mnt);
	out->mnt = dir.mnt;
	out->node = child;
	return 0;
}

static bool op_mounted_on(void *ctx, struct rloc l, struct rloc *out)
{
	struct mount *m = ns_find_mount(ctx, l.node);
	if (!m)
		return false;
	inode_get(m->root);
	out->mnt = m;
	out->node = m->root;
	return true;
}

static bool op_is_mount_root(void *ctx, struct rloc l)
{
	return ((struct mount *)l.mnt)->root == l.node;
}

static bool op_mountpoint(void *ctx, struct rloc l, struct rloc *out)
{
	struct mount *m = l.mnt;
	if (!m->mountpoint)
		return false;
	mount_get(m->parent);
	inode_get(m->mountpoint);
	out->mnt = m->parent;
	out->node = m->mountpoint;
	return true;
}

static int op_parent(void *ctx, struct rloc l, struct rloc *out)
{
	struct inode *d = l.node, *p;
	if (!d->ops->parent)
		return -ENOENT;
	int err = d->ops->parent(d, &p);
	if (err)
		return err;
	mount_get(l.mnt);
	out->mnt = l.mnt;
	out->node = p;
	return 0;
}

static void op_get(void *ctx, struct rloc l)
{
	loc_get((struct vfs_loc){ l.mnt, l.node });
}

static void op_put(void *ctx, struct rloc l)
{
	loc_put((struct vfs_loc){ l.mnt, l.node });
}

static const struct resolve_ops vfs_resolve_ops = {
	.is_dir = op_is_dir,
	.lookup = op_lookup,
	.mounted_on = op_mounted_on,
	.is_mount_root = op_is_mount_root,
	.mountpoint = op_mountpoint,
	.parent = op_parent,
	.get = op_get,
	.put = op_put,
};

static struct rloc to_rloc(struct vfs_loc l)
{
	return (struct rloc){ l.mnt, l.inode };
}

static struct vfs_loc to_loc(struct rloc l)
{
	return (struct vfs_loc){ l.mnt, l.node };
}

int vfs_lookup_init(struct vfs_lookup *lk, struct process *p, const struct vfs_loc *from)
{
	struct fs_context *ctx = p->fs;
	if (!ctx)
		return -ENOENT;
	irqflags_t f = spin_lock_irqsave(&ctx->lock);
	struct namespace *ns = ctx->ns;
	struct vfs_loc cwd = ctx->cwd;
	if (!ns) {
		spin_unlock_irqrestore(&ctx->lock, f);
		return -ENOENT; /* the process has ended */
	}
	ns_get(ns);
	if (cwd.mnt)
		loc_get(cwd);
	spin_unlock_irqrestore(&ctx->lock, f);
	lk->ns = ns;
	lk->root = (struct vfs_loc){ ns->root, ns->root->root };
	loc_get(lk->root);
	if (from) {
		if (cwd.mnt)
			loc_put(cwd);
		cwd = *from;
		loc_get(cwd);
	}
	if (!cwd.mnt) {
		/* No working directory: resolution starts at the root (spec §5.2). */
		cwd = lk->root;
		loc_get(cwd);
	}
	lk->start = cwd;
	return 0;
}

void vfs_lookup_done(struct vfs_lookup *lk)
{
	loc_put(lk->start);
	loc_put(lk->root);
	ns_put(lk->ns);
}

static void env_of(struct vfs_lookup *lk, struct resolve_env *env)
{
	env->ops = &vfs_resolve_ops;
	env->ctx = lk->ns;
	env->root = to_rloc(lk->root);
	env->start = to_rloc(lk->start);
}

int vfs_walk(struct vfs_lookup *lk, const char *pathname, struct vfs_loc *out, char *name_out)
{
	struct resolve_env env;
	struct rloc r;
	env_of(lk, &env);
	int err = resolve_walk(&env, pathname, &r, name_out);
	if (!err)
		*out = to_loc(r);
	return err;
}

int vfs_walk_parent(struct vfs_lookup *lk, const char *pathname, struct vfs_loc *parent, char *name_out)
{
	struct resolve_env env;
	struct rloc r;
	env_of(lk, &env);
	int err = resolve_parent(&env, pathname, &r, name_out);
	if (!err)
		*parent = to_loc(r);
	return err;
}

/* The child @name of directory @dir without following mounts (parent + last name mode). */
static int lookup_last(struct vfs_loc dir, const char *name, struct vfs_loc *out)
{
	struct rloc r;
	int err = op_lookup(NULL, to_rloc(dir), name, strlen(name), &r);
	if (!err)
		*out = to_loc(r);
	return err;
}

/*
 * The checks every open makes, in the spec's order, and the open file's
 * flags: exactly the permissions asked for, or all the mount allows.
 */
static int open_check(struct vfs_loc loc, uint32_t *flags)
{
	struct inode *ino = loc.inode;
	uint32_t req = *flags & PATH_FLAG_PERMS;
	if (req & ~loc.mnt->perms)
		return -EACCES;
	if ((*flags & PATH_FLAG_DIRECTORY) && ino->type != INODE_DIR)
		return -ENOTDIR;
	if (!(*flags & PATH_FLAG_DIRECTORY) && ino->type == INODE_DIR)
		return -EISDIR;
	/*
	 * Truncation needs no write request (PW, kept in vfs_open_loc), but it
	 * does need a mount that allows writing: a read-only binding is a
	 * read-only view (spec §7 number 32), and must not let anyone empty the
	 * files it shows.
	 */
	if ((*flags & PATH_FLAG_TRUNCATE) && ino->type == INODE_FILE && !(loc.mnt->perms & PATH_FLAG_WRITE))
		return -EACCES;
	*flags = (*flags & ~PATH_FLAG_PERMS) | (req ? req : loc.mnt->perms);
	return 0;
}

int vfs_open_loc(struct vfs_loc loc, uint32_t flags, struct file **out)
{
	struct inode *ino = loc.inode;
	int check = open_check(loc, &flags);
	if (check)
		return check;
	/* PW truncates even without write permission; kept (spec §5.3). */
	if ((flags & PATH_FLAG_TRUNCATE) && ino->type == INODE_FILE && ino->ops->truncate) {
		int err = ino->ops->truncate(ino, 0);
		if (err)
			return err;
	}
	loc_get(loc);
	struct file *f = file_alloc(ino, loc.mnt, flags);
	if (!f) {
		loc_put(loc);
		return -ENOMEM;
	}
	if (ino->ops->open) {
		int err = ino->ops->open(ino, f);
		if (err) {
			f->ops = NULL; /* nothing to release: the hook failed */
			file_put(f);
			return err;
		}
	}
	mutex_lock(&ino->lock);
	ino->atime = fs_now();
	mutex_unlock(&ino->lock);
	*out = f;
	return 0;
}

/*
 * Find (or with create, make) the object @pathname names, for open.
 * Creation happens in "parent + last name" mode (spec §5.2); an existing
 * final name is then treated like a normal resolution (mounts followed).
 */
static int open_target(struct vfs_lookup *lk, const char *pathname, uint32_t flags, struct vfs_loc *out)
{
	if (!(flags & PATH_FLAG_CREATE))
		return vfs_walk(lk, pathname, out, NULL);

	struct vfs_loc parent, child;
	char name[MAX_NAME];
	int err = vfs_walk_parent(lk, pathname, &parent, name);
	if (err)
		return err;
	err = lookup_last(parent, name, &child);
	if (!err) {
		if (flags & PATH_FLAG_EXCLUSIVE) {
			loc_put(child);
			err = -EEXIST;
		} else {
			struct resolve_env env;
			struct rloc r = to_rloc(child);
			env_of(lk, &env);
			resolve_follow_mount(&env, &r);
			*out = to_loc(r);
		}
	} else if (err == -ENOENT) {
		struct inode *dir = parent.inode, *ino;
		if (!dir->ops->create)
			err = -ENOSYS;
		else if (!(parent.mnt->perms & PATH_FLAG_WRITE))
			err = -EACCES; /* OUR CHOICE (spec §5.3): nothing is created */
		else
			err = dir->ops->create(dir, name, strlen(name), flags & PATH_FLAG_DIRECTORY, &ino);
		if (!err) {
			mount_get(parent.mnt);
			*out = (struct vfs_loc){ parent.mnt, ino };
		}
	}
	loc_put(parent);
	return err;
}

int vfs_open(struct vfs_lookup *lk, const char *pathname, uint32_t flags, struct file **out)
{
	struct vfs_loc loc;
	int err = open_target(lk, pathname, flags, &loc);
	if (err)
		return err;
	err = vfs_open_loc(loc, flags, out);
	loc_put(loc);
	return err;
}

int vfs_open2(struct vfs_lookup *lk, const char *pathname, uint32_t flags, struct file *out[2])
{
	struct vfs_loc loc;
	int err = open_target(lk, pathname, flags, &loc);
	if (err)
		return err;
	struct inode *ino = loc.inode;
	if (!ino->ops->open2) {
		/* OUR CHOICE (spec §7 number 10): two ordinary opens, each with its hook. */
		err = vfs_open_loc(loc, flags, &out[0]);
		if (!err) {
			err = vfs_open_loc(loc, flags, &out[1]);
			if (err)
				file_put(out[0]);
		}
		loc_put(loc);
		return err;
	}
	/* A paired device: the checks of a normal open, then one hook for both files. */
	struct file *f[2] = { NULL, NULL };
	err = open_check(loc, &flags);
	if (err)
		goto out;
	for (int i = 0; i < 2; i++) {
		loc_get(loc);
		f[i] = file_alloc(ino, loc.mnt, flags);
		if (!f[i]) {
			loc_put(loc);
			err = -ENOMEM;
			goto fail;
		}
		f[i]->ops = NULL; /* set by the hook */
	}
	err = ino->ops->open2(ino, f);
	if (err)
		goto fail;
	out[0] = f[0];
	out[1] = f[1];
	goto out;
fail:
	for (int i = 0; i < 2; i++) {
		if (f[i]) {
			f[i]->ops = NULL;
			file_put(f[i]);
		}
	}
out:
	loc_put(loc);
	return err;
}

/* The stat/dirent name of @loc reached through the name @last (spec §7 number 18). */
static void name_of(struct vfs_loc loc, const char *last, char *out)
{
	const char *n = loc.inode == loc.mnt->root ? "__root__"
			: (loc.inode->type == INODE_DIR || !last[0]) ? loc.inode->name
									: last;
	strlcpy(out, n, MAX_NAME);
}

int vfs_stat(struct vfs_lookup *lk, const char *pathname, struct abi_stat *st)
{
	struct vfs_loc loc;
	char last[MAX_NAME];
	int err = vfs_walk(lk, pathname, &loc, last);
	if (err)
		return err;
	if (!(loc.mnt->perms & PATH_FLAG_READ)) {
		loc_put(loc);
		return -EACCES;
	}
	struct inode *ino = loc.inode;
	memset(st, 0, sizeof(*st));
	mutex_lock(&ino->lock);
	st->number = ino->number;
	st->type = ino->type;
	st->size = ino->type == INODE_FILE ? ino->size : 0;
	st->blocks = 0;
	st->link_amount = ino->nlink;
	st->access_time = ino->atime;
	st->modify_time = ino->mtime;
	st->change_time = ino->ctime;
	st->create_time = ino->crtime;
	mutex_unlock(&ino->lock);
	name_of(loc, last, st->name);
	loc_put(loc);
	return 0;
}

int vfs_remove(struct vfs_lookup *lk, const char *pathname, uint32_t flags)
{
	struct vfs_loc parent, target;
	char name[MAX_NAME];
	int err = vfs_walk_parent(lk, pathname, &parent, name);
	if (err)
		return err;
	err = lookup_last(parent, name, &target);
	if (err)
		goto out_parent;
	bool is_dir = target.inode->type == INODE_DIR;
	if ((flags & PATH_FLAG_DIRECTORY) && !is_dir)
		err = -ENOTDIR;
	else if (!(flags & PATH_FLAG_DIRECTORY) && is_dir)
		err = -EISDIR;
	else if (!(parent.mnt->perms & PATH_FLAG_WRITE))
		err = -EACCES;
	else if (!parent.inode->ops->remove)
		err = -ENOSYS;
	else if (__atomic_load_n(&target.inode->mounted, __ATOMIC_ACQUIRE))
		err = -EBUSY; /* OUR CHOICE: a mount point in any namespace stays */
	else
		err = parent.inode->ops->remove(parent.inode, name, strlen(name), flags & PATH_FLAG_RECURSIVE);
	loc_put(target);
out_parent:
	loc_put(parent);
	return err;
}

int vfs_link(struct vfs_lookup *lk, const char *oldpath, const char *newpath)
{
	struct vfs_loc oldp, newp, target;
	char oldname[MAX_NAME], newname[MAX_NAME];
	int err = vfs_walk_parent(lk, oldpath, &oldp, oldname);
	if (err)
		return err;
	err = vfs_walk_parent(lk, newpath, &newp, newname);
	if (err)
		goto out_old;
	if (oldp.inode->sb != newp.inode->sb) {
		err = -EXDEV;
		goto out_new;
	}
	err = lookup_last(oldp, oldname, &target);
	if (err)
		goto out_new;
	if (target.inode->type == INODE_DIR)
		err = -EISDIR;
	else if (!newp.inode->ops->link)
		err = -ENOSYS;
	else if (!(oldp.mnt->perms & PATH_FLAG_READ) || !(newp.mnt->perms & PATH_FLAG_WRITE))
		err = -EACCES;
	else
		err = newp.inode->ops->link(newp.inode, newname, strlen(newname), target.inode);
	loc_put(target);
out_new:
	loc_put(newp);
out_old:
	loc_put(oldp);
	return err;
}

int vfs_chdir(struct process *p, const char *pathname)
{
	struct vfs_lookup lk;
	struct vfs_loc loc;
	int err = vfs_lookup_init(&lk, p, NULL);
	if (err)
		return err;
	err = vfs_walk(&lk, pathname, &loc, NULL);
	vfs_lookup_done(&lk);
	if (err)
		return err;
	if (loc.inode->type != INODE_DIR) {
		loc_put(loc);
		return -ENOTDIR;
	}
	struct fs_context *ctx = p->fs;
	irqflags_t f = spin_lock_irqsave(&ctx->lock);
	struct vfs_loc old = ctx->cwd;
	if (ctx->dead) {
		old = loc; /* dropped below: a dead process keeps no cwd */
	} else {
		ctx->cwd = loc;
	}
	spin_unlock_irqrestore(&ctx->lock, f);
	if (old.mnt)
		loc_put(old);
	return 0;
}

int vfs_path_of(struct namespace *ns, struct vfs_loc loc, char *buf, size_t len)
{
	/* Build right to left: each step prepends "/name". */
	char tmp[MAX_PATH];
	size_t at = sizeof(tmp) - 1;
	struct vfs_loc root = { ns->root, ns->root->root };
	struct vfs_loc cur = loc;
	tmp[at] = '\0';
	loc_get(cur);
	for (int i = 0; i < RESOLVE_MAX_CLIMB; i++) {
		if (cur.mnt == root.mnt && cur.inode == root.inode)
			break;
		if (cur.inode == cur.mnt->root) {
			if (!cur.mnt->mountpoint)
				break;
			struct vfs_loc up = { cur.mnt->parent, cur.mnt->mountpoint };
			loc_get(up);
			loc_put(cur);
			cur = up;
			continue;
		}
		size_t n = strlen(cur.inode->name);
		if (n + 1 > at) {
			loc_put(cur);
			return -ENAMETOOLONG;
		}
		at -= n;
		memcpy(tmp + at, cur.inode->name, n);
		tmp[--at] = '/';
		struct inode *p;
		int err = cur.inode->ops->parent ? cur.inode->ops->parent(cur.inode, &p) : -ENOENT;
		if (err) {
			loc_put(cur);
			return err;
		}
		mount_get(cur.mnt);
		struct vfs_loc up = { cur.mnt, p };
		loc_put(cur);
		cur = up;
	}
	loc_put(cur);
	if (tmp[at] == '\0')
		tmp[--at] = '/';
	size_t n = sizeof(tmp) - 1 - at;
	if (n + 1 > len)
		return -ENAMETOOLONG;
	memcpy(buf, tmp + at, n + 1);
	return (int)n;
}

/* ---- getdents: a virtual array of records regenerated per call ---- */

struct dents_ctx {
	uint64_t index;        /* of the next record produced */
	uint64_t first;        /* first record to copy */
	uint64_t max;          /* records that fit */
	uint64_t copied;
	struct abi_dirent __user *buf;
	bool recursive;
	char prefix[MAX_PATH]; /* "sub/deeper/" in recursive listings */
	size_t prefix_len;
	int err;
};

/* Produce one record; non-zero stops the listing (buffer full or fault). */
static int dents_put(struct dents_ctx *c, const char *name, uint64_t number, uint32_t type)
{
	if (c->copied >= c->max)
		return 1;
	if (c->index++ < c->first)
		return 0;
	struct abi_dirent d;
	memset(&d, 0, sizeof(d));
	d.number = number;
	d.type = type;
	size_t n = strlen(name);
	if (c->prefix_len + n >= MAX_PATH)
		n = MAX_PATH - 1 - c->prefix_len;
	memcpy(d.path, c->prefix, c->prefix_len);
	memcpy(d.path + c->prefix_len, name, n);
	int err = copy_to_user(&c->buf[c->copied], &d, sizeof(d));
	if (err) {
		c->err = err;
		return 1;
	}
	c->copied++;
	return 0;
}

/*
 * A recursive listing recurses (dents_emit -> readdir -> dents_emit), with a
 * proven small bound rather than an explicit stack: each level appends at
 * least two bytes ("x/") to a prefix that must stay below MAX_PATH, so there
 * are at most (MAX_PATH - 1) / 2 = 127 levels, whatever the tree's depth
 * (deeper directories are listed up to that point). A level costs two
 * frames of 64 bytes (dents_emit and ramfs_readdir, both register-only:
 * 6 saved registers, alignment slot, return address), 16 KiB in all, half
 * of the 32 KiB kernel stack. An iterative walk would have to re-scan a
 * directory after each subdirectory (readdir has no resume point), turning
 * a wide directory into quadratic work under its lock. The path holds one
 * directory mutex per level, parent before child, as every walk does.
 */
static int dents_emit(void *arg, const char *name, struct inode *child)
{
	struct dents_ctx *c = arg;
	/*
	 * Every record (also the skipped ones before the position) is a
	 * preemption and kill point: a listing is as long as the directory.
	 * Called under the directory's mutex at most, where sleeping is fine.
	 */
	if (sched_checkpoint())
		return 1;
	if (dents_put(c, name, child->number, child->type))
		return 1;
	if (!c->recursive || child->type != INODE_DIR || !child->ops->readdir)
		return 0;
	size_t saved = c->prefix_len, n = strlen(name);
	if (saved + n + 1 >= MAX_PATH)
		return 0;
	memcpy(c->prefix + saved, name, n);
	c->prefix[saved + n] = '/';
	c->prefix_len = saved + n + 1;
	int r = child->ops->readdir(child, dents_emit, c);
	c->prefix_len = saved;
	return r;
}

int64_t vfs_getdents(struct file *f, struct abi_dirent __user *buf, uint64_t count)
{
	struct inode *ino = f->inode;
	struct mount *mnt = f->mount;
	if (!f->is_dir)
		return -ENOTDIR;
	if (!ino->ops->readdir)
		return -ENOSYS;
	if (!(f->flags & PATH_FLAG_READ))
		return -EBADF;
	if (__atomic_load_n(&ino->removed, __ATOMIC_ACQUIRE))
		return -ENOENT; /* OUR CHOICE (spec §11 row 46) */
	if (count == 0)
		return 0;
	if (count < sizeof(struct abi_dirent))
		return -EINVAL; /* OUR CHOICE (spec §11 row 27) */

	struct dents_ctx *c = kzalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	mutex_lock(&f->pos_lock);
	c->first = f->pos / sizeof(struct abi_dirent);
	c->max = count / sizeof(struct abi_dirent);
	c->buf = buf;
	c->recursive = f->flags & PATH_FLAG_RECURSIVE;
	/* "." and "..": a filesystem root is its own parent (spec §7 number 22). */
	uint64_t parent_number = ino->number;
	if (ino != mnt->root && ino->ops->parent) {
		struct inode *p;
		if (ino->ops->parent(ino, &p) == 0) {
			parent_number = p->number;
			inode_put(p);
		}
	}
	if (!dents_put(c, ".", ino->number, INODE_DIR) && !dents_put(c, "..", parent_number, INODE_DIR))
		ino->ops->readdir(ino, dents_emit, c);
	int64_t r = c->err ? c->err : (int64_t)(c->copied * sizeof(struct abi_dirent));
	if (r > 0)
		f->pos += (uint64_t)r;
	mutex_unlock(&f->pos_lock);
	kfree(c);
	if (r >= 0) {
		mutex_lock(&ino->lock);
		ino->atime = fs_now();
		mutex_unlock(&ino->lock);
	}
	return r;
}
