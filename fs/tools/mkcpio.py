#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build Quilt's root archive: a cpio "newc" stream (the format of Linux
initramfs, readable by `cpio -t`), which fs/archive.c unpacks into the RAM root.

usage: mkcpio.py OUT [DEST=SRC ...]
Each SRC (a file or a directory, copied recursively) is placed at DEST inside
the archive. The standard top-level directories of the ABI always exist.
Entries are sorted, and mtimes are 0, so the output is reproducible."""
import os
import stat
import sys

STANDARD_DIRS = ["acpi", "bin", "cfg", "dev", "efi", "home", "kernel", "lib",
                 "net", "proc", "sys", "tmp", "usr", "usr/bin", "var"]


def header(name, mode, size, ino):
    fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name) + 1, 0]
    h = b"070701" + b"".join(b"%08X" % f for f in fields)
    return h + name.encode() + b"\0"


def pad4(n):
    return b"\0" * ((4 - n % 4) % 4)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    entries = {}  # archive path -> host path (None for a directory)
    for d in STANDARD_DIRS:
        entries[d] = None
    for spec in argv[2:]:
        dest, _, src = spec.partition("=")
        dest = dest.strip("/")
        if not os.path.exists(src):
            print(f"mkcpio: {src}: no such file or directory", file=sys.stderr)
            return 1
        if os.path.isdir(src):
            for root, dirs, files in os.walk(src):
                rel = os.path.relpath(root, src)
                base = dest if rel == "." else os.path.join(dest, rel).strip("/")
                if base:
                    entries[base] = None
                for f in files:
                    entries[os.path.join(base, f).strip("/")] = os.path.join(root, f)
        else:
            entries[dest] = src
    # parents before children
    for path in list(entries):
        parts = path.split("/")
        for i in range(1, len(parts)):
            entries.setdefault("/".join(parts[:i]), None)
    data = bytearray()
    for ino, path in enumerate(sorted(entries), start=1):
        src = entries[path]
        if src is None:
            h = header(path, stat.S_IFDIR | 0o755, 0, ino)
            data += h + pad4(len(h))
        else:
            body = open(src, "rb").read()
            h = header(path, stat.S_IFREG | 0o644, len(body), ino)
            data += h + pad4(len(h)) + body + pad4(len(body))
    h = header("TRAILER!!!", 0, 0, 0)
    data += h + pad4(len(h))
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
