# SPDX-License-Identifier: MIT
"""Read the framebuffer console's text back from a screenshot (a QEMU
screendump, tests/tools/monitor.py), using the font table the kernel is built
with (kernel/drivers/fb/font_data.c), so a test sees what a person would.

  font = load_font()
  screen = decode(w, h, rgb, font)   # Screen: .rows (text), .colours (per cell)
  screen.find("quilt:/$ ")           # index of the first row holding the text, or -1

The console draws 8x16 cells from the top-left corner; a pixel is ink when it
is light (green >= 0x80: the console's grey and white text), background when
dark (black, or the panic red). A cell whose ink matches no glyph reads as
UNKNOWN (the cursor, an underline over its cell, is one)."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FONT_C = os.path.join(ROOT, "kernel", "drivers", "fb", "font_data.c")
WIDTH, HEIGHT = 8, 16
UNKNOWN = "\ufffd"

ROW_RE = re.compile(r"/\* (0x([0-9a-f]{2}) .*?|fallback) \*/ \{ ([0-9a-fx, ]+) \}")


def load_font(path=FONT_C):
    """{16 row bytes: character} for every glyph of the table (the fallback box reads as UNKNOWN)."""
    font = {}
    with open(path) as f:
        for m in ROW_RE.finditer(f.read()):
            rows = tuple(int(b, 16) for b in m.group(3).split(","))
            if len(rows) != HEIGHT:
                raise ValueError(f"{path}: a glyph of {len(rows)} rows")
            font[rows] = chr(int(m.group(2), 16)) if m.group(2) else UNKNOWN
    if len(font) != 0x7e - 0x20 + 2:
        raise ValueError(f"{path}: {len(font)} distinct glyphs, want {0x7e - 0x20 + 2}")
    return font


class Screen:
    def __init__(self, rows, colours):
        self.rows = rows          # one string per text row, trailing blanks kept
        self.colours = colours    # per row, per cell: (ink rgb or None, background rgb)

    def find(self, text, start=0):
        """The first row at or after @start that contains @text, or -1."""
        for i in range(start, len(self.rows)):
            if text in self.rows[i]:
                return i
        return -1

    def text(self):
        return "\n".join(r.rstrip() for r in self.rows)


def decode(width, height, rgb, font=None):
    font = font or load_font()
    cols, nrows = width // WIDTH, height // HEIGHT
    rows, colours = [], []
    for r in range(nrows):
        line, cells = [], []
        for c in range(cols):
            bits, ink, bg = [], None, None
            for y in range(HEIGHT):
                at = 3 * ((r * HEIGHT + y) * width + c * WIDTH)
                b = 0
                for x in range(WIDTH):
                    px = rgb[at + 3 * x:at + 3 * x + 3]
                    if px[1] >= 0x80:
                        b |= 0x80 >> x
                        ink = ink or tuple(px)
                    else:
                        bg = bg or tuple(px)
                bits.append(b)
            line.append(font.get(tuple(bits), UNKNOWN))
            cells.append((ink, bg))
        rows.append("".join(line))
        colours.append(cells)
    return Screen(rows, colours)


if __name__ == "__main__":
    import sys
    from monitor import read_ppm
    print(decode(*read_ppm(sys.argv[1])).text())
