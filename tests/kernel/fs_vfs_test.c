// SPDX-License-Identifier: MIT
// VFS internals: RAM-fs directories and files, resolution through mounts,
// namespaces, descriptor tables and the open-flag rules, from kernel context.
// Each test's leak check covers open files and inodes (registered by fs_init).
#include "fs/fs.h"
#include "fs/internal.h"
#include "fs/path.h"
#include "kernel/lib/string.h"
#include "arch/x86_64/arch.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/test/ktest.h"

/* Resolve and open @path (with flags) in the kernel's view. */
static int kopen(const char *path, struct file **out)
{
	struct path_parsed p;
	struct vfs_lookup lk;
	int err = path_parse(path, &p);
	if (err)
		return err;
	err = vfs_lookup_init(&lk, &kernel_process, NULL);
	if (err)
		return err;
	err = vfs_open(&lk, p.pathname, p.flags, out);
	vfs_lookup_done(&lk);
	return err;
}

static int kremove(const char *path)
{
	struct path_parsed p;
	struct vfs_lookup lk;
	int err = path_parse(path, &p);
	if (!err)
		err = vfs_lookup_init(&lk, &kernel_process, NULL);
	if (err)
		return err;
	err = vfs_remove(&lk, p.pathname, p.flags);
	vfs_lookup_done(&lk);
	return err;
}

static int kstat(const char *path, struct abi_stat *st)
{
	struct vfs_lookup lk;
	int err = vfs_lookup_init(&lk, &kernel_process, NULL);
	if (err)
		return err;
	err = vfs_stat(&lk, path, st);
	vfs_lookup_done(&lk);
	return err;
}

KTEST(fs, ramfs_create_lookup_remove)
{
	struct inode *root = ramfs_create_root(), *f, *d, *got;
	KASSERT(root);
	KEXPECT_EQ(root->ops->create(root, "f", 1, false, &f), 0);
	KEXPECT_EQ(root->ops->create(root, "f", 1, false, &got), -EEXIST);
	KEXPECT_EQ(root->ops->create(root, "d", 1, true, &d), 0);
	KEXPECT_EQ(root->ops->lookup(root, "f", 1, &got), 0);
	KEXPECT(got == f);
	inode_put(got);
	KEXPECT_EQ(root->ops->link(root, "g", 1, f), 0);
	KEXPECT_EQ(f->nlink, 2);
	KEXPECT_EQ(root->ops->remove(root, "f", 1, false), 0);
	KEXPECT_EQ(f->nlink, 1);
	KEXPECT_EQ(root->ops->lookup(root, "f", 1, &got), -ENOENT);
	/* The parent of d is root; once removed, d has none. */
	KEXPECT_EQ(d->ops->parent(d, &got), 0);
	KEXPECT(got == root);
	inode_put(got);
	KEXPECT_EQ(root->ops->remove(root, "d", 1, false), 0);
	KEXPECT_EQ(d->ops->parent(d, &got), -ENOENT);
	KEXPECT(d->removed);
	inode_put(d);
	inode_put(f);
	inode_put(root); /* evicts "g" and everything with it */
}

KTEST(fs, ramfs_nonempty_and_recursive_remove)
{
	struct inode *root = ramfs_create_root(), *d, *s, *x;
	KASSERT(root);
	KASSERT(root->ops->create(root, "d", 1, true, &d) == 0);
	KASSERT(d->ops->create(d, "s", 1, true, &s) == 0);
	KASSERT(s->ops->create(s, "x", 1, false, &x) == 0);
	KEXPECT_EQ(root->ops->remove(root, "d", 1, false), -ENOTEMPTY);
	KEXPECT_EQ(root->ops->remove(root, "d", 1, true), 0);
	KEXPECT(d->removed && s->removed);
	KEXPECT_EQ(x->nlink, 0);
	inode_put(x);
	inode_put(s);
	inode_put(d);
	inode_put(root);
}

static int count_emit(void *ctx, const char *name, struct inode *child)
{
	char *order = ctx;
	strlcpy(order + strlen(order), name, 8);
	return 0;
}

KTEST(fs, ramfs_readdir_keeps_creation_order)
{
	struct inode *root = ramfs_create_root(), *c;
	KASSERT(root);
	const char *names[] = { "q", "a", "z", "m" };
	for (int i = 0; i < 4; i++) {
		KASSERT(root->ops->create(root, names[i], 1, false, &c) == 0);
		inode_put(c);
	}
	root->ops->remove(root, "a", 1, false);
	KASSERT(root->ops->create(root, "a", 1, false, &c) == 0);
	inode_put(c);
	char order[16] = "";
	root->ops->readdir(root, count_emit, order);
	KEXPECT_STREQ(order, "qzma");
	inode_put(root);
}

KTEST(fs, ramfs_sparse_file_and_truncate)
{
	struct inode *root = ramfs_create_root(), *f;
	KASSERT(root && root->ops->create(root, "f", 1, false, &f) == 0);
	/* Grow by truncation: a hole, no pages, reads as zeros. */
	KEXPECT_EQ(f->ops->truncate(f, 1 << 20), 0);
	KEXPECT_EQ(f->size, 1 << 20);
	char buf[16];
	memset(buf, 7, sizeof(buf));
	KEXPECT_EQ(ramfs_read_kernel(f, buf, (1 << 20) - 16, 16), 0);
	KEXPECT_EQ(buf[0] | buf[15], 0);
	KEXPECT_EQ(ramfs_read_kernel(f, buf, (1 << 20) - 8, 16), -EIO);
	KEXPECT_EQ(f->ops->truncate(f, 0), 0);
	KEXPECT_EQ(f->size, 0);
	inode_put(f);
	inode_put(root);
}

KTEST(fs, open_flag_rules)
{
	struct file *f;
	KEXPECT_EQ(kopen("/tmp/ktest-f:ce", &f), 0);
	file_put(f);
	KEXPECT_EQ(kopen("/tmp/ktest-f:ce", &f), -EEXIST);
	KEXPECT_EQ(kopen("/tmp/ktest-f:d", &f), -ENOTDIR);
	KEXPECT_EQ(kopen("/tmp", &f), -EISDIR);
	KEXPECT_EQ(kopen("/dev/x:c", &f), -ENOSYS);
	KEXPECT_EQ(kopen("/:c", &f), -ENOENT);
	KEXPECT_EQ(kopen("/tmp/..:c", &f), -EINVAL);
	/* No permission asked: the mount's full set; asked: exactly that. */
	KEXPECT_EQ(kopen("/tmp/ktest-f", &f), 0);
	KEXPECT_EQ(f->flags & PATH_FLAG_PERMS, PATH_FLAG_PERMS);
	file_put(f);
	KEXPECT_EQ(kopen("/tmp/ktest-f:r", &f), 0);
	KEXPECT_EQ(f->flags & PATH_FLAG_PERMS, PATH_FLAG_READ);
	file_put(f);
	KEXPECT_EQ(kremove("/tmp/ktest-f"), 0);
	KEXPECT_EQ(kremove("/tmp/ktest-f"), -ENOENT);
}

KTEST(fs, read_only_mount_refuses_writes)
{
	/* A read-only view of /tmp mounted on a fresh directory of a private namespace. */
	struct file *f;
	KASSERT(kopen("/tmp/ktest-ro:cd", &f) == 0);
	file_put(f);
	struct inode *tmp;
	struct inode *rootdir = fs_root_mount->root;
	KASSERT(rootdir->ops->lookup(rootdir, "tmp", 3, &tmp) == 0);
	struct inode *mp;
	KASSERT(tmp->ops->lookup(tmp, "ktest-ro", 8, &mp) == 0);
	struct mount *m = mount_create(tmp, fs_root_mount, mp, PATH_FLAG_READ);
	struct namespace *ns = ns_create(fs_kernel_ns, fs_root_mount, true);
	KASSERT(m && ns);
	KEXPECT_EQ(ns_add_mount(ns, m), 0);
	KEXPECT_EQ(ns_add_mount(ns, m), -EBUSY);
	KEXPECT_EQ(mp->mounted, 1);

	struct vfs_lookup lk = { ns, { ns->root, ns->root->root }, { ns->root, ns->root->root } };
	struct vfs_loc loc;
	KEXPECT_EQ(vfs_walk(&lk, "/tmp/ktest-ro/ktest-ro", &loc, NULL), 0); /* its own mount point, seen again */
	KEXPECT(loc.mnt == m);
	loc_put(loc);
	KEXPECT_EQ(vfs_open(&lk, "/tmp/ktest-ro/x", PATH_FLAG_CREATE, &f), -EACCES);
	KEXPECT_EQ(vfs_open(&lk, "/tmp/ktest-ro/ktest-ro", PATH_FLAG_DIRECTORY, &f), 0);
	if (!ctx->failed) {
		KEXPECT_EQ(f->flags & PATH_FLAG_PERMS, PATH_FLAG_READ);
		file_put(f);
	}
	KEXPECT_EQ(vfs_open(&lk, "/tmp/ktest-ro/ktest-ro", PATH_FLAG_WRITE | PATH_FLAG_DIRECTORY, &f), -EACCES);
	KEXPECT_EQ(vfs_remove(&lk, "/tmp/ktest-ro/ktest-ro", PATH_FLAG_DIRECTORY), -EACCES);
	/* The kernel namespace is unaffected, and refuses removing a mount point of any namespace. */
	KEXPECT_EQ(kremove("/tmp/ktest-ro:d"), -EBUSY);
	ns_put(ns);
	KEXPECT_EQ(mp->mounted, 0);
	mount_put(m);
	inode_put(mp);
	inode_put(tmp);
	KEXPECT_EQ(kremove("/tmp/ktest-ro:d"), 0);
}

KTEST(fs, namespace_copy_and_empty)
{
	struct namespace *copy = ns_create(fs_kernel_ns, fs_kernel_ns->root, true);
	struct namespace *bare = ns_create(fs_kernel_ns, fs_root_mount, false);
	KASSERT(copy && bare);
	struct abi_stat st;
	struct vfs_lookup lk = { copy, { copy->root, copy->root->root }, { copy->root, copy->root->root } };
	KEXPECT_EQ(vfs_stat(&lk, "/dev/null", &st), 0);
	struct vfs_lookup lb = { bare, { bare->root, bare->root->root }, { bare->root, bare->root->root } };
	KEXPECT_EQ(vfs_stat(&lb, "/dev/null", &st), -ENOENT); /* SPAWN_EMPTY_NS: no /dev mount */
	KEXPECT_EQ(vfs_stat(&lb, "/dev", &st), 0);
	KEXPECT_STREQ(st.name, "dev");
	ns_put(copy);
	ns_put(bare);
}

KTEST(fs, resolution_across_mounts)
{
	struct abi_stat a, b;
	KEXPECT_EQ(kstat("/dev/..", &a), 0);
	KEXPECT_EQ(kstat("/", &b), 0);
	KEXPECT_EQ(a.number, b.number);
	KEXPECT_STREQ(b.name, "__root__");
	KEXPECT_EQ(kstat("/dev/pipe/../../dev/null", &a), 0);
	KEXPECT_STREQ(a.name, "null");
	KEXPECT_EQ(kstat("/dev/null/x", &a), -ENOENT);
	struct vfs_lookup lk;
	struct vfs_loc loc;
	char path[MAX_PATH];
	KASSERT(vfs_lookup_init(&lk, &kernel_process, NULL) == 0);
	KEXPECT_EQ(vfs_walk(&lk, "/dev/pipe", &loc, NULL), 0);
	KEXPECT_EQ(vfs_path_of(lk.ns, loc, path, sizeof(path)), 9);
	KEXPECT_STREQ(path, "/dev/pipe");
	loc_put(loc);
	vfs_lookup_done(&lk);
}

KTEST(fs, descriptor_table)
{
	/* A bare process with only an fs context: the table functions need nothing else. */
	struct process *p = kzalloc(sizeof(*p));
	KASSERT(p);
	p->fs = kzalloc(sizeof(struct fs_context));
	KASSERT(p->fs);
	spin_init(&p->fs->lock);
	struct file *f;
	KASSERT(kopen("/dev/null", &f) == 0);
	for (int i = 0; i < CONFIG_MAX_FD; i++) {
		file_get(f);
		KEXPECT_EQ(fd_install(p, f), i);
	}
	file_get(f);
	KEXPECT_EQ(fd_install(p, f), -EMFILE);
	file_put(f);
	KEXPECT_EQ(fd_close(p, 5), 0);
	KEXPECT_EQ(fd_close(p, 5), -EBADF);
	KEXPECT_EQ(fd_dup(p, 0), 5);
	KEXPECT_EQ(fd_dup(p, 0), -EMFILE);
	KEXPECT_EQ(fd_dup2(p, 1, 63), 63);
	KEXPECT_EQ(fd_dup2(p, 1, 64), -EBADF);
	KEXPECT_EQ(fd_close(p, 7), 0);
	KEXPECT_EQ(fd_dup2(p, 7, 7), -EBADF);
	KEXPECT_EQ(fd_dup2(p, 6, 6), 6);
	struct file *got = fd_get(p, 6);
	KEXPECT(got == f);
	file_put(got);
	KEXPECT(fd_get(p, 7) == NULL);
	KEXPECT(fd_get(p, UINT64_MAX) == NULL);
	KEXPECT_EQ(f->refcount, 64); /* 63 slots + ours */
	fs_process_exit(p);
	KEXPECT_EQ(f->refcount, 1);
	file_get(f);
	KEXPECT_EQ(fd_install(p, f), -EMFILE); /* dead: nothing is installed any more */
	file_put(f);
	file_put(f);
	kfree(p->fs);
	kfree(p);
}

/* Several CPUs creating, looking up, linking and removing in one directory. */
struct churn {
	struct inode *dir;
	int id;
	int errors;
};

static void churn_thread(void *arg)
{
	struct churn *c = arg;
	struct inode *dir = c->dir;
	char name[8] = { 'c', (char)('0' + c->id), 0 }, other[8] = { 'l', (char)('0' + c->id), 0 };
	for (int i = 0; i < 300; i++) {
		struct inode *f, *got;
		if (dir->ops->create(dir, name, 2, false, &f)) {
			c->errors++;
			continue;
		}
		if (dir->ops->lookup(dir, name, 2, &got) || got != f)
			c->errors++;
		else
			inode_put(got);
		if (dir->ops->link(dir, other, 2, f))
			c->errors++;
		if (dir->ops->remove(dir, name, 2, false) || dir->ops->remove(dir, other, 2, false))
			c->errors++;
		if (f->nlink != 0)
			c->errors++;
		inode_put(f);
	}
}

static void drain_cache(void *arg)
{
	pmm_drain_cpu_cache();
}

KTEST(fs, ramfs_concurrent_churn)
{
	enum { N = 4 };
	struct inode *root = ramfs_create_root();
	KASSERT(root);
	static struct churn c[N];
	struct thread *t[N];
	for (int i = 0; i < N; i++) {
		c[i] = (struct churn){ root, i, 0 };
		t[i] = kthread_create(churn_thread, &c[i], 32);
		KASSERT(t[i]);
	}
	for (int i = 0; i < N; i++) {
		KEXPECT_EQ(thread_join(t[i]), 0);
		thread_put(t[i]);
		KEXPECT_EQ(c[i].errors, 0);
	}
	KEXPECT_EQ(((struct inode *)root)->nlink, 1);
	inode_put(root);
	/* Slab pages freed on other CPUs sit in their page caches: give them back for later tests. */
	for (unsigned i = 0; i < arch_cpu_count(); i++)
		arch_run_on_cpu(i, drain_cache, NULL, true);
}

static void count_child(struct namespace *child, void *ctx)
{
	(*(int *)ctx)++;
}

KTEST(fs, namespace_tree_links_children)
{
	struct namespace *parent = ns_create(fs_kernel_ns, fs_root_mount, true);
	KASSERT(parent);
	struct namespace *a = ns_create(parent, parent->root, true);
	struct namespace *b = ns_create(parent, fs_root_mount, false);
	KASSERT(a && b);
	int n = 0;
	ns_for_each_relative(parent, false, count_child, &n); /* no grandchildren: the children */
	KEXPECT_EQ(n, 2);
	ns_put(a);
	n = 0;
	ns_for_each_relative(parent, false, count_child, &n);
	KEXPECT_EQ(n, 1);
	ns_put(b);
	n = 0;
	ns_for_each_relative(parent, false, count_child, &n);
	KEXPECT_EQ(n, 0);
	ns_put(parent);
}
