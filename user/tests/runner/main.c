// SPDX-License-Identifier: MIT
// runner: run user-space test programs one process each and merge their
// KTAP into one stream on stdout (spec §9.4 style: pipes + /proc/<pid>/wait).
//
//   runner [--seed N] [--clean DIR] PROGRAM...
//
// Each program runs with its stdout and stderr on a pipe; every result line
// "ok N name" / "not ok N name" is renumbered as "prog.name", diagnostics
// pass through. A program that crashes, exits non-zero without a failing
// result, or whose plan does not match its results adds a failing
// "prog.(run)" result. The plan comes last, once the total is known.
// With --clean, everything under DIR is removed at the end, so the kernel's
// leak check sees the RAM filesystem back in its starting state.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc.h>
#include <unistd.h>

static int number;
static int failures;

static void result(bool ok, const char *prog, const char *name, const char *rest)
{
	printf("%s %d %s.%s%s\n", ok ? "ok" : "not ok", ++number, prog, name, rest);
	if (!ok)
		failures++;
}

static const char *basename(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

struct stream {
	const char *prog;
	int plan, results, not_ok;
	bool seen_header;
};

/* One line of a child's output. */
static void line(struct stream *s, char *l)
{
	char name[200];
	if (strcmp(l, "KTAP version 1") == 0) {
		s->seen_header = true;
		return;
	}
	if (strncmp(l, "1..", 3) == 0 && l[3] >= '0' && l[3] <= '9') {
		s->plan = atoi(l + 3);
		return;
	}
	bool ok = strncmp(l, "ok ", 3) == 0;
	bool nok = strncmp(l, "not ok ", 7) == 0;
	if (ok || nok) {
		char *p = l + (ok ? 3 : 7);
		while (*p >= '0' && *p <= '9')
			p++;
		while (*p == ' ')
			p++;
		/* name up to " #" (a directive) or the end */
		char *dir = strstr(p, " #");
		size_t len = dir ? (size_t)(dir - p) : strlen(p);
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, p, len);
		name[len] = 0;
		s->results++;
		s->not_ok += nok;
		result(ok, s->prog, name, dir ? dir : "");
		return;
	}
	if (l[0] == '#')
		printf("%s\n", l);
	else if (l[0])
		printf("# %s: %s\n", s->prog, l);
}

static void run_one(const char *path)
{
	struct stream s = { basename(path), -1, 0, 0, false };
	fd_t p[2];
	if (open2("/dev/pipe/new", p) == ERR) {
		result(false, s.prog, "(run)", " # cannot make a pipe");
		return;
	}
	/* The child gets slots 0-2 of our table: put the pipe on 1 and 2 for the spawn. */
	fflush(stdout);
	fd_t saved_out = dup(1), saved_err = dup(2);
	dup2(p[1], 1);
	dup2(p[1], 2);
	const char *argv[] = { path, NULL };
	pid_t pid = spawn(argv, SPAWN_STDIO_FDS);
	int spawn_errno = errno;
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(p[1]);
	if (pid == ERR) {
		close(p[0]);
		printf("# spawn %s: errno %d\n", path, spawn_errno);
		result(false, s.prog, "(run)", "");
		return;
	}
	static char buf[4096], acc[1024];
	size_t used = 0;
	for (;;) {
		uint64_t n = read(p[0], buf, sizeof(buf));
		if (n == ERR || n == 0)
			break;
		for (uint64_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || used == sizeof(acc) - 1) {
				acc[used] = 0;
				line(&s, acc);
				used = 0;
				if (buf[i] == '\n')
					continue;
			}
			acc[used++] = buf[i];
		}
	}
	if (used) {
		acc[used] = 0;
		line(&s, acc);
	}
	close(p[0]);
	int status = -1;
	if (wait_pid(pid, &status) != 0)
		printf("# wait %s: errno %d\n", path, errno);
	bool ok = s.seen_header && s.plan == s.results && (status == 0 || s.not_ok > 0);
	if (!ok) {
		printf("# %s: status %d, plan %d, %d results\n", s.prog, status, s.plan, s.results);
		result(false, s.prog, "(run)", "");
	}
}

/* Remove everything under @dir (a directory that itself stays). */
static void clean(const char *dir)
{
	static struct abi_dirent d[32];
	char path[300];
	snprintf(path, sizeof(path), "%s:d", dir);
	fd_t fd = open(path);
	if (fd == ERR)
		return;
	/* The listing shifts as names go: restart from the top until only . and .. remain. */
	for (bool removed = true; removed;) {
		removed = false;
		seek(fd, 0, SEEK_SET);
		uint64_t n = getdents(fd, d, sizeof(d));
		if (n == ERR || n == 0)
			break;
		for (uint64_t i = 0; i < n / sizeof(d[0]); i++) {
			if (strcmp(d[i].path, ".") == 0 || strcmp(d[i].path, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s%s", dir, d[i].path, d[i].type == INODE_DIR ? ":dR" : "");
			removed |= remove(path) == 0;
		}
	}
	close(fd);
}

int main(int argc, char **argv)
{
	const char *clean_dir = NULL;
	int first = 1;
	if (argc > first + 1 && strcmp(argv[first], "--seed") == 0) {
		/* Every test program inherits it (SPAWN copies the environment): see tu_seed(). */
		setenv("SEED", argv[first + 1], 1);
		first += 2;
	}
	if (argc > first + 1 && strcmp(argv[first], "--clean") == 0) {
		clean_dir = argv[first + 1];
		first += 2;
	}
	printf("KTAP version 1\n");
	for (int i = first; i < argc; i++)
		run_one(argv[i]);
	printf("1..%d\n", number);
	if (clean_dir)
		clean(clean_dir);
	fflush(stdout);
	return failures ? 1 : 0;
}
