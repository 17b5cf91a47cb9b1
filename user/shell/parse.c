// SPDX-License-Identifier: MIT
// Command-line grammar: words with double quotes and backslash escapes, the
// operators | < > >> &, and # comments.
#include <stdio.h>
#include <string.h>

#include "user/shell/shell.h"

enum token_type {
	TOK_END,
	TOK_WORD,
	TOK_PIPE,   /* | */
	TOK_AMP,    /* & */
	TOK_IN,     /* < */
	TOK_OUT,    /* > */
	TOK_APPEND, /* >> */
	TOK_ERROR,
};

struct lexer {
	const char *pos;
	char *store, *store_end;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_operator(char c)
{
	return c == '|' || c == '&' || c == '<' || c == '>';
}

/*
 * Next token; a word is stored NUL-terminated at lx->store and returned in
 * *@word. Adjacent quoted and unquoted parts form one word ("a"b is ab), and
 * "" is an empty word: any byte that is not blank, NUL, '#' or an operator
 * starts one.
 */
static enum token_type next_token(struct lexer *lx, char **word)
{
	const char *p = lx->pos;
	bool quoted = false;
	char *out = lx->store;

	while (is_blank(*p))
		p++;
	if (*p == '\0' || *p == '#') {
		lx->pos = p + strlen(p);
		return TOK_END;
	}
	if (is_operator(*p)) {
		enum token_type t = *p == '|' ? TOK_PIPE : *p == '&' ? TOK_AMP :
				    *p == '<' ? TOK_IN : TOK_OUT;

		p++;
		if (t == TOK_OUT && *p == '>') {
			t = TOK_APPEND;
			p++;
		}
		lx->pos = p;
		return t;
	}

	for (; *p; p++) {
		char c = *p;

		if (!quoted && (is_blank(c) || is_operator(c)))
			break;
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		/* A backslash takes the next byte literally; a final one stands for itself. */
		if (c == '\\' && p[1] != '\0')
			c = *++p;
		if (out + 1 >= lx->store_end) {
			dprintf(STDERR_FILENO, "shell: line too long\n");
			return TOK_ERROR;
		}
		*out++ = c;
	}
	if (quoted) {
		dprintf(STDERR_FILENO, "shell: missing closing quote\n");
		return TOK_ERROR;
	}
	*out++ = '\0';
	*word = lx->store;
	lx->store = out;
	lx->pos = p;
	return TOK_WORD;
}

static int syntax_error(const char *msg)
{
	dprintf(STDERR_FILENO, "shell: syntax error: %s\n", msg);
	return -1;
}

int parse_line(const char *line, char *store, size_t store_len, struct pipeline *pl)
{
	struct lexer lx = { .pos = line, .store = store, .store_end = store + store_len };
	struct command *cmd = &pl->cmds[0];
	enum token_type pending = TOK_END; /* a redirection waiting for its file name */

	memset(pl, 0, sizeof(*pl));
	pl->ncmds = 1;
	for (;;) {
		char *word = NULL;
		enum token_type t = next_token(&lx, &word);

		switch (t) {
		case TOK_ERROR:
			return -1;
		case TOK_WORD:
			if (pending == TOK_IN) {
				cmd->in = word;
			} else if (pending != TOK_END) {
				cmd->out = word;
				cmd->append = pending == TOK_APPEND;
			} else if (cmd->argc == SH_MAX_ARGS) {
				return syntax_error("too many words in one command");
			} else {
				cmd->argv[cmd->argc++] = word;
			}
			pending = TOK_END;
			break;
		case TOK_IN:
		case TOK_OUT:
		case TOK_APPEND:
			if (pending != TOK_END)
				return syntax_error("missing file name after a redirection");
			if (t == TOK_IN ? cmd->in != NULL : cmd->out != NULL)
				return syntax_error("a command can redirect each stream only once");
			pending = t;
			break;
		case TOK_PIPE:
			if (pending != TOK_END)
				return syntax_error("missing file name after a redirection");
			if (cmd->argc == 0)
				return syntax_error("missing command before '|'");
			if (pl->ncmds == SH_MAX_STAGES)
				return syntax_error("too many commands in one pipeline");
			cmd = &pl->cmds[pl->ncmds++];
			break;
		case TOK_AMP:
			if (pending != TOK_END)
				return syntax_error("missing file name after a redirection");
			if (cmd->argc == 0)
				return syntax_error("missing command before '&'");
			if (next_token(&lx, &word) != TOK_END)
				return syntax_error("'&' must end the line");
			pl->background = true;
			return 1;
		case TOK_END:
			if (pending != TOK_END)
				return syntax_error("missing file name after a redirection");
			if (cmd->argc == 0) {
				/* Nothing at all is an empty line; a lone "a |" or "> f" is not. */
				if (pl->ncmds == 1 && !cmd->in && !cmd->out)
					return 0;
				return syntax_error("missing command");
			}
			return 1;
		}
	}
}
