// SPDX-License-Identifier: MIT
// Host tests of the path resolution rules (fs/resolve.c, spec §5.2) over a
// small fake tree with mounts, and the §5.1 parse-error table end to end.
#include "htest.h"

#include "fs/path.h"
#include "fs/resolve.h"
#include "kernel/abi/errno.h"

/*
 * The fake world: nodes in a tree (parent pointers), mounts (root node,
 * attached at a node of a parent mount), one namespace table mapping a
 * mount point node to the mount on it. References are counted so the tests
 * can check that resolution releases everything it takes.
 */
struct fnode {
	const char *name;
	struct fnode *parent; /* NULL for a filesystem root */
	bool dir, removed;
};

struct fmount {
	struct fnode *root;
	struct fnode *mountpoint;
	struct fmount *parent;
};

#define MAXM 8
static struct fnode *all_nodes[64];
static int nnodes;
static struct fmount *ns_mounts[MAXM]; /* mounts visible in the namespace, keyed by mountpoint */
static int nmounts;
static long refs;

static struct fnode *mk(const char *name, struct fnode *parent, bool dir)
{
	static struct fnode pool[64];
	struct fnode *n = &pool[nnodes];
	*n = (struct fnode){ name, parent, dir, false };
	all_nodes[nnodes++] = n;
	return n;
}

static bool f_is_dir(void *c, struct rloc l)
{
	return ((struct fnode *)l.node)->dir;
}

static int f_lookup(void *c, struct rloc dir, const char *name, size_t len, struct rloc *out)
{
	for (int i = 0; i < nnodes; i++) {
		struct fnode *n = all_nodes[i];
		if (n->parent == dir.node && !n->removed && strlen(n->name) == len && memcmp(n->name, name, len) == 0) {
			out->mnt = dir.mnt;
			out->node = n;
			refs++;
			return 0;
		}
	}
	return -ENOENT;
}

static bool f_mounted_on(void *c, struct rloc l, struct rloc *out)
{
	for (int i = 0; i < nmounts; i++) {
		if (ns_mounts[i]->mountpoint == l.node) {
			out->mnt = ns_mounts[i];
			out->node = ns_mounts[i]->root;
			refs++;
			return true;
		}
	}
	return false;
}

static bool f_is_mount_root(void *c, struct rloc l)
{
	return ((struct fmount *)l.mnt)->root == l.node;
}

static bool f_mountpoint(void *c, struct rloc l, struct rloc *out)
{
	struct fmount *m = l.mnt;
	if (!m->mountpoint)
		return false;
	out->mnt = m->parent;
	out->node = m->mountpoint;
	refs++;
	return true;
}

static int f_parent(void *c, struct rloc l, struct rloc *out)
{
	struct fnode *n = l.node;
	if (n->removed || !n->parent)
		return -ENOENT;
	out->mnt = l.mnt;
	out->node = n->parent;
	refs++;
	return 0;
}

static void f_get(void *c, struct rloc l)
{
	refs++;
}

static void f_put(void *c, struct rloc l)
{
	refs--;
}

static const struct resolve_ops fops = {
	f_is_dir, f_lookup, f_mounted_on, f_is_mount_root, f_mountpoint, f_parent, f_get, f_put,
};

/*
 * /            (root mount)
 *   a/ b/ file
 *      a/file2
 *   dev/       -> devfs mount: null, sub/x
 *   empty/
 */
static struct fnode *root, *a, *b, *file, *file2, *dev, *empty, *droot, *dnull, *dsub, *dx;
static struct fmount rootm, devm;
static struct resolve_env env;

static void world(void)
{
	nnodes = 0;
	nmounts = 0;
	refs = 0;
	root = mk("/", NULL, true);
	a = mk("a", root, true);
	b = mk("b", a, true);
	file = mk("file", root, false);
	file2 = mk("file2", a, false);
	dev = mk("dev", root, true);
	empty = mk("empty", root, true);
	droot = mk("__root__", NULL, true);
	dnull = mk("null", droot, false);
	dsub = mk("sub", droot, true);
	dx = mk("x", dsub, false);
	rootm = (struct fmount){ root, NULL, NULL };
	devm = (struct fmount){ droot, dev, &rootm };
	ns_mounts[nmounts++] = &devm;
	env = (struct resolve_env){ &fops, NULL, { &rootm, root }, { &rootm, a } };
}

/* Resolve @path; returns the node (or NULL with *err set), dropping the reference. */
static struct fnode *walk(const char *path, int *err, struct fmount **mnt)
{
	struct rloc out;
	*err = resolve_walk(&env, path, &out, NULL);
	if (*err)
		return NULL;
	refs--;
	if (mnt)
		*mnt = out.mnt;
	return out.node;
}

HTEST(resolve, absolute_relative_and_empty)
{
	int err;
	world();
	HEXPECT(walk("/a/b", &err, NULL) == b);
	HEXPECT(walk("b", &err, NULL) == b); /* from the start point a */
	HEXPECT(walk("", &err, NULL) == a);  /* empty: the start point itself */
	HEXPECT(walk("/", &err, NULL) == root);
	HEXPECT(walk("//a///b/", &err, NULL) == b);
	HEXPECT(walk("./b/.", &err, NULL) == b);
	HEXPECT_EQ(refs, 0);
}

HTEST(resolve, dotdot_and_root)
{
	int err;
	world();
	HEXPECT(walk("..", &err, NULL) == root);
	HEXPECT(walk("/..", &err, NULL) == root);
	HEXPECT(walk("/../../a/..", &err, NULL) == root);
	HEXPECT(walk("/a/b/..", &err, NULL) == a);
	HEXPECT(walk("b/../../a/b", &err, NULL) == b);
	HEXPECT_EQ(refs, 0);
}

HTEST(resolve, mounts_are_followed_and_climbed)
{
	int err;
	struct fmount *m;
	world();
	HEXPECT(walk("/dev", &err, &m) == droot);
	HEXPECT(m == &devm);
	HEXPECT(walk("/dev/null", &err, &m) == dnull);
	HEXPECT(walk("/dev/sub/x", &err, NULL) == dx);
	/* /dev/.. is / : from a mounted root to the parent of its mount point. */
	HEXPECT(walk("/dev/..", &err, &m) == root);
	HEXPECT(m == &rootm);
	HEXPECT(walk("/dev/sub/../..", &err, NULL) == root);
	HEXPECT(walk("/dev/../a/b", &err, NULL) == b);
	HEXPECT_EQ(refs, 0);
}

HTEST(resolve, namespace_root_inside_a_mount)
{
	int err;
	world();
	/* A namespace whose root is the devfs root: ".." never leaves it. */
	env.root = (struct rloc){ &devm, droot };
	env.start = env.root;
	HEXPECT(walk("/..", &err, NULL) == droot);
	HEXPECT(walk("sub/../..", &err, NULL) == droot);
	HEXPECT(walk("/null", &err, NULL) == dnull);
	HEXPECT_EQ(refs, 0);
}

HTEST(resolve, intermediate_file_and_missing)
{
	int err;
	world();
	HEXPECT(walk("/file/x", &err, NULL) == NULL);
	HEXPECT_EQ(err, -ENOENT); /* not ENOTDIR (PW, kept) */
	HEXPECT(walk("/file/", &err, NULL) == file); /* trailing '/' ignored on a file */
	HEXPECT(walk("/file/.", &err, NULL) == NULL);
	HEXPECT_EQ(err, -ENOENT);
	HEXPECT(walk("/missing", &err, NULL) == NULL);
	HEXPECT_EQ(err, -ENOENT);
	HEXPECT(walk("/missing/a", &err, NULL) == NULL);
	HEXPECT_EQ(err, -ENOENT);
	HEXPECT_EQ(refs, 0);
}

HTEST(resolve, removed_directory_has_no_parent)
{
	int err;
	world();
	b->removed = true;
	env.start = (struct rloc){ &rootm, b };
	HEXPECT(walk("..", &err, NULL) == NULL);
	HEXPECT_EQ(err, -ENOENT);
	HEXPECT(walk("", &err, NULL) == b);
	HEXPECT_EQ(refs, 0);
}

HTEST(resolve, mount_loop_is_cut)
{
	int err;
	world();
	/* Two mounts attached on each other's roots: climbing never ends. */
	static struct fmount m1, m2;
	struct fnode *n1 = mk("n1", NULL, true), *n2 = mk("n2", NULL, true);
	m1 = (struct fmount){ n1, n2, &m2 };
	m2 = (struct fmount){ n2, n1, &m1 };
	env.start = (struct rloc){ &m1, n1 };
	HEXPECT(walk("..", &err, NULL) == NULL);
	HEXPECT_EQ(err, -ELOOP);
	HEXPECT_EQ(refs, 0);
}

static int parent(const char *path, struct fnode **dir, char *name)
{
	struct rloc out;
	int err = resolve_parent(&env, path, &out, name);
	if (!err) {
		refs--;
		*dir = out.node;
	}
	return err;
}

HTEST(resolve, parent_and_last_name)
{
	struct fnode *d;
	char name[RESOLVE_NAME_MAX];
	world();
	HEXPECT_EQ(parent("/a/new", &d, name), 0);
	HEXPECT(d == a);
	HEXPECT_STREQ(name, "new");
	HEXPECT_EQ(parent("new/", &d, name), 0); /* relative: the start point */
	HEXPECT(d == a);
	HEXPECT_EQ(parent("/x", &d, name), 0);
	HEXPECT(d == root);
	/* The last name is not followed into a mount: /dev is the plain directory's name. */
	HEXPECT_EQ(parent("/dev", &d, name), 0);
	HEXPECT(d == root);
	HEXPECT_STREQ(name, "dev");
	/* ...but the parent part is: /dev/y lives in the devfs root. */
	HEXPECT_EQ(parent("/dev/y", &d, name), 0);
	HEXPECT(d == droot);
	HEXPECT_EQ(parent("/", &d, name), -ENOENT);
	HEXPECT_EQ(parent("", &d, name), -ENOENT);
	HEXPECT_EQ(parent("/a/..", &d, name), -EINVAL);
	HEXPECT_EQ(parent("/a/.", &d, name), -EINVAL);
	HEXPECT_EQ(parent("/missing/x", &d, name), -ENOENT);
	HEXPECT_EQ(parent("/file/x", &d, name), -ENOENT); /* parent is not a directory */
	HEXPECT_EQ(refs, 0);
}

/* Every row of the §5.1 error table, in the order the string is scanned. */
HTEST(resolve, parse_error_table_rows)
{
	struct path_parsed p;
	char s[300];
	HEXPECT_EQ(path_parse(NULL, &p), -EINVAL);
	memset(s, 'a', 256);
	s[256] = 0;
	HEXPECT_EQ(path_parse(s, &p), -ENAMETOOLONG); /* no NUL within 256 bytes */
	HEXPECT_EQ(path_parse("/tmp/a*b", &p), -EINVAL);
	HEXPECT_EQ(path_parse("/tmp/\x80", &p), -EINVAL);
	memset(s, 'n', 32);
	s[32] = 0;
	HEXPECT_EQ(path_parse(s, &p), -ENAMETOOLONG); /* a 32-character component */
	s[31] = 0;
	HEXPECT_EQ(path_parse(s, &p), 0); /* 31 are fine */
	HEXPECT_EQ(path_parse("/f:r-w", &p), -EBADFLAG);
	memset(s, 'r', 40);
	memcpy(s, "/f:", 3);
	s[3 + 32] = 0;
	HEXPECT_EQ(path_parse(s, &p), -ENAMETOOLONG); /* a 32-character token */
	HEXPECT_EQ(path_parse("/f:zz", &p), -EBADFLAG);
	HEXPECT_EQ(path_parse("/f:READ", &p), -EBADFLAG);
	/* The first error met wins: a bad character before a bad flag. */
	HEXPECT_EQ(path_parse("/a*:zz", &p), -EINVAL);
	HEXPECT_EQ(path_parse("/f::r:", &p), 0);
	HEXPECT_EQ(p.flags, PATH_FLAG_READ);
}
