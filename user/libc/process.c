// SPDX-License-Identifier: MIT
// Waiting for a process through /proc/<pid>/wait (spec §8.5, §9.4), and the
// suspend-adjust-start spawn idiom through /proc/<pid>/ctl.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <unistd.h>

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

int proc_ctl(pid_t pid, const char *command)
{
	char path[48];
	snprintf(path, sizeof(path), "/proc/%llu/ctl", (unsigned long long)pid);
	fd_t fd = open(path);
	if (fd == ERR)
		return -1;
	uint64_t len = strlen(command);
	uint64_t n = write(fd, command, len);
	int e = errno;
	close(fd);
	errno = e;
	return n == len ? 0 : -1;
}

pid_t spawn_with_fds(const char **argv, fd_t in, fd_t out, fd_t err)
{
	pid_t pid = spawn(argv, SPAWN_SUSPEND);
	if (pid == ERR)
		return ERR;
	char cmd[160];
	int n = 0;
	fd_t want[3] = { in, out, err };
	for (int i = 0; i < 3; i++)
		if (want[i] != FD_NONE)
			n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "dup2 %llu %d && ", (unsigned long long)want[i], i);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, "close 3 -1 && start");
	if (proc_ctl(pid, cmd) != 0) {
		int e = errno;
		proc_ctl(pid, "kill");
		errno = e;
		return ERR;
	}
	return pid;
}
