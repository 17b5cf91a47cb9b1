// SPDX-License-Identifier: MIT
// Host tests of kernel/drivers/fb/fbcon.c over framebuffers of the GOP modes
// a PC's firmware may pick (800x600, 1024x768, 1920x1080, a width that is no
// multiple of the 8-pixel cell, a stride wider than the width): the screen is
// read back with the console's own font, as tests/tools/screen.py does with
// QEMU's screendumps, and the stride's padding must never be written.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/boot.h"
#include "kernel/boot_info.h"
#include "kernel/drivers/fb/fbcon.h"
#include "kernel/drivers/fb/font.h"
#include "tests/host/htest.h"

/* ---- what fbcon.c needs from the kernel: a heap that is reset per test, and a silent log ---- */

static _Alignas(16) unsigned char arena[1 << 20];
static size_t arena_used;

void *kmalloc(size_t size);
void *kmalloc(size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (size > sizeof(arena) - arena_used)
		return NULL;
	void *p = arena + arena_used;
	arena_used += size;
	return p;
}

void kprintf(const char *fmt, ...)
{
}

/* ---- a framebuffer in host memory ---- */

#define PADDING 0xdeadbeefu /* what the firmware left: the stride's padding must keep it */

struct screen {
	uint32_t *px;
	struct boot_framebuffer fb;
};

static struct screen make_screen(uint32_t width, uint32_t height, uint32_t stride)
{
	struct screen s;
	s.px = malloc((size_t)stride * height * 4);
	for (size_t i = 0; i < (size_t)stride * height; i++)
		s.px[i] = PADDING;
	/* fbcon draws at the pixels it is handed; phys only has to be there (not 0). */
	s.fb = (struct boot_framebuffer){ .phys = (uint64_t)(uintptr_t)s.px,
					  .size_bytes = (uint64_t)stride * height * 4,
					  .width = width,
					  .height = height,
					  .stride_pixels = stride,
					  .format = 1 };
	arena_used = 0;
	return s;
}

/* The character drawn in cell (@col, @row) in foreground @fg, or 0 when no glyph matches. */
static char cell_char(const struct screen *s, uint32_t col, uint32_t row, uint32_t fg)
{
	for (int c = FONT_FIRST; c <= FONT_LAST; c++) {
		const uint8_t *g = font_glyph((unsigned char)c);
		bool same = true;
		for (int y = 0; y < FONT_HEIGHT && same; y++)
			for (int x = 0; x < FONT_WIDTH && same; x++) {
				uint32_t p = s->px[(size_t)(row * FONT_HEIGHT + y) * s->fb.stride_pixels + col * FONT_WIDTH + x];
				same = (p == fg) == ((g[y] & (0x80 >> x)) != 0);
			}
		if (same)
			return (char)c;
	}
	return 0;
}

/* Whether cell (@col, @row) is a blank with the cursor, an underline in the bottom rows. */
static bool cursor_cell(const struct screen *s, uint32_t col, uint32_t row, uint32_t fg)
{
	for (int y = 0; y < FONT_HEIGHT; y++)
		for (int x = 0; x < FONT_WIDTH; x++) {
			uint32_t p = s->px[(size_t)(row * FONT_HEIGHT + y) * s->fb.stride_pixels + col * FONT_WIDTH + x];
			if ((p == fg) != (y >= FONT_HEIGHT - 2))
				return false;
		}
	return true;
}

/* Row @row's text (the cursor's cell a blank), trailing blanks dropped. */
static const char *row_text(const struct screen *s, uint32_t row, uint32_t fg)
{
	static char text[512];
	uint32_t cols = s->fb.width / FONT_WIDTH, n = 0;
	for (uint32_t c = 0; c < cols && n < sizeof(text) - 1; c++) {
		char ch = cell_char(s, c, row, fg);
		text[n++] = ch ? ch : cursor_cell(s, c, row, fg) ? ' ' : '?';
	}
	while (n > 0 && text[n - 1] == ' ')
		n--;
	text[n] = '\0';
	return text;
}

static bool padding_untouched(const struct screen *s)
{
	for (uint32_t y = 0; y < s->fb.height; y++)
		for (uint32_t x = s->fb.width; x < s->fb.stride_pixels; x++)
			if (s->px[(size_t)y * s->fb.stride_pixels + x] != PADDING)
				return false;
	return true;
}

#define FG 0xc0c0c0u /* TEXT_FG in BGRX */
#define PANIC_BG 0xb00000u

/* Everything inside the mode drawn (black, or text), the padding left alone, text read back. */
static void check_mode(struct htest_ctx *ctx, uint32_t width, uint32_t height, uint32_t stride)
{
	struct screen s = make_screen(width, height, stride);
	HEXPECT_EQ(fbcon_init(&s.fb, s.px), 0);
	bool cleared = true;
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++)
			cleared &= s.px[(size_t)y * stride + x] == 0;
	HEXPECT(cleared);
	const char *hello = "Quilt on a framebuffer\n\tafter a tab";
	fbcon_write(hello, strlen(hello));
	fbcon_flush();
	HEXPECT_STREQ(row_text(&s, 0, FG), "Quilt on a framebuffer");
	HEXPECT_STREQ(row_text(&s, 1, FG), "        after a tab");
	HEXPECT(padding_untouched(&s));
	free(s.px);
}

HTEST(fbcon, gop_800x600) { check_mode(ctx, 800, 600, 800); }
HTEST(fbcon, gop_1024x768) { check_mode(ctx, 1024, 768, 1024); }
HTEST(fbcon, gop_1920x1080) { check_mode(ctx, 1920, 1080, 1920); }
HTEST(fbcon, stride_wider_than_width) { check_mode(ctx, 1000, 700, 1024); }
HTEST(fbcon, width_not_a_multiple_of_the_cell) { check_mode(ctx, 1366, 768, 1376); }

HTEST(fbcon, scrolls_and_wraps)
{
	struct screen s = make_screen(640, 480, 704);
	HEXPECT_EQ(fbcon_init(&s.fb, s.px), 0);
	uint32_t rows = 480 / FONT_HEIGHT, cols = 640 / FONT_WIDTH;
	char line[32];
	/* rows + 3 lines: the first three scroll off the top. */
	for (uint32_t i = 0; i < rows + 3; i++) {
		int n = snprintf(line, sizeof(line), "line %u\n", i);
		fbcon_write(line, (size_t)n);
	}
	/* A line longer than the screen wraps onto the next row. */
	char lng[200];
	memset(lng, 'w', cols + 5);
	fbcon_write(lng, cols + 5);
	fbcon_flush();
	HEXPECT_STREQ(row_text(&s, 0, FG), "line 5"); /* 33 newlines and one wrap: 5 scrolls */
	snprintf(line, sizeof(line), "line %u", rows + 2);
	HEXPECT_STREQ(row_text(&s, rows - 3, FG), line);
	HEXPECT_EQ(strlen(row_text(&s, rows - 2, FG)), cols);
	HEXPECT_STREQ(row_text(&s, rows - 1, FG), "wwwww");
	HEXPECT(padding_untouched(&s));
	free(s.px);
}

HTEST(fbcon, panic_lines_red_edge_to_edge)
{
	struct screen s = make_screen(800, 600, 832);
	HEXPECT_EQ(fbcon_init(&s.fb, s.px), 0);
	fbcon_write("before", 6);
	fbcon_panic_write("KERNEL PANIC\n", 13);
	/* The report starts on a line of its own, white on red across the whole row. */
	HEXPECT_STREQ(row_text(&s, 0, FG), "before");
	HEXPECT_STREQ(row_text(&s, 1, 0xffffffu), "KERNEL PANIC");
	HEXPECT_EQ(s.px[(size_t)(1 * FONT_HEIGHT) * 832 + 799], PANIC_BG);
	HEXPECT_EQ(s.px[(size_t)(2 * FONT_HEIGHT) * 832 + 799], PANIC_BG);
	HEXPECT(padding_untouched(&s));
	free(s.px);
}

HTEST(fbcon, refuses_unusable_framebuffers)
{
	struct screen s = make_screen(800, 600, 800);
	struct boot_framebuffer bad = s.fb;
	bad.format = 0;
	HEXPECT_EQ(fbcon_init(&bad, s.px), -19); /* ENODEV: not 32-bit RGB/BGR */
	bad = s.fb;
	bad.stride_pixels = 799;
	HEXPECT_EQ(fbcon_init(&bad, s.px), -19); /* stride below the width */
	bad = s.fb;
	bad.size_bytes -= 4;
	HEXPECT_EQ(fbcon_init(&bad, s.px), -19); /* the buffer is smaller than the mode */
	HEXPECT_EQ(fbcon_init(&s.fb, NULL), -19); /* the caller could not map it */
	free(s.px);
}
