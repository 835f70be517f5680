"""A syscall entry with fixed-address stack slots combined with other options (the
combinations the Hypothesis strategies draw): with an IRQ stack, and with absolute
addresses in the top 2 GiB.

- ``syscall.kernel_stack`` / ``user_stack`` replace the GS-relative words, so the per-CPU
  offsets ``kernel_stack_gs`` / ``user_stack_gs`` are unused and ``irq_stack`` may take them.
- An absolute slot in the top 2 GiB is a sign-extended disp32 without base (SDM Vol. 2A
  2.2.1.6): ``mov [disp32], rsp`` is REX.W 89 /r and ``mov rsp, [disp32]`` REX.W 8B /r
  (SDM Vol. 2B MOV) with ModRM 0x24 (mod 00, reg rsp, rm 100: a SIB byte) and SIB 0x25
  (no index, base 101 with mod 00: disp32 only) (SDM Vol. 2A tables 2-2, 2-3).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import SPECS, loads_x86, require_module, require_tool

import isrgen
from isrgen.arch.x86.dump import dump_spec
from isrgen.proof.prove import prove

EXAMPLE = SPECS / "examples" / "syscall_fixed_stack.yaml"
#: the example with entry.swapgs (for the IRQ stack) and an IRQ stack on the GS offsets a
#: GS-relative syscall entry uses by default (8 and 16)
IRQ_STACK_SPEC = EXAMPLE.read_text() + textwrap.dedent("""\
    entry: {swapgs: true}
    irq_stack: {top_gs: 8, depth_gs: 16}
    """)
#: kernel_stack 0xffffffff80001000 and user_stack 0xffffffff80001008, as a kernel linked in
#: the top 2 GiB would place its words
TOP = 0xFFFF_FFFF_8000_1000
TOP_SPEC = (
    EXAMPLE.read_text()
    .replace("kernel_stack: kernel_stack_top", f"kernel_stack: {TOP:#x}")
    .replace("user_stack: user_rsp_save", f"user_stack: {TOP + 8:#x}")
)


def test_irq_stack_may_take_the_unused_gs_offsets() -> None:
    spec = loads_x86(IRQ_STACK_SPEC, "irq.yaml")
    assert spec.irq_stack is not None and (spec.irq_stack.top_gs, spec.irq_stack.depth_gs) == (8, 16)
    # the per-CPU words the glue reads through GS are the IRQ stack's only
    assert [name for name, _, _ in spec.gs_slots()] == ["IRQ_STACK_TOP", "IRQ_STACK_DEPTH"]
    assert loads_x86(dump_spec(spec), "again.yaml") == spec


def test_gs_relative_syscall_words_still_clash_with_the_irq_stack() -> None:
    """Without the fixed slots the syscall entry uses GS offsets 8 and 16: the IRQ stack
    words overlap them, an error at each irq_stack key."""
    text = IRQ_STACK_SPEC.replace("  kernel_stack: kernel_stack_top", "").replace("  user_stack: user_rsp_save", "")
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "clash.yaml")
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines, 1) if ln.startswith("irq_stack:"))
    found = [(d.source.line, d.source.col, d.message) for d in info.value.diagnostics]
    top_col = lines[at - 1].index("8,") + 1
    depth_col = lines[at - 1].index("16}") + 1
    assert any((ln, col) == (at, top_col) and "overlaps syscall.kernel_stack_gs 8" in m for ln, col, m in found), found
    assert any((ln, col) == (at, depth_col) and "overlaps syscall.user_stack_gs 16" in m for ln, col, m in found), found


def test_prove_accepts_the_irq_stack_beside_fixed_slots() -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    report = prove(loads_x86(IRQ_STACK_SPEC, "irq.yaml"), ["gas", "c"])
    assert report.ok, report.failures


def test_top_2gib_slots_are_sign_extended_disp32(tmp_path: Path) -> None:
    require_tool("as")
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    from isrgen.proof import toolchain

    spec = loads_x86(TOP_SPEC, "top.yaml")
    assert (spec.syscall is not None) and (spec.syscall.kernel_stack, spec.syscall.user_stack) == (
        TOP - (1 << 64),
        TOP + 8 - (1 << 64),
    )
    obj = toolchain.assemble_gas(isrgen.build(spec, tmp_path, ["gas"])[0])
    with obj.open("rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        (sym,) = symtab.get_symbol_by_name("syscall_entry") or []
        start = int(sym["st_value"])
        code = bytes(elf.get_section(int(sym["st_shndx"])).data()[start : start + 16])
    user, kernel = ((a & 0xFFFF_FFFF).to_bytes(4, "little") for a in (TOP + 8, TOP))
    assert code == bytes([0x48, 0x89, 0x24, 0x25]) + user + bytes([0x48, 0x8B, 0x24, 0x25]) + kernel


def test_prove_accepts_top_2gib_slots() -> None:
    """The emulator runs without paging, so the CPU reaches these words at their low 52 bits;
    the proof must provide them there."""
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    report = prove(loads_x86(TOP_SPEC, "top.yaml"), ["gas", "c"])
    assert report.ok, report.failures
