"""Split the glue program into the files a spec's ``outputs`` name (xv6 keeps its stubs
and table in ``vectors.S`` and the common entry in ``trapasm.S``).

The program is built and given its CFI whole (the CFI of an entry depends on the stubs
that jump to it), then each file takes the parts it holds:

- ``stubs``: the per-vector stubs;
- ``table``: the vector table and the gate attributes (the table section);
- ``syscall``: the SYSCALL entry;
- ``entry``: the common entries, the resume path they fall into, the exit routine that
  jumps into it, and the halt routine (so ``exit`` always names the entry's file).

A label one file defines and another refers to must reach the symbol table.  An
internal label (``.L``/``..@``) at the very address of a global symbol (xv6's stubs
jump to the body of ``alltraps``, which starts at ``alltraps``) is referred to by
that symbol's name from the other file; any other internal label the other file
needs becomes a global symbol of its own name.  NASM files declare every symbol
they use from another file ``extern`` (GAS treats an undefined symbol as external).
Functions never straddle two parts, so each file's CFI is complete.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from isrgen.codegen.ir import (
    Cfi,
    Comment,
    Data,
    Insn,
    Item,
    Label,
    PadTo,
    Program,
    Section,
    SectionKind,
    Sym,
    Visibility,
)

#: the comments the program builder starts each code part with, and the part they start
STUBS_MARK = "per-vector stubs"
SYSCALL_MARK = "system call entry"
ENTRY_MARK = "common entries"
_MARKS = {STUBS_MARK: "stubs", SYSCALL_MARK: "syscall", ENTRY_MARK: "entry"}


def _tagged(program: Program) -> list[tuple[Section, list[tuple[str, Item]]]]:
    """Each section with each of its items tagged with the part it belongs to."""
    out = []
    for section in program.sections:
        part = "stubs" if section.kind is SectionKind.CODE else "table"
        items: list[tuple[str, Item]] = []
        for item in section.items:
            if section.kind is SectionKind.CODE and isinstance(item, Comment) and item.text in _MARKS:
                part = _MARKS[item.text]
            items.append((part, item))
        out.append((section, items))
    return out


def _references(items: Iterable[Item]) -> set[str]:
    refs: set[str] = set()
    for item in items:
        if isinstance(item, Insn):
            refs |= {op.name for op in item.operands if isinstance(op, Sym)}
        elif isinstance(item, Data) and isinstance(item.value, str):
            refs.add(item.value)
        elif isinstance(item, PadTo):
            refs.add(item.start)
    return refs


def _aliases(program: Program) -> dict[str, str]:
    """Internal label -> the global symbol at the same address (no byte between them)."""
    aliases: dict[str, str] = {}
    for section in program.sections:
        here: str | None = None
        for item in section.items:
            if isinstance(item, Label):
                if item.visibility is Visibility.GLOBAL:
                    here = item.name
                elif item.visibility is Visibility.INTERNAL and here is not None:
                    aliases[item.name] = here
            elif not isinstance(item, Cfi | Comment):
                here = None
    return aliases


def _renamed(item: Item, names: dict[str, str]) -> Item:
    if isinstance(item, Insn) and any(isinstance(op, Sym) and op.name in names for op in item.operands):
        ops = tuple(attrs.evolve(op, name=names[op.name]) if isinstance(op, Sym) and op.name in names else op
                    for op in item.operands)  # fmt: skip
        return attrs.evolve(item, operands=ops)
    if isinstance(item, Data) and isinstance(item.value, str) and item.value in names:
        return attrs.evolve(item, value=names[item.value])
    return item


def part_file_program(program: Program, parts: Iterable[str]) -> Program:
    """The part of ``program`` one file holds (``parts``: names from
    :data:`isrgen.spec.resolve.outputs.PARTS`)."""
    wanted = {"entry" if p == "exit" else p for p in parts}
    tagged = _tagged(program)
    mine = [item for _, items in tagged for part, item in items if part in wanted]
    others = [item for _, items in tagged for part, item in items if part not in wanted]
    defined_here = {i.name for i in mine if isinstance(i, Label)}
    defined_elsewhere = {i.name for i in others if isinstance(i, Label)}
    aliases = _aliases(program)
    # a reference to another file's internal label goes to the global symbol at its address
    outward = {name: to for name, to in aliases.items() if name in defined_elsewhere}
    used_elsewhere = {aliases.get(r, r) for r in _references(others) - defined_elsewhere}
    mine = [_renamed(i, outward) for i in mine]
    cross = sorted(_references(mine) - defined_here - set(program.externs))

    def promoted(item: Item) -> Item:
        # another file refers to this label: it must be in the symbol table, and global
        if isinstance(item, Label) and item.name in used_elsewhere and item.visibility is not Visibility.GLOBAL:
            return attrs.evolve(item, visibility=Visibility.GLOBAL)
        return _renamed(item, outward)

    sections = []
    for section, items in tagged:
        kept = tuple(promoted(item) for part, item in items if part in wanted)
        if kept:
            sections.append(attrs.evolve(section, items=kept))
    externs = tuple(sorted({*program.externs, *cross}))
    return attrs.evolve(program, sections=tuple(sections), externs=externs)
