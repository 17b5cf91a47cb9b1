# SPDX-License-Identifier: MIT
"""A person at the machine, through QEMU's human monitor: keys typed on the
emulated keyboard (`sendkey`), mouse moves and clicks, and screendumps read
back as pixels. Tests decide from the pixels or the serial log, never from
timing.

  args = monitor_args(path)        # extra QEMU arguments: the monitor on a unix socket
  mon = Monitor(path)              # connect (QEMU creates the socket as it starts)
  mon.type_text("ls /\\n")          # one sendkey per character
  w, h, rgb = mon.screendump(out)  # PPM written by QEMU, parsed
  mon.close()
"""
import os
import socket
import time

PROMPT = b"(qemu) "

# sendkey names of the characters a test types (US layout), beside letters and digits.
KEY_NAMES = {
    " ": "spc", "\n": "ret", "\t": "tab", "\b": "backspace",
    "-": "minus", "=": "equal", "[": "bracket_left", "]": "bracket_right", "\\": "backslash",
    ";": "semicolon", "'": "apostrophe", "`": "grave_accent", ",": "comma", ".": "dot", "/": "slash",
    "_": "shift-minus", "+": "shift-equal", "{": "shift-bracket_left", "}": "shift-bracket_right",
    "|": "shift-backslash", ":": "shift-semicolon", '"': "shift-apostrophe", "~": "shift-grave_accent",
    "<": "shift-comma", ">": "shift-dot", "?": "shift-slash",
    "!": "shift-1", "@": "shift-2", "#": "shift-3", "$": "shift-4", "%": "shift-5", "^": "shift-6",
    "&": "shift-7", "*": "shift-8", "(": "shift-9", ")": "shift-0",
}


def monitor_args(path):
    """QEMU arguments that put the human monitor on the unix socket @path."""
    return ["-monitor", f"unix:{path},server=on,wait=off"]


def key_name(ch):
    """The sendkey name of @ch (ValueError for a character no key types)."""
    if ch in KEY_NAMES:
        return KEY_NAMES[ch]
    if ch.isascii() and ch.isalnum():
        return f"shift-{ch.lower()}" if ch.isupper() else ch
    raise ValueError(f"no key types {ch!r}")


def read_ppm(path):
    """A binary PPM (P6, maxval 255) as (width, height, bytes of RGB triples)."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise ValueError(f"{path}: not a P6 PPM with maxval 255")
    w, h = int(fields[1]), int(fields[2])
    rgb = data[pos + 1:pos + 1 + 3 * w * h]
    if len(rgb) != 3 * w * h:
        raise ValueError(f"{path}: {len(rgb)} bytes of pixels, want {3 * w * h}")
    return w, h, rgb


class Monitor:
    """The human monitor of a running QEMU, reached through its unix socket."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(timeout)
        self._read_to_prompt()  # the banner

    def _read_to_prompt(self):
        out = b""
        while not out.endswith(PROMPT):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("QEMU closed its monitor")
            out += chunk
        return out[:-len(PROMPT)].decode("utf-8", "replace")

    def cmd(self, line):
        """Run one monitor command; its output (the echo and QEMU's answer)."""
        self.sock.sendall(line.encode() + b"\n")
        return self._read_to_prompt()

    def sendkey(self, keys, hold_ms=None):
        """Press and release @keys, e.g. "a", "shift-a", "ctrl-c"."""
        return self.cmd(f"sendkey {keys}" + (f" {hold_ms}" if hold_ms else ""))

    def type_text(self, text):
        for ch in text:
            self.sendkey(key_name(ch))

    def mouse_move(self, dx, dy):
        return self.cmd(f"mouse_move {dx} {dy}")

    def mouse_button(self, mask):
        """Buttons held from now on: bit 0 left, 1 middle, 2 right (0 releases all)."""
        return self.cmd(f"mouse_button {mask}")

    def screendump(self, path):
        """Write the screen to @path (PPM) and return it parsed: (width, height, rgb bytes)."""
        if os.path.exists(path):
            os.unlink(path)
        self.cmd(f"screendump {path}")
        return read_ppm(path)

    def quit(self):
        """End QEMU (it closes the monitor without a prompt)."""
        try:
            self.sock.sendall(b"quit\n")
        except OSError:
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
