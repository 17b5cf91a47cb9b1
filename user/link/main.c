// SPDX-License-Identifier: MIT
// link: give the file old the second name new (a hard link).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: link old new\n");
		return EXIT_FAILURE;
	}
	if (link(argv[1], argv[2]) == ERR) {
		fprintf(stderr, "link: %s -> %s: %s\n", argv[1], argv[2], strerror(errno));
		return EXIT_FAILURE;
	}
	return 0;
}
