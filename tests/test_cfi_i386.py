"""i386 glue carries call-frame information (``debug.cfi``, on by default).

The oracle is the hardware and the ABI, written down here, never the generator:

- SDM Vol. 3A 6.12.1, figure 6-4: an interrupt without a privilege change pushes
  EFLAGS, CS, EIP (then the error code for the vectors of table 6-1), 4 bytes each,
  so at a stub's first instruction the CFA (the interrupted ESP) is esp+12, or
  esp+16 with an error code, and EIP/CS/EFLAGS sit at CFA-12/-8/-4;
- SDM Vol. 2B PUSHAD: EAX, ECX, EDX, EBX, the old ESP, EBP, ESI, EDI, in that order;
- i386 SysV psABI, DWARF register numbers: eax=0, ecx=1, edx=2, ebx=3, esp=4,
  ebp=5, esi=6, edi=7, eip=8 (the return-address column), eflags=9, cs=41.

``readelf --debug-dump=frames`` and ``frames-interp`` decode what GNU as made of the
directives; gdb then unwinds the example kernel (examples/kernel-i386, booted in
QEMU under its gdb stub) from the C handler into the code the interrupt hit.
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, loads_x86, make_kernel, require_module, require_tool, run
from elftools.elf.elffile import ELFFile

import isrgen

#: SDM Vol. 3A table 6-1: the vectors whose exception pushes an error code
ERROR_CODE_VECTORS = {8, 10, 11, 12, 13, 14, 17, 21, 29, 30}
#: psABI DWARF numbers -> register
DWARF = {
    0: "eax", 1: "ecx", 2: "edx", 3: "ebx", 4: "esp", 5: "ebp", 6: "esi", 7: "edi",
    8: "eip", 9: "eflags", 41: "cs",
}  # fmt: skip
KERNEL_DIR = ROOT / "examples" / "kernel-i386"

#: the teaching-kernel frame the example kernel uses
SPEC = """\
isrgen: 1
arch: i386
symbols: {prefix: isr_}
handler: {symbol: isr_dispatch, convention: cdecl, returns: void}
frame:
  layout: [pushal, gs, fs, es, ds, vector, error_code]
entry: {data_segments: [ds, es], data_selector: 0x10}
vectors:
  - {range: [0, 31]}
  - {range: [32, 47], class: irq}
"""


def _object(work: Path, text: str = SPEC) -> Path:
    require_tool("as", "readelf")
    spec = loads_x86(text, "cfi32.yaml")
    paths = isrgen.build(spec, work, ["gas"])
    obj = work / "isr.o"
    run(["as", "--32", "--fatal-warnings", "-o", str(obj), str(paths[0])])
    return obj


def _symbols(obj: Path) -> dict[str, int]:
    out = run(["nm", str(obj)]).stdout
    return {m.group(2): int(m.group(1), 16) for m in re.finditer(r"^([0-9a-f]+) [tT] (\S+)$", out, re.M)}


def _interp(obj: Path) -> list[tuple[int, int, list[dict[str, str]]]]:
    """``readelf --debug-dump=frames-interp``: per FDE (start, end, rows), each row
    mapping LOC, CFA and every register column to its rule."""
    out = run(["readelf", "--debug-dump=frames-interp", str(obj)]).stdout
    fdes = []
    for block in out.split("\n\n"):
        head = re.search(r"FDE cie=\w+ pc=([0-9a-f]+)\.\.([0-9a-f]+)", block)
        if not head:
            continue
        lines = block.strip().splitlines()
        columns = lines[1].split()
        rows = [dict(zip(columns, ln.split(), strict=True)) for ln in lines[2:]]
        fdes.append((int(head.group(1), 16), int(head.group(2), 16), rows))
    return fdes


def _row_at(fdes: list[tuple[int, int, list[dict[str, str]]]], address: int) -> dict[str, str]:
    for start, end, rows in fdes:
        if start <= address < end:
            return [r for r in rows if int(r["LOC"], 16) <= address][-1]
    raise AssertionError(f"no FDE covers {address:#x}")


@pytest.fixture(scope="module")
def obj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _object(tmp_path_factory.mktemp("cfi32"))


def test_the_cie_names_eip_as_the_return_column(obj: Path) -> None:
    raw = run(["readelf", "--debug-dump=frames", str(obj)]).stdout
    assert "Return address column: 8" in raw  # eip (psABI)
    assert "Data alignment factor: -4" in raw
    assert 'Augmentation:          "zRS"' in raw  # S: a signal frame, the interrupted eip is exact
    # every rule names a register by its psABI number
    for number, name in re.findall(r"DW_CFA_\w+: r(\d+) \((\w+)\)", raw):
        assert DWARF[int(number)] == name


def test_every_stub_starts_with_the_cpu_frame(obj: Path) -> None:
    symbols = _symbols(obj)
    fdes = _interp(obj)
    for n in range(48):
        row = _row_at(fdes, symbols[f"isr_stub_{n}"] if f"isr_stub_{n}" in symbols else symbols[f"isr{n}"])
        cpu = 16 if n in ERROR_CODE_VECTORS else 12
        assert row["CFA"] == f"esp+{cpu}", n
        assert (row["ra"], row["cs"], row["eflags"]) == ("c-12", "c-8", "c-4"), n


def test_the_common_entry_describes_the_pushad_block_at_the_call(obj: Path) -> None:
    symbols = _symbols(obj)
    fdes = _interp(obj)
    common = next(f for f in fdes if f[0] == symbols["isr_common"])
    # below EFLAGS CS EIP: error code, vector, ds es fs gs (4 bytes each), then PUSHAD
    below = 12 + 8 + 16
    pushad = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
    want = {r: f"c-{below + 4 * (i + 1)}" for i, r in enumerate(pushad) if r != "esp"}
    frame_size = below + 32
    # the entry realigns esp for the call: the CFA then lives in ebx (callee-saved, psABI)
    at_call = [r for r in common[2] if r["CFA"].startswith("ebx")]
    assert at_call, common
    assert at_call[0]["CFA"] == f"ebx+{frame_size}"
    assert {r: at_call[0][r] for r in want} == want
    assert (at_call[0]["ra"], at_call[0]["cs"], at_call[0]["eflags"]) == ("c-12", "c-8", "c-4")
    # on the way out popad makes every register its own value again, and the last
    # row before iretd has only the CPU frame left
    last = common[2][-1]
    assert last["CFA"] == "esp+12" and all(last[r] == "s" for r in want)


def test_the_exit_routine_unwinds_the_frame_it_resumes(obj: Path) -> None:
    """isr_return(frame) is called from C: a call frame (CFA esp+4, eip at CFA-4) until
    it loads esp with its argument; from there the frame's rules hold."""
    symbols = _symbols(obj)
    fdes = _interp(obj)
    _start, _end, rows = next(f for f in fdes if f[0] == symbols["isr_return"])
    assert rows[0]["CFA"] == "esp+4" and rows[0]["ra"] == "c-4"
    assert rows[1]["CFA"] == "esp+68" and rows[1]["ra"] == "c-12" and rows[1]["eax"] == "c-40"


def test_cfi_off_leaves_no_frame_section(tmp_path: Path) -> None:
    obj = _object(tmp_path, SPEC + "debug: {cfi: false}\n")
    sections = run(["readelf", "-S", str(obj)]).stdout
    assert ".eh_frame" not in sections and ".debug_frame" not in sections


# -- gdb on the example kernel --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gdb(kernel: Path, commands: list[str]) -> str:
    qemu_err = ""
    for _attempt in range(3):  # another process may take the free port before QEMU binds it
        port = _free_port()
        qemu = subprocess.Popen(
            ["qemu-system-i386", "-accel", "tcg", "-m", "32M", "-display", "none", "-no-reboot",
             "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", str(kernel),
             "-serial", f"file:{kernel.parent / 'gdb-serial.log'}", "-S", "-gdb", f"tcp:127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            args = ["gdb", "-nx", "--batch"]
            setup = ["set pagination off", "set confirm off", "set tcp connect-timeout 20", f"file {kernel}",
                     f"target remote 127.0.0.1:{port}"]  # fmt: skip
            for cmd in [*setup, *commands, "kill"]:
                args += ["-ex", cmd]
            proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
        finally:
            qemu.kill()
            _, qemu_err = qemu.communicate(timeout=30)
        if "Address already in use" not in qemu_err:
            return proc.stdout + proc.stderr
    raise AssertionError(f"QEMU could not bind a gdb port: {qemu_err}")


def test_gdb_backtrace_crosses_the_i386_interrupt_frame(tmp_path: Path) -> None:
    """main.c's exceptions() divides 7 by ecx = 0: break in the C handler on #DE and
    unwind.  The frame below the handler must be the interrupt (gdb's signal frame),
    then exceptions() at the faulting div with its eax (7) and ecx (0), and the
    stack pointer there must be the interrupted ESP: just above the saved EFLAGS."""
    require_tool("make", "gcc", "ld", "qemu-system-i386", "gdb")
    make_kernel(KERNEL_DIR, tmp_path, "kernel")
    out = _gdb(
        tmp_path / "kernel.elf",
        ["break isr_dispatch if frame->vector == 0", "continue", "echo ==BT==\\n", "bt",
         "echo ==FRAME==\\n", "p/x frame->eip", "p/x (unsigned)&frame->eflags + 4",
         "frame 2", "echo ==CALLER==\\n", "p/x $pc", "p/x $sp", "p/x $eax", "p/x $ecx"],
    )  # fmt: skip
    assert "==BT==" in out, out
    bt = [ln for ln in out.split("==BT==\n", 1)[1].split("==FRAME==", 1)[0].splitlines() if re.match(r"#\d ", ln)]
    assert bt[0].startswith("#0  isr_dispatch ("), out
    assert bt[1] == "#1  <signal handler called>", out
    assert re.match(r"#2  0x[0-9a-f]+ in exceptions \(\) at main\.c:\d+", bt[2]), out
    assert any(" kmain (" in ln for ln in bt[3:]), out
    frame = [int(v, 16) for v in re.findall(r"^\$\d+ = (0x[0-9a-f]+)", out.split("==FRAME==", 1)[1], re.M)]
    eip, above_eflags, pc, sp, eax, ecx = frame
    assert pc == eip and sp == above_eflags
    assert (eax, ecx) == (7, 0)


# -- every instruction, under unicorn ---------------------------------------------------------

#: psABI DWARF number -> unicorn's general-purpose register name
_GPR_NUMBERS = {0: "eax", 1: "ecx", 2: "edx", 3: "ebx", 5: "ebp", 6: "esi", 7: "edi"}


def _fdes(elf_path: Path) -> list[tuple[int, int, list[dict[Any, Any]]]]:
    with elf_path.open("rb") as fh:
        elf = ELFFile(fh)
        entries: list[Any] = [e for e in elf.get_dwarf_info().EH_CFI_entries() if getattr(e, "cie", None) is not None]
        return [
            (e["initial_location"], e["initial_location"] + e["address_range"], e.get_decoded().table) for e in entries
        ]


@pytest.mark.parametrize(("vector", "ring"), [(0, 0), (14, 0), (33, 0), (14, 3)])
def test_the_cfa_and_every_rule_hold_at_every_instruction(tmp_path: Path, vector: int, ring: int) -> None:
    """Before each instruction of the stub, the entry and the exit path, the CFA rule gives
    the address just above the CPU-pushed EFLAGS and every register rule finds the
    interrupted value; at the handler, one call level up does too (what gdb does)."""
    failures, checked = _step(tmp_path, vector, ring)
    assert not failures, "\n".join(failures[:20])
    assert checked > 20


def test_the_stepping_check_catches_a_wrong_rule(tmp_path: Path) -> None:
    """Control: one damaged directive (eax's slot one word off) is detected."""
    failures, _ = _step(tmp_path, 14, 0, lambda text: text.replace(".cfi_offset eax, -40", ".cfi_offset eax, -44", 1))
    assert any("eax rule OFFSET gives" in f for f in failures), failures


def _step(tmp_path: Path, vector: int, ring: int, edit: Any = None) -> tuple[list[str], int]:
    require_tool("as", "ld")
    require_module("unicorn")
    from unicorn import UC_HOOK_CODE

    from isrgen.arch.x86.emulation import protected_mode as e32
    from isrgen.proof import toolchain

    spec = loads_x86(SPEC, "cfi32.yaml")
    (source,) = isrgen.build(spec, tmp_path, ["gas"])
    if edit is not None:
        source.write_text(edit(source.read_text()))
    image = e32.link32([toolchain.assemble_gas(source, bits=32)], tmp_path)
    fdes = _fdes(image.path)
    emu = e32.Emulator32(image, table_symbol=spec.symbols.table)
    regs = {r: 0x1111 * (i + 1) for i, r in enumerate(e32.GPRS32)}
    eflags = 0x202 | 0x85
    cs = e32.USER_CS if ring == 3 else e32.KERNEL_CS
    v = spec.vector(vector)
    assert v is not None
    # the ring-0 CPU frame: EFLAGS, CS, EIP pushed at the interrupted esp (SDM Vol. 3A 6.12.1);
    # from ring 3 the CPU pushes SS and ESP above EFLAGS first, so the CFA is still above EFLAGS
    top = e32.DEFAULT_STACK_TOP - (8 if ring == 3 else 0)
    expect = {"eip": e32.MARKER_BASE, "cs": cs, "eflags": eflags, **regs}
    failures: list[str] = []
    checked = [0]
    glue = image.symbols[spec.symbols.entry] & ~0xFFFFF

    def check(pc: int, esp: int, live: Mapping[str, int]) -> None:
        fde = next(((s, e, t) for s, e, t in fdes if s <= pc < e), None)
        if fde is None:
            failures.append(f"{pc:#x}: no FDE")
            return
        row = [r for r in fde[2] if r["pc"] <= pc][-1]
        base = esp if row["cfa"].reg == 4 else live[_GPR_NUMBERS[row["cfa"].reg]]
        cfa = base + row["cfa"].offset
        if cfa != top:
            failures.append(f"{pc:#x}: CFA {cfa:#x}, expected {top:#x}")
            return
        for num, rule in row.items():
            if num in ("pc", "cfa"):
                continue
            name = DWARF[num]
            if rule.type == "OFFSET":
                got = emu.read_word(cfa + rule.arg)
            elif rule.type == "SAME_VALUE":
                got = live[name]
            else:
                continue
            if got != expect[name]:
                failures.append(f"{pc:#x}: {name} rule {rule.type} gives {got:#x}, expected {expect[name]:#x}")
        checked[0] += 1

    def hook(uc: Any, address: int, size: int, data: Any) -> None:
        if glue <= address < glue + 0x100000 and address < e32.MARKER_BASE:
            check(address, emu.uc.reg_read(emu._x.UC_X86_REG_ESP), emu.state().gprs)

    emu.uc.hook_add(UC_HOOK_CODE, hook)
    stop = emu.interrupt(
        vector, regs=regs, cs=cs, eflags=eflags, error_code=0x10 if v.error_code else None,
        esp=e32.DEFAULT_STACK_TOP if ring == 0 else 0x7000_8000,
    )  # fmt: skip
    assert stop.symbol == "isr_dispatch"
    # in the handler: its return address and esp + 4 are what gdb unwinds into
    esp = stop.state.esp
    check(emu.read_word(esp), esp + 4, stop.state.gprs)
    back = emu.return_from_handler()
    assert back.resumed
    return failures, checked[0]
