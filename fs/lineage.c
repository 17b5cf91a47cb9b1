// SPDX-License-Identifier: MIT
// Lineages: which namespaces were copied from which, remembered past a
// namespace's death while something is tied to it. A default SPAWN copies
// the parent's namespace (spec §7 number 2), SPAWN_EMPTY_NS starts one that
// copies nothing. Local sockets are the user (fs/net/local.c): PatchworkOS
// mounts a socket's directory in its creator's namespace, propagated to
// the namespaces copied from it, and keeps the socket while one of them
// lives; here a socket ties itself to its creator's lineage instead.
//
// The lineages form a forest. A namespace made by copying gets a child of
// its parent's lineage; the kernel's namespace and each SPAWN_EMPTY_NS one
// start a tree, and a tree's first node ("root", never changed) names it:
// namespaces of different trees are unrelated.
//
// Counts: nlive = 1 while the node's namespace lives, plus one for each
// child whose nlive is not 0. At 0 no namespace at or below the node lives,
// and none ever will (a copy needs a live parent namespace): its ties are
// ended. A node leaves the tree once its namespace is dead and nothing is
// tied to it; its children move up to its parent (as namespaces do in
// mount.c), so a line of generations, each spawning the next and exiting,
// leaves no chain of dead nodes behind. What stays in the tree is only the
// live namespaces' nodes and nodes with ties (sockets: NET_LOCAL_MAX_SOCKETS
// at most), so walks up are short.
//
// Locks: lineage_lock (spinlock, leaf) guards the links, counts and tie
// lists of every node. Tie ends run with no lock held.
#include "fs/fs.h"
#include "fs/internal.h"

#include "kernel/mm/kmalloc.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"

struct lineage {
	uint64_t refs;              /* atomic: its namespace, holders (lineage_get), nodes whose root it is */
	struct lineage *root;       /* Immutable: the tree's first node; a reference unless itself */
	/* Guarded by: lineage_lock */
	struct lineage *parent;     /* NULL: the top of its tree, or out of the tree */
	struct lineage *first_child, *prev_sibling, *next_sibling;
	uint64_t nlive;
	bool ns_alive;
	bool in_tree;
	struct lineage_tie *ties;
	uint32_t nties;
};

static struct spinlock lineage_lock = SPINLOCK_INIT;
static uint64_t lineages_alive; /* atomic: the leak counter */

uint64_t fs_lineages_live(void)
{
	return __atomic_load_n(&lineages_alive, __ATOMIC_RELAXED);
}

void lineage_get(struct lineage *l)
{
	__atomic_fetch_add(&l->refs, 1, __ATOMIC_RELAXED);
}

void lineage_put(struct lineage *l)
{
	/* A loop, not recursion: a node's last put may be its root's last too. */
	while (l && __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		struct lineage *root = l->root != l ? l->root : NULL;
		kfree(l);
		__atomic_fetch_sub(&lineages_alive, 1, __ATOMIC_RELAXED);
		l = root;
	}
}

struct lineage *lineage_create(struct lineage *parent)
{
	struct lineage *l = kzalloc(sizeof(*l));
	if (!l)
		return NULL;
	__atomic_fetch_add(&lineages_alive, 1, __ATOMIC_RELAXED);
	l->refs = 1;
	l->ns_alive = true;
	l->nlive = 1;
	l->in_tree = true;
	if (!parent) {
		l->root = l;
		return l;
	}
	lineage_get(parent->root);
	l->root = parent->root;
	irqflags_t f = spin_lock_irqsave(&lineage_lock);
	/* The caller holds the parent's namespace, so the parent is in the tree and live. */
	ASSERT(parent->in_tree && parent->ns_alive && parent->nlive > 0);
	l->parent = parent;
	l->next_sibling = parent->first_child;
	if (parent->first_child)
		parent->first_child->prev_sibling = l;
	parent->first_child = l;
	parent->nlive++;
	spin_unlock_irqrestore(&lineage_lock, f);
	return l;
}

/* Take @l out of the tree; its children take its place under its parent. Context: lineage_lock. */
static void unlink_locked(struct lineage *l)
{
	spin_assert_held(&lineage_lock);
	struct lineage *p = l->parent;
	/* Each child with nlive > 0 now counts for the parent instead of @l, which is dead. */
	if (p)
		p->nlive += l->nlive - (l->nlive > 0);
	for (struct lineage *c = l->first_child, *next; c; c = next) {
		next = c->next_sibling;
		c->parent = p;
		c->prev_sibling = NULL;
		c->next_sibling = NULL;
		if (p) {
			c->next_sibling = p->first_child;
			if (p->first_child)
				p->first_child->prev_sibling = c;
			p->first_child = c;
		}
	}
	if (p) {
		/* @l may sit anywhere in the list now that its children went in front. */
		if (l->prev_sibling)
			l->prev_sibling->next_sibling = l->next_sibling;
		else
			p->first_child = l->next_sibling;
		if (l->next_sibling)
			l->next_sibling->prev_sibling = l->prev_sibling;
	}
	l->parent = l->first_child = l->prev_sibling = l->next_sibling = NULL;
	l->in_tree = false;
}

/*
 * @l lost one unit of nlive (its namespace, or a child's last). Each node
 * that reaches 0 hands its ties to *@ended, leaves the tree and passes the
 * loss to its parent. Context: lineage_lock.
 */
static void lose_live_locked(struct lineage *l, struct lineage_tie **ended)
{
	spin_assert_held(&lineage_lock);
	while (l && --l->nlive == 0) {
		/* No live child: each left the tree when it reached 0 itself. */
		ASSERT(!l->ns_alive && !l->first_child);
		struct lineage_tie *t = l->ties;
		while (t && t->next)
			t = t->next;
		if (t) {
			t->next = *ended;
			*ended = l->ties;
		}
		l->ties = NULL;
		l->nties = 0;
		struct lineage *p = l->parent;
		unlink_locked(l);
		l = p;
	}
}

void lineage_ns_gone(struct lineage *l)
{
	struct lineage_tie *ended = NULL;
	irqflags_t f = spin_lock_irqsave(&lineage_lock);
	l->ns_alive = false;
	lose_live_locked(l, &ended);
	/* Still live below but nothing tied here: no one needs this node any more. */
	if (l->in_tree && !l->nties)
		unlink_locked(l);
	spin_unlock_irqrestore(&lineage_lock, f);
	while (ended) {
		struct lineage_tie *next = ended->next;
		ended->next = NULL;
		ended->end(ended); /* may free the tie's owner */
		ended = next;
	}
	lineage_put(l); /* the namespace's reference */
}

int lineage_tie(struct lineage *l, struct lineage_tie *t, uint32_t max)
{
	irqflags_t f = spin_lock_irqsave(&lineage_lock);
	int err = !l->ns_alive ? -EINTR : l->nties >= max ? -EMFILE : 0;
	if (!err) {
		t->next = l->ties;
		l->ties = t;
		l->nties++;
	}
	spin_unlock_irqrestore(&lineage_lock, f);
	return err;
}

bool lineage_descends(struct lineage *l, struct lineage *anchor)
{
	irqflags_t f = spin_lock_irqsave(&lineage_lock);
	/* A node out of the tree has no parent: only itself matches. */
	struct lineage *n = l;
	while (n && n != anchor)
		n = n->parent;
	spin_unlock_irqrestore(&lineage_lock, f);
	return n != NULL;
}

bool lineage_related(const struct lineage *a, const struct lineage *b)
{
	return a->root == b->root;
}

struct lineage *lineage_current(void)
{
	struct fs_context *ctx = current_process()->fs;
	if (!ctx)
		return NULL;
	irqflags_t f = spin_lock_irqsave(&ctx->lock);
	struct lineage *l = ctx->ns ? ctx->ns->lineage : NULL;
	if (l)
		lineage_get(l);
	spin_unlock_irqrestore(&ctx->lock, f);
	return l;
}
