#!/usr/bin/env python3
"""Boot the i386 example kernel in QEMU and play the user: type keys and send the NMI.

    python3 boot.py KERNEL --log LOG --status STATUS [--keys "i s r shift-g ret"]

QEMU's monitor listens on a unix socket next to the log. The script waits for the
kernel's ``READY`` line, types each key with ``sendkey`` (waiting until the kernel
has logged it before the next), waits for the panic to reach the halt, sends ``nmi``
to wake it into the post-mortem, and writes QEMU's exit status to STATUS (124 on a
timeout, like timeout(1)). It checks nothing itself: ``make run`` and the tests do.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QEMU_FLAGS = [
    "-M", "pc", "-accel", "tcg", "-m", "32M", "-display", "none", "-no-reboot",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
]  # fmt: skip
KEY_LINE = "key "
READY = "READY for keys"
HALTING = "panic: clearing registers and halting"


class Timeout(Exception):
    pass


def wait_for(log: Path, predicate, deadline: float, proc: subprocess.Popen[bytes]) -> str:
    while True:
        text = log.read_text(errors="replace") if log.exists() else ""
        if predicate(text):
            return text
        if proc.poll() is not None:
            raise Timeout(f"QEMU exited ({proc.returncode}) while waiting")
        if time.monotonic() > deadline:
            raise Timeout("timed out")
        time.sleep(0.02)


def read_prompt(sock: socket.socket, deadline: float) -> bytes:
    """Read the monitor's output up to its next ``(qemu)`` prompt."""
    out = b""
    while not out.rstrip().endswith(b"(qemu)"):
        if time.monotonic() > deadline:
            raise Timeout("no QEMU monitor prompt")
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        if not chunk:
            raise Timeout("the QEMU monitor closed")
        out += chunk
    return out


def monitor(sock: socket.socket, command: str, deadline: float) -> str:
    sock.sendall(command.encode() + b"\n")
    return read_prompt(sock, deadline).decode(errors="replace")


def connect(path: str, deadline: float, proc: subprocess.Popen[bytes]) -> socket.socket:
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise Timeout("cannot connect to the QEMU monitor")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(1.0)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            time.sleep(0.02)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kernel")
    ap.add_argument("--log", required=True, type=Path)
    ap.add_argument("--status", required=True, type=Path)
    ap.add_argument("--keys", default="i s r shift-g ret")
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument(
        "--no-nmi",
        action="store_true",
        help="instead of the NMI, write the halted CPU's registers (monitor `info registers`) "
        "to the file given by --registers and quit QEMU",
    )
    ap.add_argument("--registers", type=Path, help="where --no-nmi writes the register dump")
    args = ap.parse_args()

    args.log.unlink(missing_ok=True)
    args.status.unlink(missing_ok=True)
    sockdir = tempfile.mkdtemp(prefix="isrgen-qemu-")
    sock_path = os.path.join(sockdir, "monitor.sock")
    argv = [args.qemu, *QEMU_FLAGS, "-kernel", args.kernel, "-serial", f"file:{args.log}",
            "-monitor", f"unix:{sock_path},server=on,wait=off"]  # fmt: skip
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + args.timeout
    status = 124
    try:
        with connect(sock_path, deadline, proc) as sock:
            read_prompt(sock, deadline)
            wait_for(args.log, lambda t: READY in t, deadline, proc)
            for key in args.keys.split():
                seen = wait_for(args.log, lambda t: True, deadline, proc).count(KEY_LINE)
                monitor(sock, f"sendkey {key}", deadline)
                if key not in ("ret", "kp_enter"):
                    wait_for(args.log, lambda t, n=seen: t.count(KEY_LINE) > n, deadline, proc)
            wait_for(args.log, lambda t: HALTING in t, deadline, proc)
            if args.no_nmi:
                # the CPU halts right after the line is printed: wait for hlt before looking
                dump = ""
                while "HLT=1" not in dump:
                    dump = monitor(sock, "info registers", deadline)
                if args.registers:
                    args.registers.write_text(dump)
                sock.sendall(b"quit\n")
            else:
                monitor(sock, "nmi", deadline)
            status = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except (Timeout, subprocess.TimeoutExpired) as exc:
        print(f"boot.py: {exc}", file=sys.stderr)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        status = 124 if proc.returncode in (None, -9) else proc.returncode
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if os.path.exists(sock_path):
            os.unlink(sock_path)
        os.rmdir(sockdir)
    args.status.write_text(f"{status}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
