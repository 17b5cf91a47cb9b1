// SPDX-License-Identifier: MIT
// ls: list directories (getdents on "dir:d"); -l adds type, link count and
// size from stat, -a also shows names starting with '.'.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIRENTS_PER_CALL 16

static bool opt_long, opt_all;
static struct abi_dirent dirents[DIRENTS_PER_CALL];

static void report(const char *what, int err)
{
	fflush(stdout); /* keep the message in place among the listing */
	fprintf(stderr, "ls: %s: %s\n", what, strerror(err));
}

/* One line for @name (a file or directory) found in @dir (NULL: @name is the path). */
static bool print_entry(const char *dir, const char *name, bool is_dir)
{
	const char *slash = is_dir ? "/" : "";
	char path[MAX_PATH];
	struct abi_stat st;

	if (!opt_long) {
		printf("%s%s\n", name, slash);
		return true;
	}
	if (!dir) {
		strlcpy(path, name, sizeof(path));
	} else {
		size_t len = strlen(dir);
		const char *sep = len && dir[len - 1] == '/' ? "" : "/";

		if (snprintf(path, sizeof(path), "%s%s%s", dir, sep, name) >= (int)sizeof(path)) {
			report(name, ENAMETOOLONG);
			return false;
		}
	}
	if (stat(path, &st) == ERR) {
		report(path, errno);
		return false;
	}
	printf("%c %3llu %10llu %s%s\n", st.type == INODE_DIR ? 'd' : '-',
	       (unsigned long long)st.link_amount, (unsigned long long)st.size, name, slash);
	return true;
}

static bool list(const char *path)
{
	char dpath[MAX_PATH];
	bool ok = true;
	fd_t fd;

	if (snprintf(dpath, sizeof(dpath), "%s:d", path) >= (int)sizeof(dpath)) {
		report(path, ENAMETOOLONG);
		return false;
	}
	fd = open(dpath);
	if (fd == ERR) {
		/* Not a directory: list the file itself, as ls does. */
		if (errno == ENOTDIR)
			return print_entry(NULL, path, false);
		report(path, errno);
		return false;
	}
	for (;;) {
		uint64_t n = getdents(fd, dirents, sizeof(dirents));

		if (n == ERR) {
			report(path, errno);
			ok = false;
			break;
		}
		if (n == 0)
			break;
		for (uint64_t i = 0; i < n / sizeof(dirents[0]); i++) {
			struct abi_dirent *d = &dirents[i];

			d->path[MAX_PATH - 1] = '\0'; /* never trust a length we did not check */
			if (d->path[0] == '.' && !opt_all)
				continue;
			if (!print_entry(path, d->path, d->type == INODE_DIR))
				ok = false;
		}
	}
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	int status = 0;
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		for (const char *o = argv[i] + 1; *o; o++) {
			if (*o == 'l') {
				opt_long = true;
			} else if (*o == 'a') {
				opt_all = true;
			} else {
				fprintf(stderr, "usage: ls [-la] [path...]\n");
				return EXIT_FAILURE;
			}
		}
	}
	if (i == argc)
		return list(".") ? 0 : EXIT_FAILURE;
	for (int first = i; i < argc; i++) {
		/* Several arguments: name each listing, as ls does. */
		if (argc - first > 1)
			printf("%s%s:\n", i > first ? "\n" : "", argv[i]);
		if (!list(argv[i]))
			status = EXIT_FAILURE;
	}
	return status;
}
