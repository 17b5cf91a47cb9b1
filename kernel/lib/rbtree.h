// SPDX-License-Identifier: MIT
// Intrusive red-black tree: balanced ordered sets with caller-owned nodes.
#ifndef QUILT_LIB_RBTREE_H
#define QUILT_LIB_RBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A node is embedded in the object it orders; the tree never allocates and
 * never compares keys. Callers search and choose the insertion point
 * themselves, then ask the tree to rebalance:
 *
 *	struct rb_node **link = &root->node, *parent = NULL;
 *	while (*link) {
 *		struct region *r = rb_entry(*link, struct region, rb);
 *		parent = *link;
 *		link = new->start < r->start ? &(*link)->left : &(*link)->right;
 *	}
 *	rb_link_node(&new->rb, parent, link);
 *	rb_insert_color(&new->rb, root);
 *
 * parent_color packs the parent pointer with the node's colour in bit 0
 * (RB_BLACK set, clear for red); nodes are pointer-aligned so the bit is
 * free. The tree does no locking of its own.
 */
struct rb_node {
	uintptr_t parent_color;
	struct rb_node *left, *right;
};

struct rb_root {
	struct rb_node *node;
};

#define RB_RED 0
#define RB_BLACK 1

/* An empty tree: `struct rb_root r = RB_ROOT;`. */
#define RB_ROOT ((struct rb_root){ NULL })

/* The object of type @type whose member @member is the node @ptr. */
#define rb_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/*
 * rb_parent - the parent of @node in its tree.
 * Returns NULL for the root.
 * Context: any; caller holds the lock that guards the tree.
 */
static inline struct rb_node *rb_parent(const struct rb_node *node)
{
	return (struct rb_node *)(node->parent_color & ~(uintptr_t)1);
}

/*
 * rb_is_red - whether @node is coloured red.
 * Returns true for red, false for black.
 * Context: any; caller holds the lock that guards the tree.
 */
static inline bool rb_is_red(const struct rb_node *node)
{
	return (node->parent_color & 1) == RB_RED;
}

/*
 * rb_empty - whether the tree at @root holds no nodes.
 * Returns true when empty.
 * Context: any; caller holds the lock that guards the tree.
 */
static inline bool rb_empty(const struct rb_root *root)
{
	return root->node == NULL;
}

/*
 * rb_link_node - attach @node as a red leaf below @parent at *@link, where
 * @link is &parent->left, &parent->right, or &root->node (with @parent NULL)
 * found by the caller's search. The tree is not yet balanced: call
 * rb_insert_color() next, before anything else looks at the tree.
 * Returns nothing.
 * Context: any; caller holds the lock that guards the tree.
 */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->parent_color = (uintptr_t)parent | RB_RED;
	node->left = node->right = NULL;
	*link = node;
}

/*
 * rb_insert_color - restore the red-black invariants after rb_link_node()
 * put @node into the tree at @root. Recolours and performs at most two
 * rotations; O(log n).
 * Returns nothing.
 * Context: any; caller holds the lock that guards the tree.
 */
void rb_insert_color(struct rb_node *node, struct rb_root *root);

/*
 * rb_erase - remove @node from the tree at @root and rebalance (at most
 * three rotations; O(log n)). @node must be in that tree. Its fields are
 * left stale afterwards; the caller may free or reuse it at once. Other
 * nodes keep their identity, so pointers to them stay valid, but an
 * in-progress iteration must take rb_next() of @node before erasing it.
 * Returns nothing.
 * Context: any; caller holds the lock that guards the tree.
 */
void rb_erase(struct rb_node *node, struct rb_root *root);

/*
 * rb_first - the leftmost (smallest) node of the tree at @root.
 * Returns NULL when the tree is empty.
 * Context: any; caller holds the lock that guards the tree.
 */
struct rb_node *rb_first(const struct rb_root *root);

/*
 * rb_last - the rightmost (largest) node of the tree at @root.
 * Returns NULL when the tree is empty.
 * Context: any; caller holds the lock that guards the tree.
 */
struct rb_node *rb_last(const struct rb_root *root);

/*
 * rb_next - the in-order successor of @node, which must be in a tree.
 * Returns NULL when @node is the last node.
 * Context: any; caller holds the lock that guards the tree.
 */
struct rb_node *rb_next(const struct rb_node *node);

/*
 * rb_prev - the in-order predecessor of @node, which must be in a tree.
 * Returns NULL when @node is the first node.
 * Context: any; caller holds the lock that guards the tree.
 */
struct rb_node *rb_prev(const struct rb_node *node);

#endif
