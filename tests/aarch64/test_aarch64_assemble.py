"""The GAS output assembles identically with GNU as and llvm-mc, lays the table out as
the Arm ARM says, and an oversized inline slot fails to assemble.

Expected encodings come from the Arm ARM (C6.2), written here, not from the generator.
"""

from __future__ import annotations

import struct
from pathlib import Path

import attrs
import pytest
from a64_helpers import VARIANTS, assemble_spec, kernel_spec, read_obj, variant, variant_text
from conftest import require_tool, run
from elftools.elf.constants import SH_FLAGS
from elftools.elf.sections import SymbolTableSection

from isrgen.arch.aarch64.options import Aarch64Spec, Stack
from isrgen.arch.aarch64.prove import handler_stub_source
from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.arch.aarch64.toolchain import GNU_AS, GNU_LD, LLVM_MC, link
from isrgen.diagnostics import SpecError, UsageError

ERET = 0xD69F03E0
SB = 0xD50330FF
DSB_NSH = 0xD503379F
ISB = 0xD5033FDF
UDF_0 = 0x00000000
SLOT_NAMES = [f"{o}_{t}" for o in ("el1t", "el1h", "el0_64", "el0_32") for t in ("sync", "irq", "fiq", "serror")]


def sub_sp_imm(value: int) -> int:
    """SUB (immediate), 64-bit, sp = sp - value (Arm ARM C6.2, SUB (immediate)): sf=1 op=1 S=0 100010 sh=0."""
    assert value < 4096
    return 0xD1000000 | (value << 10) | (31 << 5) | 31


def words(data: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(data) // 4}I", data))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_gnu_as_and_llvm_mc_agree(name: str, tmp_path: Path) -> None:
    require_tool(GNU_AS, LLVM_MC)
    spec = variant(name)
    gnu = read_obj(assemble_spec(spec, tmp_path, "gnu"))
    llvm = read_obj(assemble_spec(spec, tmp_path, "llvm"))
    code = [n for n, s in gnu.sections.items() if s.flags & SH_FLAGS.SHF_EXECINSTR and s.data]
    assert sorted(code) == sorted([spec.sections.code, spec.sections.table])
    for sec in code:
        assert gnu.masked(sec) == llvm.masked(sec), f"{sec} differs between GNU as and llvm-mc"
        assert [(o, t) for o, t, _ in gnu.relocations.get(sec, ())] == [
            (o, t) for o, t, _ in llvm.relocations.get(sec, ())
        ]


@pytest.mark.parametrize("name", ["base", "linux", "inline", "hardened"])
def test_table_layout_in_the_object(name: str, tmp_path: Path) -> None:
    require_tool(GNU_AS)
    spec = variant(name)
    obj = read_obj(assemble_spec(spec, tmp_path, "gnu"))
    table = obj.sections[spec.sections.table]
    assert table.align == 2048
    assert table.flags & SH_FLAGS.SHF_ALLOC and table.flags & SH_FLAGS.SHF_EXECINSTR
    assert not table.flags & SH_FLAGS.SHF_WRITE
    code = obj.sections[spec.sections.code]
    assert code.flags & SH_FLAGS.SHF_EXECINSTR and not code.flags & SH_FLAGS.SHF_WRITE
    sec, value, size, bind, _ = obj.symbols["isr_vectors"]
    assert (sec, value % 2048, size, bind) == (spec.sections.table, 0, 2048, "STB_GLOBAL")
    assert len(table.data) == 2048
    assert ".note.GNU-stack" in {n for n in read_obj_all_names(tmp_path / "isr.gnu.o")}


def read_obj_all_names(path: Path) -> list[str]:
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as fh:
        return [s.name for s in ELFFile(fh).iter_sections()]


def linked(spec: Aarch64Spec, tmp: Path) -> tuple[dict[str, int], bytes, int]:
    """Link the glue with stand-in handlers at 0x40000000: (symbols, .text bytes, .text address)."""
    from elftools.elf.elffile import ELFFile

    obj = assemble_spec(spec, tmp, "gnu")
    stubs = tmp / "handlers.S"
    stubs.write_text(handler_stub_source(spec))
    run([GNU_AS, "-o", str(tmp / "handlers.o"), str(stubs)])
    exe = link([obj, tmp / "handlers.o"], tmp / "glue.elf", 0x4000_0000, "isr_vectors")
    with open(exe, "rb") as fh:
        elf = ELFFile(fh)
        text = elf.get_section_by_name(".text")
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection) and text is not None
        syms = {s.name: int(s["st_value"]) for s in symtab.iter_symbols() if s.name}
        return syms, bytes(text.data()), int(text["sh_addr"])


def test_branch_slots_reach_their_entries(tmp_path: Path) -> None:
    require_tool(GNU_AS, GNU_LD)
    spec = kernel_spec()
    syms, text, base = linked(spec, tmp_path)
    table = syms["isr_vectors"]
    assert table % 2048 == 0
    for n, name in enumerate(SLOT_NAMES):
        slot = table + 0x80 * n
        w = words(text[slot - base : slot - base + 0x80])
        # B: 000101 imm26, target = pc + SignExtend(imm26:00) (Arm ARM C6.2, B)
        assert w[0] >> 26 == 0b000101, f"slot {n}: {w[0]:#010x} is not B"
        imm = w[0] & 0x3FFFFFF
        offset = (imm - (1 << 26) if imm & (1 << 25) else imm) * 4
        assert slot + offset == syms[f"isr_entry_{name}"], f"slot {n} does not branch to isr_entry_{name}"
        assert w[1:] == [UDF_0] * 31


def test_linux_slots_lower_sp_then_branch(tmp_path: Path) -> None:
    require_tool(GNU_AS, GNU_LD)
    spec = variant("linux")
    syms, text, base = linked(spec, tmp_path)
    table = syms["isr_vectors"]
    for n in range(16):
        slot = table + 0x80 * n
        w = words(text[slot - base : slot - base + 8])
        assert w[0] == sub_sp_imm(832), f"slot {n}: {w[0]:#010x}"
        assert w[1] >> 26 == 0b000101


@pytest.mark.parametrize(("name", "barrier"), [("base", []), ("hardened", [DSB_NSH, ISB]), ("sb", [SB])])
def test_exit_barrier_follows_every_eret(name: str, barrier: list[int], tmp_path: Path) -> None:
    require_tool(GNU_AS)
    spec = variant(name)
    obj = read_obj(assemble_spec(spec, tmp_path, "gnu"))
    w = words(obj.sections[spec.sections.code].data)
    erets = [i for i, x in enumerate(w) if x == ERET]
    assert len(erets) == 3  # exit routine (two stack rules) and the system-call exit
    for i in erets:
        assert w[i + 1 : i + 1 + len(barrier)] == barrier


@pytest.mark.parametrize("assembler", ["gnu", "llvm"])
def test_oversized_inline_slot_fails_to_assemble(assembler: str, tmp_path: Path) -> None:
    require_tool(GNU_AS, LLVM_MC)
    # inline: 27 instructions save the frame in the slot, the branch makes 28 of the 32 a slot holds
    assemble_spec(variant("inline_fp"), tmp_path, assembler)
    # loading the stack top from TPIDR_EL1 (5 more instructions) overflows the EL0 slots:
    # the spec is refused at `style: inline` (line 26 of specs/aarch64.yaml) ...
    text = variant_text("inline_fp").replace("  source: sp_el1 ", "  source: tpidr_el1 ")
    with pytest.raises(SpecError) as refused:
        load_aarch64_spec(text, "big.yaml")
    assert [(d.source.line, d.source.col) for d in refused.value.diagnostics] == [(26, 10)]
    assert "33 instructions" in refused.value.diagnostics[0].message
    # ... and a model built past that check still cannot assemble: the slot's .org fails
    big = attrs.evolve(variant("inline_fp"), stack=Stack("tpidr_el1", None))
    with pytest.raises(UsageError) as info:
        assemble_spec(big, tmp_path, assembler, stem="big")
    out = str(info.value).lower()
    assert "org" in out or "backwards" in out, out


@pytest.mark.parametrize("name", ["base", "hardened"])
def test_preprocessed_build_is_the_same(name: str, tmp_path: Path) -> None:
    """Kernels build .S files through the C preprocessor (gcc -c isr.S): same bytes."""
    from isrgen.arch.aarch64.toolchain import GNU_CC

    require_tool(GNU_AS, GNU_CC)
    spec = variant(name)
    plain = read_obj(assemble_spec(spec, tmp_path, "gnu"))
    run([GNU_CC, "-c", "-Wall", "-Werror", str(tmp_path / "isr.S"), "-o", str(tmp_path / "cpp.o")])
    cpp = read_obj(tmp_path / "cpp.o")
    for sec in (spec.sections.table, spec.sections.code):
        assert cpp.masked(sec) == plain.masked(sec)
