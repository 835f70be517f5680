#!/usr/bin/env python3
"""Boot-to-verdict time of the example kernel on 1 and on 4 CPUs (informative).

``python3 benchmarks/smp_boot.py [--cpus 1 4] [--runs 3]`` builds examples/kernel
(GAS variant) once, boots it in QEMU (TCG) with ``-smp N`` ``--runs`` times per
CPU count, and prints a Markdown table of the wall time from starting QEMU to
its exit with the kernel's success status. Every boot must pass (``ALL CHECKS
PASSED`` and the isa-debug-exit status); a failing boot stops the measurement.

Under TCG all CPUs share one host thread (QEMU's default round-robin TCG for
``-smp``), so the figures grow with the CPU count: every AP runs its own checks,
including two ring-3 tasks that each take 1000 timer interrupts. The numbers
depend on the host and its load; they are not part of ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL_DIR = ROOT / "examples" / "kernel"
SUCCESS_STATUS = (0x21 << 1) | 1  # examples/kernel/abi.h EXIT_SUCCESS_VALUE through isa-debug-exit
SUCCESS_LINE = "ALL CHECKS PASSED"
#: examples/kernel/Makefile's CPU: FSGSBASE and RDTSCP for its paranoid entries
QEMU_FLAGS = ["-M", "q35", "-cpu", "qemu64,+fsgsbase,+rdtscp", "-accel", "tcg", "-m", "64M",
              "-display", "none", "-no-reboot", "-monitor", "none",
              "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]  # fmt: skip
TIMEOUT = 120.0


class BootFailed(Exception):
    """A boot did not end with the kernel's success status and line."""


def build_kernel(work: Path) -> Path:
    """The example kernel's GAS variant, built into ``work`` by its Makefile."""
    subprocess.run(
        ["make", "-s", "-C", str(KERNEL_DIR), "VARIANT=gas", f"BUILD={work}", "kernel"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return work / "kernel.elf"


def boot_seconds(kernel: Path, cpus: int, log: Path) -> float:
    """Wall time of one boot on ``cpus`` CPUs, from starting QEMU to its exit after the verdict."""
    cmd = ["qemu-system-x86_64", *QEMU_FLAGS, "-smp", str(cpus), "-kernel", str(kernel), "-serial", f"file:{log}"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    elapsed = time.perf_counter() - start
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    if proc.returncode != SUCCESS_STATUS or not lines or lines[-1] != SUCCESS_LINE:
        tail = "\n".join(lines[-5:])
        raise BootFailed(f"{cpus} CPU(s): QEMU exit status {proc.returncode}, log ends:\n{tail}\n{proc.stderr}")
    return elapsed


def table(results: dict[int, list[float]]) -> str:
    """The Markdown table of the measured boots."""
    rows = ["| CPUs | boots | median (s) | min (s) | max (s) |", "|---:|---:|---:|---:|---:|"]
    for cpus, times in results.items():
        rows.append(f"| {cpus} | {len(times)} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cpus", type=int, nargs="+", default=[1, 4], help="CPU counts to boot (1..8)")
    parser.add_argument("--runs", type=int, default=3, help="boots per CPU count")
    args = parser.parse_args(argv)
    if not all(1 <= c <= 8 for c in args.cpus) or args.runs < 1:
        parser.error("--cpus takes 1..8, --runs at least 1")
    with tempfile.TemporaryDirectory(prefix="isrgen-smp-bench-") as tmp:
        work = Path(tmp)
        kernel = build_kernel(work / "build")
        results: dict[int, list[float]] = {}
        try:
            for cpus in args.cpus:
                results[cpus] = [boot_seconds(kernel, cpus, work / f"serial-{cpus}-{i}.log") for i in range(args.runs)]
        except BootFailed as e:
            print(f"boot failed: {e}", file=sys.stderr)
            return 1
    print("Example kernel, boot to verdict under QEMU TCG (wall time; informative, host-dependent):\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
