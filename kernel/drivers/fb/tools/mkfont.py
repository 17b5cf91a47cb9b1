#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Make the console's 8x16 bitmap font (kernel/drivers/fb/font_data.c) from a
PatchworkOS .grf font: Fira Code Regular at 16 px, which PatchworkOS ships
under the SIL Open Font License 1.1 (kernel/drivers/fb/OFL.txt).

  mkfont.py FONT.grf > kernel/drivers/fb/font_data.c
  mkfont.py --show FONT.grf          # print every glyph as text, to look at

The .grf layout (little endian, packed), as PatchworkOS's grf.h defines it:
  u32 magic "GRF0", i16 ascender, i16 descender, i16 height,
  u32 glyph_offsets[256], u32 kern_offsets[256] (0xffffffff = none),
  then a buffer the offsets point into; a glyph there is
  i16 bearing_x, i16 bearing_y (top row, pixels above the baseline),
  i16 advance_x, i16 advance_y, u16 width, u16 height, width*height bytes of
  8-bit coverage.

Fira Code's cells are 10 px wide and its ASCII ink spans 19 rows; the console
wants 8x16. Rows: the cell shows y = 12 (cap height) down to y = -3 (the
deepest descender); a glyph that sticks out but is no taller than 16 rows is
moved in, a taller one (brackets, '|') is squeezed to 16 rows. Columns: a
glyph whose ink fits 8 columns is cropped to them, around its ink (crisp
strokes); a wider one (M, W, m, w, %, @) is resampled 10 -> 8 by area.
Coverage at or above THRESHOLD is ink.

The derived font is not called Fira Code (the OFL reserves nothing for it,
but a changed font should not pass as the original): it is "Quilt console
8x16". Every glyph must differ from every other, which tests/tools/screen.py
relies on to read text back from a screenshot; this script refuses
otherwise."""
import struct
import sys

WIDTH, HEIGHT = 8, 16
TOP = 12          # y of the cell's first row (pixels above the baseline)
THRESHOLD = 0.45
FIRST, LAST = 0x20, 0x7e

# Drawn for every byte without a glyph of its own: a hollow box.
FALLBACK = ["........", "........", "........", ".######.", ".#....#.", ".#....#.", ".#....#.", ".#....#.",
            ".#....#.", ".#....#.", ".#....#.", ".#....#.", ".######.", "........", "........", "........"]


def read_grf(path):
    data = open(path, "rb").read()
    magic, _asc, _desc, _height = struct.unpack_from("<Ihhh", data, 0)
    if magic != 0x47524630:
        sys.exit(f"mkfont.py: {path} is not a GRF0 font")
    offsets = struct.unpack_from("<256I", data, 10)
    buffer = 10 + 2 * 256 * 4
    glyphs = {}
    for c in range(FIRST, LAST + 1):
        if offsets[c] == 0xffffffff:
            sys.exit(f"mkfont.py: {path} has no glyph for {chr(c)!r}")
        at = buffer + offsets[c]
        bx, by, adv, _ady, w, h = struct.unpack_from("<hhhhHH", data, at)
        cov = data[at + 12:at + 12 + w * h]
        glyphs[c] = (bx, by, adv, w, h, cov)
    return glyphs


def cell(glyph):
    """The glyph as HEIGHT rows of WIDTH booleans."""
    bx, by, adv, w, h, cov = glyph
    canvas = [[0.0] * adv for _ in range(HEIGHT)]
    if h <= HEIGHT:
        top = min(by, TOP)                          # too high: move down
        top = max(top, TOP - HEIGHT + h)            # too low: move up
        rows = [(TOP - top + r, r) for r in range(h)]
    else:
        rows = [(r * HEIGHT // h, r) for r in range(h)]  # squeeze
    for y, r in rows:
        for x in range(w):
            if 0 <= y < HEIGHT and 0 <= bx + x < adv:
                canvas[y][bx + x] = max(canvas[y][bx + x], cov[r * w + x] / 255)
    ink = [x for x in range(adv) if any(canvas[y][x] > 0.25 for y in range(HEIGHT))]
    if not ink or ink[-1] - ink[0] + 1 <= WIDTH:
        mid = (ink[0] + ink[-1] + 1) / 2 if ink else adv / 2
        start = max(0, min(adv - WIDTH, int(round(mid - WIDTH / 2))))
        if ink:
            start = max(min(start, ink[0]), ink[-1] - WIDTH + 1)
        return [[canvas[y][start + x] >= THRESHOLD for x in range(WIDTH)] for y in range(HEIGHT)]
    out = []
    for y in range(HEIGHT):
        row = []
        for x in range(WIDTH):
            a, b = x * adv / WIDTH, (x + 1) * adv / WIDTH
            s = sum(max(0.0, min(b, px + 1) - max(a, px)) * canvas[y][px] for px in range(adv))
            row.append(s / (b - a) >= THRESHOLD)
        out.append(row)
    return out


def to_bytes(rows):
    return [sum(0x80 >> x for x in range(WIDTH) if row[x]) for row in rows]


def main():
    args = sys.argv[1:]
    show = "--show" in args
    args = [a for a in args if a != "--show"]
    if len(args) != 1:
        sys.exit(__doc__)
    glyphs = read_grf(args[0])
    table = [(c, to_bytes(cell(glyphs[c]))) for c in range(FIRST, LAST + 1)]
    table.append((None, to_bytes([[ch == "#" for ch in row] for row in FALLBACK])))
    seen = {}
    for c, bits in table:
        if c != 0x20 and not any(bits):
            sys.exit(f"mkfont.py: {chr(c)!r} came out empty")
        if tuple(bits) in seen:
            sys.exit(f"mkfont.py: {c!r} and {seen[tuple(bits)]!r} came out the same")
        seen[tuple(bits)] = c
    if show:
        for c, bits in table:
            print(repr(chr(c)) if c else "fallback")
            for b in bits:
                print("".join("#" if b & (0x80 >> x) else "." for x in range(WIDTH)))
        return
    print("// SPDX-License-Identifier: OFL-1.1")
    print("// Generated by kernel/drivers/fb/tools/mkfont.py from PatchworkOS's")
    print("// firacode-regular16.grf: do not edit. \"Quilt console 8x16\", a bitmap font")
    print("// derived from Fira Code, Copyright (c) 2014, The Fira Code Project Authors")
    print("// (https://github.com/tonsky/FiraCode), under the SIL Open Font License 1.1:")
    print("// see kernel/drivers/fb/OFL.txt. Each glyph: 16 rows, bit 7 = leftmost pixel.")
    print('#include "kernel/drivers/fb/font.h"')
    print()
    print("const uint8_t font_glyphs[FONT_GLYPHS][FONT_HEIGHT] = {")
    for c, bits in table:
        name = "fallback" if c is None else f"0x{c:02x} {chr(c)!r}".replace("*/", "* /")
        if c == ord("\\"):
            name = "0x5c backslash"
        print(f"\t/* {name} */ {{ " + ", ".join(f"0x{b:02x}" for b in bits) + " },")
    print("};")


if __name__ == "__main__":
    main()
