// SPDX-License-Identifier: MIT
// Path resolution (spec §5.2) as a pure engine over an abstract tree of
// mounts and nodes, so the rules are host-tested and the VFS only supplies
// the primitive steps (lookup, parent, mounts) through struct resolve_ops.
#ifndef QUILT_FS_RESOLVE_H
#define QUILT_FS_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A place in the tree: a node as reached through a mount (Linux's struct path). */
struct rloc {
	void *mnt;
	void *node;
};

/* A mount loop is cut after this many climbs (spec §5.2). */
#define RESOLVE_MAX_CLIMB 1000

/*
 * The primitive steps. Every function that fills an rloc hands out a new
 * reference (released with put); none of them consumes the argument's.
 */
struct resolve_ops {
	bool (*is_dir)(void *ctx, struct rloc loc);
	/* The child @name (@len bytes) of directory @dir, same mount. 0 or -ENOENT / -errno. */
	int (*lookup)(void *ctx, struct rloc dir, const char *name, size_t len, struct rloc *out);
	/* true with *out = (mount, its root) when something is mounted on @loc in this namespace. */
	bool (*mounted_on)(void *ctx, struct rloc loc, struct rloc *out);
	/* @loc is the root of its mount. */
	bool (*is_mount_root)(void *ctx, struct rloc loc);
	/* Where the mount of @loc is attached; false for a mount attached nowhere. */
	bool (*mountpoint)(void *ctx, struct rloc loc, struct rloc *out);
	/* The parent of non-root directory @loc inside its filesystem. 0 or -ENOENT (removed). */
	int (*parent)(void *ctx, struct rloc loc, struct rloc *out);
	void (*get)(void *ctx, struct rloc loc);
	void (*put)(void *ctx, struct rloc loc);
};

struct resolve_env {
	const struct resolve_ops *ops;
	void *ctx;
	struct rloc root;  /* the namespace's root: absolute paths start here, ".." stops here */
	struct rloc start; /* relative paths start here */
};

/*
 * resolve_walk - resolve @pathname (no flags) fully, following mounts on
 * every component including the last.
 * @name_out: when non-NULL (RESOLVE_NAME_MAX bytes), receives the last
 * component actually looked up ("" if none).
 * Returns 0 with *@out referenced, or -ENOENT (missing component, or an
 * intermediate non-directory), -ELOOP (mount loop), or a lookup error.
 * Context: whatever the ops need; pure otherwise.
 */
#define RESOLVE_NAME_MAX 32
int resolve_walk(const struct resolve_env *env, const char *pathname, struct rloc *out, char *name_out);

/*
 * resolve_parent - "parent + last name" mode: resolve everything before the
 * last name (which must be a directory, else -ENOENT), copy the last name
 * into @name_out (RESOLVE_NAME_MAX bytes). The last name itself is not looked
 * up. Returns 0 with *@parent referenced, -EINVAL (last name . or ..),
 * -ENOENT (no last name, or missing/non-directory parent), -ELOOP.
 */
int resolve_parent(const struct resolve_env *env, const char *pathname, struct rloc *parent, char *name_out);

/* Step into what is mounted on *@loc, if anything (consumes and replaces the reference). */
void resolve_follow_mount(const struct resolve_env *env, struct rloc *loc);

#endif
