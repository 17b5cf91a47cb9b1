# SPDX-License-Identifier: MIT
"""Checks made from whole boots: the banner, the console, init's status,
the loader's errors for a broken ESP, and the harness self-checks (boots
that must be reported as failures)."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402
from boots import boot, boot_verdict  # noqa: E402
from ktap import Ktap  # noqa: E402
from session import shell_session  # noqa: E402


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
