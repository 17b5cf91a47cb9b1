// SPDX-License-Identifier: MIT
// The file layer against what a hostile program can build: chains deeper
// than the kernel stack allows recursion for (nested directories, mounts
// bound inside mounts, a line of namespace generations), namespaces that
// must die with their last user while propagation still reaches their
// relatives, pipes whose two ends are released at once, and a spawn from a
// parent that is terminating (issue 13, defects 1, 2 and 6).
#include "fs/fs.h"
#include "fs/internal.h"
#include "fs/path.h"
#include "kernel/abi/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"
#include "kernel/test/ktest.h"
#include "kernel/time/time.h"

/* Far beyond what recursion on a 32 KiB stack survives (the old code died near 1,000). */
enum { DEEP = 2000, GENERATIONS = 5000 };

/* /tmp of the system root, with a reference. */
static struct inode *tmp_dir(void)
{
	struct inode *root = fs_root_mount->root, *tmp;
	return root->ops->lookup(root, "tmp", 3, &tmp) == 0 ? tmp : NULL;
}

/* Make /tmp/<name>/d/d/.../d (@depth directories below <name>); the deepest one, with a reference. */
static struct inode *make_chain(struct inode *tmp, const char *name, int depth)
{
	struct inode *cur;
	if (tmp->ops->create(tmp, name, strlen(name), true, &cur))
		return NULL;
	for (int i = 0; i < depth; i++) {
		struct inode *next;
		int err = cur->ops->create(cur, "d", 1, true, &next);
		inode_put(cur);
		if (err)
			return NULL;
		cur = next;
	}
	return cur;
}

KTEST(fs, ramfs_remove_deep_chain)
{
	uint64_t inodes = fs_inodes_live();
	struct inode *tmp = tmp_dir();
	KASSERT(tmp);
	struct inode *deepest = make_chain(tmp, "ktest-deep", DEEP);
	KASSERT(deepest);
	KEXPECT_EQ(fs_inodes_live(), inodes + DEEP + 1);

	/* A mount point at the bottom, in a namespace of its own: the recursive remove refuses. */
	struct inode *leaf;
	KASSERT(deepest->ops->create(deepest, "mp", 2, true, &leaf) == 0);
	struct mount *m = mount_create(tmp, fs_root_mount, leaf, PATH_FLAG_READ);
	struct namespace *ns = ns_create(fs_kernel_ns, fs_root_mount, false);
	KASSERT(m && ns);
	KEXPECT_EQ(ns_add_mount(ns, m), 0);
	KEXPECT_EQ(tmp->ops->remove(tmp, "ktest-deep", 10, false), -ENOTEMPTY);
	KEXPECT_EQ(tmp->ops->remove(tmp, "ktest-deep", 10, true), -EBUSY);
	ns_put(ns);
	mount_put(m);
	inode_put(leaf);

	/* Now nothing is mounted: all 2,002 directories go, the deepest (still referenced) last. */
	KEXPECT_EQ(tmp->ops->remove(tmp, "ktest-deep", 10, true), 0);
	KEXPECT(deepest->removed);
	KEXPECT_EQ(deepest->nlink, 0);
	struct inode *gone;
	KEXPECT_EQ(tmp->ops->lookup(tmp, "ktest-deep", 10, &gone), -ENOENT);
	KEXPECT_EQ(fs_inodes_live(), inodes + 1);
	inode_put(deepest);
	inode_put(tmp);
	KEXPECT_EQ(fs_inodes_live(), inodes);
}

KTEST(fs, mount_chain_released_without_recursion)
{
	/* Each mount bound inside the previous one: a parent chain; the tip's last put frees it all. */
	uint64_t mounts = fs_mounts_live();
	struct inode *tmp = tmp_dir();
	KASSERT(tmp);
	struct mount *m = fs_root_mount;
	mount_get(m);
	for (int i = 0; i < GENERATIONS; i++) {
		struct mount *next = mount_create(tmp, m, tmp, PATH_FLAG_READ);
		mount_put(m); /* the chain is held by its tip alone */
		m = next;
		if (!m)
			break;
	}
	KASSERT(m);
	KEXPECT_EQ(fs_mounts_live(), mounts + GENERATIONS);
	mount_put(m);
	KEXPECT_EQ(fs_mounts_live(), mounts);
	inode_put(tmp);
}

KTEST(fs, namespace_generations_do_not_pile_up)
{
	/*
	 * What a line of processes does when each spawns the next and exits:
	 * the child namespace is made from the parent's, then the parent's only
	 * user goes. Only the youngest must remain; the old code kept every
	 * ancestor and freed them by recursion at the end.
	 */
	uint64_t before = fs_namespaces_live(), lineages = fs_lineages_live();
	uint64_t most = 0, most_lineages = 0;
	struct namespace *cur = ns_create(fs_kernel_ns, fs_kernel_ns->root, true);
	KASSERT(cur);
	for (int i = 0; i < GENERATIONS; i++) {
		struct namespace *next = ns_create(cur, cur->root, true);
		KASSERT(next);
		ns_put(cur);
		cur = next;
		uint64_t now = fs_namespaces_live() - before;
		if (now > most)
			most = now;
		now = fs_lineages_live() - lineages;
		if (now > most_lineages)
			most_lineages = now;
	}
	KEXPECT_EQ(most, 1);
	/* Nothing was tied to the dead ones: their lineages went too (fs/lineage.c). */
	KEXPECT_EQ(most_lineages, 1);
	/* The survivor hangs off the nearest live ancestor, the kernel's namespace. */
	KEXPECT(cur->parent == fs_kernel_ns);
	KEXPECT(lineage_descends(cur->lineage, fs_kernel_ns->lineage));
	ns_put(cur);
	KEXPECT_EQ(fs_namespaces_live(), before);
	KEXPECT_EQ(fs_lineages_live(), lineages);
}

struct tie_probe {
	struct lineage_tie tie; /* first: the end callback casts back */
	int ended;
};

static void tie_probe_end(struct lineage_tie *t)
{
	((struct tie_probe *)t)->ended++;
}

KTEST(fs, lineage_tie_ends_with_the_last_namespace_copied_from_it)
{
	/*
	 * A local socket's rule (fs/net/local.c): seen and kept by its
	 * creator's namespace and those copied from it, at any depth, not by
	 * an empty one (SPAWN_EMPTY_NS) nor what is copied from that.
	 */
	uint64_t before = fs_namespaces_live(), lineages = fs_lineages_live();
	struct namespace *creator = ns_create(fs_kernel_ns, fs_kernel_ns->root, true);
	KASSERT(creator);
	struct lineage *anchor = creator->lineage;
	lineage_get(anchor); /* as a socket holds it */
	struct tie_probe p = { .tie.end = tie_probe_end }, q = { .tie.end = tie_probe_end };
	KEXPECT_EQ(lineage_tie(anchor, &p.tie, 1), 0);
	KEXPECT_EQ(lineage_tie(anchor, &q.tie, 1), -EMFILE);
	struct namespace *copy = ns_create(creator, creator->root, true);
	struct namespace *empty = ns_create(creator, fs_root_mount, false);
	KASSERT(copy && empty);
	struct namespace *grandchild = ns_create(copy, copy->root, true);
	struct namespace *below_empty = ns_create(empty, empty->root, true);
	KASSERT(grandchild && below_empty);
	KEXPECT(lineage_descends(anchor, anchor));
	KEXPECT(lineage_descends(grandchild->lineage, anchor));
	KEXPECT(!lineage_descends(empty->lineage, anchor));
	KEXPECT(!lineage_descends(below_empty->lineage, anchor));
	KEXPECT(!lineage_descends(fs_kernel_ns->lineage, anchor));
	KEXPECT(lineage_related(fs_kernel_ns->lineage, grandchild->lineage));
	KEXPECT(!lineage_related(below_empty->lineage, anchor));
	KEXPECT(lineage_related(below_empty->lineage, empty->lineage));
	/* The creator and then the middle go: the grandchild still descends from the anchor. */
	ns_put(creator);
	ns_put(copy);
	KEXPECT_EQ(p.ended, 0);
	KEXPECT(lineage_descends(grandchild->lineage, anchor));
	KEXPECT_EQ(lineage_tie(anchor, &q.tie, 8), -EINTR); /* its namespace is gone */
	/* The last copy goes: the tie ends, though the empty ones live. */
	ns_put(grandchild);
	KEXPECT_EQ(p.ended, 1);
	ns_put(below_empty);
	ns_put(empty);
	KEXPECT_EQ(q.ended, 0);
	lineage_put(anchor);
	KEXPECT_EQ(fs_namespaces_live(), before);
	KEXPECT_EQ(fs_lineages_live(), lineages);
}

struct visits {
	struct namespace *seen[8];
	int n;
	struct mount *m; /* propagated like BIND does, when set */
};

static void visit(struct namespace *ns, void *arg)
{
	struct visits *v = arg;
	if (v->n < 8)
		v->seen[v->n] = ns;
	v->n++;
	if (v->m)
		ns_set_mount(ns, v->m, false);
}

KTEST(fs, propagation_reaches_relatives_of_dead_namespaces)
{
	/* top -> mid -> low -> leaf, plus a sibling of mid; then mid's last user goes. */
	uint64_t before = fs_namespaces_live();
	struct namespace *top = ns_create(fs_kernel_ns, fs_kernel_ns->root, true);
	KASSERT(top);
	struct namespace *mid = ns_create(top, top->root, true);
	struct namespace *sib = ns_create(top, top->root, true);
	KASSERT(mid && sib);
	struct namespace *low = ns_create(mid, mid->root, true);
	KASSERT(low);
	struct namespace *leaf = ns_create(low, low->root, true);
	KASSERT(leaf);
	ns_put(mid);
	KEXPECT_EQ(fs_namespaces_live(), before + 4);
	KEXPECT(low->parent == top);

	/* Up from the leaf: low, top, then the kernel's namespace. */
	struct visits up = { .n = 0 };
	ns_for_each_relative(leaf, true, visit, &up);
	KEXPECT_EQ(up.n, 3);
	KEXPECT(up.seen[0] == low && up.seen[1] == top && up.seen[2] == fs_kernel_ns);

	/* Down from top, in pre-order: every live descendant once, a binding reaches all of them. */
	struct inode *tmp = tmp_dir();
	KASSERT(tmp);
	struct inode *mp;
	KASSERT(tmp->ops->create(tmp, "ktest-prop", 10, true, &mp) == 0);
	struct mount *m = mount_create(tmp, fs_root_mount, mp, PATH_FLAG_READ);
	KASSERT(m);
	struct visits down = { .n = 0, .m = m };
	ns_for_each_relative(top, false, visit, &down);
	KEXPECT_EQ(down.n, 3);
	struct mount *found;
	struct namespace *all[] = { sib, low, leaf };
	for (int i = 0; i < 3; i++) {
		found = ns_find_mount(all[i], mp);
		KEXPECT(found == m);
		mount_put(found);
	}
	KEXPECT(ns_find_mount(top, mp) == NULL);
	KEXPECT_EQ(mp->mounted, 3);

	/* The middle of the chain goes while the leaf lives: the leaf moves up to top. */
	ns_put(low);
	KEXPECT(leaf->parent == top);
	down = (struct visits){ .n = 0 };
	ns_for_each_relative(top, false, visit, &down);
	KEXPECT_EQ(down.n, 2);
	ns_put(leaf);
	ns_put(sib);
	ns_put(top);
	KEXPECT_EQ(fs_namespaces_live(), before);
	KEXPECT_EQ(mp->mounted, 0);
	mount_put(m);
	inode_put(mp);
	KEXPECT_EQ(tmp->ops->remove(tmp, "ktest-prop", 10, false), 0);
	inode_put(tmp);
}

KTEST(fs, spawn_from_terminating_parent_fails)
{
	/* The parent's context is released at termination (fs_process_exit) before its threads stop. */
	uint64_t before = fs_namespaces_live();
	struct process *parent = process_create(31);
	KASSERT(parent);
	KASSERT(fs_process_init(parent, NULL, 0) == 0);
	fs_process_exit(parent);
	struct process *child = process_create(31);
	KASSERT(child);
	KEXPECT_EQ(fs_process_init(child, parent, 0), -EINTR);
	KEXPECT(child->fs == NULL); /* no copy of the kernel's namespace, nothing inherited */
	KEXPECT_EQ(fs_process_init(child, parent, SPAWN_EMPTY_NS), -EINTR);
	KEXPECT(child->fs == NULL);
	KEXPECT_EQ(fs_namespaces_live(), before);
	process_terminate(child, EINTR);
	process_terminate(parent, 0);
	process_put(child);
	process_put(parent);
	process_reap_now();
}

/* ---- pipes: both ends released at the same moment ---- */

struct release_race {
	struct file *slot[2]; /* published by the release store of round */
	uint64_t round;    /* atomic: bumped by the coordinator to start a round */
	uint64_t done[2];  /* atomic: the last round each side finished */
	uint64_t rounds;
};

static void release_side(struct release_race *r, int side)
{
	for (uint64_t round = 1; round <= r->rounds; round++) {
		/* Yield, not spin: kernel threads are not preempted, the coordinator needs a CPU. */
		while (__atomic_load_n(&r->round, __ATOMIC_ACQUIRE) < round)
			sched_yield();
		file_put(r->slot[side]);
		__atomic_store_n(&r->done[side], round, __ATOMIC_RELEASE);
	}
}

static void release_side0(void *arg)
{
	release_side(arg, 0);
}

static void release_side1(void *arg)
{
	release_side(arg, 1);
}

KTEST(fs, pipe_ends_released_concurrently)
{
	/*
	 * Two threads on two CPUs each drop one end of the same pipe at once,
	 * many times; with heap_debug the freed pipe is poisoned, so a releaser
	 * touching it after the other freed it reads garbage wait-queue links
	 * and faults.
	 */
	static struct release_race r;
	memset(&r, 0, sizeof(r));
	r.rounds = 3000;
	struct vfs_lookup lk;
	KASSERT(vfs_lookup_init(&lk, &kernel_process, NULL) == 0);
	struct thread *a = kthread_create(release_side0, &r, 32);
	struct thread *b = kthread_create(release_side1, &r, 32);
	KASSERT(a && b);
	for (uint64_t round = 1; round <= r.rounds; round++) {
		struct file *f[2];
		int err = vfs_open2(&lk, "/dev/pipe/new", PATH_FLAG_READ | PATH_FLAG_WRITE, f);
		if (err) {
			/* The threads wait for this round: give them a pipe made another way. */
			KEXPECT_EQ(err, 0);
			KASSERT(vfs_open2(&lk, "/dev/pipe/new", PATH_FLAG_READ | PATH_FLAG_WRITE, f) == 0);
		}
		r.slot[0] = f[0];
		r.slot[1] = f[1];
		__atomic_store_n(&r.round, round, __ATOMIC_RELEASE);
		while (__atomic_load_n(&r.done[0], __ATOMIC_ACQUIRE) < round ||
		       __atomic_load_n(&r.done[1], __ATOMIC_ACQUIRE) < round)
			sched_yield();
	}
	KEXPECT_EQ(thread_join(a), 0);
	KEXPECT_EQ(thread_join(b), 0);
	thread_put(a);
	thread_put(b);
	vfs_lookup_done(&lk);
}
