"""The riscv64 gdb script: scause/sstatus decoding against the privileged spec, frames
read by ABI register name from hand-laid images (offsets written here from the specs'
layouts), and the script loaded and run by the host's real gdb (no riscv target needed)."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import ROOT, require_tool, run
from riscv64_tools import load

from isrgen.arch.riscv64.gdbview import render_gdb_script
from isrgen.arch.riscv64.resolve import load_riscv64_spec

SPEC = ROOT / "specs" / "riscv64.yaml"
PT_REGS = ROOT / "specs" / "examples" / "riscv64_linux_pt_regs.yaml"
XV6 = ROOT / "specs" / "examples" / "riscv64_xv6_trampoline.yaml"

#: specs/riscv64.yaml's layout: x1-x31 in this order from offset 0, then the CSRs (8 bytes each)
SPEC_GPRS = ["ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6",
             "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"]  # fmt: skip
SEPC, SSTATUS, STVAL, SCAUSE, ORIG_A0, SIZE = 248, 256, 264, 272, 280, 288
#: sstatus.SPP is bit 8, SPIE bit 5, SIE bit 1 (priv 4.1.1)
SSTATUS_FROM_S_SPIE = (1 << 8) | (1 << 5)


def namespace(path: Path) -> dict[str, Any]:
    ns: dict[str, Any] = {}
    exec(compile(render_gdb_script(load(path)), "isr-gdb.py", "exec"), ns)
    return ns


def spec_image(scause: int) -> bytes:
    words = {8 * i: 0x1000 + i for i in range(31)}
    words |= {SEPC: 0x8020_1234, SSTATUS: SSTATUS_FROM_S_SPIE, STVAL: 0xDEAD_0000, SCAUSE: scause, ORIG_A0: 0x77}
    image = bytearray(SIZE)
    for offset, value in words.items():
        struct.pack_into("<Q", image, offset, value)
    return bytes(image)


def reader(image: bytes, base: int) -> Callable[[int, int], bytes]:
    def read(address: int, size: int) -> bytes:
        assert base <= address and address + size <= base + len(image)
        return image[address - base : address - base + size]

    return read


def test_scause_decoding() -> None:
    decode = namespace(SPEC)["decode_cause"]
    # priv 4.1.9, table 4.2: interrupt bit is bit 63 (XLEN-1)
    assert decode(0x8000_0000_0000_0005) == "interrupt 5: supervisor timer interrupt"
    assert decode(0x8000_0000_0000_0001) == "interrupt 1: supervisor software interrupt"
    assert decode(0x8000_0000_0000_0009) == "interrupt 9: supervisor external interrupt"
    assert decode(8) == "exception 8: environment call from U-mode"
    assert decode(13) == "exception 13: load page fault"
    assert decode(2) == "exception 2: illegal instruction"
    assert decode(15) == "exception 15: store/AMO page fault"
    assert decode(5) == "exception 5: load access fault"  # the same code without bit 63
    assert decode(10).startswith("exception 10: reserved")


def test_sstatus_decoding() -> None:
    decode = namespace(SPEC)["decode_status"]
    assert decode(SSTATUS_FROM_S_SPIE) == "SPP=S, SPIE=1, SIE=0"
    assert decode(1 << 1) == "SPP=U, SPIE=0, SIE=1"
    assert decode(0) == "SPP=U, SPIE=0, SIE=0"


def test_frame_printed_by_abi_name() -> None:
    ns = namespace(SPEC)
    (table,) = ns["FRAMES"]
    values = ns["frame_values"](table, reader(spec_image(13), 0x4000), 0x4000)
    lines = ns["describe"](table, values)
    for i, name in enumerate(SPEC_GPRS):
        assert f"{name:<8} {0x1000 + i:#018x}" in lines
    assert "sepc     0x0000000080201234" in lines
    assert "sstatus  0x0000000000000120  SPP=S, SPIE=1, SIE=0" in lines
    assert "stval    0x00000000dead0000" in lines
    assert "scause   0x000000000000000d  exception 13: load page fault" in lines
    assert "orig_a0  0x0000000000000077" in lines


def test_renamed_fields_keyed_on_what_they_hold() -> None:
    # specs/examples/riscv64_linux_pt_regs.yaml: epc (sepc) at 0, x1-x31 at 8..248,
    # status (sstatus) 256, badaddr (stval) 264, cause (scause) 272, orig_a0 280
    image = bytearray(288)
    struct.pack_into("<Q", image, 0, 0xFFFF_FFFF_8000_1000)
    for i in range(31):
        struct.pack_into("<Q", image, 8 + 8 * i, 0x2000 + i)
    struct.pack_into("<4Q", image, 256, 0x100, 0x1234, 0x8000_0000_0000_0005, 0x99)
    ns = namespace(PT_REGS)
    (table,) = ns["FRAMES"]
    values = ns["frame_values"](table, reader(bytes(image), 0), 0)
    lines = ns["describe"](table, values)
    assert "sepc     0xffffffff80001000  .epc" in lines
    assert "ra       0x0000000000002000" in lines
    assert "t6       0x000000000000201e" in lines
    assert "stval    0x0000000000001234  .badaddr" in lines
    assert "scause   0x8000000000000005  .cause  interrupt 5: supervisor timer interrupt" in lines
    assert "sstatus  0x0000000000000100  .status  SPP=S, SPIE=0, SIE=0" in lines
    commands = ns["restore_commands"](table, values)
    assert commands[0] == "set $ra = 0x2000"
    assert "set $sp = 0x2001" in commands and "set $s0 = 0x2007" in commands
    assert commands[-1] == "set $pc = 0xffffffff80001000"
    assert len(commands) == 32


def test_kernel_entry_frame_has_its_own_commands() -> None:
    ns = namespace(XV6)
    user, kernel = ns["FRAMES"]
    assert (user["frame_command"], kernel["frame_command"]) == ("xv6-frame", "xv6-kernel-frame")
    assert kernel["restore_command"] == "xv6-kernel-restore"
    # xv6's kernel_regs saves no sepc: the restore leaves pc alone
    assert [r for r, _ in kernel["restore"]] == SPEC_GPRS
    # trapframe: kernel_satp 0, kernel_sp 8, kernel_trap 16, epc 24, kernel_hartid 32, ra 40
    fields = {label: offset for label, _, offset, _ in user["fields"]}
    assert (fields["kernel_satp"], fields["sepc"], fields["kernel_hartid"], fields["ra"], fields["t6"]) == (
        0, 24, 32, 40, 280
    )  # fmt: skip


def test_script_loads_and_prints_in_gdb(tmp_path: Path) -> None:
    require_tool("gdb", "as", "ld")
    image = spec_image(0x8000_0000_0000_0005)
    (tmp_path / "frame.s").write_text(
        ".data\n.globl test_frame\ntest_frame:\n"
        + "".join(f".quad {v:#x}\n" for v in struct.unpack(f"<{SIZE // 8}Q", image))
        + ".text\n.globl _start\n_start:\nret\n"
    )
    run(["as", "-o", str(tmp_path / "frame.o"), str(tmp_path / "frame.s")])
    run(["ld", "-o", str(tmp_path / "frame.elf"), str(tmp_path / "frame.o")])
    (tmp_path / "isr-gdb.py").write_text(render_gdb_script(load(SPEC)))
    out = run(["gdb", "-nx", "-batch", str(tmp_path / "frame.elf"), "-ex", f"source {tmp_path / 'isr-gdb.py'}",
               "-ex", "trap-frame &test_frame", "-ex", "help trap-restore"]).stdout  # fmt: skip
    lines = out.splitlines()
    assert "ra       0x0000000000001000" in lines
    assert "s11      0x000000000000101a" in lines
    assert "sepc     0x0000000080201234" in lines
    assert "scause   0x8000000000000005  interrupt 5: supervisor timer interrupt" in lines
    assert "sstatus  0x0000000000000120  SPP=S, SPIE=1, SIE=0" in lines
    assert any("Load the registers saved in the trap frame" in line for line in lines)


def test_machine_mode_frame_decodes_mstatus_mpp() -> None:
    text = SPEC.read_text().replace("mode: supervisor ", "mode: machine #")
    text = re.sub(r"syscall:\n(  .*\n)+", "", text)
    text = text.replace("sepc, sstatus, stval, scause", "mepc, mstatus, mtval, mcause")
    ns: dict[str, Any] = {}
    exec(compile(render_gdb_script(load_riscv64_spec(text, "machine.yaml")), "isr-gdb.py", "exec"), ns)
    # mstatus: MPP bits 12:11 (3 = M, 1 = S, 0 = U), MPIE bit 7, MIE bit 3 (priv 3.1.6.1)
    assert ns["decode_status"]((3 << 11) | (1 << 7)) == "MPP=M, MPIE=1, MIE=0"
    assert ns["decode_status"]((1 << 11) | (1 << 3)) == "MPP=S, MPIE=0, MIE=1"
    assert ns["decode_status"](0) == "MPP=U, MPIE=0, MIE=0"
    assert ns["decode_cause"](0x8000_0000_0000_0007) == "interrupt 7: machine timer interrupt"
    assert ns["decode_cause"](11) == "exception 11: environment call from M-mode"
    (table,) = ns["FRAMES"]
    labels = [label for label, _, _, _ in table["fields"]]
    assert labels[31:35] == ["mepc", "mstatus", "mtval", "mcause"]
    assert table["restore"][-1] == ("pc", "mepc")


def test_restore_command_sets_registers_in_gdb(tmp_path: Path) -> None:
    # a stopped host process: $sp and $pc are real registers there, the other riscv64 names
    # become gdb convenience variables; both show what trap-restore wrote
    require_tool("gdb", "as", "ld")
    image = spec_image(8)
    (tmp_path / "frame.s").write_text(
        ".data\n.globl test_frame\ntest_frame:\n"
        + "".join(f".quad {v:#x}\n" for v in struct.unpack(f"<{SIZE // 8}Q", image))
        + ".text\n.globl _start\n_start:\nret\n"
    )
    run(["as", "-o", str(tmp_path / "frame.o"), str(tmp_path / "frame.s")])
    run(["ld", "-o", str(tmp_path / "frame.elf"), str(tmp_path / "frame.o")])
    (tmp_path / "isr-gdb.py").write_text(render_gdb_script(load(SPEC)))
    prints = [arg for name in ("ra", "sp", "a0", "s11", "t6", "pc") for arg in ("-ex", f'printf "%#lx\\n", ${name}')]
    out = run(["gdb", "-nx", "-batch", str(tmp_path / "frame.elf"), "-ex", f"source {tmp_path / 'isr-gdb.py'}",
               "-ex", "starti", "-ex", "trap-restore &test_frame", *prints]).stdout  # fmt: skip
    # x1 ra at 0, x2 sp at 8, a0 at 72, s11 at 208, t6 at 240, sepc at 248 (specs/riscv64.yaml)
    assert out.splitlines()[-6:] == ["0x1000", "0x1001", "0x1009", "0x101a", "0x101e", "0x80201234"]
