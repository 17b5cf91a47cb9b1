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


class Build:
    def __init__(self, root, logs=None):
        self.root = root
        self.efi = os.path.join(root, "BOOTX64.EFI")
        self.kernel = os.path.join(root, "kernel", "kernel.elf")  # production: make run, user boots
        self.test_kernel = os.path.join(root, "test", "kernel.elf")  # plus the in-kernel suites
        self.selfcheck = os.path.join(root, "selfcheck", "kernel.elf")
        self.archive = os.path.join(root, "root.cpio")
        self.logs = logs or os.path.join(root, "test-logs")
        os.makedirs(self.logs, exist_ok=True)

    def image(self, name, cmdline, kernel=None, archive="default", efi=None):
        path = os.path.join(self.logs, name + ".img")
        qemu.make_image(path, efi or self.efi, kernel or self.kernel,
                        self.archive if archive == "default" else archive, cmdline)
        return path


def boot(build, name, cmdline, timeout=120, kernel=None, archive="default", **kw):
    """Make an image, boot it, save the serial log. Returns (code, text, seconds)."""
    img = build.image(name, cmdline, kernel=kernel, archive=archive)
    code, text, secs = qemu.boot_captured(img, timeout, build.logs, **kw)
    with open(os.path.join(build.logs, name + ".log"), "w") as f:
        f.write(text)
    os.unlink(img)
    return code, text, secs


def boot_verdict(code, text):
    """Why a boot that should have passed did not, or None."""
    if "KERNEL PANIC" in text:
        return "kernel panic"
    if code is None:
        return "timeout"
    if code != qemu.EXIT_SUCCESS:
        return f"QEMU exit code {code}, not success ({qemu.EXIT_SUCCESS})"
    return None


# In-kernel suites, batched into few boots: (log name, ktest filter, qemu options).
BOOTS = [
    ("ktest-q35-smp2-512M", "all", dict(machine="q35", smp=2, mem="512M")),
    ("ktest-pc-smp1-4G", "boot,lib,log,trap,paging,vmm,sched", dict(machine="pc", smp=1, mem="4G")),
    ("ktest-q35-128M", "boot,pmm,kmalloc,vmm,kstack", dict(machine="q35", smp=2, mem="128M")),
    ("ktest-q35-smp8-x2apic", "cpu,trap", dict(machine="q35", smp=8, mem="512M", cpu="max,+x2apic")),
    ("ktest-q35-smp4", "cpu,sched,proc", dict(machine="q35", smp=4, mem="256M")),
    ("ktest-pc-smp4", "cpu,boot", dict(machine="pc", smp=4, mem="512M")),
    ("ktest-q35-16G", "boot,paging,vmm,pmm.orders_naturally_aligned,pmm.random_orders_stress,pmm.fragmentation_then_merge", dict(machine="q35", smp=2, mem="16G")),
]


LEAK_RE = re.compile(r"^leakcheck: (.+) (\d+) (\d+)\s*$", re.M)


def user_test_programs(build):
    """/bin/tests/<name> for every user/tests/<name>/main.c (as user/user.mk builds them), but the
    runner and the helper programs other tests start (they print no KTAP of their own).

    Taken from the sources, not from build/, so a stale binary of a test that
    no longer exists is never asked for."""
    helpers = {"runner", "exit_with", "fault_null"} | {os.path.basename(p) for p, _, _ in THREAD_BOOTS}
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "user", "tests")
    names = sorted(n for n in os.listdir(root)
                   if n not in helpers and os.path.isfile(os.path.join(root, n, "main.c")))
    return ["/bin/tests/" + n for n in names]


def run_user_boot(build, seed, smp=2, mem="512M", progs=None):
    """One boot: the runner merges every test program's KTAP; the kernel adds leak-check lines.
    @seed reaches every program as SEED in its environment (see tu_seed)."""
    progs = progs or user_test_programs(build)
    cmdline = f"qemu_exit leakcheck -- /bin/tests/runner --seed {seed} --clean /tmp " + " ".join(progs)
    # Hang detector: the boot is stopped after 600 s without serial output (every test program's
    # watchdog reports at least once a minute while a test runs); about 150 s in all on an idle host.
    code, text, secs = boot(build, f"user-tests-q35-smp{smp}-{mem}", cmdline, timeout=600,
                            machine="q35", smp=smp, mem=mem)
    return code, text, secs, len(progs)


# The futex stress (64 threads x 1000 operations) and the TLB-shootdown tests
# run once more with 4 CPUs, alone: 4 vCPUs share the 2 host cores, so
# nothing else may run beside them (about 4 minutes).
SMP4_PROGRAMS = ["/bin/tests/stress_futex", "/bin/tests/mm_shootdown"]


# The many-thread program runs in boots of its own, as init (no runner): on
# two CPUs, and on one CPU with 2 GiB, where issue 13 saw thread rounds stop.
# Apart, because every thread that ends costs a TLB shootdown round trip:
# on a host much busier than its cores a halted vCPU answers slowly, and
# these 8,191 + 6,000 threads must not push the other tests past their
# boot's timeout. (About 15 s each on an idle machine.)
THREAD_BOOTS = [
    ("/bin/tests/thread_rounds", "user-threads-q35-smp2", dict(machine="q35", smp=2, mem="512M")),
    ("/bin/tests/thread_rounds", "user-threads-q35-smp1-2G", dict(machine="q35", smp=1, mem="2G")),
]


def run_thread_boot(build, spec):
    prog, name, opts = spec
    code, text, secs = boot(build, name, "qemu_exit leakcheck -- " + prog, timeout=400, **opts)
    return prog, name, code, text, secs


def report_leaks(tally, text, prefix="user"):
    """Each counter must be back where it was before init started."""
    found = LEAK_RE.findall(text)
    if not found:
        tally.record(False, f"{prefix}.leakcheck", "no leakcheck lines in the log")
    for name, before, after in found:
        tally.record(before == after, f"{prefix}.leakcheck[{name}]", f"{before} before, {after} after")


# The system-call fuzzer (user/fuzz) in a boot of its own, so that its leak
# counters are its own. Its wall-clock limit leaves room for the final kills
# and the reaper on a loaded host; a hung kernel is a timeout, never a hang.
FUZZ_SECONDS = 60


def fuzz_seed():
    """SEED from the environment (make test SEED=..., make fuzz SEED=...), else a fresh one."""
    seed = os.environ.get("SEED", "")
    return int(seed, 0) if seed else int.from_bytes(os.urandom(4), "little")


def run_fuzz_boot(build, seconds=FUZZ_SECONDS, seed=None, smp=2, mem="512M", procs=3, threads=4):
    seed = fuzz_seed() if seed is None else seed
    cmdline = (f"qemu_exit leakcheck -- /bin/fuzz --seconds {seconds} --seed {seed:#x} "
               f"--procs {procs} --threads {threads}")
    code, text, secs = boot(build, f"fuzz-q35-smp{smp}", cmdline, timeout=seconds + 300,
                            machine="q35", smp=smp, mem=mem)
    return seed, code, text, secs


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


def run_kernel_boot(build, spec, seed):
    name, filt, opts = spec
    # A limit is a hang detector, not a verdict on speed: leave room for a host running another
    # `make test` beside this one (the general boot took 20 of its 72 tests in 120 s there).
    opts = dict(opts, timeout=max(opts.get("timeout", 0), 300))
    code, text, secs = boot(build, name, f"qemu_exit heap_debug seed={seed} ktest={filt}",
                            kernel=build.test_kernel, **opts)
    return name, code, text, secs


def mem_mib(size):
    """QEMU's -m syntax (a number of MiB, or with a K/M/G/T suffix) in MiB."""
    m = re.fullmatch(r"(\d+)([KMGT]?)B?", size.strip().upper())
    if not m:
        raise SystemExit(f"run_tests.py: cannot read the memory size {size!r}")
    return int(m.group(1)) * {"K": 1 / 1024, "": 1, "M": 1, "G": 1024, "T": 1 << 20}[m.group(2)]


def general_boots(smp, mem):
    """BOOTS with `make test SMP=/MEM=` applied to the general boot (every suite); the others
    keep the machine shapes they exist for (1 CPU, 128M, 16G, 8 CPUs with x2APIC, ...)."""
    if smp is None and mem is None:
        return BOOTS
    name, filt, opts = BOOTS[0]
    opts = dict(opts, smp=smp or opts["smp"], mem=mem or opts["mem"])
    # More CPUs and memory cost time under TCG (pmm.exhaust_and_recover touches every page:
    # about 3 minutes at 16G on a loaded host): scale the limit, never below the default.
    scale = max(1, opts["smp"] // 2) * (3 if mem_mib(opts["mem"]) >= 4096 else 1)
    return [(f"ktest-q35-smp{opts['smp']}-{opts['mem']}", filt, dict(opts, timeout=240 * scale))] + BOOTS[1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--seed", default="", help="seed of every randomized test (default: a fresh one, printed)")
    ap.add_argument("--smp", type=int, default=None, help="CPUs of the general kernel boot and the user-test boot")
    ap.add_argument("--mem", default=None, help="memory of the general kernel boot and the user-test boot")
    ap.add_argument("--logs", help="where the boot logs go (default BUILD/test-logs)")
    ap.add_argument("--no-selfchecks", action="store_true",
                    help="skip the harness self-checks (they boot their own kernels; make coverage)")
    ap.add_argument("--fuzz", action="store_true", help="only the fuzzer boot (make fuzz)")
    ap.add_argument("--kernel-cc", help="the kernel's compiler and flags, for the build checks")
    ap.add_argument("--seconds", type=int, default=FUZZ_SECONDS)
    ap.add_argument("--procs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    build = Build(a.build, a.logs)
    if a.bench:
        return run_bench(build)
    if a.fuzz:
        return run_fuzz_only(build, a)
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
        selfchecks = None if a.no_selfchecks else pool.submit(harness_selfchecks, build)
        for job in jobs:
            name, code, text, secs = job.result()
            print(f"kernel tests: {name} ({secs:.1f} s)", flush=True)
            why = boot_verdict(code, text)
            report_ktap(tally, f"{name}: ", text, why is None, why or "")
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
        for ok, name, detail in checks.result():
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


BENCH_RE = re.compile(r"^([a-z0-9_]+) (\d+)\s*$", re.M)


def run_bench(build):
    """`make bench`: boot /bin/bench on the reference machine (q35, 2 CPUs,
    512M, TCG) and print its `name ns_per_op` lines, then the kernel's own
    figures (page allocator, mapping) from its "bench" KTAP suite. With one
    vCPU, TCG's clock jumps by orders of magnitude from run to run, so no
    figure is taken there."""
    failed = False
    code, text, secs = boot(build, "bench-q35-smp2", "qemu_exit -- /bin/bench", timeout=240,
                            machine="q35", smp=2, mem="512M")
    results = BENCH_RE.findall(text)
    why = boot_verdict(code, text)
    if why or not results:
        print(f"bench: failed ({why or 'no results'}); log in {build.logs}")
        failed = True
    code, text, _ = boot(build, "bench-kernel-q35-smp2", "qemu_exit ktest=bench", timeout=240,
                         kernel=os.path.join(build.root, "bench", "kernel.elf"),
                         machine="q35", smp=2, mem="512M")
    results += re.findall(r"^# bench (\w+) (\d+)\s*$", text, re.M)
    for name, ns in results:
        print(f"{name} {ns}")
    print("(q35, 2 CPUs, 512M, TCG)")
    return 1 if failed else 0


def shell_session(build, steps, timeout=90):
    """Boot the default /bin/init and type into its shell on the serial line.

    @steps: (text to type, text to wait for) pairs. Returns (QEMU exit code or
    None, everything printed)."""
    import select
    img = build.image("shell-session", "qemu_exit")
    vars_copy = qemu.fresh_vars(build.logs)
    cmd = qemu.qemu_command(img, vars_copy, smp=2, mem="512M", serial="stdio")
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    out = b""
    deadline = time.monotonic() + timeout * qemu.timeout_scale()

    def wait_for(marker, start=0):
        """Read until @marker appears at or after @start in the output, or time runs out."""
        nonlocal out
        while out.find(marker.encode(), start) < 0 and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
        return out.find(marker.encode(), start) >= 0

    ok = wait_for("quilt:/$ ")
    for typed, expect in steps:
        if not ok:
            break
        start = len(out)  # expected outputs are spelled unlike the (echoed) typed text
        proc.stdin.write(typed.encode())
        proc.stdin.flush()
        ok = wait_for(expect, start)
    # Read to the end: what the kernel prints as it powers off (a coverage dump) belongs to the log too.
    while ok and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        chunk = os.read(proc.stdout.fileno(), 65536) if ready else None
        if chunk == b"":
            break
        out += chunk or b""
    try:
        proc.wait(timeout=max(1, deadline - time.monotonic()))
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        code = None
    os.unlink(vars_copy)
    os.unlink(img)
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    with open(os.path.join(build.logs, "shell-session.log"), "w") as f:
        f.write(text)
    qemu.keep_serial("shell-session", text)
    return code, text


def boot_checks(build):
    """What a user sees: the banner, and clear loader errors for a broken ESP."""
    results = []
    code, text, _ = boot(build, "banner-q35-8G", "qemu_exit -- /bin/tests/exit_with 0", machine="q35", smp=1,
                         mem="8G")
    m = re.search(r"memory: (\d+) MiB total", text)
    results.append((m is not None and int(m.group(1)) == 8192, "banner.memory_total_8G",
                    m.group(0) if m else "no memory line in the banner"))
    for field in ("firmware: EDK II", "framebuffer:", "acpi: rsdp at 0x",
                  "cmdline: " + qemu.full_cmdline("qemu_exit -- /bin/tests/exit_with 0")):
        results.append((field in text, f"banner.shows[{field.split(':')[0]}]", f"'{field}' missing"))
    # A person at the console: the shell runs commands, redirects, pipes, and exit ends the machine.
    # Typed text is echoed, so each command's expected output is spelled differently from what is typed.
    scode, stext = shell_session(build, [
        ('echo hel""lo shell\r', "hello shell"),
        ('echo pi""ped | cat > /tmp/out\r', "quilt:/$ "),
        ("cat /tmp/out\r", "piped"),
        ("ls /bin\r", "sleep"),
        ("no_such_command\r", "ENOENT"),
        ("exit\r", "shutting down"),
    ], timeout=150)
    results.append(("hello shell" in stext and "ENOENT" in stext and "shutting down" in stext
                    and scode == qemu.EXIT_SUCCESS, "console.shell_session",
                    f"code={scode}, log tail: {stext[-300:]!r}"))
    # INIT's status decides QEMU's exit code (make run's status).
    results.append(("init: started /bin/tests/exit_with 0 as pid 1" in text and "init: exited with status 0" in text
                    and code == qemu.EXIT_SUCCESS, "boot.init_status_0_exits_qemu_success", f"code={code}"))
    code, text, _ = boot(build, "init-missing", "qemu_exit -- /bin/no_such_program", smp=1, timeout=60)
    results.append(("init: exited with status 2" in text and code == qemu.EXIT_FAILURE,
                    "boot.missing_init_program_exits_with_enoent", f"code={code}"))

    # A corrupted kernel file: a clear error on serial and a power-off, not a hang.
    bad = os.path.join(build.logs, "corrupt-kernel.elf")
    with open(build.kernel, "rb") as f:
        data = bytearray(f.read())
    data[0:4] = b"\x7fBAD"
    with open(bad, "wb") as f:
        f.write(data)
    code, text, _ = boot(build, "loader-corrupt-kernel", "loader_fail_fast", kernel=bad, timeout=60)
    results.append(("quilt-efi: error: bad kernel image" in text and "bad ELF magic" in text and code is not None,
                    "loader.corrupt_kernel_reported", f"code={code}, log tail: {text[-200:]!r}"))
    os.unlink(bad)
    code, text, _ = boot(build, "loader-missing-archive", "loader_fail_fast", archive=None, timeout=60)
    results.append(("cannot open the root archive" in text and "EFI_NOT_FOUND" in text and code is not None,
                    "loader.missing_archive_reported", f"code={code}, log tail: {text[-200:]!r}"))
    return results


def harness_selfchecks(build):
    """Boots that must fail; each is one passing check when the runner catches it."""
    results = []
    code, text, _ = boot(build, "selfcheck-fail", "qemu_exit ktest=selfcheck.fail", kernel=build.selfcheck)
    k = Ktap(text)
    caught = boot_verdict(code, text) is not None and any(not ok for ok, _, _ in k.results)
    results.append((caught, "selfcheck.failing_test_reported", f"code={code}, results={k.results}"))
    code, text, _ = boot(build, "selfcheck-panic", "qemu_exit ktest=selfcheck.panic", kernel=build.selfcheck)
    caught = boot_verdict(code, text) == "kernel panic" and code == qemu.EXIT_PANIC
    results.append((caught, "selfcheck.panic_reported", f"code={code}"))
    results.append(("[<" in text and "ktest_run+0x" in text, "selfcheck.panic_backtrace_symbolized",
                    "no symbolized backtrace in the panic report"))
    code, text, _ = boot(build, "selfcheck-panic-ap", "qemu_exit ktest=selfcheck.panic_on_ap",
                         kernel=build.selfcheck, smp=4)
    caught = boot_verdict(code, text) == "kernel panic" and code == qemu.EXIT_PANIC
    results.append((caught and "KERNEL PANIC cpu=1:" in text, "selfcheck.panic_on_ap_reported", f"code={code}"))
    results.append(("other CPUs stopped: 3 of 3" in text, "selfcheck.panic_halts_all_cpus",
                    "the panic report does not show the 3 other CPUs stopped"))
    code, text, _ = boot(build, "selfcheck-syscall-gap", "qemu_exit ktest=boot",
                         kernel=os.path.join(build.root, "selfcheck-gap", "kernel.elf"), smp=1)
    results.append((code == qemu.EXIT_PANIC and "syscall table: number 24 missing" in text,
                    "selfcheck.syscall_table_gap_refused", f"code={code}"))
    # make coverage refuses a counter dump that a lost or garbled serial line damaged.
    import kernel_coverage as coverage
    good = "covdump: begin counters=5\ncovdump: d 3 z2 1\ncovdump: d 10\ncovdump: end counters=5 hash=%x\n" % (
        3 * 31 ** 4 + 1 * 31 + 16)
    dumps, problems = coverage.parse_dumps(good)
    results.append((dumps == [[3, 0, 0, 1, 16]] and not problems, "selfcheck.coverage_dump_read",
                    f"{dumps} {problems}"))
    bad = [good.replace("d 10", "d 11"), good.replace("covdump: d 10\n", ""), good.split("covdump: end")[0]]
    refused = [not coverage.parse_dumps(b)[0] for b in bad]
    results.append((all(refused), "selfcheck.coverage_damaged_dump_refused", f"refused: {refused}"))
    # A plan that does not match the results, and a missing plan, are failures.
    results.append((bool(Ktap("KTAP version 1\n1..2\nok 1 a\n").errors), "selfcheck.count_mismatch_caught", ""))
    results.append((bool(Ktap("KTAP version 1\nok 1 a\n").errors), "selfcheck.missing_plan_caught", ""))
    return results


if __name__ == "__main__":
    sys.exit(main())
