// SPDX-License-Identifier: MIT
// touch: create each named file if it does not exist (open with ":c").
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
		fprintf(stderr, "usage: touch file...\n");
		return EXIT_FAILURE;
	}
	for (int i = 1; i < argc; i++) {
		char path[MAX_PATH];
		fd_t fd = ERR;

		if (snprintf(path, sizeof(path), "%s:c", argv[i]) >= (int)sizeof(path))
			errno = ENAMETOOLONG;
		else
			fd = open(path);
		if (fd == ERR) {
			fprintf(stderr, "touch: %s: %s\n", argv[i], strerror(errno));
			status = EXIT_FAILURE;
			continue;
		}
		close(fd);
	}
	return status;
}
