// SPDX-License-Identifier: MIT
// Host tests of kernel/lib/rbtree.c: invariants, edge cases, seeded random runs vs a sorted array.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernel/lib/rbtree.h"
#include "tests/host/htest.h"

/* Test object; the node sits at a non-zero offset so rb_entry is exercised. */
struct item {
	int key;
	unsigned seq;
	struct rb_node rb;
	bool in_tree;
};

static int key_of(const struct rb_node *n)
{
	return rb_entry(n, const struct item, rb)->key;
}

/* Insert keyed by ->key; equal keys go right, so they keep insertion order. */
static void insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = it->key < key_of(parent) ? &parent->left : &parent->right;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_color(&it->rb, root);
	it->in_tree = true;
}

static void erase(struct rb_root *root, struct item *it)
{
	rb_erase(&it->rb, root);
	it->in_tree = false;
}

static struct item *find(const struct rb_root *root, int key)
{
	struct rb_node *n = root->node;

	while (n) {
		int k = key_of(n);
		if (key == k)
			return rb_entry(n, struct item, rb);
		n = key < k ? n->left : n->right;
	}
	return NULL;
}

/* ------------------------------------------------------------ validator */

struct vstate {
	const char *err;
	size_t count;
	int height;
	bool have_prev;
	int prev;
};

/* Returns the black height of @n (absent leaves count 1), or -1 after an error. */
static int check_subtree(const struct rb_node *n, const struct rb_node *parent,
			 struct vstate *vs, int depth)
{
	if (!n)
		return 1;
	if (depth > vs->height)
		vs->height = depth;
	if (rb_parent(n) != parent) {
		vs->err = "parent pointer mismatch";
		return -1;
	}
	if (rb_is_red(n) && ((n->left && rb_is_red(n->left)) || (n->right && rb_is_red(n->right)))) {
		vs->err = "red node with a red child";
		return -1;
	}
	int lh = check_subtree(n->left, n, vs, depth + 1);
	if (lh < 0)
		return -1;
	/* In-order position: everything to the left has been visited. */
	if (vs->have_prev && key_of(n) < vs->prev) {
		vs->err = "in-order keys not sorted";
		return -1;
	}
	vs->have_prev = true;
	vs->prev = key_of(n);
	vs->count++;
	int rh = check_subtree(n->right, n, vs, depth + 1);
	if (rh < 0)
		return -1;
	if (lh != rh) {
		vs->err = "unequal black heights";
		return -1;
	}
	return lh + !rb_is_red(n);
}

/*
 * Check every red-black invariant of @root holding @expect nodes; returns
 * NULL or a description of the first violation found.
 */
static const char *rb_validate(const struct rb_root *root, size_t expect, int *height)
{
	struct vstate vs = { 0 };

	if (root->node && rb_is_red(root->node))
		return "root is red";
	if (check_subtree(root->node, NULL, &vs, 1) < 0)
		return vs.err;
	if (vs.count != expect)
		return "node count differs";
	/* 2*log2(n + 1) bound on the number of nodes along a path. */
	size_t limit = 0;
	for (size_t n = expect + 1; n > 1; n >>= 1)
		limit++;
	if ((size_t)vs.height > 2 * (limit + 1))
		return "tree too tall";
	if (height)
		*height = vs.height;
	return NULL;
}

#define HEXPECT_VALID(root, n)                                                          \
	do {                                                                            \
		const char *err_ = rb_validate((root), (n), NULL);                      \
		if (err_)                                                               \
			htest_fail(ctx, __FILE__, __LINE__, "invalid tree: %s", err_);  \
	} while (0)

/*
 * Walk forwards with rb_first/rb_next and backwards with rb_last/rb_prev,
 * comparing with @want[0..n). Returns true when both walks match.
 */
static bool walks_match(const struct rb_root *root, const int *want, size_t n)
{
	size_t i = 0;

	for (struct rb_node *it = rb_first(root); it; it = rb_next(it), i++)
		if (i >= n || key_of(it) != want[i])
			return false;
	if (i != n)
		return false;
	for (struct rb_node *it = rb_last(root); it; it = rb_prev(it)) {
		if (i == 0 || key_of(it) != want[--i])
			return false;
	}
	return i == 0;
}

/* ------------------------------------------------------------ reference and PRNG */

/* xorshift64*: reproducible from the seed, independent of the host libc. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static size_t ref_lower_bound(const int *ref, size_t n, int key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ref[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void ref_insert(int *ref, size_t *n, int key)
{
	size_t at = ref_lower_bound(ref, *n, key);

	memmove(ref + at + 1, ref + at, (*n - at) * sizeof(*ref));
	ref[at] = key;
	(*n)++;
}

static void ref_remove_at(int *ref, size_t *n, size_t at)
{
	memmove(ref + at, ref + at + 1, (*n - at - 1) * sizeof(*ref));
	(*n)--;
}

/* Items keyed 0..n-1 in a fresh array. */
static struct item *make_items(size_t n)
{
	struct item *items = calloc(n, sizeof(*items));

	for (size_t i = 0; i < n; i++)
		items[i].key = (int)i;
	return items;
}

/* ------------------------------------------------------------ tests */

HTEST(rbtree, empty_tree)
{
	struct rb_root root = RB_ROOT;

	HEXPECT(rb_empty(&root));
	HEXPECT(rb_first(&root) == NULL);
	HEXPECT(rb_last(&root) == NULL);
	HEXPECT(find(&root, 0) == NULL);
	HEXPECT_VALID(&root, 0);
	HEXPECT(walks_match(&root, NULL, 0));
}

HTEST(rbtree, single_node)
{
	struct rb_root root = RB_ROOT;
	struct item it = { .key = 7 };

	insert(&root, &it);
	HEXPECT(!rb_empty(&root));
	HEXPECT(root.node == &it.rb);
	HEXPECT(!rb_is_red(&it.rb));
	HEXPECT(rb_parent(&it.rb) == NULL);
	HEXPECT(rb_first(&root) == &it.rb);
	HEXPECT(rb_last(&root) == &it.rb);
	HEXPECT(rb_next(&it.rb) == NULL);
	HEXPECT(rb_prev(&it.rb) == NULL);
	HEXPECT(rb_entry(rb_first(&root), struct item, rb) == &it);
	HEXPECT_VALID(&root, 1);

	erase(&root, &it);
	HEXPECT(rb_empty(&root));
	HEXPECT(rb_first(&root) == NULL);
	HEXPECT_VALID(&root, 0);

	/* The node can be reused straight away. */
	insert(&root, &it);
	HEXPECT_VALID(&root, 1);
}

/* The validator must reject each kind of broken tree, or it proves nothing. */
HTEST(rbtree, validator_catches_violations)
{
	struct rb_root root = RB_ROOT;
	struct item *items = make_items(3);

	for (int i = 0; i < 3; i++)
		insert(&root, &items[i]);
	HEXPECT_VALID(&root, 3);
	HEXPECT(root.node == &items[1].rb);

	/* Red root. */
	root.node->parent_color &= ~(uintptr_t)RB_BLACK;
	HEXPECT(rb_validate(&root, 3, NULL) != NULL);
	root.node->parent_color |= RB_BLACK;

	/* Unequal black heights: one black leaf, one red. */
	items[0].rb.parent_color |= RB_BLACK;
	HEXPECT(rb_validate(&root, 3, NULL) != NULL);
	items[0].rb.parent_color &= ~(uintptr_t)RB_BLACK;

	/* Red-red: a red child under a red node. */
	struct item extra = { .key = 3 };
	items[2].rb.right = &extra.rb;
	extra.rb.parent_color = (uintptr_t)&items[2].rb | RB_RED;
	HEXPECT(rb_validate(&root, 4, NULL) != NULL);
	items[2].rb.right = NULL;

	/* Bad parent pointer. */
	items[2].rb.parent_color = (uintptr_t)&items[0].rb | RB_RED;
	HEXPECT(rb_validate(&root, 3, NULL) != NULL);
	items[2].rb.parent_color = (uintptr_t)&items[1].rb | RB_RED;

	/* Out-of-order keys. */
	items[0].key = 5;
	HEXPECT(rb_validate(&root, 3, NULL) != NULL);
	items[0].key = 0;

	/* Wrong count. */
	HEXPECT(rb_validate(&root, 2, NULL) != NULL);
	HEXPECT_VALID(&root, 3);
	free(items);
}

static void sequential_insert(struct htest_ctx *ctx, bool descending)
{
	enum { N = 1000 };
	struct rb_root root = RB_ROOT;
	struct item *items = make_items(N);
	int want[N];

	for (int i = 0; i < N; i++) {
		insert(&root, &items[descending ? N - 1 - i : i]);
		HEXPECT_VALID(&root, (size_t)i + 1);
	}
	for (int i = 0; i < N; i++)
		want[i] = i;
	HEXPECT(walks_match(&root, want, N));
	HEXPECT(key_of(rb_first(&root)) == 0);
	HEXPECT(key_of(rb_last(&root)) == N - 1);
	for (int i = 0; i < N; i++)
		HEXPECT(find(&root, i) == &items[i]);
	free(items);
}

HTEST(rbtree, ascending_insert)
{
	sequential_insert(ctx, false);
}

HTEST(rbtree, descending_insert)
{
	sequential_insert(ctx, true);
}

/* Fill 0..n-1 in a scrambled order so the shape is not a sequential one. */
static void fill_scrambled(struct rb_root *root, struct item *items, size_t n)
{
	/* 7919 is prime and does not divide n, so i*7919 mod n visits all. */
	for (size_t i = 0; i < n; i++)
		insert(root, &items[(i * 7919) % n]);
}

/* Erase whatever @pick chooses until the tree is empty, checking as we go. */
static void erase_all(struct htest_ctx *ctx, struct rb_root *root, struct item *items,
		      size_t n, struct rb_node *(*pick)(struct rb_root *), bool *saw_kind)
{
	int *ref = malloc(n * sizeof(*ref));
	size_t count = n;

	for (size_t i = 0; i < n; i++)
		ref[i] = (int)i;
	while (count) {
		struct rb_node *victim = pick(root);
		if (!victim)
			break;
		*saw_kind = true;
		struct item *it = rb_entry(victim, struct item, rb);
		ref_remove_at(ref, &count, ref_lower_bound(ref, count, it->key));
		erase(root, it);
		HEXPECT(find(root, it->key) == NULL);
		HEXPECT_VALID(root, count);
		HEXPECT(walks_match(root, ref, count));
	}
	/* Whatever the picker cannot choose is cleared by erasing roots. */
	while (count) {
		struct item *it = rb_entry(root->node, struct item, rb);
		ref_remove_at(ref, &count, ref_lower_bound(ref, count, it->key));
		erase(root, it);
		HEXPECT_VALID(root, count);
		HEXPECT(walks_match(root, ref, count));
	}
	HEXPECT(rb_empty(root));
	for (size_t i = 0; i < n; i++)
		HEXPECT(!items[i].in_tree);
	free(ref);
}

static struct rb_node *pick_root(struct rb_root *root)
{
	return root->node;
}

/* The in-order first node with exactly @kids children, or NULL. */
static struct rb_node *first_with_children(struct rb_root *root, int kids)
{
	for (struct rb_node *n = rb_first(root); n; n = rb_next(n))
		if ((n->left != NULL) + (n->right != NULL) == kids)
			return n;
	return NULL;
}

static struct rb_node *pick_leaf(struct rb_root *root)
{
	return first_with_children(root, 0);
}

static struct rb_node *pick_one_child(struct rb_root *root)
{
	return first_with_children(root, 1);
}

static struct rb_node *pick_two_children(struct rb_root *root)
{
	return first_with_children(root, 2);
}

HTEST(rbtree, erase_root)
{
	enum { N = 500 };
	struct rb_root root = RB_ROOT;
	struct item *items = make_items(N);
	bool saw = false;

	fill_scrambled(&root, items, N);
	HEXPECT_VALID(&root, N);
	erase_all(ctx, &root, items, N, pick_root, &saw);
	HEXPECT(saw);
	free(items);
}

HTEST(rbtree, erase_leaves)
{
	enum { N = 500 };
	struct rb_root root = RB_ROOT;
	struct item *items = make_items(N);
	bool saw = false;

	fill_scrambled(&root, items, N);
	erase_all(ctx, &root, items, N, pick_leaf, &saw);
	HEXPECT(saw);
	free(items);
}

HTEST(rbtree, erase_one_child)
{
	enum { N = 500 };
	struct rb_root root = RB_ROOT;
	struct item *items = make_items(N);
	bool saw = false;

	/* Ascending inserts leave red leaves under black parents on the right. */
	for (int i = 0; i < N; i++)
		insert(&root, &items[i]);
	erase_all(ctx, &root, items, N, pick_one_child, &saw);
	HEXPECT(saw);
	free(items);
}

HTEST(rbtree, erase_two_children)
{
	enum { N = 500 };
	struct rb_root root = RB_ROOT;
	struct item *items = make_items(N);
	bool saw = false;

	fill_scrambled(&root, items, N);
	erase_all(ctx, &root, items, N, pick_two_children, &saw);
	HEXPECT(saw);
	free(items);
}

/* Equal keys inserted to the right come back in insertion order. */
HTEST(rbtree, equal_keys_keep_order)
{
	enum { N = 300 };
	struct rb_root root = RB_ROOT;
	struct item *items = calloc(N, sizeof(*items));
	unsigned last_seq[3] = { 0 };
	bool seen[3] = { false };

	for (unsigned i = 0; i < N; i++) {
		items[i].key = (int)(i * 7 % 3);
		items[i].seq = i;
		insert(&root, &items[i]);
	}
	HEXPECT_VALID(&root, N);
	for (struct rb_node *n = rb_first(&root); n; n = rb_next(n)) {
		struct item *it = rb_entry(n, struct item, rb);
		if (seen[it->key])
			HEXPECT(it->seq > last_seq[it->key]);
		seen[it->key] = true;
		last_seq[it->key] = it->seq;
	}
	/* Erasing every other duplicate keeps the survivors in order. */
	for (unsigned i = 0; i < N; i += 2)
		erase(&root, &items[i]);
	HEXPECT_VALID(&root, N / 2);
	unsigned prev_seq = 0;
	int prev_key = -1;
	for (struct rb_node *n = rb_first(&root); n; n = rb_next(n)) {
		struct item *it = rb_entry(n, struct item, rb);
		HEXPECT(it->seq % 2 == 1);
		if (it->key == prev_key)
			HEXPECT(it->seq > prev_seq);
		prev_key = it->key;
		prev_seq = it->seq;
	}
	free(items);
}

/*
 * @ops random operations on keys 0..@keys-1: inserts of absent keys and
 * erases of present ones, insert-heavy for the first half and erase-heavy
 * for the second so the tree both grows and drains. Every @every operations
 * the tree is validated and walked both ways against a sorted array.
 */
static void random_run(struct htest_ctx *ctx, uint64_t seed, int ops, int keys, int every)
{
	struct rb_root root = RB_ROOT;
	struct item *items = make_items((size_t)keys);
	int *ref = malloc((size_t)keys * sizeof(*ref));
	size_t count = 0;
	uint64_t s = seed;
	int bad = 0;

	for (int op = 0; op < ops && bad < 5; op++) {
		unsigned insert_pct = op < ops / 2 ? 70 : 30;
		bool do_insert = count == 0 || rng_next(&s) % 100 < insert_pct;

		if (do_insert) {
			int key = (int)(rng_next(&s) % (uint64_t)keys);
			struct item *it = &items[key];
			if (it->in_tree) {
				/* Present: check the lookup instead. */
				if (find(&root, key) != it)
					bad++;
			} else {
				insert(&root, it);
				ref_insert(ref, &count, key);
			}
		} else {
			size_t at = rng_next(&s) % count;
			struct item *it = &items[ref[at]];
			/* Also check the neighbours the reference predicts. */
			struct rb_node *nx = rb_next(&it->rb), *pv = rb_prev(&it->rb);
			if ((at + 1 < count ? nx == NULL || key_of(nx) != ref[at + 1] : nx != NULL) ||
			    (at > 0 ? pv == NULL || key_of(pv) != ref[at - 1] : pv != NULL))
				bad++;
			erase(&root, it);
			ref_remove_at(ref, &count, at);
		}

		if (op % every == 0 || op == ops - 1) {
			const char *err = rb_validate(&root, count, NULL);
			if (err) {
				htest_fail(ctx, __FILE__, __LINE__, "seed %#llx op %d: %s",
					   (unsigned long long)seed, op, err);
				bad++;
			}
			if (!walks_match(&root, ref, count)) {
				htest_fail(ctx, __FILE__, __LINE__, "seed %#llx op %d: walk mismatch",
					   (unsigned long long)seed, op);
				bad++;
			}
		}
	}
	HEXPECT_EQ(bad, 0);

	/* Drain what is left, checking each step. */
	while (count && bad < 5) {
		erase(&root, &items[ref[count / 2]]);
		ref_remove_at(ref, &count, count / 2);
		if (rb_validate(&root, count, NULL) || !walks_match(&root, ref, count))
			bad++;
	}
	HEXPECT_EQ(bad, 0);
	HEXPECT(rb_empty(&root));
	free(ref);
	free(items);
}

HTEST(rbtree, random_ops)
{
	static const uint64_t seeds[] = { 1, 0x9e3779b97f4a7c15ULL, 0xdeadbeefcafef00dULL,
					  20240601, 0x0123456789abcdefULL };

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		random_run(ctx, seeds[i], 20000, 2048, 5);
}

/* A small key space keeps the tree shallow and churning; check every step. */
HTEST(rbtree, random_small_dense)
{
	for (uint64_t seed = 1; seed <= 8; seed++)
		random_run(ctx, seed * 0x100000001b3ULL, 20000, 48, 1);
}
