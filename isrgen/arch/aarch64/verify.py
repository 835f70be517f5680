"""Checks of a linked aarch64 image: the VBAR_EL1 table where the CPU needs it.

The table must be 2 KiB aligned (VBAR_EL1 bits [10:0] are RES0, Arm ARM D17.2),
2048 bytes long, inside an executable and non-writable PT_LOAD segment; with
``table.style: branch`` each slot's first word is a B to that slot's entry.  No
segment may be both writable and executable.
"""

from __future__ import annotations

import os

from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from .facts import SLOT_SIZE, SLOTS, TABLE_ALIGN
from .options import Aarch64Spec, TableStyle

#: B imm26: bits [31:26] = 0b000101 (Arm ARM C6.2, B)
_B_OPCODE = 0b000101


def _branch_target(word: int, pc: int) -> int | None:
    if word >> 26 != _B_OPCODE:
        return None
    imm = word & 0x3FF_FFFF
    if imm & (1 << 25):
        imm -= 1 << 26
    return pc + 4 * imm


def verify_image(path: str | os.PathLike[str], spec: Aarch64Spec) -> list[str]:
    """Problems found in the linked ELF at ``path`` (empty when it is right)."""
    problems: list[str] = []
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        symtab = elf.get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            return [f"{path}: no symbol table"]
        symbols = {s.name: (int(s["st_value"]), int(s["st_size"])) for s in symtab.iter_symbols() if s.name}
        table = spec.symbols.table
        if table not in symbols:
            return [f"{path}: no symbol {table}"]
        base, size = symbols[table]
        if base % TABLE_ALIGN:
            problems.append(f"{table} at {base:#x} is not {TABLE_ALIGN}-byte aligned (VBAR_EL1 bits [10:0] are RES0)")
        if size != SLOT_SIZE * len(SLOTS):
            problems.append(f"{table} is {size} bytes, not {SLOT_SIZE * len(SLOTS)}")
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        for seg in loads:
            flags = int(seg["p_flags"])
            if flags & P_FLAGS.PF_W and flags & P_FLAGS.PF_X:
                problems.append(f"segment at {int(seg['p_vaddr']):#x} is writable and executable")
        for slot in SLOTS:
            addr = base + slot.offset
            found = next((s for s in loads if s["p_vaddr"] <= addr < s["p_vaddr"] + s["p_memsz"]), None)
            if found is None:
                problems.append(f"{table} slot {slot.number} ({slot.name}) at {addr:#x} is not in a loaded segment")
                continue
            seg = found
            if not int(seg["p_flags"]) & P_FLAGS.PF_X:
                problems.append(f"{table} slot {slot.number} ({slot.name}) at {addr:#x} is not executable")
            if spec.style is TableStyle.BRANCH:
                off = addr - int(seg["p_vaddr"])
                data = seg.data()[off : off + 4]
                entry = spec.symbols.entry_symbol(slot)
                target = _branch_target(int.from_bytes(data, "little"), addr) if len(data) == 4 else None
                if entry in symbols and target != symbols[entry][0]:
                    problems.append(f"slot {slot.number} ({slot.name}) does not branch to {entry}")
    return problems
