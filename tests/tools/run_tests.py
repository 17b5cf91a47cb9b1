#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Quilt's test runner, behind `make test`.

Runs every kind of test and ends with one line `N passed, M failed`:
  * host unit tests (KTAP from build/host/host_tests);
  * in-kernel KTAP suites, batched into a few QEMU boots (BOOTS below);
  * user-space test programs (user/tests/*), run by /bin/tests/runner in one
    boot, with the kernel's leak check (counters before and after) at the end;
  * checks on the boot log (banner, memory total) and on loader failures;
  * harness self-checks: boots that must be reported as failures.
A boot's verdict needs all of: QEMU's isa-debug-exit code for success, a
KTAP plan, as many results as planned, no `not ok`, no panic, no timeout.
Logs of every boot are kept in build/test-logs/."""
import argparse
import concurrent.futures
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

from ktap import RESULT_RE, Ktap, Tally, diagnostics_for, report_ktap  # noqa: E402,F401
from boots import (BOOTS, CPU_MODELS, FUZZ_SECONDS, LEAK_RE, SMP4_PROGRAMS, THREAD_BOOTS, Build,  # noqa: E402,F401
                   boot, boot_verdict, fuzz_seed, general_boots, mem_mib, run_cpu_model_boot, run_fuzz_boot,
                   run_kernel_boot, run_thread_boot, run_user_boot, spinlock_order_line, user_test_programs)
from checks import boot_checks, desktop_checks, device_checks, harness_selfchecks  # noqa: E402,F401
from session import shell_session  # noqa: E402,F401


def report_leaks(tally, text, prefix="user"):
    """Each counter must be back where it was before init started."""
    found = LEAK_RE.findall(text)
    if not found:
        tally.record(False, f"{prefix}.leakcheck", "no leakcheck lines in the log")
    for name, before, after in found:
        tally.record(before == after, f"{prefix}.leakcheck[{name}]", f"{before} before, {after} after")


def report_fuzz(tally, seed, code, text, secs):
    """The fuzzer's own KTAP, whether the kernel survived, and the leak counters after it."""
    m = re.search(r"^# fuzz: (\d+) calls in .*$", text, re.M)
    print(f"fuzz: seed {seed:#x} ({secs:.1f} s){': ' + m.group(0)[8:] if m else ''}", flush=True)
    crashed = "KERNEL PANIC" in text
    tally.record(not crashed and code is not None, "fuzz.no_kernel_crash",
                 f"{'kernel panic' if crashed else 'timeout'}; replay: make fuzz SEED={seed:#x}; "
                 f"log in build/test-logs/")
    why = boot_verdict(code, text)
    report_ktap(tally, "", text, why is None, why or "")
    report_leaks(tally, text, "fuzz")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--scale-smp", default="1 2", help="make bench: CPU counts of the scaling boots")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--seed", default="", help="seed of every randomized test (default: a fresh one, printed)")
    ap.add_argument("--smp", type=int, default=None, help="CPUs of the general kernel boot and the user-test boot")
    ap.add_argument("--mem", default=None, help="memory of the general kernel boot and the user-test boot")
    ap.add_argument("--logs", help="where the boot logs go (default BUILD/test-logs)")
    ap.add_argument("--no-selfchecks", action="store_true",
                    help="skip the harness self-checks (they boot their own kernels; make coverage)")
    ap.add_argument("--fuzz", action="store_true", help="only the fuzzer boot (make fuzz)")
    ap.add_argument("--kernel-cc", help="the kernel's compiler and flags, for the build checks")
    ap.add_argument("--checks", help="only these groups of boot checks, comma-separated: "
                    + ", ".join(CHECK_GROUPS) + " (make test CHECKS=...)")
    ap.add_argument("--seconds", type=int, default=FUZZ_SECONDS)
    ap.add_argument("--procs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    build = Build(a.build, a.logs)
    if a.bench:
        return run_bench(build, [int(c) for c in a.scale_smp.split()])
    if a.fuzz:
        return run_fuzz_only(build, a)
    if a.checks:
        return run_checks_only(build, a.checks.split(","))
    tally = Tally()
    t0 = time.monotonic()
    seed = int(a.seed, 0) if a.seed else int.from_bytes(os.urandom(4), "little")
    print(f"seed {seed} (make test SEED={seed} replays this run's random choices)", flush=True)

    print("host unit tests", flush=True)
    host_bin = os.path.join(build.root, "host", "host_tests")
    if os.path.exists(host_bin):
        host = subprocess.run([host_bin], capture_output=True, text=True)
        report_ktap(tally, "host.", host.stdout + host.stderr, host.returncode == 0,
                    f"host_tests exited {host.returncode}")
    else:
        tally.record(False, "host.(build)", f"{host_bin} is missing")

    ktap_unit_tests(tally)

    # No recursion on the 32 KiB kernel stack (issue 13 defect 1): a static check of the ELF.
    rec = subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "check_recursion.py"), build.kernel],
                         capture_output=True, text=True)
    tally.record(rec.returncode == 0, "static.kernel_has_no_direct_recursion",
                 (rec.stdout + rec.stderr).strip().replace("\n", "; "))

    if a.kernel_cc:
        build_checks(tally, a.kernel_cc)
    test_code_checks(tally, build)

    # Boots are independent: run them two at a time on the two cores.
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        for spec in general_boots(a.smp, a.mem):
            jobs.append(pool.submit(run_kernel_boot, build, spec, seed))
        user = pool.submit(run_user_boot, build, seed, a.smp or 2, a.mem or "512M")
        thread_jobs = [pool.submit(run_thread_boot, build, spec) for spec in THREAD_BOOTS]
        fuzz = pool.submit(run_fuzz_boot, build, seed=seed)
        checks = pool.submit(boot_checks, build)
        models = [pool.submit(run_cpu_model_boot, build, m, seed) for m in CPU_MODELS]
        devices = pool.submit(device_checks, build)
        desktop = pool.submit(desktop_checks, build)
        selfchecks = None if a.no_selfchecks else pool.submit(harness_selfchecks, build)
        for spec, job in zip(general_boots(a.smp, a.mem), jobs):
            name, code, text, secs = job.result()
            print(f"kernel tests: {name} ({secs:.1f} s)", flush=True)
            why = boot_verdict(code, text)
            report_ktap(tally, f"{name}: ", text, why is None, why or "")
            line = spinlock_order_line(spec)
            tally.record(line in text, f"{name}: boot.spinlock_order", f"no line {line!r} in the log")
        code, text, secs, nprogs = user.result()
        print(f"user tests: {nprogs} programs ({secs:.1f} s)", flush=True)
        why = boot_verdict(code, text)
        report_ktap(tally, "user: ", text, why is None, why or "")
        report_leaks(tally, text)
        for job in thread_jobs:
            prog, name, code, text, secs = job.result()
            print(f"user tests: {name} ({secs:.1f} s)", flush=True)
            why = boot_verdict(code, text)
            report_ktap(tally, f"{name}: {os.path.basename(prog)}.", text, why is None, why or "")
            report_leaks(tally, text, name)
        report_fuzz(tally, *fuzz.result())
        print("boot checks", flush=True)
        for ok, name, detail in checks.result() + devices.result() + desktop.result():
            tally.record(ok, name, detail)
        print("CPU models", flush=True)
        for job in models:
            for ok, name, detail in job.result():
                tally.record(ok, name, detail)
        if selfchecks:
            print("harness self-checks", flush=True)
            for ok, name, detail in selfchecks.result():
                tally.record(ok, name, detail)

    code, text, secs, nprogs = run_user_boot(build, seed, 4, "512M", SMP4_PROGRAMS)
    print(f"user tests with 4 CPUs: {nprogs} programs ({secs:.1f} s)", flush=True)
    why = boot_verdict(code, text)
    report_ktap(tally, "user-smp4: ", text, why is None, why or "")
    report_leaks(tally, text)

    print(f"({time.monotonic() - t0:.0f} s; logs in {build.logs}; seed {seed})")
    if tally.failures:
        print("failed: " + ", ".join(tally.failures))
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


# The boot checks by group, for running some alone (--checks).
CHECK_GROUPS = {"boot": boot_checks, "devices": device_checks, "desktop": desktop_checks,
                "selfchecks": harness_selfchecks}


def run_checks_only(build, groups):
    """Only the named groups of boot checks, e.g. `make test CHECKS=devices` while working on a driver."""
    tally = Tally()
    for group in groups:
        if group not in CHECK_GROUPS:
            print(f"run_tests.py: no check group {group!r} (have: {', '.join(CHECK_GROUPS)})")
            return 2
        print(f"{group} checks", flush=True)
        for ok, name, detail in CHECK_GROUPS[group](build):
            tally.record(ok, name, detail)
    if tally.failures:
        print("failed: " + ", ".join(tally.failures))
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


def ktap_unit_tests(tally):
    """tests/tools/ktap_test.py: the KTAP parser every verdict here depends on."""
    import unittest
    import ktap_test

    def flat(suite):
        for t in suite:
            yield from flat(t) if isinstance(t, unittest.TestSuite) else [t]
    for test in flat(unittest.defaultTestLoader.loadTestsFromModule(ktap_test)):
        result = unittest.TestResult()
        test.run(result)
        why = "; ".join(tb.strip().splitlines()[-1] for _, tb in result.failures + result.errors)
        tally.record(result.wasSuccessful(), f"host.ktap.{test.id().split('.')[-1]}", why)


def build_checks(tally, kernel_cc):
    """Contracts the compiler enforces, proved by compiling tests/build/ sources with the kernel's flags."""
    src = os.path.join("tests", "build", "user_deref.c")

    def compiles(*extra):
        flags = [f for f in shlex.split(kernel_cc) if not f.startswith("-M")]  # no dependency files
        r = subprocess.run(flags + list(extra) + ["-c", src, "-o", os.devnull],
                           capture_output=True, text=True)
        return r.returncode == 0, (r.stdout + r.stderr).strip()

    ok, out = compiles()
    tally.record(ok, "build.user_pointer_through_uaccess_compiles", out.replace("\n", "; ")[:400])
    ok, out = compiles("-DDEREF")
    tally.record(not ok and "noderef" in out, "build.user_pointer_dereference_fails_to_compile",
                 "compiled" if ok else out.replace("\n", "; ")[:400])


# Symbols only test code defines: the ktest runner and suites, the arch test hooks, the coverage dump.
TEST_SYMBOL_RE = re.compile(r"ktest|selfcheck|arch_probe_|arch_last_fixup|arch_read_cpu_state|cov_dump|__llvm_prf")


def test_symbols(elf):
    """The test-only symbols defined in @elf (nm), or None if it cannot be read."""
    r = subprocess.run(["nm", "--defined-only", elf], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return sorted({line.split()[-1] for line in r.stdout.splitlines() if TEST_SYMBOL_RE.search(line)})


def test_code_checks(tally, build):
    """The kernel make run and make flash use carries no test code; the test kernel does (the control)."""
    prod, test = test_symbols(build.kernel), test_symbols(build.test_kernel)
    tally.record(prod == [] and bool(test), "static.production_kernel_has_no_test_code",
                 f"production: {prod[:8] if prod else prod}, test kernel: {len(test or [])} test symbols")


def run_fuzz_only(build, a):
    """`make fuzz`: one fuzzer boot; its diagnostics (the failing calls) and results."""
    tally = Tally()
    seed = int(a.seed, 0) if a.seed else fuzz_seed()
    smp, mem = a.smp or 2, a.mem or "512M"
    print(f"fuzz: seed {seed:#x}, {a.seconds} s, SMP={smp}, MEM={mem}, "
          f"{a.procs} processes x {a.threads} threads (serial log: {build.logs}/fuzz-q35-smp{smp}.log)",
          flush=True)
    seed, code, text, secs = run_fuzz_boot(build, a.seconds, seed, smp, mem, a.procs, a.threads)
    # The fuzzer's diagnostics (failing workers' last calls) and any panic report with its
    # per-CPU syscall trace: everything after the start of init, but the KTAP results.
    started = False
    for line in text.splitlines():
        started = started or line.startswith("init: started")
        if started and not RESULT_RE.match(line.strip()) and not line.startswith("leakcheck:"):
            print(line)
    report_fuzz(tally, seed, code, text, secs)
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


# /bin/bench's lines: "name median_ns min=<ns> max=<ns> n=<batches>" (the spread is optional,
# so a plain "name ns" still parses); the scaling run's "scale <name> threads=N ops_per_s=...".
BENCH_RE = re.compile(r"^([a-z0-9_]+) (\d+)(?: min=(\d+) max=(\d+) n=(\d+))?\s*$", re.M)
SCALE_RE = re.compile(r"^scale ([a-z0-9_]+) threads=(\d+) ops_per_s=(\d+) min=(\d+) max=(\d+) n=(\d+)\s*$",
                      re.M)
BENCH_BOOTS = 3  # boots of the user benchmarks: a figure that moves between boots shows it
SCALE_GOAL = 1.8  # wanted throughput of 2 CPUs over 1 (reported, not judged)


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def bench_boot(build, name, cmdline, smp=2):
    """One benchmark boot on the reference machine but for @smp. Returns (text, why it failed or None)."""
    code, text, secs = boot(build, name, cmdline, timeout=240, machine="q35", smp=smp, mem="512M")
    why = boot_verdict(code, text)
    print(f"bench: {name} ({secs:.0f} s){' failed: ' + why if why else ''}", flush=True)
    return text, why


def print_user_table(runs):
    """@runs: one {name: (median, min, max)} per boot. A row per figure: the median of the boots'
    medians first (so "name ns" stays the first two words), then the lowest and highest batch of
    any boot, then each boot's median."""
    names = list(dict.fromkeys(n for run in runs for n in run))
    head = "user benchmarks (ns/op)"
    width = max(len(n) for n in names + [head])
    boots_head = "".join(f"{'boot ' + str(i + 1):>11}" for i in range(len(runs)))
    print(f"{head:<{width}} {'median':>11}{'min':>11}{'max':>11}  |{boots_head}")
    for name in names:
        got = [run[name] for run in runs if name in run]
        lo = min(g[1] for g in got)
        hi = max(g[2] for g in got)
        each = "".join(f"{run[name][0] if name in run else '-':>11}" for run in runs)
        print(f"{name:<{width}} {round(median([g[0] for g in got])):>11}{lo:>11}{hi:>11}  |{each}")
    print("(median: of the boots' medians, each the median of its timed batches; "
          "min, max: the fastest and the slowest batch of any boot)")


# The scaling run's "# scale <name> threads=N idle per CPU: 0.0% 1.7%": each CPU's idle share
# while the workers ran (mean of the rounds). Idle CPUs below the goal mean the guest left work
# undone; busy ones, that each operation got slower (locks, the host's cores).
SCALE_IDLE_RE = re.compile(r"^# scale ([a-z0-9_]+) threads=(\d+) idle per CPU:([0-9.% ]*)$", re.M)


def print_scale_table(scale, idle=None):
    """@scale: {(name, cpus, threads): (median, min, max)} in ops/s. A row per run, then the ratio
    of N CPUs with N threads over 1 CPU with 1 thread per workload. @idle: {same key: text}, each
    CPU's idle share during the rounds."""
    idle = idle or {}
    if not scale:
        return
    head = "scaling (ops/s, all workers)"
    width = max(len(n) for n in [k[0] for k in scale] + [head])
    print(f"{head:<{width}} {'CPUs':>5}{'workers':>8}{'median':>10}{'min':>10}{'max':>10}"
          f"{'vs 1 CPU':>10}{'vs 1 wkr':>10}  guest idle per CPU")
    names = list(dict.fromkeys(k[0] for k in scale))
    for name in names:
        base = scale.get((name, 1, 1))
        for key in sorted(k for k in scale if k[0] == name):
            _, cpus, threads = key
            med, lo, hi = scale[key]
            same = scale.get((name, cpus, 1))
            vs_cpu = f"{med / base[0]:.2f}x" if base and base[0] and threads > 1 else "-"
            vs_thr = f"{med / same[0]:.2f}x" if same and same[0] and threads > 1 else "-"
            print(f"{name:<{width}} {cpus:>5}{threads:>8}{med:>10}{lo:>10}{hi:>10}{vs_cpu:>10}{vs_thr:>10}"
                  f"  {idle.get(key, '-')}")
    print("(median, min, max: of the rounds; vs 1 CPU: over 1 worker on 1 CPU; "
          "vs 1 wkr: over 1 worker on as many CPUs; guest idle: each CPU's idle share while the workers ran)")
    for name in names:
        two, one = scale.get((name, 2, 2)), scale.get((name, 1, 1))
        if two and one and one[0]:
            ratio = two[0] / one[0]
            print(f"scaling {name}: 2 CPUs / 1 CPU = {ratio:.2f}x "
                  f"({'meets' if ratio >= SCALE_GOAL else 'below'} the {SCALE_GOAL}x goal)")


def run_bench(build, scale_smp=(1, 2)):
    """`make bench`: /bin/bench booted BENCH_BOOTS times on the reference machine (q35, 2 CPUs,
    512M, TCG), a table of its figures with their spread; the kernel's own figures (page
    allocator, mapping) from its "bench" KTAP suite, one boot; then the scaling run, one boot
    per CPU count in @scale_smp, N worker processes on N CPUs (and 1, for the same machine's
    baseline). With one vCPU, TCG's clock has been seen to jump by orders of magnitude from run
    to run (why the other figures are taken on 2 CPUs only), so read the 1-CPU scaling figures
    with their spread, beside the 1-thread figures of the larger machines."""
    failed = False
    runs = []
    for i in range(BENCH_BOOTS):
        text, why = bench_boot(build, f"bench-q35-smp2-{i + 1}", "qemu_exit -- /bin/bench")
        found = {name: tuple(int(x or med) for x in (med, lo, hi))
                 for name, med, lo, hi, _ in BENCH_RE.findall(text)}
        failed |= bool(why or not found)
        for line in re.findall(r"^# (?:skipped|scale-worker) .*$", text, re.M):
            print(f"bench: boot {i + 1}: {line[2:]}")
        if found:
            runs.append(found)
    _, text, secs = boot(build, "bench-kernel-q35-smp2", "qemu_exit ktest=bench", timeout=240,
                         kernel=os.path.join(build.root, "bench", "kernel.elf"),
                         machine="q35", smp=2, mem="512M")
    print(f"bench: bench-kernel-q35-smp2 ({secs:.0f} s)", flush=True)
    kernel = re.findall(r"^# bench (\w+) (\d+)\s*$", text, re.M)
    scale, idle = {}, {}
    for cpus in scale_smp:
        threads = "1" if cpus == 1 else f"1 {cpus}"
        text, why = bench_boot(build, f"bench-scale-q35-smp{cpus}", f"qemu_exit -- /bin/bench scale {threads}",
                               smp=cpus)
        found = SCALE_RE.findall(text)
        failed |= bool(why or not found)
        for line in re.findall(r"^# (?:skipped|scale-worker) .*$", text, re.M):
            print(f"bench: scale SMP={cpus}: {line[2:]}")
        for name, nthreads, med, lo, hi, _ in found:
            scale[(name, cpus, int(nthreads))] = (int(med), int(lo), int(hi))
        for name, nthreads, shares in SCALE_IDLE_RE.findall(text):
            idle[(name, cpus, int(nthreads))] = shares.strip()
    print()
    if runs:
        print_user_table(runs)
    else:
        print(f"bench: no user benchmark figures; logs in {build.logs}")
    print()
    print("kernel benchmarks (ns/op, one boot)")
    for name, ns in kernel:
        print(f"{name} {ns}")
    print()
    print_scale_table(scale, idle)
    if failed:
        print(f"bench: a boot failed or gave no figures; logs in {build.logs}")
    print(f"(q35, 2 CPUs, 512M, TCG; {len(runs)} boots of the user benchmarks; "
          f"scaling: SMP={' '.join(str(c) for c in scale_smp)})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
