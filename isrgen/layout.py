"""Frame layout computation: every field's offset, the frame size, call alignment.

This is the single source of truth that the assembly, the C and Rust structs,
the property tests and ``isrgen prove`` all check against.
"""

from __future__ import annotations

import enum

import attrs

from .model import SlotKind, Spec


class FieldKind(enum.StrEnum):
    """Who writes a frame field."""

    GPR = "gpr"
    VECTOR = "vector"
    ERROR_CODE = "error_code"
    PAD = "pad"
    SIMD_AREA = "simd_area"
    CPU = "cpu"


@attrs.frozen
class Field:
    """One field of the frame struct."""

    name: str
    offset: int
    size: int
    kind: FieldKind

    @property
    def end(self) -> int:
        """Offset one past the field."""
        return self.offset + self.size


@attrs.frozen
class FrameLayout:
    """The complete frame, low address first, as the handler sees it."""

    fields: tuple[Field, ...]
    word_size: int
    #: bytes the entry subtracts from the stack pointer after building the frame so
    #: that the stack is aligned at the call (0 when the frame already is)
    call_adjust: int

    @property
    def size(self) -> int:
        """Size of the whole frame in bytes (software part plus the CPU-pushed part)."""
        return self.fields[-1].end if self.fields else 0

    def field(self, name: str) -> Field:
        """The field called ``name``; KeyError if there is none."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def offset(self, name: str) -> int:
        """Offset of field ``name`` from the frame's start."""
        return self.field(name).offset

    def has(self, name: str) -> bool:
        """Whether the frame has a field called ``name``."""
        return any(f.name == name for f in self.fields)

    @property
    def software_fields(self) -> tuple[Field, ...]:
        """Fields written by the stub and the entry code (everything below the CPU frame)."""
        return tuple(f for f in self.fields if f.kind is not FieldKind.CPU)

    @property
    def saved_below_stub(self) -> tuple[Field, ...]:
        """Fields the common entry saves: everything below the vector/error-code slots."""
        return tuple(f for f in self.fields if f.kind in (FieldKind.GPR, FieldKind.PAD, FieldKind.SIMD_AREA))


_SLOT_TO_FIELD = {
    SlotKind.GPR: FieldKind.GPR,
    SlotKind.VECTOR: FieldKind.VECTOR,
    SlotKind.ERROR_CODE: FieldKind.ERROR_CODE,
    SlotKind.PAD: FieldKind.PAD,
    SlotKind.SIMD_AREA: FieldKind.SIMD_AREA,
}


def compute_layout(spec: Spec) -> FrameLayout:
    """Lay out ``spec``'s frame: software slots low-first, then the CPU frame."""
    arch = spec.arch
    fields: list[Field] = []
    offset = 0
    for slot in spec.frame.slots:
        fields.append(Field(slot.name, offset, slot.size, _SLOT_TO_FIELD[slot.kind]))
        offset += slot.size
    for name in arch.cpu_frame:
        fields.append(Field(name, offset, arch.word_size, FieldKind.CPU))
        offset += arch.word_size
    # The CPU aligns the stack to 16 before pushing its frame (SDM Vol. 3A 6.14.2), so
    # the stack at the call is aligned exactly when the frame size is.
    misalign = offset % arch.call_alignment
    adjust = (arch.call_alignment - misalign) % arch.call_alignment
    return FrameLayout(tuple(fields), arch.word_size, adjust)
