# SPDX-License-Identifier: MIT
"""Checks made from whole boots: the banner, the console, init's status,
the loader's errors for a broken ESP, and the harness self-checks (boots
that must be reported as failures)."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402
import screen  # noqa: E402
from boots import boot, boot_verdict  # noqa: E402
from ktap import Ktap  # noqa: E402
from monitor import Monitor, monitor_args  # noqa: E402
from session import PROMPT, Key, Keyboard, Mouse, console_session, shell_session  # noqa: E402

# /dev/kbd/0's records for the keys both keyboard checks type (a, Shift-b, Ctrl-Up), as
# input_echo prints them: HID usage codes, modifiers as PatchworkOS's (Shift 0x2, Ctrl 0x4).
KEY_RECORDS = ["kbd press code=0x4 mods=0x0", "kbd release code=0x4 mods=0x0",
               "kbd press code=0xe1 mods=0x2", "kbd press code=0x5 mods=0x2",
               "kbd release code=0x5 mods=0x2", "kbd release code=0xe1 mods=0x0",
               "kbd press code=0xe0 mods=0x4", "kbd press code=0x52 mods=0x4",
               "kbd release code=0x52 mods=0x4", "kbd release code=0xe0 mods=0x0"]


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
    # Before the exit, a screenshot: the same session must be on the screen (the framebuffer console).
    sock = os.path.join(build.logs, "shell-session.monitor")
    shots = []
    scode, stext = shell_session(build, [
        ('echo hel""lo shell\r', "hello shell"),
        ('echo pi""ped | cat > /tmp/out\r', "quilt:/$ "),
        ("cat /tmp/out\r", "piped"),
        ("ls /bin\r", "sleep"),
        ("no_such_command\r", "command not found"),
        ("ls /no_such_dir\r", "ls: /no_such_dir: no such file or directory"),  # errors in words
        (None, "quilt:/$ "),  # the prompt's write shows at once, with the lines before it
        lambda: shots.append(screendump(sock, os.path.join(build.logs, "shell-session.ppm"))),
        ("exit\r", "shutting down"),
    ], timeout=150, extra=monitor_args(sock))
    results.append(("hello shell" in stext and "no_such_command: command not found" in stext
                    and "ls: /no_such_dir: no such file or directory" in stext and "shutting down" in stext
                    and scode == qemu.EXIT_SUCCESS, "console.shell_session",
                    f"code={scode}, log tail: {stext[-300:]!r}"))
    results.append(shell_on_screen(shots[0] if shots else None))
    results += panic_screen(build)
    # INIT's status decides QEMU's exit code (make run's status).
    results.append(("init: started /bin/tests/exit_with 0 as pid 1" in text and "init: exited with status 0" in text
                    and code == qemu.EXIT_SUCCESS, "boot.init_status_0_exits_qemu_success", f"code={code}"))
    # init_may_exit (make image DESKTOP=1: PatchworkOS's init starts the desktop and exits): the
    # machine stays up while a process init started lives, and ends with init's status after it.
    code, text, _ = boot(build, "init-may-exit", "qemu_exit init_may_exit -- /bin/tests/outlive_init", smp=1,
                         timeout=120)
    marks = [text.find(m) for m in ("init: exited with status 0", "init: init_may_exit: 1 processes still running",
                                     "outlive_init: child 2 still running after its parent ended",
                                     "init: the last process has ended")]
    results.append((all(m >= 0 for m in marks) and marks == sorted(marks) and code == qemu.EXIT_SUCCESS,
                    "boot.init_may_exit_waits_for_the_last_process", f"code={code}, log tail: {text[-300:]!r}"))
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
    results.append(large_archive_boot(build))
    return results


def large_archive_boot(build):
    """A root archive of 12 MiB more (what `make run ROOT_EXTRA=` with big files makes): the loader's
    data then covers whole 4 MiB sections of the page database with nothing else in them, which
    the boot once left uninitialised and then refused to release (a panic before init)."""
    sys.path.insert(0, os.path.join(qemu.ROOT, "fs", "tools"))
    import mkcpio
    with open(build.archive, "rb") as f:
        data = f.read()
    trailer = data.rfind(b"070701")  # the last header is TRAILER!!!
    blob = bytes(range(256)) * (12 << 12)  # 12 MiB
    h = mkcpio.header("big.bin", 0o100644, len(blob), 99999)
    data = data[:trailer] + h + mkcpio.pad4(len(h)) + blob + mkcpio.pad4(len(blob)) + data[trailer:]
    big = os.path.join(build.logs, "large-root.cpio")
    with open(big, "wb") as f:
        f.write(data)
    code, text, _ = boot(build, "large-root-archive", "qemu_exit -- /bin/tests/exit_with 0", archive=big,
                         smp=1, timeout=120)
    os.unlink(big)
    released = re.search(r"fs: released (\d+) pages of the root archive", text)
    return (code == qemu.EXIT_SUCCESS and released is not None and int(released.group(1)) >= 3072
            and f"from a {len(data)} byte archive" in text, "boot.large_root_archive_releases_its_pages",
            f"code={code}, log tail: {text[-300:]!r}")


def screendump(sock, path):
    """The screen of the QEMU whose monitor is on @sock, decoded as console text."""
    mon = Monitor(sock)
    try:
        return screen.decode(*mon.screendump(path))
    finally:
        mon.close()
        os.unlink(sock)  # QEMU leaves its socket behind


def shell_on_screen(scr):
    """console.shell_session_on_screen: the session's commands and their output, in order, read
    from the framebuffer's pixels with the console's own font."""
    if scr is None:
        return False, "console.shell_session_on_screen", "no screenshot (the session stopped early)"
    want = ['quilt:/$ echo hel""lo shell', "hello shell", 'quilt:/$ echo pi""ped | cat > /tmp/out',
            "quilt:/$ cat /tmp/out", "piped", "quilt:/$ ls /bin", "quilt:/$ no_such_command",
            "shell: no_such_command: command not found"]
    at, missing = 0, []
    for line in want:
        row = next((i for i in range(at, len(scr.rows)) if scr.rows[i].rstrip() == line), -1)
        if row < 0:
            missing.append(line)
        else:
            at = row + 1
    ok = not missing
    return ok, "console.shell_session_on_screen", f"missing {missing}; screen:\n{scr.text()}"


def panic_screen(build):
    """A panic is drawn on the screen in white on red, the report and its backtrace: a
    selfcheck kernel panics on purpose (no qemu_exit: it halts, and the screen stays)."""
    img = build.image("panic-screen", "ktest=selfcheck.panic", kernel=build.selfcheck)
    sock = os.path.join(build.logs, "panic-screen.monitor")
    serial = os.path.join(build.logs, "panic-screen.log")
    vars_copy = qemu.fresh_vars(build.logs)
    cmd = qemu.qemu_command(img, vars_copy, smp=2, serial=f"file:{serial}", extra=monitor_args(sock))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    scr, text = None, ""
    try:
        deadline = time.monotonic() + 120 * qemu.timeout_scale()
        # The last line of the report: after it the kernel draws nothing more.
        while "other CPUs stopped" not in text and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            with open(serial, "rb") as f:
                text = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
        if "other CPUs stopped" in text:
            scr = screendump(sock, os.path.join(build.logs, "panic-screen.ppm"))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.unlink(vars_copy)
        os.unlink(img)
    qemu.keep_serial("panic-screen", text)
    results = []
    if scr is None:
        return [(False, "console.panic_screen_shows_report", f"no panic report on serial: {text[-300:]!r}")]
    top = scr.find("KERNEL PANIC cpu=")
    bt = scr.find("Backtrace:", max(top, 0))
    frames = [i for i in range(max(bt, 0), len(scr.rows)) if re.match(r"  \[<[0-9a-f]{16}>\] \w", scr.rows[i])]
    end = scr.find("other CPUs stopped:", max(bt, 0))
    results.append((top >= 0 and bt > top and frames and end > bt and any("ktest_run+0x" in scr.rows[i] for i in frames),
                    "console.panic_screen_shows_report", f"screen:\n{scr.text()}"))
    # Every cell of the report's lines, edge to edge: white ink on red; the log above keeps its colours.
    white, red = (0xff, 0xff, 0xff), (0xb0, 0x00, 0x00)
    bad = [(r, c) for r in range(max(top, 0), end + 1) for c, (ink, bg) in enumerate(scr.colours[r])
           if bg != red or ink not in (None, white)]
    above = [scr.colours[r][0][1] for r in range(0, max(top, 0)) if scr.rows[r].strip()]
    results.append((top > 0 and end > top and not bad and red not in above, "console.panic_screen_white_on_red",
                    f"report rows {top}..{end}; cells not white on red: {bad[:10]}; backgrounds above: {set(above)}"))
    return results


def input_checks(build):
    """QEMU's PS/2 mouse and keyboard, driven from its monitor, seen by a program reading
    /dev/mouse/0/events and /dev/kbd/0/events (/bin/tests/input_echo prints each record)."""
    echo = "input_echo: "
    code, text, passed = console_session(build, "ps2-input-events", [
        ("/bin/tests/input_echo\r", echo + "ready"),
        (Mouse(("move", 10, 20)), echo + "mouse buttons=0 dx=10 dy=20\r\n"),   # right and down
        (Mouse(("move", -7, -3)), echo + "mouse buttons=0 dx=-7 dy=-3\r\n"),   # left and up
        (Mouse(("buttons", 1)), echo + "mouse buttons=4 dx=0 dy=0\r\n"),       # left: MOUSE_LEFT
        (Mouse(("buttons", 6)), echo + "mouse buttons=3 dx=0 dy=0\r\n"),       # middle + right
        (Mouse(("buttons", 0)), echo + "mouse buttons=0 dx=0 dy=0\r\n"),       # all released
        (Keyboard("a"), echo + "kbd release code=0x4 mods=0x0\r\n"),          # HID usage of A
        (Keyboard(Key("shift-b")), echo + "kbd release code=0xe1 mods=0x0\r\n"),
        (Keyboard(Key("ctrl-up")), echo + "kbd release code=0xe0 mods=0x0\r\n"),
        ("\r", echo + "done"),                      # a line on the serial console ends it
        ('echo In""put_ok\r', "Input_ok"),          # the keys typed went nowhere else
        ("exit\r", "shutting down"),
    ], timeout=300, keyboard=True)
    events = [l[len(echo):] for l in text.splitlines() if l.startswith(echo)]
    kbd = [e for e in events if e.startswith("kbd ")]
    want_kbd = KEY_RECORDS
    mouse = [e for e in events if e.startswith("mouse buttons=")]
    names_ok = ("keyboard 'IBM Enhanced (101/102-key, PS/2 mouse support)'" in events
                and "mouse 'PS/2 Port for PS/2-style Mice'" in events)
    second = f"second reader got {len(want_kbd)} keyboard records (then EAGAIN)" in events
    ok = code == qemu.EXIT_SUCCESS and passed == 12 and names_ok and "ps2: mouse on IRQ 12" in text
    return [
        (ok and len(mouse) == 5, "input.ps2_mouse_events_reach_dev_mouse",
         f"code={code}, {passed} of 12 steps, names {'ok' if names_ok else 'wrong'}, mouse events {mouse}"),
        (ok and kbd == want_kbd and second, "input.keyboard_events_reach_dev_kbd",
         f"code={code}, {passed} of 12 steps, keyboard events {kbd}, "
         f"second reader {'ok' if second else 'wrong'}"),
    ]


class SecondMonitor:
    """A second QEMU monitor for a console_session's callables (device_add, device_del,
    screendumps): pass args() to QEMU, call it for the Monitor (connected on first use), close()
    it after the boot."""

    def __init__(self, build):
        self.dir = tempfile.mkdtemp(prefix="mon.", dir=build.logs)
        self.sock = os.path.join(self.dir, "sock")
        self.mon = None

    def args(self):
        return monitor_args(self.sock)

    def __call__(self):
        if self.mon is None:
            self.mon = Monitor(self.sock)
        return self.mon

    def close(self):
        if self.mon is not None:
            self.mon.close()
        if os.path.exists(self.sock):
            os.unlink(self.sock)  # QEMU leaves its socket behind
        os.rmdir(self.dir)


def usb_keyboard_checks(build):
    """console.usb_keyboard_types_into_shell, its screen, and unplugging and plugging the keyboard."""
    results = []
    # The typing of the PS/2 session on a USB keyboard (QEMU's usb-kbd on its xHCI) on a machine
    # without an 8042 (i8042=off; the kernel must say so): whatever reaches the shell came through
    # the xHCI driver and the HID boot-report decoder, and sendkey has no other keyboard to type on.
    # A second monitor takes a screendump (the keyboard's boot line and a typed command on the
    # screen), holds a key down (software key repeat), then unplugs the keyboard and plugs in
    # another, which must type too.
    monitor, shots = SecondMonitor(build), []
    echo = "input_echo: "
    code, text, passed = console_session(build, "usb-keyboard", [
        (Keyboard('echo Us""b2 Key_ok\n'), "Usb2 Key_ok"),                # Shift, digits, Enter
        (Keyboard("echo abd", Key("backspace"), 'c""x\n'), "abcx"),       # Backspace erases
        (Keyboard("echo ", Key("caps_lock"), 'a""bC', Key("caps_lock"), "d\n"), "ABcd"),  # Caps Lock
        (Keyboard('echo q""', Key("left"), Key("up"), "z\n"), "qz"),      # arrows: escape sequences
        lambda: shots.append(screen.decode(*monitor().screendump(
            os.path.join(build.logs, "usb-keyboard-screen.ppm")))),
        # The same keys as input.keyboard_events_reach_dev_kbd, as /dev/kbd/0 records.
        ("/bin/tests/input_echo\r", echo + "ready"),
        (Keyboard("a"), echo + "kbd release code=0x4 mods=0x0\r\n"),
        (Keyboard(Key("shift-b")), echo + "kbd release code=0xe1 mods=0x0\r\n"),
        (Keyboard(Key("ctrl-up")), echo + "kbd release code=0xe0 mods=0x0\r\n"),
        ("\r", echo + "done"),
        (Keyboard("sleep 9", Key("ctrl-c")), "^C"),                        # Ctrl-C abandons the line
        (Keyboard("/bin/tests/wait_interrupt\n"), "waiting for Ctrl-C"),  # and interrupts a job
        (Keyboard(Key("ctrl-c")), "interrupted by a note"),
        # A key held for 2 s repeats (after 0.5 s, 30 a second): at least two more x. Typed paced,
        # so that the press is not queued behind the command's keys (and held for less).
        (Keyboard('echo R""', Key("x", hold_ms=2000), "\n"), "Rxxx"),
        lambda: monitor().cmd("device_del kbd"),
        (None, "usb: keyboard on xhci0 port 5 (USB2) unplugged"),
        lambda: monitor().cmd("device_add usb-kbd,bus=xhci.0,id=kbd2"),
        (None, "boot protocol"),                                          # its own boot line
        (Keyboard('echo Re""plugged\n'), "Replugged"),
        (Keyboard(Key("ctrl-d")), "shutting down"),                        # Ctrl-D: end of input
    ], timeout=300, keyboard=True, machine="q35,i8042=off",
        extra=["-device", "qemu-xhci,id=xhci", "-device", "usb-kbd,bus=xhci.0,id=kbd", *monitor.args()])
    monitor.close()
    lines = re.findall(r"usb: keyboard on xhci0 port (\d+) \(USB2, \w+ speed, slot \d+\), boot protocol\n", text)
    # Steps 1-4 and 10-12 type into the shell (5-9 are the input events; a failed step ends the session).
    results.append((passed >= 12 and code == qemu.EXIT_SUCCESS and len(lines) >= 1 and "ps2: no 8042" in text
                    and "pci: 00:02.0 xHCI controller 1b36:000d" in text,
                    "console.usb_keyboard_types_into_shell",
                    f"code={code}, {passed} of 17 steps, log tail: {text[-300:]!r}"))
    events = [line[len(echo):] for line in text.splitlines() if line.startswith(echo)]
    kbd = [e for e in events if e.startswith("kbd ")]
    want_kbd = KEY_RECORDS
    results.append((passed >= 9 and kbd == want_kbd and "keyboard 'USB HID boot keyboard'" in events
                    and f"second reader got {len(want_kbd)} keyboard records (then EAGAIN)" in events,
                    "usb.keyboard_events_reach_dev_kbd", f"{passed} of 17 steps, events {events}"))
    scr = shots[0] if shots else None
    on_screen = scr is not None and scr.find("usb: keyboard on xhci0 port") >= 0 and any(
        row.rstrip() == "Usb2 Key_ok" for row in scr.rows)
    results.append((on_screen, "console.usb_keyboard_session_on_screen",
                    f"screen:\n{scr.text()}" if scr else "no screenshot (the session stopped early)"))
    held = re.search(r"\nR(x+)\n", text)
    results.append((held is not None and len(held.group(1)) >= 3, "usb.keyboard_held_key_repeats",
                    f"typed {len(held.group(1)) if held else 0} x for one key held 2 s"))
    # The second keyboard comes up on another port (QEMU takes the next free one) and types.
    results.append((passed == 17 and code == qemu.EXIT_SUCCESS and len(lines) == 2 and lines[0] != lines[1],
                    "usb.keyboard_unplug_and_hotplug", f"code={code}, {passed} of 17 steps, boot lines for ports "
                    f"{lines}, log tail: {text[-300:]!r}"))
    # A keyboard behind a hub (QEMU's usb-hub is full speed, so no transaction translator here),
    # then unplugged from the hub's port 3 and another plugged into its port 5: the hub's status
    # endpoint reports both.
    monitor = SecondMonitor(build)  # this boot's; the lambdas read the name afresh
    code, text, passed = console_session(build, "usb-keyboard-hub", [
        (Keyboard('echo Hu""b_ok\n'), "Hub_ok"),
        lambda: monitor().cmd("device_del kbd"),
        (None, "usb: keyboard on xhci0 port 5.3 (USB2) unplugged"),
        lambda: monitor().cmd("device_add usb-kbd,bus=xhci.0,port=1.5,id=kbd2"),
        (None, "usb: keyboard on xhci0 port 5.5 (USB2, full speed, slot 2), boot protocol"),
        (Keyboard('echo Hu""b_port5\n'), "Hub_port5"),
        (Keyboard(Key("ctrl-d")), "shutting down"),
    ], timeout=300, keyboard=True, machine="q35,i8042=off",
        extra=["-device", "qemu-xhci,id=xhci", "-device", "usb-hub,bus=xhci.0,port=1",
               "-device", "usb-kbd,bus=xhci.0,port=1.3,id=kbd", *monitor.args()])
    monitor.close()
    results.append((passed >= 1 and "usb: hub on xhci0 port 5 (USB2), 8 ports\n" in text
                    and "usb: keyboard on xhci0 port 5.3 (USB2, full speed, slot 2), boot protocol\n" in text,
                    "usb.keyboard_behind_hub_types", f"code={code}, {passed} of 5 steps, log tail: {text[-300:]!r}"))
    results.append((passed == 5 and code == qemu.EXIT_SUCCESS, "usb.hub_port_unplug_and_hotplug",
                    f"code={code}, {passed} of 5 steps, log tail: {text[-300:]!r}"))
    return results


def usb_mouse_checks(build):
    """QEMU's usb-mouse on its xHCI, beside a usb-kbd, on a machine without an 8042: the records
    /bin/tests/input_echo prints must be the PS/2 mouse's for the same monitor commands; then the
    mouse is unplugged with its left button held (the release must be reported) and another
    plugged in; a tablet plugged in last is left alone. A second boot has the mouse behind a hub."""
    results = []
    echo = "input_echo: "
    monitor = SecondMonitor(build)
    mouse_steps = [
        (Mouse(("move", 10, 20)), echo + "mouse buttons=0 dx=10 dy=20\r\n"),   # right and down
        (Mouse(("move", -7, -3)), echo + "mouse buttons=0 dx=-7 dy=-3\r\n"),   # left and up
        (Mouse(("buttons", 1)), echo + "mouse buttons=4 dx=0 dy=0\r\n"),       # left: MOUSE_LEFT
        (Mouse(("buttons", 6)), echo + "mouse buttons=3 dx=0 dy=0\r\n"),       # middle + right
        (Mouse(("buttons", 0)), echo + "mouse buttons=0 dx=0 dy=0\r\n"),       # all released
    ]
    code, text, passed = console_session(build, "usb-mouse", [
        ("/bin/tests/input_echo\r", echo + "ready"),
        *mouse_steps,
        (Keyboard("a"), echo + "kbd release code=0x4 mods=0x0\r\n"),          # the keyboard beside it
        (Mouse(("buttons", 1)), echo + "mouse buttons=4 dx=0 dy=0\r\n"),       # held while unplugged:
        lambda: monitor().cmd("device_del mouse"),
        (None, echo + "mouse buttons=0 dx=0 dy=0\r\n"),                        # released by the driver
        lambda: monitor().cmd("device_add usb-mouse,bus=xhci.0,id=mouse2"),
        (None, ", boot protocol"),                                              # its own boot line
        (Mouse(("move", 3, -4)), echo + "mouse buttons=0 dx=3 dy=-4\r\n"),     # and it moves
        lambda: monitor().cmd("device_add usb-tablet,bus=xhci.0,id=tablet"),
        (None, "interface; left alone"),
        ("\r", echo + "done"),
        ('echo Mo""use_ok\r', "Mouse_ok"),          # the driver is still well: the shell answers
        ("exit\r", "shutting down"),
    ], timeout=300, keyboard=True, machine="q35,i8042=off",
        extra=["-device", "qemu-xhci,id=xhci", "-device", "usb-kbd,bus=xhci.0,id=kbd",
               "-device", "usb-mouse,bus=xhci.0,id=mouse", *monitor.args()])
    monitor.close()
    events = [line[len(echo):] for line in text.splitlines() if line.startswith(echo)]
    mouse = [e for e in events if e.startswith("mouse buttons=")]
    want = ["mouse buttons=0 dx=10 dy=20", "mouse buttons=0 dx=-7 dy=-3", "mouse buttons=4 dx=0 dy=0",
            "mouse buttons=3 dx=0 dy=0", "mouse buttons=0 dx=0 dy=0"]
    lines = re.findall(r"usb: mouse on xhci0 port (\d+) \(USB2, \w+ speed, slot \d+\), boot protocol\n", text)
    names_ok = "mouse 'USB HID boot mouse'" in events and "keyboard 'USB HID boot keyboard'" in events
    results.append((passed >= 7 and mouse[:5] == want and names_ok and len(lines) >= 1 and "ps2: no 8042" in text,
                    "usb.mouse_events_reach_dev_mouse",
                    f"code={code}, {passed} of 15 steps, names {'ok' if names_ok else 'wrong'}, "
                    f"boot lines {lines}, mouse events {mouse}"))
    unplugged = re.search(r"usb: mouse on xhci0 port \d+ \(USB2\) unplugged\n", text)
    results.append((passed >= 11 and mouse[5:] == ["mouse buttons=4 dx=0 dy=0", "mouse buttons=0 dx=0 dy=0",
                                                  "mouse buttons=0 dx=3 dy=-4"]
                    and unplugged is not None and len(lines) == 2,
                    "usb.mouse_unplug_releases_buttons_and_hotplug",
                    f"code={code}, {passed} of 15 steps, boot lines for ports {lines}, "
                    f"unplug line {'ok' if unplugged else 'missing'}, mouse events {mouse}"))
    results.append((passed == 15 and code == qemu.EXIT_SUCCESS and len(lines) == 2
                    and re.search(r"device [0-9a-f]{4}:[0-9a-f]{4}, no boot keyboard or mouse interface; left alone",
                                  text) is not None,
                    "usb.tablet_left_alone", f"code={code}, {passed} of 15 steps, log tail: {text[-300:]!r}"))
    # Behind QEMU's usb-hub (port 3 of the hub on root port 5), with the keyboard on port 2.
    code, text, passed = console_session(build, "usb-mouse-hub", [
        ("/bin/tests/input_echo\r", echo + "ready"),
        *mouse_steps,
        ("\r", echo + "done"),
        ("exit\r", "shutting down"),
    ], timeout=300, keyboard=True, machine="q35,i8042=off",
        extra=["-device", "qemu-xhci,id=xhci", "-device", "usb-hub,bus=xhci.0,port=1",
               "-device", "usb-kbd,bus=xhci.0,port=1.2", "-device", "usb-mouse,bus=xhci.0,port=1.3"])
    mouse = [line[len(echo):] for line in text.splitlines() if line.startswith(echo + "mouse buttons=")]
    results.append((passed == 8 and code == qemu.EXIT_SUCCESS and mouse == want
                    and "usb: mouse on xhci0 port 5.3 (USB2, full speed, slot 3), boot protocol\n" in text,
                    "usb.mouse_behind_hub_moves", f"code={code}, {passed} of 8 steps, mouse events {mouse}, "
                    f"log tail: {text[-300:]!r}"))
    return results


def device_checks(build):
    """The PS/2 and USB keyboards, reboot and power-off, each seen from a whole boot."""
    results = []
    # Keys pressed on QEMU's emulated PS/2 keyboard (monitor sendkey) reach the shell like serial
    # input; the shell's echo and the commands' output come back on serial. Each expected output
    # is spelled unlike the echoed keys, so only a command that ran can match it.
    code, text, passed = console_session(build, "ps2-keyboard", [
        (Keyboard('echo Ps""2 Key_ok\n'), "Ps2 Key_ok"),                 # Shift, digits, Enter
        (Keyboard("echo abd", Key("backspace"), 'c""x\n'), "abcx"),      # Backspace erases
        (Keyboard("echo ", Key("caps_lock"), 'a""bC', Key("caps_lock"), "d\n"), "ABcd"),  # Caps Lock
        (Keyboard('echo q""', Key("left"), Key("up"), "z\n"), "qz"),     # arrows: escape sequences
        (Keyboard("sleep 9", Key("ctrl-c")), "^C"),                       # Ctrl-C abandons the line
        (Keyboard("dmesg\n"), "Quilt kernel booting"),                   # the log from its start
        # Ctrl-C while a job runs: the note "interrupt" to the job (the helper says when the shell
        # has named it the console's foreground, so the key cannot come too early).
        (Keyboard("/bin/tests/wait_interrupt\n"), "waiting for Ctrl-C"),
        (Keyboard(Key("ctrl-c")), "interrupted by a note"),
        (Keyboard(Key("ctrl-d")), "shutting down"),                       # Ctrl-D: end of input
    ], timeout=300, keyboard=True)
    results.append((passed == 9 and code == qemu.EXIT_SUCCESS and "ps2: 8042 keyboard port on IRQ 1" in text,
                    "console.ps2_keyboard_types_into_shell",
                    f"code={code}, {passed} of 9 steps, log tail: {text[-300:]!r}"))
    results.append((passed >= 6 and text.count("Quilt kernel booting") == 2, "shell.dmesg_prints_kernel_log",
                    f"{passed} of 9 steps"))
    results.append((passed >= 8 and "waiting for Ctrl-C" in text and "interrupted by a note" in text,
                    "console.ctrl_c_interrupts_foreground_job", f"{passed} of 9 steps, log tail: {text[-300:]!r}"))
    results += input_checks(build)
    results += usb_keyboard_checks(build)
    results += usb_mouse_checks(build)
    # Neither QEMU's exit device nor -no-reboot: a reset starts the machine again (a second
    # banner, a second prompt), and nothing but the machine's own power-off can end QEMU
    # (exit code 0). The command line has no qemu_exit.
    code, text, passed = console_session(build, "power-reboot-poweroff", [
        ("reboot\r", "Quilt kernel booting"),
        (None, PROMPT),
        ("poweroff\r", "power: off (ACPI S5"),
    ], timeout=300, cmdline="", debug_exit=False, no_reboot=False)
    banners = text.count("Quilt kernel booting")
    # q35's FADT has a reset register (0xcf9): it is the way that must work there.
    results.append((passed >= 2 and banners == 2 and "power: reset through the ACPI reset register\n" in text
                    and "power: reset through the 8042" not in text, "power.reboot_restarts_machine",
                    f"{banners} banners, {passed} of 3 steps, log tail: {text[-300:]!r}"))
    results.append((passed == 3 and code == 0, "power.poweroff_ends_qemu",
                    f"code={code}, {passed} of 3 steps, log tail: {text[-300:]!r}"))
    # Without qemu_exit, the end of init turns the machine off (as on a PC), not just halts it.
    code, text, _ = boot(build, "power-init-end", "-- /bin/tests/exit_with 0", smp=1, timeout=120,
                         debug_exit=False)
    results.append((code == 0 and "init: exited with status 0" in text and "power: off (ACPI S5" in text,
                    "power.init_end_powers_off_without_qemu_exit", f"code={code}, log tail: {text[-200:]!r}"))
    # The i440FX machine's FADT (revision 1) has no reset register: the 8042's reset line must do
    # it, before the triple fault. With -no-reboot, QEMU ends on the reset (exit code 0).
    code, text, passed = console_session(build, "power-reboot-pc", [("reboot\r", "power: reboot")],
                                         timeout=300, cmdline="", machine="pc", debug_exit=False)
    results.append((passed == 1 and code == 0 and "power: reset through the 8042\n" in text
                    and "triple fault" not in text and "ACPI reset register" not in text,
                    "power.reboot_on_pc_resets_without_triple_fault",
                    f"code={code}, log tail: {text[-300:]!r}"))
    # `make usb`'s image as a USB stick on QEMU's xHCI and no other disk: the firmware loads the
    # loader from it (its boot line names the USB device path), the loader the kernel and root
    # archive, and the shell runs a command.
    code, text, passed = console_session(build, "usb-stick", [
        ('echo U""sb_ok\r', "Usb_ok"),
        ("ps\r", "    1 /bin/init"),  # init's line names it (its cmdline file is empty, §8.5)
        ("exit\r", "shutting down"),
    ], timeout=300, usb=True)
    booted_from = re.search(r'BdsDxe: starting Boot\w+ "[^"]*" from (\S+)', text)
    results.append((passed == 3 and code == qemu.EXIT_SUCCESS and booted_from is not None
                    and "/USB(" in booted_from.group(1), "usb.stick_image_boots_to_shell",
                    f"code={code}, {passed} of 3 steps, boot device "
                    f"{booted_from.group(1) if booted_from else None}, log tail: {text[-300:]!r}"))
    results.append((passed >= 2 and "    1 /bin/init\n" in text, "shell.ps_shows_init_command_line",
                    f"{passed} of 3 steps, log tail: {text[-300:]!r}"))
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


class DesktopSession:
    """A boot of the DESKTOP=1 image (PatchworkOS's init, dwm, wall, taskbar, cursor) with
    QEMU's monitor: screendumps read with tests/tools/pwscreen.py, mouse and keys sent."""

    def __init__(self, build):
        import pwscreen
        self.build = build
        self.files = {}
        with open(os.path.join(build.root, "desktop-root.txt")) as f:
            for line in f:
                dest, _, src = line.strip().partition("=")
                self.files["/" + dest] = src
        self.theme = pwscreen.Theme(self.files)
        self.cursor = pwscreen.Cursor(self.files[self.theme.strings["cursor_arrow"]])
        self.term = pwscreen.TerminalReader(
            pwscreen.Grf(self.files["/usr/share/fonts/firacode-retina16.grf"]), self.theme)
        self.entries = [v.split(",")[0].strip() for k, v in
                        sorted(pwscreen.parse_cfg(self.files["/cfg/taskbar-main.cfg"])["start"].items())]
        self.dir = tempfile.mkdtemp(prefix="desktop.", dir=build.logs)
        self.sock = os.path.join(self.dir, "monitor")
        self.serial = os.path.join(build.logs, "desktop.log")
        self.img = build.image("desktop", "qemu_exit init_may_exit",
                               archive=os.path.join(build.root, "desktop.cpio"))
        self.vars = qemu.fresh_vars(build.logs)
        cmd = qemu.qemu_command(self.img, self.vars, smp=2, serial=f"file:{self.serial}",
                                extra=monitor_args(self.sock))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self.mon = None
        self.shots = 0
        self.scr = None

    def log(self):
        try:
            with open(self.serial, "rb") as f:
                return f.read().decode("utf-8", "replace").replace("\r\n", "\n")
        except FileNotFoundError:  # QEMU has not created it yet
            return ""

    def wait_log(self, cond, seconds):
        """Poll the serial log until @cond(text) holds, QEMU ends or @seconds pass (scaled)."""
        deadline = time.monotonic() + seconds * qemu.timeout_scale()
        text = self.log()
        while not cond(text) and time.monotonic() < deadline and self.proc.poll() is None \
                and "KERNEL PANIC" not in text:
            time.sleep(1)
            text = self.log()
        return cond(text), text

    def shot(self):
        import pwscreen
        if self.mon is None:
            self.mon = Monitor(self.sock)
        self.shots += 1
        path = os.path.join(self.dir, "screen.ppm")
        self.scr = pwscreen.Screen(*self.mon.screendump(path))
        return self.scr

    def keep(self, name):
        """Keep the last screendump in the logs folder as @name.ppm (for a person to look at)."""
        if self.scr is not None:
            with open(os.path.join(self.build.logs, name + ".ppm"), "wb") as f:
                f.write(b"P6\n%d %d\n255\n" % (self.scr.w, self.scr.h) + self.scr.rgb)

    def until(self, cond, seconds=180):
        """Take screendumps until @cond(screen) is true (returned) or @seconds pass (scaled):
        then the last value of @cond."""
        deadline = time.monotonic() + seconds * qemu.timeout_scale()
        while True:
            got = cond(self.shot())
            if got or time.monotonic() > deadline or self.proc.poll() is not None:
                return got
            time.sleep(0.5)

    def move_to(self, x, y):
        """Move the cursor's tip (its image's top-left) to (@x, @y) with relative PS/2 moves of at
        most 100 pixels (QEMU's 8042 queue holds a few packets; the rest of a long move is
        only sent with the next event), each confirmed on the screen before the next."""
        pos = self.until(self.cursor.find, 60)
        while pos and pos != (x, y):
            dx = max(-100, min(100, x - pos[0]))
            dy = max(-100, min(100, y - pos[1]))
            want = (pos[0] + dx, pos[1] + dy)
            self.mon.mouse_move(dx, dy)
            pos = self.until(lambda s: self.cursor.find(s) == want and want, 60)
        return pos == (x, y)

    def click(self):
        """Press and release the left button where the cursor is. dwm ORs the buttons of every
        mouse record it reads at once, so a press and release read together look like a press
        alone, and the release would only come with the next record. So a one-pixel move and its
        way back follow, the second sent once the first is on the screen: that record is read
        apart from the press, with no button held."""
        pos = self.cursor.find(self.scr) if self.scr else None
        self.mon.mouse_button(1)
        self.mon.mouse_button(0)
        if pos is None:
            return
        for dx, want in ((1, (pos[0] + 1, pos[1])), (-1, pos)):
            self.mon.mouse_move(dx, 0)
            self.until(lambda s: self.cursor.find(s) == want, 60)

    def close(self):
        if self.mon is not None:
            self.mon.close()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        os.unlink(self.vars)
        os.unlink(self.img)
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        for f in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, f))
        os.rmdir(self.dir)
        qemu.keep_serial("desktop", self.log())


def taskbar_problems(s, t):
    """Where the screen differs from taskbar/taskbar.c's panel with theme @t (see pwscreen.py):
    the bottom panel_size rows, the top frame_size of them deco.highlight edge to edge, the
    rest mostly deco.background_normal, the row above not the panel's; the Start button's
    outline (button.outline) around the rect at x = big_padding, START_WIDTH wide, from
    frame_size + small_padding below the panel's top, small_padding from its bottom."""
    deco, button = t.colors["deco"], t.colors["button"]
    top = s.h - t.panel_size
    bad = []
    for y in range(top, top + t.frame_size):
        if s.row_count(y, deco["highlight"]) != s.w:
            bad.append(f"row {y} not all deco.highlight")
    if s.row_count(top - 1, deco["highlight"]) == s.w or s.row_count(top - 1, deco["background_normal"]) > s.w // 2:
        bad.append(f"row {top - 1} (above the panel) looks like the panel")
    for y in range(top + t.frame_size, s.h):
        if s.row_count(y, deco["background_normal"]) < s.w // 2:
            bad.append(f"row {y}: fewer than half its pixels deco.background_normal")
    left, btop = t.big_padding, top + t.frame_size + t.small_padding
    right, bottom = left + 100 - 1, s.h - t.small_padding - 1  # START_WIDTH 100
    mid_x, mid_y = (left + right) // 2, (btop + bottom) // 2
    for x, y in ((mid_x, btop), (mid_x, bottom), (left, mid_y), (right, mid_y)):
        if s.px(x, y) != button["outline"]:
            bad.append(f"Start button edge ({x},{y}) is {s.px(x, y)}, not button.outline")
    for x in (left - 1, right + 1):
        if s.px(x, mid_y) != deco["background_normal"]:
            bad.append(f"({x},{mid_y}) beside the Start button is not deco.background_normal")
    return bad


def manifest_mismatch_refused(build):
    """desktop.manifest_mismatch_fails_build: fs/tools/patchwork_root.py (make image DESKTOP=1)
    accepts the tree the image was built from, and refuses a copy with one byte of dwm changed."""
    import shutil
    with open(os.path.join(build.root, "desktop-root.txt")) as f:
        init = next(line.split("=", 1)[1].strip() for line in f if line.startswith("bin/init="))
    tree = os.path.dirname(os.path.dirname(init))
    tool = os.path.join(qemu.ROOT, "fs", "tools", "patchwork_root.py")
    with tempfile.TemporaryDirectory(dir=build.logs) as tmp:
        copy = os.path.join(tmp, "patchwork")
        shutil.copytree(tree, copy)
        good = subprocess.run([sys.executable, tool, copy], capture_output=True, text=True)
        with open(os.path.join(copy, "bin", "dwm"), "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0xFF]))
        bad = subprocess.run([sys.executable, tool, copy], capture_output=True, text=True)
    return (good.returncode == 0 and bad.returncode == 1 and "bin/dwm: sha256" in bad.stderr,
            "desktop.manifest_mismatch_fails_build",
            f"unchanged tree: exit {good.returncode} {good.stderr.strip()!r}; "
            f"changed dwm: exit {bad.returncode} {bad.stderr.strip()!r}")


def at_prompt(rows):
    """Is the last non-empty row of the terminal PatchworkOS's shell prompt (with or without
    the text cursor)?"""
    last = [r for r in rows if r][-1:]
    return last in ([">"], ["> \u2588"])


def desktop_checks(build):
    """PatchworkOS's own desktop, unmodified, on Quilt (make image DESKTOP=1): its init's
    start-up, the taskbar and cursor where its configuration puts them, the terminal opened
    from the Start menu with the mouse, a pipeline typed into it and its output read back
    with the terminal's font, and PatchworkOS's top listing Quilt's processes."""
    if not os.path.exists(os.path.join(build.root, "desktop.cpio")):
        return [(False, "desktop.(build)", "build/desktop.cpio is missing: make test builds it only when "
                 "PatchworkOS's binaries are at PATCHWORK= (default ../shared/patchwork)")]
    results = [manifest_mismatch_refused(build)]
    ds = DesktopSession(build)
    try:
        # PatchworkOS's init reports the end of its start-up, then exits; init_may_exit keeps
        # the machine up for dwm and its clients, which dwm reports accepting (wall, taskbar, cursor).
        # The lines come from several processes, in any order: wait for all of them.
        ok, text = ds.wait_log(lambda t: "init: all startup tasks completed!" in t and "init: exited with status 0" in t
                               and "init: init_may_exit: " in t and t.count("dwm: accepted client") >= 3, 600)
        results.append((ok and "wall: failed" not in text and "KERNEL PANIC" not in text,
                        "desktop.patchwork_init_starts_dwm_and_clients", f"log tail: {text[-600:]!r}"))
        if not ok:
            return results + [(False, f"desktop.{n}", "the desktop did not start") for n in (
                "taskbar_drawn_where_configured", "cursor_drawn_at_screen_centre", "terminal_opens_from_start_menu",
                "terminal_runs_echo_pipe_grep", "top_shows_quilt_processes_and_cpu_load")]
        t = ds.theme
        ds.until(lambda s: not taskbar_problems(s, t))
        bad = taskbar_problems(ds.scr, t)
        ds.keep("desktop-start")
        if bad:
            # Seen once in about thirteen runs, on a host at load 20: nothing of dwm's drawn for
            # 360 s (no taskbar, no cursor). Keep what explains it: the serial log and the screen,
            # under names the next boot does not overwrite.
            ds.keep("desktop-start-failed")
            with open(os.path.join(build.logs, "desktop-failed.log"), "w") as f:
                f.write(ds.log())
        results.append((not bad, "desktop.taskbar_drawn_where_configured",
                        f"{bad[:8]}; log tail: {ds.log()[-800:]!r}" if bad else ""))
        w_h = (ds.scr.w, ds.scr.h)
        centre = (w_h[0] // 2, w_h[1] // 2)
        found = ds.until(lambda s: ds.cursor.at(s, *centre))
        results.append((found, "desktop.cursor_drawn_at_screen_centre",
                        f"cursor {ds.cursor.find(ds.scr)}, want {centre}"))
        # Start (taskbar.c), then the menu's entry for the terminal (start_menu.c).
        left, btop = t.big_padding, w_h[1] - t.panel_size + t.frame_size + t.small_padding
        menu_top = w_h[1] - (t.frame_size + 12 * 32) - t.panel_size
        entry = ds.entries.index("Terminal")
        strip = (t.small_padding + t.frame_size + t.titlebar_size // 2, menu_top + t.frame_size)
        ex = t.small_padding + (t.frame_size + t.titlebar_size + 250 - t.frame_size) // 2
        ey = menu_top + t.frame_size + 32 * entry + 16
        opened = ds.move_to(left + 50, btop + 4)  # the arrow's tip inside the button, all of it on the screen
        if opened:
            ds.click()
            opened = ds.until(lambda s: s.px(*strip) == t.colors["deco"]["background_selected_start"])
        opened = opened and ds.move_to(ex, ey)
        rows = []
        if opened:
            ds.click()
            rows = ds.until(lambda s: (lambda r: "Welcome to the PatchworkOS Shell!" in r
                                       and at_prompt(r) and r)(ds.term.rows(s)))
        ds.keep("desktop-terminal")
        results.append((bool(rows), "desktop.terminal_opens_from_start_menu",
                        f"menu {'opened' if opened else 'not reached'}; terminal rows: {rows}"))
        want = "> echo hello | grep hello"
        done = None
        if rows:
            ds.mon.type_text("echo hello | grep hello\n")
            done = ds.until(lambda s: (lambda r: want in r and r[r.index(want) + 1:r.index(want) + 2] == ["hello"]
                                       and r)(ds.term.rows(s)))
            ds.keep("desktop-echo-grep")
        results.append((bool(done), "desktop.terminal_runs_echo_pipe_grep",
                        f"rows: {done or (ds.term.rows(ds.scr) if ds.scr else None)}"))
        # PatchworkOS's top reads /dev/perf/cpu, /dev/perf/mem and /proc: its screen must list
        # each CPU's load and the desktop's processes by their paths.
        top = None
        if done:
            ds.mon.type_text("top\n")
            names = ["/bin/dwm", "/bin/taskbar", "/bin/cursor", "/bin/wall", "/usr/bin/terminal", "/usr/bin/top"]
            cpu = re.compile(r"CPU0 +\d+\.\d+% \[#* *\] +CPU1 +\d+\.\d+% \[")
            top = ds.until(lambda s: (lambda r: any(cpu.search(x) for x in r) and "Processes:" in "\n".join(r)
                                      and all(any(re.search(r"^ *\d+ +\d+\.\d+% +\d+ +\d+ +" + n + "$", x)
                                                  for x in r) for n in names) and r)(ds.term.rows(s)))
            ds.keep("desktop-top")
        results.append((bool(top), "desktop.top_shows_quilt_processes_and_cpu_load",
                        f"rows: {top or (ds.term.rows(ds.scr) if ds.scr else None)}"))
    finally:
        ds.close()
    return results
