"""``isrgen layout`` output: a :class:`~isrgen.report.layout.LayoutReport` as text or JSON.

The JSON form is a stable interface (``"format": "isrgen-layout/1"``); its keys
are documented in README.md.  The SVG diagram is in :mod:`isrgen.report.svg`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from isrgen.report.layout import CallAlignment, LayoutReport, SlotRow, VectorRow

#: the ``format`` value of the JSON output; bumped only for incompatible changes
JSON_FORMAT = "isrgen-layout/1"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(out).rstrip()

    return [line(header), *(line(r) for r in rows)]


def writers_text(slot: SlotRow) -> str:
    """``cpu``, ``stub``, ``entry`` or a combination (``cpu/stub``); marks ring-change-only slots."""
    text = "/".join(str(w) for w in slot.writers)
    return f"{text} (on a ring change)" if slot.ring_change_only else text


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


def render_text(report: LayoutReport) -> str:
    """The report as aligned tables: frame (low address first), call alignment, vectors."""
    lines = [
        f"{report.spec_file}: struct {report.struct}, {report.frame_size} bytes, "
        f"{report.arch} ({report.word_size}-byte words), low address first",
        "",
    ]
    slot_rows = [[str(s.offset), str(s.size), s.field, s.role, writers_text(s)] for s in report.slots]
    lines += _table(["offset", "size", "field", "role", "written by"], slot_rows, {0, 1})
    lines += ["", f"stack at the call ({report.convention}): {call_text(report.call, report.frame_size)}", ""]
    vector_rows = [
        [
            str(v.vector),
            v.name,
            v.stub,
            v.handler,
            v.kernel_handler or "-",
            "-" if v.ist is None else str(v.ist),
            v.gate,
            str(v.dpl),
            error_text(v),
            v.entry,
        ]
        for v in report.vectors
    ]
    header = ["vector", "name", "stub", "handler", "kernel handler", "ist", "gate", "dpl", "error code", "entry"]
    lines += _table(header, vector_rows, {0, 5, 7})
    return "\n".join(lines) + "\n"


def report_json(report: LayoutReport) -> dict[str, Any]:
    """The report as JSON-ready data (see :data:`JSON_FORMAT`)."""
    return {
        "format": JSON_FORMAT,
        "spec": report.spec_file,
        "arch": report.arch,
        "word_size": report.word_size,
        "frame": {
            "struct": report.struct,
            "size": report.frame_size,
            "slots": [
                {
                    "offset": s.offset,
                    "size": s.size,
                    "field": s.field,
                    "role": s.role,
                    "kind": str(s.kind),
                    "writers": [str(w) for w in s.writers],
                    "ring_change_only": s.ring_change_only,
                }
                for s in report.slots
            ],
        },
        "call": {
            "convention": report.convention,
            "alignment": report.call.alignment,
            "adjust": report.call.adjust,
            "dynamic": report.call.dynamic,
            "aligned": report.call.aligned,
        },
        "vectors": [
            {
                "vector": v.vector,
                "name": v.name,
                "stub": v.stub,
                "handler": v.handler,
                "kernel_handler": v.kernel_handler,
                "ist": v.ist,
                "gate": v.gate,
                "dpl": v.dpl,
                "error_code": str(v.error_code),
                "error_value": v.error_value,
                "entry": v.entry,
            }
            for v in report.vectors
        ],
        "entries": [
            {"symbol": symbol, "handler": handler, "vectors": list(numbers)}
            for symbol, handler, numbers in report.entries
        ],
    }
