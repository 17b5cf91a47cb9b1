#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write compile_commands.json (to stdout) from the GNUmakefile's real flags."""
import argparse
import json
import os
import shlex

ap = argparse.ArgumentParser()
for kind in ("kernel", "efi", "host", "user"):
    ap.add_argument(f"--{kind}", required=True)
    ap.add_argument(f"--{kind}-srcs", required=True)
a = ap.parse_args()
root = os.getcwd()
out = []
for kind in ("kernel", "efi", "host", "user"):
    cmd = shlex.split(getattr(a, kind))
    for src in getattr(a, f"{kind}_srcs").split():
        out.append({"directory": root, "file": src, "arguments": cmd + ["-c", src]})
print(json.dumps(out, indent=1))
