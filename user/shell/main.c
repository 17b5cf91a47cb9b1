// SPDX-License-Identifier: MIT
// shell: reads command lines from descriptor 0 with its own echo and line
// editing (the console delivers raw bytes and does not echo), runs them.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "user/shell/shell.h"

enum line_result {
	LINE_OK,
	LINE_EOF,
	LINE_ERROR,
};

static void echo(const char *s, size_t n)
{
	/* Losing echo is harmless; the command still runs. */
	write(STDOUT_FILENO, s, n);
}

/* Remove the last character (a whole UTF-8 sequence) from the line and the screen. */
static void erase_char(char *buf, size_t *len)
{
	if (*len == 0)
		return;
	while (*len > 1 && ((unsigned char)buf[*len - 1] & 0xc0) == 0x80)
		(*len)--;
	(*len)--;
	echo("\b \b", 3);
}

/*
 * Read one line into @buf (NUL-terminated, without its end) byte by byte.
 * CR or LF ends it; a LF right after a CR is the same line end. Backspace
 * and DEL erase, ^U erases the line, ^C abandons it, ^D on an empty line is
 * end of input. Escape sequences (cursor keys) are dropped whole, other
 * control bytes ignored, and bytes beyond the buffer are refused.
 */
static enum line_result read_line(char *buf, size_t size)
{
	static bool after_cr;
	enum { ESC_NONE, ESC_START, ESC_SEQ } esc = ESC_NONE;
	size_t len = 0;

	for (;;) {
		unsigned char c;
		uint64_t n = read(STDIN_FILENO, &c, 1);

		if (n == ERR) {
			if (errno == EINTR)
				continue;
			return LINE_ERROR;
		}
		if (n == 0) {
			if (len == 0)
				return LINE_EOF;
			break; /* run the unfinished last line; EOF comes on the next call */
		}

		if (c == '\n' && after_cr) {
			after_cr = false;
			continue;
		}
		after_cr = c == '\r';

		if (esc == ESC_START) {
			/* CSI (ESC [) and SS3 (ESC O) carry more bytes; others are one byte. */
			esc = c == '[' || c == 'O' ? ESC_SEQ : ESC_NONE;
			continue;
		}
		if (esc == ESC_SEQ) {
			if (c >= 0x40 && c <= 0x7e)
				esc = ESC_NONE;
			continue;
		}

		switch (c) {
		case '\r':
		case '\n':
			goto done;
		case 0x7f: /* DEL: what most terminals send for Backspace */
		case '\b':
			erase_char(buf, &len);
			continue;
		case 0x15: /* ^U */
			while (len)
				erase_char(buf, &len);
			continue;
		case 0x03: /* ^C */
			echo("^C\n", 3);
			buf[0] = '\0';
			return LINE_OK;
		case 0x04: /* ^D */
			if (len == 0) {
				echo("\n", 1);
				return LINE_EOF;
			}
			continue;
		case 0x1b:
			esc = ESC_START;
			continue;
		case '\t':
			c = ' ';
			break;
		default:
			if (c < 0x20)
				continue;
			break;
		}
		if (len + 1 < size) {
			buf[len++] = (char)c;
			echo((char *)&c, 1);
		}
	}
done:
	echo("\n", 1);
	buf[len] = '\0';
	return LINE_OK;
}

int main(int argc, char **argv)
{
	static char line[SH_LINE_MAX];
	static char store[2 * SH_LINE_MAX];
	static struct pipeline pl;
	char cwd[MAX_PATH];

	for (;;) {
		read_cwd(cwd, sizeof(cwd));
		dprintf(STDOUT_FILENO, "quilt:%s$ ", cwd);

		switch (read_line(line, sizeof(line))) {
		case LINE_OK:
			break;
		case LINE_EOF:
			return 0;
		case LINE_ERROR:
			dprintf(STDERR_FILENO, "shell: reading input: %s\n", strerror(errno));
			return EXIT_FAILURE;
		}

		if (parse_line(line, store, sizeof(store), &pl) <= 0)
			continue;
		int status = run_pipeline(&pl);

		if (status != 0 && !pl.background)
			dprintf(STDERR_FILENO, "[status %d]\n", status);
	}
}
