#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make profile: where the guest's CPUs spend their time during a benchmark.

Boots the production kernel with `/bin/bench ARGS` (usually a `count N name`
run) and QEMU's gdbstub, then, between the serial log's `# count start` and
`# count end` lines (or from the first sample to the end of the run when there
are none), stops the machine RATE times a second, reads every vCPU's
instruction pointer, lets it go on, and prints per vCPU the share of samples
in each kernel or /bin/bench function.

Reading it: TCG stops a vCPU only between translated blocks, so a sample names
the block about to run, which is usually the one right after the time spent
(the caller after a call, a loop's head). Stopping the machine costs time the
guest does not see (its clock stops too), so the shares hold while the run
itself takes longer than without the profiler.
"""
import argparse
import bisect
import collections
import glob
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boots import Build, boot  # noqa: E402


class GdbStub:
    """The few packets of the GDB remote protocol that sampling needs."""

    def __init__(self, port):
        for _ in range(100):
            try:
                self.sock = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise OSError(f"no gdbstub on port {port}")
        # One packet in flight at a time: without this, Nagle and delayed ACKs add 40 ms a packet.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise OSError("gdbstub closed")
        self.buf += data

    def packet(self):
        """The next packet's payload (acknowledged)."""
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start) if start >= 0 else -1
            if end >= 0 and len(self.buf) >= end + 3:
                data = self.buf[start + 1:end]
                self.buf = self.buf[end + 3:]
                self.sock.sendall(b"+")
                return data.decode()
            self._more()

    def send(self, data, reply=True):
        self.sock.sendall(f"${data}#{sum(data.encode()) & 0xff:02x}".encode())
        while not self.buf:
            self._more()
        if self.buf[:1] == b"+":
            self.buf = self.buf[1:]
        return self.packet() if reply else None

    def interrupt(self):
        self.sock.sendall(b"\x03")
        return self.packet()


def symbols(elf):
    """(sorted start addresses, names) of @elf's functions."""
    out = subprocess.run(["nm", "-n", "--defined-only", elf], capture_output=True, text=True).stdout
    addrs, names = [], []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return addrs, names


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--rate", type=float, default=500, help="samples a second (wall clock)")
    ap.add_argument("--top", type=int, default=25, help="functions listed per vCPU")
    ap.add_argument("args", help="/bin/bench's arguments, e.g. \"count 3000 mmap_populate_munmap_256p\"")
    a = ap.parse_args()
    build = Build(a.build, logs=os.path.join(a.build, "profile-logs"))  # its own: it reads the live serial log
    port = free_port()
    for old in glob.glob(os.path.join(build.logs, "serial.*.log")):
        os.unlink(old)
    result = {}

    def run():
        result["boot"] = boot(build, "profile", f"qemu_exit -- /bin/bench {a.args}", timeout=240, machine="q35",
                              smp=a.smp, mem="512M", extra=["-gdb", f"tcp:127.0.0.1:{port}"])

    booting = threading.Thread(target=run)
    booting.start()

    def serial():
        for path in glob.glob(os.path.join(build.logs, "serial.*.log")):
            try:
                with open(path, errors="replace") as f:
                    return f.read()
            except FileNotFoundError:
                pass
        return ""

    counted = "count " in f" {a.args}"
    while counted and "# count start" not in serial():
        if not booting.is_alive():
            sys.exit("profile: the boot ended before `# count start`")
        time.sleep(0.02)
    gdb = GdbStub(port)  # QEMU stops the machine when the debugger connects
    first = gdb.send("qSupported")
    if first.startswith(("T", "S")):
        gdb.packet()  # the stop reply came first; this is qSupported's
    threads, reply = [], gdb.send("qfThreadInfo")
    while reply.startswith("m"):
        threads += reply[1:].split(",")
        reply = gdb.send("qsThreadInfo")
    samples = collections.Counter()
    rounds = 0
    try:
        while True:
            for t in threads:
                gdb.send(f"Hg{t}")
                regs = gdb.send("g")  # rax..r15 (16 x 8 bytes), then rip
                samples[(t, int.from_bytes(bytes.fromhex(regs[256:272]), "little"))] += 1
            rounds += 1
            gdb.send("c", reply=False)
            if "# count end" in serial():
                break
            time.sleep(1 / a.rate)
            gdb.interrupt()
    except OSError:
        pass  # the machine ended (no count lines)
    try:
        gdb.send("D", reply=False)
    except OSError:
        pass
    booting.join()
    tables = [symbols(os.path.join(build.root, "kernel", "kernel.elf")),
              symbols(os.path.join(build.root, "user", "bin", "bench"))]

    def name(ip):
        for addrs, names in tables:
            i = bisect.bisect_right(addrs, ip) - 1
            if i >= 0 and ip - addrs[i] < 0x10000:  # no function is that long
                return names[i]
        return f"{ip:#x}"

    print(f"profile: /bin/bench {a.args}: {rounds} samples a vCPU, SMP={a.smp}")
    for cpu, t in enumerate(threads):
        per = collections.Counter()
        for (thread, ip), n in samples.items():
            if thread == t:
                per[name(ip)] += n
        total = sum(per.values()) or 1
        print(f"vCPU {cpu}:")
        for fn, n in per.most_common(a.top):
            print(f"  {100.0 * n / total:5.1f}%  {n:6d}  {fn}")


if __name__ == "__main__":
    main()
