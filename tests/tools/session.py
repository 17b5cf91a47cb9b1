# SPDX-License-Identifier: MIT
"""A person at the serial console: boot the shell, type commands, wait for
what each should print (tests/tools/checks.py drives it)."""
import os
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402


def shell_session(build, steps, timeout=90, name="shell-session", extra=()):
    """Boot the default /bin/init and type into its shell on the serial line.

    @steps: (text to type, text to wait for) pairs, or callables run at that
    point (a screendump through the monitor that @extra adds). @extra: more
    QEMU arguments. Returns (QEMU exit code or None, everything printed)."""
    img = build.image(name, "qemu_exit")
    vars_copy = qemu.fresh_vars(build.logs)
    cmd = qemu.qemu_command(img, vars_copy, smp=2, mem="512M", serial="stdio", extra=extra)
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
    for step in steps:
        if not ok:
            break
        if callable(step):
            step()
            continue
        typed, expect = step
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
    with open(os.path.join(build.logs, name + ".log"), "w") as f:
        f.write(text)
    qemu.keep_serial(name, text)
    return code, text
