"""The validated, frozen model of a spec.

The loader (:mod:`isrgen.loader`) is the only producer of these objects; every
field has already been checked, every default resolved, every symbol name
expanded.  Source references are kept on each node but excluded from equality,
so two specs that say the same thing compare equal wherever they came from.
"""

from __future__ import annotations

import enum

import attrs

from .arch import ArchFacts, get_arch
from .diagnostics import UNKNOWN_SOURCE, SourceRef

SPEC_VERSION = 1


class VectorClass(enum.StrEnum):
    """What delivers a vector."""

    EXCEPTION = "exception"
    IRQ = "irq"
    SPURIOUS = "spurious"
    SOFTWARE = "software"


class GateType(enum.StrEnum):
    """IDT gate type: an interrupt gate clears IF, a trap gate keeps it."""

    INTERRUPT = "interrupt"
    TRAP = "trap"


class SlotKind(enum.StrEnum):
    """What a software-saved frame slot holds."""

    GPR = "gpr"
    VECTOR = "vector"
    ERROR_CODE = "error_code"
    PAD = "pad"


class ReturnModel(enum.StrEnum):
    """How control gets back to the interrupted code."""

    #: the handler returns nothing; the entry restores the frame it saved
    VOID = "void"
    #: the handler returns the frame to resume (possibly another thread's)
    FRAME = "frame"


class StubStyle(enum.StrEnum):
    """How the per-vector stubs are laid out."""

    #: ``push 0`` (when no CPU error code), ``push n``, ``jmp entry``; each stub aligned
    CLASSIC = "classic"


def _src() -> SourceRef:
    """A source reference field: kept on the node, ignored by equality."""
    field: SourceRef = attrs.field(default=UNKNOWN_SOURCE, eq=False, repr=False, order=False)
    return field


def entry_symbol(entry: str, handlers: tuple[str, ...], handler: str) -> str:
    """The common entry symbol of the group of vectors reaching ``handler``.

    With a single handler the entry is just ``entry``; otherwise each handler's
    entry is ``{entry}_{handler}``.
    """
    return entry if len(handlers) == 1 else f"{entry}_{handler}"


@attrs.frozen
class Slot:
    """One software-saved slot of the frame (the CPU-pushed part is implied by the arch)."""

    kind: SlotKind
    name: str
    size: int = 8
    source: SourceRef = _src()


@attrs.frozen
class Frame:
    """The frame layout as the spec gives it, low address first."""

    struct_name: str
    slots: tuple[Slot, ...]
    synthetic_error_code: int = 0
    source: SourceRef = _src()

    @property
    def saved_registers(self) -> tuple[str, ...]:
        """Registers saved by the common entry, low address first."""
        return tuple(s.name for s in self.slots if s.kind is SlotKind.GPR)

    @property
    def has_vector(self) -> bool:
        """Whether the frame records the vector number."""
        return any(s.kind is SlotKind.VECTOR for s in self.slots)


@attrs.frozen
class Vector:
    """One IDT vector with everything resolved."""

    number: int
    name: str
    vector_class: VectorClass
    handler: str
    stub_symbol: str
    error_code: bool
    error_code_overridden: bool = False
    ist: int | None = None
    gate: GateType = GateType.INTERRUPT
    dpl: int = 0
    source: SourceRef = _src()

    @property
    def type_attr(self) -> int:
        """The IDT gate's type/attribute byte: present, DPL, interrupt (0xE) or trap (0xF)."""
        kind = 0xE if self.gate is GateType.INTERRUPT else 0xF
        return 0x80 | (self.dpl << 5) | kind


@attrs.frozen
class Symbols:
    """Names of the generated symbols that are not per vector."""

    prefix: str
    stub_pattern: str
    table: str
    entry: str
    exit: str
    gates: str
    source: SourceRef = _src()


@attrs.frozen
class Sections:
    """Where generated code and data go, and how they are aligned."""

    code: str
    table: str
    code_align: int = 16
    stub_align: int = 16
    source: SourceRef = _src()


@attrs.frozen
class Handler:
    """The default handler and the calling convention used to reach handlers."""

    symbol: str
    convention: str = "sysv"
    returns: ReturnModel = ReturnModel.VOID
    source: SourceRef = _src()


@attrs.frozen
class Output:
    """One output a spec asks for: a backend name and the file it writes."""

    backend: str
    filename: str
    source: SourceRef = _src()


@attrs.frozen
class Spec:
    """A complete, validated isrgen spec."""

    arch_name: str
    symbols: Symbols
    sections: Sections
    handler: Handler
    frame: Frame
    vectors: tuple[Vector, ...]
    outputs: tuple[Output, ...]
    stub_style: StubStyle = StubStyle.CLASSIC
    source_file: str = attrs.field(default="<memory>", eq=False)
    source_sha256: str = attrs.field(default="", eq=False)

    @property
    def arch(self) -> ArchFacts:
        """The architecture facts the spec targets."""
        facts = get_arch(self.arch_name)
        if facts is None:  # pragma: no cover - the loader rejects unknown arches
            raise LookupError(self.arch_name)
        return facts

    def vector(self, number: int) -> Vector | None:
        """The vector with that number, if the spec defines it."""
        for v in self.vectors:
            if v.number == number:
                return v
        return None

    @property
    def handlers(self) -> tuple[str, ...]:
        """Distinct handler symbols, in order of first use by vector number."""
        seen: dict[str, None] = {}
        for v in self.vectors:
            seen.setdefault(v.handler, None)
        return tuple(seen)

    def output_for(self, backend: str) -> Output | None:
        """The spec's output entry for ``backend``."""
        for o in self.outputs:
            if o.backend == backend:
                return o
        return None
