"""How each assembler dialect spells the IR.

All dialects use Intel operand order, so the instruction text differs only in
memory-operand size keywords, directives and label forms.  The ``Syntax``
objects here turn IR items into lines; the backends' templates only loop over
those lines.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from .ir import (
    Align,
    Comment,
    Data,
    EndSymbol,
    Imm,
    Insn,
    Item,
    Label,
    Mem,
    Operand,
    PadTo,
    Reg,
    Section,
    SectionKind,
    Sym,
    Visibility,
)

_SIZE_WORD = {1: "byte", 2: "word", 4: "dword", 8: "qword"}
INDENT = "    "


@attrs.frozen
class SectionText:
    """A section rendered: the line that opens it, its body, the line that closes it."""

    open: str
    lines: tuple[str, ...]
    close: str


class GasSyntax:
    """GNU as (and the LLVM integrated assembler) in ``.intel_syntax noprefix`` mode."""

    data_words: ClassVar[dict[int, str]] = {1: ".byte", 2: ".short", 4: ".long", 8: ".quad"}

    def __init__(self, internal_labels: set[str]):
        self.internal = internal_labels

    def label_name(self, name: str) -> str:
        return f".L{name}" if name in self.internal else name

    def operand(self, op: Operand) -> str:
        if isinstance(op, Reg):
            return op.name
        if isinstance(op, Imm):
            return str(op.value)
        if isinstance(op, Sym):
            return self.label_name(op.name)
        return f"{_SIZE_WORD[op.size]} ptr {self.address(op)}"

    @staticmethod
    def address(op: Mem) -> str:
        if op.disp == 0:
            return f"[{op.base}]"
        sign = "+" if op.disp > 0 else "-"
        return f"[{op.base} {sign} {abs(op.disp)}]"

    def comment(self, text: str) -> str:
        return f"{INDENT}/* {text} */"

    def item(self, item: Item) -> list[str]:
        if isinstance(item, Insn):
            ops = ", ".join(self.operand(o) for o in item.operands)
            return [f"{INDENT}{item.op} {ops}".rstrip()]
        if isinstance(item, Label):
            name = self.label_name(item.name)
            out = []
            if item.visibility is Visibility.GLOBAL:
                out.append(f"{INDENT}.globl {name}")
            if item.kind and item.visibility is not Visibility.INTERNAL:
                out.append(f"{INDENT}.type {name}, @{item.kind}")
            out.append(f"{name}:")
            return out
        if isinstance(item, EndSymbol):
            return [f"{INDENT}.size {item.name}, . - {item.name}"]
        if isinstance(item, Align):
            return [f"{INDENT}.balign {item.boundary}, {item.fill:#04x}"]
        if isinstance(item, PadTo):
            start = self.label_name(item.start)
            return [f"{INDENT}.org {start} + {item.size}, {item.fill:#04x}"]
        if isinstance(item, Data):
            value = self.label_name(item.value) if isinstance(item.value, str) else str(item.value)
            return [f"{INDENT}{self.data_words[item.width]} {value}"]
        if isinstance(item, Comment):
            return [self.comment(item.text)]
        raise TypeError(item)  # pragma: no cover

    def section(self, section: Section) -> SectionText:
        flags = {SectionKind.CODE: '"ax",@progbits', SectionKind.RODATA: '"a",@progbits'}[section.kind]
        body: list[str] = [f"{INDENT}.balign {section.align}"]
        for item in section.items:
            body += self.item(item)
        return SectionText(f"{INDENT}.pushsection {section.name},{flags}", tuple(body), f"{INDENT}.popsection")

    def note_gnu_stack(self) -> SectionText:
        # Without this ld marks the stack executable (toolchain-facts.md).
        return SectionText(f'{INDENT}.pushsection .note.GNU-stack,"",@progbits', (), f"{INDENT}.popsection")


def internal_labels(sections: tuple[Section, ...]) -> set[str]:
    """Names of internal labels (they get a dialect-specific local prefix)."""
    return {
        item.name
        for s in sections
        for item in s.items
        if isinstance(item, Label) and item.visibility is Visibility.INTERNAL
    }
