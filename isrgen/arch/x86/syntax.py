"""How each assembler dialect spells the IR.

All dialects use Intel operand order, so the instruction text differs only in
memory-operand size keywords, directives and label forms.  The ``Syntax``
objects here turn IR items into lines; the backends' templates only loop over
those lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from isrgen.arch.isa import SectionText
from isrgen.arch.x86.operands import IndexedMem, SymbolMem
from isrgen.codegen.ir import (
    Align,
    Cfi,
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


class _ItemRenderers(Protocol):
    def _insn(self, item: Insn) -> list[str]: ...
    def _label(self, item: Label) -> list[str]: ...
    def _end_symbol(self, item: EndSymbol) -> list[str]: ...
    def _align(self, item: Align) -> list[str]: ...
    def _pad_to(self, item: PadTo) -> list[str]: ...
    def _data(self, item: Data) -> list[str]: ...
    def _comment(self, item: Comment) -> list[str]: ...
    def _cfi(self, item: Cfi) -> list[str]: ...


def _renderers(syntax: _ItemRenderers) -> dict[type, Callable[[Any], list[str]]]:
    """The dialect's rendering method for each kind of program item, by type."""
    return {
        Insn: syntax._insn,
        Label: syntax._label,
        EndSymbol: syntax._end_symbol,
        Align: syntax._align,
        PadTo: syntax._pad_to,
        Data: syntax._data,
        Comment: syntax._comment,
        Cfi: syntax._cfi,
    }


class IntelSyntax:
    """What GAS and NASM spell alike (Intel operand order): registers, immediates, memory
    addresses, instructions, data words and comments.  A dialect sets its local-label
    prefix, data directives, mnemonic spellings and comment form, and spells labels,
    symbol operands, memory sizes and sections its own way."""

    #: prefix that makes an internal label local to the object
    local_prefix: ClassVar[str]
    data_words: ClassVar[dict[int, str]]
    #: mnemonics the dialect spells differently
    mnemonics: ClassVar[dict[str, str]] = {}

    def __init__(self, internal_labels: set[str]):
        self.internal = internal_labels
        self._renderers = _renderers(self)

    def label_name(self, name: str) -> str:
        return f"{self.local_prefix}{name}" if name in self.internal else name

    def operand(self, op: Operand) -> str:
        if isinstance(op, Reg):
            return op.name
        if isinstance(op, Imm):
            return str(op.value)
        if isinstance(op, Sym):
            return self.symbol_operand(op)
        return self.memory_operand(op)

    def symbol_operand(self, op: Sym) -> str:
        return self.label_name(op.name)

    def memory_operand(self, op: Mem) -> str:
        raise NotImplementedError

    def address(self, op: Mem, segment: str = "") -> str:
        """``[base + disp]`` (with ``segment:`` inside the brackets when given, NASM style)."""
        if isinstance(op, SymbolMem):
            return self.rip_relative(op.symbol)
        if isinstance(op, IndexedMem):
            disp = f" + {op.disp}" if op.disp else ""
            return f"[{segment}{op.base} + {op.index}*{op.scale}{disp}]"
        if op.base is None:
            return f"[{segment}{op.disp}]"
        if op.disp == 0:
            return f"[{segment}{op.base}]"
        sign = "+" if op.disp > 0 else "-"
        return f"[{segment}{op.base} {sign} {abs(op.disp)}]"

    def comment(self, text: str) -> str:
        raise NotImplementedError

    def rip_relative(self, symbol: str) -> str:
        """The RIP-relative address of ``symbol``."""
        return f"[rip + {symbol}]"

    def branch_prefix(self, item: Insn) -> str:
        """Text before the mnemonic (GAS forces rel32 branches with it)."""
        return ""

    def item(self, item: Item) -> list[str]:
        return self._renderers[type(item)](item)

    def body(self, section: Section) -> list[str]:
        """Every item of ``section``, rendered."""
        lines: list[str] = []
        for item in section.items:
            lines += self.item(item)
        return lines

    def _insn(self, item: Insn) -> list[str]:
        ops = ", ".join(self.operand(o) for o in item.operands)
        return [f"{INDENT}{self.branch_prefix(item)}{self.mnemonics.get(item.op, item.op)} {ops}".rstrip()]

    def _data(self, item: Data) -> list[str]:
        value = self.label_name(item.value) if isinstance(item.value, str) else str(item.value)
        return [f"{INDENT}{self.data_words[item.width]} {value}"]

    def _comment(self, item: Comment) -> list[str]:
        return [self.comment(item.text)]

    # each dialect spells these its own way
    def _label(self, item: Label) -> list[str]:
        raise NotImplementedError

    def _end_symbol(self, item: EndSymbol) -> list[str]:
        raise NotImplementedError

    def _align(self, item: Align) -> list[str]:
        raise NotImplementedError

    def _pad_to(self, item: PadTo) -> list[str]:
        raise NotImplementedError

    def _cfi(self, item: Cfi) -> list[str]:
        raise NotImplementedError


class GasSyntax(IntelSyntax):
    """GNU as (and the LLVM integrated assembler) in ``.intel_syntax noprefix`` mode."""

    local_prefix: ClassVar[str] = ".L"
    data_words: ClassVar[dict[int, str]] = {1: ".byte", 2: ".short", 4: ".long", 8: ".quad"}

    def memory_operand(self, op: Mem) -> str:
        seg = f"{op.segment}:" if op.segment else ""
        size = f"{_SIZE_WORD[op.size]} ptr " if op.size else ""
        return f"{size}{seg}{self.address(op)}"

    def comment(self, text: str) -> str:
        return f"{INDENT}/* {text} */"

    def branch_prefix(self, item: Insn) -> str:
        # {disp32}: a rel32 branch whatever the distance (GAS >= 2.31 and LLVM agree on it)
        return "{disp32} " if any(isinstance(o, Sym) and o.near for o in item.operands) else ""

    def _label(self, item: Label) -> list[str]:
        name = self.label_name(item.name)
        out = []
        if item.visibility is Visibility.GLOBAL:
            out.append(f"{INDENT}.globl {name}")
        if item.kind and item.visibility is not Visibility.INTERNAL:
            out.append(f"{INDENT}.type {name}, @{item.kind}")
        out.append(f"{name}:")
        return out

    def _end_symbol(self, item: EndSymbol) -> list[str]:
        return [f"{INDENT}.size {item.name}, . - {item.name}"]

    def _align(self, item: Align) -> list[str]:
        return [f"{INDENT}.balign {item.boundary}, {item.fill:#04x}"]

    def _pad_to(self, item: PadTo) -> list[str]:
        return [f"{INDENT}.org {self.label_name(item.start)} + {item.size}, {item.fill:#04x}"]

    def _cfi(self, item: Cfi) -> list[str]:
        args = ", ".join(str(a) for a in item.args)
        return [f"{INDENT}.cfi_{item.op} {args}".rstrip()]

    def section(self, section: Section) -> SectionText:
        flags = {
            SectionKind.CODE: '"ax",@progbits',
            SectionKind.RODATA: '"a",@progbits',
            SectionKind.DATA: '"aw",@progbits',
        }[section.kind]
        body = [f"{INDENT}.balign {section.align}", *self.body(section)]
        return SectionText(f"{INDENT}.pushsection {section.name},{flags}", tuple(body), f"{INDENT}.popsection")

    def note_gnu_stack(self) -> SectionText:
        # Without this note ld marks the stack executable (GNU ld manual, -z execstack).
        return SectionText(f'{INDENT}.pushsection .note.GNU-stack,"",@progbits', (), f"{INDENT}.popsection")


class NasmSyntax(IntelSyntax):
    """NASM (``nasm -f elf64``): the same instructions, NASM directives and label forms.

    Internal labels become ``..@name`` (NASM's form that neither starts nor joins a
    local-label scope); a sized symbol's end is the internal label ``..@name.end``,
    used by the size expression of its ``global`` directive.
    """

    local_prefix: ClassVar[str] = "..@"
    #: mnemonics NASM spells differently (it has no ``sysretq``: REX.W comes from ``o64``)
    mnemonics: ClassVar[dict[str, str]] = {"sysretq": "o64 sysret"}
    data_words: ClassVar[dict[int, str]] = {1: "db", 2: "dw", 4: "dd", 8: "dq"}
    #: NASM spells the ELF symbol type ``object`` as ``data``
    symbol_types: ClassVar[dict[str, str]] = {"function": "function", "object": "data"}

    def __init__(self, internal_labels: set[str], sized_symbols: set[str]):
        super().__init__(internal_labels)
        self.sized = sized_symbols

    @staticmethod
    def end_label(name: str) -> str:
        """The internal label marking the end of sized symbol ``name``."""
        return f"..@{name}.end"

    def symbol_operand(self, op: Sym) -> str:
        return f"near {self.label_name(op.name)}" if op.near else self.label_name(op.name)

    def memory_operand(self, op: Mem) -> str:
        size = f"{_SIZE_WORD[op.size]} " if op.size else ""
        return f"{size}{self.address(op, f'{op.segment}:' if op.segment else '')}"

    def comment(self, text: str) -> str:
        return f"{INDENT}; {text}"

    def rip_relative(self, symbol: str) -> str:
        return f"[rel {symbol}]"

    def _declare(self, item: Label) -> str:
        decl = f"{INDENT}global {item.name}"
        if item.kind:
            decl += f":{self.symbol_types[item.kind]}"
            if item.name in self.sized:
                decl += f" ({self.end_label(item.name)} - {item.name})"
        return decl

    def _label(self, item: Label) -> list[str]:
        out = [self._declare(item)] if item.visibility is Visibility.GLOBAL else []
        out.append(f"{self.label_name(item.name)}:")
        return out

    def _end_symbol(self, item: EndSymbol) -> list[str]:
        return [f"{self.end_label(item.name)}:"]

    def _align(self, item: Align) -> list[str]:
        return [f"{INDENT}align {item.boundary}, db {item.fill:#04x}"]

    def _pad_to(self, item: PadTo) -> list[str]:
        # A negative TIMES count is an assembly error: the code did not fit.
        return [f"{INDENT}times {item.size} - ($ - {self.label_name(item.start)}) db {item.fill:#04x}"]

    def _cfi(self, item: Cfi) -> list[str]:
        return []  # NASM has no CFI directives (isrgen.arch.x86.cfi)

    def section(self, section: Section) -> SectionText:
        # NASM's default for an unknown section name is not executable: always spell the flags.
        flags = {
            SectionKind.CODE: "progbits alloc exec nowrite",
            SectionKind.RODATA: "progbits alloc noexec nowrite",
            SectionKind.DATA: "progbits alloc noexec write",
        }[section.kind]
        return SectionText(
            f"section {section.name} {flags} align={section.align}",
            tuple(self.body(section)),
            f"; end of section {section.name}",
        )

    def note_gnu_stack(self) -> SectionText:
        # Without this note ld marks the stack executable (GNU ld manual, -z execstack).
        return SectionText("section .note.GNU-stack noalloc noexec nowrite progbits", (), "")


def sized_symbols(sections: tuple[Section, ...]) -> set[str]:
    """Names of symbols whose end is marked by an :class:`EndSymbol` (they get an ELF size)."""
    return {item.name for s in sections for item in s.items if isinstance(item, EndSymbol)}


def internal_labels(sections: tuple[Section, ...]) -> set[str]:
    """Names of internal labels (they get a dialect-specific local prefix)."""
    return {
        item.name
        for s in sections
        for item in s.items
        if isinstance(item, Label) and item.visibility is Visibility.INTERNAL
    }
