// SPDX-License-Identifier: MIT
// Path string parsing (spec §5.1): pure code shared by the kernel and the host tests.
#include "fs/path.h"

#include "kernel/abi/errno.h"
#include "kernel/abi/path_flags.h"

/*
 * No libc here: this file is built freestanding for the kernel and linked
 * against the host libc for the tests, so the few string helpers it needs
 * are local and static.
 */

struct path_flag_name {
	uint32_t flag;
	const char *name;
	char letter;
};

#define PATH_FLAG_ENTRY(value, long_name, short_letter) { value, long_name, short_letter },
static const struct path_flag_name path_flag_names[PATH_FLAG_COUNT] = {
	PATH_FLAG_TABLE(PATH_FLAG_ENTRY)
};
#undef PATH_FLAG_ENTRY

/* Bytes before the first NUL, looking at no more than @max bytes. */
static size_t path_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

static void path_copy(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
	dst[n] = '\0';
}

/* ASCII only: the ABI is byte based and must not depend on a locale. */
static bool path_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * The namechar set of §5.1, written as an allow list so that everything not
 * named - control characters, DEL, bytes >= 0x80 and " * < > \ ` | - is
 * refused. '/' and ':' are not name characters either; the callers treat
 * them as separators before asking.
 */
static bool path_is_namechar(unsigned char c)
{
	if (path_is_alnum(c))
		return true;
	switch (c) {
	case '_': case '-': case '.': case ' ': case '(': case ')':
	case '[': case ']': case '{': case '}': case '~': case '!':
	case '@': case '#': case '$': case '%': case '^': case '&':
	case '?': case '\'': case ',': case ';': case '=': case '+':
		return true;
	default:
		return false;
	}
}

static bool path_token_equals(const char *tok, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (name[i] != tok[i]) /* also stops at name's NUL: tok has none */
			return false;
	return name[len] == '\0';
}

/*
 * The flags one complete token stands for, 0 if it means nothing. A long
 * name is tried first because "read" and "create" are also valid strings of
 * short letters (r|e|a|d, c|r|e|a|t|e) and the spec gives the long meaning
 * precedence.
 */
static uint32_t path_token_flags(const char *tok, size_t len)
{
	uint32_t flags = 0;
	size_t i, j;

	for (j = 0; j < PATH_FLAG_COUNT; j++)
		if (path_token_equals(tok, len, path_flag_names[j].name))
			return path_flag_names[j].flag;

	for (i = 0; i < len; i++) {
		uint32_t f = 0;

		for (j = 0; j < PATH_FLAG_COUNT; j++)
			if (tok[i] == path_flag_names[j].letter)
				f = path_flag_names[j].flag;
		if (!f)
			return 0;
		flags |= f;
	}
	return flags;
}

/*
 * Parse the flag list that follows the first ':', one token at a time from
 * the left. A token is judged as a unit in the order of the §5.1 table: all
 * its characters, then its length, then its meaning - so a bad character
 * anywhere in an over-long token is -EBADFLAG, as in PW, while an error in
 * an earlier token always wins over one in a later token.
 */
static int path_parse_flags(const char *s, uint32_t *flags)
{
	while (*s != '\0') {
		const char *tok;
		uint32_t f;

		if (*s == ':') { /* empty token: "::" or a trailing ':' */
			s++;
			continue;
		}
		for (tok = s; *s != '\0' && *s != ':'; s++)
			if (!path_is_alnum((unsigned char)*s))
				return -EBADFLAG;
		if ((size_t)(s - tok) >= PATH_MAX_NAME)
			return -ENAMETOOLONG;
		f = path_token_flags(tok, (size_t)(s - tok));
		if (!f)
			return -EBADFLAG;
		*flags |= f;
	}
	return 0;
}

int path_parse(const char *full, struct path_parsed *out)
{
	size_t i, comp_len = 0;
	uint32_t flags = 0;
	int err;

	if (out) {
		out->pathname[0] = '\0';
		out->flags = 0;
		out->absolute = false;
	}
	if (!full || !out)
		return -EINVAL;

	/*
	 * The copy from user space already refuses this; repeating it here
	 * bounds every loop below by the size of out->pathname even for
	 * callers that did not copy.
	 */
	if (path_strnlen(full, PATH_MAX_PATH) >= PATH_MAX_PATH)
		return -ENAMETOOLONG;

	for (i = 0; full[i] != '\0' && full[i] != ':'; i++) {
		if (full[i] == '/') {
			comp_len = 0;
			continue;
		}
		/*
		 * Checked per character, as PW does: the first bad character
		 * or the 32nd character of a component, whichever comes
		 * first. At one position the table's order (character first)
		 * decides.
		 */
		if (!path_is_namechar((unsigned char)full[i]))
			return -EINVAL;
		if (++comp_len >= PATH_MAX_NAME)
			return -ENAMETOOLONG;
	}

	if (full[i] == ':') {
		err = path_parse_flags(full + i + 1, &flags);
		if (err)
			return err;
	}

	/* Only now, so that a failed parse leaves *out empty as documented. */
	path_copy(out->pathname, full, i);
	out->flags = flags;
	out->absolute = full[0] == '/';
	return 0;
}

size_t path_next_component(const char **cursor, const char **start)
{
	const char *p = *cursor;

	while (*p == '/')
		p++;
	*start = p;
	while (*p != '\0' && *p != '/')
		p++;
	*cursor = p;
	return (size_t)(p - *start);
}

int path_split_last(const char *pathname, char *parent_buf, size_t parent_len, char *last_buf,
		    size_t last_len)
{
	size_t end, name_start, name_len, parent_end;

	if (!pathname || !parent_buf || !last_buf)
		return -EINVAL;

	/* A trailing '/' is ignored by resolution (§5.2), so drop it here too. */
	end = path_strnlen(pathname, PATH_MAX_PATH);
	if (end >= PATH_MAX_PATH)
		return -ENAMETOOLONG; /* not something path_parse accepted */
	while (end > 0 && pathname[end - 1] == '/')
		end--;
	if (end == 0)
		return -ENOENT; /* "", "/", "//": nothing to create or remove */

	name_start = end;
	while (name_start > 0 && pathname[name_start - 1] != '/')
		name_start--;
	name_len = end - name_start;

	/*
	 * Creating, removing or linking "." or ".." would name the directory
	 * itself or its parent, never an entry of the parent.
	 */
	if (pathname[name_start] == '.' &&
	    (name_len == 1 || (name_len == 2 && pathname[name_start + 1] == '.')))
		return -EINVAL;

	/*
	 * Drop the '/' run between parent and name; if that empties an absolute
	 * path, the parent is the root and must stay "/", not become "" (which
	 * would mean the working directory).
	 */
	parent_end = name_start;
	while (parent_end > 0 && pathname[parent_end - 1] == '/')
		parent_end--;
	if (parent_end == 0 && name_start > 0)
		parent_end = 1;

	if (parent_end >= parent_len || name_len >= last_len)
		return -ENAMETOOLONG;
	path_copy(parent_buf, pathname, parent_end);
	path_copy(last_buf, pathname + name_start, name_len);
	return 0;
}
