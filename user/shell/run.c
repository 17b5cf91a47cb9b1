// SPDX-License-Identifier: MIT
// Running a parsed line: built-ins, program lookup in /bin, redirections and
// pipes, waiting through /proc/<pid>/wait.
//
// Redirection works by pointing the shell's own descriptors 0 and 1 at the
// wanted files around each spawn and restoring them afterwards: that needs
// only DUP/DUP2, not the /proc/<pid>/ctl editing of a suspended child. Every
// child is spawned with SPAWN_STDIO_FDS, so it inherits exactly 0-2 and none
// of the shell's saved copies or other pipe ends (a reader that inherited a
// write end of its own pipe would never see end of file).
// All output here goes through dprintf (unbuffered): buffered bytes flushed
// after a dup2 would land in the wrong file.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user/shell/shell.h"

static void report(const char *what, int err)
{
	dprintf(STDERR_FILENO, "shell: %s: %s\n", what, strerror(err));
}

/* @path with ":@flags" appended (spec §5), or ERR with errno ENAMETOOLONG. */
static fd_t open_with_flags(const char *path, const char *flags)
{
	char buf[MAX_PATH];

	if (snprintf(buf, sizeof(buf), "%s:%s", path, flags) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return ERR;
	}
	return open(buf);
}

void read_cwd(char *buf, size_t size)
{
	fd_t fd = open("/proc/self/cwd");
	uint64_t n = ERR;

	if (fd != ERR) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n == ERR || n == 0) {
		strlcpy(buf, "?", size);
		return;
	}
	buf[n] = '\0';
	/* The spec promises no trailing newline; do not depend on it. */
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/* ---------------------------------------------------------------- built-ins */

static int builtin_cd(struct command *cmd)
{
	const char *dir = cmd->argc > 1 ? cmd->argv[1] : "/";

	if (cmd->argc > 2) {
		dprintf(STDERR_FILENO, "cd: too many arguments\n");
		return 1;
	}
	if (chdir(dir) == ERR) {
		dprintf(STDERR_FILENO, "cd: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	return 0;
}

static int builtin_pwd(struct command *cmd)
{
	char cwd[MAX_PATH];

	read_cwd(cwd, sizeof(cwd));
	return dprintf(STDOUT_FILENO, "%s\n", cwd) < 0;
}

static int builtin_help(struct command *cmd)
{
	static const char text[] =
		"Quilt shell. A line is a pipeline of up to 8 commands:\n"
		"  cmd [args] [< in] [> out | >> out] [| cmd ...] [&]\n"
		"Words split at blanks; \"double quotes\" group, \\ escapes one byte, # comments.\n"
		"A command without '/' runs from /bin (try: ls /bin). '&' runs it in the\n"
		"background with input from /dev/null. A failing command shows [status N].\n"
		"Built-ins: cd [dir]  pwd  exit [status]  help\n";

	return dprintf(STDOUT_FILENO, "%s", text) < 0;
}

/* Returns only if the status is malformed; restores the descriptors first via @restore. */
static int builtin_exit(struct command *cmd, void (*restore)(void))
{
	long status = 0;

	if (cmd->argc > 2) {
		dprintf(STDERR_FILENO, "exit: too many arguments\n");
		return 1;
	}
	if (cmd->argc == 2) {
		char *end;

		errno = 0;
		status = strtol(cmd->argv[1], &end, 10);
		if (*cmd->argv[1] == '\0' || *end != '\0' || errno || status < INT32_MIN ||
		    status > INT32_MAX) {
			dprintf(STDERR_FILENO, "exit: %s: not a 32-bit number\n", cmd->argv[1]);
			return 1;
		}
	}
	restore();
	exit((int)status);
}

static bool is_builtin(const char *name)
{
	return !strcmp(name, "cd") || !strcmp(name, "pwd") || !strcmp(name, "exit") ||
	       !strcmp(name, "help");
}

/* ------------------------------------------------------- descriptor juggling */

/* The shell's own 0 and 1 while a command's are in place; FD_NONE otherwise. */
static fd_t saved_in = FD_NONE, saved_out = FD_NONE;

static void close_fd(fd_t *fd)
{
	if (*fd != FD_NONE) {
		close(*fd);
		*fd = FD_NONE;
	}
}

static bool save_stdio(void)
{
	saved_in = dup(STDIN_FILENO);
	if (saved_in == ERR) {
		saved_in = FD_NONE;
		report("dup", errno);
		return false;
	}
	saved_out = dup(STDOUT_FILENO);
	if (saved_out == ERR) {
		saved_out = FD_NONE;
		report("dup", errno);
		close_fd(&saved_in);
		return false;
	}
	return true;
}

static void restore_stdio(void)
{
	if (saved_in != FD_NONE && dup2(saved_in, STDIN_FILENO) == ERR)
		report("restoring input", errno);
	if (saved_out != FD_NONE && dup2(saved_out, STDOUT_FILENO) == ERR)
		report("restoring output", errno);
	close_fd(&saved_in);
	close_fd(&saved_out);
}

/* Open the files of @cmd's redirections into *@in / *@out (FD_NONE if none). */
static bool open_redirections(struct command *cmd, fd_t *in, fd_t *out)
{
	*in = *out = FD_NONE;
	if (cmd->in) {
		*in = open_with_flags(cmd->in, "r");
		if (*in == ERR) {
			*in = FD_NONE;
			report(cmd->in, errno);
			return false;
		}
	}
	if (cmd->out) {
		/* Create, write, and truncate or append (spec §5.3). */
		*out = open_with_flags(cmd->out, cmd->append ? "cwa" : "cwt");
		if (*out == ERR) {
			*out = FD_NONE;
			report(cmd->out, errno);
			close_fd(in);
			return false;
		}
	}
	return true;
}

/* Point 0 and 1 at @in and @out; FD_NONE keeps the shell's own. */
static bool install_stdio(fd_t in, fd_t out)
{
	if (dup2(in != FD_NONE ? in : saved_in, STDIN_FILENO) == ERR ||
	    dup2(out != FD_NONE ? out : saved_out, STDOUT_FILENO) == ERR) {
		report("dup2", errno);
		return false;
	}
	return true;
}

static int run_builtin(struct command *cmd)
{
	fd_t in, out;
	int status = 1;

	if (!save_stdio())
		return 1;
	if (!open_redirections(cmd, &in, &out))
		goto restore;
	if (!install_stdio(in, out))
		goto close_files;

	if (!strcmp(cmd->argv[0], "cd"))
		status = builtin_cd(cmd);
	else if (!strcmp(cmd->argv[0], "pwd"))
		status = builtin_pwd(cmd);
	else if (!strcmp(cmd->argv[0], "help"))
		status = builtin_help(cmd);
	else
		status = builtin_exit(cmd, restore_stdio);

close_files:
	close_fd(&in);
	close_fd(&out);
restore:
	restore_stdio();
	return status;
}

/* ----------------------------------------------------------------- programs */

/*
 * The program file of @name: /bin/@name for a bare name, else @name itself.
 * Returns 0, or an error code (after a message) when it surely cannot run;
 * a kernel without STAT leaves that to SPAWN, whose child then exits with
 * the open's error -- the same number this returns.
 */
static int resolve_program(const char *name, char *path, size_t size)
{
	struct abi_stat st;
	int len;

	if (strchr(name, '/'))
		len = snprintf(path, size, "%s", name);
	else
		len = snprintf(path, size, "/bin/%s", name);
	if (len >= (int)size) {
		report(name, ENAMETOOLONG);
		return ENAMETOOLONG;
	}
	if (stat(path, &st) == ERR) {
		if (errno == ENOENT || errno == ENOTDIR) {
			int err = errno;
			if (!strchr(name, '/') && err == ENOENT)
				dprintf(STDERR_FILENO, "shell: %s: command not found\n", name);
			else
				report(name, err);
			return err;
		}
		return 0;
	}
	if (st.type == INODE_DIR) {
		report(name, EISDIR);
		return EISDIR;
	}
	return 0;
}

static int wait_for(pid_t pid)
{
	int status;

	for (;;) {
		if (wait_pid(pid, &status) == 0)
			return status;
		if (errno != EINTR) {
			char what[32];

			snprintf(what, sizeof(what), "wait %llu", (unsigned long long)pid);
			report(what, errno);
			return EXIT_FAILURE;
		}
	}
}

/*
 * Name the running job's processes in /dev/console_fg, so that a Ctrl-C
 * typed while it runs sends them the note "interrupt" (a blocked call ends
 * with EINTR, and our programs then stop); none (@n = 0) once it is over. A
 * kernel without the file just has no Ctrl-C for jobs.
 */
static void set_foreground(const pid_t *pids, int n)
{
	static fd_t fg = FD_NONE;
	char text[SH_MAX_STAGES * 21 + 2];
	int len = 0;

	if (fg == FD_NONE)
		fg = open("/dev/console_fg:w");
	if (fg == ERR)
		return;
	for (int i = 0; i < n && len < (int)sizeof(text); i++)
		len += snprintf(text + len, sizeof(text) - len, "%llu ", (unsigned long long)pids[i]);
	if (len == 0)
		text[len++] = '\n'; /* blanks only: no foreground (an empty write would do nothing) */
	write(fg, text, (size_t)len);
}

static int run_programs(struct pipeline *pl)
{
	static char paths[SH_MAX_STAGES][MAX_PATH];
	pid_t pids[SH_MAX_STAGES];
	fd_t next_in = FD_NONE; /* read end of the pipe into the next stage */
	int started = 0, status = EXIT_FAILURE;

	for (int i = 0; i < pl->ncmds; i++) {
		int err = resolve_program(pl->cmds[i].argv[0], paths[i], MAX_PATH);

		if (err)
			return err;
	}
	if (!save_stdio())
		return EXIT_FAILURE;

	/* Background jobs must not compete with the shell for console input. */
	if (pl->background && !pl->cmds[0].in) {
		next_in = open("/dev/null:r");
		if (next_in == ERR)
			next_in = FD_NONE;
	}

	for (int i = 0; i < pl->ncmds; i++) {
		struct command *cmd = &pl->cmds[i];
		fd_t in = next_in, out = FD_NONE, file_in, file_out;
		fd_t pipe_fds[2] = { FD_NONE, FD_NONE };
		const char *argv0 = cmd->argv[0];
		bool ok = false;

		next_in = FD_NONE;
		if (!open_redirections(cmd, &file_in, &file_out))
			goto next;
		if (i + 1 < pl->ncmds) {
			if (open2("/dev/pipe/new", pipe_fds) == ERR) {
				report("/dev/pipe/new", errno);
				pipe_fds[0] = pipe_fds[1] = FD_NONE;
				goto next;
			}
			next_in = pipe_fds[PIPE_READ];
			out = pipe_fds[PIPE_WRITE];
		}
		/* A file named by the command itself beats the pipe. */
		if (!install_stdio(file_in != FD_NONE ? file_in : in,
				   file_out != FD_NONE ? file_out : out))
			goto next;

		cmd->argv[0] = paths[i];
		pids[started] = spawn((const char **)cmd->argv, SPAWN_STDIO_FDS);
		cmd->argv[0] = (char *)argv0;
		if (pids[started] == ERR)
			report(argv0, errno);
		else
			ok = true;
next:
		/* The children hold their own references now; the shell keeps only next_in. */
		close_fd(&in);
		close_fd(&file_in);
		close_fd(&file_out);
		close_fd(&pipe_fds[PIPE_WRITE]);
		if (!ok) {
			close_fd(&next_in);
			break;
		}
		started++;
	}
	close_fd(&next_in);
	restore_stdio();

	if (pl->background) {
		for (int i = 0; i < started; i++)
			dprintf(STDERR_FILENO, "[pid %llu]\n", (unsigned long long)pids[i]);
		return started == pl->ncmds ? 0 : EXIT_FAILURE;
	}
	/* Wait for every stage, even after a failure, so none is left reading the console. */
	set_foreground(pids, started);
	for (int i = 0; i < started; i++)
		status = wait_for(pids[i]);
	set_foreground(NULL, 0);
	return started == pl->ncmds ? status : EXIT_FAILURE;
}

int run_pipeline(struct pipeline *pl)
{
	for (int i = 0; i < pl->ncmds; i++) {
		if (!is_builtin(pl->cmds[i].argv[0]))
			continue;
		/* A built-in acts on the shell itself, which cannot sit in a pipe or in the background. */
		if (pl->ncmds > 1 || pl->background) {
			dprintf(STDERR_FILENO, "shell: %s: built-in only runs alone in the foreground\n",
				pl->cmds[i].argv[0]);
			return 1;
		}
		return run_builtin(&pl->cmds[0]);
	}
	return run_programs(pl);
}
