"""The validated, frozen model of a spec.

The loader (:mod:`isrgen.spec.loader`) is the only producer of these objects; every
field has already been checked, every default resolved, every symbol name
expanded.  Source references are kept on each node but excluded from equality,
so two specs that say the same thing compare equal wherever they came from.
"""

from __future__ import annotations

import enum
import functools
from typing import Any

import attrs

from isrgen.arch import ArchFacts, Isa, get_isa
from isrgen.diagnostics import UNKNOWN_SOURCE, SourceRef
from isrgen.model.narrow import NarrowField

SPEC_VERSION = 1


class VectorClass(enum.StrEnum):
    """What delivers a vector."""

    EXCEPTION = "exception"
    IRQ = "irq"
    SPURIOUS = "spurious"
    SOFTWARE = "software"


class SlotKind(enum.StrEnum):
    """What a software-saved frame slot holds."""

    GPR = "gpr"
    #: a segment register (i386): a 16-bit selector in a word-size slot
    SEGMENT = "segment"
    VECTOR = "vector"
    ERROR_CODE = "error_code"
    PAD = "pad"
    #: address of the SIMD save area below the frame (0 when none was saved)
    SIMD_AREA = "simd_area"
    #: the interrupted frame pointer (rbp/ebp), stored by the stub between the error
    #: code and the CPU frame; the entry points rbp/ebp at it, so that a frame-pointer
    #: backtrace walks from the handler into the interrupted code (Pintos' intr_frame)
    FRAME_POINTER = "frame_pointer"
    #: the interrupted context's FS or GS base (role ``fs_base`` / ``gs_base``): saved by
    #: the entry, written back by the exit (see :mod:`isrgen.arch.x86.codegen.segment_bases`)
    SEGMENT_BASE = "segment_base"
    #: the SIMD save area itself, inside the frame at a 64-byte aligned offset (``{simd_state: N}``)
    SIMD_STATE = "simd_state"
    #: with a ``simd_state`` slot: bytes the entry moved the frame down to align it to 64
    #: (the frame's end minus this is where the CPU pushed its frame; the original RSP)
    FRAME_SHIFT = "frame_shift"


class ReturnModel(enum.StrEnum):
    """How control gets back to the interrupted code."""

    #: the handler returns nothing; the entry restores the frame it saved
    VOID = "void"
    #: the handler returns the frame to resume (possibly another thread's)
    FRAME = "frame"
    #: the handler never returns (a "funnel"); the resume routine returns to a frame
    NORETURN = "noreturn"


class KernelFault(enum.StrEnum):
    """What happens when a kernel-fault handler returns."""

    RESUME = "resume"
    HALT = "halt"


class SymbolVisibility(enum.StrEnum):
    """Whether a generated symbol is exported (``.globl``) or stays local to the object."""

    GLOBAL = "global"
    LOCAL = "local"


class TableContents(enum.StrEnum):
    """What the vector table holds."""

    #: one stub address per vector (the kernel builds its IDT from it at boot)
    STUBS = "stubs"


class ExitFrame(enum.StrEnum):
    """How the exit routine is told which frame to resume."""

    #: the first argument (rdi, or the first stack argument for cdecl)
    ARGUMENT = "argument"
    #: the stack pointer points at the frame (xv6's ``trapret``, reached by ``ret``)
    STACK = "stack"


class StubStyle(enum.StrEnum):
    """How the per-vector stubs are laid out."""

    #: ``push 0`` (when no CPU error code), ``push n``, ``jmp entry``; each stub aligned
    CLASSIC = "classic"
    #: ``push imm8``, ``jmp entry`` at a fixed stride (8 bytes, 16 with ENDBR64); the entry
    #: supplies the synthetic error code and widens the vector
    DENSE = "dense"


def source_field() -> SourceRef:
    """A source reference field: kept on the node, ignored by equality."""
    field: SourceRef = attrs.field(default=UNKNOWN_SOURCE, eq=False, repr=False, order=False)
    return field


@attrs.frozen
class Slot:
    """One software-saved slot of the frame (the CPU-pushed part is implied by the arch)."""

    kind: SlotKind
    #: the struct field's name
    name: str
    size: int = 8
    #: what the slot holds: a register name, or the kind's name (vector, error_code, ...)
    role: str = ""
    #: bytes of the slot that hold the value (a segment selector: 2); 0 = the whole slot
    value_size: int = 0
    #: "pushal" for the eight slots one pushad stores
    block: str = ""
    source: SourceRef = source_field()
    #: the C/Rust struct declares the value narrower, with explicit padding (``width:``)
    narrow: NarrowField | None = None


@attrs.frozen
class Frame:
    """The frame layout as the spec gives it, low address first."""

    struct_name: str
    slots: tuple[Slot, ...]
    synthetic_error_code: int = 0
    source: SourceRef = source_field()

    #: renamed CPU-pushed fields: (cpu field, struct field name)
    cpu_names: tuple[tuple[str, str], ...] = ()
    #: classes whose stubs store the vector number in the error-code slot when the CPU
    #: pushes no error code (Linux's orig_ax for IRQs); other such vectors get
    #: ``synthetic_error_code``.  See :meth:`error_slot_value`.
    vector_in_error_slot: tuple[VectorClass, ...] = ()
    #: CPU-pushed fields the struct declares narrower: (cpu field, declaration)
    cpu_narrow: tuple[tuple[str, NarrowField], ...] = ()

    def error_slot_value(self, vector: Vector) -> int | None:
        """What the stub stores in the error-code slot for ``vector``: None when the CPU
        pushes the error code itself, else the vector number or the synthetic code."""
        if vector.error_code:
            return None
        if vector.vector_class in self.vector_in_error_slot:
            return vector.number
        return self.synthetic_error_code

    @property
    def saved_registers(self) -> tuple[str, ...]:
        """General-purpose registers saved (and restored) by the common entry, low address first."""
        return tuple(s.role for s in self.slots if s.kind is SlotKind.GPR)

    @property
    def has_vector(self) -> bool:
        """Whether the frame records the vector number."""
        return any(s.kind is SlotKind.VECTOR for s in self.slots)

    @property
    def simd_inline(self) -> bool:
        """Whether the SIMD save area is inside the frame (which the entry aligns to 64)."""
        return any(s.kind is SlotKind.SIMD_STATE for s in self.slots)

    @property
    def has_frame_pointer(self) -> bool:
        """Whether the stubs store the interrupted frame pointer above the error code."""
        return any(s.kind is SlotKind.FRAME_POINTER for s in self.slots)


@attrs.frozen
class Vector:
    """One vector with everything the shared pipeline resolves (an ISA's model adds
    its per-vector options in a subclass)."""

    number: int
    name: str
    vector_class: VectorClass
    handler: str
    stub_symbol: str
    error_code: bool
    error_code_overridden: bool = False
    kernel_handler: str | None = None
    source: SourceRef = source_field()

    def entry_key(self) -> tuple[object, ...]:
        """What the common entry that delivers this vector must agree on: vectors with
        equal keys share one entry."""
        return (self.handler, self.kernel_handler)


@attrs.frozen
class EntryGroup:
    """Vectors that share one common entry (equal :meth:`Vector.entry_key`)."""

    index: int
    symbol: str
    handler: str
    kernel_handler: str | None
    vectors: tuple[Vector, ...]


def group_vectors(entry: str, vectors: tuple[Vector, ...]) -> tuple[tuple[str, tuple[Vector, ...]], ...]:
    """Group vectors by their entry key, in order of first vector: (entry symbol, vectors).

    A single group's entry symbol is ``entry``; with several, ``{entry}_{index}``.
    """
    keys: dict[tuple[object, ...], list[Vector]] = {}
    for v in vectors:
        keys.setdefault(v.entry_key(), []).append(v)
    return tuple((entry if len(keys) == 1 else f"{entry}_{i}", tuple(vecs)) for i, vecs in enumerate(keys.values()))


@attrs.frozen
class Visibilities:
    """Which generated symbols are exported: existing C code may reference the exit
    label (a new thread's first return address) or the table by name."""

    stubs: SymbolVisibility = SymbolVisibility.GLOBAL
    table: SymbolVisibility = SymbolVisibility.GLOBAL
    entry: SymbolVisibility = SymbolVisibility.GLOBAL
    exit: SymbolVisibility = SymbolVisibility.GLOBAL
    source: SourceRef = source_field()


@attrs.frozen
class Symbols:
    """Names of the generated symbols that are not per vector."""

    prefix: str
    stub_pattern: str
    table: str
    entry: str
    exit: str
    gates: str
    source: SourceRef = source_field()
    visibility: Visibilities = Visibilities()


@attrs.frozen
class Sections:
    """Where generated code and data go, and how they are aligned."""

    code: str
    table: str
    code_align: int = 16
    stub_align: int = 16
    source: SourceRef = source_field()


@attrs.frozen
class Table:
    """The vector table's format (its section is :attr:`Sections.table`)."""

    #: bytes per entry (4 on x86_64 suits a kernel linked below 4 GiB); 0 = the word size
    width: int = 0
    #: alignment of the table in bytes; 0 = the entry width
    align: int = 0
    contents: TableContents = TableContents.STUBS
    #: the section is writable (``.data``, ``.data.rel.ro``): emitted with "aw" flags
    writable: bool = False
    source: SourceRef = source_field()


@attrs.frozen
class Handler:
    """The default handler and the calling convention used to reach handlers."""

    symbol: str
    convention: str = "sysv"
    returns: ReturnModel = ReturnModel.VOID
    #: cdecl only: align the stack to 16 bytes at the call (the CPU does not on i386)
    align_stack: bool = True
    #: cdecl only: "pointer" (the handler gets a pointer to the frame) or "value" (the
    #: frame on the stack is the handler's by-value struct argument, as in JamesM's kernel)
    frame_arg: str = "pointer"
    #: what the handler receives, in order: the frame first, then optionally the
    #: vector and the error code (read from the frame: rsi/rdx, or pushed for cdecl)
    args: tuple[str, ...] = ("frame",)
    source: SourceRef = source_field()


@attrs.frozen
class Entry:
    """Options of the entry and exit paths that apply to every vector (an ISA's model
    adds its own in a subclass)."""

    #: zero the saved general-purpose registers before calling the handler
    clear_registers: bool = False
    kernel_fault: KernelFault = KernelFault.RESUME
    #: symbol of the generated halt routine (clears registers, then halts forever)
    halt: str = "isr_halt"
    #: the exit routine's arguments in calling-convention order, by role: "frame" (the
    #: frame to resume) and optionally "cr3" (a page-table root loaded when non-zero)
    exit_args: tuple[str, ...] = ("frame",)
    source: SourceRef = source_field()
    #: how the exit routine finds the frame to resume
    exit_frame: ExitFrame = ExitFrame.ARGUMENT

    @property
    def exit_loads_cr3(self) -> bool:
        """Whether the exit routine takes a page-table root (and loads CR3 when it is non-zero)."""
        return "cr3" in self.exit_args


@attrs.frozen
class Debug:
    """Debugging aids isrgen adds to the assembly."""

    #: call-frame information (.cfi_* directives) in the GAS and Rust outputs
    cfi: bool = True
    #: where the GAS output puts it: "eh_frame" (the default) or "debug_frame"
    cfi_sections: str = "eh_frame"
    source: SourceRef = source_field()


def default(cls: type, name: str) -> Any:
    """The model's default for attribute ``name`` of ``cls``: the one place a default is
    written (the loader fills an absent key with it)."""
    value: Any = attrs.fields_dict(cls)[name].default
    return value.factory() if isinstance(value, attrs.Factory) else value  # type: ignore[arg-type]


@attrs.frozen
class Output:
    """One output a spec asks for: a backend name and the file it writes."""

    backend: str
    filename: str
    source: SourceRef = source_field()
    #: the parts of the glue this file holds when the spec splits an assembly backend's
    #: output into several files (``stubs``, ``table``, ``entry``, ``exit``, ``syscall``);
    #: empty: the whole output
    parts: tuple[str, ...] = ()


class NameRole(enum.Enum):
    """What a name the spec chooses stands for in the generated outputs."""

    #: a symbol the glue defines (a stub, the table, an entry, the exit routine, ...)
    DEFINED = "defined"
    #: a symbol the glue calls and the kernel defines (a handler)
    REFERENCED = "referenced"
    #: the frame struct's tag
    TYPE = "type"


@attrs.frozen
class ChosenName:
    """A name the spec chose (directly or through a pattern), with the key that chose it;
    :mod:`isrgen.output.declarations` checks it against every rendered output."""

    name: str
    role: NameRole
    #: the key's JSON-path-like locator (``$.handler.symbol``)
    path: str
    source: SourceRef = source_field()


@attrs.frozen
class Spec:
    """A complete, validated spec of the shared pipeline: what every ISA on it has.

    An ISA's model subclasses it (and :class:`Vector`, :class:`Entry`) with the
    options only that ISA has; the loader builds the ISA's subclass.
    """

    arch_name: str
    symbols: Symbols
    sections: Sections
    handler: Handler
    frame: Frame
    vectors: tuple[Vector, ...]
    outputs: tuple[Output, ...]
    stub_style: StubStyle = StubStyle.CLASSIC
    entry: Entry = Entry()
    table: Table = Table()
    debug: Debug = Debug()
    source_file: str = attrs.field(default="<memory>", eq=False)
    source_sha256: str = attrs.field(default="", eq=False)
    #: the names the spec chose, with their keys (empty for a spec built in code)
    chosen_names: tuple[ChosenName, ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def isa(self) -> Isa:
        """The ISA the spec targets (its ``arch:`` value)."""
        isa = get_isa(self.arch_name)
        if isa is None:  # pragma: no cover - the loader rejects unknown arches
            raise LookupError(self.arch_name)
        return isa

    @property
    def arch(self) -> ArchFacts:
        """The architecture facts the spec targets."""
        return self.isa.facts

    @property
    def table_width(self) -> int:
        """Bytes per vector-table entry."""
        return self.table.width or self.arch.word_size

    @property
    def table_align(self) -> int:
        """Alignment of the vector table in bytes."""
        return self.table.align or self.table_width

    @functools.cached_property
    def _vectors_by_number(self) -> dict[int, Vector]:
        return {v.number: v for v in self.vectors}

    def vector(self, number: int) -> Vector | None:
        """The vector with that number, if the spec defines it."""
        return self._vectors_by_number.get(number)

    @property
    def other_handlers(self) -> tuple[str, ...]:
        """Handlers the glue calls besides the vectors' (an ISA's system-call entry's)."""
        return ()

    @property
    def handlers(self) -> tuple[str, ...]:
        """Distinct handler symbols (kernel-fault and other handlers included), in order of first use."""
        seen: dict[str, None] = {}
        for v in self.vectors:
            seen.setdefault(v.handler, None)
            if v.kernel_handler:
                seen.setdefault(v.kernel_handler, None)
        for h in self.other_handlers:
            seen.setdefault(h, None)
        return tuple(seen)

    @property
    def entry_groups(self) -> tuple[EntryGroup, ...]:
        """The common entries the glue has, each with its vectors."""
        return tuple(
            EntryGroup(i, symbol, vecs[0].handler, vecs[0].kernel_handler, vecs)
            for i, (symbol, vecs) in enumerate(group_vectors(self.symbols.entry, self.vectors))
        )

    def outputs_for(self, backend: str) -> tuple[Output, ...]:
        """Every file the spec's outputs give ``backend`` (several when it splits the glue)."""
        return tuple(o for o in self.outputs if o.backend == backend)

    def parts_in(self, backend: str, filename: str) -> tuple[str, ...]:
        """The parts file ``filename`` of ``backend`` holds (empty: the whole output)."""
        return next((o.parts for o in self.outputs if o.backend == backend and o.filename == filename), ())

    def output_for(self, backend: str) -> Output | None:
        """The spec's output entry for ``backend``."""
        for o in self.outputs:
            if o.backend == backend:
                return o
        return None
