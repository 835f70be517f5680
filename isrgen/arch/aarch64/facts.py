"""What the Armv8-A architecture and AAPCS64 fix about taking an exception to EL1.

Every number here comes from the Arm Architecture Reference Manual for A-profile
(Arm ARM, DDI 0487), the AArch64 DWARF ABI (AADWARF64) or the AArch64 procedure
call standard (AAPCS64).  Nothing else in the aarch64 package writes them again.
"""

from __future__ import annotations

import enum
import re

import attrs

#: Arm ARM D1.10.2 "Exception vectors": VBAR_EL1 holds bits [63:11] of the table base,
#: so the table is 2 KiB aligned; each of the 16 entries is 0x80 bytes (32 instructions).
TABLE_ALIGN = 2048
SLOT_SIZE = 0x80
SLOT_COUNT = 16
INSN_SIZE = 4


class Origin(enum.StrEnum):
    """Which group of four vector entries an exception uses (Arm ARM D1.10.2, table "Vector offsets")."""

    #: current EL, using SP_EL0 (EL1t)
    EL1T = "el1t"
    #: current EL, using SP_ELx (EL1h)
    EL1H = "el1h"
    #: lower EL, the lower EL runs AArch64
    EL0_64 = "el0_64"
    #: lower EL, the lower EL runs AArch32
    EL0_32 = "el0_32"


class ExceptionType(enum.StrEnum):
    """The four exception types of each group, in vector order."""

    SYNC = "sync"
    IRQ = "irq"
    FIQ = "fiq"
    SERROR = "serror"


ORIGINS = (Origin.EL1T, Origin.EL1H, Origin.EL0_64, Origin.EL0_32)
TYPES = (ExceptionType.SYNC, ExceptionType.IRQ, ExceptionType.FIQ, ExceptionType.SERROR)


@attrs.frozen
class VectorSlot:
    """One entry of the VBAR_EL1 table."""

    number: int
    origin: Origin
    type: ExceptionType

    @property
    def name(self) -> str:
        """``el1h_sync``, ``el0_64_irq``, ..."""
        return f"{self.origin.value}_{self.type.value}"

    @property
    def offset(self) -> int:
        """Offset from VBAR_EL1 (Arm ARM D1.10.2): 0x200 per group, 0x80 per type."""
        return self.number * SLOT_SIZE

    @property
    def from_lower_el(self) -> bool:
        """Taken from EL0: the interrupted stack pointer is SP_EL0, the entry needs a kernel stack."""
        return self.origin in (Origin.EL0_64, Origin.EL0_32)

    @property
    def interrupted_sp_is_sp_el1(self) -> bool:
        """The interrupted code ran on SP_EL1 (EL1h): the frame sits on that very stack."""
        return self.origin is Origin.EL1H


SLOTS: tuple[VectorSlot, ...] = tuple(
    VectorSlot(4 * g + t, origin, etype) for g, origin in enumerate(ORIGINS) for t, etype in enumerate(TYPES)
)
SLOT_BY_NAME: dict[str, VectorSlot] = {s.name: s for s in SLOTS}


class Ec(enum.IntEnum):
    """ESR_EL1.EC exception classes the glue and its tests use (Arm ARM D17.2, ESR_EL1, table of EC values)."""

    UNKNOWN = 0x00
    WFX = 0x01
    FP_ACCESS = 0x07
    ILLEGAL_STATE = 0x0E
    SVC32 = 0x11
    SVC64 = 0x15
    MSR_MRS = 0x18
    INSN_ABORT_LOWER = 0x20
    INSN_ABORT_SAME = 0x21
    PC_ALIGNMENT = 0x22
    DATA_ABORT_LOWER = 0x24
    DATA_ABORT_SAME = 0x25
    SP_ALIGNMENT = 0x26
    SERROR = 0x2F
    BRK64 = 0x3C


#: ESR_ELx: EC is bits [31:26], IL bit 25, ISS bits [24:0] (Arm ARM D17.2, ESR_EL1)
ESR_EC_SHIFT = 26
ESR_EC_BITS = 6
ESR_IL = 1 << 25
ESR_ISS_MASK = (1 << 25) - 1
#: exception classes for which FAR_EL1 holds the faulting address (Arm ARM D17.2, FAR_EL1)
FAR_VALID_CLASSES = frozenset(
    {Ec.INSN_ABORT_LOWER, Ec.INSN_ABORT_SAME, Ec.PC_ALIGNMENT, Ec.DATA_ABORT_LOWER, Ec.DATA_ABORT_SAME}
)


class Mode(enum.IntEnum):
    """SPSR_EL1.M[3:0] for an exception taken from AArch64 (Arm ARM C5.2, SPSR_EL1)."""

    EL0T = 0b0000
    EL1T = 0b0100
    EL1H = 0b0101


SPSR_M_MASK = 0xF
#: PSTATE.{D,A,I,F} in SPSR bits [9:6]; DAIFSet/DAIFClr take them as a 4-bit immediate
#: D=8, A=4, I=2, F=1 (Arm ARM C5.2, DAIF; C6.2, MSR (immediate))
DAIF_SHIFT = 6
DAIF_BITS = {"d": 8, "a": 4, "i": 2, "f": 1}
DAIF_ALL = 0xF

#: general-purpose registers x0-x30; x31 is sp or xzr by context (Arm ARM C1.2.5)
GPRS: tuple[str, ...] = tuple(f"x{i}" for i in range(31))
SP = "sp"
ZR = "xzr"
#: the 32 128-bit SIMD&FP registers and their control/status registers (Arm ARM A1.4)
QREGS: tuple[str, ...] = tuple(f"q{i}" for i in range(32))
FP_CONTROL = ("fpcr", "fpsr")

#: AAPCS64 6.1.1: x0-x7 arguments/results, x8 indirect result, x9-x15 temporaries,
#: x16/x17 intra-procedure-call scratch, x18 platform register (treated as caller-saved)
CALLER_SAVED: tuple[str, ...] = tuple(f"x{i}" for i in range(19))
#: AAPCS64 6.1.1: x19-x28 callee-saved
CALLEE_SAVED: tuple[str, ...] = tuple(f"x{i}" for i in range(19, 29))
FRAME_POINTER = "x29"
LINK_REGISTER = "x30"
RETURN_REGISTER = "x0"
ARGUMENT_REGISTERS: tuple[str, ...] = tuple(f"x{i}" for i in range(8))
#: AAPCS64 6.4.5.1: SP mod 16 = 0 at every public interface
CALL_ALIGNMENT = 16

#: AADWARF64 "DWARF register names": x0-x30 = 0-30, SP = 31, ELR_mode = 33, V0-V31 = 64-95
DWARF_GPR_BASE = 0
DWARF_SP = 31
DWARF_ELR = 33
DWARF_V_BASE = 64


#: names an assembler reads as registers or operand keywords, never as symbols: general-purpose
#: and SIMD&FP views, sp/wsp/xzr/wzr and the lr/fp/ip0/ip1 aliases (Arm ARM C1.2.5, C1.2.6), the
#: shift and extend specifiers (Arm ARM C1.2.7: lsl ... sxtx, msl), NZCV, and SVE's vg and ffr;
#: LLVM's assembler refuses every one of them as a branch target (GNU as takes some)
_REGISTER_NAME = re.compile(
    r"([xwvqdshb]([0-9]|[12][0-9]|3[01])|sp|wsp|xzr|wzr|lr|fp|ip0|ip1"
    r"|lsl|lsr|asr|ror|msl|[su]xt[bhwx]|nzcv|vg|ffr)\Z",
    re.IGNORECASE,
)


def is_register_name(name: str) -> bool:
    """Whether an aarch64 assembler would read ``name`` as a register or an operand keyword."""
    return bool(_REGISTER_NAME.match(name))


def dwarf_number(register: str) -> int:
    """The AADWARF64 number of ``x0``..``x30``, ``sp``, ``elr`` or ``q0``..``q31``."""
    if register == SP:
        return DWARF_SP
    if register == "elr":
        return DWARF_ELR
    if register in GPRS:
        return DWARF_GPR_BASE + int(register[1:])
    if register in QREGS:
        return DWARF_V_BASE + int(register[1:])
    raise KeyError(register)


#: System registers that may hold a kernel stack top or a current-task pointer: EL1 can write
#: both, EL0 cannot (TPIDRRO_EL0 is read-only at EL0; TPIDR_EL0 is not offered: EL0 writes it).
#: Arm ARM D17.2, TPIDR_EL1 and TPIDRRO_EL0.
STACK_SOURCE_REGISTERS = ("tpidr_el1", "tpidrro_el0")

#: ERET (Arm ARM C6.2, ERET): the harness watches the glue's exception returns by it
ERET_ENCODING = 0xD69F03E0

#: encodings written as raw words because not every assembler accepts the mnemonic
#: without an -march option: SB (Arm ARM C6.2, SB; FEAT_SB)
RAW_ENCODINGS = {"sb": 0xD50330FF}

#: limits of the addressing forms the glue uses (Arm ARM C6.2): STP/LDP of X registers take a
#: signed 7-bit offset scaled by 8, of Q registers scaled by 16; STR/LDR (unsigned offset) a
#: 12-bit offset scaled by the access size; ADD/SUB (immediate) a 12-bit value, optionally << 12
STP_X_RANGE = (-512, 504)
STP_Q_RANGE = (-1024, 1008)
STR_UNSIGNED_MAX_X = 4095 * 8
STR_UNSIGNED_MAX_Q = 4095 * 16
ADD_IMM_MAX = 4095
