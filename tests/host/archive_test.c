// SPDX-License-Identifier: MIT
// Host tests of fs/archive.c: cpio newc archives built in memory, well formed and broken.
#include <stdlib.h>

#include "fs/archive.h"
#include "tests/host/htest.h"

#define HEADER_LEN 110

struct cpio_buf {
	char data[4096];
	size_t len;
	bool lower; /* write hex fields in lower case */
};

static void emit(struct cpio_buf *b, const void *p, size_t n)
{
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void pad4(struct cpio_buf *b)
{
	while (b->len % 4)
		b->data[b->len++] = '\0';
}

/* One entry: header, name, NUL, pad to 4, body, pad to 4. Returns the header offset. */
static size_t cpio_add(struct cpio_buf *b, const char *name, uint32_t mode, const void *body, size_t size)
{
	size_t at = b->len;
	uint32_t f[13] = { 1, mode, 0, 0, 1, 0, (uint32_t)size, 0, 0, 0, 0, (uint32_t)strlen(name) + 1, 0 };
	char field[9];
	emit(b, "070701", 6);
	for (int i = 0; i < 13; i++) {
		snprintf(field, sizeof(field), b->lower ? "%08x" : "%08X", f[i]);
		emit(b, field, 8);
	}
	emit(b, name, strlen(name) + 1);
	pad4(b);
	emit(b, body, size);
	pad4(b);
	return at;
}

static size_t cpio_trailer(struct cpio_buf *b)
{
	return cpio_add(b, "TRAILER!!!", 0, "", 0);
}

/* Overwrite header field @i (0..12) of the entry at @at with 8 raw characters. */
static void set_field(struct cpio_buf *b, size_t at, int i, const char *text8)
{
	memcpy(b->data + at + 6 + 8 * i, text8, 8);
}

/* An exactly sized heap copy of the first @len bytes: ASan catches over-reads. */
static char *copy(const struct cpio_buf *b, size_t len)
{
	char *p = malloc(len ? len : 1);
	memcpy(p, b->data, len);
	return p;
}

#define FIELD_FILESIZE 6
#define FIELD_NAMESIZE 11

/* Expect cpio_next to fail at @off with a reason containing @word. */
#define HEXPECT_MALFORMED(arch, size, off, word)                                        \
	do {                                                                            \
		size_t o_ = (off);                                                      \
		const char *why_ = NULL;                                                \
		struct cpio_entry e_;                                                   \
		HEXPECT_EQ(cpio_next(arch, size, &o_, &e_, &why_), -1);                 \
		HEXPECT(why_ != NULL);                                                  \
		if (why_ && !strstr(why_, word))                                        \
			htest_fail(ctx, __FILE__, __LINE__, "reason \"%s\" lacks \"%s\"", \
				   why_, word);                                         \
		HEXPECT_EQ(o_, off);                                                    \
	} while (0)

HTEST(archive, entries_in_order)
{
	struct cpio_buf b = { .len = 0 };
	cpio_add(&b, "bin", CPIO_MODE_DIR | 0755, "", 0);
	size_t hello = cpio_add(&b, "bin/hello", CPIO_MODE_REG | 0644, "hello\n", 6);
	cpio_add(&b, "etc/motd", CPIO_MODE_REG | 0600, "hi!!x", 5);
	cpio_trailer(&b);
	char *a = copy(&b, b.len);

	size_t off = 0;
	struct cpio_entry e;
	const char *why = NULL;
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(e.name_len, 3);
	HEXPECT(memcmp(e.name, "bin", 3) == 0);
	HEXPECT(e.name == a + HEADER_LEN);
	HEXPECT_EQ(e.mode, CPIO_MODE_DIR | 0755);
	HEXPECT_EQ(e.mode & CPIO_MODE_TYPE, CPIO_MODE_DIR);
	HEXPECT_EQ(e.size, 0);
	HEXPECT_EQ(off, hello);

	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(e.name_len, 9);
	HEXPECT(memcmp(e.name, "bin/hello", 9) == 0);
	HEXPECT_EQ(e.mode, CPIO_MODE_REG | 0644);
	HEXPECT_EQ(e.size, 6);
	/* name ends at hello+110+10 = +120, already 4-aligned */
	HEXPECT(e.data == a + hello + 120);
	HEXPECT(memcmp(e.data, "hello\n", 6) == 0);

	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(e.name_len, 8);
	HEXPECT(memcmp(e.name, "etc/motd", 8) == 0);
	HEXPECT_EQ(e.mode & CPIO_MODE_TYPE, CPIO_MODE_REG);
	HEXPECT_EQ(e.size, 5);
	HEXPECT(memcmp(e.data, "hi!!x", 5) == 0);

	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 0);
	HEXPECT(why == NULL);
	free(a);
}

HTEST(archive, name_and_body_padding)
{
	/* every residue of name and body length modulo 4 */
	static const char *names[] = { "a", "ab", "abc", "abcd", "abcde" };
	static const char body[] = "0123456789";
	struct cpio_buf b = { .len = 0 };
	for (int n = 0; n < 5; n++)
		for (size_t s = 0; s < 5; s++)
			cpio_add(&b, names[n], CPIO_MODE_REG | 0644, body, s);
	cpio_trailer(&b);
	char *a = copy(&b, b.len);
	size_t off = 0;
	struct cpio_entry e;
	const char *why = NULL;
	for (int n = 0; n < 5; n++) {
		for (size_t s = 0; s < 5; s++) {
			HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
			HEXPECT_EQ(e.name_len, strlen(names[n]));
			HEXPECT(memcmp(e.name, names[n], e.name_len) == 0);
			HEXPECT_EQ(e.size, s);
			HEXPECT(memcmp(e.data, body, s) == 0);
			HEXPECT_EQ((size_t)((const char *)e.data - a) % 4, 0);
			HEXPECT_EQ(off % 4, 0);
		}
	}
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 0);
	free(a);
}

HTEST(archive, zero_length_file)
{
	struct cpio_buf b = { .len = 0 };
	size_t at = cpio_add(&b, "empty", CPIO_MODE_REG | 0644, "", 0);
	size_t next = cpio_add(&b, "next", CPIO_MODE_REG | 0644, "z", 1);
	cpio_trailer(&b);
	char *a = copy(&b, b.len);
	size_t off = 0;
	struct cpio_entry e;
	const char *why = NULL;
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(e.size, 0);
	HEXPECT_EQ(e.name_len, 5);
	HEXPECT(e.data == a + at + 116); /* 110 + "empty\0" = 116, aligned */
	HEXPECT_EQ(off, next);
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(e.size, 1);
	HEXPECT_EQ(((const char *)e.data)[0], 'z');
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 0);
	free(a);
}

HTEST(archive, lowercase_hex_fields)
{
	struct cpio_buf b = { .lower = true };
	static const char body[64] = "0123456789abcdef0123456789ABCDEF";
	/* fields 000081a4/0000001f and 0000bcde/0000002f: every hex letter, lower case */
	cpio_add(&b, "f", CPIO_MODE_REG | 0644, body, 0x1f);
	cpio_add(&b, "g", 0xbcde, body, 0x2f);
	cpio_trailer(&b);
	char *a = copy(&b, b.len);
	size_t off = 0;
	struct cpio_entry e;
	const char *why = NULL;
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(e.mode, 0x81a4);
	HEXPECT_EQ(e.size, 0x1f);
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(e.mode, 0xbcde);
	HEXPECT_EQ(e.size, 0x2f);
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 0);
	free(a);
}

HTEST(archive, trailer_only)
{
	struct cpio_buf b = { .len = 0 };
	cpio_trailer(&b);
	char *a = copy(&b, b.len);
	size_t off = 0;
	struct cpio_entry e;
	const char *why = NULL;
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 0);
	HEXPECT(why == NULL);
	free(a);
}

HTEST(archive, trailer_like_names_are_entries)
{
	struct cpio_buf b = { .len = 0 };
	cpio_add(&b, "TRAILER!!", CPIO_MODE_REG | 0644, "", 0);
	cpio_add(&b, "TRAILER!!!x", CPIO_MODE_REG | 0644, "", 0);
	cpio_trailer(&b);
	char *a = copy(&b, b.len);
	size_t off = 0;
	struct cpio_entry e;
	const char *why = NULL;
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(e.name_len, 9);
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(e.name_len, 11);
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 0);
	free(a);
}

HTEST(archive, bad_magic)
{
	struct cpio_buf b = { .len = 0 };
	cpio_add(&b, "f", CPIO_MODE_REG | 0644, "x", 1);
	cpio_trailer(&b);
	memcpy(b.data, "070707", 6); /* the old portable (odc) format */
	char *a = copy(&b, b.len);
	HEXPECT_MALFORMED(a, b.len, 0, "magic");
	free(a);
	/* the "with checksum" crc variant is not accepted either */
	memcpy(b.data, "070702", 6);
	a = copy(&b, b.len);
	HEXPECT_MALFORMED(a, b.len, 0, "magic");
	free(a);
}

HTEST(archive, non_hex_field)
{
	static const char *bad[] = { "0000000g", "-0000001", " 0000001", "0x000001", "0000001\0" };
	for (int i = 0; i < 5; i++) {
		struct cpio_buf b = { .len = 0 };
		cpio_add(&b, "f", CPIO_MODE_REG | 0644, "x", 1);
		cpio_trailer(&b);
		set_field(&b, 0, i == 4 ? 12 : FIELD_FILESIZE, bad[i]);
		char *a = copy(&b, b.len);
		HEXPECT_MALFORMED(a, b.len, 0, "hexadecimal");
		free(a);
	}
}

HTEST(archive, truncated_header)
{
	struct cpio_buf b = { .len = 0 };
	cpio_add(&b, "f", CPIO_MODE_REG | 0644, "x", 1);
	cpio_trailer(&b);
	for (size_t len = 0; len < HEADER_LEN; len += 27) {
		char *a = copy(&b, len);
		HEXPECT_MALFORMED(a, len, 0, "truncated");
		free(a);
	}
	char *a = copy(&b, HEADER_LEN - 1);
	HEXPECT_MALFORMED(a, HEADER_LEN - 1, 0, "truncated");
	free(a);
	/* an offset past the end is refused, not read */
	a = copy(&b, b.len);
	HEXPECT_MALFORMED(a, b.len, b.len + 4, "truncated");
	free(a);
}

HTEST(archive, name_past_end)
{
	struct cpio_buf b = { .len = 0 };
	cpio_add(&b, "some/long/name", CPIO_MODE_REG | 0644, "x", 1);
	/* the archive stops in the middle of the name */
	char *a = copy(&b, HEADER_LEN + 5);
	HEXPECT_MALFORMED(a, HEADER_LEN + 5, 0, "name runs past");
	free(a);
	/* one byte short of the NUL */
	a = copy(&b, HEADER_LEN + 14);
	HEXPECT_MALFORMED(a, HEADER_LEN + 14, 0, "name runs past");
	free(a);
	/* a huge namesize must not wrap the bounds check */
	cpio_trailer(&b);
	set_field(&b, 0, FIELD_NAMESIZE, "FFFFFFFF");
	a = copy(&b, b.len);
	HEXPECT_MALFORMED(a, b.len, 0, "name runs past");
	free(a);
}

HTEST(archive, name_not_terminated)
{
	struct cpio_buf b = { .len = 0 };
	cpio_add(&b, "file", CPIO_MODE_REG | 0644, "x", 1);
	cpio_trailer(&b);
	b.data[HEADER_LEN + 4] = 'x'; /* the NUL after "file" */
	char *a = copy(&b, b.len);
	HEXPECT_MALFORMED(a, b.len, 0, "NUL");
	free(a);
}

HTEST(archive, empty_name)
{
	struct cpio_buf b = { .len = 0 };
	cpio_add(&b, "file", CPIO_MODE_REG | 0644, "x", 1);
	cpio_trailer(&b);
	set_field(&b, 0, FIELD_NAMESIZE, "00000000");
	char *a = copy(&b, b.len);
	HEXPECT_MALFORMED(a, b.len, 0, "name");
	free(a);
}

HTEST(archive, body_past_end)
{
	struct cpio_buf b = { .len = 0 };
	size_t second = cpio_add(&b, "d", CPIO_MODE_DIR | 0755, "", 0);
	second = cpio_add(&b, "file", CPIO_MODE_REG | 0644, "0123456789", 10);
	/* cut in the middle of the second entry's body */
	size_t cut = second + 116 + 4;
	char *a = copy(&b, cut);
	size_t off = 0;
	struct cpio_entry e;
	const char *why = NULL;
	HEXPECT_EQ(cpio_next(a, cut, &off, &e, &why), 1);
	HEXPECT_EQ(off, second);
	HEXPECT_MALFORMED(a, cut, second, "body runs past");
	free(a);
	/* a huge filesize must not wrap the bounds check */
	cpio_trailer(&b);
	set_field(&b, second, FIELD_FILESIZE, "FFFFFFFF");
	a = copy(&b, b.len);
	HEXPECT_MALFORMED(a, b.len, second, "body runs past");
	free(a);
}

HTEST(archive, missing_trailer)
{
	struct cpio_buf b = { .len = 0 };
	cpio_add(&b, "a", CPIO_MODE_REG | 0644, "xyz", 3);
	char *a = copy(&b, b.len);
	size_t off = 0;
	struct cpio_entry e;
	const char *why = NULL;
	HEXPECT_EQ(cpio_next(a, b.len, &off, &e, &why), 1);
	HEXPECT_EQ(off, b.len);
	HEXPECT_MALFORMED(a, b.len, b.len, "no trailer");
	free(a);
	/* the last body not padded: the next offset lies past the end */
	size_t len = b.len - 1;
	a = copy(&b, len);
	off = 0;
	HEXPECT_EQ(cpio_next(a, len, &off, &e, &why), 1);
	HEXPECT_EQ(e.size, 3);
	HEXPECT_MALFORMED(a, len, off, "truncated");
	free(a);
}
