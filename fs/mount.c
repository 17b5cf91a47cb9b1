// SPDX-License-Identifier: MIT
// Inodes' reference counts, mounts and namespaces (per-process mount tables).
// Locks: namespace->lock guards its entry list; it is a leaf and never held
// while calling into a filesystem (ns_create alone nests a new child's lock
// inside its parent's). ns_tree_lock guards the tree links and is never held
// with a namespace lock. Mounts are immutable once created.
#include "fs/fs.h"
#include "fs/internal.h"

#include "kernel/mm/kmalloc.h"
#include "kernel/lib/string.h"
#include "kernel/time/time.h"

/* Guards the namespace tree's child/sibling links (creation, destruction, propagation only). */
static struct spinlock ns_tree_lock = SPINLOCK_INIT;

static uint64_t next_inode_number = 1; /* atomic: shared by every filesystem, as in PW */
static uint64_t inodes_alive;          /* atomic */
static uint64_t mounts_alive, namespaces_alive; /* atomic */

uint64_t fs_mounts_live(void)
{
	return __atomic_load_n(&mounts_alive, __ATOMIC_RELAXED);
}

uint64_t fs_namespaces_live(void)
{
	return __atomic_load_n(&namespaces_alive, __ATOMIC_RELAXED);
}

uint64_t fs_inodes_live(void)
{
	return __atomic_load_n(&inodes_alive, __ATOMIC_RELAXED);
}

uint64_t fs_now(void)
{
	return time_unix_epoch();
}

static void inode_fill(struct inode *ino, struct superblock *sb, uint32_t type, const struct inode_ops *ops,
		       const struct file_ops *fops, const char *name, size_t name_len)
{
	ino->refcount = 1;
	ino->number = __atomic_fetch_add(&next_inode_number, 1, __ATOMIC_RELAXED);
	ino->type = type;
	ino->ops = ops;
	ino->fops = fops;
	ino->sb = sb;
	if (name_len >= MAX_NAME)
		name_len = MAX_NAME - 1;
	memcpy(ino->name, name, name_len);
	ino->name[name_len] = '\0';
	mutex_init(&ino->lock);
	ino->nlink = 1;
	ino->atime = ino->mtime = ino->ctime = ino->crtime = fs_now();
}

struct inode *inode_alloc(struct superblock *sb, uint32_t type, const struct inode_ops *ops,
			  const struct file_ops *fops, const char *name, size_t name_len)
{
	struct inode *ino = kzalloc(sizeof(*ino));
	if (!ino)
		return NULL;
	inode_fill(ino, sb, type, ops, fops, name, name_len);
	__atomic_fetch_add(&inodes_alive, 1, __ATOMIC_RELAXED);
	return ino;
}

void inode_init_static(struct inode *ino, struct superblock *sb, uint32_t type, const struct inode_ops *ops,
		       const struct file_ops *fops, const char *name)
{
	memset(ino, 0, sizeof(*ino));
	inode_fill(ino, sb, type, ops, fops, name, strlen(name));
	ino->is_static = true;
}

void inode_get(struct inode *ino)
{
	__atomic_fetch_add(&ino->refcount, 1, __ATOMIC_RELAXED);
}

void inode_put(struct inode *ino)
{
	if (!ino || ino->is_static)
		return;
	if (__atomic_sub_fetch(&ino->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (ino->ops && ino->ops->evict)
		ino->ops->evict(ino);
	__atomic_fetch_sub(&inodes_alive, 1, __ATOMIC_RELAXED);
	kfree(ino);
}

struct mount *mount_create(struct inode *root, struct mount *parent, struct inode *mountpoint, uint32_t perms)
{
	struct mount *m = kzalloc(sizeof(*m));
	if (!m)
		return NULL;
	__atomic_fetch_add(&mounts_alive, 1, __ATOMIC_RELAXED);
	m->refcount = 1;
	inode_get(root);
	m->root = root;
	if (mountpoint) {
		inode_get(mountpoint);
		mount_get(parent);
		m->mountpoint = mountpoint;
		m->parent = parent;
	}
	m->perms = perms & PATH_FLAG_PERMS;
	return m;
}

void mount_get(struct mount *m)
{
	__atomic_fetch_add(&m->refcount, 1, __ATOMIC_RELAXED);
}

void mount_put(struct mount *m)
{
	/*
	 * A loop, not recursion: mounts bound inside mounts form a parent chain
	 * as long as a program likes, and the last put of its tip releases the
	 * whole chain.
	 */
	while (m && __atomic_sub_fetch(&m->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		struct mount *parent = m->mountpoint ? m->parent : NULL;
		inode_put(m->root);
		inode_put(m->mountpoint);
		__atomic_fetch_sub(&mounts_alive, 1, __ATOMIC_RELAXED);
		kfree(m);
		m = parent;
	}
}

void loc_get(struct vfs_loc loc)
{
	mount_get(loc.mnt);
	inode_get(loc.inode);
}

void loc_put(struct vfs_loc loc)
{
	inode_put(loc.inode);
	mount_put(loc.mnt);
}

/*
 * The namespace tree (spec §7 number 32, BIND propagation).
 *
 * A namespace is kept alive by its users (the processes resolving in it and
 * short lookups), never by its children: otherwise a line of generations,
 * each spawning the next and exiting, would keep every ancestor's table
 * alive for as long as the youngest lives. The parent link is therefore not
 * a reference. When a namespace dies, its children take its place in its
 * parent's child list, in order, and point to that parent: each namespace
 * stays linked to its nearest live ancestor, so PROPAGATE_PARENT still
 * reaches every live ancestor and PROPAGATE_CHILDREN every live descendant,
 * and a pre-order walk that holds a reference on its current node does not
 * lose its place (the splice removes one node from the pre-order sequence
 * and changes nothing else).
 *
 * A dying namespace (count 0, still linked) is skipped by walkers but stays
 * readable under ns_tree_lock until it unlinks itself.
 */
static void ns_link_child(struct namespace *parent, struct namespace *child)
{
	irqflags_t f = spin_lock_irqsave(&ns_tree_lock);
	child->parent = parent;
	child->prev_sibling = NULL;
	child->next_sibling = parent->first_child;
	if (parent->first_child)
		parent->first_child->prev_sibling = child;
	else
		parent->last_child = child;
	parent->first_child = child;
	spin_unlock_irqrestore(&ns_tree_lock, f);
}

/* Take @ns out of the tree; its children move into its place. O(children). */
static void ns_unlink(struct namespace *ns)
{
	irqflags_t f = spin_lock_irqsave(&ns_tree_lock);
	struct namespace *parent = ns->parent;
	for (struct namespace *c = ns->first_child; c; c = c->next_sibling)
		c->parent = parent;
	if (!parent) {
		/* A root (only the kernel's, which lives forever, or a test's): children become roots. */
		for (struct namespace *c = ns->first_child, *next; c; c = next) {
			next = c->next_sibling;
			c->prev_sibling = c->next_sibling = NULL;
		}
	} else {
		struct namespace *first = ns->first_child ? ns->first_child : ns->next_sibling;
		struct namespace *last = ns->first_child ? ns->last_child : ns->prev_sibling;
		if (ns->first_child) {
			ns->first_child->prev_sibling = ns->prev_sibling;
			ns->last_child->next_sibling = ns->next_sibling;
		}
		if (ns->prev_sibling)
			ns->prev_sibling->next_sibling = first;
		else
			parent->first_child = first;
		if (ns->next_sibling)
			ns->next_sibling->prev_sibling = last;
		else
			parent->last_child = last;
	}
	ns->parent = ns->first_child = ns->last_child = ns->prev_sibling = ns->next_sibling = NULL;
	spin_unlock_irqrestore(&ns_tree_lock, f);
}

static void free_entries(struct ns_entry *list)
{
	while (list) {
		struct ns_entry *next = list->next;
		kfree(list);
		list = next;
	}
}

static uint64_t count_entries_locked(struct namespace *ns)
{
	spin_assert_held(&ns->lock);
	uint64_t n = 0;
	for (struct ns_entry *e = ns->entries; e; e = e->next)
		n++;
	return n;
}

/* A list of @n blank entries, or NULL (and nothing allocated) when out of memory. */
static struct ns_entry *alloc_entries(uint64_t n, bool *ok)
{
	struct ns_entry *nodes = NULL;
	*ok = true;
	for (uint64_t i = 0; i < n; i++) {
		struct ns_entry *e = kzalloc(sizeof(*e));
		if (!e) {
			free_entries(nodes);
			*ok = false;
			return NULL;
		}
		e->next = nodes;
		nodes = e;
	}
	return nodes;
}

/*
 * Give @ns a copy of every entry of @parent, taking the nodes from *@nodes
 * (enough for all of them). Both locks held: parent, then child, the only
 * place two namespace locks nest. The child is already linked (so that no
 * BIND propagating to the parent's descendants can miss it), so such a BIND
 * may have given it entries of its own by now: those are kept, as if the
 * propagation came right after the copy, and shadow the parent's entry for
 * the same mount point. The rest keeps the parent's order.
 */
static void copy_entries_locked(struct namespace *ns, struct namespace *parent, struct ns_entry **nodes)
{
	spin_assert_held(&parent->lock);
	spin_assert_held(&ns->lock);
	struct ns_entry *own = ns->entries, **tail = &ns->entries;
	uint64_t copied = 0;
	for (struct ns_entry *e = parent->entries; e; e = e->next) {
		bool shadowed = false;
		for (struct ns_entry *o = own; o && !shadowed; o = o->next)
			shadowed = o->mount->mountpoint == e->mount->mountpoint;
		if (shadowed)
			continue;
		struct ns_entry *c = *nodes;
		*nodes = c->next;
		mount_get(e->mount);
		__atomic_fetch_add(&e->mount->mountpoint->mounted, 1, __ATOMIC_RELAXED);
		c->mount = e->mount;
		*tail = c;
		tail = &c->next;
		copied++;
	}
	*tail = own;
	/* Own entries were counted as they came; the parent's copies add to them. */
	ns->nentries += copied;
}

/*
 * Copy @parent's entries into @ns without holding the parent's lock across
 * kmalloc: count, allocate, then copy if the count still holds (entries
 * come and go; a changed count means another round). 0 or -ENOMEM.
 */
static int copy_from_parent(struct namespace *ns, struct namespace *parent)
{
	for (;;) {
		irqflags_t f = spin_lock_irqsave(&parent->lock);
		uint64_t n = count_entries_locked(parent);
		spin_unlock_irqrestore(&parent->lock, f);
		bool ok;
		struct ns_entry *nodes = alloc_entries(n, &ok);
		if (!ok)
			return -ENOMEM;
		f = spin_lock_irqsave(&parent->lock);
		if (count_entries_locked(parent) != n) {
			spin_unlock_irqrestore(&parent->lock, f);
			free_entries(nodes);
			continue;
		}
		spin_lock(&ns->lock);
		copy_entries_locked(ns, parent, &nodes);
		spin_unlock(&ns->lock);
		spin_unlock_irqrestore(&parent->lock, f);
		free_entries(nodes); /* the ones a shadowed entry did not need */
		return 0;
	}
}

/*
 * A new namespace whose root is @root; with @copy_parent it starts with
 * every entry of @parent (the default for SPAWN), else with none
 * (SPAWN_EMPTY_NS, OUR CHOICE: the system root only). The caller holds a
 * reference on @parent.
 */
struct namespace *ns_create(struct namespace *parent, struct mount *root, bool copy_parent)
{
	struct namespace *ns = kzalloc(sizeof(*ns));
	if (!ns)
		return NULL;
	/* A copy descends from its parent; an empty one is unrelated to it (fs/lineage.c). */
	ns->lineage = lineage_create(copy_parent && parent ? parent->lineage : NULL);
	if (!ns->lineage) {
		kfree(ns);
		return NULL;
	}
	__atomic_fetch_add(&namespaces_alive, 1, __ATOMIC_RELAXED);
	ns->refcount = 1;
	spin_init(&ns->lock);
	mount_get(root);
	ns->root = root;
	if (parent)
		ns_link_child(parent, ns);
	if (copy_parent && parent && copy_from_parent(ns, parent)) {
		ns_put(ns);
		return NULL;
	}
	return ns;
}

/* A reference unless the namespace is already on its way out (count 0, not yet unlinked). */
static bool ns_tryget(struct namespace *ns)
{
	uint64_t r = __atomic_load_n(&ns->refcount, __ATOMIC_RELAXED);
	while (r != 0)
		if (__atomic_compare_exchange_n(&ns->refcount, &r, r + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* The node after @c in the pre-order of the subtree of @top. Needs ns_tree_lock. */
static struct namespace *preorder_next(struct namespace *top, struct namespace *c)
{
	spin_assert_held(&ns_tree_lock);
	if (c->first_child)
		return c->first_child;
	for (; c != top; c = c->parent)
		if (c->next_sibling)
			return c->next_sibling;
	return NULL;
}

void ns_for_each_relative(struct namespace *ns, bool up, void (*fn)(struct namespace *ns, void *ctx), void *ctx)
{
	/*
	 * One node at a time: find the next live one under ns_tree_lock and take
	 * a reference, call @fn without the lock (it allocates), then move on
	 * from that node, which our reference keeps in the tree. No list, no
	 * recursion, no limit on the depth or the number of namespaces.
	 * The caller's reference keeps @ns (the walk's top) alive.
	 */
	struct namespace *cur = ns, *held = NULL;
	for (;;) {
		irqflags_t f = spin_lock_irqsave(&ns_tree_lock);
		struct namespace *next = up ? cur->parent : preorder_next(ns, cur);
		while (next && !ns_tryget(next))
			next = up ? next->parent : preorder_next(ns, next);
		spin_unlock_irqrestore(&ns_tree_lock, f);
		ns_put(held); /* outside the lock: a last put unlinks under it */
		if (!next)
			return;
		fn(next, ctx);
		held = cur = next;
	}
}

void ns_get(struct namespace *ns)
{
	__atomic_fetch_add(&ns->refcount, 1, __ATOMIC_RELAXED);
}

void ns_put(struct namespace *ns)
{
	if (!ns || __atomic_sub_fetch(&ns->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	ns_unlink(ns);
	struct ns_entry *e = ns->entries;
	while (e) {
		struct ns_entry *next = e->next;
		__atomic_fetch_sub(&e->mount->mountpoint->mounted, 1, __ATOMIC_RELAXED);
		mount_put(e->mount);
		kfree(e);
		e = next;
	}
	mount_put(ns->root);
	/* Last: it may end local sockets, which wakes and frees (may sleep). */
	lineage_ns_gone(ns->lineage);
	__atomic_fetch_sub(&namespaces_alive, 1, __ATOMIC_RELAXED);
	kfree(ns);
}

struct mount *ns_find_mount(struct namespace *ns, struct inode *ino)
{
	/* Most directories are no mount point anywhere: skip the table without a lock. */
	if (!__atomic_load_n(&ino->mounted, __ATOMIC_ACQUIRE))
		return NULL;
	struct mount *m = NULL;
	irqflags_t f = spin_lock_irqsave(&ns->lock);
	for (struct ns_entry *e = ns->entries; e; e = e->next) {
		if (e->mount->mountpoint == ino) {
			m = e->mount;
			mount_get(m);
			break;
		}
	}
	spin_unlock_irqrestore(&ns->lock, f);
	return m;
}

int ns_set_mount(struct namespace *ns, struct mount *m, bool overwrite)
{
	struct ns_entry *n = kzalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	struct mount *old = NULL;
	irqflags_t f = spin_lock_irqsave(&ns->lock);
	for (struct ns_entry *e = ns->entries; e; e = e->next) {
		if (e->mount->mountpoint != m->mountpoint)
			continue;
		if (!overwrite) {
			spin_unlock_irqrestore(&ns->lock, f);
			kfree(n);
			return -EBUSY;
		}
		old = e->mount;
		mount_get(m);
		e->mount = m; /* same mount point: its "mounted" count is unchanged */
		spin_unlock_irqrestore(&ns->lock, f);
		kfree(n);
		mount_put(old);
		return 0;
	}
	if (ns->nentries >= NS_MAX_MOUNTS) {
		spin_unlock_irqrestore(&ns->lock, f);
		kfree(n);
		return -ENOMEM;
	}
	mount_get(m);
	n->mount = m;
	n->next = ns->entries;
	ns->entries = n;
	ns->nentries++;
	__atomic_fetch_add(&m->mountpoint->mounted, 1, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&ns->lock, f);
	return 0;
}

int ns_add_mount(struct namespace *ns, struct mount *m)
{
	return ns_set_mount(ns, m, false);
}
