"""Frame layout computation: every field's offset, the frame size, call alignment.

This is the single source of truth that the assembly, the C and Rust structs,
the property tests and ``isrgen prove`` all check against.
"""

from __future__ import annotations

import enum

import attrs

from isrgen.model.narrow import NarrowField
from isrgen.model.spec import SlotKind, Spec


class FieldKind(enum.StrEnum):
    """Who writes a frame field."""

    GPR = "gpr"
    SEGMENT = "segment"
    VECTOR = "vector"
    ERROR_CODE = "error_code"
    PAD = "pad"
    SIMD_AREA = "simd_area"
    FRAME_POINTER = "frame_pointer"
    SEGMENT_BASE = "segment_base"
    SIMD_STATE = "simd_state"
    FRAME_SHIFT = "frame_shift"
    CPU = "cpu"


@attrs.frozen
class Field:
    """One field of the frame struct."""

    name: str
    offset: int
    size: int
    kind: FieldKind
    #: what the field holds: a register (rax, ds, rip, ...) or the kind's name; defaults to ``name``
    role: str = attrs.field(default="")
    #: bytes holding the value (2 for a segment selector in a 4-byte slot); 0 = ``size``
    value_size: int = 0
    #: "pushal" for the fields one pushad stores
    block: str = ""
    #: pushed by the CPU only when the interrupt changes privilege level (i386 esp/ss)
    ring_change_only: bool = False
    #: the C/Rust struct declares the value narrower, with explicit padding
    narrow: NarrowField | None = None

    def __attrs_post_init__(self) -> None:
        if not self.role:
            object.__setattr__(self, "role", self.name)

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
    #: that the stack is aligned at the call (0 when the frame already is, or when the
    #: architecture does not align the stack on interrupts: see ``dynamic_align``)
    call_adjust: int
    #: the CPU does not align the stack (i386): the entry aligns it at run time
    dynamic_align: bool = False

    @property
    def size(self) -> int:
        """Size of the whole frame in bytes (software part plus the CPU-pushed part)."""
        return self.fields[-1].end if self.fields else 0

    def field(self, role: str) -> Field:
        """The field that holds ``role`` (a register such as ``rax``, or a slot kind such as
        ``vector``, ``error_code``); KeyError if none does.  A user's field name is never a
        role: ``{rax: vector}`` names rax's field ``vector`` and the frame has no vector role.
        """
        for f in self.fields:
            if f.role == role:
                return f
        raise KeyError(role)

    def offset(self, role: str) -> int:
        """Offset from the frame's start of the field holding ``role``."""
        return self.field(role).offset

    def has(self, role: str) -> bool:
        """Whether the frame has a field holding ``role``."""
        return any(f.role == role for f in self.fields)

    def by_name(self, name: str) -> Field:
        """The field the struct declares as ``name`` (for callers that start from a user's
        field name, never to find what a field holds); KeyError if there is none."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def saved_below_stub(self) -> tuple[Field, ...]:
        """Fields the common entry saves: everything below the vector/error-code slots."""
        return tuple(
            f
            for f in self.fields
            if f.kind
            in (
                FieldKind.GPR,
                FieldKind.SEGMENT,
                FieldKind.PAD,
                FieldKind.SIMD_AREA,
                FieldKind.SEGMENT_BASE,
                FieldKind.SIMD_STATE,
                FieldKind.FRAME_SHIFT,
            )
        )


_SLOT_TO_FIELD = {
    SlotKind.GPR: FieldKind.GPR,
    SlotKind.SEGMENT: FieldKind.SEGMENT,
    SlotKind.VECTOR: FieldKind.VECTOR,
    SlotKind.ERROR_CODE: FieldKind.ERROR_CODE,
    SlotKind.PAD: FieldKind.PAD,
    SlotKind.SIMD_AREA: FieldKind.SIMD_AREA,
    SlotKind.FRAME_POINTER: FieldKind.FRAME_POINTER,
    SlotKind.SEGMENT_BASE: FieldKind.SEGMENT_BASE,
    SlotKind.SIMD_STATE: FieldKind.SIMD_STATE,
    SlotKind.FRAME_SHIFT: FieldKind.FRAME_SHIFT,
}


def compute_layout(spec: Spec) -> FrameLayout:
    """Lay out ``spec``'s frame: software slots low-first, then the CPU frame."""
    arch = spec.arch
    fields: list[Field] = []
    offset = 0
    for slot in spec.frame.slots:
        kind = _SLOT_TO_FIELD[slot.kind]
        value_size = slot.narrow.value_size if slot.narrow else slot.value_size
        role = slot.role or slot.name
        fields.append(Field(slot.name, offset, slot.size, kind, role, value_size, slot.block, narrow=slot.narrow))
        offset += slot.size
    renames = dict(spec.frame.cpu_names)
    narrowed = dict(spec.frame.cpu_narrow)
    for name in arch.cpu_frame:
        ring = name in arch.ring_change_only
        narrow = narrowed.get(name)
        value_size = narrow.value_size if narrow else 0
        word = arch.word_size
        fields.append(Field(renames.get(name, name), offset, word, FieldKind.CPU, name, value_size, "", ring, narrow))
        offset += arch.word_size
    if not arch.cpu_aligns_stack:
        return FrameLayout(tuple(fields), arch.word_size, 0, dynamic_align=True)
    # The CPU aligns the stack to 16 before pushing its frame (SDM Vol. 3A 6.14.2), so
    # the stack at the call is aligned exactly when the frame size is.
    misalign = offset % arch.call_alignment
    adjust = (arch.call_alignment - misalign) % arch.call_alignment
    return FrameLayout(tuple(fields), arch.word_size, adjust)
