#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""PatchworkOS's own programs and root files for `make image DESKTOP=1`.

usage: patchwork_root.py DIR

DIR is the tree MANIFEST.md describes (../shared/patchwork: bin/, root/ and
MANIFEST.md with a `| file | bytes | sha256 |` table). Every file of the
table is read and checked against its size and sha256; a mismatch, a listed
file that is missing, or a file under bin/ or root/ that the table does not
list stops the build (exit 1) with the reason on stderr. On success, prints
the fs/tools/mkcpio.py DEST=SRC arguments, one per line, that put them at
PatchworkOS's paths:
  bin/<p>   -> /bin/<p> for MANIFEST.md's /bin programs, else /usr/bin/<p>
  root/<f>  -> /<f>  (/cfg, /usr/share, /usr/LICENSE)
  LICENSE   -> /usr/LICENSE/patchwork.txt (PatchworkOS's MIT licence)"""
import hashlib
import os
import re
import sys

ROW = re.compile(r"^\|\s*([^|`\s]+)\s*\|\s*(\d+)\s*\|\s*`([0-9a-f]{64})`\s*\|\s*$")
# "on its image `init wall cursor ...` live in `/bin`, the others in `/usr/bin`"
BIN_SENTENCE = re.compile(r"`([^`]+)`\s+live in `/bin`", re.S)


def fail(msg):
    print(f"patchwork_root: {msg}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    top = argv[1]
    manifest = os.path.join(top, "MANIFEST.md")
    try:
        with open(manifest, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        fail(f"{manifest}: {e.strerror} (set PATCHWORK=<dir of PatchworkOS's binaries>)")
    rows = [m.groups() for m in map(ROW.match, text.splitlines()) if m]
    if not rows:
        fail(f"{manifest}: no | file | bytes | sha256 | rows")
    m = BIN_SENTENCE.search(text)
    if not m:
        fail(f"{manifest}: no sentence saying which programs live in /bin")
    in_bin = set(m.group(1).split())
    listed = set()
    args = []
    for name, size, digest in rows:
        path = os.path.join(top, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            fail(f"{path}: {e.strerror}")
        if len(data) != int(size):
            fail(f"{path}: {len(data)} bytes, MANIFEST.md says {size}")
        got = hashlib.sha256(data).hexdigest()
        if got != digest:
            fail(f"{path}: sha256 {got}, MANIFEST.md says {digest}")
        listed.add(name)
        if name.startswith("bin/"):
            prog = name[len("bin/"):]
            args.append(f"{'bin' if prog in in_bin else 'usr/bin'}/{prog}={path}")
        elif name.startswith("root/"):
            args.append(f"{name[len('root/'):]}={path}")
        else:
            fail(f"{name}: neither under bin/ nor under root/")
    for sub in ("bin", "root"):
        for dirpath, _, files in os.walk(os.path.join(top, sub)):
            for f in files:
                rel = os.path.relpath(os.path.join(dirpath, f), top)
                if rel not in listed:
                    fail(f"{rel} is not in MANIFEST.md: refusing an unchecked file")
    missing = in_bin - {n[len("bin/"):] for n in listed if n.startswith("bin/")}
    if missing:
        fail(f"MANIFEST.md puts {sorted(missing)} in /bin but lists no such file")
    lic = os.path.join(top, "LICENSE")
    if os.path.exists(lic):
        args.append(f"usr/LICENSE/patchwork.txt={lic}")
    print("\n".join(args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
