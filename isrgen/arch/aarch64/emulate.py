"""An ARM64 machine under unicorn that takes exceptions the way the CPU does.

unicorn never takes an exception itself, so :meth:`Machine.deliver` does what the
Arm ARM (D1.10, "Exception entry") says the PE does on an exception taken to EL1:
ELR_EL1 = the preferred return address, SPSR_EL1 = the interrupted PSTATE,
ESR_EL1/FAR_EL1 describe it, PSTATE.{D,A,I,F} are set, PSTATE.SP selects SP_EL1,
and execution continues at VBAR_EL1 + the slot's offset.  Each delivery uses a
fresh machine: unicorn starts at EL1h with DAIF masked, which is exactly the state
on exception entry, and switching EL by writing PSTATE leaves stale state behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import unicorn
from unicorn import arm64_const as a64

from isrgen.proof.elf import read_elf

from .facts import GPRS, SLOT_SIZE, SLOTS

#: the unicorn module, untyped (it ships no complete annotations)
_U: Any = unicorn

TEXT_BASE = 0x4000_0000
KERNEL_STACK = 0x5000_0000
USER = 0x6000_0000
SCRATCH = 0x7000_0000
REGION = 0x10_0000
#: SPSR_EL1 is reached through the system-register interface (op0=3, op1=0, CRn=4, CRm=0, op2=0)
_SPSR_EL1 = (3, 0, 4, 0, 0)
#: CPACR_EL1.FPEN = 0b11: no FP/SIMD trap at EL0 or EL1 (Arm ARM D17.2, CPACR_EL1)
_FPEN = 3 << 20
#: SCR_EL3 (op0=3, op1=6, CRn=1, CRm=1, op2=0).RW = 1: EL1 is AArch64.  unicorn resets it to 0,
#: which makes every eret to EL1 an illegal exception return (PSTATE.IL set, mode unchanged;
#: Arm ARM D1.11.5 "Illegal return events from AArch64 state")
_SCR_EL3 = (3, 6, 1, 1, 0)
_SCR_RW = 1 << 10
_MASK64 = (1 << 64) - 1


@attrs.frozen
class Image:
    """A linked glue image: loadable sections and symbol addresses/sizes."""

    sections: tuple[tuple[int, bytes], ...]
    symbols: dict[str, tuple[int, int]]

    def address(self, name: str) -> int:
        """Address of symbol ``name``."""
        return self.symbols[name][0]

    def find_word(self, word: int) -> tuple[int, ...]:
        """Addresses of every aligned 32-bit ``word`` in the loaded sections."""
        out = []
        for addr, data in self.sections:
            for off in range(0, len(data) - 3, 4):
                if int.from_bytes(data[off : off + 4], "little") == word:
                    out.append(addr + off)
        return tuple(out)


def load_image(path: str) -> Image:
    """Read the allocated sections and symbols of the executable at ``path``."""
    elf = read_elf(path)
    sections = tuple(
        (s.addr, elf.contents[s.name]) for s in elf.sections if s.alloc and s.type not in ("SHT_NOBITS", "SHT_NULL")
    )
    symbols: dict[str, tuple[int, int]] = {}
    for sym in elf.symbols:
        if sym.name and not sym.name.startswith("$"):
            symbols.setdefault(sym.name, (sym.value, sym.size))
    return Image(sections, symbols)


@attrs.define
class CpuState:
    """Architectural state the glue must preserve or report."""

    x: list[int]
    q: list[int]
    fpcr: int
    fpsr: int
    sp_el0: int
    sp_el1: int
    elr: int
    spsr: int
    esr: int
    far: int
    tpidr_el1: int = 0
    tpidrro_el0: int = 0


_X = [getattr(a64, f"UC_ARM64_REG_X{i}") for i in range(29)] + [a64.UC_ARM64_REG_X29, a64.UC_ARM64_REG_X30]
_Q = [getattr(a64, f"UC_ARM64_REG_Q{i}") for i in range(32)]


class Machine:
    """One unicorn ARM64 CPU with the glue image loaded and VBAR_EL1 pointing at its table."""

    def __init__(self, image: Image, table: str, *, cpu_max: bool = False):
        self.image = image
        self.uc: Any = _U.Uc(_U.UC_ARCH_ARM64, _U.UC_MODE_ARM)
        if cpu_max:  # FEAT_SB's `sb` is only known to unicorn's "max" CPU model
            self.uc.ctl_set_cpu_model(a64.UC_CPU_ARM64_MAX)
        for base in (TEXT_BASE, KERNEL_STACK, USER, SCRATCH):
            self.uc.mem_map(base, REGION)
        for addr, data in image.sections:
            self.uc.mem_write(addr, data)
        self.uc.reg_write(a64.UC_ARM64_REG_CPACR_EL1, _FPEN)
        self.uc.cpr_write(*_SCR_EL3, _SCR_RW)
        self.vbar = image.address(table)
        self.uc.reg_write(a64.UC_ARM64_REG_VBAR_EL1, self.vbar)
        self._stops: set[int] = set()
        self.stopped_at: int | None = None
        #: addresses whose PSTATE is recorded in :attr:`seen` each time they execute
        self.watch: set[int] = set()
        self.seen: list[tuple[int, int]] = []
        #: instructions executed by the last :meth:`run`
        self.executed = 0
        self.uc.hook_add(_U.UC_HOOK_CODE, self._hook)

    def _hook(self, uc: Any, address: int, size: int, user_data: object) -> None:
        if address in self.watch:
            self.seen.append((address, int(uc.reg_read(a64.UC_ARM64_REG_PSTATE))))
        if address in self._stops:
            self.stopped_at = address
            uc.emu_stop()
            return
        self.executed += 1

    # -- registers ----------------------------------------------------------------------
    def x(self, i: int) -> int:
        return int(self.uc.reg_read(_X[i]))

    def set_x(self, i: int, value: int) -> None:
        self.uc.reg_write(_X[i], value & _MASK64)

    def reg(self, name: str) -> int:
        """Read ``x0``..``x30``, ``sp``, ``pc``, ``sp_el0``, ``sp_el1``, ``pstate``, ``elr``, ``spsr``, ..."""
        if name in GPRS:
            return self.x(int(name[1:]))
        if name == "spsr":
            return int(self.uc.cpr_read(*_SPSR_EL1))
        regs = {
            "sp": a64.UC_ARM64_REG_SP,
            "pc": a64.UC_ARM64_REG_PC,
            "sp_el0": a64.UC_ARM64_REG_SP_EL0,
            "sp_el1": a64.UC_ARM64_REG_SP_EL1,
            "pstate": a64.UC_ARM64_REG_PSTATE,
            "elr": a64.UC_ARM64_REG_ELR_EL1,
            "esr": a64.UC_ARM64_REG_ESR_EL1,
            "far": a64.UC_ARM64_REG_FAR_EL1,
            "fpcr": a64.UC_ARM64_REG_FPCR,
            "fpsr": a64.UC_ARM64_REG_FPSR,
            "tpidr_el1": a64.UC_ARM64_REG_TPIDR_EL1,
            "tpidrro_el0": a64.UC_ARM64_REG_TPIDRRO_EL0,
        }
        return int(self.uc.reg_read(regs[name]))

    def q(self, i: int) -> int:
        return int(self.uc.reg_read(_Q[i]))

    def state(self) -> CpuState:
        """The current registers as a :class:`CpuState`."""
        return CpuState(
            x=[self.x(i) for i in range(31)],
            q=[self.q(i) for i in range(32)],
            fpcr=self.reg("fpcr"),
            fpsr=self.reg("fpsr"),
            sp_el0=self.reg("sp_el0"),
            sp_el1=self.reg("sp_el1"),
            elr=self.reg("elr"),
            spsr=self.reg("spsr"),
            esr=self.reg("esr"),
            far=self.reg("far"),
            tpidr_el1=self.reg("tpidr_el1"),
            tpidrro_el0=self.reg("tpidrro_el0"),
        )

    def load_state(self, s: CpuState) -> None:
        """Write every register of ``s`` (the CPU stays at EL1h)."""
        for i, v in enumerate(s.x):
            self.set_x(i, v)
        for i, v in enumerate(s.q):
            self.uc.reg_write(_Q[i], v)
        self.uc.reg_write(a64.UC_ARM64_REG_FPCR, s.fpcr)
        self.uc.reg_write(a64.UC_ARM64_REG_FPSR, s.fpsr)
        self.uc.reg_write(a64.UC_ARM64_REG_SP_EL0, s.sp_el0)
        self.uc.reg_write(a64.UC_ARM64_REG_SP, s.sp_el1)  # EL1h: sp is SP_EL1
        self.uc.reg_write(a64.UC_ARM64_REG_ELR_EL1, s.elr)
        self.uc.cpr_write(*_SPSR_EL1, s.spsr)
        self.uc.reg_write(a64.UC_ARM64_REG_ESR_EL1, s.esr)
        self.uc.reg_write(a64.UC_ARM64_REG_FAR_EL1, s.far)
        self.uc.reg_write(a64.UC_ARM64_REG_TPIDR_EL1, s.tpidr_el1)
        self.uc.reg_write(a64.UC_ARM64_REG_TPIDRRO_EL0, s.tpidrro_el0)

    # -- memory -------------------------------------------------------------------------
    def read64(self, addr: int) -> int:
        return int.from_bytes(self.uc.mem_read(addr, 8), "little")

    def read128(self, addr: int) -> int:
        return int.from_bytes(self.uc.mem_read(addr, 16), "little")

    def write(self, addr: int, value: int, size: int = 8) -> None:
        self.uc.mem_write(addr, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))

    # -- running ------------------------------------------------------------------------
    def deliver(self, slot: int, state: CpuState) -> None:
        """Take an exception to ``slot`` with the interrupted context ``state``
        (ELR/SPSR/ESR/FAR set as the CPU sets them, SP_EL1 selected, DAIF masked)."""
        self.load_state(state)
        self.uc.reg_write(a64.UC_ARM64_REG_PC, self.vbar + SLOTS[slot].number * SLOT_SIZE)

    def run(self, start: int, stops: Iterable[int], until: int = 0, limit: int = 20000) -> int:
        """Run from ``start`` until an address in ``stops`` (not executed), ``until`` or ``limit``
        instructions; return the pc.  A CPU fault stops the run where it happened."""
        self._stops = set(stops)
        self.stopped_at = None
        self.executed = 0
        try:
            self.uc.emu_start(start, until or (1 << 63), count=limit)
        except _U.UcError:
            pass
        return self.reg("pc")
