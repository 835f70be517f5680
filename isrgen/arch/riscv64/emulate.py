"""A riscv64 hart under unicorn that takes traps the way the privileged spec says.

unicorn's RISCV64 CPU runs sret/mret, CSR accesses and Sv39 translation, but it does
not deliver a trap itself (ecall reaches a hook with pc + 4).  :meth:`Hart.take_trap`
does what a hart does on a trap into S-mode (priv 4.1.1, 4.1.2, 4.1.7-4.1.9) or M-mode
(priv 3.1.6.1, 3.1.7, 3.3.1): epc = pc, cause, tval, xPP = the previous privilege,
xPIE = xIE, xIE = 0, privilege = S/M, pc = tvec BASE (or BASE + 4 * cause for an
interrupt in vectored mode).
"""

from __future__ import annotations

import functools
import importlib
import io
from collections.abc import Mapping
from typing import Any

import attrs

from ...diagnostics import IsrgenError, UsageError
from ...proof.elf import read_elf_stream
from .facts import ABI_NAMES, CSRS, FPRS, MODE_PRIV, PRIV_M, Mode, TvecMode, trap_target

PAGE = 0x1000
_CSR_NAMES = (
    "sstatus",
    "sscratch",
    "sepc",
    "scause",
    "stval",
    "stvec",
    "satp",
    "mstatus",
    "mscratch",
    "mepc",
    "mcause",
    "mtval",
    "mtvec",
    "mip",
    "mideleg",
    "fcsr",
)


def _unicorn(module: str = "unicorn") -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError("the unicorn Python package is not installed (pip install unicorn)") from None


@functools.cache
def _register_ids() -> dict[str, int]:
    """unicorn's id of every register by name (ABI names, f0-f31, CSRs, pc, priv)."""
    rc = _unicorn("unicorn.riscv_const")
    ids = {name: getattr(rc, f"UC_RISCV_REG_X{i}") for i, name in enumerate(ABI_NAMES)}
    ids |= {name: getattr(rc, f"UC_RISCV_REG_F{i}") for i, name in enumerate(FPRS)}
    ids |= {name: getattr(rc, f"UC_RISCV_REG_{name.upper()}") for name in _CSR_NAMES}
    return ids | {"pc": rc.UC_RISCV_REG_PC, "priv": rc.UC_RISCV_REG_PRIV}


class EmulationError(IsrgenError):
    """The glue faulted or ran away."""


@attrs.frozen
class Image:
    """A linked ELF: its loadable segments and its symbols."""

    segments: tuple[tuple[int, bytes, int], ...]  # (physical address, contents, memory size)
    symbols: Mapping[str, int]

    @classmethod
    def from_elf(cls, data: bytes) -> Image:
        """The PT_LOAD segments (at their physical addresses) and symbols of the ELF ``data``."""
        elf = read_elf_stream(io.BytesIO(data), "the image")
        segs = tuple((seg.paddr, seg.data, seg.memsz) for seg in elf.load_segments())
        return cls(segs, {s.name: s.value for s in elf.symbols if s.name})


class Hart:
    """One RV64 hart with an image loaded and any extra RAM mapped."""

    def __init__(self, image: Image, ram: tuple[tuple[int, int], ...] = ()):
        self.unicorn = _unicorn()
        self.uc: Any = self.unicorn.Uc(self.unicorn.UC_ARCH_RISCV, self.unicorn.UC_MODE_RISCV64)
        self.image = image
        mapped: set[int] = set()
        regions = [(addr, max(size, len(data))) for addr, data, size in image.segments] + list(ram)
        for addr, size in regions:
            for page in range(addr // PAGE * PAGE, addr + size, PAGE):
                if page not in mapped:
                    self.uc.mem_map(page, PAGE)
                    mapped.add(page)
        for addr, data, _ in image.segments:
            self.uc.mem_write(addr, data)
        self.set_priv(PRIV_M)

    # --- state ---------------------------------------------------------------------------

    def reg(self, name: str) -> int:
        return int(self.uc.reg_read(_register_ids()[name]))

    def set_reg(self, name: str, value: int) -> None:
        if name != "zero":
            self.uc.reg_write(_register_ids()[name], value & (1 << 64) - 1)

    def fpr(self, name: str) -> int:
        return int(self.uc.reg_read(_register_ids()[name]))

    def set_fpr(self, name: str, value: int) -> None:
        self.uc.reg_write(_register_ids()[name], value)

    @property
    def pc(self) -> int:
        return int(self.uc.reg_read(_register_ids()["pc"]))

    @property
    def priv(self) -> int:
        return int(self.uc.reg_read(_register_ids()["priv"]))

    def set_priv(self, priv: int) -> None:
        self.uc.reg_write(_register_ids()["priv"], priv)

    def csr(self, name: str) -> int:
        """Read a CSR from a privilege level that sees it (U-mode reads of S CSRs are garbage)."""
        priv = self.priv
        if priv < PRIV_M:
            self.set_priv(PRIV_M)
        value = int(self.uc.reg_read(_register_ids()[name]))
        if priv < PRIV_M:
            self.set_priv(priv)
        return value

    def set_csr(self, name: str, value: int) -> None:
        priv = self.priv
        if priv < PRIV_M:
            self.set_priv(PRIV_M)
        self.uc.reg_write(_register_ids()[name], value & (1 << 64) - 1)
        if priv < PRIV_M:
            self.set_priv(priv)

    def read64(self, addr: int) -> int:
        return int.from_bytes(self.uc.mem_read(addr, 8), "little")

    def write64(self, addr: int, value: int) -> None:
        self.uc.mem_write(addr, (value & (1 << 64) - 1).to_bytes(8, "little"))

    # --- traps and running ---------------------------------------------------------------

    def take_trap(self, mode: Mode, cause: int, tval: int, pc: int) -> int:
        """Deliver a trap at ``pc`` as the hart would; return the pc it enters at."""
        csr = CSRS[mode]
        previous = self.priv
        status = self.csr(csr.status)
        ie = 1 if status & csr.status_ie else 0
        pp_mask = csr.status_pp
        status &= ~(csr.status_ie | csr.status_pie | pp_mask)
        status |= (ie * csr.status_pie) | (previous << csr.status_pp_shift) & pp_mask
        self.set_csr(csr.status, status)
        self.set_csr(csr.epc, pc)
        self.set_csr(csr.cause, cause)
        self.set_csr(csr.tval, tval)
        tvec = self.csr(csr.tvec)
        target = trap_target(tvec & ~3, TvecMode(tvec & 3), cause)
        self.set_priv(MODE_PRIV[mode])
        self.uc.reg_write(_register_ids()["pc"], target)
        return target

    def run(self, until: int, *, start: int | None = None, limit: int = 20_000) -> None:
        """Run from ``start`` (default: the current pc) until ``until``; a fault or more than
        ``limit`` instructions fail."""
        start = self.pc if start is None else start
        try:
            self.uc.emu_start(start, until, count=limit)
        except self.unicorn.UcError as exc:
            raise EmulationError(f"fault at pc={self.pc:#x} ({self.name_of(self.pc)}): {exc}") from None
        if self.pc != until:
            raise EmulationError(
                f"stopped at pc={self.pc:#x} ({self.name_of(self.pc)}), expected {until:#x} "
                f"({self.name_of(until)}) within {limit} instructions"
            )

    def name_of(self, addr: int) -> str:
        best = max(
            ((v, k) for k, v in self.image.symbols.items() if v <= addr and not k.endswith((".o", ".c", ".S"))),
            default=(0, "?"),
        )
        return f"{best[1]}+{addr - best[0]:#x}"
