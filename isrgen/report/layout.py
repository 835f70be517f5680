"""What ``isrgen layout`` shows: the frame slot by slot with who writes each slot, the
stack alignment at the call into the handler, and every vector's routing.

:func:`layout_view` gives it for any spec as an arch-neutral
:class:`~isrgen.arch.isa.LayoutView`: for a spec of the core model it derives it from
the public model (:func:`layout_report`: :func:`isrgen.compute_layout`,
:attr:`isrgen.Spec.entry_groups`); for a spec an ISA package owns, the package's
pipeline describes it (:meth:`isrgen.arch.isa.SpecPipeline.layout`).
:mod:`isrgen.report.render` prints it as text or JSON, :mod:`isrgen.report.svg` as SVG.
"""

from __future__ import annotations

import enum

import attrs

from isrgen.arch.isa import (
    LayoutCall,
    LayoutCell,
    LayoutColumn,
    LayoutEntry,
    LayoutFrame,
    LayoutSlot,
    LayoutView,
    SlotWriter,
    cell,
)
from isrgen.model.layout import Field, FieldKind, FrameLayout, compute_layout
from isrgen.model.package_spec import PackageSpec
from isrgen.model.spec import Spec, StubStyle, Vector

#: who stores a frame slot (kept under its first name: the CPU, the stub, the entry, the kernel)
Writer = SlotWriter


class ErrorCodeSource(enum.StrEnum):
    """Where a vector's error-code slot value comes from."""

    #: the CPU pushes an error code for this vector
    CPU = "cpu"
    #: the glue stores ``frame.synthetic_error_code``
    SYNTHETIC = "synthetic"
    #: the glue stores the vector number (``frame.vector_in_error_slot``)
    VECTOR = "vector"


@attrs.frozen
class SlotRow:
    """One frame slot."""

    offset: int
    size: int
    #: the struct field's name
    field: str
    #: what the slot holds (a register, ``vector``, ``error_code``, ``rip``, ...)
    role: str
    kind: FieldKind
    #: who stores it, in the order they act (``cpu`` and ``stub`` for an error-code
    #: slot the CPU fills on some vectors and the stub on the others)
    writers: tuple[Writer, ...]
    #: pushed by the CPU only on a privilege-level change
    ring_change_only: bool = False


@attrs.frozen
class CallAlignment:
    """The stack at the call into the handler."""

    #: the alignment the calling convention wants at the call, in bytes
    alignment: int
    #: bytes the entry reserves below the frame so the stack is aligned at the call
    adjust: int
    #: the entry aligns the stack at run time (the CPU does not align it)
    dynamic: bool
    #: whether the stack is aligned to ``alignment`` at the call
    aligned: bool


@attrs.frozen
class VectorRow:
    """How one vector reaches its handler."""

    vector: int
    name: str
    stub: str
    handler: str
    kernel_handler: str | None
    #: what the ISA's table entry for the vector must say, under the ISA's
    #: :attr:`~isrgen.arch.isa.Isa.vector_columns`
    table_entry: tuple[LayoutCell, ...]
    error_code: ErrorCodeSource
    #: the value the glue stores in the error-code slot (None when the CPU pushes it)
    error_value: int | None
    #: the common entry the stub jumps to
    entry: str


@attrs.frozen
class LayoutReport:
    """Everything ``isrgen layout`` prints."""

    spec_file: str
    arch: str
    struct: str
    word_size: int
    frame_size: int
    slots: tuple[SlotRow, ...]
    call: CallAlignment
    convention: str
    vectors: tuple[VectorRow, ...]
    #: the common entries: symbol, handler, vectors
    entries: tuple[tuple[str, str, tuple[int, ...]], ...]
    #: the columns of :attr:`VectorRow.table_entry`
    table_entry_columns: tuple[LayoutColumn, ...] = ()


def error_code_source(spec: Spec, v: Vector) -> ErrorCodeSource:
    """Where ``v``'s error-code slot value comes from."""
    value = spec.frame.error_slot_value(v)
    if value is None:
        return ErrorCodeSource.CPU
    if v.vector_class in spec.frame.vector_in_error_slot:
        return ErrorCodeSource.VECTOR
    return ErrorCodeSource.SYNTHETIC


def _ordered(writers: list[Writer]) -> tuple[Writer, ...]:
    """The distinct writers, in the order they act: CPU, stub, entry."""
    return tuple(w for w in Writer if w in writers)


def slot_writers(spec: Spec, field: Field) -> tuple[Writer, ...]:
    """Who stores ``field`` across the spec's vectors.

    Classic stubs push the error-code filler and the vector themselves.  A dense
    stub pushes only one byte-sized immediate, which lands in the error-code slot
    when the CPU pushed none; the common entry then moves it down to the vector
    slot and stores the filler in its place."""
    dense = spec.stub_style is StubStyle.DENSE
    if field.kind is FieldKind.CPU:
        return (Writer.CPU,)
    if field.kind is FieldKind.FRAME_POINTER:
        # a dense stub has no room for it: the common entry stores it
        return (Writer.ENTRY,) if dense else (Writer.STUB,)
    if field.kind is FieldKind.ERROR_CODE:
        by_cpu = [Writer.CPU if v.error_code else (Writer.ENTRY if dense else Writer.STUB) for v in spec.vectors]
        return _ordered(by_cpu)
    if field.kind is FieldKind.VECTOR:
        return _ordered([Writer.ENTRY if dense and not v.error_code else Writer.STUB for v in spec.vectors])
    return (Writer.ENTRY,)


def call_alignment(spec: Spec, layout: FrameLayout) -> CallAlignment:
    """The stack's alignment at the call into the handler."""
    arch = spec.arch
    if layout.dynamic_align:
        return CallAlignment(arch.call_alignment, 0, True, spec.handler.align_stack)
    return CallAlignment(arch.call_alignment, layout.call_adjust, False, True)


def layout_report(spec: Spec) -> LayoutReport:
    """The frame, the call alignment and the vectors of ``spec``."""
    layout = compute_layout(spec)
    slots = tuple(
        SlotRow(f.offset, f.size, f.name, f.role, f.kind, slot_writers(spec, f), f.ring_change_only)
        for f in layout.fields
    )
    entry_of = {v.number: g.symbol for g in spec.entry_groups for v in g.vectors}
    vectors = tuple(
        VectorRow(
            v.number,
            v.name,
            v.stub_symbol,
            v.handler,
            v.kernel_handler,
            spec.isa.vector_cells(spec, v),
            error_code_source(spec, v),
            spec.frame.error_slot_value(v),
            entry_of[v.number],
        )
        for v in spec.vectors
    )
    entries = tuple((g.symbol, g.handler, tuple(v.number for v in g.vectors)) for g in spec.entry_groups)
    return LayoutReport(
        spec.source_file,
        spec.arch_name,
        spec.frame.struct_name,
        layout.word_size,
        layout.size,
        slots,
        call_alignment(spec, layout),
        spec.handler.convention,
        vectors,
        entries,
        spec.isa.vector_columns,
    )


def call_text(call: CallAlignment, frame_size: int) -> str:
    """The stack's alignment at the call, in words."""
    if call.dynamic:
        if call.aligned:
            return f"{call.alignment}-byte aligned: the entry aligns the stack at run time"
        return "not aligned by the entry (handler.align_stack: false)"
    return (
        f"{call.alignment}-byte aligned: the CPU aligns the stack before it pushes its frame, "
        f"the frame is {frame_size} bytes and the entry reserves {call.adjust} more below it"
    )


def error_text(v: VectorRow) -> str:
    """The vector's error-code slot: ``cpu``, or what the glue stores there."""
    return str(v.error_code) if v.error_value is None else f"{v.error_code} ({v.error_value})"


#: the per-vector table of a core-model spec: the ISA's columns go after the handlers
HANDLER_COLUMNS = (
    LayoutColumn("vector", "vector", numeric=True),
    LayoutColumn("name", "name"),
    LayoutColumn("stub", "stub"),
    LayoutColumn("handler", "handler"),
    LayoutColumn("kernel_handler", "kernel handler"),
)
ROUTING_COLUMNS = (
    LayoutColumn("error_code", "error code"),
    LayoutColumn("error_value", "error value", in_text=False),
    LayoutColumn("entry", "entry"),
)


def _vector_cells(v: VectorRow) -> tuple[LayoutCell, ...]:
    return (
        cell(v.vector),
        cell(v.name),
        cell(v.stub),
        cell(v.handler),
        cell(v.kernel_handler),
        *v.table_entry,
        cell(str(v.error_code), error_text(v)),
        cell(v.error_value),
        cell(v.entry),
    )


def report_view(report: LayoutReport) -> LayoutView:
    """``report`` as the arch-neutral view the renderers print."""
    slots = tuple(
        LayoutSlot(s.offset, s.size, s.field, s.role, str(s.kind), s.writers, s.ring_change_only) for s in report.slots
    )
    c = report.call
    call = LayoutCall(report.convention, c.alignment, c.adjust, c.dynamic, c.aligned, call_text(c, report.frame_size))
    return LayoutView(
        report.arch,
        report.word_size,
        (LayoutFrame(report.struct, report.frame_size, slots),),
        call,
        "vector",
        (*HANDLER_COLUMNS, *report.table_entry_columns, *ROUTING_COLUMNS),
        tuple(_vector_cells(v) for v in report.vectors),
        tuple(LayoutEntry(symbol, handler, numbers) for symbol, handler, numbers in report.entries),
    )


def layout_view(spec: Spec | PackageSpec) -> LayoutView:
    """What ``isrgen layout`` shows for ``spec``, whichever model it has."""
    if isinstance(spec, PackageSpec):
        return spec.pipeline.layout(spec.options)
    return report_view(layout_report(spec))
