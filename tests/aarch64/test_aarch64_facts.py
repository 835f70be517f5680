"""aarch64 facts against the Arm ARM and AADWARF64 tables, written out here."""

from __future__ import annotations

from isrgen.arch.aarch64 import facts

# Arm ARM D1.10.2, table "Vector offsets from vector table base address"
ARM_ARM_VECTOR_OFFSETS = {
    "el1t_sync": 0x000, "el1t_irq": 0x080, "el1t_fiq": 0x100, "el1t_serror": 0x180,
    "el1h_sync": 0x200, "el1h_irq": 0x280, "el1h_fiq": 0x300, "el1h_serror": 0x380,
    "el0_64_sync": 0x400, "el0_64_irq": 0x480, "el0_64_fiq": 0x500, "el0_64_serror": 0x580,
    "el0_32_sync": 0x600, "el0_32_irq": 0x680, "el0_32_fiq": 0x700, "el0_32_serror": 0x780,
}  # fmt: skip


def test_vector_offsets_match_the_arm_arm() -> None:
    assert {s.name: s.offset for s in facts.SLOTS} == ARM_ARM_VECTOR_OFFSETS
    assert [s.number for s in facts.SLOTS] == list(range(16))
    assert facts.TABLE_ALIGN == 2048  # VBAR_EL1 bits [10:0] are RES0
    assert facts.SLOT_SIZE * facts.SLOT_COUNT == 2048


def test_slot_origins() -> None:
    lower = {s.name for s in facts.SLOTS if s.from_lower_el}
    assert lower == {n for n in ARM_ARM_VECTOR_OFFSETS if n.startswith("el0_")}
    assert {s.name for s in facts.SLOTS if s.interrupted_sp_is_sp_el1} == {
        "el1h_sync",
        "el1h_irq",
        "el1h_fiq",
        "el1h_serror",
    }


def test_exception_classes() -> None:
    # Arm ARM D17.2, ESR_EL1.EC
    assert int(facts.Ec.SVC64) == 0x15
    assert int(facts.Ec.DATA_ABORT_LOWER) == 0x24 and int(facts.Ec.DATA_ABORT_SAME) == 0x25
    assert int(facts.Ec.INSN_ABORT_LOWER) == 0x20 and int(facts.Ec.INSN_ABORT_SAME) == 0x21
    assert int(facts.Ec.UNKNOWN) == 0x00 and int(facts.Ec.SP_ALIGNMENT) == 0x26 and int(facts.Ec.PC_ALIGNMENT) == 0x22
    assert facts.ESR_EC_SHIFT == 26 and facts.ESR_IL == 0x0200_0000


def test_dwarf_numbers() -> None:
    # AADWARF64 table "DWARF register numbers"
    assert facts.dwarf_number("x0") == 0 and facts.dwarf_number("x30") == 30
    assert facts.dwarf_number("sp") == 31
    assert facts.dwarf_number("elr") == 33
    assert facts.dwarf_number("q0") == 64 and facts.dwarf_number("q31") == 95


def test_modes_and_abi() -> None:
    assert (facts.Mode.EL0T, facts.Mode.EL1T, facts.Mode.EL1H) == (0b0000, 0b0100, 0b0101)
    assert facts.CALLER_SAVED == tuple(f"x{i}" for i in range(19))
    assert (facts.FRAME_POINTER, facts.LINK_REGISTER, facts.CALL_ALIGNMENT) == ("x29", "x30", 16)
    assert facts.DAIF_BITS == {"d": 8, "a": 4, "i": 2, "f": 1}
    assert facts.RAW_ENCODINGS["sb"] == 0xD50330FF  # Arm ARM C6.2, SB
