"""RISC-V (RV64) trap facts, each written down once.

References: "The RISC-V Instruction Set Manual, Volume II: Privileged Architecture"
(version 20211203), cited as "priv" with a section number, and the "RISC-V ELF psABI"
(version 1.0), cited as "psABI".
"""

from __future__ import annotations

import enum

import attrs

#: XLEN / 8
WORD = 8

#: scause/mcause: the interrupt bit is the most significant bit (priv 4.1.9, 3.1.15)
CAUSE_INTERRUPT_BIT = 1 << 63

#: interrupt cause codes (priv 4.1.9, table 4.2)
INTERRUPTS: dict[int, str] = {
    1: "supervisor_software",
    3: "machine_software",
    5: "supervisor_timer",
    7: "machine_timer",
    9: "supervisor_external",
    11: "machine_external",
}
SSI, STI, SEI = 1, 5, 9
MSI, MTI, MEI = 3, 7, 11

#: exception cause codes (priv 4.1.9 table 4.2 and 3.1.15 table 3.6); 10 and 14 are reserved
EXCEPTIONS: dict[int, str] = {
    0: "instruction_address_misaligned",
    1: "instruction_access_fault",
    2: "illegal_instruction",
    3: "breakpoint",
    4: "load_address_misaligned",
    5: "load_access_fault",
    6: "store_address_misaligned",
    7: "store_access_fault",
    8: "ecall_from_u",
    9: "ecall_from_s",
    11: "ecall_from_m",
    12: "instruction_page_fault",
    13: "load_page_fault",
    15: "store_page_fault",
}
ECALL_FROM_U, ECALL_FROM_S, ECALL_FROM_M = 8, 9, 11
PAGE_FAULTS = (12, 13, 15)
#: the width of an ecall instruction: the handler resumes at sepc + 4 (priv 3.3.1)
ECALL_SIZE = 4


class TvecMode(enum.IntEnum):
    """stvec/mtvec MODE field, bits 1:0 (priv 4.1.2, table 4.1)."""

    DIRECT = 0
    VECTORED = 1


#: stvec BASE must be 4-byte aligned: its two low bits are MODE (priv 4.1.2)
TVEC_BASE_ALIGN = 4
#: in vectored mode an interrupt with cause n goes to BASE + 4 * n (priv 4.1.2)
TVEC_SLOT_SIZE = 4


def tvec_value(base: int, mode: TvecMode) -> int:
    """The value to write to stvec for a 4-byte aligned ``base`` (priv 4.1.2)."""
    if base % TVEC_BASE_ALIGN:
        raise ValueError(f"stvec base {base:#x} is not {TVEC_BASE_ALIGN}-byte aligned")
    return base | int(mode)


def trap_target(base: int, mode: TvecMode, cause: int) -> int:
    """Where the hart jumps for ``cause`` (a full scause value, interrupt bit included)."""
    if mode is TvecMode.VECTORED and cause & CAUSE_INTERRUPT_BIT:
        return base + TVEC_SLOT_SIZE * (cause & ~CAUSE_INTERRUPT_BIT)
    return base


#: sstatus bits (priv 4.1.1, figure 4.2)
SSTATUS_SIE = 1 << 1
SSTATUS_SPIE = 1 << 5
SSTATUS_SPP = 1 << 8
SSTATUS_VS = 3 << 9
SSTATUS_FS = 3 << 13
SSTATUS_XS = 3 << 15
SSTATUS_SUM = 1 << 18
SSTATUS_MXR = 1 << 19
#: FS = Initial (priv 3.1.6.6): enough to make F/D instructions legal
SSTATUS_FS_INITIAL = 1 << 13

#: mstatus bits (priv 3.1.6, figure 3.6)
MSTATUS_MIE = 1 << 3
MSTATUS_MPIE = 1 << 7
MSTATUS_MPP = 3 << 11

#: sstatus bits an entry may clear, by name (priv 4.1.1.2-4.1.1.3, 3.1.6.6)
STATUS_BITS: dict[str, int] = {
    "SIE": SSTATUS_SIE,
    "SUM": SSTATUS_SUM,
    "MXR": SSTATUS_MXR,
    "FS": SSTATUS_FS,
    "VS": SSTATUS_VS,
}


class Mode(enum.StrEnum):
    """The privilege mode the trap is taken into."""

    SUPERVISOR = "supervisor"
    MACHINE = "machine"


#: privilege levels as encoded in mstatus.MPP (and unicorn's PRIV register); 2 is reserved
#: (priv 1.2, table 1.1)
PRIV_U, PRIV_S, PRIV_M = 0, 1, 3
#: the privilege level of each trap-handling mode
MODE_PRIV: dict[Mode, int] = {Mode.SUPERVISOR: PRIV_S, Mode.MACHINE: PRIV_M}
#: the system calls a mode takes: ecall from every lower privilege (priv 3.3.1: the cause
#: says where the ecall came from); an S-mode kernel sees U-mode's, M-mode firmware also
#: S-mode's (the SBI's calling convention)
SYSCALL_CAUSES: dict[Mode, tuple[int, ...]] = {
    Mode.SUPERVISOR: (ECALL_FROM_U,),
    Mode.MACHINE: (ECALL_FROM_U, ECALL_FROM_S),
}


@attrs.frozen
class CsrSet:
    """The CSRs and return instruction of one trap-handling privilege mode."""

    status: str
    scratch: str
    epc: str
    cause: str
    tval: str
    tvec: str
    ie: str
    ip: str
    ret: str
    #: status bit: interrupts enabled / enabled before the trap / previous privilege
    status_ie: int
    status_pie: int
    status_pp: int

    @property
    def status_pp_shift(self) -> int:
        """The bit position of the previous-privilege field (SPP: 8, MPP: 11)."""
        return (self.status_pp & -self.status_pp).bit_length() - 1

    @property
    def status_pp_top(self) -> int:
        """The top bit of the previous-privilege field (SPP: 8, MPP: 12): set exactly when the
        trap came from the handling mode itself, U (0) and S (1) having it clear (MPP = 2 is
        reserved, priv 3.1.6.1)."""
        return self.status_pp.bit_length() - 1


#: priv chapter 4 (supervisor) and chapter 3 (machine)
CSRS: dict[Mode, CsrSet] = {
    Mode.SUPERVISOR: CsrSet(
        "sstatus",
        "sscratch",
        "sepc",
        "scause",
        "stval",
        "stvec",
        "sie",
        "sip",
        "sret",
        SSTATUS_SIE,
        SSTATUS_SPIE,
        SSTATUS_SPP,
    ),
    Mode.MACHINE: CsrSet(
        "mstatus",
        "mscratch",
        "mepc",
        "mcause",
        "mtval",
        "mtvec",
        "mie",
        "mip",
        "mret",
        MSTATUS_MIE,
        MSTATUS_MPIE,
        MSTATUS_MPP,
    ),
}

#: sip/mip pending bits (priv 3.1.9, 4.1.3): supervisor software and timer interrupts
SIP_SSIP = 1 << SSI
MIP_STIP = 1 << STI

#: satp holds the root page table of the current address space (priv 4.1.11)
SATP = "satp"
#: satp MODE for Sv39 (priv 4.1.11, table 4.4)
SATP_MODE_SV39 = 8 << 60

#: x0..x31 by their psABI names (psABI "Integer Register Convention")
ABI_NAMES: tuple[str, ...] = (
    "zero",
    "ra",
    "sp",
    "gp",
    "tp",
    "t0",
    "t1",
    "t2",
    "s0",
    "s1",
    "a0",
    "a1",
    "a2",
    "a3",
    "a4",
    "a5",
    "a6",
    "a7",
    "s2",
    "s3",
    "s4",
    "s5",
    "s6",
    "s7",
    "s8",
    "s9",
    "s10",
    "s11",
    "t3",
    "t4",
    "t5",
    "t6",
)
#: the 31 registers a trap frame can hold (x0 is hard-wired to zero)
GPRS: tuple[str, ...] = ABI_NAMES[1:]
FPRS: tuple[str, ...] = tuple(f"f{i}" for i in range(32))
#: psABI: s0 is also called fp
ALIASES: dict[str, str] = {"fp": "s0", **{f"x{i}": ABI_NAMES[i] for i in range(32)}}


def gpr_number(name: str) -> int:
    """x-number of an ABI register name (or alias)."""
    return ABI_NAMES.index(ALIASES.get(name, name))


def dwarf_number(name: str) -> int:
    """DWARF register number (psABI "DWARF Register Numbers"): x0-x31 0-31, f0-f31 32-63."""
    if name in FPRS:
        return 32 + FPRS.index(name)
    return gpr_number(name)


#: psABI "DWARF Register Numbers": the alternate frame return column (used for sepc)
DWARF_ALT_RETURN_COLUMN = 64

#: psABI "Integer Calling Convention": sp is 16-byte aligned at every call
STACK_ALIGN = 16
#: registers a callee may clobber (psABI "Integer Register Convention")
CALLER_SAVED: tuple[str, ...] = (
    "ra",
    "t0",
    "t1",
    "t2",
    "a0",
    "a1",
    "a2",
    "a3",
    "a4",
    "a5",
    "a6",
    "a7",
    "t3",
    "t4",
    "t5",
    "t6",
)
CALLEE_SAVED: tuple[str, ...] = ("sp", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11")
ARG_REGS: tuple[str, ...] = ("a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7")
RETURN_REG = "a0"
#: the linker-provided symbol gp must hold for linker relaxation (psABI "Global-pointer relaxation")
GLOBAL_POINTER_SYMBOL = "__global_pointer$"

#: smallest page of Sv39 (priv 4.3.1, 4.4)
PAGE_SIZE = 4096
#: the largest pc-relative distance auipc + a 12-bit offset reach: %pcrel_hi(x) is
#: (x - pc + 0x800) >> 12 and must fit in 20 signed bits (psABI "PC-relative symbol addresses")
PCREL_HI_REACH = 0x7FFFF7FF
