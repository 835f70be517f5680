"""Build the interrupt glue program (as IR) from a spec and its frame layout.

Every decision about what the stubs, entries, exit path and tables contain is
made here, once, for all assembly dialects.
"""

from __future__ import annotations

import attrs

from ..layout import Field, FieldKind, FrameLayout, compute_layout
from ..model import ReturnModel, Spec, Vector, entry_symbol
from .cfi import add_cfi
from .ir import (
    Align,
    Comment,
    Data,
    EndSymbol,
    Imm,
    Insn,
    Item,
    Label,
    Program,
    Reg,
    Section,
    SectionKind,
    Sym,
    Visibility,
)


@attrs.frozen
class EntryGroup:
    """Vectors that share one common entry (same handler)."""

    index: int
    handler: str
    symbol: str
    vectors: tuple[Vector, ...]

    @property
    def label(self) -> str:
        """Internal label the stubs jump to (keeps jumps local, so no relocations)."""
        return f"{self.symbol}_body"


def entry_groups(spec: Spec) -> tuple[EntryGroup, ...]:
    """Group vectors by handler, in order of first use; name each group's entry symbol."""
    handlers = spec.handlers
    groups = []
    for i, handler in enumerate(handlers):
        symbol = entry_symbol(spec.symbols.entry, handlers, handler)
        vecs = tuple(v for v in spec.vectors if v.handler == handler)
        groups.append(EntryGroup(i, handler, symbol, vecs))
    return tuple(groups)


def restore_label(spec: Spec) -> str:
    """Internal label of the shared register-restore path."""
    return f"{spec.symbols.exit}_restore"


def _save_sequence(fields: tuple[Field, ...], sp: str) -> list[Item]:
    """Pushes from the highest field down; consecutive pads become one ``sub``."""
    items: list[Item] = []
    pad = 0
    for f in reversed(fields):
        if f.kind is FieldKind.PAD:
            pad += f.size
            continue
        if pad:
            items.append(Insn("sub", (Reg(sp), Imm(pad))))
            pad = 0
        items.append(Insn("push", (Reg(f.name),)))
    if pad:
        items.append(Insn("sub", (Reg(sp), Imm(pad))))
    return items


def _restore_sequence(fields: tuple[Field, ...], sp: str) -> list[Item]:
    """Pops from the lowest field up; consecutive pads become one ``add``."""
    items: list[Item] = []
    pad = 0
    for f in fields:
        if f.kind is FieldKind.PAD:
            pad += f.size
            continue
        if pad:
            items.append(Insn("add", (Reg(sp), Imm(pad))))
            pad = 0
        items.append(Insn("pop", (Reg(f.name),)))
    if pad:
        items.append(Insn("add", (Reg(sp), Imm(pad))))
    return items


def _stub(spec: Spec, vector: Vector, group: EntryGroup) -> list[Item]:
    items: list[Item] = [
        Align(spec.sections.stub_align),
        Label(vector.stub_symbol, Visibility.GLOBAL, "function"),
    ]
    if not vector.error_code:
        items.append(Insn("push", (Imm(spec.frame.synthetic_error_code),)))
    items.append(Insn("push", (Imm(vector.number),)))
    items.append(Insn("jmp", (Sym(group.label, near=True),)))
    items.append(EndSymbol(vector.stub_symbol))
    return items


def _entry(spec: Spec, layout: FrameLayout, group: EntryGroup, falls_through: bool) -> list[Item]:
    sp = spec.arch.stack_pointer
    items: list[Item] = [
        Align(16),
        Label(group.symbol, Visibility.GLOBAL, "function"),
        Label(group.label),
    ]
    items += _save_sequence(layout.saved_below_stub, sp)
    # SysV ABI: DF must be clear on function entry.
    items.append(Insn("cld"))
    items.append(Insn("mov", (Reg("rdi"), Reg(sp))))
    if layout.call_adjust:
        items.append(Insn("sub", (Reg(sp), Imm(layout.call_adjust))))
    items.append(Insn("call", (Sym(group.handler),)))
    if spec.handler.returns is ReturnModel.FRAME:
        items.append(Insn("mov", (Reg(sp), Reg("rax"))))
    elif layout.call_adjust:
        items.append(Insn("add", (Reg(sp), Imm(layout.call_adjust))))
    if not falls_through:
        items.append(Insn("jmp", (Sym(restore_label(spec)),)))
        items.append(EndSymbol(group.symbol))
    return items


def _restore(spec: Spec, layout: FrameLayout, last_group: EntryGroup) -> list[Item]:
    sp = spec.arch.stack_pointer
    stub_slots = sum(f.size for f in layout.fields if f.kind in (FieldKind.VECTOR, FieldKind.ERROR_CODE))
    items: list[Item] = [Label(restore_label(spec))]
    items += _restore_sequence(layout.saved_below_stub, sp)
    items.append(Insn("add", (Reg(sp), Imm(stub_slots))))
    items.append(Insn(spec.arch.interrupt_return))
    items.append(EndSymbol(last_group.symbol))
    # The exit routine resumes any frame (e.g. a new thread's fabricated one): rdi = frame.
    items += [
        Align(16),
        Label(spec.symbols.exit, Visibility.GLOBAL, "function"),
        Insn("mov", (Reg(sp), Reg("rdi"))),
        Insn("jmp", (Sym(restore_label(spec)),)),
        EndSymbol(spec.symbols.exit),
    ]
    return items


def _table(spec: Spec) -> list[Item]:
    items: list[Item] = [
        Align(spec.arch.word_size, 0),
        Label(spec.symbols.table, Visibility.GLOBAL, "object"),
    ]
    for n in range(spec.arch.vector_count):
        v = spec.vector(n)
        items.append(Data(spec.arch.word_size, v.stub_symbol if v else 0))
    items.append(EndSymbol(spec.symbols.table))
    # [type_attr, ist] per vector for the IDT initialiser; type_attr 0 = not present.
    items.append(Label(spec.symbols.gates, Visibility.GLOBAL, "object"))
    for n in range(spec.arch.vector_count):
        v = spec.vector(n)
        items.append(Data(1, v.type_attr if v else 0))
        items.append(Data(1, (v.ist or 0) if v else 0))
    items.append(EndSymbol(spec.symbols.gates))
    return items


def build_program(spec: Spec, layout: FrameLayout | None = None) -> Program:
    """The whole glue for ``spec`` as IR."""
    layout = layout or compute_layout(spec)
    groups = entry_groups(spec)
    group_of = {v.number: g for g in groups for v in g.vectors}
    code: list[Item] = [Comment("per-vector stubs")]
    for v in spec.vectors:
        code += _stub(spec, v, group_of[v.number])
    code.append(Comment("common entries"))
    for i, g in enumerate(groups):
        code += _entry(spec, layout, g, falls_through=i == len(groups) - 1)
    code += _restore(spec, layout, groups[-1])
    sections = (
        Section(spec.sections.code, SectionKind.CODE, spec.sections.code_align, tuple(code)),
        Section(spec.sections.table, SectionKind.RODATA, spec.arch.word_size, tuple(_table(spec))),
    )
    program = Program(bits=spec.arch.word_size * 8, sections=sections, externs=tuple(sorted(spec.handlers)))
    return add_cfi(program, spec, layout)
