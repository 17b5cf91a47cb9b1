// SPDX-License-Identifier: MIT
// Framebuffer console: a text grid of 8x16 cells over the GOP framebuffer.
//
// The back buffer holds cells, not pixels: one 16-bit cell (character and
// colour) per grid position, rows reached through a ring so that a scroll
// moves the ring's top and blanks one row. Writing a character stores its
// cell and marks it dirty; a flush draws the dirty rectangle's glyphs
// straight into the framebuffer (never read: slow on real hardware), so a
// line of log costs one row of glyphs and a scroll one screen, not one per
// character. A pixel back buffer (4 MB at 1280x800) cost most of the boot's
// screen step under QEMU, touched for the first time; the cells take 8 KB.
// When to flush is the caller's choice (kernel/log/log.c limits it to one
// per 20 ms for bursts of lines).
//
// Locks: none of its own. Every writer comes through kernel/log/log.c under
// log_lock (IRQs off); the panic path writes without it, after panic() has
// stopped the other CPUs. The caller maps the framebuffer (log.c:
// write-combining, so a row of glyphs leaves the CPU in bursts; uncached on
// a CPU without PAT); nothing here ever reads it back.
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
#define CURSOR_ROWS 2 /* an underline, the bottom rows of the cell */

struct rgb {
	uint8_t r, g, b;
};
static const struct rgb TEXT_FG = { 0xc0, 0xc0, 0xc0 }, TEXT_BG = { 0x00, 0x00, 0x00 };
static const struct rgb PANIC_FG = { 0xff, 0xff, 0xff }, PANIC_BG = { 0xb0, 0x00, 0x00 };

/* A cell: the character in the low byte, CELL_PANIC for the panic colours. */
#define CELL_PANIC 0x100u
#define CELL_BLANK ((uint16_t)' ')

static struct {
	/* Immutable after fbcon_init. */
	bool ready;
	bool bgr;              /* BGRX in memory (GOP's usual), else RGBX */
	uint32_t *fb;          /* the framebuffer, as the caller mapped it */
	uint32_t stride;       /* pixels from one framebuffer line to the next */
	uint32_t cols, rows;   /* text grid */
	uint16_t *cells;       /* [rows][cols], row r of the ring at cells + r * cols */
	uint32_t colour[2][2]; /* [panic][foreground]: pixel values */

	/* Guarded by: log_lock (or owned by the panicking CPU). */
	uint32_t top;          /* ring index of screen row 0 */
	uint32_t cx, cy;       /* cursor cell */
	bool wrap_pending;     /* the last column was written: wrap before the next character */
	bool panic;            /* panic colours, no cursor */
	/* Dirty cells, [r0, r1) x [c0, c1); empty when r0 >= r1. */
	uint32_t r0, r1, c0, c1;
} con;

static uint32_t pixel(struct rgb c)
{
	if (con.bgr)
		return (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
	return (uint32_t)c.b << 16 | (uint32_t)c.g << 8 | c.r;
}

static uint16_t *row_cells(uint32_t row)
{
	return con.cells + (uint64_t)((con.top + row) % con.rows) * con.cols;
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

/* The cell new text gets: blank in the current colours. */
static uint16_t blank_cell(void)
{
	return CELL_BLANK | (con.panic ? CELL_PANIC : 0);
}

static void clear_row(uint32_t row)
{
	uint16_t *c = row_cells(row), blank = blank_cell();
	for (uint32_t i = 0; i < con.cols; i++)
		c[i] = blank;
	mark_dirty(row, row + 1, 0, con.cols);
}

static void draw_cell(uint32_t col, uint32_t row, unsigned char c)
{
	row_cells(row)[col] = c | (con.panic ? CELL_PANIC : 0);
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

/*
 * One pixel line of one cell: 8 pixels in four 64-bit stores (a cell starts
 * at a multiple of 8 pixels, so the stores are aligned when the line is).
 */
static void draw_glyph_line(uint32_t *dst, uint8_t bits, uint32_t fg, uint32_t bg)
{
	if ((uintptr_t)dst & 7) {
		for (int x = 0; x < FONT_WIDTH; x++)
			dst[x] = bits & (0x80 >> x) ? fg : bg;
		return;
	}
	uint64_t *q = (uint64_t *)dst;
	for (int x = 0; x < FONT_WIDTH; x += 2) {
		uint64_t lo = bits & (0x80 >> x) ? fg : bg, hi = bits & (0x40 >> x) ? fg : bg;
		q[x / 2] = hi << 32 | lo;
	}
}

/* Draw the dirty rectangle's glyphs into the framebuffer, then the cursor (it is never a cell). */
static void flush(void)
{
	_Static_assert(FONT_WIDTH == 8, "draw_glyph_line draws 8-pixel cells");
	if (con.r0 < con.r1) {
		for (uint32_t row = con.r0; row < con.r1; row++) {
			const uint16_t *cells = row_cells(row);
			uint32_t *line = con.fb + (uint64_t)row * FONT_HEIGHT * con.stride;
			for (int y = 0; y < FONT_HEIGHT; y++, line += con.stride) {
				for (uint32_t col = con.c0; col < con.c1; col++) {
					uint16_t cell = cells[col];
					const uint32_t *colour = con.colour[(cell & CELL_PANIC) != 0];
					draw_glyph_line(line + col * FONT_WIDTH, font_glyph((unsigned char)cell)[y], colour[1],
							colour[0]);
				}
			}
		}
		con.r0 = con.r1 = 0;
	}
	if (con.panic)
		return;
	uint32_t *dst = con.fb + ((uint64_t)con.cy * FONT_HEIGHT + FONT_HEIGHT - CURSOR_ROWS) * con.stride +
			con.cx * FONT_WIDTH;
	for (int y = 0; y < CURSOR_ROWS; y++, dst += con.stride)
		fill(dst, FONT_WIDTH, con.colour[0][1]);
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
		if (con.cx || con.wrap_pending)
			newline();
		clear_row(con.cy);
	}
	fbcon_write(text, len);
	flush();
}

int fbcon_init(const struct boot_framebuffer *fb, uint32_t *pixels)
{
	if (!fb->phys || !pixels || (fb->format != 1 && fb->format != 2) || fb->stride_pixels < fb->width ||
	    fb->width < FONT_WIDTH || fb->height < FONT_HEIGHT ||
	    (uint64_t)fb->stride_pixels * fb->height * sizeof(uint32_t) > fb->size_bytes)
		return -ENODEV;
	memset(&con, 0, sizeof(con)); /* a fresh console whatever came before (host tests start many) */
	con.bgr = fb->format == 1;
	con.fb = pixels;
	con.stride = fb->stride_pixels;
	con.cols = fb->width / FONT_WIDTH;
	con.rows = fb->height / FONT_HEIGHT;
	con.colour[0][0] = pixel(TEXT_BG);
	con.colour[0][1] = pixel(TEXT_FG);
	con.colour[1][0] = pixel(PANIC_BG);
	con.colour[1][1] = pixel(PANIC_FG);

	con.cells = kmalloc((uint64_t)con.rows * con.cols * sizeof(*con.cells));
	if (!con.cells)
		return -ENOMEM; /* at boot: the console stays off */
	for (uint32_t row = 0; row < con.rows; row++)
		clear_row(row);
	/* The whole screen once (the firmware's picture goes); the margins right of and below the grid stay so. */
	for (uint32_t y = 0; y < fb->height; y++)
		fill(con.fb + (uint64_t)y * con.stride, fb->width, con.colour[0][0]);
	con.r0 = con.r1 = 0;
	con.ready = true;
	kprintf("fbcon: %ux%u text on the %ux%u framebuffer (%s)\n", con.cols, con.rows, fb->width, fb->height,
		con.bgr ? "BGR" : "RGB");
	return 0;
}

const void *fbcon_pixels(void)
{
	return con.ready ? con.fb : NULL;
}
