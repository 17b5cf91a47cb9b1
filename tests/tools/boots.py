# SPDX-License-Identifier: MIT
"""The boots make test runs: the build's artifacts (Build), one captured boot
(boot) and its verdict, the table of in-kernel KTAP boots, the user-test,
thread and fuzzer boots. Used by run_tests.py and checks.py."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402


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

    def image(self, name, cmdline, kernel=None, archive="default", efi=None, usb=False):
        """A boot image in the logs folder: a bare ESP, or with @usb a USB stick's GPT disk."""
        path = os.path.join(self.logs, name + ".img")
        (qemu.make_usb_image if usb else qemu.make_image)(path, efi or self.efi, kernel or self.kernel,
                                                         self.archive if archive == "default" else archive,
                                                         cmdline)
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
    # Spinlocks in ticket order, as on a real PC (under QEMU they are test-and-set otherwise).
    ("ktest-q35-smp4", "cpu,sched,proc,sync", dict(machine="q35", smp=4, mem="256M", cmdline="spinlocks=fair")),
    ("ktest-pc-smp4", "cpu,boot", dict(machine="pc", smp=4, mem="512M")),
    ("ktest-q35-16G", "boot,paging,vmm,pmm.orders_naturally_aligned,pmm.random_orders_stress,pmm.fragmentation_then_merge", dict(machine="q35", smp=2, mem="16G")),
]


LEAK_RE = re.compile(r"^leakcheck: (.+) (\d+) (\d+)\s*$", re.M)


def user_test_programs(build):
    """/bin/tests/<name> for every user/tests/<name>/main.c (as user/user.mk builds them), but the
    runner and the helper programs other tests start (they print no KTAP of their own).

    Taken from the sources, not from build/, so a stale binary of a test that
    no longer exists is never asked for."""
    helpers = {"runner", "exit_with", "fault_null", "input_echo", "wait_interrupt", "outlive_init"} | {os.path.basename(p) for p, _, _ in THREAD_BOOTS}
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "user", "tests")
    names = sorted(n for n in os.listdir(root)
                   if n not in helpers and os.path.isfile(os.path.join(root, n, "main.c")))
    return ["/bin/tests/" + n for n in names]


def run_user_boot(build, seed, smp=2, mem="512M", progs=None, cpu="max"):
    """One boot: the runner merges every test program's KTAP; the kernel adds leak-check lines.
    @seed reaches every program as SEED in its environment (see tu_seed)."""
    progs = progs or user_test_programs(build)
    cmdline = f"qemu_exit leakcheck -- /bin/tests/runner --seed {seed} --clean /tmp " + " ".join(progs)
    # Hang detector: the boot is stopped after 600 s without serial output (every test program's
    # watchdog reports at least once a minute while a test runs); about 150 s in all on an idle host.
    name = f"user-tests-q35-smp{smp}-{mem}" + ("" if cpu == "max" else "-" + cpu.replace(",", "_"))
    code, text, secs = boot(build, name, cmdline, timeout=600, machine="q35", smp=smp, mem=mem, cpu=cpu)
    return code, text, secs, len(progs)


# CPU models a PC's firmware may hand us, from a 2004-era x86-64 (no SMEP, SMAP,
# UMIP, XSAVE, RDRAND or 1 GiB pages) to current Intel and AMD: each boots the
# ABI probes, with the fallback line of the boot log checked against the model.
CPU_MODELS = {  # model: (what its fallback line must name, what it must not)
    "qemu64": (["no SMEP", "no SMAP", "no UMIP", "no XSAVE", "no RDRAND", "no 1 GiB pages"], []),
    "Nehalem": (["no SMEP", "no SMAP", "no XSAVE", "no RDRAND"], []),
    "Skylake-Client": (["no UMIP"], ["no SMEP", "no SMAP", "no XSAVE", "no RDRAND"]),
    "EPYC": (["no UMIP"], ["no SMEP", "no SMAP", "no XSAVE", "no RDRAND", "no 1 GiB pages"]),
}
CPU_MODEL_PROGRAMS = ["/bin/tests/sys_proc", "/bin/tests/sys_mem", "/bin/tests/fs_basic",
                      "/bin/tests/start_contract", "/bin/tests/hardening"]


def run_cpu_model_boot(build, model, seed):
    """The ABI probes on CPU @model. Returns [(ok, check name, detail)]: the probes, the fallbacks."""
    code, text, secs, _ = run_user_boot(build, seed, 2, "512M", CPU_MODEL_PROGRAMS, cpu=model)
    failed = [l.strip() for l in text.splitlines() if l.strip().startswith("not ok")]
    passed = len(re.findall(r"^\s*ok ", text, re.M))
    why = boot_verdict(code, text)
    line = next((l for l in text.splitlines() if l.startswith("cpu: fallbacks: ")), "")
    must, must_not = CPU_MODELS[model]
    wrong = [f"'{w}' missing" for w in must if w not in line] + [f"'{w}' wrong" for w in must_not if w in line]
    return [(why is None and not failed and passed > 0, f"cpu_model.{model}.abi_probes_pass",
             why or f"{passed} passed; " + "; ".join(failed[:5])),
            (bool(line) and not wrong, f"cpu_model.{model}.fallbacks_reported",
             "; ".join(wrong) or line or "no 'cpu: fallbacks:' line")]


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


def run_kernel_boot(build, spec, seed):
    name, filt, opts = spec
    # A limit is a hang detector, not a verdict on speed: leave room for a host running another
    # `make test` beside this one (the general boot took 20 of its 72 tests in 120 s there).
    opts = dict(opts, timeout=max(opts.get("timeout", 0), 300))
    extra = opts.pop("cmdline", "")
    code, text, secs = boot(build, name, f"qemu_exit heap_debug seed={seed} {extra} ktest={filt}",
                            kernel=build.test_kernel, **opts)
    return name, code, text, secs


def spinlock_order_line(spec):
    """The boot-log line a kernel boot of BOOTS must print: QEMU says it is a hypervisor, so
    spinlocks are test-and-set unless the boot's command line asks for ticket order."""
    fair = "spinlocks=fair" in spec[2].get("cmdline", "")
    return "sync: spinlocks " + ("in ticket order" if fair else "test-and-set (hypervisor)")


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
