"""The gdb script: ESR decoding against Arm ARM encodings, and `isr-frame` run by a real
gdb on a frame stored in an ELF file (read from the file: no target needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from a64_helpers import kernel_spec
from conftest import require_tool, run

from isrgen.arch.aarch64.gdbview import render_gdb_script


def script_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {}
    exec(compile(render_gdb_script(kernel_spec()), "isr-gdb.py", "exec"), ns)
    return ns


def test_esr_decoding() -> None:
    decode = script_namespace()["decode_esr"]
    # EC 0x25 (data abort, same EL), IL=1, ISS: WnR (bit 6) = 1, DFSC 0b000101 (translation fault, level 1)
    assert decode(0x9600_0045) == "EC=0x25 (data abort from the same EL), IL=1, ISS=0x0000045, WnR=1, FSC=0x05"
    # EC 0x15 (SVC from AArch64) with imm16 = 0x2a
    assert decode((0x15 << 26) | (1 << 25) | 0x2A).endswith("imm16=0x002a")
    # EC 0x00: unknown reason (an undefined instruction)
    assert decode(1 << 25).startswith("EC=0x00 (unknown reason")


def test_isr_frame_command_in_gdb(tmp_path: Path) -> None:
    require_tool("gdb", "as", "ld")
    spec = kernel_spec()
    values = [0x1000 + i for i in range(31)] + [0x7FFF_F000, 0x40_1234, 0x8000_0000, 0x9600_0045, 0xDEAD_0000, 8, 0]
    qwords = values + [0x5151_0000 + i for i in range(64)] + [0x0300_0000, 0x10]
    assert 8 * len(qwords) == 832
    (tmp_path / "frame.s").write_text(
        ".data\n.globl test_frame\ntest_frame:\n"
        + "".join(f".quad {v:#x}\n" for v in qwords)
        + ".text\n.globl _start\n_start:\nret\n"
    )
    run(["as", "-o", str(tmp_path / "frame.o"), str(tmp_path / "frame.s")])
    run(["ld", "-o", str(tmp_path / "frame.elf"), str(tmp_path / "frame.o")])
    (tmp_path / "isr-gdb.py").write_text(render_gdb_script(spec))
    out = run(["gdb", "-nx", "-batch", str(tmp_path / "frame.elf"), "-ex", f"source {tmp_path / 'isr-gdb.py'}",
               "-ex", "isr-frame &test_frame"]).stdout  # fmt: skip
    lines = out.splitlines()
    assert "x5       0x0000000000001005" in lines
    assert "elr      0x0000000000401234" in lines
    assert any(line.startswith("kind     0x0000000000000008  (el0_64_sync)") for line in lines)
    assert any("EC=0x25 (data abort from the same EL)" in line for line in lines)
    assert "FAR 0x00000000dead0000 (valid)" in lines
    assert "q1       0x00000000515100030000000051510002" in lines
