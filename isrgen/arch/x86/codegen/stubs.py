"""The per-vector stubs: push the vector (and a synthetic error code) and jump to the entry."""

from __future__ import annotations

from isrgen.arch.x86.codegen.base import (
    DENSE_STRIDE,
    VISIBILITY,
    BuilderBase,
    group_labels,
    insn,
    stub_stride,
)
from isrgen.arch.x86.model import ErrorCodeFiller, X86EntryGroup, X86Vector
from isrgen.codegen.ir import (
    Align,
    EndSymbol,
    Imm,
    Item,
    Label,
    Mem,
    PadTo,
    Reg,
    Sym,
)


class StubBuilder(BuilderBase):
    """The per-vector stubs."""

    def stub(self, v: X86Vector, group: X86EntryGroup) -> list[Item]:
        labels = group_labels(group)
        items: list[Item] = []
        stride = stub_stride(self.spec)
        if stride is None:
            items.append(Align(self.spec.sections.stub_align))
        items.append(Label(v.stub_symbol, VISIBILITY[self.spec.symbols.visibility.stubs], "function"))
        items += self.endbr()
        if self.spec.stub_clears_if(v):
            items.append(insn("cli"))
        if self.dense:
            # push imm8 sign-extends: vectors >= 128 arrive negative and the entry widens them.
            items.append(insn("push", Imm(v.number - 256 if v.number >= 128 else v.number)))
            items.append(insn("jmp", Sym(self.dense_target(v, group), near=True)))
            items.append(PadTo(v.stub_symbol, stride or DENSE_STRIDE))
        else:
            slot = self.spec.frame.error_slot_value(v)
            if self.spec.frame.has_frame_pointer:
                items += self.store_frame_pointer(cpu_error_code=slot is None)
            if slot is not None:
                items.append(insn("push", Imm(slot)))
            elif self.spec.stubs.error_code_filler is ErrorCodeFiller.NOP:
                items.append(insn("nop"))
            if self.spec.frame.has_vector:
                items.append(insn("push", Imm(v.number)))
            items.append(insn("jmp", Sym(labels.body, near=True)))
        items.append(EndSymbol(v.stub_symbol))
        return items

    def store_frame_pointer(self, cpu_error_code: bool) -> list[Item]:
        """Store the interrupted frame pointer in its slot above the error code.  When the
        CPU pushed an error code, that code moves down one word and the frame pointer
        takes its place."""
        fp, w = self.arch.frame_pointer, self.word
        if cpu_error_code:
            return [insn("push", Mem(self.sp, 0, w)), insn("mov", Mem(self.sp, w, w), Reg(fp))]
        return [insn("push", Reg(fp))]

    def needs_widen(self, group: X86EntryGroup, error_code: bool) -> bool:
        """Whether some dense stub of ``group`` (with or without a CPU error code) pushes
        a vector >= 128, which ``push imm8`` sign-extends and the entry must widen."""
        return self.dense and any(v.number >= 128 and v.error_code is error_code for v in group.vectors)

    def dense_target(self, v: X86Vector, group: X86EntryGroup) -> str:
        """Where a dense stub jumps: only the paths its vector needs (widening, synthetic code)."""
        labels = group_labels(group)
        if v.error_code:
            if v.number >= 128:
                return labels.widen_err
            return labels.err if self.spec.frame.has_frame_pointer else labels.body
        return labels.widen if v.number >= 128 else labels.noerr
