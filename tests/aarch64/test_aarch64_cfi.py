"""CFI of the entries, decoded from .eh_frame: a signal frame whose return column is
ELR_mode (AADWARF64: 33) and whose rules at the handler call find every register in
its frame slot."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from a64_helpers import assemble_spec, variant
from conftest import require_tool
from elftools.dwarf.callframe import CIE, FDE
from elftools.elf.elffile import ELFFile

from isrgen.arch.aarch64.layout import compute_layout
from isrgen.arch.aarch64.toolchain import GNU_AS, LLVM_MC

DWARF_SP = 31
DWARF_ELR = 33


def bl_offsets(code: bytes, start: int, end: int) -> list[int]:
    """Offsets of BL instructions (100101 imm26, Arm ARM C6.2, BL) in [start, end)."""
    out = []
    for off in range(start, end, 4):
        (word,) = struct.unpack_from("<I", code, off)
        if word >> 26 == 0b100101:
            out.append(off)
    return out


@pytest.mark.parametrize("assembler", ["gnu", "llvm"])
@pytest.mark.parametrize(("name", "record"), [("base", 0), ("hardened", 16), ("linux", 0), ("record_in_frame", 0)])
def test_rules_at_the_call(name: str, record: int, assembler: str, tmp_path: Path) -> None:
    require_tool(GNU_AS, LLVM_MC)
    text = (Path(__file__).parents[2] / "specs" / "aarch64.yaml").read_text()
    assert "  cfi: true" in text
    spec = variant(name)
    lay = compute_layout(spec.frame)
    obj = assemble_spec(spec, tmp_path, assembler)
    with open(obj, "rb") as fh:
        elf = ELFFile(fh)
        code_section = elf.get_section_by_name(spec.sections.code)
        assert code_section is not None
        code = bytes(code_section.data())
        entries = elf.get_dwarf_info().EH_CFI_entries()
        cies = [e for e in entries if isinstance(e, CIE)]
        fdes = [e for e in entries if isinstance(e, FDE)]
        assert len(fdes) == 16  # one per vector slot entry
        for cie in cies:
            assert b"S" in cie.header["augmentation"]  # .cfi_signal_frame
            assert cie["return_address_register"] == DWARF_ELR
        for fde in fdes:
            start = fde.header["initial_location"]
            calls = bl_offsets(code, start, start + fde.header["address_range"])
            assert calls
            rows = fde.get_decoded().table
            for call in calls:
                row = [r for r in rows if r["pc"] <= call][-1]
                assert (row["cfa"].reg, row["cfa"].offset) == (DWARF_SP, lay.size + record)
                assert row[DWARF_ELR].arg == lay.offset("elr") - lay.size
                assert row[DWARF_SP].arg == lay.offset("sp") - lay.size
                for i in range(31):
                    assert row[i].arg == lay.offset(f"x{i}") - lay.size


def _writes_gpr(word: int) -> int | None:
    """The GPR an MRS (Arm ARM C6.2.248: 1101 0101 0011 ... Rt) or a 64-bit MOVZ
    (C6.2.253: 1 10 100101 hw imm16 Rd) writes, else None."""
    if word >> 20 == 0xD53 or word >> 23 == 0b110100101:
        return word & 0x1F
    return None


@pytest.mark.parametrize("name", ["base", "hardened", "linux"])
def test_a_register_has_its_rule_before_the_entry_reuses_it(name: str, tmp_path: Path) -> None:
    """The save reads ELR/SPSR/ESR/FAR/SP_EL0 into x0-x5 after storing them: from then on an
    unwinder must find x0-x5 in the frame, not in the (overwritten) registers."""
    require_tool(GNU_AS)
    spec = variant(name)
    obj = assemble_spec(spec, tmp_path, "gnu")
    with open(obj, "rb") as fh:
        elf = ELFFile(fh)
        code_section = elf.get_section_by_name(spec.sections.code)
        assert code_section is not None
        code = bytes(code_section.data())
        fdes = [e for e in elf.get_dwarf_info().EH_CFI_entries() if isinstance(e, FDE)]
        checked = 0
        for fde in fdes:
            start = fde.header["initial_location"]
            rows = fde.get_decoded().table
            for off in range(start, start + fde.header["address_range"], 4):
                (word,) = struct.unpack_from("<I", code, off)
                reg = _writes_gpr(word)
                if reg is None or not [r for r in rows if r["pc"] <= off]:
                    continue
                row = [r for r in rows if r["pc"] <= off][-1]
                if reg in row:  # (a register written before the save needs no rule yet)
                    checked += 1
                    continue
                saved_later = any(reg in r for r in rows if r["pc"] > off)
                assert not saved_later, f"x{reg} is overwritten at {off:#x} before its CFI rule"
        assert checked
