// SPDX-License-Identifier: MIT
// init: pid 1. Points descriptors 0-2 at the console and the kernel log, then
// keeps /bin/shell running until it exits with status 0 (spec §10.7).
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <time.h>
#include <unistd.h>

#define SHELL_PATH "/bin/shell"
/* A shell that dies sooner than this after its start counts as a quick failure. */
#define QUICK_EXIT_NS (1 * CLOCKS_PER_SEC)
/* Give up after this many quick failures in a row instead of looping forever. */
#define MAX_QUICK_FAILURES 5

/*
 * Open @path and move it to slot @target. Returns true on success. The
 * kernel starts us with no descriptors, but libc's start-up has usually put
 * /dev/null into 0-2 already, so the open lands elsewhere and is moved.
 */
static bool open_onto(const char *path, fd_t target)
{
	fd_t fd = open(path);

	if (fd == ERR)
		return false;
	if (fd != target) {
		if (dup2(fd, target) == ERR) {
			int err = errno;

			close(fd);
			errno = err;
			return false;
		}
		close(fd);
	}
	return true;
}

static void setup_fds(void)
{
	/* Log first, so that the console's problems can be reported. */
	if (open_onto("/dev/klog", STDOUT_FILENO))
		dup2(STDOUT_FILENO, STDERR_FILENO);
	if (!open_onto("/dev/console", STDIN_FILENO)) {
		dprintf(STDERR_FILENO, "init: /dev/console: %s, using /dev/null for input\n",
			strerror(errno));
		if (!open_onto("/dev/null", STDIN_FILENO))
			dprintf(STDERR_FILENO, "init: /dev/null: %s\n", strerror(errno));
	}
}

/* Run the shell once and return its exit status; -1 with errno if that failed. */
static int run_shell(int *status)
{
	const char *argv[] = { SHELL_PATH, NULL };
	/* Only 0-2: nothing else of ours should leak into the session. */
	pid_t pid = spawn(argv, SPAWN_STDIO_FDS);

	if (pid == ERR)
		return -1;
	for (;;) {
		if (wait_pid(pid, status) == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int main(int argc, char **argv)
{
	int quick_failures = 0;

	setup_fds();
	dprintf(STDOUT_FILENO, "Quilt init (pid %llu): starting %s\n",
		(unsigned long long)getpid(), SHELL_PATH);

	for (;;) {
		clock_t start = uptime();
		int status;

		if (run_shell(&status) < 0) {
			dprintf(STDERR_FILENO, "init: %s: %s\n", SHELL_PATH, strerror(errno));
			status = EXIT_FAILURE;
		} else if (status == 0) {
			dprintf(STDOUT_FILENO, "init: shell exited, shutting down\n");
			return 0;
		} else {
			dprintf(STDERR_FILENO, "init: shell exited with status %d\n", status);
		}

		/* A shell that cannot start at all would otherwise respawn in a tight loop. */
		if (uptime() - start < QUICK_EXIT_NS) {
			if (++quick_failures >= MAX_QUICK_FAILURES) {
				dprintf(STDERR_FILENO, "init: shell keeps failing, giving up\n");
				return status;
			}
			nanosleep(QUICK_EXIT_NS);
		} else {
			quick_failures = 0;
		}
		dprintf(STDOUT_FILENO, "init: restarting %s\n", SHELL_PATH);
	}
}
