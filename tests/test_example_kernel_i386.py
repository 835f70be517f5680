"""examples/kernel-i386: build the Multiboot kernel with its Makefile (which regenerates
the glue with isrgen) and boot it with qemu-system-i386 (TCG). boot.py types keys
through the QEMU monitor (``sendkey`` over a unix socket) and sends the NMI that
wakes the panicked, halted CPU into the post-mortem.

A pass needs QEMU's exit status for the success value AND the final success line:
a triple fault exits 0 and never passes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, boot_kernel, isrgen_cmd, make_kernel, require_tool, run

KERNEL_DIR = ROOT / "examples" / "kernel-i386"
SUCCESS_STATUS = (0x2A << 1) | 1  # kernel.h EXIT_SUCCESS_VALUE through isa-debug-exit
SUCCESS_LINE = "ALL CHECKS PASSED"

#: every check the kernel must report as "ok <id>: ..."
EXPECTED_OK = [
    "multiboot",
    "register-api",
    "kernel-de",
    "kernel-gp",
    "kernel-bp",
    "timer",
    "deferred-outside-irq",
    "keyboard-eoi",
    "halted",
    "halt-cleared",
    "stack-saved",
]
#: the registers deliberate_panic() loads before its ud2 (main.c)
PANIC_REGISTERS = {
    "eax": 0xA11A11A1,
    "ebx": 0xB22B22B2,
    "ecx": 0xC33C33C3,
    "edx": 0xD44D44D4,
    "esi": 0x5E15E15E,
    "edi": 0xD15D15D1,
}

VARIANT_TOOLS = {"gas": ["gcc"], "nasm": ["nasm"]}


def make(build: Path, *args: str, variant: str = "gas") -> subprocess.CompletedProcess[str]:
    return make_kernel(KERNEL_DIR, build, *args, variant=variant)


def boot(build: Path, *args: str, variant: str = "gas") -> tuple[int, str]:
    return boot_kernel(KERNEL_DIR, build, *args, variant=variant)


def require_kernel_tools(variant: str) -> None:
    require_tool("make", "gcc", "ld", "qemu-system-i386", *VARIANT_TOOLS[variant])


@pytest.mark.parametrize("variant", ["gas", "nasm"])
def test_kernel_boots_takes_keys_and_timer_ticks_and_panics_cleanly(variant: str, tmp_path: Path) -> None:
    require_kernel_tools(variant)
    build = tmp_path / variant
    status, log = boot(build, "KEYS=i s r shift-g ret", variant=variant)
    lines = log.splitlines()
    assert lines, "no serial output at all"
    assert f"(variant {variant})" in lines[0]
    failed = [line for line in lines if line.startswith("FAIL ")]
    assert not failed, "kernel checks failed:\n" + "\n".join(failed) + "\n--- log\n" + log
    ok_ids = {m.group(1) for line in lines if (m := re.match(r"ok (\S+): ", line))}
    missing = [i for i in EXPECTED_OK if i not in ok_ids]
    assert not missing, f"checks not reported ok: {missing}\n--- log\n{log}"

    # decoded keys, in order, shift applied; the line arrives on Enter
    keys = [m.group(1) for line in lines if (m := re.fullmatch(r"key '(.)' \(scan code ([0-9a-f]{2})\)", line))]
    assert keys == ["i", "s", "r", "G"], log
    assert 'line "isrG"' in lines
    # timer ticks logged by deferred work, 25 apart
    ticks = [int(m.group(1)) for line in lines if (m := re.fullmatch(r"tick (\d+)", line))]
    assert ticks and ticks == list(range(25, 25 * len(ticks) + 1, 25)), ticks

    # the panic dump shows exactly the registers the panicking code held
    panic = next((i for i, line in enumerate(lines) if line.startswith("PANIC: invalid opcode (vector 6")), None)
    assert panic is not None, log
    dump = " ".join(lines[panic : panic + 4])
    regs = {name: int(value, 16) for name, value in re.findall(r"\b([a-z]{2,3})=([0-9a-f]+)", dump)}
    assert {r: regs[r] for r in PANIC_REGISTERS} == PANIC_REGISTERS, dump
    assert regs["cs"] == 0x08 and regs["ds"] == 0x10
    assert re.search(r"panic: saved [1-9]\d* stack words from ", log)
    halted = lines.index("panic: clearing registers and halting")
    assert halted < next(i for i, line in enumerate(lines) if line.startswith("ok halt-cleared: "))

    assert lines[-1] == SUCCESS_LINE, f"last line is not the success line\n--- log\n{log}"
    assert status == SUCCESS_STATUS, f"QEMU exit status {status}, want {SUCCESS_STATUS}\n--- log\n{log}"


def test_the_halted_cpu_has_cleared_registers_and_never_passes(tmp_path: Path) -> None:
    """Without the NMI the panicked CPU stays in isr_halt; QEMU's own register dump
    (monitor ``info registers``) shows it halted with the GPRs zero, and the run,
    ended with ``quit``, has neither the success line nor the success status."""
    require_kernel_tools("gas")
    build = tmp_path / "halted"
    make(build, "kernel")
    dump_file = build / "registers.txt"
    run([sys.executable, str(KERNEL_DIR / "boot.py"), str(build / "kernel.elf"), "--no-nmi", "--registers",
         str(dump_file), "--log", str(build / "serial.log"), "--status", str(build / "qemu.status")])  # fmt: skip
    log = (build / "serial.log").read_text(errors="replace")
    assert "panic: clearing registers and halting" in log, log
    assert SUCCESS_LINE not in log and "ok halt-cleared" not in log
    assert int((build / "qemu.status").read_text()) != SUCCESS_STATUS
    dump = dump_file.read_text()
    regs = dict(re.findall(r"\b(E[A-Z]{2})=([0-9a-f]{8})\b", dump))
    assert all(int(regs[r], 16) == 0 for r in ("EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP")), dump
    assert int(regs["ESP"], 16) != 0 and "HLT=1" in dump and "CPL=0" in dump
    eflags = int(re.search(r"EFL=([0-9a-f]{8})", dump).group(1), 16)  # type: ignore[union-attr]
    assert not eflags & 0x200, "halted with interrupts enabled"


def test_build_regenerates_the_glue_from_the_spec(tmp_path: Path) -> None:
    require_kernel_tools("gas")
    build = tmp_path / "regen"
    make(build, "kernel")
    generated = build / "gen" / "isr.S"
    assert generated.read_text().startswith("/* generated by isrgen")
    assert "iretd" in generated.read_text()
    tracked = run(["git", "ls-files", "examples/kernel-i386"], cwd=ROOT).stdout.split()
    assert not [t for t in tracked if Path(t).name in {"isr.S", "isr.h", "isr.asm"}], tracked
    with (build / "kernel.elf").open("rb") as fh:
        head = fh.read(20)
    assert head[4] == 1 and int.from_bytes(head[18:20], "little") == 3, "an ELF32 i386 image (Multiboot)"
    depfile = (build / "gen" / "isr.d").read_text()
    assert "kernel.yaml" in depfile
    # an older glue than the spec makes make rerun isrgen (dry run: nothing is changed)
    mtime = generated.stat().st_mtime
    for name in ("isr.S", "isr.h"):
        os.utime(build / "gen" / name, (mtime - 3600, mtime - 3600))
    dry = make(build, "-n", "kernel").stdout
    assert "-m isrgen build kernel.yaml" in dry, dry


def test_isrgen_verify_accepts_the_linked_kernel(tmp_path: Path) -> None:
    require_kernel_tools("gas")
    build = tmp_path / "verify"
    make(build, "kernel")
    run(isrgen_cmd("verify", "-s", str(KERNEL_DIR / "kernel.yaml"), str(build / "kernel.elf")))
