// SPDX-License-Identifier: MIT
// rm: remove names; a directory needs ":d" (empty only) or, with -r,
// ":dR" (the whole tree) appended to its path (spec §7.28).
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool remove_path(const char *path, bool recursive)
{
	char dir[MAX_PATH];

	if (remove(path) != ERR)
		return true;
	/* Try as a file first: REMOVE itself tells a directory apart (EISDIR). */
	if (errno != EISDIR)
		return false;
	if (snprintf(dir, sizeof(dir), "%s:%s", path, recursive ? "dR" : "d") >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return false;
	}
	return remove(dir) != ERR;
}

int main(int argc, char **argv)
{
	bool recursive = false;
	int status = 0;
	int i = 1;

	if (argc > 1 && !strcmp(argv[1], "-r")) {
		recursive = true;
		i++;
	}
	if (i == argc) {
		fprintf(stderr, "usage: rm [-r] path...\n");
		return EXIT_FAILURE;
	}
	for (; i < argc; i++) {
		if (!remove_path(argv[i], recursive)) {
			fprintf(stderr, "rm: %s: %s\n", argv[i], strerror(errno));
			status = EXIT_FAILURE;
		}
	}
	return status;
}
