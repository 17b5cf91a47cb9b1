// SPDX-License-Identifier: MIT
// mv: rename a file by linking the new name and removing the old one.
// Directories cannot be moved (LINK refuses them).
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fail(const char *what, int err)
{
	fprintf(stderr, "mv: %s: %s\n", what, strerror(err));
	exit(EXIT_FAILURE);
}

/* The last component of @path, ignoring trailing slashes, into @out; false if too long. */
static bool base_name(const char *path, char *out, size_t size)
{
	size_t end = strlen(path), start;

	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	return snprintf(out, size, "%.*s", (int)(end - start), path + start) < (int)size;
}

int main(int argc, char **argv)
{
	char target[MAX_PATH], name[MAX_NAME];
	struct abi_stat old_st, new_st;
	const char *old, *new;

	if (argc != 3) {
		fprintf(stderr, "usage: mv old new\n");
		return EXIT_FAILURE;
	}
	old = argv[1];
	new = argv[2];
	if (stat(old, &old_st) == ERR)
		fail(old, errno);
	if (old_st.type == INODE_DIR)
		fail(old, EISDIR);

	/* "mv f dir" means dir/f. */
	if (stat(new, &new_st) != ERR && new_st.type == INODE_DIR) {
		if (!base_name(old, name, sizeof(name)))
			fail(old, ENAMETOOLONG);
		if (snprintf(target, sizeof(target), "%s/%s", new, name) >= (int)sizeof(target))
			fail(new, ENAMETOOLONG);
		new = target;
	}

	if (link(old, new) == ERR) {
		if (errno != EEXIST)
			fail(new, errno);
		/* Replace an existing file, but never the file itself: that would delete it. */
		if (stat(new, &new_st) == ERR)
			fail(new, errno);
		if (new_st.type == INODE_DIR)
			fail(new, EISDIR);
		if (new_st.number == old_st.number) {
			fprintf(stderr, "mv: %s and %s are the same file\n", old, new);
			return EXIT_FAILURE;
		}
		if (remove(new) == ERR)
			fail(new, errno);
		if (link(old, new) == ERR)
			fail(new, errno);
	}
	if (remove(old) == ERR) {
		fprintf(stderr, "mv: %s: %s (the file is now also %s)\n", old, strerror(errno), new);
		return EXIT_FAILURE;
	}
	return 0;
}
