// SPDX-License-Identifier: MIT
// mkdir: create each named directory (open with ":cde", then close).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: mkdir dir...\n");
		return EXIT_FAILURE;
	}
	for (int i = 1; i < argc; i++) {
		char path[MAX_PATH];
		fd_t fd = ERR;

		/* "e" (exclusive) so that an existing name is reported, as mkdir does elsewhere. */
		if (snprintf(path, sizeof(path), "%s:cde", argv[i]) >= (int)sizeof(path))
			errno = ENAMETOOLONG;
		else
			fd = open(path);
		if (fd == ERR) {
			fprintf(stderr, "mkdir: %s: %s\n", argv[i], strerror(errno));
			status = EXIT_FAILURE;
			continue;
		}
		close(fd);
	}
	return status;
}
