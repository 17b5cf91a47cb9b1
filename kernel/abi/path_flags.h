// SPDX-License-Identifier: MIT
// The ten path flags of the PatchworkOS ABI (spec §3.5, §5), shared by kernel and user space.
#ifndef QUILT_ABI_PATH_FLAGS_H
#define QUILT_ABI_PATH_FLAGS_H

/*
 * Flags are written into the path string after a ':' ("/tmp/f:rwc",
 * "/tmp/d:directory:recursive"); the bit values below never cross the ABI as
 * integers, they are only how the kernel (and a libc that builds or checks
 * such strings) represents the parsed set.
 *
 * Short letters are case sensitive: 'R' (recursive) is the only upper-case
 * one, so "r" and "R" are different flags.
 */
#define PATH_FLAG_READ       (1u << 0) /* "read"      'r': request read permission */
#define PATH_FLAG_WRITE      (1u << 1) /* "write"     'w': request write permission */
#define PATH_FLAG_EXECUTE    (1u << 2) /* "execute"   'x': request execute permission */
#define PATH_FLAG_NONBLOCK   (1u << 3) /* "nonblock"  'n': fail instead of blocking */
#define PATH_FLAG_APPEND     (1u << 4) /* "append"    'a': every write goes to the end */
#define PATH_FLAG_CREATE     (1u << 5) /* "create"    'c': create the final component if missing */
#define PATH_FLAG_EXCLUSIVE  (1u << 6) /* "exclusive" 'e': with create, fail if it exists */
#define PATH_FLAG_TRUNCATE   (1u << 7) /* "truncate"  't': truncate a regular file on open */
#define PATH_FLAG_DIRECTORY  (1u << 8) /* "directory" 'd': the target is (or becomes) a directory */
#define PATH_FLAG_RECURSIVE  (1u << 9) /* "recursive" 'R': getdents/remove work recursively */

#define PATH_FLAG_COUNT      10
#define PATH_FLAG_ALL        ((1u << PATH_FLAG_COUNT) - 1)
/* The permission subset, checked against the mount's permissions (§5.3). */
#define PATH_FLAG_PERMS      (PATH_FLAG_READ | PATH_FLAG_WRITE | PATH_FLAG_EXECUTE)

/*
 * PATH_FLAG_TABLE(X) expands X(value, "long name", 'short letter') once per
 * flag, in bit order, so that parsers and formatters on both sides of the ABI
 * share one list instead of repeating the names.
 */
#define PATH_FLAG_TABLE(X)                              \
	X(PATH_FLAG_READ, "read", 'r')                  \
	X(PATH_FLAG_WRITE, "write", 'w')                \
	X(PATH_FLAG_EXECUTE, "execute", 'x')            \
	X(PATH_FLAG_NONBLOCK, "nonblock", 'n')          \
	X(PATH_FLAG_APPEND, "append", 'a')              \
	X(PATH_FLAG_CREATE, "create", 'c')              \
	X(PATH_FLAG_EXCLUSIVE, "exclusive", 'e')        \
	X(PATH_FLAG_TRUNCATE, "truncate", 't')          \
	X(PATH_FLAG_DIRECTORY, "directory", 'd')        \
	X(PATH_FLAG_RECURSIVE, "recursive", 'R')

#endif
