// SPDX-License-Identifier: MIT
// ps: list processes: the numeric entries of /proc with their command lines
// from /proc/<pid>/cmdline (NUL-separated arguments shown with spaces).
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIRENTS_PER_CALL 16
#define CMDLINE_MAX 256 /* shown bytes; longer command lines are cut */

static struct abi_dirent dirents[DIRENTS_PER_CALL];

static bool is_pid(const char *name)
{
	if (*name == '\0')
		return false;
	for (; *name; name++) {
		if (*name < '0' || *name > '9')
			return false;
	}
	return true;
}

/* The command line of @pid with NULs as spaces into @buf; -1 with errno on failure. */
static int read_cmdline(const char *pid, char *buf, size_t size)
{
	char path[MAX_PATH];
	size_t len = 0;
	fd_t fd;

	snprintf(path, sizeof(path), "/proc/%s/cmdline:r", pid);
	fd = open(path);
	if (fd == ERR)
		return -1;
	while (len < size - 1) {
		uint64_t n = read(fd, buf + len, size - 1 - len);

		if (n == ERR) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	buf[len] = '\0';
	return 0;
}

static void show(const char *pid)
{
	char cmdline[CMDLINE_MAX];

	if (!strcmp(pid, "0")) {
		/* The kernel's own files refuse every operation (spec §8.5). */
		printf("%5s [kernel]\n", pid);
	} else if (read_cmdline(pid, cmdline, sizeof(cmdline)) < 0) {
		/* Gone (reaped) since the listing: not worth a line. */
		if (errno != ENOENT)
			printf("%5s [%s]\n", pid, strerror(errno));
	} else {
		/*
		 * Every SPAWN has argv[0] (SYS_SPAWN: an empty argv is EINVAL); only
		 * the kernel's /bin/init starts with none, so its cmdline is empty.
		 */
		printf("%5s %s\n", pid, cmdline[0] ? cmdline : "/bin/init");
	}
}

int main(int argc, char **argv)
{
	fd_t fd = open("/proc:d");
	int status = 0;

	if (fd == ERR) {
		fprintf(stderr, "ps: /proc: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	printf("%5s %s\n", "PID", "CMD");
	for (;;) {
		uint64_t n = getdents(fd, dirents, sizeof(dirents));

		if (n == ERR) {
			fflush(stdout);
			fprintf(stderr, "ps: /proc: %s\n", strerror(errno));
			status = EXIT_FAILURE;
			break;
		}
		if (n == 0)
			break;
		for (uint64_t i = 0; i < n / sizeof(dirents[0]); i++) {
			dirents[i].path[MAX_PATH - 1] = '\0';
			if (is_pid(dirents[i].path))
				show(dirents[i].path);
		}
	}
	close(fd);
	return status;
}
