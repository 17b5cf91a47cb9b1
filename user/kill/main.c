// SPDX-License-Identifier: MIT
// kill: end each named process by writing "kill" to /proc/<pid>/ctl.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_number(const char *s)
{
	if (*s == '\0' || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

static bool kill_pid(const char *pid)
{
	static const char cmd[] = "kill";
	char path[64];
	fd_t fd;
	uint64_t n;

	snprintf(path, sizeof(path), "/proc/%s/ctl:w", pid);
	fd = open(path);
	if (fd == ERR)
		return false;
	n = write(fd, cmd, sizeof(cmd) - 1);
	if (n == ERR) {
		int err = errno;

		close(fd);
		errno = err;
		return false;
	}
	close(fd);
	if (n != sizeof(cmd) - 1) {
		errno = EIO;
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: kill pid...\n");
		return EXIT_FAILURE;
	}
	for (int i = 1; i < argc; i++) {
		/* The pid becomes part of a path: only digits, so "self" or "../x" cannot sneak in. */
		if (!is_number(argv[i])) {
			fprintf(stderr, "kill: %s: not a process id\n", argv[i]);
			status = EXIT_FAILURE;
		} else if (!kill_pid(argv[i])) {
			fprintf(stderr, "kill: %s: %s\n", argv[i], strerror(errno));
			status = EXIT_FAILURE;
		}
	}
	return status;
}
