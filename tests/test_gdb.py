"""Debugging a real kernel: QEMU's gdb stub, the generated CFI and the generated gdb script.

The minikernel page-faults in ``interrupted_function``; gdb breaks in the
handler, and ``bt`` must reach the interrupted function through the interrupt
frame (CFI).  The same session runs the generated ``isr-frame``/``isr-restore``
commands.  A control run with the CFI stripped shows the backtrace check can fail.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from conftest import DEFAULT_SPEC, load_x86, require_tool
from minikernel_build import build_kernel

import isrgen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _debug_session(kernel: Path, script: Path, commands: list[str]) -> str:
    """Boot ``kernel`` halted under QEMU's gdb stub, run gdb ``commands`` in batch mode; gdb's output."""
    require_tool("qemu-system-x86_64", "gdb")
    port = _free_port()
    qemu = subprocess.Popen(
        [
            "qemu-system-x86_64", "-accel", "tcg", "-M", "pc", "-display", "none", "-no-reboot",
            "-serial", f"file:{kernel.parent / 'serial.log'}",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", str(kernel), "-S", "-gdb", f"tcp:127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        setup = ["set pagination off", "set confirm off", "set tcp connect-timeout 20", f"file {kernel}"]
        setup += [f"source {script}", f"target remote 127.0.0.1:{port}", "hbreak isr_dispatch", "continue"]
        args = ["gdb", "-nx", "--batch"]
        for cmd in setup + commands:
            args += ["-ex", cmd]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
        return proc.stdout + proc.stderr
    finally:
        qemu.kill()
        qemu.wait(timeout=30)


@pytest.fixture(scope="module")
def debug_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    spec = load_x86(DEFAULT_SPEC)
    work = tmp_path_factory.mktemp("gdbkernel")
    kernel = build_kernel(spec, work)
    (script,) = isrgen.build(spec, work, ["gdb"])
    return kernel, script


def _backtrace(output: str, marker: str) -> list[str]:
    """The ``#N`` lines of the backtrace printed after ``echo marker``."""
    section = output.split(marker, 1)[1]
    lines = []
    for line in section.splitlines():
        if line.startswith("#"):
            lines.append(line)
        elif lines:
            break
    return lines


def test_backtrace_and_gdb_commands_in_qemu(debug_build: tuple[Path, Path]) -> None:
    kernel, script = debug_build
    out = _debug_session(
        kernel,
        script,
        [
            "echo ==BT1==\\n", "bt",
            "echo ==FRAME==\\n", "isr-frame frame",
            "echo ==RESTORE==\\n", "isr-restore frame",
            "echo ==BT2==\\n", "bt",
            "echo ==REGS==\\n", "p/x $rdi",
            "isr-unrestore",
            "echo ==BT3==\\n", "bt",
        ],
    )  # fmt: skip
    bt1 = _backtrace(out, "==BT1==")
    assert bt1 and "isr_dispatch" in bt1[0], out
    # The unwinder crossed the interrupt frame (CFI with .cfi_signal_frame) into the faulting code.
    assert any("<signal handler called>" in ln for ln in bt1), out
    names = [ln for ln in bt1 if "interrupted_function" in ln or "kmain" in ln]
    assert len(names) == 2 and "interrupted_function" in names[0], out

    frame_text = out.split("==FRAME==", 1)[1].split("==RESTORE==", 1)[0]
    fields = dict(re.findall(r"^\s+\+\d+\s+(\w+)\s+(0x[0-9a-f]+.*)$", frame_text, re.M))
    assert fields["vector"].split()[1] == "page_fault"
    assert int(fields["error_code"].split()[0], 16) == 2
    assert "P=0 (page not present), W=1 (write), U=0 (supervisor mode)" in fields["error_code"]
    assert "<interrupted_function" in fields["rip"]
    assert "ring 0" in fields["cs"]
    assert int(fields["rdi"].split()[0], 16) == 0x80000000  # the argument of the faulting write

    bt2 = _backtrace(out, "==BT2==")
    assert bt2 and "interrupted_function" in bt2[0] and "kmain" in bt2[1], out
    assert "$1 = 0x80000000" in out.split("==REGS==", 1)[1]
    bt3 = _backtrace(out, "==BT3==")
    assert bt3 and "isr_dispatch" in bt3[0], out


def test_backtrace_without_cfi_does_not_reach_interrupted_code(tmp_path: Path) -> None:
    spec = load_x86(DEFAULT_SPEC)

    def strip_cfi(text: str) -> str:
        stripped = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith(".cfi_"))
        assert stripped != text
        return stripped + "\n"

    kernel = build_kernel(spec, tmp_path, edit_asm=strip_cfi)
    (script,) = isrgen.build(spec, tmp_path, ["gdb"])
    out = _debug_session(kernel, script, ["echo ==BT1==\\n", "bt 8"])
    bt = _backtrace(out, "==BT1==")
    assert bt and "isr_dispatch" in bt[0], out
    assert not any("interrupted_function" in ln for ln in bt), out


def _load_script(path: Path) -> ModuleType:
    loader_spec = importlib.util.spec_from_file_location("isr_gdb_script", path)
    assert loader_spec is not None and loader_spec.loader is not None
    module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(module)
    return module


def test_generated_decoders_outside_gdb(tmp_path: Path) -> None:
    (script,) = isrgen.build(load_x86(DEFAULT_SPEC), tmp_path, ["gdb"])
    m = _load_script(script)
    # specs/x86_64.yaml: 15 saved GPRs + vector + error code (17 words), then the 5-word
    # IA-32e interrupt frame RIP, CS, RFLAGS, RSP, SS (SDM Vol. 3A 6.14.2): 22 x 8 = 176 bytes
    assert m.FRAME_SIZE == 176
    # Page fault: present, user, instruction fetch (SDM Vol. 3A 6.15).
    assert m.decode_error_code(14, 0x15) == (
        "P=1 (protection violation), W=0 (read), U=1 (user mode), I=1 (instruction fetch)"
    )
    # #GP on loading selector 0x1230 (GDT index 0x246); #NP on an LDT selector; an IDT-vector code.
    assert m.decode_error_code(13, 0x1230) == "EXT=0 (not external), IDT=0, TI=0: GDT index 582 (selector 0x1230)"
    assert m.decode_error_code(11, 0x0C) == "EXT=0 (not external), IDT=0, TI=1: LDT index 1 (selector 0xc)"
    assert m.decode_error_code(13, (0x80 << 3) | 0b011) == "EXT=1 (external event), IDT=1, TI=0: IDT vector 128"
    assert m.decode_error_code(3, 0).startswith("synthetic")
    raw = bytes(range(m.FRAME_SIZE))
    values = m.parse_frame(raw)
    assert values["r15"] == int.from_bytes(bytes(range(8)), "little")
    lines = m.format_frame(0x1000, {**values, "vector": 13, "error_code": 0x1230})
    assert any("general_protection" in ln for ln in lines)
    assert any("GDT index 582" in ln for ln in lines)
