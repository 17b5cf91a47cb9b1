// SPDX-License-Identifier: MIT
// Path strings (spec §5.1): split "pathname:flags", validate both, iterate components.
#ifndef QUILT_FS_PATH_H
#define QUILT_FS_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/abi/path_flags.h"

/*
 * MAX_PATH and MAX_NAME of spec §3.2, under names of our own so this header
 * can be included next to any libc or ABI header that defines the originals.
 * Both are buffer sizes including the NUL.
 */
#define PATH_MAX_PATH 256 /* whole string, flags included: at most 255 chars */
#define PATH_MAX_NAME 32  /* one component or one flag token: at most 31 chars */

struct path_parsed {
	char pathname[PATH_MAX_PATH]; /* the part before the first ':', NUL-terminated, unchanged */
	uint32_t flags;               /* union of the PATH_FLAG_* in the flag list */
	bool absolute;                /* pathname begins with '/' */
};

/*
 * path_parse - split and validate a path string of the form "pathname[:flags]".
 * @full: the NUL-terminated string, already copied into kernel memory.
 * @out: receives the pathname (unchanged, not normalised), the flag union
 *       and whether the pathname is absolute.
 *
 * Checks, in this order (the order of the §5.1 table):
 *   -EINVAL        @full or @out is NULL;
 *   -ENAMETOOLONG  no NUL within PATH_MAX_PATH bytes (checked first, as the
 *                  copy from user space would have);
 *   -EINVAL        a pathname byte that is not a name character;
 *   -ENAMETOOLONG  a pathname component of 32 or more characters;
 *   -EBADFLAG      a flag token byte that is not an ASCII letter or digit;
 *   -ENAMETOOLONG  a flag token of 32 or more characters;
 *   -EBADFLAG      a token that is neither a long flag name nor a string of
 *                  short flag letters (case sensitive).
 * The string is scanned left to right and the first error met wins: the
 * pathname character by character (a component fails at its 32nd character
 * unless a bad character comes earlier), then the flag list token by token,
 * each token judged as a whole (characters, length, meaning), like PW.
 * Empty tokens ("::", a trailing ':', a bare ':') are skipped.
 *
 * Return: 0 with *@out filled, or one of the negative errno values above,
 * in which case *@out holds an empty pathname, no flags and absolute false.
 * Context: any; pure (touches only @full and @out), no locks, no allocation.
 */
int path_parse(const char *full, struct path_parsed *out);

/*
 * path_next_component - step to the next component of a pathname.
 * @cursor: position in a pathname (no flags); advanced past the component.
 * @start: set to the first character of the component (not NUL-terminated).
 *
 * Runs of '/' are skipped, so "//a///b/" yields "a", "b", then the end.
 * "." and ".." are returned like any other name; giving them meaning is the
 * resolver's job.
 *
 * Return: the length of the component, or 0 at the end of the string (then
 * *@start and *@cursor point at the NUL).
 * Context: any; pure.
 */
size_t path_next_component(const char **cursor, const char **start);

/*
 * path_split_last - split a pathname for "parent + last name" resolution (§5.2).
 * @pathname: a pathname without flags (e.g. path_parsed.pathname).
 * @parent_buf, @parent_len: receives the parent part, NUL-terminated: "" for
 *     a relative single name (resolve from the start point), "/" for a name
 *     directly under the root, otherwise the text before the last name with
 *     the separating '/' run removed.
 * @last_buf, @last_len: receives the last name, NUL-terminated.
 *
 * Trailing '/' are ignored first, so "/a/b/" splits like "/a/b".
 *
 * Return: 0 on success;
 *   -EINVAL        a pointer argument is NULL, or the last name is "." or "..";
 *   -ENOENT        there is no last name: "", "/" or only slashes;
 *   -ENAMETOOLONG  @pathname has no NUL within PATH_MAX_PATH bytes, or a
 *                  part does not fit its buffer (with its NUL).
 * The buffers are written only on success.
 * Context: any; pure.
 */
int path_split_last(const char *pathname, char *parent_buf, size_t parent_len, char *last_buf,
		    size_t last_len);

#endif
