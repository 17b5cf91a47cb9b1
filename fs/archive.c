// SPDX-License-Identifier: MIT
// cpio newc parsing: a 110-byte ASCII header (magic "070701", then thirteen
// 8-digit hex fields), the name padded to 4 bytes, the body padded to 4 bytes.
#include "fs/archive.h"

#define HEADER_LEN 110

static int hex_field(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		char c = p[i];
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

int cpio_next(const void *archive, size_t size, size_t *offset, struct cpio_entry *out, const char **why)
{
	const char *base = archive;
	size_t off = *offset;
	if (off > size || size - off < HEADER_LEN) {
		*why = "truncated header (no trailer)";
		return -1;
	}
	const char *h = base + off;
	for (int i = 0; i < 6; i++) {
		if (h[i] != "070701"[i]) {
			*why = "bad magic (not cpio newc)";
			return -1;
		}
	}
	uint32_t f[13];
	for (int i = 0; i < 13; i++) {
		if (hex_field(h + 6 + 8 * i, &f[i]) != 0) {
			*why = "header field is not hexadecimal";
			return -1;
		}
	}
	uint32_t mode = f[1], filesize = f[6], namesize = f[11];
	if (namesize == 0) {
		*why = "empty name";
		return -1;
	}
	size_t name_off = off + HEADER_LEN;
	if (namesize > size - name_off) {
		*why = "name runs past the end";
		return -1;
	}
	if (base[name_off + namesize - 1] != '\0') {
		*why = "name not NUL-terminated";
		return -1;
	}
	size_t data_off = align4(name_off + namesize);
	if (data_off > size || filesize > size - data_off) {
		*why = "file body runs past the end";
		return -1;
	}
	out->name = base + name_off;
	out->name_len = namesize - 1;
	if (out->name_len == 10 && __builtin_memcmp(out->name, "TRAILER!!!", 10) == 0)
		return 0;
	out->mode = mode;
	out->data = base + data_off;
	out->size = filesize;
	*offset = align4(data_off + filesize);
	return 1;
}
