// SPDX-License-Identifier: MIT
// Command-line parsing. Options end at a lone "--" word; what follows is the
// init command, passed through untouched.
#include "kernel/cmdline.h"

#include "kernel/boot_info.h"
#include "kernel/lib/string.h"

static char line[BOOT_CMDLINE_MAX]; /* immutable after cmdline_init() */

static size_t options_end(const char *text)
{
	size_t n = strlen(text);
	for (size_t i = 0; i < n; i++) {
		bool word_start = i == 0 || text[i - 1] == ' ';
		if (word_start && text[i] == '-' && text[i + 1] == '-' && (text[i + 2] == ' ' || text[i + 2] == '\0'))
			return i;
	}
	return n;
}

bool cmdline_lookup(const char *text, const char *name, const char **value, size_t *value_len)
{
	size_t end = options_end(text), name_len = strlen(name);
	size_t i = 0;
	while (i < end) {
		while (i < end && text[i] == ' ')
			i++;
		size_t w = i;
		while (i < end && text[i] != ' ')
			i++;
		size_t wlen = i - w;
		if (wlen >= name_len && strncmp(text + w, name, name_len) == 0 &&
		    (wlen == name_len || text[w + name_len] == '=')) {
			if (wlen == name_len) {
				*value = text + w + wlen;
				*value_len = 0;
			} else {
				*value = text + w + name_len + 1;
				*value_len = wlen - name_len - 1;
			}
			return true;
		}
	}
	return false;
}

void cmdline_init(const char *text)
{
	strlcpy(line, text, sizeof(line));
}

const char *cmdline_text(void)
{
	return line;
}

bool cmdline_has(const char *name)
{
	const char *v;
	size_t n;
	return cmdline_lookup(line, name, &v, &n);
}

bool cmdline_get(const char *name, char *buf, size_t len)
{
	const char *v;
	size_t n;
	if (!cmdline_lookup(line, name, &v, &n) || len == 0)
		return false;
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return true;
}

const char *cmdline_init_command(void)
{
	size_t end = options_end(line);
	if (line[end] == '\0')
		return NULL;
	const char *cmd = line + end + 2;
	while (*cmd == ' ')
		cmd++;
	return *cmd ? cmd : NULL;
}
