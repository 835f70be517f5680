"""``isrgen layout`` output: a :class:`~isrgen.arch.isa.LayoutView` as text or JSON.

The JSON form is a stable interface (``"format": "isrgen-layout/1"``); its keys
are documented in README.md and docs/cli.rst.  The SVG diagram is in
:mod:`isrgen.report.svg`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from isrgen.arch.isa import LayoutFrame, LayoutSlot, LayoutView

#: the ``format`` value of the JSON output; bumped only for incompatible changes
JSON_FORMAT = "isrgen-layout/1"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(out).rstrip()

    return [line(header), *(line(r) for r in rows)]


def writers_text(slot: LayoutSlot) -> str:
    """``cpu``, ``stub``, ``entry``, ``kernel`` or a combination (``cpu/stub``); marks
    ring-change-only slots; ``-`` for a tail nobody writes."""
    text = "/".join(str(w) for w in slot.writers) or "-"
    return f"{text} (on a ring change)" if slot.ring_change_only else text


def _frame_table(frame: LayoutFrame) -> list[str]:
    sourced = any(s.source for s in frame.slots)
    header = ["offset", "size", "field", "role", "written by", *(["copied from"] if sourced else [])]
    rows = [
        [str(s.offset), str(s.size), s.field, s.role, writers_text(s), *([s.source or "-"] if sourced else [])]
        for s in frame.slots
    ]
    return _table(header, rows, {0, 1})


def render_text(view: LayoutView, spec_file: str) -> str:
    """The view as aligned tables: frame (low address first), call alignment, vector routing."""
    main, *others = view.frames
    lines = [
        f"{spec_file}: struct {main.struct}, {main.size} bytes, "
        f"{view.arch} ({view.word_size}-byte words), low address first",
        "",
        *_frame_table(main),
    ]
    for frame in others:
        lines += ["", f"{frame.title}: struct {frame.struct}, {frame.size} bytes", "", *_frame_table(frame)]
    lines += ["", f"stack at the call ({view.call.convention}): {view.call.note}", ""]
    shown = [i for i, c in enumerate(view.columns) if c.in_text]
    header = [view.columns[i].title for i in shown]
    numeric = {n for n, i in enumerate(shown) if view.columns[i].numeric}
    rows = [[row[i].text for i in shown] for row in view.rows]
    lines += _table(header, rows, numeric)
    return "\n".join(lines) + "\n"


def _frame_json(frame: LayoutFrame) -> dict[str, Any]:
    return {
        "struct": frame.struct,
        "size": frame.size,
        "slots": [
            {
                "offset": s.offset,
                "size": s.size,
                "field": s.field,
                "role": s.role,
                "kind": s.kind,
                "writers": [str(w) for w in s.writers],
                "ring_change_only": s.ring_change_only,
                "source": s.source or None,
            }
            for s in frame.slots
        ],
    }


def report_json(view: LayoutView, spec_file: str) -> dict[str, Any]:
    """The view as JSON-ready data (see :data:`JSON_FORMAT`)."""
    main, *others = view.frames
    return {
        "format": JSON_FORMAT,
        "spec": spec_file,
        "arch": view.arch,
        "word_size": view.word_size,
        "frame": _frame_json(main),
        "other_frames": [{"title": f.title, **_frame_json(f)} for f in others],
        "call": {
            "convention": view.call.convention,
            "alignment": view.call.alignment,
            "adjust": view.call.adjust,
            "dynamic": view.call.dynamic,
            "aligned": view.call.aligned,
        },
        "row_kind": view.row_kind,
        "columns": [{"key": c.key, "title": c.title} for c in view.columns],
        "vectors": [{c.key: v.value for c, v in zip(view.columns, row, strict=True)} for row in view.rows],
        "entries": [{"symbol": e.symbol, "handler": e.handler, "vectors": list(e.vectors)} for e in view.entries],
    }
