#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fail if the kernel's direct call graph has a cycle (recursion).

The kernel stack is 32 KiB, so a recursion whose depth a program controls
(nested directories, mount chains, namespace lines) ends in a double fault.
This check disassembles the kernel ELF, builds the graph of direct calls and
tail jumps between functions, and reports every strongly connected
component (Tarjan). Recursion through function pointers is not seen here:
the known cases are listed and bounded in the comments of fs/vfs.c
(dents_emit, at most 127 levels) and fs/ramfs.c (evict, at most 2).

  tests/tools/check_recursion.py build/kernel/kernel.elf

Exit status 0 when there is no cycle outside ALLOWED, 1 otherwise."""
import collections
import re
import subprocess
import sys

# Functions allowed to recurse directly, each with a proven small bound. None today.
ALLOWED = set()

CALL_RE = re.compile(r"\s(call|jmp)q?\s+(?:0x)?[0-9a-f]+ <([^>+]+)(\+0x[0-9a-f]+)?>")
FUNC_RE = re.compile(r"^[0-9a-f]+ <(.+)>:$")


def call_graph(elf):
    out = subprocess.run(["llvm-objdump", "-d", "--no-show-raw-insn", elf],
                         capture_output=True, text=True, check=True).stdout
    graph = collections.defaultdict(set)
    cur = None
    for line in out.splitlines():
        m = FUNC_RE.match(line)
        if m:
            cur = m.group(1)
            graph[cur]
            continue
        m = CALL_RE.search(line)
        if m and cur:
            kind, target, offset = m.groups()
            # A jump to another function's start is a tail call; jumps inside one are branches.
            if kind == "call" or (target != cur and not offset):
                graph[cur].add(target)
    return graph


def cycles(graph):
    """Tarjan's strongly connected components, iteratively (this checker practises what it checks)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in list(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(graph.get(w, ()))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in graph.get(v, ()):
                    found.append(sorted(comp))
    return found


def main():
    elf = sys.argv[1] if len(sys.argv) > 1 else "build/kernel/kernel.elf"
    bad = [c for c in cycles(call_graph(elf)) if not set(c) <= ALLOWED]
    for c in bad:
        print("recursion: " + " -> ".join(c))
    print(f"{len(bad)} recursive cycle(s) in {elf}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
