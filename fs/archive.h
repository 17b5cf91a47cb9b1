// SPDX-License-Identifier: MIT
// The root archive: a cpio "newc" stream (see fs/tools/mkcpio.py). Pure
// parser, host-tested; fs/ uses it to fill the RAM root at boot.
#ifndef QUILT_FS_ARCHIVE_H
#define QUILT_FS_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

struct cpio_entry {
	const char *name;  /* not NUL-terminated in general: use name_len */
	size_t name_len;   /* without the NUL */
	uint32_t mode;     /* S_IFDIR 040000 or S_IFREG 0100000 plus permissions */
	const void *data;
	size_t size;
};

#define CPIO_MODE_TYPE 0170000u
#define CPIO_MODE_DIR  0040000u
#define CPIO_MODE_REG  0100000u

/*
 * cpio_next - parse the entry at *@offset of @archive (@size bytes).
 * Returns 1 with *@out filled and *@offset advanced, 0 at the trailer, or -1
 * with *@why set when the archive is malformed (bad magic, a field that is
 * not hex, a name or body that runs past the end).
 * Context: any; pure.
 */
int cpio_next(const void *archive, size_t size, size_t *offset, struct cpio_entry *out, const char **why);

#endif
