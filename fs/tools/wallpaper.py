#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Quilt's stand-in for PatchworkOS's wallpaper (make image DESKTOP=1).

usage: wallpaper.py OUT [WIDTH HEIGHT]

PatchworkOS's theme (/cfg/theme-vars.cfg) names /usr/share/wallpaper/bluewhite.fbmp,
which ../shared/patchwork does not ship. Without it `wall` exits, and dwm then
draws nothing at all (its compositor_draw returns while it has no wall
surface): the screen stays black. This writes an image in PatchworkOS's fbmp
format (libpatchwork image.c: u32 magic "fbmp", u32 width, u32 height, then
width*height 32-bit 0xAARRGGBB pixels, little-endian, rows top to bottom): a
vertical gradient from blue (0x1F4E8C) at the top to white at the bottom,
1920x1200 by default. `wall` shows its centre; on a larger screen it draws
nothing (libpatchwork's draw_transfer refuses a source smaller than the
window), and the desktop still works on black."""
import struct
import sys

MAGIC = 0x706D6266
TOP = (0x1F, 0x4E, 0x8C)
BOTTOM = (0xFF, 0xFF, 0xFF)


def pixel(y, height):
    """The gradient's 0xAARRGGBB value on row @y."""
    t = y / max(height - 1, 1)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(TOP, BOTTOM))
    return 0xFF000000 | r << 16 | g << 8 | b


def main(argv):
    if len(argv) not in (2, 4):
        print(__doc__, file=sys.stderr)
        return 2
    width, height = (int(argv[2]), int(argv[3])) if len(argv) == 4 else (1920, 1200)
    with open(argv[1], "wb") as f:
        f.write(struct.pack("<III", MAGIC, width, height))
        for y in range(height):
            f.write(struct.pack("<I", pixel(y, height)) * width)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
