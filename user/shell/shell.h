// SPDX-License-Identifier: MIT
// Shared declarations of the shell: the parsed form of one command line.
#ifndef QUILT_USER_SHELL_H
#define QUILT_USER_SHELL_H

#include <stdbool.h>
#include <sys/types.h>

#define SH_LINE_MAX 512   /* bytes of one input line, NUL included */
#define SH_MAX_ARGS 32    /* words of one command */
#define SH_MAX_STAGES 8   /* commands of one pipeline */

/* One command of a pipeline: its words and its own redirections. */
struct command {
	char *argv[SH_MAX_ARGS + 1]; /* NULL-terminated */
	int argc;
	const char *in;  /* "< file", or NULL */
	const char *out; /* "> file" / ">> file", or NULL */
	bool append;     /* out came from ">>" */
};

struct pipeline {
	struct command cmds[SH_MAX_STAGES];
	int ncmds;
	bool background; /* ended with "&" */
};

/*
 * parse_line - split @line into a pipeline. Words are copied, unquoted and
 * unescaped, into @store (which must hold at least 2 * strlen(@line) + 2
 * bytes); @pl points into it.
 * Returns 1 for a pipeline, 0 for an empty line, -1 after printing a syntax
 * error on descriptor 2.
 */
int parse_line(const char *line, char *store, size_t store_len, struct pipeline *pl);

/*
 * run_pipeline - run @pl (built-in or programs) and wait for it unless it is
 * in the background. Reports failures on descriptor 2 and returns the exit
 * status of the last command (non-zero on failure).
 */
int run_pipeline(struct pipeline *pl);

/* read_cwd - the working directory from /proc/self/cwd into @buf; "?" if unreadable. */
void read_cwd(char *buf, size_t size);

#endif
