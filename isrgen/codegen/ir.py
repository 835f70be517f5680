"""A tiny assembly IR shared by every assembly backend.

The program (stubs, entries, exit, tables) is built once as IR by the ISA's
instruction selection (:meth:`isrgen.arch.isa.Isa.build_program`); each dialect
only decides how to spell it.  That is what makes the GAS, NASM and Rust outputs
the same machine code.
"""

from __future__ import annotations

import enum

import attrs


@attrs.frozen
class Reg:
    """A register operand."""

    name: str


@attrs.frozen
class Imm:
    """An immediate operand."""

    value: int


@attrs.frozen
class Mem:
    """A memory operand ``size ptr seg:[base + disp]``.

    ``base`` None is an absolute address (used with a segment: ``gs:[16]``);
    ``size`` 0 omits the size keyword (fxsave64/xsave64 operands).
    """

    base: str | None
    disp: int = 0
    size: int = 8
    segment: str | None = None


@attrs.frozen
class Sym:
    """A code address operand (branch target or call target).

    ``near`` forces a 32-bit displacement on a branch.  Without it each assembler
    picks the jump size itself, and GAS/NASM and LLVM (rustc's ``global_asm!``)
    do not always pick the same one near alignment padding.
    """

    name: str
    near: bool = False


Operand = Reg | Imm | Mem | Sym


@attrs.frozen
class Insn:
    """One instruction."""

    op: str
    operands: tuple[Operand, ...] = ()


class Visibility(enum.StrEnum):
    """How far a label is visible."""

    GLOBAL = "global"
    #: a symbol in the object's symbol table but not exported
    LOCAL = "local"
    #: an assembler-internal label that never reaches the symbol table
    INTERNAL = "internal"


@attrs.frozen
class Label:
    """A label; functions and objects get ``.type``/``.size`` from :class:`EndSymbol`."""

    name: str
    visibility: Visibility = Visibility.INTERNAL
    kind: str | None = None  # "function" | "object" | None


@attrs.frozen
class EndSymbol:
    """Marks the end of a function/object symbol (its size)."""

    name: str


@attrs.frozen
class Align:
    """Align the location counter, filling with ``fill`` bytes."""

    boundary: int
    fill: int = 0xCC


@attrs.frozen
class PadTo:
    """Fill up to ``start + size``; assembling fails if the code since ``start`` is longer."""

    start: str
    size: int
    fill: int = 0xCC


@attrs.frozen
class Data:
    """A data word: a symbol's address or an integer."""

    width: int
    value: int | str


@attrs.frozen
class Comment:
    """A comment line."""

    text: str


@attrs.frozen
class Cfi:
    """A call-frame-information directive ``.cfi_<op> args`` (see :mod:`isrgen.arch.x86.cfi`).

    Dialects without CFI directives (NASM) render it as nothing.
    """

    op: str
    args: tuple[str | int, ...] = ()


Item = Insn | Label | EndSymbol | Align | PadTo | Data | Comment | Cfi


class SectionKind(enum.StrEnum):
    """What a section holds; decides its flags."""

    CODE = "code"
    RODATA = "rodata"
    #: writable data (``.data``, ``.data.rel.ro``): a table a kernel expects there
    DATA = "data"


@attrs.frozen
class Section:
    """A section and its items."""

    name: str
    kind: SectionKind
    align: int
    items: tuple[Item, ...]


@attrs.frozen
class Program:
    """A whole generated assembly file."""

    bits: int
    sections: tuple[Section, ...]
    externs: tuple[str, ...]

    @property
    def global_symbols(self) -> tuple[str, ...]:
        """Every global symbol the program defines, in order."""
        return tuple(
            item.name
            for s in self.sections
            for item in s.items
            if isinstance(item, Label) and item.visibility is Visibility.GLOBAL
        )
