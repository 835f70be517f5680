"""The whole glue program: stubs, syscall entry, entries, resume path, exit, halt and tables."""

from __future__ import annotations

import bisect

from isrgen.arch.x86.cfi import add_cfi
from isrgen.arch.x86.codegen.base import (
    stub_stride,
)
from isrgen.arch.x86.codegen.halt import HaltBuilder
from isrgen.arch.x86.codegen.tables import tables
from isrgen.arch.x86.model import X86Spec
from isrgen.arch.x86.split import ENTRY_MARK, STUBS_MARK, SYSCALL_MARK
from isrgen.codegen.ir import (
    Align,
    Comment,
    EndSymbol,
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
from isrgen.model.layout import FrameLayout, compute_layout


class ProgramBuilder(HaltBuilder):
    """The whole glue program."""

    def program(self) -> Program:
        spec = self.spec
        group_of = {v.number: g for g in self.groups for v in g.vectors}
        code: list[Item] = [Comment(STUBS_MARK)]
        stride = stub_stride(spec)
        if stride is not None:
            code.append(Align(max(stride, spec.sections.stub_align)))
        for v in spec.vectors:
            code += self.stub(v, group_of[v.number])
        if spec.syscall is not None:
            code.append(Comment(SYSCALL_MARK))
            code += self.syscall_entry()
        code.append(Comment(ENTRY_MARK))
        # Paranoid entries have their own exit; the last other entry falls into the resume path.
        ordered = sorted(self.groups, key=lambda g: not g.paranoid)
        owner = None
        for i, g in enumerate(ordered):
            last = i == len(ordered) - 1
            body = self.entry(g, falls_through=last)
            if last and not isinstance(body[-1], EndSymbol):
                owner = g.symbol
            code += body
        if owner is None:
            code += [Align(16), Label(f"{spec.symbols.exit}_path", Visibility.LOCAL, "function")]
            owner = f"{spec.symbols.exit}_path"
        code.append(Comment("resume path: the stack pointer points at the frame"))
        code += self.resume_path(owner)
        code += self.exit_routine()
        code += self.halt()
        sections = (
            Section(spec.sections.code, SectionKind.CODE, spec.sections.code_align, sized_branches(code)),
            Section(
                spec.sections.table,
                SectionKind.DATA if spec.table.writable else SectionKind.RODATA,
                spec.table_align,
                tuple(tables(spec)),
            ),
        )
        # data the glue reads but does not define: a syscall entry's fixed stack slots, the
        # per-CPU offset table
        data = [] if spec.syscall is None else [spec.syscall.kernel_stack, spec.syscall.user_stack]
        externs = {*spec.handlers, *(s for s in data if isinstance(s, str)), *self.data_externs()}
        return Program(bits=spec.arch.word_size * 8, sections=sections, externs=tuple(sorted(externs)))

    def data_externs(self) -> tuple[str, ...]:
        """Data symbols the glue reads that the kernel defines (the per-CPU offset table)."""
        pg = self.spec.paranoid_gs
        uses = pg.reads_gs_base and any(g.paranoid for g in self.groups)
        return (pg.offsets,) if uses else ()


def build_program(spec: X86Spec, layout: FrameLayout | None = None) -> Program:
    """The whole glue for ``spec`` as IR (with call-frame information: :mod:`isrgen.arch.x86.cfi`)."""
    layout = layout or compute_layout(spec)
    return add_cfi(ProgramBuilder(spec, layout).program(), spec, layout)


def sized_branches(items: list[Item]) -> tuple[Item, ...]:
    """``items`` with every branch across alignment padding given a 32-bit displacement.

    How much padding an ``.balign`` inserts depends on the size of the branches before
    it, and GNU as, NASM and LLVM (rustc's ``global_asm!``) resolve that circle
    differently: a forward ``jmp`` whose short displacement comes out at exactly 127
    is ``eb 7f`` for GNU as and ``e9`` rel32 for LLVM.  A fixed size makes every
    assembler emit the same bytes (Intel SDM Vol. 2A JMP: ``E9 cd``, Jcc: ``0F 8x cd``)."""
    where = {item.name: i for i, item in enumerate(items) if isinstance(item, Label)}
    padding = [i for i, item in enumerate(items) if isinstance(item, Align | PadTo)]
    out: list[Item] = []
    for i, item in enumerate(items):
        target = _branch_target(item)
        if isinstance(item, Insn) and target is not None and not target.near and target.name in where:
            low, high = sorted((i, where[target.name]))
            if bisect.bisect_right(padding, low) < bisect.bisect_left(padding, high):
                item = Insn(item.op, (Sym(target.name, near=True),))
        out.append(item)
    return tuple(out)


def _branch_target(item: Item) -> Sym | None:
    """The label a ``jmp``/``jcc`` goes to (None for anything else)."""
    if isinstance(item, Insn) and item.op.startswith("j") and len(item.operands) == 1:
        operand = item.operands[0]
        return operand if isinstance(operand, Sym) else None
    return None
