"""Model -> spec text: write a :class:`~isrgen.model.Spec` back out as YAML.

The output loads back (:func:`isrgen.loads_spec`) into an equal model: every
value is written explicitly (no reliance on defaults), symbol names are written
already expanded, and a vector whose error code contradicts the architecture
carries ``error_code_override: true``.  Runs of consecutive vectors that differ
only in their number become one ``range`` entry when their names follow a
``{n}`` pattern.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .model import SPEC_VERSION, Slot, SlotKind, Spec, Vector


def _slot_name(slot: Slot) -> str:
    return "pad" if slot.kind is SlotKind.PAD else slot.name


def _vector_entry(spec: Spec, v: Vector) -> dict[str, Any]:
    entry: dict[str, Any] = {"vector": v.number, "name": v.name, "class": str(v.vector_class)}
    if v.handler != spec.handler.symbol:
        entry["handler"] = v.handler
    if v.ist is not None:
        entry["ist"] = v.ist
    entry["gate"] = str(v.gate)
    entry["dpl"] = v.dpl
    if v.error_code_overridden:
        entry["error_code"] = v.error_code
        entry["error_code_override"] = True
    return entry


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


def vector_entries(spec: Spec) -> list[dict[str, Any]]:
    """The ``vectors:`` list, with runs that share everything but the number merged into ranges."""
    out: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []

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


def spec_data(spec: Spec) -> dict[str, Any]:
    """The spec as plain data (what a YAML spec file holds), every value explicit."""
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
        },
        "sections": {
            "code": spec.sections.code,
            "table": spec.sections.table,
            "code_align": spec.sections.code_align,
            "stub_align": spec.sections.stub_align,
        },
        "handler": {
            "symbol": spec.handler.symbol,
            "convention": spec.handler.convention,
            "returns": str(spec.handler.returns),
        },
        "frame": {
            "struct": spec.frame.struct_name,
            "layout": [_slot_name(slot) for slot in spec.frame.slots],
            "synthetic_error_code": spec.frame.synthetic_error_code,
        },
        "stubs": {"style": str(spec.stub_style)},
        "outputs": {o.backend: o.filename for o in spec.outputs},
        "vectors": vector_entries(spec),
    }
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


def dump_spec(spec: Spec) -> str:
    """``spec`` as YAML spec text that :func:`isrgen.loads_spec` turns back into an equal model."""
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(_flow(spec_data(spec)), buf)
    return buf.getvalue()
