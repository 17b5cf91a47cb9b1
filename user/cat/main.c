// SPDX-License-Identifier: MIT
// cat: copy each named file (standard input when none, or for "-") to
// standard output.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[4096];

/* Copy @fd to standard output; on failure *@out_failed says which side failed. */
static bool copy(fd_t fd, bool *out_failed)
{
	for (;;) {
		uint64_t n = read(fd, buf, sizeof(buf));

		if (n == ERR) {
			*out_failed = false;
			return false;
		}
		if (n == 0)
			return true;
		if (!write_all(STDOUT_FILENO, buf, n)) {
			*out_failed = true;
			return false;
		}
	}
}

/* Returns 0, or EXIT_FAILURE after a message; stops the program if output is gone. */
static int cat(const char *name)
{
	bool from_stdin = !strcmp(name, "-");
	char path[MAX_PATH];
	bool out_failed;
	fd_t fd;

	if (from_stdin) {
		fd = STDIN_FILENO;
	} else {
		if (snprintf(path, sizeof(path), "%s:r", name) >= (int)sizeof(path)) {
			fprintf(stderr, "cat: %s: %s\n", name, strerror(ENAMETOOLONG));
			return EXIT_FAILURE;
		}
		fd = open(path);
		if (fd == ERR) {
			fprintf(stderr, "cat: %s: %s\n", name, strerror(errno));
			return EXIT_FAILURE;
		}
	}
	bool ok = copy(fd, &out_failed);
	int err = errno;

	if (!from_stdin)
		close(fd);
	if (ok)
		return 0;
	if (out_failed) {
		/* Nobody reads our output any more (EPIPE): further files are pointless. */
		fprintf(stderr, "cat: writing: %s\n", strerror(err));
		exit(EXIT_FAILURE);
	}
	fprintf(stderr, "cat: %s: %s\n", from_stdin ? "standard input" : name, strerror(err));
	return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2)
		return cat("-");
	for (int i = 1; i < argc; i++) {
		if (cat(argv[i]))
			status = EXIT_FAILURE;
	}
	return status;
}
