#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make coverage`: line coverage of kernel/, fs/ and arch/ reached by the tests
(and by the fuzzer, once `make fuzz` exists).

  kernel_coverage.py --build build --cflags "..." --srcs "..."            test, fuzz, render
  kernel_coverage.py --build build --cflags "..." --srcs "..." --render-only

1. Boots: tests/tools/run_tests.py (host tests, the in-kernel KTAP boots, the
   user-tests boots and the boot checks; not the harness self-checks, which
   boot kernels of their own) and then `make fuzz` when the GNUmakefile has
   that target. Every boot gets build/coverage/kernel.elf (clang source-based
   coverage) and "covdump" on its command line through the environment hooks
   of tests/tools/qemu.py (QUILT_KERNEL, QUILT_CMDLINE_EXTRA,
   QUILT_TIMEOUT_SCALE, QUILT_SERIAL_DIR), so any boot made through qemu.py
   is counted without knowing about coverage.
2. Each boot's serial output ends with the counters (kernel/test/cov.c,
   "covdump: begin" ... "covdump: end"); a dump whose count or hash does not
   match is refused. With the function records and names that kernel.elf
   holds, each dump becomes a raw profile (format version 8, LLVM 14), and
   llvm-profdata merges them.
3. llvm-cov renders HTML into build/coverage/html/ and an lcov file; this
   script prints the total and the "reachable from a system call" subtotal:
   the lines of every function the static call graph reaches from the C
   entry points a running program causes (syscall_handler, trap_dispatch,
   user_return_work, sched_finish_switch, and the entry functions of new
   threads). Direct calls are followed as they are; an indirect call may
   reach every address-taken function with the same signature (types taken from each file's LLVM IR at -O0, so nothing is
   inlined away). Not counted: code only boot reaches (kmain, AP start-up,
   subsystem init), test code (kernel/test/, tests/), the panic path (panic()
   is not followed, and a line that calls panic is left out).
The HTML, lcov, the merged profile and summary.txt stay in build/coverage/."""
import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCOPE = ("kernel/", "fs/", "arch/")
TEST_CODE = ("kernel/test/", "tests/")
ROOTS = ("syscall_handler", "trap_dispatch", "user_return_work", "sched_finish_switch")
PANIC_FUNCS = ("panic_at", "panic_trap")
# Indirect calls made from assembly, by signature: a new thread starts in its
# void (*)(void *) entry function through arch/x86_64/switch.S.
ASM_INDIRECT_SIGS = ("void(i8*)",)


def tool(name):
    for cand in (name, name + "-14"):
        if shutil.which(cand):
            return cand
    sys.exit(f"kernel_coverage.py: {name} not found (install the llvm package)")


# ------------------------------------------------------------------ the dumps

DUMP_RE = re.compile(r"^covdump: (begin|d|end)\b(.*)$")


def parse_dumps(text):
    """Every complete, intact dump in one serial log, as a list of counter lists;
    plus a list of problems (a dump cut short or garbled)."""
    dumps, problems, cur, expect = [], [], None, 0
    for line in text.splitlines():
        m = DUMP_RE.match(line.strip())
        if not m:
            continue
        kind, rest = m.group(1), m.group(2).split()
        if kind == "begin":
            if cur is not None:
                problems.append("dump cut short")
            fields = dict(w.split("=", 1) for w in rest if "=" in w)
            cur, expect = [], int(fields.get("counters", "0"), 16)
        elif kind == "d" and cur is not None:
            try:
                for tok in rest:
                    if tok.startswith("z"):
                        cur.extend([0] * int(tok[1:], 16))
                    else:
                        cur.append(int(tok, 16))
            except ValueError:
                problems.append("garbled dump line")
                cur = None
        elif kind == "end" and cur is not None:
            fields = dict(w.split("=", 1) for w in rest if "=" in w)
            h = 0
            for v in cur:
                h = (h * 31 + v) & 0xFFFFFFFFFFFFFFFF
            if len(cur) != expect or int(fields.get("hash", "-1"), 16) != h:
                problems.append(f"dump does not check out ({len(cur)} of {expect} counters, hash mismatch)")
            else:
                dumps.append(cur)
            cur = None
    if cur is not None:
        problems.append("dump cut short")
    return dumps, problems


# ------------------------------------------------------------------ raw profile

def elf_sections(path):
    """{name: (address, file offset, size)} of an ELF64 little-endian file."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    heads = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = heads[shstrndx][4]
    out = {}
    for h in heads:
        name = data[stroff + h[0]:data.index(b"\0", stroff + h[0])].decode()
        out[name] = (h[3], h[4], h[5])
    return data, out


RAW_MAGIC = (255 << 56 | ord("l") << 48 | ord("p") << 40 | ord("r") << 32 | ord("o") << 24 | ord("f") << 16
             | ord("r") << 8 | 129)
RAW_VERSION = 8          # INSTR_PROF_RAW_VERSION of LLVM 14
DATA_RECORD = 48         # NameRef, FuncHash, CounterPtr, FunctionPointer, Values, NumCounters, 2 x NumValueSites


class Profile:
    """The constant parts of the kernel's profile, from kernel.elf."""

    def __init__(self, kernel):
        data, secs = elf_sections(kernel)
        for need in ("__llvm_prf_cnts", "__llvm_prf_data", "__llvm_prf_names"):
            if need not in secs or secs[need][2] == 0:
                sys.exit(f"kernel_coverage.py: {kernel} has no {need} section (not a coverage kernel)")
        self.cnts_addr, _, cnts_size = secs["__llvm_prf_cnts"]
        self.data_addr, off, size = secs["__llvm_prf_data"]
        recs = bytearray(data[off:off + size])
        # No value profiling data is dumped: clear what would ask for it.
        for r in range(0, len(recs), DATA_RECORD):
            struct.pack_into("<Q", recs, r + 32, 0)       # Values
            struct.pack_into("<HH", recs, r + 44, 0, 0)   # NumValueSites[2]
        self.records = bytes(recs)
        self.names_addr, off, size = secs["__llvm_prf_names"]
        self.names = data[off:off + size]
        self.ncounters = cnts_size // 8

    def raw(self, counters):
        if len(counters) != self.ncounters:
            raise ValueError(f"{len(counters)} counters, the kernel has {self.ncounters}")
        header = struct.pack("<11Q", RAW_MAGIC, RAW_VERSION, 0, len(self.records) // DATA_RECORD, 0,
                             self.ncounters, 0, len(self.names), (self.cnts_addr - self.data_addr) & (2**64 - 1),
                             self.names_addr, 1)
        pad = b"\0" * (7 & (8 - len(self.names) % 8))
        return header + self.records + struct.pack(f"<{len(counters)}Q", *counters) + self.names + pad


# ------------------------------------------------------------------ call graph

TYPE_RE = re.compile(r"(%(?:struct|union)\.[\w.]+?)(?:\.\d+)?(\**)(?=[\s,)*]|$)|(\b(?:i\d+|void|double|float)\b\**)|(\[\d+ x [^\]]+\])")
DEFINE_RE = re.compile(r"^define ([^@]*)@(\"[^\"]+\"|[\w.$]+)\((.*)\)[^(]*\{$")
REF_RE = re.compile(r"@(\"[^\"]+\"|[\w.$]+)")
# "call <ret> @fn(": <ret> may be a %struct pointer; an indirect callee is "%N(", never "@...(".
DIRECT_CALL_RE = re.compile(r"\bcall (?:[^@%]|%(?:struct|union)\.)*?@(\"[^\"]+\"|[\w.$]+)\(")
# "call <ret> [(<param types>)] %fn(<args>)": a variadic callee's type is spelled out.
INDIRECT_CALL_RE = re.compile(r"\bcall ((?:[^@%(]|%(?:struct|union)\.)*?)(?:\(([^)]*)\)\*? )?%[\w.]+\((.*)\)")


def signature(ret, args):
    """A comparable signature: the return type and each argument's type."""
    def ty(text):
        m = TYPE_RE.search(text)
        if not m:
            return "?"
        return (m.group(1) + m.group(2)) if m.group(1) else (m.group(3) or m.group(4))
    parts, depth, cur = [], 0, ""
    for ch in args:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    parts = [p for p in parts if p.strip()]
    return ty(ret) + "(" + ",".join("..." if p.strip() == "..." else ty(p) for p in parts) + ")"


def module_ir(cc_flags, src):
    # No .d file next to "-", and no instrumentation: only the calls matter.
    cc_flags = [f for f in cc_flags if f not in ("-MMD", "-MP", "-Werror", "-fprofile-instr-generate",
                                                 "-fcoverage-mapping")]
    cmd = ["clang", *cc_flags, "-O0", "-g0", "-S", "-emit-llvm", "-o", "-", src]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def parse_module(text):
    """(source file, functions {name: (internal, signature, direct callees, refs, indirect sigs)},
    address-taken names, globals in .syscall_table, globals in .ktests)."""
    src = re.search(r'^source_filename = "(.*)"$', text, re.M).group(1)
    funcs, taken, cur, body = {}, set(), None, []
    global_refs = []
    for line in text.splitlines():
        if cur is None:
            m = DEFINE_RE.match(line)
            if m:
                cur = (m.group(2).strip('"'), "internal" in m.group(1).split(), signature(m.group(1), m.group(3)))
                body = []
            elif line.startswith("@") and "=" in line:
                section = re.search(r'section "([^"]+)"', line)
                global_refs.append((section.group(1) if section else "", REF_RE.findall(line.split("=", 1)[1])))
            continue
        if line == "}":
            direct, refs, indirect = set(), set(), set()
            for b in body:
                calls = set(DIRECT_CALL_RE.findall(b))
                direct |= {c.strip('"') for c in calls}
                # References other than the callee position take the address.
                stripped = DIRECT_CALL_RE.sub("call (", b)
                refs |= {r.strip('"') for r in REF_RE.findall(stripped)}
                if "call " in b and not DIRECT_CALL_RE.search(b) and " asm " not in b:
                    m = INDIRECT_CALL_RE.search(b)
                    if m:
                        indirect.add(signature(m.group(1), m.group(2) if m.group(2) else m.group(3)))
            funcs[cur[0]] = (cur[1], cur[2], direct, refs, indirect)
            cur = None
            continue
        body.append(line)
    return src, funcs, global_refs


def reachable_functions(cc_flags, srcs):
    """Profile names (file:name for static functions) of the functions the
    roots reach; see the module docstring."""
    srcs = [s for s in srcs if s.endswith(".c") and not s.startswith(TEST_CODE)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        mods = list(pool.map(lambda s: parse_module(module_ir(cc_flags, s)), srcs))
    # Nodes are (module, name) for static functions, ("", name) for global ones.
    defined_global = {}
    nodes = {}
    for src, funcs, _ in mods:
        for name, (internal, sig, *_rest) in funcs.items():
            key = (src, name) if internal else ("", name)
            nodes[key] = (src, funcs[name])
            if not internal:
                defined_global[name] = key

    def resolve(src, funcs, name):
        if name in funcs and funcs[name][0]:
            return (src, name)
        return defined_global.get(name)

    # Address-taken functions by signature (test tables do not count).
    by_sig = {}
    for src, funcs, global_refs in mods:
        names = set()
        for section, refs in global_refs:
            if section != ".ktests":
                names |= set(refs)
        for f in funcs.values():
            names |= f[3]
        for n in names:
            key = resolve(src, funcs, n.strip('"'))
            if key and key in nodes:
                by_sig.setdefault(nodes[key][1][1], set()).add(key)
    mod_funcs = {src: funcs for src, funcs, _ in mods}
    todo = [defined_global[r] for r in ROOTS if r in defined_global]
    missing = [r for r in ROOTS if r not in defined_global]
    if missing:
        print(f"kernel_coverage.py: warning: roots not found: {', '.join(missing)}", file=sys.stderr)
    for sig in ASM_INDIRECT_SIGS:
        todo += sorted(by_sig.get(sig, ()))
    seen = set(todo)
    while todo:
        key = todo.pop()
        src, (internal, sig, direct, refs, indirect) = nodes[key]
        nxt = set()
        for callee in direct:
            if callee in PANIC_FUNCS:
                continue
            k = resolve(src, mod_funcs[src], callee)
            if k:
                nxt.add(k)
        for s in indirect:
            nxt |= by_sig.get(s, set())
        for k in nxt - seen:
            if k[1] in PANIC_FUNCS:
                continue
            seen.add(k)
            todo.append(k)
    # clang names a static function "<file name without directories>:<name>".
    return {f"{os.path.basename(nodes[k][0])}:{k[1]}" if k[0] else k[1] for k in seen}


# ------------------------------------------------------------------ rendering

def in_scope(path):
    rel = os.path.relpath(path, ROOT)
    return rel.startswith(SCOPE) and not rel.startswith(TEST_CODE), rel


def lcov_lines(lcov_text):
    """{file: {line: count}} from an lcov trace."""
    out, cur = {}, None
    for line in lcov_text.splitlines():
        if line.startswith("SF:"):
            cur = out.setdefault(line[3:], {})
        elif line.startswith("DA:") and cur is not None:
            ln, cnt = line[3:].split(",")[:2]
            cur[int(ln)] = max(cur.get(int(ln), 0), int(cnt))
    return out


def panic_lines(path):
    """Lines of statements that call panic (from the call to its ';')."""
    out, inside = set(), False
    with open(path, errors="replace") as f:
        for i, text in enumerate(f, 1):
            if re.search(r"\bpanic(_at|_trap)?\s*\(", text) and not text.lstrip().startswith(("//", "/*", "*")) \
                    and "__attribute__" not in text:
                inside = True
            if inside:
                out.add(i)
                if text.rstrip().endswith(";"):
                    inside = False
    return out


def pct(hit, total):
    return 100.0 * hit / total if total else 0.0


def render(a, cov_dir, profiles):
    kernel = os.path.join(cov_dir, "kernel.elf")
    profdata = os.path.join(cov_dir, "kernel.profdata")
    subprocess.run([tool("llvm-profdata"), "merge", "-sparse", "-o", profdata, *profiles], check=True)
    ignore = ["-ignore-filename-regex", r"^(kernel/test/|tests/)"]
    html = os.path.join(cov_dir, "html")
    shutil.rmtree(html, ignore_errors=True)
    subprocess.run([tool("llvm-cov"), "show", kernel, "-instr-profile", profdata, "-format=html",
                    "-output-dir", html, "-show-line-counts-or-regions", "-project-title=Quilt kernel",
                    *ignore], cwd=ROOT, check=True)
    lcov = subprocess.run([tool("llvm-cov"), "export", kernel, "-instr-profile", profdata, "-format=lcov",
                           *ignore], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    with open(os.path.join(cov_dir, "kernel.lcov"), "w") as f:
        f.write(lcov)
    export = json.loads(subprocess.run([tool("llvm-cov"), "export", kernel, "-instr-profile", profdata,
                                        "-skip-expansions", *ignore], cwd=ROOT, check=True,
                                       capture_output=True, text=True).stdout)
    lines = {}
    for path, per_line in lcov_lines(lcov).items():
        ok, rel = in_scope(path if os.path.isabs(path) else os.path.join(ROOT, path))
        if ok:
            lines[rel] = per_line

    # Lines inside functions the call graph reaches, per file.
    reach_funcs = reachable_functions(shlex.split(a.cflags), a.srcs.split())
    reach_lines = {}
    func_rows = []
    for fn in export["data"][0]["functions"]:
        files = [os.path.relpath(p if os.path.isabs(p) else os.path.join(ROOT, p), ROOT) for p in fn["filenames"]]
        name = fn["name"]
        reached = name in reach_funcs or name.split(":")[-1] in reach_funcs and ":" not in name
        span = {}
        for r in fn["regions"]:
            span.setdefault(files[r[5]], set()).update(range(r[0], r[2] + 1))
        if reached:
            for f, ls in span.items():
                reach_lines.setdefault(f, set()).update(ls)
        home = files[0] if files else "?"
        if in_scope(os.path.join(ROOT, home))[0]:
            fl = lines.get(home, {})
            own = [ln for ln in span.get(home, ()) if ln in fl]
            func_rows.append((sum(1 for ln in own if fl[ln] == 0), len(own), name, home, reached))

    tot_hit = tot = r_hit = r_tot = 0
    rows = []
    for rel, per_line in sorted(lines.items()):
        hit = sum(1 for c in per_line.values() if c > 0)
        tot_hit += hit
        tot += len(per_line)
        excl = panic_lines(os.path.join(ROOT, rel))
        rl = [ln for ln in per_line if ln in reach_lines.get(rel, ()) and ln not in excl]
        rh = sum(1 for ln in rl if per_line[ln] > 0)
        r_hit += rh
        r_tot += len(rl)
        rows.append((rel, hit, len(per_line), rh, len(rl)))

    out = []
    out.append(f"{'file':40} {'lines':>14} {'reachable from a syscall':>26}")
    for rel, hit, n, rh, rn in rows:
        out.append(f"{rel:40} {hit:5}/{n:<5} {pct(hit, n):5.1f}%  {rh:5}/{rn:<5} {pct(rh, rn):5.1f}%")
    out.append("")
    out.append("most uncovered lines, by function (uncovered/lines, * = reachable from a syscall):")
    for miss, n, name, home, reached in sorted(func_rows, key=lambda r: -r[0])[:40]:
        if miss:
            out.append(f"  {miss:4}/{n:<4} {'*' if reached else ' '} {name}  ({home})")
    out.append("")
    total_line = (f"coverage: {tot_hit}/{tot} lines of kernel/ fs/ arch/ = {pct(tot_hit, tot):.1f}%; "
                  f"reachable from a system call: {r_hit}/{r_tot} = {pct(r_hit, r_tot):.1f}% "
                  f"({len(profiles)} boots; HTML in {os.path.relpath(html)}/index.html)")
    out.append(total_line)
    with open(os.path.join(cov_dir, "summary.txt"), "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"per-file table and top uncovered functions: {os.path.relpath(cov_dir)}/summary.txt")
    print(total_line)


# ------------------------------------------------------------------ driver

def make_has_target(target):
    with open(os.path.join(ROOT, "GNUmakefile")) as f:
        return re.search(rf"^{re.escape(target)}\s*:", f.read(), re.M) is not None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--cflags", required=True, help="the kernel's compiler flags (for the call graph)")
    ap.add_argument("--srcs", required=True, help="the kernel's sources")
    ap.add_argument("--render-only", action="store_true", help="only turn the kept dumps into a report")
    ap.add_argument("--timeout-scale", default="3", help="instrumented kernels are slower under TCG")
    ap.add_argument("--fuzz-seconds", default="60")
    ap.add_argument("--fuzz-seed", default="")
    ap.add_argument("--fuzz-smp", default="2")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    cov_dir = os.path.join(build, "coverage")
    serial = os.path.join(cov_dir, "serial")
    failed_runs = []
    if not a.render_only:
        shutil.rmtree(serial, ignore_errors=True)
        os.makedirs(serial)
        env = dict(os.environ, QUILT_KERNEL=os.path.join(cov_dir, "kernel.elf"), QUILT_CMDLINE_EXTRA="covdump",
                   QUILT_TIMEOUT_SCALE=a.timeout_scale, QUILT_SERIAL_DIR=serial)
        t0 = time.monotonic()
        print("coverage: the tests, with the coverage kernel", flush=True)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tests/tools/run_tests.py"), "--build", build,
                            "--logs", os.path.join(cov_dir, "test-logs"), "--no-selfchecks"], env=env, cwd=ROOT)
        if r.returncode:
            failed_runs.append("tests")
        if make_has_target("fuzz"):
            print("coverage: make fuzz, with the coverage kernel", flush=True)
            args = [f"SECONDS={a.fuzz_seconds}", f"SMP={a.fuzz_smp}"] + ([f"SEED={a.fuzz_seed}"] if a.fuzz_seed else [])
            r = subprocess.run(["make", "--no-print-directory", "fuzz", *args], env=env, cwd=ROOT)
            if r.returncode:
                failed_runs.append("fuzz")
        else:
            print("coverage: no `make fuzz` target yet; fuzzing not counted", flush=True)
        print(f"coverage: boots took {time.monotonic() - t0:.0f} s", flush=True)

    prof = Profile(os.path.join(cov_dir, "kernel.elf"))
    raw_dir = os.path.join(cov_dir, "profraw")
    shutil.rmtree(raw_dir, ignore_errors=True)
    os.makedirs(raw_dir)
    profiles, without = [], []
    for name in sorted(os.listdir(serial)) if os.path.isdir(serial) else []:
        with open(os.path.join(serial, name), errors="replace") as f:
            text = f.read()
        dumps, problems = parse_dumps(text)
        for p in problems:
            print(f"coverage: {name}: {p}")
        if not dumps and "Quilt kernel booting" in text:  # (the loader checks never start a kernel)
            without.append(name)
        for i, counters in enumerate(dumps):
            try:
                raw = prof.raw(counters)
            except ValueError as e:
                print(f"coverage: {name}: {e} (a dump of another kernel?)")
                continue
            path = os.path.join(raw_dir, f"{name}.{i}.profraw")
            with open(path, "wb") as f:
                f.write(raw)
            profiles.append(path)
    if without:
        print(f"coverage: {len(without)} boots without counters (a hang, or another kernel): {', '.join(without)}")
    if not profiles:
        print("coverage: no counters were dumped; nothing to render")
        return 1
    render(a, cov_dir, profiles)
    if failed_runs:
        print(f"coverage: note: {' and '.join(failed_runs)} reported failures with the coverage kernel "
              f"(logs in {os.path.relpath(cov_dir)}/test-logs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
