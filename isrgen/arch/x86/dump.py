"""Model -> spec text: write a :class:`~isrgen.model.spec.Spec` back out as YAML.

The output loads back (:func:`isrgen.loads_spec`) into an equal model: every
value is written explicitly (no reliance on defaults), symbol names are written
already expanded, and a vector whose error code contradicts the architecture
carries ``error_code_override: true``.  Runs of consecutive vectors that differ
only in their number become one ``range`` entry when their names follow a
``{n}`` pattern.  With ``classes=True`` a value shared by every vector of a
class is written once, under ``classes:``, instead of on each vector.

Every option of the model is written: entry options, SIMD parameters, the
syscall entry, stub style, renamed frame fields, ``{pad: N}`` slots, ``pushal``
blocks, segment registers and renamed CPU-pushed fields (i386), and the drop-in
options: symbol visibility, the table's width/alignment/contents, ``stubs.cli``
and ``error_code_filler``, ``frame.vector_in_error_slot``, ``entry.exit_frame``
and ``debug`` (``cfi``, ``cfi_sections``), ``paranoid_gs`` and ``irq_stack``.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from isrgen.arch.x86.model import ParanoidGsMethod, X86Spec, X86Vector
from isrgen.model.narrow import NarrowField
from isrgen.model.spec import SPEC_VERSION, ExitFrame, Slot, SlotKind, VectorClass

#: per-vector keys that a ``classes:`` block can supply, with the loader's default
_CLASS_KEYS: dict[str, Any] = {
    "handler": None,
    "kernel_handler": None,
    "paranoid": False,
    "simd": "none",
    "ist": None,
    "gate": "interrupt",
    "dpl": 0,
}


def _item(role: str, name: str) -> str | dict[str, str]:
    """A layout item: the bare role, or ``{role: name}`` when the field is renamed."""
    return role if name == role else {role: name}


def layout_items(spec: X86Spec) -> list[Any]:
    """The ``frame.layout`` list that produces ``spec.frame.slots``."""
    arch = spec.arch
    items: list[Any] = []
    slots = list(spec.frame.slots)
    i = 0
    while i < len(slots):
        slot = slots[i]
        if slot.block == "pushal":
            block = slots[i : i + len(arch.pushal_order)]
            names = [s.name for s in block]
            default = [("o" + r if r == arch.stack_pointer else r) for r in arch.pushal_order]
            items.append("pushal" if names == default else {"pushal": names})
            i += len(block)
            continue
        items.append(_slot_item(spec, slot))
        i += 1
    return items


def _slot_item(spec: X86Spec, slot: Slot) -> Any:
    if slot.kind is SlotKind.PAD:
        return "pad" if slot.size == spec.arch.word_size else {"pad": slot.size}
    if slot.kind is SlotKind.SIMD_STATE:
        return {"simd_state": slot.size}
    if slot.narrow is not None:
        return {slot.role or slot.name: _declaration(slot.name, slot.narrow)}
    return _item(slot.role or slot.name, slot.name)


def _declaration(name: str, narrow: NarrowField) -> dict[str, Any]:
    """``{name, width, padding}``: a selector field declared narrower than its slot."""
    padding = [{p.name: p.bits if p.count == 1 else [p.bits, p.count]} for p in narrow.padding]
    return {"name": name, "width": narrow.bits, "padding": padding}


def _vector_entry(spec: X86Spec, v: X86Vector) -> dict[str, Any]:
    entry: dict[str, Any] = {"vector": v.number, "name": v.name, "class": str(v.vector_class)}
    values = _class_values(spec, v)
    for key, default in _CLASS_KEYS.items():
        value = values[key]
        if key == "handler":
            if value != spec.handler.symbol:
                entry[key] = value
        elif key in ("gate", "dpl") or value != default:
            entry[key] = value
    if v.irq_stack != _irq_stack_default(spec, v.vector_class):
        entry["irq_stack"] = v.irq_stack
    if v.error_code_overridden:
        entry["error_code"] = v.error_code
        entry["error_code_override"] = True
    return entry


def _irq_stack_default(spec: X86Spec, vclass: VectorClass) -> bool:
    """What the loader gives a vector that does not say ``irq_stack``."""
    return vclass is VectorClass.IRQ and spec.irq_stack is not None


def _class_values(spec: X86Spec, v: X86Vector) -> dict[str, Any]:
    del spec
    return {
        "handler": v.handler,
        "kernel_handler": v.kernel_handler,
        "paranoid": v.paranoid,
        "simd": str(v.simd),
        "ist": v.ist,
        "gate": str(v.gate),
        "dpl": v.dpl,
    }


def class_defaults(spec: X86Spec) -> dict[str, dict[str, Any]]:
    """Values every vector of a class shares (and that differ from the loader's default)."""
    out: dict[str, dict[str, Any]] = {}
    for vclass in VectorClass:
        members = [_class_values(spec, v) for v in spec.vectors if v.vector_class is vclass]
        if not members:
            continue
        shared: dict[str, Any] = {}
        for key, default in _CLASS_KEYS.items():
            values = {repr(m[key]) for m in members}
            value = members[0][key]
            if key == "handler":
                default = spec.handler.symbol
            if len(values) == 1 and value is not None and value != default:
                shared[key] = value
        stacks = {v.irq_stack for v in spec.vectors if v.vector_class is vclass}
        if len(stacks) == 1 and (stack := stacks.pop()) != _irq_stack_default(spec, vclass):
            shared["irq_stack"] = stack
        if shared:
            out[str(vclass)] = shared
    return out


def _same_but_number(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k not in ("vector", "name")} == {
        k: v for k, v in b.items() if k not in ("vector", "name")
    }


def _name_pattern(name: str, n: int) -> str | None:
    """``irq_{n}`` for ``irq_40`` at 40 (the number must appear exactly once, at the end)."""
    digits = str(n)
    if not name.endswith(digits) or name.count(digits) != 1 or name == digits:
        return None
    return name[: -len(digits)] + "{n}"


def vector_entries(spec: X86Spec, classes: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The ``vectors:`` list, with runs that share everything but the number merged into ranges.

    Keys given by ``classes`` (see :func:`class_defaults`) are left out of each entry."""
    out: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []
    classes = classes or {}

    def flush() -> None:
        if len(run) > 1:
            merged = {k: v for k, v in run[0].items() if k not in ("vector", "name")}
            pattern = _name_pattern(run[0]["name"], run[0]["vector"])
            out.append({"range": [run[0]["vector"], run[-1]["vector"]], "name": pattern, **merged})
        else:
            out.extend(run)
        run.clear()

    for v in spec.vectors:
        entry = _vector_entry(spec, v)
        for key in classes.get(str(v.vector_class), {}):
            entry.pop(key, None)
        pattern = _name_pattern(v.name, v.number)
        if run:
            prev = run[-1]
            if (
                pattern is not None
                and prev["vector"] + 1 == v.number
                and _name_pattern(prev["name"], prev["vector"]) == pattern
                and _same_but_number(prev, entry)
            ):
                run.append(entry)
                continue
            flush()
        run.append(entry)
    flush()
    return out


def _handler_data(spec: X86Spec) -> dict[str, Any]:
    h = spec.handler
    data: dict[str, Any] = {"symbol": h.symbol, "convention": h.convention, "returns": str(h.returns)}
    if h.convention == "cdecl":
        data["align_stack"] = h.align_stack
        if h.frame_arg != "pointer":
            data["frame_arg"] = h.frame_arg
    if h.args != ("frame",):
        data["args"] = list(h.args)
    return data


def _frame_data(spec: X86Spec) -> dict[str, Any]:
    f = spec.frame
    data: dict[str, Any] = {
        "struct": f.struct_name,
        "layout": layout_items(spec),
        "synthetic_error_code": f.synthetic_error_code,
    }
    if f.cpu_names:
        narrow = dict(f.cpu_narrow)
        data["cpu_fields"] = {
            cpu: _declaration(name, narrow[cpu]) if cpu in narrow else name for cpu, name in f.cpu_names
        }
    if f.vector_in_error_slot:
        data["vector_in_error_slot"] = [str(c) for c in f.vector_in_error_slot]
    return data


def _entry_data(spec: X86Spec) -> dict[str, Any]:
    e = spec.entry
    data: dict[str, Any] = {
        "swapgs": e.swapgs,
        "clear_registers": e.clear_registers,
        "endbr64": e.endbr64,
        "kernel_fault": str(e.kernel_fault),
        "halt": e.halt,
        "exit_frame": str(e.exit_frame),
    }
    if e.exit_frame is not ExitFrame.STACK:  # a routine entered by ret takes no arguments
        data["exit_args"] = list(e.exit_args)
    if e.segment_selectors:
        data["data_selectors"] = dict(e.segment_selectors)
    else:
        if e.data_segments:
            data["data_segments"] = list(e.data_segments)
        data["data_selector"] = e.data_selector
    if e.segments_from_ds:
        data["segments_from_ds"] = True
    if e.fsgsbase:
        data["fsgsbase"] = True
    return data


def _syscall_data(spec: X86Spec) -> dict[str, Any] | None:
    sc = spec.syscall
    if sc is None:
        return None
    slots: dict[str, Any] = {"kernel_stack_gs": sc.kernel_stack_gs, "user_stack_gs": sc.user_stack_gs}
    if sc.fixed_stack_slots:
        slots = {"kernel_stack": sc.kernel_stack, "user_stack": sc.user_stack}
    return {
        "entry": sc.entry,
        "handler": sc.handler,
        "marker": sc.marker,
        **slots,
        "user_cs": sc.user_cs,
        "user_ss": sc.user_ss,
        "restored": list(sc.restored),
    }


def spec_data(spec: X86Spec, *, classes: bool = False) -> dict[str, Any]:
    """The spec as plain data (what a YAML spec file holds), every value explicit.

    ``classes``: write values shared by all vectors of a class under ``classes:``."""
    s = spec.symbols
    data: dict[str, Any] = {
        "isrgen": SPEC_VERSION,
        "arch": spec.arch_name,
        "symbols": {
            "prefix": s.prefix,
            "stub": s.stub_pattern,
            "table": s.table,
            "entry": s.entry,
            "exit": s.exit,
            "gates": s.gates,
            "visibility": {key: str(getattr(s.visibility, key)) for key in ("stubs", "table", "entry", "exit")},
        },
        "sections": {
            "code": spec.sections.code,
            "table": spec.sections.table,
            "code_align": spec.sections.code_align,
            "stub_align": spec.sections.stub_align,
        },
        "handler": _handler_data(spec),
        "frame": _frame_data(spec),
        "stubs": {
            "style": str(spec.stub_style),
            "cli": str(spec.stubs.cli),
            "error_code_filler": str(spec.stubs.error_code_filler),
        },
        "entry": _entry_data(spec),
        # writable is not written: the loader derives it from sections.table
        "table": {"width": spec.table.width, "align": spec.table.align, "contents": str(spec.table.contents)},
        "debug": {"cfi": spec.debug.cfi, "cfi_sections": spec.debug.cfi_sections},
    }
    if "simd" in spec.arch.features:
        data["simd"] = {"xsave_mask": spec.simd.xsave_mask, "area_size": spec.simd.area_size}
    syscall = _syscall_data(spec)
    if syscall is not None:
        data["syscall"] = syscall
    pg = spec.paranoid_gs
    if pg.reads_gs_base:
        data["paranoid_gs"] = {"method": str(pg.method), "offsets": pg.offsets}
        if pg.method is ParanoidGsMethod.LSL:
            data["paranoid_gs"]["cpunode_selector"] = pg.cpunode_selector
    if spec.irq_stack is not None:
        data["irq_stack"] = {"top_gs": spec.irq_stack.top_gs, "depth_gs": spec.irq_stack.depth_gs}
    outputs: dict[str, Any] = {}
    for o in spec.outputs:
        if o.parts:
            # a split output: each part with its file; exit and syscall are listed too
            outputs.setdefault(o.backend, {}).update(dict.fromkeys(o.parts, o.filename))
        else:
            outputs[o.backend] = o.filename
    data["outputs"] = outputs
    shared = class_defaults(spec) if classes else {}
    if shared:
        data["classes"] = shared
    data["vectors"] = vector_entries(spec, shared)
    return data


def _flow(value: Any, depth: int = 0) -> Any:
    """Block style at the top, flow style for vector entries and short lists."""
    if isinstance(value, dict):
        m = CommentedMap((k, _flow(v, depth + 1)) for k, v in value.items())
        if depth >= 2:
            m.fa.set_flow_style()
        return m
    if isinstance(value, list):
        seq = CommentedSeq(_flow(v, depth + 1) for v in value)
        if all(not isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def dump_spec(spec: X86Spec, *, classes: bool = False) -> str:
    """``spec`` as YAML spec text that :func:`isrgen.loads_spec` turns back into an equal model.

    ``classes``: factor values shared by every vector of a class into ``classes:``."""
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(_flow(spec_data(spec, classes=classes)), buf)
    return buf.getvalue()
