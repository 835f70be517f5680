"""Checks of a linked aarch64 image: the VBAR_EL1 table where the CPU needs it.

The table must be 2 KiB aligned (VBAR_EL1 bits [10:0] are RES0, Arm ARM D17.2),
2048 bytes long, inside an executable and non-writable PT_LOAD segment; with
``table.style: branch`` each slot's first word is a B to that slot's entry.  No
segment may be both writable and executable.
"""

from __future__ import annotations

import os

from isrgen.proof.elf import read_elf

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
    elf = read_elf(path)
    if not elf.has_section(".symtab"):
        return [f"{path}: no symbol table"]
    symbols = {s.name: (s.value, s.size) for s in elf.symbols if s.name}
    table = spec.symbols.table
    if table not in symbols:
        return [f"{path}: no symbol {table}"]
    base, size = symbols[table]
    if base % TABLE_ALIGN:
        problems.append(f"{table} at {base:#x} is not {TABLE_ALIGN}-byte aligned (VBAR_EL1 bits [10:0] are RES0)")
    if size != SLOT_SIZE * len(SLOTS):
        problems.append(f"{table} is {size} bytes, not {SLOT_SIZE * len(SLOTS)}")
    loads = elf.load_segments()
    for seg in loads:
        if seg.writable and seg.executable:
            problems.append(f"segment at {seg.vaddr:#x} is writable and executable")
    for slot in SLOTS:
        addr = base + slot.offset
        found = next((s for s in loads if s.contains(addr)), None)
        if found is None:
            problems.append(f"{table} slot {slot.number} ({slot.name}) at {addr:#x} is not in a loaded segment")
            continue
        seg = found
        if not seg.executable:
            problems.append(f"{table} slot {slot.number} ({slot.name}) at {addr:#x} is not executable")
        if spec.style is TableStyle.BRANCH:
            off = addr - seg.vaddr
            data = seg.data[off : off + 4]
            entry = spec.symbols.entry_symbol(slot)
            target = _branch_target(int.from_bytes(data, "little"), addr) if len(data) == 4 else None
            if entry in symbols and target != symbols[entry][0]:
                problems.append(f"slot {slot.number} ({slot.name}) does not branch to {entry}")
    return problems
