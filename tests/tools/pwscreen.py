# SPDX-License-Identifier: MIT
"""Reading PatchworkOS's desktop from a QEMU screendump: its configuration files
(/cfg/*.cfg), its image format (fbmp: the cursor), its font format (grf: the
terminal's text), and where dwm, taskbar, cursor and terminal put things.

Every position and colour comes from PatchworkOS's own files in the image (the
theme's integers and colours) or from its source at da8a090, cited where used:
  taskbar/taskbar.c   the panel is the bottom theme.panel_size rows of the screen, filled
                      with deco.background_normal, its top theme.frame_size rows in
                      deco.highlight; the Start button at x = big_padding, START_WIDTH (100)
                      wide, from frame_size + small_padding below the panel's top
  taskbar/start_menu.c  the menu (START_MENU_WIDTH 250, START_BUTTON_HEIGHT 32) at
                      x = small_padding, its top at height - (frame_size + 12 * 32) - panel_size
                      once slid up; entry i of taskbar-main.cfg at y = top + frame_size + 32 i,
                      x from frame_size + titlebar_size; its strip starts in
                      deco.background_selected_start
  cursor/main.c       the cursor image (/usr/share/cursor/arrow.fbmp) at the screen's centre
  terminal/terminal.c font firacode "retina" 16; the background ansi color0_normal, filled from
                      frame_size + small_padding inside the window; character (col, row) at
                      (col * advance('a'), row * font height) + frame_size + big_padding
  libpatchwork/drawable.c draw_grf_char: a glyph's ink at (x + bearingX, y + ascender -
                      bearingY), its grey level blended over the cell's background
"""
import struct


def parse_cfg(path):
    """A PatchworkOS .cfg file: {section: {key: value}} (';' and '#' start comments)."""
    out, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in ";#":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = out.setdefault(line[1:-1], {})
            elif "=" in line and section is not None:
                k, _, v = line.partition("=")
                section[k.strip()] = v.strip()
    return out


def argb_rgb(value):
    """0xAARRGGBB (a config string) as an (r, g, b) tuple."""
    v = int(value, 16)
    return (v >> 16 & 0xFF, v >> 8 & 0xFF, v & 0xFF)


class Theme:
    """The theme's integers and colours, from /cfg/theme-{vars,colors,ansi}.cfg."""

    def __init__(self, files):
        vars_ = parse_cfg(files["/cfg/theme-vars.cfg"])
        self.ints = {k: int(v) for k, v in vars_["integers"].items()}
        self.strings = vars_["strings"]
        colors = parse_cfg(files["/cfg/theme-colors.cfg"])
        self.colors = {sec: {k: argb_rgb(v) for k, v in keys.items()} for sec, keys in colors.items()}
        self.ansi = {k: argb_rgb(v) for k, v in parse_cfg(files["/cfg/theme-ansi.cfg"])["colors"].items()}

    def __getattr__(self, name):
        if name in self.ints:
            return self.ints[name]
        raise AttributeError(name)


def read_fbmp(path):
    """An fbmp image (u32 magic 'fbmp', u32 width, u32 height, 0xAARRGGBB pixels): (w, h, pixels)."""
    with open(path, "rb") as f:
        data = f.read()
    magic, w, h = struct.unpack_from("<III", data)
    if magic != 0x706D6266 or len(data) != 12 + 4 * w * h:
        raise ValueError(f"{path}: not an fbmp image")
    return w, h, struct.unpack_from(f"<{w * h}I", data, 12)


class Grf:
    """A grf font (libpatchwork/grf.h): u32 magic 'GRF0', i16 ascender, descender, height,
    u32 glyphOffsets[256], u32 kernOffsets[256], then the glyphs (i16 bearingX, bearingY,
    advanceX, advanceY, u16 width, height, one grey byte per pixel)."""

    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        magic, self.ascender, self.descender, self.height = struct.unpack_from("<Ihhh", data)
        if magic != 0x47524630:
            raise ValueError(f"{path}: not a grf font")
        offsets = struct.unpack_from("<256I", data, 10)
        base = 10 + 4 * 256 * 2
        self.glyphs = {}
        for ch in range(256):
            if offsets[ch] == 0xFFFFFFFF:
                continue
            at = base + offsets[ch]
            bx, by, adv, _, w, h = struct.unpack_from("<hhhhHH", data, at)
            self.glyphs[ch] = (bx, by, adv, w, h, data[at + 12:at + 12 + w * h])

    def advance(self, ch):
        return self.glyphs[ord(ch)][2]


class Screen:
    """A screendump (width, height, RGB bytes) with pixel access."""

    def __init__(self, w, h, rgb):
        self.w, self.h, self.rgb = w, h, rgb

    def px(self, x, y):
        i = 3 * (y * self.w + x)
        return tuple(self.rgb[i:i + 3])

    def row_count(self, y, colour, x0=0, x1=None):
        """How many pixels of row @y in [x0, x1) are exactly @colour."""
        x1 = self.w if x1 is None else x1
        want = bytes(colour)
        row = self.rgb[3 * (y * self.w + x0):3 * (y * self.w + x1)]
        return sum(1 for i in range(0, len(row), 3) if row[i:i + 3] == want)

    def bbox(self, colour):
        """The bounding box (left, top, right, bottom; inclusive) of the pixels of @colour, or None."""
        want = bytes(colour)
        left = top = right = bottom = None
        for y in range(self.h):
            row = self.rgb[3 * y * self.w:3 * (y + 1) * self.w]
            first = next((i // 3 for i in range(0, len(row), 3) if row[i:i + 3] == want), None)
            if first is None:
                continue
            last = max(i // 3 for i in range(3 * first, len(row), 3) if row[i:i + 3] == want)
            top = y if top is None else top
            bottom = y
            left = first if left is None else min(left, first)
            right = last if right is None else max(right, last)
        return None if top is None else (left, top, right, bottom)


class Cursor:
    """The cursor image and where it is on a screen: dwm blends it over what is beneath, so
    only its opaque pixels (alpha 255) are compared, exactly."""

    def __init__(self, path):
        w, h, pix = read_fbmp(path)
        self.w, self.h = w, h
        self.opaque = [(x, y, (p >> 16 & 0xFF, p >> 8 & 0xFF, p & 0xFF))
                       for y in range(h) for x in range(w) for p in [pix[y * w + x]] if p >> 24 == 0xFF]
        if not self.opaque:
            raise ValueError(f"{path}: no opaque pixel")
        # The longest run of opaque pixels in one row: what bytes.find looks for.
        runs = {}
        for x, y, c in self.opaque:
            runs.setdefault(y, []).append((x, c))
        best = None
        for y, cells in runs.items():
            cells.sort()
            start = 0
            for i in range(1, len(cells) + 1):
                if i == len(cells) or cells[i][0] != cells[i - 1][0] + 1:
                    if best is None or i - start > len(best[2]):
                        best = (cells[start][0], y, [c for _, c in cells[start:i]])
                    start = i
        self.run_x, self.run_y, run = best
        self.run = b"".join(bytes(c) for c in run)

    def at(self, scr, x, y):
        """Is the cursor's top-left corner at (@x, @y)? Every opaque pixel that falls on the screen
        must be there (dwm clips the cursor at the screen's edges), and at least half of them do."""
        shown = 0
        for dx, dy, c in self.opaque:
            if x + dx >= scr.w or y + dy >= scr.h:
                continue
            if scr.px(x + dx, y + dy) != c:
                return False
            shown += 1
        return 2 * shown >= len(self.opaque)

    def find(self, scr):
        """The cursor's top-left corner on @scr, or None (first match in screen order)."""
        pos = scr.rgb.find(self.run)
        while pos >= 0:
            if pos % 3 == 0:
                x, y = pos // 3 % scr.w - self.run_x, pos // 3 // scr.w - self.run_y
                if x >= 0 and y >= 0 and self.at(scr, x, y):
                    return x, y
            pos = scr.rgb.find(self.run, pos + 1)
        return None


class TerminalReader:
    """PatchworkOS's terminal text read back from the screen with its own font: each character
    cell's ink (pixels away from the background) is compared with every glyph's; the glyph
    whose strong pixels (grey >= 128) are inked and whose blank pixels are not, with the fewest
    exceptions, is the character. Cells without ink are spaces; a cell (nearly) all ink is the
    terminal's text cursor, read as U+2588."""

    INK = 48  # a channel this far from the background is ink

    def __init__(self, font, theme):
        self.font = font
        self.theme = theme
        self.bg = theme.ansi["color0_normal"]
        self.cw, self.ch = font.advance("a"), font.height
        self.masks = []
        for code in range(33, 127):
            if code not in font.glyphs:
                continue
            bx, by, _, w, h, grey = font.glyphs[code]
            on = off = 0
            for cy in range(self.ch):
                for cx in range(self.cw):
                    gx, gy = cx - bx, cy - (font.ascender - by)
                    g = grey[gy * w + gx] if 0 <= gx < w and 0 <= gy < h else 0
                    bit = 1 << (cy * self.cw + cx)
                    if g >= 128:
                        on |= bit
                    elif g == 0:
                        off |= bit
            self.masks.append((chr(code), on, off))

    def origin(self, scr):
        """The top-left of the text grid and the visible columns and rows, or None when no
        terminal background is on the screen."""
        box = scr.bbox(self.bg)
        if box is None:
            return None
        left, top, right, bottom = box
        inset = self.theme.big_padding - self.theme.small_padding
        x0, y0 = left + inset, top + inset
        return x0, y0, (right + 1 - x0) // self.cw, (bottom + 1 - y0) // self.ch

    def cell(self, scr, x0, y0):
        ink = 0
        bg = self.bg
        for cy in range(self.ch):
            i = 3 * ((y0 + cy) * scr.w + x0)
            row = scr.rgb[i:i + 3 * self.cw]
            for cx in range(self.cw):
                r, g, b = row[3 * cx:3 * cx + 3]
                if abs(r - bg[0]) > self.INK or abs(g - bg[1]) > self.INK or abs(b - bg[2]) > self.INK:
                    ink |= 1 << (cy * self.cw + cx)
        if not ink:
            return " "
        if bin(ink).count("1") * 10 >= self.cw * self.ch * 9:
            return "\u2588"  # the terminal's cursor: a block of ink, not a glyph
        best, score = "?", None
        for ch, on, off in self.masks:
            s = bin(on & ~ink).count("1") + bin(off & ink).count("1")
            if score is None or s < score:
                best, score = ch, s
        return best

    def rows(self, scr):
        """The terminal's visible text, one string per row (trailing spaces removed); [] if none."""
        o = self.origin(scr)
        if o is None:
            return []
        x0, y0, cols, nrows = o
        return ["".join(self.cell(scr, x0 + c * self.cw, y0 + r * self.ch) for c in range(cols)).rstrip()
                for r in range(nrows)]
