// SPDX-License-Identifier: MIT
// Waiting for a process through /proc/<pid>/wait (spec §8.5, §9.4).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/proc.h>
#include <sys/syscall.h>

int wait_pid(pid_t pid, int *status)
{
	char path[48];
	char text[32];
	size_t len = 0;

	snprintf(path, sizeof(path), "/proc/%llu/wait", (unsigned long long)pid);
	fd_t fd = open(path);
	if (fd == ERR)
		return -1;
	/* The first read blocks until the process has ended; read on to end of file. */
	for (;;) {
		uint64_t n = read(fd, text + len, sizeof(text) - 1 - len);
		if (n == ERR) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (n == 0 || (len += n) == sizeof(text) - 1)
			break;
	}
	close(fd);
	text[len] = '\0';

	char *end;
	int saved = errno;
	errno = 0;
	long long value = strtoll(text, &end, 10);
	if (len == 0 || *end != '\0' || errno) {
		errno = EIO; /* the kernel broke the file's format */
		return -1;
	}
	errno = saved;
	if (status)
		*status = (int)value;
	return 0;
}
