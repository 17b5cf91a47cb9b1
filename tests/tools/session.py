# SPDX-License-Identifier: MIT
"""A person at the machine: boot the shell, type commands (on the serial line,
or on the emulated PS/2 keyboard through QEMU's monitor), wait for what each
should print (tests/tools/checks.py drives it)."""
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402
from monitor import Monitor, key_name, monitor_args  # noqa: E402

PROMPT = "quilt:/$ "


class Key:
    """One key pressed by its sendkey name ("left", "ctrl-c", "caps_lock"), inside a Keyboard step;
    with @hold_ms, held that long (the step goes on once it is released)."""

    def __init__(self, name, hold_ms=None):
        self.name = name
        self.hold_ms = hold_ms


class Keyboard:
    """A step of console_session typed on the emulated keyboard (QEMU monitor sendkey): each
    part is text (one sendkey a character) or a Key.

    Typing is paced by the guest: after each character but the step's last, the next waits
    until the guest has printed something (the shell echoes every character typed at it).
    QEMU's keyboards queue only a few keys (16 bytes for PS/2) and drop the rest, so keys sent
    faster than a slow guest reads them are lost: on a loaded host one letter of a command
    went missing. @pace (from console_session) is (mark, wait_past): mark() says how much has
    been printed, wait_past(n) waits, boundedly, for more than n."""

    def __init__(self, *parts):
        self.parts = parts

    def type(self, mon, pace=None):
        keys = []  # (sendkey name, whether the shell echoes it, how long it is held)
        for part in self.parts:
            if isinstance(part, Key):
                keys.append((part.name, False, part.hold_ms))  # Caps Lock, say, prints nothing
            else:
                keys.extend((key_name(ch), True, None) for ch in part)
        for i, (name, echoed, hold_ms) in enumerate(keys):
            mark = pace[0]() if pace else 0
            mon.sendkey(name, hold_ms)
            if hold_ms:
                # QEMU releases the key by itself after hold_ms; the next key must come after that.
                time.sleep(hold_ms / 1000 + 0.2)
            elif pace and echoed and i + 1 < len(keys):
                pace[1](mark)


class Mouse(Keyboard):
    """A step of console_session done with the emulated mouse (QEMU monitor): each part is
    ("move", dx, dy) (mouse_move; right and down positive) or ("buttons", mask) (mouse_button:
    bit 0 left, 1 middle, 2 right held from then on)."""

    def type(self, mon, pace=None):
        for part in self.parts:
            if part[0] == "move":
                mon.mouse_move(part[1], part[2])
            else:
                mon.mouse_button(part[1])


def console_session(build, name, steps, timeout=90, cmdline="qemu_exit", keyboard=False, **qemu_kw):
    """Boot the default /bin/init on image @name and drive its shell.

    @steps: (typed, expected) pairs, or callables run at that point (not counted as steps).
    typed is a str written to the serial line, a Keyboard, or
    None (type nothing: wait for more output, e.g. after a reboot). An expected text counts
    only in what was printed after its step typed something, or, for None, after the previous
    step's find (so a second prompt is told from the first); expected outputs are spelled
    unlike the typed text, which the shell echoes. @keyboard adds QEMU's monitor (needed for
    Keyboard steps). @qemu_kw goes to qemu.qemu_command (debug_exit=, no_reboot=, machine=...;
    usb=True boots a USB stick's image from QEMU's xHCI).
    Returns (QEMU exit code or None on timeout, everything printed, how many steps passed)."""
    img = build.image(name, cmdline, usb=qemu_kw.get("usb", False))
    vars_copy = qemu.fresh_vars(build.logs)
    mon_dir = tempfile.mkdtemp(prefix="mon.", dir=build.logs) if keyboard else None
    mon_path = os.path.join(mon_dir, "sock") if keyboard else None
    extra = list(qemu_kw.pop("extra", ())) + (monitor_args(mon_path) if keyboard else [])
    kw = dict(smp=2, mem="512M")
    kw.update(qemu_kw)
    cmd = qemu.qemu_command(img, vars_copy, serial="stdio", extra=extra, **kw)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    mon = Monitor(mon_path) if keyboard else None
    out = b""
    deadline = time.monotonic() + timeout * qemu.timeout_scale()

    def wait_for(marker, start):
        """Read until @marker appears at or after @start; its end offset, or -1 when time runs out."""
        nonlocal out
        while out.find(marker.encode(), start) < 0 and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
        at = out.find(marker.encode(), start)
        return at + len(marker) if at >= 0 else -1

    def wait_past(n):
        """Keyboard pacing: read until more than @n bytes were printed, for at most 10 s (then go on:
        the step's own expected output decides)."""
        nonlocal out
        until = min(deadline, time.monotonic() + 10 * qemu.timeout_scale())
        while len(out) <= n and time.monotonic() < until:
            ready, _, _ = select.select([proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk

    passed = 0
    pos = wait_for(PROMPT, 0)
    for step in steps:
        if pos < 0:
            break
        if callable(step):
            step()  # e.g. a screendump through the monitor that @extra adds
            continue
        typed, expect = step
        # After typing, only what comes later counts; with nothing typed, whatever follows the last find.
        start = len(out) if typed else pos
        if isinstance(typed, Keyboard):
            typed.type(mon, (lambda: len(out), wait_past))
        elif typed:
            proc.stdin.write(typed.encode())
            proc.stdin.flush()
        pos = wait_for(expect, start)
        passed += pos >= 0
    # Read to the end: what the kernel prints as it powers off (a coverage dump) belongs to the log too.
    while pos >= 0 and time.monotonic() < deadline:
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
    if mon:
        mon.close()
        if os.path.exists(mon_path):
            os.unlink(mon_path)
        os.rmdir(mon_dir)
    os.unlink(vars_copy)
    os.unlink(img)
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    with open(os.path.join(build.logs, name + ".log"), "w") as f:
        f.write(text)
    qemu.keep_serial(name, text)
    return code, text, passed


def shell_session(build, steps, timeout=90, name="shell-session", extra=()):
    """Boot the default /bin/init and type into its shell on the serial line.

    @steps: (text to type, text to wait for) pairs, or callables run at that
    point. @extra: more QEMU arguments. Returns (QEMU exit code or None,
    everything printed)."""
    code, text, _ = console_session(build, name, steps, timeout, extra=extra)
    return code, text
