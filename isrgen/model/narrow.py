"""Segment fields that a kernel's C struct declares narrower than their slot.

The CPU pushes CS and SS as full words (SDM Vol. 3A 6.14.2 on x86_64: 8 bytes each;
6.12.1 on i386: 4 bytes, the selector padded), and an i386 entry's ``push gs`` writes
a 16-bit selector into a 4-byte slot (SDM Vol. 2B PUSH).  Kernels declare such a slot
as the selector plus explicit padding: ``uint16_t cs; uint16_t __pad; uint32_t __pad2;``
or ``uint16_t cs, padding[3];`` (x86_64), ``uint16_t gs, __gsh;`` (i386).  The frame
layout (offsets, sizes) does not change; only the struct's members do.
"""

from __future__ import annotations

import attrs

#: the C member widths a field or its padding may have, in bits
MEMBER_BITS = (8, 16, 32, 64)


@attrs.frozen
class PadMember:
    """One padding member: ``uint<bits>_t name`` or, with ``count`` > 1, ``name[count]``."""

    name: str
    bits: int
    count: int = 1

    @property
    def size(self) -> int:
        """Bytes the member takes."""
        return self.bits // 8 * self.count


@attrs.frozen
class NarrowField:
    """A field declared with ``bits`` bits for its value, then ``padding`` up to the slot's end."""

    bits: int
    padding: tuple[PadMember, ...]

    @property
    def value_size(self) -> int:
        """Bytes of the value member."""
        return self.bits // 8


@attrs.frozen
class Member:
    """One C/Rust struct member a narrow field becomes."""

    name: str
    bits: int
    offset: int
    count: int = 1
    #: whether the member is padding (no value the glue or the CPU defines)
    padding: bool = False


def default_padding(name: str, rest: int) -> tuple[PadMember, ...]:
    """``_<name>_pad``: one member of ``rest`` bytes when a C type has that width, else
    an array of the widest type that divides it (48 bits: ``uint16_t _cs_pad[3]``)."""
    if rest == 0:
        return ()
    bits = max(b for b in MEMBER_BITS if (rest * 8) % b == 0)
    return (PadMember(f"_{name}_pad", bits, rest * 8 // bits),)


def members(name: str, offset: int, narrow: NarrowField) -> tuple[Member, ...]:
    """The struct members of field ``name`` at ``offset``: the value, then its padding."""
    out = [Member(name, narrow.bits, offset)]
    at = offset + narrow.value_size
    for pad in narrow.padding:
        out.append(Member(pad.name, pad.bits, at, pad.count, padding=True))
        at += pad.size
    return tuple(out)
