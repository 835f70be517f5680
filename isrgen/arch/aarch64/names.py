"""Which names an aarch64 spec may give the symbols, the frame struct and its fields.

A name ends up in the GNU as/LLVM text, in the C header (also compiled as C++) and in
the Rust module, so it must be a plain identifier in all of them and must not be a
keyword, a register or operand keyword of the assembler, or a name the header's own
includes and macros define.  The word lists are the shared ones of
:mod:`isrgen.spec.identifiers`; only the register names are aarch64's.
"""

from __future__ import annotations

from ...spec.identifiers import (
    C_KEYWORDS,
    C_LIBRARY_NAMES,
    C_STDINT_NAME,
    CXX_KEYWORDS,
    GNU_PREDEFINED,
    IDENTIFIER,
    MAX_IDENTIFIER,
    RUST_KEYWORDS,
    rust_type_name,
)
from .facts import is_register_name

#: the macro the C header defines for its static asserts
HEADER_MACROS = frozenset({"ISRGEN_STATIC_ASSERT"})


def header_guard(prefix: str) -> str:
    """The C header's include guard macro for symbol prefix ``prefix``."""
    return f"{prefix.upper()}GLUE_H"


def _common(name: str) -> str | None:
    if not IDENTIFIER.match(name):
        shown = name if len(name) <= 60 else name[:60] + "..."
        return f"{shown!r} is not a valid identifier (letters, digits and '_', not starting with a digit)"
    if len(name) > MAX_IDENTIFIER:
        return f"{name[:40]!r}... is {len(name)} characters long (at most {MAX_IDENTIFIER})"
    if name in C_KEYWORDS:
        return f"{name!r} is a C keyword"
    if name in CXX_KEYWORDS:
        return f"{name!r} is a C++ keyword (the C header is also compiled as C++)"
    if name in C_LIBRARY_NAMES or C_STDINT_NAME.fullmatch(name):
        return f"{name!r} is defined by the C header's standard includes (<stddef.h>, <stdint.h>)"
    if name in GNU_PREDEFINED:
        return f"{name!r} is a macro GCC predefines in its GNU dialects (-std=gnu11)"
    if name in HEADER_MACROS:
        return f"{name!r} is a macro the C header defines"
    return None


def symbol_reason(name: str) -> str | None:
    """Why ``name`` cannot be a symbol the glue defines or calls (declared in C, and in Rust
    ``extern`` blocks), or None."""
    reason = _common(name)
    if reason is None and is_register_name(name):
        reason = f"{name!r} is an aarch64 register or operand name: an assembler reads it as that, not a symbol"
    if reason is None and name in RUST_KEYWORDS:
        reason = f"{name!r} is a Rust keyword (a Rust declaration of the symbol could not name it)"
    return reason


def field_reason(name: str) -> str | None:
    """Why ``name`` cannot name a frame field (a C and a Rust struct member), or None."""
    reason = _common(name)
    if reason is None and name in RUST_KEYWORDS:
        reason = f"{name!r} is a Rust keyword"
    if reason is None and name == "_":
        reason = "'_' cannot name a Rust struct field"
    if reason is None and name.startswith("__"):
        reason = f"{name!r} starts with '__', which C reserves"
    return reason


def struct_reason(name: str) -> str | None:
    """Why ``name`` cannot name the frame struct (a C tag; its Rust form a type), or None."""
    reason = field_reason(name)
    if reason is not None:
        return reason
    rust = rust_type_name(name)
    if rust in RUST_KEYWORDS:
        return f"{name!r} gives the Rust type name {rust!r}, a Rust keyword"
    return None
