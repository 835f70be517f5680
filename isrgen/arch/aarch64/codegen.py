"""Spec + layout -> the whole glue as :class:`~isrgen.codegen.ir.Program` IR.

The program has two executable sections: the VBAR_EL1 table (2 KiB aligned, each
slot padded to 0x80 bytes with ``.org`` so that an oversized slot fails to
assemble) and the code (per-slot entries, the exit routine, the system-call exit,
the halt routine).
"""

from __future__ import annotations

from ...codegen.ir import Align, Cfi, Comment, EndSymbol, Insn, Item, Label, PadTo, Program, Section, SectionKind
from ...codegen.ir import Visibility as IrVisibility
from .codegen_entry import EntryBuilder
from .emit import add_imm, branch, insn, load
from .facts import DAIF_ALL, GPRS, QREGS, SLOT_SIZE, SLOTS, SPSR_M_MASK, TABLE_ALIGN, ZR, Mode
from .layout import FrameLayout, compute_layout
from .options import Aarch64Spec, ExitBarrier, TableStyle
from .options import Visibility as SpecVisibility

#: UDF #0 (the all-zero word is permanently undefined, Arm ARM C6.2 UDF) fills unused slot space
_FILL = 0x00


def _vis(v: SpecVisibility) -> IrVisibility:
    return IrVisibility.GLOBAL if v is SpecVisibility.GLOBAL else IrVisibility.LOCAL


class _Generator:
    def __init__(self, spec: Aarch64Spec, layout: FrameLayout):
        self.spec = spec
        self.layout = layout
        self.entry = EntryBuilder(spec, layout)
        self.cfi = spec.hardening.cfi

    # -- the table --------------------------------------------------------------------
    def table(self) -> Section:
        sym = self.spec.symbols
        items: list[Item] = [
            Comment("VBAR_EL1 table: 16 slots of 0x80 bytes (Arm ARM D1.10.2)"),
            Label(sym.table, _vis(sym.table_visibility), "function"),
        ]
        for slot in SLOTS:
            items.append(Comment(f"slot {slot.number} at +{slot.offset:#05x}: {slot.name}"))
            target = sym.entry_symbol(slot)
            if self.spec.style is TableStyle.LINUX:
                items += self.entry.prologue(slot)
            elif self.spec.style is TableStyle.INLINE:
                # the GPR and system-register save; the FP/SIMD area (17+ instructions) is
                # stored by the entry the slot branches to
                items += self.entry.prologue(slot)
                items += self.entry.save_core(slot)
            items.append(branch("b", target))
            items.append(PadTo(sym.table, slot.offset + SLOT_SIZE, _FILL))
        items.append(EndSymbol(sym.table))
        return Section(self.spec.sections.table, SectionKind.CODE, TABLE_ALIGN, tuple(items))

    # -- entries ----------------------------------------------------------------------
    def entry_code(self) -> list[Item]:
        sym = self.spec.symbols
        items: list[Item] = []
        for route in self.spec.routes:
            slot = route.slot
            name = sym.entry_symbol(slot)
            items += [Align(4, _FILL), Label(name, _vis(sym.entry_visibility), "function")]
            in_slot = self.spec.style is not TableStyle.BRANCH
            if self.cfi:
                state = {TableStyle.BRANCH: "fresh", TableStyle.LINUX: "room", TableStyle.INLINE: "saved"}
                items += self.entry.cfi_start(state[self.spec.style])
            if not in_slot:
                items += self.entry.prologue(slot)
            if self.spec.style is not TableStyle.INLINE:
                if self.cfi and not in_slot:
                    items.append(_cfi_offset(self.layout.size))
                items += self.entry.save(slot, route.fpsimd, cfi=self.cfi)
            elif route.fpsimd:
                items += self.entry.save_fpsimd()
            items += self.entry.body(route)
            if self.cfi:
                items.append(_cfi("endproc"))
            items.append(EndSymbol(name))
        return items

    # -- ways out ---------------------------------------------------------------------
    def barrier(self) -> list[Item]:
        b = self.spec.hardening.exit_barrier
        if b is ExitBarrier.SB:
            return [Insn("sb")]
        if b is ExitBarrier.DSB_ISB:
            return [insn("dsb", "nsh"), Insn("isb")]
        return []

    def eret(self) -> list[Item]:
        return [Insn("eret"), *self.barrier()]

    def restore_fpsimd(self) -> list[Item]:
        """The FP/SIMD registers from the frame (sp = frame), if it has them."""
        lay = self.layout
        if not lay.has("q0"):
            return []
        return [
            *load([(lay.offset(q), q) for q in QREGS]),
            *load([(lay.offset("fpcr"), "x1"), (lay.offset("fpsr"), "x2")]),
            insn("msr", "fpcr", "x1"),
            insn("msr", "fpsr", "x2"),
        ]

    def restore_sysregs(self) -> list[Item]:
        """ELR and SPSR from the frame (sp = frame); x2 keeps SPSR, x1 the saved sp."""
        lay = self.layout
        # one load list, so adjacent fields pair into LDPs; x3 is restored from the frame later
        return [
            *load([(lay.offset("elr"), "x3"), (lay.offset("spsr"), "x2"), (lay.offset("sp"), "x1")]),
            insn("msr", "elr_el1", "x3"),
            insn("msr", "spsr_el1", "x2"),
        ]

    def exit_routine(self) -> list[Item]:
        sym = self.spec.symbols
        lay = self.layout
        el1h = f"{sym.prefix}resume_el1h"
        after_fp = f"{sym.prefix}return_sysregs"
        skip_fp: list[Item] = []
        if lay.has("q0") and not all(r.fpsimd for r in self.spec.routes):
            skip_fp = [
                Align(4, _FILL),
                Label(self.entry.exit_without_fpsimd),
                Comment("x0 = frame saved without its FP/SIMD area: resume it, FP/SIMD registers untouched"),
                insn("mov", "sp", "x0"),
                branch("b", after_fp),
            ]
        gprs_but_x0 = [(f.offset, f.role) for f in lay.fields if f.role in GPRS and not f.copy and f.role != "x0"]
        items: list[Item] = [
            Align(self.spec.sections.code_align, _FILL),
            Label(sym.exit, _vis(sym.exit_visibility), "function"),
            Comment("x0 = frame: resume it"),
            insn("mov", "sp", "x0"),
            *([Label(sym.exit_sp, IrVisibility.GLOBAL)] if sym.exit_sp else []),
            *self.restore_fpsimd(),
            Label(after_fp),
            # Called from C (a task's first entry) interrupts may be unmasked: an IRQ taken
            # between the ELR/SPSR writes and the eret would overwrite them (Arm ARM D1.10.1).
            insn("msr", "daifset", DAIF_ALL),
            *self.restore_sysregs(),
            # SPSR.M[3:0] (Arm ARM C5.2, SPSR_EL1): EL1h resumes on the saved sp itself;
            # EL0t/EL1t resume with SP_EL0 = saved sp and SP_EL1 just above the frame.
            insn("and", "x2", "x2", SPSR_M_MASK),
            insn("cmp", "x2", int(Mode.EL1H)),
            branch("b.eq", el1h),
            insn("msr", "sp_el0", "x1"),
            *self.entry.reload_gprs(),
            *add_imm("add", "sp", "sp", lay.size),
            *self.eret(),
            Label(el1h),
            Comment("x0 = the saved sp; then swap x0 and sp without memory: sp = saved sp, x0 = frame"),
            insn("mov", "x0", "x1"),
            *load(gprs_but_x0),
            insn("add", "sp", "sp", "x0"),
            insn("sub", "x0", "sp", "x0"),
            insn("sub", "sp", "sp", "x0"),
            *load([(lay.offset("x0"), "x0")], base="x0"),
            *self.eret(),
            EndSymbol(sym.exit),
            *skip_fp,
        ]
        return items

    def syscall_exit(self) -> list[Item]:
        syscall = self.spec.syscall
        if syscall is None:
            return []
        lay = self.layout
        restored = [(lay.offset(r), r) for r in syscall.restored]
        zeroed = [r for r in GPRS if r not in syscall.restored]
        return [
            Align(self.spec.sections.code_align, _FILL),
            Label(self.entry.syscall_exit),
            Comment("back to EL0 after an SVC: declared registers from the frame, the others zeroed"),
            insn("mov", "sp", "x0"),
            *self.restore_fpsimd(),
            *self.restore_sysregs(),
            insn("msr", "sp_el0", "x1"),
            *load(restored),
            *[insn("mov", r, ZR) for r in zeroed],
            *add_imm("add", "sp", "sp", lay.size),
            *self.eret(),
        ]

    def halt(self) -> list[Item]:
        name = self.spec.symbols.halt
        spin = f"{name}_wfi"
        return [
            Align(self.spec.sections.code_align, _FILL),
            Label(name, IrVisibility.GLOBAL, "function"),
            insn("msr", "daifset", DAIF_ALL),
            *[insn("mov", r, ZR) for r in GPRS],
            Label(spin),
            Insn("wfi"),
            branch("b", spin),
            EndSymbol(name),
        ]

    def program(self) -> Program:
        code = [*self.entry_code(), *self.exit_routine(), *self.syscall_exit(), *self.halt()]
        sections = (
            self.table(),
            Section(self.spec.sections.code, SectionKind.CODE, self.spec.sections.code_align, tuple(code)),
        )
        return Program(64, sections, tuple(h.symbol for h in self.spec.handlers))


def _cfi(op: str, *args: str | int) -> Item:
    return Cfi(op, args)


def _cfi_offset(size: int) -> Item:
    return _cfi("def_cfa_offset", size)


def build_program(spec: Aarch64Spec, layout: FrameLayout | None = None) -> Program:
    """The glue of ``spec`` as IR (``layout`` defaults to :func:`compute_layout` of its frame)."""
    return _Generator(spec, layout or compute_layout(spec.frame)).program()
