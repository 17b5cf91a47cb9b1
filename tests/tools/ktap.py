# SPDX-License-Identifier: MIT
"""KTAP streams as make test reads them: the parser (Ktap), the running
tally of results (Tally) and the reporter that turns one stream into results
(report_ktap). Pure code, unit-tested by tests/tools/ktap_test.py (run by
make test as host.ktap.*)."""
import re

RESULT_RE = re.compile(r"^(ok|not ok) (\d+) ([^#]*?)\s*(#\s*(SKIP|TODO)\b.*)?$")
PLAN_RE = re.compile(r"^1\.\.(\d+)$")


class Ktap:
    """Top-level KTAP results of one stream (indented subtests are ignored)."""

    def __init__(self, text):
        self.results = []  # (ok, name, directive)
        self.plan = None
        self.errors = []
        lines = text.splitlines()
        try:
            start = next(i for i, l in enumerate(lines) if l.strip() == "KTAP version 1")
        except StopIteration:
            self.errors.append("no KTAP header")
            return
        expect = 1
        for line in lines[start + 1:]:
            if line.startswith((" ", "\t")):
                continue
            m = PLAN_RE.match(line.strip())
            if m and self.plan is None:
                self.plan = int(m.group(1))
                continue
            m = RESULT_RE.match(line.strip())
            if m:
                num = int(m.group(2))
                if num != expect:
                    self.errors.append(f"result {num} out of order (expected {expect})")
                expect = num + 1
                self.results.append((m.group(1) == "ok", m.group(3), (m.group(5) or "").upper()))
        if self.plan is None:
            self.errors.append("no KTAP plan")
        elif self.plan != len(self.results):
            self.errors.append(f"plan says {self.plan} tests, {len(self.results)} reported")


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def record(self, ok, name, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(name)
        mark = "PASS" if ok else "FAIL"
        print(f"  {mark} {name}{(' - ' + detail) if detail and not ok else ''}", flush=True)


def diagnostics_for(text, name):
    """The '# ...' lines just before `not ok N name`."""
    out, lines = [], text.splitlines()
    for i, l in enumerate(lines):
        m = RESULT_RE.match(l.strip())
        if m and m.group(3) == name:
            j = i - 1
            while j >= 0 and lines[j].startswith("#"):
                out.insert(0, lines[j])
                j -= 1
            break
    return out


def report_ktap(tally, prefix, text, extra_ok=True, extra_why=""):
    """Count each KTAP result; stream-level problems count as one more failure."""
    k = Ktap(text)
    for ok, name, directive in k.results:
        if directive == "SKIP":
            print(f"  SKIP {prefix}{name}")
            continue
        tally.record(ok, prefix + name)
        if not ok:
            for d in diagnostics_for(text, name):
                print(f"       {d}")
    problems = list(k.errors)
    if not extra_ok:
        problems.append(extra_why)
    if problems:
        tally.record(False, prefix + "(run)", "; ".join(problems))
    return k
