"""``isrgen layout --format svg``: the frame on the stack as a diagram for documentation.

Drawn as stacks usually are: the highest address (the first thing the CPU pushed)
at the top, the frame's start, where the handler's pointer points, at the bottom.
Each slot is a box as tall as its size, coloured by who writes it.  A spec with
several frames (a user frame and a kernel one) gets one drawing per frame, one
below the other.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from isrgen.arch.isa import LayoutCall, LayoutFrame, LayoutSlot, LayoutView, SlotWriter
from isrgen.report.render import writers_text

#: fill colour of a slot by its writer (light tints: the text stays readable in print);
#: a tail nobody writes stays white
FILL = {
    SlotWriter.CPU: "#dbe9f6",
    SlotWriter.STUB: "#fde8c8",
    SlotWriter.ENTRY: "#e3f1dc",
    SlotWriter.KERNEL: "#ece0f3",
}
ROW = 22  # pixels per word
LEFT = 90  # offset column
BOX = 300  # slot box width
NOTE = 230  # the writer column, at least
CHAR = 8  # pixels per character of the 13 px monospace font, rounded up


def _box(slot: LayoutSlot, y: int, height: int) -> list[str]:
    label = slot.field if slot.role == slot.field else f"{slot.field} ({slot.role})"
    mid = y + height // 2 + 5
    # a slot with several writers (the CPU on some vectors, the stub on others) is split
    part = BOX // max(1, len(slot.writers))
    fills = [
        f'<rect x="{LEFT + i * part}" y="{y}" width="{part if i < len(slot.writers) - 1 else BOX - i * part}" '
        f'height="{height}" fill="{FILL[w]}"/>'
        for i, w in enumerate(slot.writers)
    ]
    return [
        *fills,
        f'<rect x="{LEFT}" y="{y}" width="{BOX}" height="{height}" fill="none" stroke="#333" stroke-width="1"/>',
        f'<text x="{LEFT - 8}" y="{mid}" text-anchor="end" class="off">+{slot.offset}</text>',
        f'<text x="{LEFT + BOX // 2}" y="{mid}" text-anchor="middle">{escape(label)}</text>',
        f'<text x="{LEFT + BOX + 10}" y="{mid}" class="who">{escape(who_text(slot))}</text>',
    ]


def who_text(slot: LayoutSlot) -> str:
    """Who writes the slot, and the system register it is copied from."""
    text = writers_text(slot)
    return f"{text}, from {slot.source}" if slot.source else text


def call_note(call: LayoutCall) -> str:
    """The call alignment, short enough for a caption."""
    if call.dynamic:
        return f"at the call: {call.alignment}-byte aligned at run time" if call.aligned else "at the call: not aligned"
    below = f", {call.adjust} bytes reserved below the frame" if call.adjust else ""
    return f"at the call: stack {call.alignment}-byte aligned{below}"


def _frame_body(frame: LayoutFrame, word_size: int, top: int) -> tuple[list[str], int]:
    """The boxes of ``frame``, highest address first, from ``top``; and the y below the last."""
    heights = [max(ROW, ROW * s.size // word_size) for s in frame.slots]
    body: list[str] = []
    y = top
    for slot, height in zip(reversed(frame.slots), reversed(heights), strict=True):
        body += _box(slot, y, height)
        y += height
    return body, y


def render_svg(view: LayoutView) -> str:
    """A standalone SVG document of ``view``'s frames."""
    main, *others = view.frames
    body, bottom = _frame_body(main, view.word_size, 56)
    body += [
        f'<text x="{LEFT}" y="{bottom + 16}" class="note">+0: the frame the handler gets (the stack grows down)</text>',
        f'<text x="{LEFT}" y="{bottom + 30}" class="note">{escape(call_note(view.call))}</text>',
    ]
    for frame in others:
        caption = f"{frame.title}: struct {frame.struct}, {frame.size} bytes"
        body.append(f'<text x="{LEFT}" y="{bottom + 66}" font-weight="bold">{escape(caption)}</text>')
        more, bottom = _frame_body(frame, view.word_size, bottom + 80)
        body += more
    legend_y = bottom + 56
    legend: list[str] = []
    present = {w for f in view.frames for s in f.slots for w in s.writers}
    for i, writer in enumerate(w for w in SlotWriter if w in present):
        x = LEFT + i * 100
        legend += [
            f'<rect x="{x}" y="{legend_y - 12}" width="14" height="14" fill="{FILL[writer]}" stroke="#333"/>',
            f'<text x="{x + 20}" y="{legend_y}">{writer}</text>',
        ]
    height = legend_y + 40
    title = f"struct {main.struct}: {main.size} bytes ({view.arch})"
    notes = [len(who_text(s)) for f in view.frames for s in f.slots]
    captions = [title, *(f"{f.title}: struct {f.struct}, {f.size} bytes" for f in others)]
    width = max(
        LEFT + BOX + max(NOTE, 10 + CHAR * max(notes, default=0)),
        LEFT + 10 + CHAR * max(len(c) for c in captions),
    )
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, monospace" font-size="13">',
        f"<title>{escape(title)}</title>",
        "<style>.off{fill:#555}.who{fill:#333;font-style:italic}.note{font-size:11px;fill:#444}</style>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="24" font-weight="bold">{escape(title)}</text>',
        f'<text x="{LEFT}" y="44" class="note">higher addresses ^</text>',
        *body,
        *legend,
        "</svg>",
    ]
    return "\n".join(lines) + "\n"
