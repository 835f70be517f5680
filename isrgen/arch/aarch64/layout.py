"""Frame layout: every field's offset and the frame size.

The core's :class:`isrgen.layout.FrameLayout` is shaped by the x86 CPU-pushed frame
(an error code, a CPU part above the software part); an aarch64 frame is written
entirely by software, so it has this small layout of its own.
"""

from __future__ import annotations

import attrs

from .facts import FP_CONTROL, QREGS
from .options import Frame

#: size of one q register in the frame, and the area's alignment (STP of Q registers
#: needs 16-byte aligned addresses only for the sake of alignment checking; the layout
#: keeps them aligned so that a C struct can use a 16-aligned type)
Q_SIZE = 16
FPSIMD_AREA_SIZE = len(QREGS) * Q_SIZE + 8 * len(FP_CONTROL)


@attrs.frozen
class Field:
    """One field: its name in the struct, what it holds, offset and size."""

    name: str
    role: str
    offset: int
    size: int
    copy: bool = False

    @property
    def end(self) -> int:
        """Offset one past the field."""
        return self.offset + self.size


@attrs.frozen
class FrameLayout:
    """The frame, low address first, as the handler sees it."""

    fields: tuple[Field, ...]

    @property
    def size(self) -> int:
        """Size in bytes."""
        return self.fields[-1].end if self.fields else 0

    def field(self, role: str) -> Field:
        """The (first, non-copy) field holding ``role``; KeyError if none."""
        for f in self.fields:
            if f.role == role and not f.copy:
                return f
        raise KeyError(role)

    def offset(self, role: str) -> int:
        """Offset of the field holding ``role``."""
        return self.field(role).offset

    def has(self, role: str) -> bool:
        """Whether some field holds ``role``."""
        return any(f.role == role and not f.copy for f in self.fields)

    @property
    def record_below(self) -> int:
        """Bytes below the frame that a frame record takes when ``hardening.frame_record`` is on:
        16, unless the layout has a ``record`` slot to hold it."""
        return 0 if self.has("record") else 16

    @property
    def copies(self) -> tuple[Field, ...]:
        """Second copies of registers (written at entry, never restored)."""
        return tuple(f for f in self.fields if f.copy)


def compute_layout(frame: Frame) -> FrameLayout:
    """Lay out ``frame``: each slot after the previous one; ``fpsimd`` expands to q0-q31, fpcr, fpsr."""
    fields: list[Field] = []
    offset = 0
    for slot in frame.slots:
        if slot.role == "fpsimd":
            for q in QREGS:
                fields.append(Field(q, q, offset, Q_SIZE))
                offset += Q_SIZE
            for reg in FP_CONTROL:
                fields.append(Field(reg, reg, offset, 8))
                offset += 8
            continue
        fields.append(Field(slot.name, slot.role, offset, slot.size, slot.copy))
        offset += slot.size
    return FrameLayout(tuple(fields))
