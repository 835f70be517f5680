"""``isrgen layout`` for an aarch64 spec: the frame, the stack at the call and the 16
VBAR_EL1 slots, as the arch-neutral :class:`~isrgen.arch.isa.LayoutView`.

The CPU pushes nothing when it takes an exception to EL1 (Arm ARM D1.10): it sets
ELR_EL1, SPSR_EL1, ESR_EL1 and FAR_EL1, and the glue copies them into the frame.
"""

from __future__ import annotations

from ..isa import (
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
from .facts import CALL_ALIGNMENT, FP_CONTROL, GPRS, QREGS, Origin, VectorSlot
from .layout import Field, FrameLayout, compute_layout
from .options import Aarch64Spec, TableStyle

#: the system register each copied slot comes from (Arm ARM D1.10.1: the CPU sets them on entry)
_SYSREG_SOURCE = {"elr": "ELR_EL1", "spsr": "SPSR_EL1", "esr": "ESR_EL1", "far": "FAR_EL1"}
#: slots the inline style stores inside the vector slot itself (the FP/SIMD area and the
#: frame record are stored by the entry the slot branches to)
_STORED_IN_SLOT = frozenset({*GPRS, "sp", *_SYSREG_SOURCE, "kind", "pad"})
#: which stack pointer an exception of each origin runs on (Arm ARM D1.10.2 and D1.7.2:
#: an exception to EL1 always selects SP_EL1)
_ORIGIN_TEXT = {
    Origin.EL1T: "EL1 with SP_EL0",
    Origin.EL1H: "EL1 with SP_EL1",
    Origin.EL0_64: "EL0 (AArch64)",
    Origin.EL0_32: "EL0 (AArch32)",
}


def _kind_and_source(f: Field) -> tuple[str, str]:
    if f.copy:  # a second copy of a register (Linux's orig_x0), never restored
        return "gpr", f.role
    if f.role in GPRS:
        return "gpr", ""
    if f.role in _SYSREG_SOURCE:
        return "sysreg", _SYSREG_SOURCE[f.role]
    if f.role == "sp":
        return "sysreg", "SP_EL0 or the interrupted SP_EL1"
    if f.role == "kind":
        return "vector", ""
    if f.role == "record":
        return "frame_pointer", ""
    if f.role in QREGS:
        return "fp", ""
    if f.role in FP_CONTROL:
        return "fp", f.role.upper()
    return "pad", ""


def _slot(spec: Aarch64Spec, f: Field) -> LayoutSlot:
    kind, source = _kind_and_source(f)
    in_slot = spec.style is TableStyle.INLINE and f.role in _STORED_IN_SLOT
    writer = SlotWriter.STUB if in_slot else SlotWriter.ENTRY
    return LayoutSlot(f.offset, f.size, f.name, f.role, kind, (writer,), source=source)


def _call(spec: Aarch64Spec, layout: FrameLayout) -> LayoutCall:
    below = layout.record_below if spec.hardening.frame_record else 0
    note = (
        f"{CALL_ALIGNMENT}-byte aligned (AAPCS64 6.4.5.1): the frame is {layout.size} bytes, "
        f"a multiple of {CALL_ALIGNMENT}"
    )
    if below:
        note += f", and a {below}-byte frame record sits below it"
    return LayoutCall("aapcs64", CALL_ALIGNMENT, below, False, True, note)


def _stack(spec: Aarch64Spec, slot: VectorSlot) -> str:
    if slot.from_lower_el and spec.stack.source != "sp_el1":
        return f"top from {spec.stack.source}"
    return "SP_EL1" if not slot.interrupted_sp_is_sp_el1 else "SP_EL1 (the interrupted stack)"


COLUMNS = (
    LayoutColumn("vector", "slot", numeric=True),
    LayoutColumn("offset", "offset", numeric=True),
    LayoutColumn("name", "name"),
    LayoutColumn("taken_from", "taken from"),
    LayoutColumn("use", "use"),
    LayoutColumn("entry", "entry"),
    LayoutColumn("handler", "handler"),
    LayoutColumn("syscall", "svc handler"),
    LayoutColumn("stack", "stack"),
    LayoutColumn("fpsimd", "fp/simd"),
)


def layout_view(spec: Aarch64Spec) -> LayoutView:
    """The layout report of ``spec`` (slots at VBAR_EL1 + 0x80 * n, Arm ARM D1.10.2)."""
    layout = compute_layout(spec.frame)
    slots = tuple(_slot(spec, f) for f in layout.fields)
    frame = LayoutFrame(spec.frame.struct_name, layout.size, slots)
    has_fp = layout.has("q0")
    rows: list[tuple[LayoutCell, ...]] = []
    for route in spec.routes:
        s = route.slot
        syscall = spec.syscall.handler.symbol if spec.syscall is not None and spec.syscall.slot == s else None
        saves_fp = has_fp and route.fpsimd
        rows.append(
            (
                cell(s.number),
                cell(s.offset, f"{s.offset:#05x}"),
                cell(s.name),
                cell(_ORIGIN_TEXT[s.origin]),
                cell(str(route.use)),
                cell(spec.symbols.entry_symbol(s)),
                cell(route.handler.symbol),
                cell(syscall),
                cell(_stack(spec, s)),
                cell(saves_fp, "saved" if saves_fp else "-"),
            )
        )
    entries = tuple(
        LayoutEntry(spec.symbols.entry_symbol(r.slot), r.handler.symbol, (r.slot.number,)) for r in spec.routes
    )
    return LayoutView("aarch64", 8, (frame,), _call(spec, layout), "slot", COLUMNS, tuple(rows), entries)
