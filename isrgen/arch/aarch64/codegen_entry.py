"""The per-slot entry code: stack selection, the save into the frame, the call, the way out.

Each of the 16 slots gets its own entry: the slot fixes the exception level it
came from and which stack pointer was live (Arm ARM D1.10.2), so no entry tests
either at run time.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...codegen.ir import Cfi, Comment, Insn, Item, Label, Mem, Reg
from .emit import add_imm, branch, insn, load, mov_imm, store
from .facts import (
    DAIF_ALL,
    DAIF_BITS,
    DWARF_ELR,
    ESR_EC_SHIFT,
    GPRS,
    QREGS,
    ZR,
    VectorSlot,
    dwarf_number,
)
from .layout import FrameLayout
from .options import Aarch64Spec, Arg, Handler, Returns, Route

#: registers the save uses as scratch once every GPR is in the frame
_SCRATCH = tuple(f"x{i}" for i in range(16))


class EntryBuilder:
    """Builds the code of one slot: ``prologue`` (stack), ``save`` and ``body`` (call and exit)."""

    def __init__(self, spec: Aarch64Spec, layout: FrameLayout):
        self.spec = spec
        self.layout = layout

    # -- stack ------------------------------------------------------------------------
    def prologue(self, slot: VectorSlot) -> list[Item]:
        """Select the stack and make room for the frame (sp = frame afterwards)."""
        items: list[Item] = []
        source = self.spec.stack.source
        if slot.from_lower_el and source != "sp_el1":
            # No register is free yet: park x0 in sp (its EL0-entry value is not needed), read
            # the stack top into x0, then swap x0 and sp arithmetically as Linux's kernel_ventry
            # does: sp = x0 + sp; x0 = sp - x0; sp = sp - x0.
            items += [
                Comment(f"stack top from {source}; x0 and sp swapped without memory"),
                insn("mov", "sp", "x0"),
                insn("mrs", "x0", source),
                insn("add", "sp", "sp", "x0"),
                insn("sub", "x0", "sp", "x0"),
                insn("sub", "sp", "sp", "x0"),
            ]
        items += add_imm("sub", "sp", "sp", self.layout.size)
        return items

    # -- save -------------------------------------------------------------------------
    def special_value(self, role: str, slot: VectorSlot, reg: str) -> list[Item]:
        """Put the value of frame field ``role`` into ``reg`` (every GPR is saved already)."""
        if role == "sp":
            if slot.interrupted_sp_is_sp_el1:
                return add_imm("add", reg, "sp", self.layout.size)
            return [insn("mrs", reg, "sp_el0")]
        if role in ("elr", "spsr", "esr", "far"):
            return [insn("mrs", reg, f"{role}_el1")]
        if role == "kind":
            return [mov_imm(reg, slot.number)]
        raise KeyError(role)

    def save(self, slot: VectorSlot, fpsimd: bool = True, cfi: bool = False) -> list[Item]:
        """Store every frame field (sp points at the frame); the FP/SIMD area only if ``fpsimd``;
        with ``cfi``, each register's unwind rule right where it has been stored (the system
        register reads that follow reuse x0-x5)."""
        return self.save_core(slot, cfi) + (self.save_fpsimd() if fpsimd else [])

    def save_core(self, slot: VectorSlot, cfi: bool = False) -> list[Item]:
        """Store the GPRs and the system-register, kind and pad fields (what an inline slot holds)."""
        gprs = [(f.offset, f.role) for f in self.layout.fields if f.role in GPRS]
        items: list[Item] = [Comment(f"save the frame: slot {slot.number} ({slot.name})"), *store(gprs)]
        if cfi:
            items += [Cfi("def_cfa", (31, self.layout.size)), *self.cfi_rules(GPRS)]
        values: list[tuple[int, str]] = []
        scratch = iter(_SCRATCH)
        for f in self.layout.fields:
            if f.role == "pad":
                values += [(f.offset + i, ZR) for i in range(0, f.size, 8)]
            elif f.role in ("sp", "elr", "spsr", "esr", "far", "kind"):  # "record": written by body()
                reg = next(scratch)
                items += self.special_value(f.role, slot, reg)
                values.append((f.offset, reg))
        items += store(values)
        if cfi:
            items += self.cfi_rules(("elr", "sp"))
        return items

    def save_fpsimd(self) -> list[Item]:
        """Store q0-q31, FPCR and FPSR, if the frame has them (x0, x1 are free: already saved)."""
        if not self.layout.has("q0"):
            return []
        return [
            *store([(self.layout.offset(q), q) for q in QREGS]),
            insn("mrs", "x0", "fpcr"),
            insn("mrs", "x1", "fpsr"),
            *store([(self.layout.offset("fpcr"), "x0"), (self.layout.offset("fpsr"), "x1")]),
        ]

    # -- call -------------------------------------------------------------------------
    def frame_in(self, reg: str) -> list[Item]:
        """``reg`` = the frame's address (sp, or above the frame record)."""
        return add_imm("add", reg, "sp", self.below) or [insn("mov", reg, "sp")]

    @property
    def below(self) -> int:
        """Bytes between sp and the frame at the call: a frame record kept below the frame."""
        return self.layout.record_below if self.spec.hardening.frame_record else 0

    def args(self, handler: Handler, slot: VectorSlot) -> list[Item]:
        items: list[Item] = []
        for i, arg in enumerate(handler.args):
            reg = f"x{i}"
            if arg is Arg.FRAME:
                items += self.frame_in(reg)
            elif arg is Arg.KIND:
                items.append(mov_imm(reg, slot.number))
            else:
                items.append(insn("mrs", reg, "esr_el1"))
        return items

    def call(self, handler: Handler, slot: VectorSlot) -> list[Item]:
        """Arguments, DAIF unmask, ``bl``, DAIF mask."""
        mask = sum(DAIF_BITS[b] for b in self.spec.hardening.unmask_daif)
        items = self.args(handler, slot)
        if mask:
            items.append(insn("msr", "daifclr", mask))
        items.append(branch("bl", handler.symbol))
        if mask:
            items.append(insn("msr", "daifset", DAIF_ALL))
        return items

    @property
    def exit_without_fpsimd(self) -> str:
        """Internal entry of the exit routine that leaves the FP/SIMD registers alone."""
        return f"{self.spec.symbols.prefix}return_no_fpsimd"

    def after(self, handler: Handler, fpsimd: bool = True) -> list[Item]:
        """Where control goes when the handler returns."""
        if handler.returns is Returns.VOID:
            exit_ = self.spec.symbols.exit if fpsimd or not self.layout.has("q0") else self.exit_without_fpsimd
            return [*self.frame_in("x0"), branch("b", exit_)]
        if handler.returns is Returns.FRAME:
            return [branch("b", self.spec.symbols.exit)]
        return [Comment("the handler must not return"), branch("b", self.spec.symbols.halt)]

    def body(self, route: Route) -> list[Item]:
        """Everything after the save: sp_el0, frame record, hardening, dispatch, call, exit."""
        slot = route.slot
        spec = self.spec
        items: list[Item] = []
        if slot.from_lower_el and spec.stack.kernel_sp_el0:
            items += [insn("mrs", "x0", spec.stack.kernel_sp_el0), insn("msr", "sp_el0", "x0")]
        if spec.hardening.frame_record and self.layout.has("record"):
            # AAPCS64 6.4.6: a frame record is {previous x29, return address}; x29 points at it.
            rec = self.layout.offset("record")
            items += [
                Comment("frame record (x29, elr) in the frame so frame-pointer unwinders cross the exception"),
                insn("mrs", "x0", "elr_el1"),
                *store([(rec, "x29"), (rec + 8, "x0")]),
                *add_imm("add", "x29", "sp", rec),
            ]
        elif spec.hardening.frame_record:
            items += [
                Comment("frame record {x29, elr} so frame-pointer unwinders cross the exception"),
                insn("sub", "sp", "sp", 16),
                *([Cfi("def_cfa_offset", (self.layout.size + 16,))] if spec.hardening.cfi else []),
                insn("mrs", "x0", "elr_el1"),
                mem_pair("stp", "x29", "x0", "sp", 0),
                insn("mov", "x29", "sp"),
            ]
        if slot.from_lower_el and spec.hardening.clear_registers:
            keep = {"x29"} if spec.hardening.frame_record else set()
            items.append(Comment("no user-controlled value stays in a register"))
            items += [insn("mov", r, ZR) for r in GPRS if r not in keep]
        syscall = spec.syscall
        if syscall is not None and syscall.slot == slot:
            items += [
                insn("mrs", "x0", "esr_el1"),
                insn("lsr", "x0", "x0", ESR_EC_SHIFT),
                insn("cmp", "x0", syscall.ec),
                branch("b.eq", self.svc_label(slot)),
            ]
        items += self.call(route.handler, slot)
        items += self.after(route.handler, route.fpsimd)
        if syscall is not None and syscall.slot == slot:
            items.append(_label(self.svc_label(slot)))
            items += self.call(syscall.handler, slot)
            items += [*self.frame_in("x0"), branch("b", self.syscall_exit)]
        return items

    @staticmethod
    def svc_label(slot: VectorSlot) -> str:
        return f"svc_{slot.name}"

    @property
    def syscall_exit(self) -> str:
        """The internal label of the system-call exit path."""
        return f"{self.spec.symbols.prefix}syscall_exit"

    # -- CFI --------------------------------------------------------------------------
    def cfi_rules(self, roles: Iterable[str]) -> list[Item]:
        """The frame slots of ``roles`` as ``.cfi_offset`` rules (CFA = sp + frame size)."""
        wanted = set(roles)
        size = self.layout.size
        return [
            Cfi("offset", (dwarf_number(f.role), f.offset - size))
            for f in self.layout.fields
            if not f.copy and f.role in wanted
        ]

    def cfi_saved(self) -> list[Item]:
        """CFA = sp + frame size; every GPR, the interrupted sp and ELR (the return column) at its slot."""
        return [Cfi("def_cfa", (31, self.layout.size)), *self.cfi_rules((*GPRS, "elr", "sp"))]

    def cfi_start(self, state: str) -> list[Item]:
        """Directives at an entry's first instruction: the frame is ``fresh`` (sp not moved yet),
        has ``room`` (sp lowered by the frame size) or is ``saved`` (the slot saved it)."""
        head: list[Item] = [Cfi("startproc"), Cfi("signal_frame"), Cfi("return_column", (DWARF_ELR,))]
        if state == "saved":
            return head + self.cfi_saved()
        # until ELR_EL1 is stored, the interrupted code's resume address is ELR_EL1 itself
        cfa = self.layout.size if state == "room" else 0
        return head + [Cfi("def_cfa", (31, cfa)), Cfi("same_value", (DWARF_ELR,))]

    def reload_gprs(self) -> list[Item]:
        """Load every GPR back from the frame (sp = frame)."""
        return load([(f.offset, f.role) for f in self.layout.fields if f.role in GPRS and not f.copy])


def mem_pair(op: str, first: str, second: str, base: str, disp: int) -> Item:
    """``stp/ldp first, second, [base, #disp]``."""
    return Insn(op, (Reg(first), Reg(second), Mem(base, disp)))


def _label(name: str) -> Item:
    return Label(name)
