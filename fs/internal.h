// SPDX-License-Identifier: MIT
// Shared inside fs/: inodes, mounts, namespaces, the per-process context and
// the helpers the filesystems (ramfs, devfs, procfs, pipes) build on.
// Lock order: fs_context.lock, namespace.lock and lineage_lock are leaves
// (spinlocks, never held across a call into a filesystem); inode->lock (mutex) of a parent
// directory before that of a child; pipe->lock is a leaf mutex.
// Unless a comment says otherwise, functions here return 0 or -errno and
// run in thread context, where they may sleep (inode mutexes, allocation);
// the *_get/*_put reference helpers are callable anywhere.
#ifndef QUILT_FS_INTERNAL_H
#define QUILT_FS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/file.h"
#include "fs/resolve.h"
#include "kernel/abi/errno.h"
#include "kernel/abi/path_flags.h"
#include "kernel/abi/types.h"
#include "kernel/mm/pmm.h" /* paddr_t */
#include "kernel/sched/wait.h"
#include "kernel/sync/mutex.h"
#include "kernel/sync/spinlock.h"

struct inode;
struct process;

/* Called once per child by a filesystem's readdir, in listing order. Non-zero stops the walk. */
typedef int (*readdir_emit_t)(void *ctx, const char *name, struct inode *child);

/*
 * What a filesystem implements per inode. NULL entries mean "not supported":
 * the VFS answers ENOSYS (create, link, remove, readdir) or ignores the
 * request (truncate, per spec §5.3). Each returns 0 or -errno.
 */
struct inode_ops {
	/* Child @name of @dir with a new reference in *out; -ENOENT if absent. */
	int (*lookup)(struct inode *dir, const char *name, size_t len, struct inode **out);
	/* Create @name (a directory when @is_dir) in @dir; -EEXIST if it exists. */
	int (*create)(struct inode *dir, const char *name, size_t len, bool is_dir, struct inode **out);
	/* Add the name @name in @dir for the non-directory @target; -EEXIST if taken. */
	int (*link)(struct inode *dir, const char *name, size_t len, struct inode *target);
	/* Remove @name from @dir; -ENOTEMPTY, -EBUSY (a mount point below, recursive). */
	int (*remove)(struct inode *dir, const char *name, size_t len, bool recursive);
	int (*truncate)(struct inode *ino, uint64_t size);
	/* Every child in stable order (creation order for ramfs). */
	int (*readdir)(struct inode *dir, readdir_emit_t emit, void *ctx);
	/* The parent directory (new reference); -ENOENT once @dir was removed. Not called on fs roots. */
	int (*parent)(struct inode *dir, struct inode **out);
	/* Set up @f (ops, priv) for an open of @ino. NULL: f->ops = inode's fops. */
	int (*open)(struct inode *ino, struct file *f);
	/* Paired open (OPEN2) when the device links its two files (pipes). */
	int (*open2)(struct inode *ino, struct file *f[2]);
	/* The last reference went: free the filesystem's data. */
	void (*evict)(struct inode *ino);
};

struct superblock {
	const char *name; /* Immutable: "ramfs", "devfs", "procfs" */
};

struct inode {
	uint64_t refcount;            /* atomic; the inode is evicted at 0 (unless static) */
	uint64_t number;              /* Immutable: unique, from a global counter */
	uint32_t type;                /* Immutable: INODE_FILE / INODE_DIR */
	uint32_t mounted;             /* atomic: mounts on this inode, over every namespace */
	bool is_static;               /* Immutable: lives forever (devfs nodes) */
	const struct inode_ops *ops;  /* Immutable */
	const struct file_ops *fops;  /* Immutable: default ops of its open files */
	struct superblock *sb;        /* Immutable */
	char name[MAX_NAME];          /* Immutable: the name it was created with ("__root__" for roots) */

	struct mutex lock;            /* guards the fields below and the filesystem's content */
	uint64_t size;
	uint64_t nlink;
	bool removed;                 /* a removed directory lists nothing (getdents ENOENT) */
	uint64_t atime, mtime, ctime, crtime;
	void *priv;                   /* the filesystem's */
};

/* Allocate an inode with one reference. NULL: out of memory. Context: any. */
struct inode *inode_alloc(struct superblock *sb, uint32_t type, const struct inode_ops *ops,
			  const struct file_ops *fops, const char *name, size_t name_len);
/* Initialise a statically allocated inode (never evicted). */
void inode_init_static(struct inode *ino, struct superblock *sb, uint32_t type, const struct inode_ops *ops,
		       const struct file_ops *fops, const char *name);
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);
/* Wall-clock seconds for the stat times (0 before the RTC is known). */
uint64_t fs_now(void);

/*
 * A mount: a filesystem root attached at a directory (or nowhere, for the
 * root of everything). Immutable once created and shared by every
 * namespace that contains it; reference counted.
 */
struct mount {
	uint64_t refcount;          /* atomic */
	struct inode *root;         /* Immutable: reference */
	struct inode *mountpoint;   /* Immutable: reference, NULL when attached nowhere */
	struct mount *parent;       /* Immutable: reference, the mount @mountpoint belongs to */
	uint32_t perms;             /* Immutable: PATH_FLAG_READ/WRITE/EXECUTE subset */
};

struct mount *mount_create(struct inode *root, struct mount *parent, struct inode *mountpoint, uint32_t perms);
void mount_get(struct mount *m);
void mount_put(struct mount *m);

/*
 * A namespace: the mount table one or more processes resolve paths in.
 * A spawned child gets a copy that stays linked to its parent namespace, so
 * that BIND propagation can walk the tree; entries are (mount point inode
 * -> mount). The tree links are not references: a namespace dies with its
 * last user and its children then link to its parent (fs/mount.c).
 */
struct ns_entry {
	struct ns_entry *next;
	struct mount *mount;        /* reference */
};

struct namespace {
	uint64_t refcount;          /* atomic; users only (processes, lookups), never children */
	struct mount *root;         /* Immutable: reference */
	struct lineage *lineage;    /* Immutable: its node in the copy ancestry (below), the namespace's reference */
	struct spinlock lock;       /* guards entries, nentries */
	struct ns_entry *entries;
	uint64_t nentries;          /* at most about NS_MAX_MOUNTS: lookups walk the list with IRQs off */
	/*
	 * Guarded by: ns_tree_lock (mount.c). The nearest live ancestor (NULL
	 * for the kernel's) and the live children, in a doubly linked list.
	 */
	struct namespace *parent;
	struct namespace *first_child, *last_child;
	struct namespace *prev_sibling, *next_sibling;
};

/* Mounts one namespace may hold; BIND past it fails with ENOMEM (spec §7 number 32's limit error). */
#define NS_MAX_MOUNTS 256

struct namespace *ns_create(struct namespace *parent, struct mount *root, bool copy_parent);
void ns_get(struct namespace *ns);
/* Unlike the other puts, the last one may sleep: it ends the local sockets only this namespace kept (fs/lineage.c). */
void ns_put(struct namespace *ns);
/* Attach @m (its mountpoint is the key) in @ns. 0, -EBUSY or -ENOMEM. */
int ns_add_mount(struct namespace *ns, struct mount *m);
/* What is mounted on @ino in @ns, with a reference; NULL if nothing. */
struct mount *ns_find_mount(struct namespace *ns, struct inode *ino);
/* As ns_add_mount, replacing an entry at the same mount point when @overwrite. */
int ns_set_mount(struct namespace *ns, struct mount *m, bool overwrite);
/*
 * ns_for_each_relative - call @fn for @ns's live ancestors (@up, nearest
 * first) or all its live descendants (!@up, in pre-order), with a reference
 * held across each call. The caller holds a reference on @ns.
 */
void ns_for_each_relative(struct namespace *ns, bool up, void (*fn)(struct namespace *ns, void *ctx), void *ctx);

/*
 * Lineages (fs/lineage.c): which namespaces were copied from which. Every
 * namespace has one; a namespace made by copying (a default SPAWN) has its
 * parent's lineage as parent, the kernel's and each SPAWN_EMPTY_NS one start
 * an unrelated tree. Something can tie itself to a lineage (a local socket
 * to its creator's): the tie's @end is called, with no lock held, once no
 * namespace at or below that lineage lives any more.
 */
struct lineage;
struct lineage_tie {
	struct lineage_tie *next;          /* Guarded by: lineage_lock */
	void (*end)(struct lineage_tie *t); /* Immutable; may sleep */
};
/* A new lineage for a new namespace (its reference), below @parent (NULL: a new tree). NULL: no memory. */
struct lineage *lineage_create(struct lineage *parent);
/* The namespace of @l died: drop its reference; ends the ties no namespace needs now. Context: may sleep. */
void lineage_ns_gone(struct lineage *l);
void lineage_get(struct lineage *l);
void lineage_put(struct lineage *l);
/* The calling process's lineage, with a reference; NULL once its namespace is gone (it is ending). */
struct lineage *lineage_current(void);
/* Tie @t to @l: 0, -EMFILE (@max ties already) or -EINTR (the namespace of @l is gone). */
int __must_check lineage_tie(struct lineage *l, struct lineage_tie *t, uint32_t max);
/* Whether @l is @anchor or below it (a namespace copied from it, at any depth). Context: any. */
bool lineage_descends(struct lineage *l, struct lineage *anchor);
/* Whether @a and @b are in the same tree (copied, at any distance, from one namespace). */
bool lineage_related(const struct lineage *a, const struct lineage *b);

struct vfs_loc {
	struct mount *mnt;
	struct inode *inode;
};

void loc_get(struct vfs_loc loc);
void loc_put(struct vfs_loc loc);

/* Per-process file-system context (struct process->fs). */
struct fs_context {
	struct spinlock lock;              /* guards every field below */
	struct file *fds[CONFIG_MAX_FD];
	uint64_t used;                     /* bit n: slot n holds a file */
	struct vfs_loc cwd;                /* references; mnt NULL: the namespace root */
	struct namespace *ns;              /* reference */
	bool dead;                         /* the process terminated: no more installs */
};

/* The kernel namespace's root and the system root mount (ramfs). */
extern struct mount *fs_root_mount;
extern struct namespace *fs_kernel_ns;

/* The resolution context of @p (namespace root, cwd), with references. */
int fs_env_get(struct process *p, struct vfs_loc *root, struct vfs_loc *cwd, struct namespace **ns);

/* A parsed path ready for resolution in one process's view. */
struct vfs_lookup {
	struct namespace *ns;
	struct vfs_loc root, start;
};

/* Set up @lk for @p; @from (optional) replaces the cwd as start. Release with vfs_lookup_done. */
int vfs_lookup_init(struct vfs_lookup *lk, struct process *p, const struct vfs_loc *from);
void vfs_lookup_done(struct vfs_lookup *lk);
int vfs_walk(struct vfs_lookup *lk, const char *pathname, struct vfs_loc *out, char *name_out);
int vfs_walk_parent(struct vfs_lookup *lk, const char *pathname, struct vfs_loc *parent, char *name_out);

/*
 * fs_open_path - parse @path (a kernel string, flags included) and open it
 * in @p's view, from @from (NULL: its working directory). 0 with a new file
 * in *out, or the parse, resolution or open error. Context: may sleep.
 */
int fs_open_path(struct process *p, const struct vfs_loc *from, const char *path, struct file **out);
/* Open a parsed path (spec §5.3). 0 with a new file in *out, or -errno. */
int vfs_open(struct vfs_lookup *lk, const char *pathname, uint32_t flags, struct file **out);
/* OPEN2: two files, linked when the device supports it. */
int vfs_open2(struct vfs_lookup *lk, const char *pathname, uint32_t flags, struct file *out[2]);
/* A new open file on @loc with @flags (perms already decided); used by vfs_open and tests. */
int vfs_open_loc(struct vfs_loc loc, uint32_t flags, struct file **out);
/* GETDENTS on @f (spec §7 number 22) into (@buf, @count), checked by the caller. Bytes or -errno. */
int64_t vfs_getdents(struct file *f, struct abi_dirent __user *buf, uint64_t count);
/*
 * vfs_poll - wait until one of the @n files (each with a poll hook) has an
 * event asked for in @fds (or a POLL_SPECIAL one), or @deadline (time_now_ns
 * clock; 0: look once) passes. Stores each revents. Returns how many entries
 * are ready (0 at the deadline), -EINTR or -ENOMEM. Context: thread, sleeps.
 */
int64_t vfs_poll(struct file *const *files, struct abi_pollfd *fds, uint64_t n, uint64_t deadline);
/*
 * vfs_bind - mount the object of @src at @pathname (already parsed) in @p's
 * namespace, with @src's permissions; MOUNT_* @flags (checked by the caller)
 * say whether an existing binding is replaced and where else it goes.
 * 0 or -errno in §7 number 32's order. Context: thread.
 */
int vfs_bind(struct process *p, struct file *src, const char *pathname, uint32_t flags);
int vfs_stat(struct vfs_lookup *lk, const char *pathname, struct abi_stat *st);
int vfs_remove(struct vfs_lookup *lk, const char *pathname, uint32_t flags);
int vfs_link(struct vfs_lookup *lk, const char *oldpath, const char *newpath);
/* The absolute path of @loc in @ns's view into @buf (@len bytes). Returns the length or -errno. */
int vfs_path_of(struct namespace *ns, struct vfs_loc loc, char *buf, size_t len);
/* chdir for @p: resolve @pathname (already parsed) relative to its cwd. */
int vfs_chdir(struct process *p, const char *pathname);

/* A file object for @ino (a reference moves in) with @flags; ops from the inode. */
struct file *file_alloc(struct inode *ino, struct mount *mnt, uint32_t flags);

/* Descriptor table operations beyond file.h. */
int fd_close(struct process *p, uint64_t fd);
int64_t fd_dup(struct process *p, uint64_t fd);
int64_t fd_dup2(struct process *p, uint64_t oldfd, uint64_t newfd);
/* Install two files in the two lowest free slots, atomically (both or neither). */
int fd_install2(struct process *p, struct file *f[2], uint64_t fds[2]);

/* poll: up to this many queues per call (several per entry for pipes). */
#define POLL_TABLE_MAX (2 * POLL_MAX)
struct poll_table {
	int count;
	struct waiter waiters[POLL_TABLE_MAX];
	struct wait_queue *queues[POLL_TABLE_MAX];
};

/* Filesystems. */
struct inode *ramfs_create_root(void);
/* Fill @root from a cpio archive. Returns 0 or -errno. */
int ramfs_unpack(struct inode *root, const void *archive, uint64_t size);
extern struct superblock ramfs_sb;
/* Read [@off, @off + @len) of ramfs file @ino into kernel memory. 0, -ENOSYS (not ramfs), -EIO. */
int ramfs_read_kernel(struct inode *ino, void *buf, uint64_t off, uint64_t len);
/*
 * ramfs_map_pages - a snapshot of ramfs file @ino for mapping (a program's
 * image): its size, and a kmalloc array of one frame per page (0 for a
 * hole), each with a reference for the caller (pmm_page_put). Later writes
 * and truncations of the file leave those frames as they are (they copy a
 * shared page first). Returns 0, -ENOSYS (not a ramfs file) or -ENOMEM.
 * Context: may sleep (takes the file's lock).
 */
int ramfs_map_pages(struct inode *ino, uint64_t *size_out, paddr_t **frames_out);
/* SEEK arithmetic of spec §7 number 14 for an object of @size bytes. New position or -EINVAL. */
/* SEEK on any directory: a position in dirent_t bytes, SEEK_END uses size 0. */
int64_t fs_dir_seek(struct file *f, int64_t offset, uint8_t origin, uint64_t *pos);
int64_t fs_seek_generic(uint64_t size, int64_t offset, uint8_t origin, uint64_t *pos);
struct inode *devfs_root(void);
struct inode *procfs_root(void);
/* A new /proc/<pid> directory inode for @p (holding a reference to @p); NULL when out of memory. */
struct inode *procfs_pid_dir(struct process *p);
/* /proc/<pid>/env/ (fs/env.c): the directory inode, copying at SPAWN, freeing. */
struct inode *env_dir_inode(struct process *p);
int env_copy(struct process *child, struct process *parent);
void env_free(struct process *p);
/* /net (fs/net/local.c): its root directory. */
struct inode *net_root(void);
/* Pipe objects, for devfs's /dev/pipe/new. */
int pipe_open(struct inode *ino, struct file *f);
int pipe_open2(struct inode *ino, struct file *f[2]);
/*
 * The word splitting of ctl files (/proc/<pid>/ctl, /net/local/<id>/ctl;
 * spec §8.5), in procfs.c. fs_ctl_next_command - the command starting at
 * *@at of @text (@len bytes): words split at white space, double quotes
 * group, a backslash takes the next character; stored NUL-terminated in
 * @store (2 * @len + 2 bytes), the first FS_CTL_WORDS pointed to by @words.
 * Returns the number of words (possibly more than FS_CTL_WORDS) and moves
 * *@at past the command and its "&&". fs_ctl_number - signed decimal.
 */
#define FS_CTL_WORDS 8
int fs_ctl_next_command(const char *text, uint64_t len, uint64_t *at, char *store, char **words);
bool fs_ctl_number(const char *w, int64_t *out);
/*
 * fs_ctl_write - a ctl file's write (spec §8.5): copy in @count bytes, split
 * them into commands chained with "&&" and call @run(@ctx, n, words) for
 * each, left to right, until one fails. @run with n == 0 must only classify
 * words[0] (-ENOENT unknown, anything else known). Returns @count, -EINVAL
 * (count 0), -E2BIG (over 256 bytes), -EFAULT, -EUNKNOWNCTL (no words, or a
 * known command with too many) or the failing command's error.
 */
int64_t fs_ctl_write(const void __user *buf, uint64_t count, int (*run)(void *ctx, int n, char **words), void *ctx);
/* Read a generated text at *@pos into the user buffer (helper for text pseudo-files). */
int64_t fs_read_text(const char *text, uint64_t len, void __user *buf, uint64_t count, uint64_t *pos);


#endif
