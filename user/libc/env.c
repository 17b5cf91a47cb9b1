// SPDX-License-Identifier: MIT
// Environment variables over /proc/self/env/ (spec §9.7): each variable is a
// file named after it. getenv returns a per-thread-unsafe static copy, as C
// allows; setenv/unsetenv create, rewrite or remove the file.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int env_path(char *buf, size_t len, const char *name, const char *flags)
{
	if (!name || !*name || strchr(name, '=') || strchr(name, '/') || strchr(name, ':')) {
		errno = EINVAL;
		return -1;
	}
	int n = snprintf(buf, len, "/proc/self/env/%s%s", name, flags);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

char *getenv(const char *name)
{
	static char value[512];
	char path[MAX_PATH];
	if (env_path(path, sizeof(path), name, "") < 0)
		return NULL;
	fd_t fd = open(path);
	if (fd == ERR)
		return NULL;
	uint64_t n = read(fd, value, sizeof(value) - 1);
	close(fd);
	if (n == ERR)
		return NULL;
	value[n] = '\0';
	return value;
}

int setenv(const char *name, const char *value, int overwrite)
{
	char path[MAX_PATH];
	/* Without overwrite an existing variable stays: ":ce" fails with EEXIST then. */
	if (env_path(path, sizeof(path), name, overwrite ? ":cwt" : ":cwe") < 0)
		return -1;
	fd_t fd = open(path);
	if (fd == ERR)
		return (!overwrite && errno == EEXIST) ? 0 : -1;
	uint64_t len = strlen(value);
	uint64_t n = write(fd, value, len);
	close(fd);
	return n == len ? 0 : -1;
}

int unsetenv(const char *name)
{
	char path[MAX_PATH];
	if (env_path(path, sizeof(path), name, "") < 0)
		return -1;
	if (remove(path) == ERR && errno != ENOENT)
		return -1;
	return 0;
}
