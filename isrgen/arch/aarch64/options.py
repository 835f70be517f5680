"""The validated, frozen model of an ``arch: aarch64`` spec.

:mod:`isrgen.arch.aarch64.resolve` is the only producer; every default is resolved,
every symbol expanded, every slot routed.  Source references are kept for messages
but excluded from equality.
"""

from __future__ import annotations

import enum

import attrs

from ...diagnostics import UNKNOWN_SOURCE, SourceRef
from .facts import SLOTS, Ec, VectorSlot


def _src() -> SourceRef:
    field: SourceRef = attrs.field(default=UNKNOWN_SOURCE, eq=False, repr=False, order=False)
    return field


class TableStyle(enum.StrEnum):
    """What each 0x80-byte vector slot holds."""

    #: one ``b`` to the slot's entry routine
    BRANCH = "branch"
    #: the whole save sequence inside the slot, then a branch to the shared tail; the
    #: assembler fails if it outgrows the slot
    INLINE = "inline"
    #: Linux style: the stack switch and ``sub sp, sp, #frame`` in the slot, then a branch
    LINUX = "linux"


class Returns(enum.StrEnum):
    """How control gets back to the interrupted code after a handler."""

    #: the handler returns nothing; the glue resumes the frame it saved (maybe modified)
    VOID = "void"
    #: the handler returns the frame to resume (possibly another task's)
    FRAME = "frame"
    #: the handler never returns; the glue halts if it does
    NORETURN = "noreturn"


class Arg(enum.StrEnum):
    """A handler parameter, in AAPCS64 argument registers x0, x1, x2 in order."""

    FRAME = "frame"
    #: the slot number 0..15
    KIND = "kind"
    #: ESR_EL1 as read at entry
    ESR = "esr"


class Use(enum.StrEnum):
    """Which declared handler a vector slot reaches."""

    HANDLER = "handler"
    KERNEL_HANDLER = "kernel_handler"
    BAD_MODE = "bad_mode"


class ExitBarrier(enum.StrEnum):
    """Speculation barrier placed after ``eret`` (straight-line speculation)."""

    NONE = "none"
    #: FEAT_SB's ``sb``
    SB = "sb"
    #: ``dsb nsh; isb`` for cores without FEAT_SB
    DSB_ISB = "dsb_isb"


class Visibility(enum.StrEnum):
    """Whether a generated symbol is exported."""

    GLOBAL = "global"
    LOCAL = "local"


@attrs.frozen
class Symbols:
    """Expanded symbol names; ``entry`` is a pattern with ``{name}`` (slot name) and ``{n}``."""

    prefix: str
    table: str
    entry: str
    exit: str
    halt: str
    table_visibility: Visibility = Visibility.GLOBAL
    entry_visibility: Visibility = Visibility.LOCAL
    exit_visibility: Visibility = Visibility.GLOBAL
    #: optional second entry of the exit routine taking the frame in sp instead of x0
    #: (a teaching kernel's ``mov sp, x0; b trapret``)
    exit_sp: str | None = None

    @property
    def install(self) -> str:
        """The C header's ``static inline`` function that points VBAR_EL1 at the table."""
        return f"{self.prefix}install_vbar"

    def entry_symbol(self, slot: VectorSlot) -> str:
        """The entry routine of ``slot``."""
        return self.entry.format(name=slot.name, n=slot.number)


@attrs.frozen
class Sections:
    """Where the code and the vector table go (both executable)."""

    code: str = ".text.isr"
    table: str = ".text.isr.vectors"
    code_align: int = 16


@attrs.frozen
class FrameSlot:
    """One entry of ``frame.layout``: what it holds (its role) and the struct field's name.

    Roles: ``x0``..``x30``, ``sp``, ``elr``, ``spsr``, ``esr``, ``far``, ``kind``, ``pad``
    (zeroed at entry), ``reserved`` (never written nor read by the glue: the kernel's own
    fields in a save block, like seL4's FaultIP or a saved TPIDR_EL0), ``record`` and
    ``fpsimd`` (the q0-q31 + fpcr + fpsr area).  ``copy`` marks a second slot of a GPR
    (Linux's ``orig_x0``): written at entry, never restored.
    """

    role: str
    name: str
    size: int = 8
    copy: bool = False
    source: SourceRef = _src()  # noqa: RUF009 - a field factory


@attrs.frozen
class Frame:
    """The frame as the spec declares it, low address first."""

    struct_name: str
    slots: tuple[FrameSlot, ...]
    source: SourceRef = _src()  # noqa: RUF009 - a field factory

    @property
    def has_fpsimd(self) -> bool:
        """Whether the frame holds the FP/SIMD registers."""
        return any(s.role == "fpsimd" for s in self.slots)


@attrs.frozen
class Handler:
    """A handler function the kernel defines."""

    symbol: str
    returns: Returns = Returns.VOID
    args: tuple[Arg, ...] = (Arg.FRAME,)
    source: SourceRef = _src()  # noqa: RUF009 - a field factory


@attrs.frozen
class Route:
    """What a vector slot does."""

    slot: VectorSlot
    use: Use
    handler: Handler
    #: save and restore the frame's FP/SIMD area on this slot (when the frame has one); False
    #: for entries whose handlers never touch FP/SIMD registers, like x86's "none" SIMD policy
    fpsimd: bool = True

    @property
    def used(self) -> bool:
        """Whether the slot reaches a real handler (not the bad-mode one)."""
        return self.use is not Use.BAD_MODE


@attrs.frozen
class Syscall:
    """SVC from AArch64 EL0: reached from ``slot`` when ESR_EL1.EC is ``ec``."""

    handler: Handler
    slot: VectorSlot
    #: GPRs restored from the frame on return; every other GPR is zeroed
    restored: tuple[str, ...] = ("x0",)
    ec: int = int(Ec.SVC64)


@attrs.frozen
class Stack:
    """Where entries from EL0 find their stack, and what SP_EL0 holds in the kernel."""

    #: "sp_el1" (the CPU's own SP_EL1) or a system register holding the stack top
    source: str = "sp_el1"
    #: None: SP_EL0 keeps the user SP; else a system register whose value the entry from
    #: EL0 loads into SP_EL0 (a current-task pointer, as Linux does)
    kernel_sp_el0: str | None = None


@attrs.frozen
class Hardening:
    """Optional entry/exit hardening."""

    #: zero x0-x30 after saving them on entries from EL0 (the handler gets its args only)
    clear_registers: bool = False
    #: DAIF bits (d, a, i, f) unmasked after the save and masked again before the restore
    unmask_daif: tuple[str, ...] = ()
    exit_barrier: ExitBarrier = ExitBarrier.NONE
    #: a frame record {x29, elr} below the frame with x29 pointing at it (AAPCS64 6.4.6)
    frame_record: bool = False
    #: .cfi_* directives (signal frame, return column ELR)
    cfi: bool = False


@attrs.frozen
class Aarch64Spec:
    """A whole aarch64 spec."""

    symbols: Symbols
    sections: Sections
    style: TableStyle
    frame: Frame
    stack: Stack
    routes: tuple[Route, ...]
    bad_mode: Handler
    syscall: Syscall | None
    hardening: Hardening
    outputs: tuple[tuple[str, str], ...]

    def __attrs_post_init__(self) -> None:
        if tuple(r.slot for r in self.routes) != SLOTS:
            raise ValueError("routes must list the 16 vector slots in order")

    def route(self, slot: VectorSlot) -> Route:
        """The route of ``slot``."""
        return self.routes[slot.number]

    @property
    def handlers(self) -> tuple[Handler, ...]:
        """Every handler the glue calls, each once, in first-use order (the C prototypes)."""
        seen: dict[str, Handler] = {}
        for r in self.routes:
            seen.setdefault(r.handler.symbol, r.handler)
        if self.syscall is not None:
            seen.setdefault(self.syscall.handler.symbol, self.syscall.handler)
        return tuple(seen.values())
