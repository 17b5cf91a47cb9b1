#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build Quilt ESP images and boot them in QEMU.

  qemu.py image OUT --efi F --kernel F --archive F --cmdline TEXT [--usb]
  qemu.py run IMAGE [--smp N] [--mem M] [--machine q35|pc] [--timeout S] [--usb]

`image --usb` writes a GPT disk with one EFI system partition (a USB stick's
image); `run --usb` attaches an image as a USB stick on an xHCI controller.

`run` puts the serial console on this terminal and turns QEMU's isa-debug-exit
code into the exit status: 0 when the kernel reported success (QEMU code 1),
1 for failure, 2 for a kernel panic, 124 for a timeout.
Used as a module by run_tests.py for captured, time-limited boots.

Environment hooks, so that any boot made through this file (make run, make
test, make fuzz, or a script of its own) can be switched to another kernel
without knowing about it; `make coverage` (tests/tools/kernel_coverage.py) sets them:
  QUILT_KERNEL         a kernel.elf put in every image in place of the normal
                       kernels (a --kernel path ending in /kernel/kernel.elf
                       or /test/kernel.elf);
                       other kernels (selfcheck variants, corrupted copies) stay
  QUILT_CMDLINE_EXTRA  words put at the front of every kernel command line
  QUILT_TIMEOUT_SCALE  factor applied to every boot's timeout (quiet time for
                       captured boots, wall-clock time for `run`)
  QUILT_SERIAL_DIR     a directory that receives a copy of every boot's serial
                       output (one file per boot)"""
import argparse
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# QEMU exit code -> kernel's value; see arch_qemu_exit() in arch/x86_64/arch.h
EXIT_SUCCESS, EXIT_FAILURE, EXIT_PANIC = 1, 3, 5


def sh(*cmd):
    subprocess.run(cmd, check=True)


def image_kernel(kernel):
    """The kernel an image gets: QUILT_KERNEL replaces the production and test kernels only."""
    override = os.environ.get("QUILT_KERNEL")
    path = os.path.normpath(kernel)
    for normal in (os.path.join("kernel", "kernel.elf"), os.path.join("test", "kernel.elf")):
        if override and (path == normal or path.endswith(os.sep + normal)):
            return override
    return kernel


def full_cmdline(cmdline):
    """The command line an image gets: QUILT_CMDLINE_EXTRA's words first."""
    extra = os.environ.get("QUILT_CMDLINE_EXTRA", "").strip()
    return f"{extra} {cmdline}" if extra else cmdline


def timeout_scale():
    return float(os.environ.get("QUILT_TIMEOUT_SCALE") or 1)


_serial_copies = 0


def keep_serial(name, text):
    """Copy one boot's serial output into QUILT_SERIAL_DIR, if set."""
    global _serial_copies
    where = os.environ.get("QUILT_SERIAL_DIR")
    if not where:
        return
    os.makedirs(where, exist_ok=True)
    _serial_copies += 1
    path = os.path.join(where, f"{name}.{os.getpid()}.{_serial_copies}.{time.monotonic_ns()}.log")
    with open(path, "w") as f:
        f.write(text)


def fill_esp(target, efi, kernel, archive, cmdline):
    """Format @target (an mtools image spec: "file" or "file@@offset") as FAT32 and copy in the
    loader at the removable-media path and /quilt/*."""
    sh("mmd", "-i", target, "::/EFI", "::/EFI/BOOT", "::/quilt")
    sh("mcopy", "-i", target, efi, "::/EFI/BOOT/BOOTX64.EFI")
    sh("mcopy", "-i", target, kernel, "::/quilt/kernel.elf")
    if archive:
        sh("mcopy", "-i", target, archive, "::/quilt/root.cpio")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(cmdline + "\n")
    try:
        sh("mcopy", "-i", target, f.name, "::/quilt/cmdline")
    finally:
        os.unlink(f.name)


def esp_size_mib(efi, kernel, archive):
    payload = sum(os.path.getsize(p) for p in (efi, kernel, archive) if p)
    return max(64, 2 * payload // (1 << 20) + 16)


def make_image(out, efi, kernel, archive, cmdline):
    """A bare FAT32 ESP (no partition table), as QEMU's boot disk."""
    kernel = image_kernel(kernel)
    cmdline = full_cmdline(cmdline)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.truncate(esp_size_mib(efi, kernel, archive) << 20)
    sh("mformat", "-i", tmp, "-F", "-v", "QUILT", "::")
    fill_esp(tmp, efi, kernel, archive, cmdline)
    os.replace(tmp, out)


# A GPT disk for a USB stick: protective MBR, the primary header and entry array at the
# front, one EFI system partition from 1 MiB, the backup array and header in the last sectors.
SECTOR = 512
GPT_ENTRIES, GPT_ENTRY_SIZE = 128, 128
GPT_ARRAY_SECTORS = GPT_ENTRIES * GPT_ENTRY_SIZE // SECTOR  # 32
ESP_TYPE_GUID = uuid.UUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")


def gpt_header(current, backup, first_usable, last_usable, disk_guid, array_lba, array_crc):
    fields = struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, 0, 0, current, backup,
                         first_usable, last_usable, disk_guid.bytes_le, array_lba, GPT_ENTRIES,
                         GPT_ENTRY_SIZE, array_crc)
    fields = fields[:16] + struct.pack("<I", zlib.crc32(fields)) + fields[20:]
    return fields.ljust(SECTOR, b"\0")


def make_usb_image(out, efi, kernel, archive, cmdline):
    """A GPT disk image with one FAT32 EFI system partition holding the boot files: what
    `make usb` writes for dd or an image writer."""
    kernel = image_kernel(kernel)
    cmdline = full_cmdline(cmdline)
    esp_first = (1 << 20) // SECTOR
    esp_sectors = esp_size_mib(efi, kernel, archive) << 20 >> 9
    total = esp_first + esp_sectors + (1 << 20) // SECTOR  # 1 MiB behind: the backup GPT
    last = total - 1
    last_usable = last - GPT_ARRAY_SECTORS - 1
    disk_guid, part_guid = uuid.uuid4(), uuid.uuid4()
    name = "Quilt EFI system".encode("utf-16-le")
    entry = struct.pack("<16s16sQQQ72s", ESP_TYPE_GUID.bytes_le, part_guid.bytes_le, esp_first,
                        esp_first + esp_sectors - 1, 0, name)
    array = entry.ljust(GPT_ENTRIES * GPT_ENTRY_SIZE, b"\0")
    array_crc = zlib.crc32(array)
    # Protective MBR: one partition of type 0xEE over the whole disk (capped at 2^32-1 sectors).
    mbr = bytearray(SECTOR)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1,
                               min(total - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.truncate(total * SECTOR)
        f.write(mbr)
        f.write(gpt_header(1, last, 2 + GPT_ARRAY_SECTORS, last_usable, disk_guid, 2, array_crc))
        f.write(array)
        f.seek((last - GPT_ARRAY_SECTORS) * SECTOR)
        f.write(array)
        f.write(gpt_header(last, 1, 2 + GPT_ARRAY_SECTORS, last_usable, disk_guid, last - GPT_ARRAY_SECTORS,
                           array_crc))
    target = f"{tmp}@@{esp_first * SECTOR}"
    sh("mformat", "-i", target, "-T", str(esp_sectors), "-H", str(esp_first), "-F", "-v", "QUILT", "::")
    fill_esp(target, efi, kernel, archive, cmdline)
    os.replace(tmp, out)


def firmware():
    code = os.environ.get("OVMF_CODE") or "/usr/share/OVMF/OVMF_CODE_4M.fd"
    vars_ = os.environ.get("OVMF_VARS") or "/usr/share/OVMF/OVMF_VARS_4M.fd"
    for p in (code, vars_):
        if not os.path.exists(p):
            sys.exit(f"qemu.py: firmware {p} not found (install the ovmf package or set OVMF_CODE/OVMF_VARS)")
    return code, vars_


def accel():
    # /dev/kvm exists on these machines but KVM fails at the first MSR write
    # with -cpu max, so TCG is the default; QUILT_ACCEL=kvm opts in.
    return ["-accel", os.environ.get("QUILT_ACCEL", "tcg")]


def qemu_command(image, vars_copy, smp=2, mem="512M", machine="q35", cpu="max", serial="stdio", extra=(),
                 debug_exit=True, no_reboot=True, usb=False, display="none"):
    """The QEMU command line. @debug_exit: the isa-debug-exit device (the kernel's exit codes);
    @no_reboot: a reset ends QEMU instead of restarting the machine. The power tests turn both
    off, so that only the machine's own power-off can end QEMU. @usb: @image is a USB stick
    (a mass-storage device on an xHCI controller) instead of the machine's disk. @display: QEMU's
    -display (none: the screen exists, screendumps see it, nothing shows it)."""
    code, _ = firmware()
    disk = (["-device", "qemu-xhci,id=xhci", "-drive", f"if=none,id=stick,format=raw,file={image}",
             "-device", "usb-storage,bus=xhci.0,drive=stick,removable=on"] if usb
            else ["-drive", f"format=raw,file={image}"])
    return ["qemu-system-x86_64", "-machine", machine, "-cpu", cpu, "-smp", str(smp), "-m", mem,
            *accel(),
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
            "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
            *disk,
            "-net", "none", "-display", display, *(["-no-reboot"] if no_reboot else []),
            *(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] if debug_exit else []),
            "-serial", serial, *extra]


def fresh_vars(workdir):
    _, vars_ = firmware()
    fd, path = tempfile.mkstemp(prefix="ovmf_vars.", suffix=".fd", dir=workdir)
    os.close(fd)
    shutil.copyfile(vars_, path)
    return path


# A boot whose serial output keeps growing may run this many times its
# quiet-time limit in all (then it is a runaway, not a slow machine). 4 was
# too few: the 4-CPU user boot (stress_futex, mm_shootdown) beside another
# make test and more emulators (load 20) reported progress every minute and
# was stopped at 40 minutes, in the middle of its last test.
TOTAL_LIMIT_FACTOR = 10


def boot_captured(image, timeout, workdir, **kw):
    """Boot with serial captured. Returns (qemu_exit_code or None on timeout, output text, seconds).

    @timeout bounds the time without serial output, not the whole boot: a
    guest that keeps reporting (test results, the user tests' watchdog
    heartbeats) is slow, not hung, however loaded the host is; one that goes
    quiet for @timeout seconds is stopped. TOTAL_LIMIT_FACTOR * @timeout caps
    the whole boot."""
    os.makedirs(workdir, exist_ok=True)
    timeout = timeout * timeout_scale() if timeout else timeout
    vars_copy = fresh_vars(workdir)
    log = tempfile.NamedTemporaryFile(prefix="serial.", suffix=".log", dir=workdir, delete=False)
    log.close()
    errlog = tempfile.TemporaryFile(dir=workdir)
    cmd = qemu_command(image, vars_copy, serial=f"file:{log.name}", **kw)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=errlog, start_new_session=True)
    code, size, last_output = None, 0, start
    while True:
        try:
            code = proc.wait(timeout=1)
            break
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        grown = os.path.getsize(log.name)
        if grown != size:
            size, last_output = grown, now
        if timeout and (now - last_output > timeout or now - start > TOTAL_LIMIT_FACTOR * timeout):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
            break
    elapsed = time.monotonic() - start
    errlog.seek(0)
    err = errlog.read() if code is not None else b""
    errlog.close()
    with open(log.name, "rb") as f:
        out = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
    os.unlink(log.name)
    os.unlink(vars_copy)
    if err and code not in (EXIT_SUCCESS, EXIT_FAILURE, EXIT_PANIC):
        out += "\n[qemu stderr] " + err.decode("utf-8", "replace")
    keep_serial(os.path.splitext(os.path.basename(image))[0], out)
    return code, out, elapsed


def run_teed(cmd, timeout, name):
    """Run QEMU with its output both on stdout and kept (keep_serial)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    chunks, deadline = [], time.monotonic() + timeout if timeout else None
    try:
        while True:
            if deadline and time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise subprocess.TimeoutExpired(cmd, timeout)
            chunk = os.read(proc.stdout.fileno(), 65536) if select.select([proc.stdout], [], [], 0.5)[0] else None
            if chunk == b"":
                break
            if chunk:
                sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
                chunks.append(chunk)
        return proc.wait()
    finally:
        keep_serial(name, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n"))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    im = sub.add_parser("image")
    im.add_argument("out")
    im.add_argument("--efi", required=True)
    im.add_argument("--kernel", required=True)
    im.add_argument("--archive")
    im.add_argument("--cmdline", default="")
    im.add_argument("--usb", action="store_true", help="a GPT disk for a USB stick, not a bare ESP")
    rn = sub.add_parser("run")
    rn.add_argument("image")
    rn.add_argument("--smp", default="2")
    rn.add_argument("--mem", default="512M")
    rn.add_argument("--machine", default="q35")
    rn.add_argument("--cpu", default="max")
    rn.add_argument("--timeout", type=float, default=0)
    rn.add_argument("--usb", action="store_true", help="attach the image as a USB stick on xHCI")
    rn.add_argument("--display", default="none", help="QEMU's -display (make run DESKTOP=1: default)")
    rn.add_argument("extra", nargs="*")
    a = ap.parse_args()
    if a.cmd == "image":
        (make_usb_image if a.usb else make_image)(a.out, a.efi, a.kernel, a.archive, a.cmdline)
        return 0
    workdir = os.path.dirname(os.path.abspath(a.image))
    vars_copy = fresh_vars(workdir)
    serial = "mon:stdio" if sys.stdin.isatty() else "stdio"
    cmd = qemu_command(a.image, vars_copy, smp=a.smp, mem=a.mem, machine=a.machine, cpu=a.cpu,
                       serial=serial, extra=a.extra, usb=a.usb, display=a.display)
    timeout = a.timeout * timeout_scale() if a.timeout else None
    try:
        if os.environ.get("QUILT_SERIAL_DIR"):
            code = run_teed(cmd, timeout, os.path.splitext(os.path.basename(a.image))[0])
        else:
            code = subprocess.run(cmd, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        print("\nqemu.py: timed out", file=sys.stderr)
        return 124
    finally:
        os.unlink(vars_copy)
    if code == EXIT_SUCCESS:
        return 0
    if code == EXIT_PANIC:
        print("\nqemu.py: the kernel panicked", file=sys.stderr)
        return 2
    if code == EXIT_FAILURE:
        return 1
    print(f"\nqemu.py: QEMU exited with code {code} (no status from the kernel)", file=sys.stderr)
    return 1 if code == 0 else code


if __name__ == "__main__":
    sys.exit(main())
