// SPDX-License-Identifier: MIT
// Path resolution rules of spec §5.2, pure (see resolve.h); the kernel and the
// host tests supply the tree through struct resolve_ops.
#include "fs/resolve.h"

#include "fs/path.h"
#include "kernel/abi/errno.h"

static bool loc_eq(struct rloc a, struct rloc b)
{
	return a.mnt == b.mnt && a.node == b.node;
}

void resolve_follow_mount(const struct resolve_env *env, struct rloc *loc)
{
	struct rloc in;

	/* One level only: PW consults the mount table once per directory. */
	if (env->ops->mounted_on(env->ctx, *loc, &in)) {
		env->ops->put(env->ctx, *loc);
		*loc = in;
	}
}

/*
 * "..": the namespace root is its own parent; the root of a mount climbs to
 * the directory it is mounted on (repeatedly, for mounts stacked on mount
 * roots) and continues from there; otherwise the filesystem's own parent.
 */
static int resolve_dotdot(const struct resolve_env *env, struct rloc *cur)
{
	const struct resolve_ops *ops = env->ops;

	for (int i = 0; i < RESOLVE_MAX_CLIMB; i++) {
		struct rloc next;
		int err;

		if (loc_eq(*cur, env->root))
			return 0;
		if (ops->is_mount_root(env->ctx, *cur)) {
			if (!ops->mountpoint(env->ctx, *cur, &next))
				return 0; /* a mount attached nowhere is a root of its own */
			ops->put(env->ctx, *cur);
			*cur = next;
			continue;
		}
		err = ops->parent(env->ctx, *cur, &next);
		if (err)
			return err;
		ops->put(env->ctx, *cur);
		*cur = next;
		return 0;
	}
	return -ELOOP;
}

static void copy_name(char *dst, const char *src, size_t len)
{
	if (!dst)
		return;
	if (len >= RESOLVE_NAME_MAX)
		len = RESOLVE_NAME_MAX - 1;
	for (size_t i = 0; i < len; i++)
		dst[i] = src[i];
	dst[len] = '\0';
}

int resolve_walk(const struct resolve_env *env, const char *pathname, struct rloc *out, char *name_out)
{
	const struct resolve_ops *ops = env->ops;
	struct rloc cur = pathname[0] == '/' ? env->root : env->start;
	const char *cursor = pathname, *name;
	size_t len;

	ops->get(env->ctx, cur);
	copy_name(name_out, "", 0);
	while ((len = path_next_component(&cursor, &name)) != 0) {
		struct rloc child;
		int err;

		/* A file in the middle of a path is "not found" in PW, not ENOTDIR. */
		if (!ops->is_dir(env->ctx, cur)) {
			err = -ENOENT;
			goto fail;
		}
		if (len == 1 && name[0] == '.')
			continue;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			err = resolve_dotdot(env, &cur);
			if (err)
				goto fail;
			continue;
		}
		err = ops->lookup(env->ctx, cur, name, len, &child);
		if (err)
			goto fail;
		ops->put(env->ctx, cur);
		cur = child;
		resolve_follow_mount(env, &cur);
		copy_name(name_out, name, len);
		continue;
fail:
		ops->put(env->ctx, cur);
		return err;
	}
	*out = cur;
	return 0;
}

int resolve_parent(const struct resolve_env *env, const char *pathname, struct rloc *parent, char *name_out)
{
	char parent_path[PATH_MAX_PATH];
	char last[PATH_MAX_NAME];
	struct rloc p;
	int err;

	err = path_split_last(pathname, parent_path, sizeof(parent_path), last, sizeof(last));
	if (err)
		return err;
	err = resolve_walk(env, parent_path, &p, NULL);
	if (err)
		return err;
	if (!env->ops->is_dir(env->ctx, p)) {
		env->ops->put(env->ctx, p);
		return -ENOENT;
	}
	size_t n = 0;
	while (last[n])
		n++;
	copy_name(name_out, last, n);
	*parent = p;
	return 0;
}
