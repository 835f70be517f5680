"""``{name: ..., width: 16, padding: [...]}``: a segment field the struct declares
narrower than its slot, with its padding members named (see :mod:`isrgen.model.narrow`).

Accepted where a layout item or ``frame.cpu_fields`` names a field that holds a
selector: an i386 segment-register slot, or the CPU-pushed cs/ss.  Each padding item
is ``{member: bits}`` or ``{member: [bits, count]}`` (an array); the members must fill
the slot exactly, each at an offset its C type's natural alignment allows (otherwise
the compiler would insert padding of its own and move the next field).
"""

from __future__ import annotations

from typing import Any

from isrgen.model.narrow import MEMBER_BITS, NarrowField, PadMember, default_padding
from isrgen.spec.identifiers import C_KEYWORDS
from isrgen.spec.resolve.base import ResolverBase
from isrgen.spec.yamlsource import Path

_KEYS = ("name", "width", "padding")


def _bits(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value in MEMBER_BITS else None


def _padding_name_ok(r: ResolverBase, path: Path, name: Any, macros: frozenset[str]) -> bool:
    """A padding member may start with '__' as kernels' own do (``__pad``, ``__gsh``): it
    is a struct member only, never a symbol, and nothing refers to it by name."""
    if isinstance(name, str) and name.startswith("__") and name not in C_KEYWORDS and name.strip("_"):
        return r.check_field_name(path, name.strip("_"), macros)
    return r.check_field_name(path, name, macros)


def parse_declaration(
    r: ResolverBase, path: Path, raw: dict[str, Any], default_name: str, slot_size: int, macros: frozenset[str]
) -> tuple[str | None, NarrowField | None]:
    """The field name and (with ``width``) its narrow declaration from mapping ``raw``;
    (None, None) after reporting a problem."""
    ok = True
    for key in raw:
        if key not in _KEYS:
            expected = ", ".join(_KEYS)
            r.err(path + (key,), f"unknown key {key!r} in a field declaration (expected: {expected})", at_key=True)
            ok = False
    name = raw.get("name", default_name)
    if not r.check_field_name(path + ("name",) if "name" in raw else path, name, macros):
        return None, None
    if "width" not in raw:
        if "padding" in raw:
            r.err(path + ("padding",), "padding needs a width: the value's own bits come first", at_key=True)
            return None, None
        return (name, None) if ok else (None, None)
    slot_bits = slot_size * 8
    width = _bits(raw["width"])
    if width is None or width >= slot_bits:
        allowed = ", ".join(str(b) for b in MEMBER_BITS if b < slot_bits)
        got = raw["width"]
        r.err(path + ("width",), f"width must be one of {allowed} (bits; the slot has {slot_bits}), got {got!r}")
        return None, None
    padding = _padding(r, path, raw.get("padding"), name, width // 8, slot_size, macros)
    if padding is None or not ok:
        return None, None
    return name, NarrowField(width, padding)


def _padding(
    r: ResolverBase, path: Path, raw: Any, name: str, at: int, slot_size: int, macros: frozenset[str]
) -> tuple[PadMember, ...] | None:
    if raw is None:
        return default_padding(name, slot_size - at)
    ppath = path + ("padding",)
    if not isinstance(raw, list):
        r.err(ppath, "padding is a list of {member: bits} or {member: [bits, count]}")
        return None
    members: list[PadMember] = []
    for i, item in enumerate(raw):
        ipath = ppath + (i,)
        if not isinstance(item, dict) or len(item) != 1:
            r.err(ipath, "a padding member is {member: bits} or {member: [bits, count]}")
            return None
        member, spec = next(iter(item.items()))
        if not _padding_name_ok(r, ipath, member, macros):
            return None
        count = 1
        if isinstance(spec, list) and len(spec) == 2 and isinstance(spec[1], int) and spec[1] > 0:
            spec, count = spec
        bits = _bits(spec)
        if bits is None:
            r.err(ipath + (member,), f"a padding member has 8, 16, 32 or 64 bits (or [bits, count]), got {spec!r}")
            return None
        if at % (bits // 8):
            r.err(
                ipath + (member,),
                f"{member!r} ({bits} bits) would sit at byte {at} of the slot, which its C type's alignment does "
                "not allow: the compiler would move it",
            )
            return None
        members.append(PadMember(member, bits, count))
        at += bits // 8 * count
    if at != slot_size:
        r.err(ppath, f"the value and its padding take {at} bytes; the slot has {slot_size}")
        return None
    return tuple(members)
