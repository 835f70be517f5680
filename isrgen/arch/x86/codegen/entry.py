"""The common entries: save the frame, switch GS, call the handler, restore."""

from __future__ import annotations

from isrgen.arch.x86.codegen.base import (
    MSR_GS_BASE,
    SP,
    VISIBILITY,
    group_labels,
    insn,
)
from isrgen.arch.x86.codegen.exit import ExitBuilder
from isrgen.arch.x86.codegen.registers import (
    CDECL_FRAME_REGISTER,
    PARANOID_FLAG_REGISTER,
    PARANOID_FLAG_REGISTER32,
    SIMD_FRAME_REGISTER,
)
from isrgen.codegen.ir import (
    Align,
    EndSymbol,
    Imm,
    Item,
    Label,
    Mem,
    Reg,
    Sym,
)
from isrgen.model.spec import (
    EntryGroup,
    KernelFault,
    ReturnModel,
    SimdPolicy,
)


class EntryBuilder(ExitBuilder):
    """The common entries."""

    def entry(self, group: EntryGroup, falls_through: bool = False) -> list[Item]:
        spec, labels = self.spec, group_labels(group)
        vis = VISIBILITY[spec.symbols.visibility.entry]
        items: list[Item] = [Align(16), Label(group.symbol, vis, "function")]
        widen = insn("and", Mem(self.sp, 0, self.word), Imm(0xFF))
        if self.needs_widen(group, error_code=False):
            items += [Label(labels.widen), widen]
        if self.dense and any(not v.error_code for v in group.vectors):
            # The stub's push landed in the error-code slot: copy it down to the vector
            # slot and store the synthetic error code in its place.
            items += [
                Label(labels.noerr),
                insn("push", Mem(self.sp, 0, self.word)),
                insn("mov", Mem(self.sp, self.word, self.word), Imm(spec.frame.synthetic_error_code)),
            ]
        if self.needs_widen(group, error_code=True):
            if self.dense and any(not v.error_code for v in group.vectors):
                items.append(insn("jmp", Sym(labels.body)))
            items += [Label(labels.widen_err), widen]
        items.append(Label(labels.body))
        if spec.entry.swapgs and not group.paranoid:
            items += self.swapgs_if_user(f"{group.symbol}_gs_done", self.rel_stub("cs"), fence=True)
        items += self.save()
        keep: set[str] = set()
        if group.paranoid:
            # NMI/#MC/#DB/#DF may arrive between a ring-3 entry and its swapgs, so CS cannot
            # tell which GS base is live; a kernel GS base is negative (high half).  ebx
            # remembers whether we swapped, for the exit (callee-saved across the handler).
            items += [
                insn("mov", Reg("ecx"), Imm(MSR_GS_BASE)),
                insn("rdmsr"),
                insn("xor", Reg(PARANOID_FLAG_REGISTER32), Reg(PARANOID_FLAG_REGISTER32)),
                insn("test", Reg("edx"), Reg("edx")),
                insn("js", Sym(f"{group.symbol}_gs_done")),
                insn("swapgs"),
                insn("mov", Reg(PARANOID_FLAG_REGISTER32), Imm(1)),
                Label(f"{group.symbol}_gs_done"),
                insn("lfence"),
            ]
            keep.add(PARANOID_FLAG_REGISTER)
        items += self.clear(keep)
        items += self.load_data_segments()
        items.append(insn("cld"))  # SysV: DF clear on function entry
        items += self.point_frame_pointer()
        if group.simd is not SimdPolicy.NONE:
            items += self.simd_save(group)
        else:
            items += self.pass_frame()
        items += self.reenable_interrupts(group)
        items += self.dispatch(group)
        items += self.after_handler(group)
        if falls_through and items[-1] == insn("jmp", Sym(self.resume)):
            items.pop()  # the resume path follows directly; the symbol ends after it
        else:
            items.append(EndSymbol(group.symbol))
        return items

    def reenable_interrupts(self, group: EntryGroup) -> list[Item]:
        """A trap gate under swapgs is delivered through an interrupt gate: set IF again,
        now that the GS base is right, when the interrupted code had it set (what the trap
        gate would have left; Linux's cond_local_irq_enable)."""
        if not group.reenables_interrupts:
            return []
        done = f"{group.symbol}_if_done"
        return [
            insn("test", Mem(self.frame_register(), self.off("rflags"), 4), Imm(0x200)),  # RFLAGS.IF
            insn("jz", Sym(done)),
            insn("sti"),
            Label(done),
        ]

    def load_data_segments(self) -> list[Item]:
        """Load the kernel's selectors into the listed segment registers (i386 kernels
        enter with the interrupted code's selectors); uses the saved accumulator, loaded
        once per distinct selector (a segment register takes no immediate: SDM Vol. 2B MOV)."""
        entry = self.spec.entry
        acc = "ax"
        items: list[Item] = []
        for selector in entry.selectors:
            items.append(insn("mov", Reg(acc), Imm(selector)))
            items += [insn("mov", Reg(s), Reg(acc)) for s in entry.data_segments if entry.selector_of(s) == selector]
        return items

    def simd_save(self, group: EntryGroup) -> list[Item]:
        """Save SIMD state into an aligned area below the frame; r12 keeps the frame."""
        spec = self.spec
        xsave = group.simd is SimdPolicy.XSAVE
        size, align = (spec.simd.area_size, 64) if xsave else (512, 16)
        items: list[Item] = [
            insn("mov", Reg(SIMD_FRAME_REGISTER), Reg(SP)),
            insn("sub", Reg(SP), Imm(size)),
            insn("and", Reg(SP), Imm(-align)),
        ]
        if xsave:
            # XRSTOR faults unless header bytes 8-63 are zero; XSAVE writes only bytes 0-7
            # (SDM Vol. 1 13.4.2, 13.8.1).
            items.append(insn("xor", Reg("eax"), Reg("eax")))
            items += [insn("mov", Mem(SP, 512 + off), Reg("rax")) for off in range(8, 64, 8)]
            items += self.xsave_mask()
            items.append(insn("xsave64", Mem(SP, 0, 0)))
        else:
            items.append(insn("fxsave64", Mem(SP, 0, 0)))
        items += [
            insn("mov", Mem(SIMD_FRAME_REGISTER, self.off("simd_area")), Reg(SP)),
            insn("mov", Reg("rdi"), Reg(SIMD_FRAME_REGISTER)),
            *self.extra_args(SIMD_FRAME_REGISTER),
        ]
        return items

    def dispatch(self, group: EntryGroup) -> list[Item]:
        """Call the handler; with a kernel handler, ring-0 interruptions call that instead."""
        # the exit's cli comes right after the call (see exit_cli)
        back = self.exit_cli() if self.spec.handler.returns is not ReturnModel.NORETURN else []
        if group.kernel_handler is None:
            return [insn("call", Sym(group.handler)), *back]
        kernel = f"{group.symbol}_kernel"
        done = f"{group.symbol}_handled"
        items: list[Item] = [
            # The CPU-pushed CS says which privilege level was interrupted; read from memory,
            # so no register is clobbered before the check.
            insn("test", Mem(self.frame_register(), self.off("cs"), 1), Imm(3)),
            insn("jz", Sym(kernel)),
            insn("call", Sym(group.handler)),
            *back,
            insn("jmp", Sym(done)),
            Label(kernel),
            insn("call", Sym(group.kernel_handler)),
        ]
        if self.spec.entry.kernel_fault is KernelFault.HALT:
            items.append(insn("jmp", Sym(self.halt_body)))
        else:
            items += back
        items.append(Label(done))
        return items

    def after_handler(self, group: EntryGroup) -> list[Item]:
        """Back from the handler: point rsp at the frame to resume and take the exit path."""
        returns = self.spec.handler.returns
        if returns is ReturnModel.NORETURN:
            return [insn("ud2")]
        items: list[Item] = []
        if returns is ReturnModel.FRAME:
            items.append(insn("mov", Reg(self.sp), Reg(self.ret)))
        elif group.simd is not SimdPolicy.NONE:
            items.append(insn("mov", Reg(SP), Reg(SIMD_FRAME_REGISTER)))
        elif self.spec.handler.convention == "cdecl":
            items.append(insn("mov", Reg(self.sp), Reg(CDECL_FRAME_REGISTER)))
        elif self.call_adjust():
            items.append(insn("add", Reg(SP), Imm(self.call_adjust())))
        if group.paranoid:
            items += self.simd_restore(f"{group.symbol}_simd_done")
            items += [
                insn("test", Reg(PARANOID_FLAG_REGISTER32), Reg(PARANOID_FLAG_REGISTER32)),
                insn("jz", Sym(f"{group.symbol}_no_swapgs")),
                insn("swapgs"),
                Label(f"{group.symbol}_no_swapgs"),
            ]
            items += self.restore()
            items.append(insn(self.arch.interrupt_return))
        else:
            items.append(insn("jmp", Sym(self.resume)))
        return items
