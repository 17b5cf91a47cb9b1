// SPDX-License-Identifier: MIT
// /proc/<pid>/env/ (spec §8.5, §9.7): one regular file per environment
// variable, named after it, holding its value. Created with ":c", read,
// written, seeked and truncated like a file, removed with SYS_REMOVE; copied
// to a child by SPAWN unless SPAWN_EMPTY_ENV. No subdirectories (EINVAL).
// Locks: env->lock (a mutex) guards the variable list and every value.
#include "fs/internal.h"

#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/uaccess.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"

struct env_var {
	struct env_var *next;   /* creation order: the listing order */
	char name[MAX_NAME];
	uint8_t *data;
	uint64_t size, cap;
};

/*
 * Bounds (issue 13): SPAWN copies every variable, so a process's environment
 * is limited in count and in total size; one variable may use the whole size.
 * Past a bound, creating or growing a variable fails with ENOMEM (the error
 * §7 gives OPEN with "create" and WRITE), and nothing changes.
 */
#define ENV_MAX_VARS 256
#define ENV_MAX_BYTES (1ULL << 20)

struct env {
	struct mutex lock;
	struct env_var *vars;
	/* Guarded by: lock */
	uint64_t count;
	uint64_t bytes; /* sum of the variables' sizes */
};

/* What an env directory or file inode refers to. */
struct env_ref {
	struct process *proc;   /* a reference */
	char name[MAX_NAME];    /* the variable, for a file inode */
};

static struct superblock env_sb = { .name = "procfs" };
static const struct inode_ops env_dir_ops, env_file_ops;
static const struct file_ops env_dir_fops, env_file_fops;

/* The store of @p, created on first use. NULL when out of memory. */
static struct env *env_of(struct process *p)
{
	struct env *e = __atomic_load_n((struct env **)&p->env, __ATOMIC_ACQUIRE);
	if (e)
		return e;
	struct env *fresh = kzalloc(sizeof(*fresh));
	if (!fresh)
		return NULL;
	mutex_init(&fresh->lock);
	struct env *expected = NULL;
	if (!__atomic_compare_exchange_n((struct env **)&p->env, &expected, fresh, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		kfree(fresh);
		return expected;
	}
	return fresh;
}

static struct env_var *find(struct env *e, const char *name, size_t len)
{
	for (struct env_var *v = e->vars; v; v = v->next)
		if (strlen(v->name) == len && memcmp(v->name, name, len) == 0)
			return v;
	return NULL;
}

static void var_free(struct env_var *v)
{
	kfree(v->data);
	kfree(v);
}

void env_free(struct process *p)
{
	struct env *e = p->env;
	if (!e)
		return;
	while (e->vars) {
		struct env_var *v = e->vars;
		e->vars = v->next;
		var_free(v);
	}
	kfree(e);
	p->env = NULL;
}

int env_copy(struct process *child, struct process *parent)
{
	struct env *src = parent ? parent->env : NULL;
	if (!src)
		return 0;
	struct env *dst = env_of(child);
	if (!dst)
		return -ENOMEM;
	int err = 0;
	struct env_var **tail = &dst->vars;
	mutex_lock(&src->lock);
	for (struct env_var *v = src->vars; v && !err; v = v->next) {
		struct env_var *c = kzalloc(sizeof(*c));
		uint8_t *data = v->size ? kmalloc(v->size) : NULL;
		if (!c || (v->size && !data)) {
			kfree(c);
			kfree(data);
			err = -ENOMEM;
			break;
		}
		memcpy(c->name, v->name, sizeof(c->name));
		if (v->size)
			memcpy(data, v->data, v->size);
		c->data = data;
		c->size = c->cap = v->size;
		*tail = c;
		tail = &c->next;
		dst->count++;
		dst->bytes += v->size;
		(void)sched_checkpoint(); /* up to ENV_MAX_BYTES to copy: stay preemptible */
	}
	mutex_unlock(&src->lock);
	return err;
}

static struct inode *ref_inode(struct process *p, uint32_t type, const char *name, size_t len)
{
	struct env_ref *r = kzalloc(sizeof(*r));
	if (!r)
		return NULL;
	struct inode *ino = type == INODE_DIR
				    ? inode_alloc(&env_sb, INODE_DIR, &env_dir_ops, &env_dir_fops, "env", 3)
				    : inode_alloc(&env_sb, INODE_FILE, &env_file_ops, &env_file_fops, name, len);
	if (!ino) {
		kfree(r);
		return NULL;
	}
	process_ref(p);
	r->proc = p;
	if (type != INODE_DIR)
		memcpy(r->name, name, len);
	ino->priv = r;
	return ino;
}

struct inode *env_dir_inode(struct process *p)
{
	return ref_inode(p, INODE_DIR, NULL, 0);
}

static void env_evict(struct inode *ino)
{
	struct env_ref *r = ino->priv;
	process_put(r->proc);
	kfree(r);
}

static int env_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct env_ref *r = dir->priv;
	struct env *e = env_of(r->proc);
	if (!e)
		return -ENOMEM;
	mutex_lock(&e->lock);
	struct env_var *v = find(e, name, len);
	uint64_t size = v ? v->size : 0;
	mutex_unlock(&e->lock);
	if (!v)
		return -ENOENT;
	*out = ref_inode(r->proc, INODE_FILE, name, len);
	if (!*out)
		return -ENOMEM;
	(*out)->size = size; /* what STAT reports, as of this lookup */
	return 0;
}

static int env_create(struct inode *dir, const char *name, size_t len, bool is_dir, struct inode **out)
{
	if (is_dir)
		return -EINVAL; /* spec §8.5: no subdirectories */
	struct env_ref *r = dir->priv;
	struct env *e = env_of(r->proc);
	struct env_var *v = kzalloc(sizeof(*v));
	/* Everything that can fail first: a failed create leaves no variable behind. */
	struct inode *ino = ref_inode(r->proc, INODE_FILE, name, len);
	int err = 0;
	if (!e || !v || !ino) {
		err = -ENOMEM;
		goto err_free;
	}
	memcpy(v->name, name, len);
	mutex_lock(&e->lock);
	if (find(e, name, len))
		err = -EEXIST;
	else if (e->count >= ENV_MAX_VARS)
		err = -ENOMEM;
	if (err) {
		mutex_unlock(&e->lock);
		goto err_free;
	}
	struct env_var **tail = &e->vars;
	while (*tail)
		tail = &(*tail)->next;
	*tail = v;
	e->count++;
	mutex_unlock(&e->lock);
	*out = ino;
	return 0;
err_free:
	if (ino)
		inode_put(ino);
	kfree(v);
	return err;
}

static int env_remove(struct inode *dir, const char *name, size_t len, bool recursive)
{
	struct env_ref *r = dir->priv;
	struct env *e = env_of(r->proc);
	if (!e)
		return -ENOMEM;
	mutex_lock(&e->lock);
	for (struct env_var **link = &e->vars; *link; link = &(*link)->next) {
		struct env_var *v = *link;
		if (strlen(v->name) == len && memcmp(v->name, name, len) == 0) {
			*link = v->next;
			e->count--;
			e->bytes -= v->size;
			mutex_unlock(&e->lock);
			var_free(v);
			return 0;
		}
	}
	mutex_unlock(&e->lock);
	return -ENOENT;
}

static int env_readdir(struct inode *dir, readdir_emit_t emit, void *ctx)
{
	struct env_ref *r = dir->priv;
	struct env *e = env_of(r->proc);
	if (!e)
		return -ENOMEM;
	/* Names first, under the lock; inodes and the callback without it. */
	char (*names)[MAX_NAME] = NULL;
	uint64_t n = 0;
	mutex_lock(&e->lock);
	for (struct env_var *v = e->vars; v; v = v->next)
		n++;
	if (n)
		names = kmalloc(n * MAX_NAME);
	uint64_t i = 0;
	for (struct env_var *v = e->vars; v && names; v = v->next)
		memcpy(names[i++], v->name, MAX_NAME);
	mutex_unlock(&e->lock);
	if (n && !names)
		return -ENOMEM;
	int err = 0;
	for (uint64_t k = 0; k < i && !err; k++) {
		struct inode *ino = ref_inode(r->proc, INODE_FILE, names[k], strlen(names[k]));
		if (!ino) {
			err = -ENOMEM;
			break;
		}
		err = emit(ctx, names[k], ino);
		inode_put(ino);
	}
	kfree(names);
	return err;
}


static int env_parent(struct inode *dir, struct inode **out)
{
	struct env_ref *r = dir->priv;
	*out = procfs_pid_dir(r->proc);
	return *out ? 0 : -ENOMEM;
}

/* The variable behind an open env file, with the store locked; NULL when it is gone. */
static struct env_var *locked_var(struct file *f, struct env **store)
{
	struct env_ref *r = ((struct inode *)f->inode)->priv;
	struct env *e = env_of(r->proc);
	*store = e;
	if (!e)
		return NULL;
	mutex_lock(&e->lock);
	struct env_var *v = find(e, r->name, strlen(r->name));
	if (!v)
		mutex_unlock(&e->lock);
	return v;
}

static int64_t env_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct env *e;
	struct env_var *v = locked_var(f, &e);
	if (!v)
		return 0; /* removed: nothing more to read */
	uint64_t n = *pos < v->size ? v->size - *pos : 0;
	if (n > count)
		n = count;
	int err = n ? copy_to_user(buf, v->data + *pos, n) : 0;
	mutex_unlock(&e->lock);
	if (err)
		return err;
	*pos += n;
	return (int64_t)n;
}

static int64_t env_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	struct env *e;
	struct env_var *v = locked_var(f, &e);
	if (!v)
		return -ENOENT;
	if (f->flags & PATH_FLAG_APPEND)
		*pos = v->size;
	uint64_t end = *pos + count;
	if (end < *pos || end > ENV_MAX_BYTES) {
		mutex_unlock(&e->lock);
		return -EFBIG;
	}
	if (end > v->size && e->bytes + (end - v->size) > ENV_MAX_BYTES) {
		mutex_unlock(&e->lock);
		return -ENOMEM;
	}
	if (end > v->cap) {
		uint64_t cap = end < 64 ? 64 : end * 2;
		if (cap > ENV_MAX_BYTES)
			cap = end;
		uint8_t *bigger = kzalloc(cap);
		if (!bigger) {
			mutex_unlock(&e->lock);
			return -ENOMEM;
		}
		memcpy(bigger, v->data, v->size);
		kfree(v->data);
		v->data = bigger;
		v->cap = cap;
	}
	if (*pos > v->size)
		memset(v->data + v->size, 0, *pos - v->size); /* a gap reads as zeros */
	int err = copy_from_user(v->data + *pos, buf, count);
	if (!err && end > v->size) {
		e->bytes += end - v->size;
		v->size = end; /* OUR CHOICE (spec §11 row 19): no stray NUL */
	}
	mutex_unlock(&e->lock);
	if (err)
		return err;
	*pos = end;
	return (int64_t)count;
}

static int64_t env_seek(struct file *f, int64_t offset, uint8_t origin, uint64_t *pos)
{
	struct env *e;
	struct env_var *v = locked_var(f, &e);
	uint64_t size = v ? v->size : 0;
	if (v)
		mutex_unlock(&e->lock);
	return fs_seek_generic(size, offset, origin, pos);
}

static int env_truncate(struct inode *ino, uint64_t size)
{
	struct env_ref *r = ino->priv;
	struct env *e = env_of(r->proc);
	if (!e)
		return -ENOMEM;
	mutex_lock(&e->lock);
	struct env_var *v = find(e, r->name, strlen(r->name));
	if (v && size < v->size) {
		e->bytes -= v->size - size;
		v->size = size;
	}
	mutex_unlock(&e->lock);
	return 0;
}

static const struct inode_ops env_dir_ops = {
	.lookup = env_lookup,
	.create = env_create,
	.remove = env_remove,
	.readdir = env_readdir,
	.parent = env_parent,
	.evict = env_evict,
};
static const struct inode_ops env_file_ops = { .truncate = env_truncate, .evict = env_evict };
static const struct file_ops env_dir_fops = { .seek = fs_dir_seek };
static const struct file_ops env_file_fops = { .read = env_read, .write = env_write, .seek = env_seek };
