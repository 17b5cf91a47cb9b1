// SPDX-License-Identifier: MIT
// Framebuffer console: a text grid of 8x16 cells over the GOP framebuffer.
//
// The pixels of every text row live in a back buffer in RAM, one buffer per
// row, reached through a ring of row pointers: scrolling moves the ring's top
// and clears one row, so nothing is copied inside RAM, and the framebuffer
// (slow to read on real hardware: it is never read) gets one copy of the
// screen. Writing a character draws its cell in the back buffer and marks it
// dirty; one flush copies the dirty rectangle out, so a line of log costs
// one row copy and a scroll one screen copy, not one per character. When to
// flush is the caller's choice (kernel/log/log.c limits it to one per 20 ms
// for bursts of lines).
//
// Locks: none of its own. Every writer comes through kernel/log/log.c under
// log_lock (IRQs off); the panic path writes without it, after panic() has
// stopped the other CPUs. The framebuffer is reached through the direct map
// (write-back in the page tables; the firmware's MTRRs decide the real memory
// type on a PC, usually uncached or write-combining; no PAT entry of our own).
#include "kernel/drivers/fb/fbcon.h"

#include <stdint.h>

#include "kernel/abi/errno.h"
#include "kernel/boot.h"
#include "kernel/boot_info.h"
#include "kernel/drivers/fb/font.h"
#include "kernel/lib/string.h"
#include "kernel/log/log.h"
#include "kernel/mm/kmalloc.h"

#define TAB_COLS 8
/* Largest block kmalloc hands out (PMM_MAX_ORDER): row buffers are carved from blocks this size. */
#define CHUNK_BYTES (4u << 20)
#define CURSOR_ROWS 2 /* an underline, the bottom rows of the cell */

struct rgb {
	uint8_t r, g, b;
};
static const struct rgb TEXT_FG = { 0xc0, 0xc0, 0xc0 }, TEXT_BG = { 0x00, 0x00, 0x00 };
static const struct rgb PANIC_FG = { 0xff, 0xff, 0xff }, PANIC_BG = { 0xb0, 0x00, 0x00 };

static struct {
	/* Immutable after fbcon_init. */
	bool ready;
	bool bgr;              /* BGRX in memory (GOP's usual), else RGBX */
	uint32_t *fb;          /* the framebuffer, through the direct map */
	uint32_t stride;       /* pixels from one framebuffer line to the next */
	uint32_t cols, rows;   /* text grid */
	uint32_t line_px;      /* pixels in one line of a row buffer: cols * FONT_WIDTH */
	uint32_t **row_buf;    /* [rows]: FONT_HEIGHT lines of line_px pixels each */

	/* Guarded by: log_lock (or owned by the panicking CPU). */
	uint32_t top;          /* row_buf index of screen row 0 */
	uint32_t cx, cy;       /* cursor cell */
	bool wrap_pending;     /* the last column was written: wrap before the next character */
	bool panic;            /* panic colours, no cursor */
	uint32_t fg, bg;       /* current colours as pixel values */
	/* Dirty cells, [r0, r1) x [c0, c1); empty when r0 >= r1. */
	uint32_t r0, r1, c0, c1;
} con;

static uint32_t pixel(struct rgb c)
{
	if (con.bgr)
		return (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
	return (uint32_t)c.b << 16 | (uint32_t)c.g << 8 | c.r;
}

static uint32_t *row_pixels(uint32_t row)
{
	return con.row_buf[(con.top + row) % con.rows];
}

static void mark_dirty(uint32_t r0, uint32_t r1, uint32_t c0, uint32_t c1)
{
	if (con.r0 >= con.r1) {
		con.r0 = r0, con.r1 = r1, con.c0 = c0, con.c1 = c1;
		return;
	}
	con.r0 = r0 < con.r0 ? r0 : con.r0;
	con.r1 = r1 > con.r1 ? r1 : con.r1;
	con.c0 = c0 < con.c0 ? c0 : con.c0;
	con.c1 = c1 > con.c1 ? c1 : con.c1;
}

/*
 * Two pixels per store where the address allows: under QEMU every store to
 * the framebuffer takes the slow path of its dirty tracking, so halving the
 * stores halves the time of a screen clear (a quarter of a second at boot
 * on a loaded host with one store per pixel).
 */
static void fill(uint32_t *p, uint64_t n, uint32_t value)
{
	if (n && ((uintptr_t)p & 7)) {
		*p++ = value;
		n--;
	}
	uint64_t pair = (uint64_t)value << 32 | value, *q = (uint64_t *)p;
	for (uint64_t i = 0; i < n / 2; i++)
		q[i] = pair;
	if (n & 1)
		p[n - 1] = value;
}

static void clear_row(uint32_t row)
{
	fill(row_pixels(row), (uint64_t)con.line_px * FONT_HEIGHT, con.bg);
	mark_dirty(row, row + 1, 0, con.cols);
}

static void draw_cell(uint32_t col, uint32_t row, unsigned char c)
{
	const uint8_t *glyph = font_glyph(c);
	uint32_t *p = row_pixels(row) + col * FONT_WIDTH;
	for (int y = 0; y < FONT_HEIGHT; y++, p += con.line_px) {
		uint8_t bits = glyph[y];
		for (int x = 0; x < FONT_WIDTH; x++)
			p[x] = bits & (0x80 >> x) ? con.fg : con.bg;
	}
	mark_dirty(row, row + 1, col, col + 1);
}

static void newline(void)
{
	con.cx = 0;
	con.wrap_pending = false;
	if (con.cy + 1 < con.rows) {
		con.cy++;
		if (con.panic)
			clear_row(con.cy); /* a panic line is red from edge to edge */
		return;
	}
	/* Scroll: the old top row's buffer becomes the new bottom row. */
	con.top = (con.top + 1) % con.rows;
	clear_row(con.rows - 1);
	mark_dirty(0, con.rows, 0, con.cols);
}

static void put_printable(unsigned char c)
{
	if (con.wrap_pending)
		newline();
	draw_cell(con.cx, con.cy, c);
	if (con.cx + 1 < con.cols)
		con.cx++;
	else
		con.wrap_pending = true;
}

static void put_byte(unsigned char c)
{
	switch (c) {
	case '\n':
		newline();
		break;
	case '\r':
		con.cx = 0;
		con.wrap_pending = false;
		break;
	case '\b':
		/* Like a terminal with deferred wrap: back from the pending wrap, then one cell left. */
		if (con.wrap_pending)
			con.wrap_pending = false;
		else if (con.cx > 0)
			con.cx--;
		break;
	case '\t':
		do
			put_printable(' ');
		while (con.cx % TAB_COLS && !con.wrap_pending);
		break;
	case '\0':
	case '\a':
		break; /* nothing to show */
	default:
		put_printable(c);
		break;
	}
}

/* Copy the dirty rectangle to the framebuffer, then draw the cursor there (never in the back buffer). */
static void flush(void)
{
	if (con.r0 < con.r1) {
		uint32_t x0 = con.c0 * FONT_WIDTH, npx = (con.c1 - con.c0) * FONT_WIDTH;
		for (uint32_t row = con.r0; row < con.r1; row++) {
			const uint32_t *src = row_pixels(row) + x0;
			uint32_t *dst = con.fb + (uint64_t)row * FONT_HEIGHT * con.stride + x0;
			for (int y = 0; y < FONT_HEIGHT; y++, src += con.line_px, dst += con.stride)
				memcpy(dst, src, npx * sizeof(uint32_t));
		}
		con.r0 = con.r1 = 0;
	}
	if (con.panic)
		return;
	uint32_t *dst = con.fb + ((uint64_t)con.cy * FONT_HEIGHT + FONT_HEIGHT - CURSOR_ROWS) * con.stride +
			con.cx * FONT_WIDTH;
	for (int y = 0; y < CURSOR_ROWS; y++, dst += con.stride)
		fill(dst, FONT_WIDTH, con.fg);
}

void fbcon_write(const char *text, size_t len)
{
	if (!con.ready)
		return;
	/* The cursor's cell is restored from the back buffer by the next flush, wherever the cursor goes. */
	mark_dirty(con.cy, con.cy + 1, con.cx, con.cx + 1);
	for (size_t i = 0; i < len; i++)
		put_byte((unsigned char)text[i]);
}

void fbcon_flush(void)
{
	if (con.ready)
		flush();
}

void fbcon_panic_write(const char *text, size_t len)
{
	if (!con.ready)
		return;
	if (!con.panic) {
		/* Start the report on a line of its own, all of it in the panic colours. */
		mark_dirty(con.cy, con.cy + 1, con.cx, con.cx + 1);
		con.panic = true;
		con.fg = pixel(PANIC_FG);
		con.bg = pixel(PANIC_BG);
		if (con.cx || con.wrap_pending)
			newline();
		clear_row(con.cy);
	}
	fbcon_write(text, len);
	flush();
}

int fbcon_init(const struct boot_framebuffer *fb)
{
	if (!fb->phys || (fb->format != 1 && fb->format != 2) || fb->stride_pixels < fb->width ||
	    fb->width < FONT_WIDTH || fb->height < FONT_HEIGHT ||
	    (uint64_t)fb->stride_pixels * fb->height * sizeof(uint32_t) > fb->size_bytes)
		return -ENODEV;
	con.bgr = fb->format == 1;
	con.fb = phys_to_virt(fb->phys);
	con.stride = fb->stride_pixels;
	con.cols = fb->width / FONT_WIDTH;
	con.rows = fb->height / FONT_HEIGHT;
	con.line_px = con.cols * FONT_WIDTH;
	con.fg = pixel(TEXT_FG);
	con.bg = pixel(TEXT_BG);

	/*
	 * A 4K screen's back buffer (33 MB) is larger than one heap block:
	 * carve the row buffers from as few blocks as needed. They live as long
	 * as the kernel.
	 */
	uint64_t row_bytes = (uint64_t)con.line_px * FONT_HEIGHT * sizeof(uint32_t);
	uint32_t per_chunk = row_bytes > CHUNK_BYTES ? 1 : (uint32_t)(CHUNK_BYTES / row_bytes);
	con.row_buf = kmalloc(con.rows * sizeof(*con.row_buf));
	if (!con.row_buf)
		return -ENOMEM;
	for (uint32_t row = 0; row < con.rows; row += per_chunk) {
		uint32_t n = con.rows - row < per_chunk ? con.rows - row : per_chunk;
		uint8_t *chunk = kmalloc(n * row_bytes);
		if (!chunk)
			return -ENOMEM; /* at boot: the console stays off, nothing to give back worth the code */
		for (uint32_t i = 0; i < n; i++)
			con.row_buf[row + i] = (uint32_t *)(chunk + i * row_bytes);
	}
	for (uint32_t row = 0; row < con.rows; row++)
		clear_row(row);
	/* The margins right of and below the grid are never drawn again. */
	for (uint32_t y = 0; y < fb->height; y++)
		fill(con.fb + (uint64_t)y * con.stride, fb->width, con.bg);
	con.r0 = con.r1 = 0;
	con.ready = true;
	kprintf("fbcon: %ux%u text on the %ux%u framebuffer (%s)\n", con.cols, con.rows, fb->width, fb->height,
		con.bgr ? "BGR" : "RGB");
	return 0;
}
