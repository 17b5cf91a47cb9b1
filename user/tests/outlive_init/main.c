// SPDX-License-Identifier: MIT
// Started as init on a command line with init_may_exit (boot.init_may_exit_outlived_by_child):
// starts a child that outlives it, as PatchworkOS's init leaves dwm and its clients running.
// The child learns that its parent has ended from the end of a pipe whose only write end
// the parent held (no timing), says so on serial and exits; the machine must stay up until
// then. A helper, not a KTAP test.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int child(void)
{
	char c;
	uint64_t n;
	while ((n = read(STDIN_FILENO, &c, 1)) == 1)
		;
	if (n != 0) {
		dprintf(STDERR_FILENO, "outlive_init: child: read: %s\n", strerror(errno));
		return 1;
	}
	dprintf(STDOUT_FILENO, "outlive_init: child %lu still running after its parent ended\n",
		(uint64_t)getpid());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child();
	fd_t fds[2];
	if (open2("/dev/pipe/new", fds) == ERR) {
		dprintf(STDERR_FILENO, "outlive_init: pipe: %s\n", strerror(errno));
		return 1;
	}
	/* The child's stdin is the read end; SPAWN_STDIO_FDS gives it fds 0-2 only. */
	if (dup2(fds[0], STDIN_FILENO) == ERR) {
		dprintf(STDERR_FILENO, "outlive_init: dup2: %s\n", strerror(errno));
		return 1;
	}
	close(fds[0]);
	const char *args[] = { "/bin/tests/outlive_init", "child", NULL };
	pid_t pid = spawn(args, SPAWN_STDIO_FDS);
	if (pid == ERR) {
		dprintf(STDERR_FILENO, "outlive_init: spawn: %s\n", strerror(errno));
		return 1;
	}
	dprintf(STDOUT_FILENO, "outlive_init: parent exits; child %lu waits for that\n", (uint64_t)pid);
	return 0;
}
