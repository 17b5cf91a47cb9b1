// SPDX-License-Identifier: MIT
// Red-black tree rebalancing, removal and in-order walking.
#include "kernel/lib/rbtree.h"

/*
 * Invariants between calls (absent children count as black): the root is
 * black; no red node has a red child; every downward path from a node to an
 * absent child crosses the same number of black nodes (its black height).
 * Hence height <= 2*log2(n + 1). Left and right cases mirror each other, so
 * fix-ups are written once over a direction: 0 left, 1 right, !dir opposite.
 */

static inline struct rb_node **slot(struct rb_node *node, int dir)
{
	return dir ? &node->right : &node->left;
}

static inline bool is_black(const struct rb_node *node)
{
	return !node || !rb_is_red(node);
}

static inline void set_black(struct rb_node *node)
{
	node->parent_color |= RB_BLACK;
}

static inline void set_red(struct rb_node *node)
{
	node->parent_color &= ~(uintptr_t)RB_BLACK;
}

/* Change @node's parent and keep its colour. */
static inline void set_parent(struct rb_node *node, struct rb_node *parent)
{
	node->parent_color = (uintptr_t)parent | (node->parent_color & RB_BLACK);
}

/* Make @new take @old's place under @parent (or at the root). */
static inline void change_child(struct rb_root *root, struct rb_node *parent,
				struct rb_node *old, struct rb_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/*
 * Rotate @node down towards side @dir; its child on the other side rises
 * into its place. In-order sequence and colours are unchanged.
 */
static void rotate(struct rb_root *root, struct rb_node *node, int dir)
{
	struct rb_node *parent = rb_parent(node);
	struct rb_node *up = *slot(node, !dir);
	struct rb_node *inner = *slot(up, dir);

	/* @inner lies between @node and @up, so it changes sides. */
	*slot(node, !dir) = inner;
	if (inner)
		set_parent(inner, node);
	*slot(up, dir) = node;
	set_parent(up, parent);
	change_child(root, parent, node, up);
	set_parent(node, up);
}

void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	struct rb_node *parent;

	/* @node is red: black heights hold, only @node and its parent may clash. */
	while ((parent = rb_parent(node)) && rb_is_red(parent)) {
		/* A red parent is never the root, so the grandparent exists. */
		struct rb_node *gparent = rb_parent(parent);
		int side = gparent->right == parent;
		struct rb_node *uncle = *slot(gparent, !side);

		if (!is_black(uncle)) {
			/*
			 * Push the grandparent's black down to both children;
			 * the now red grandparent may clash higher up, so climb.
			 */
			set_black(parent);
			set_black(uncle);
			set_red(gparent);
			node = gparent;
			continue;
		}

		if (*slot(parent, !side) == node) {
			/* Inner grandchild: rotate it up so the red pair is outer. */
			rotate(root, parent, side);
			parent = node;
		}

		/*
		 * Outer red pair, black uncle: lift the parent (turned black)
		 * and sink the grandparent (turned red) to the uncle's side.
		 */
		set_black(parent);
		set_red(gparent);
		rotate(root, gparent, !side);
		break;
	}
	/* Either we stopped at the root, or it was already black. */
	set_black(root->node);
}

/*
 * Rebalance after a black node was unlinked: every path through @node's
 * position (under @parent) is one black short. @node is the subtree now in
 * that position and may be NULL.
 */
static void erase_fixup(struct rb_root *root, struct rb_node *node, struct rb_node *parent)
{
	while (node != root->node && is_black(node)) {
		/*
		 * The sibling's side has black height >= 1, so it exists and
		 * the side test is sound even when @node is NULL.
		 */
		int side = parent->left != node;
		struct rb_node *sib = *slot(parent, !side);
		struct rb_node *near, *far;

		if (rb_is_red(sib)) {
			/*
			 * Rotate a red sibling above the parent, swapping their
			 * colours; the new sibling was its child, hence black.
			 */
			set_black(sib);
			set_red(parent);
			rotate(root, parent, side);
			sib = *slot(parent, !side);
		}

		near = *slot(sib, side);
		far = *slot(sib, !side);
		if (is_black(near) && is_black(far)) {
			/* Redden the sibling: the deficit moves up to @parent. */
			set_red(sib);
			node = parent;
			parent = rb_parent(node);
			continue;
		}

		if (is_black(far)) {
			/* Rotate the red near nephew out so the far one is red. */
			set_black(near);
			set_red(sib);
			rotate(root, sib, !side);
			far = sib;
			sib = near;
		}

		/*
		 * Lift the sibling into the parent's place and colour; the
		 * parent, now black, sinks to @node's side to supply the
		 * missing black and the far nephew turns black to replace the
		 * sibling's.
		 */
		sib->parent_color = (sib->parent_color & ~(uintptr_t)RB_BLACK) |
				    (parent->parent_color & RB_BLACK);
		set_black(parent);
		set_black(far);
		rotate(root, parent, side);
		node = root->node;
		break;
	}
	/* A red node absorbs the deficit by turning black; the root is black anyway. */
	if (node)
		set_black(node);
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	struct rb_node *child, *parent;
	bool was_black;

	if (!node->left || !node->right) {
		/* At most one child: splice it into @node's place. */
		child = node->left ? node->left : node->right;
		parent = rb_parent(node);
		was_black = !rb_is_red(node);
		change_child(root, parent, node, child);
		if (child)
			set_parent(child, parent);
	} else {
		/*
		 * Two children: the successor (leftmost on the right) has no
		 * left child. It takes @node's place and colour, so only the
		 * colour of its old position is lost.
		 */
		struct rb_node *succ = node->right;

		while (succ->left)
			succ = succ->left;
		child = succ->right;
		was_black = !rb_is_red(succ);
		if (succ == node->right) {
			/* @child stays as succ's right child. */
			parent = succ;
		} else {
			parent = rb_parent(succ);
			parent->left = child;
			if (child)
				set_parent(child, parent);
			succ->right = node->right;
			set_parent(succ->right, succ);
		}
		succ->left = node->left;
		set_parent(succ->left, succ);
		succ->parent_color = node->parent_color;
		change_child(root, rb_parent(node), node, succ);
	}

	/* Removing a red position changes no black height. */
	if (was_black)
		erase_fixup(root, child, parent);
}

/* Extreme node of the subtree at @node on side @dir. */
static struct rb_node *extreme(struct rb_node *node, int dir)
{
	if (node)
		while (*slot(node, dir))
			node = *slot(node, dir);
	return node;
}

struct rb_node *rb_first(const struct rb_root *root)
{
	return extreme(root->node, 0);
}

struct rb_node *rb_last(const struct rb_root *root)
{
	return extreme(root->node, 1);
}

/*
 * Neighbour of @node towards @dir: the nearest node of that subtree, else
 * the first ancestor reached from the opposite side.
 */
static struct rb_node *step(const struct rb_node *node, int dir)
{
	struct rb_node *cur = (struct rb_node *)node;
	struct rb_node *parent;

	if (*slot(cur, dir))
		return extreme(*slot(cur, dir), !dir);
	while ((parent = rb_parent(cur)) && *slot(parent, dir) == cur)
		cur = parent;
	return parent;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	return step(node, 1);
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	return step(node, 0);
}
