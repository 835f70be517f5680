"""The common entries: save the frame, switch GS, call the handler, restore."""

from __future__ import annotations

from isrgen.arch.x86.codegen.base import (
    SP,
    VISIBILITY,
    group_labels,
    insn,
)
from isrgen.arch.x86.codegen.inline_simd import realign_frame, save_inline
from isrgen.arch.x86.codegen.irq_stack import IrqStackBuilder
from isrgen.arch.x86.codegen.registers import (
    CDECL_FRAME_REGISTER,
    PARANOID_FLAG_REGISTER,
    SIMD_FRAME_REGISTER,
)
from isrgen.arch.x86.codegen.segment_bases import restore_segment_bases, save_segment_bases
from isrgen.arch.x86.model import SimdPolicy, X86EntryGroup
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
from isrgen.model.spec import KernelFault, ReturnModel


class EntryBuilder(IrqStackBuilder):
    """The common entries."""

    def entry(self, group: X86EntryGroup, falls_through: bool = False) -> list[Item]:
        spec, labels = self.spec, group_labels(group)
        vis = VISIBILITY[spec.symbols.visibility.entry]
        items: list[Item] = [Align(16), Label(group.symbol, vis, "function")]
        items += self.dense_fixups(group)
        items.append(Label(labels.body))
        if spec.entry.swapgs and not group.paranoid:
            items += self.swapgs_if_user(f"{group.symbol}_gs_done", self.rel_stub("cs"), fence=True)
        items += self.save()
        if spec.frame.simd_inline:
            items += realign_frame(self.layout)
        keep: set[str] = set()
        if group.paranoid:
            items += self.paranoid_entry(group)
            keep.add(PARANOID_FLAG_REGISTER)
        items += save_segment_bases(spec, self.layout)
        items += self.clear(keep)
        items += self.load_data_segments()
        items.append(insn("cld"))  # SysV: DF clear on function entry
        items += self.point_frame_pointer()
        if group.simd is not SimdPolicy.NONE and spec.frame.simd_inline:
            items += save_inline(spec, self.layout, group.simd)
            items += self.pass_frame()
        elif group.simd is not SimdPolicy.NONE:
            # the SIMD area stays below the frame on the interrupted stack; r12 keeps the frame
            items += self.simd_save(group)
            items += self.enter_irq_stack() if group.irq_stack else []
        elif group.irq_stack:
            items += [insn("mov", Reg("rdi"), Reg(SP)), *self.extra_args("rdi"), *self.enter_irq_stack()]
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

    def dense_fixups(self, group: X86EntryGroup) -> list[Item]:
        """What a dense stub (``push imm8; jmp``) leaves to the entry: widening a vector
        >= 128, the synthetic error code, and the frame-pointer slot, so that every
        path reaches the body with [vector] error_code [frame_pointer] below the CPU frame."""
        if not self.dense:
            return []
        labels, w, sp = group_labels(group), self.word, self.sp
        fp = self.spec.frame.has_frame_pointer
        widen = insn("and", Mem(sp, 0, w), Imm(0xFF))
        items: list[Item] = []
        if self.needs_widen(group, error_code=False):
            items += [Label(labels.widen), widen]
        noerr = any(not v.error_code for v in group.vectors)
        fp_err = fp and any(v.error_code for v in group.vectors)
        if noerr:
            # The stub's push landed in the error-code slot (or, with a frame-pointer
            # slot, in that slot): copy it down to the vector slot and fill the slots above.
            items += [Label(labels.noerr), insn("push", Mem(sp, 0, w))]
            if fp:
                items += [insn("push", Mem(sp, 0, w)), insn("mov", Mem(sp, 2 * w, w), Reg(self.arch.frame_pointer))]
            items.append(insn("mov", Mem(sp, w, w), Imm(self.spec.frame.synthetic_error_code)))
            if self.needs_widen(group, error_code=True) or fp_err:
                items.append(insn("jmp", Sym(labels.body)))
        if self.needs_widen(group, error_code=True):
            items += [Label(labels.widen_err), widen]
        if fp_err:
            items += self.frame_pointer_over_error_code(labels.err)
        return items

    def frame_pointer_over_error_code(self, label: str) -> list[Item]:
        """Dense stubs: the CPU's error code sits right below its frame, where the
        frame-pointer slot goes, and the vector below it.  Move both down a word and
        store the interrupted frame pointer in the error code's place; the frame
        pointer register itself is the only scratch (pushed and popped around it)."""
        fp, w, sp = self.arch.frame_pointer, self.word, self.sp
        return [
            Label(label),
            insn("push", Mem(sp, 0, w)),  # the vector, a word lower
            insn("push", Reg(fp)),
            insn("mov", Reg(fp), Mem(sp, 3 * w, w)),  # the CPU's error code
            insn("mov", Mem(sp, 2 * w, w), Reg(fp)),
            insn("pop", Reg(fp)),
            insn("mov", Mem(sp, 2 * w, w), Reg(fp)),  # the interrupted frame pointer
        ]

    def reenable_interrupts(self, group: X86EntryGroup) -> list[Item]:
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

    def simd_save(self, group: X86EntryGroup) -> list[Item]:
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
            # XRSTOR faults unless header bytes 8-63 are zero and XSTATE_BV (bytes 0-7) has
            # no bit outside XCR0; XSAVE writes only the XSTATE_BV bits of the components it
            # saves (SDM Vol. 1 13.4.2, 13.7, 13.8.1): stale stack bits must not survive.
            items.append(insn("xor", Reg("eax"), Reg("eax")))
            items += [insn("mov", Mem(SP, 512 + off), Reg("rax")) for off in range(0, 64, 8)]
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

    def dispatch(self, group: X86EntryGroup) -> list[Item]:
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

    def after_handler(self, group: X86EntryGroup) -> list[Item]:
        """Back from the handler: point rsp at the frame to resume and take the exit path."""
        returns = self.spec.handler.returns
        if returns is ReturnModel.NORETURN:
            return [insn("ud2")]
        items: list[Item] = self.leave_irq_stack() if group.irq_stack else []
        if returns is ReturnModel.FRAME:
            items.append(insn("mov", Reg(self.sp), Reg(self.ret)))
        elif group.simd is not SimdPolicy.NONE and not self.spec.frame.simd_inline:
            items.append(insn("mov", Reg(SP), Reg(SIMD_FRAME_REGISTER)))
        elif self.spec.handler.convention == "cdecl":
            items.append(insn("mov", Reg(self.sp), Reg(CDECL_FRAME_REGISTER)))
        elif self.call_adjust() and not group.irq_stack:
            items.append(insn("add", Reg(SP), Imm(self.call_adjust())))
        if group.paranoid:
            items += self.simd_restore(f"{group.symbol}_simd_done")
            items += restore_segment_bases(self.spec, self.layout)
            items += self.paranoid_exit(group)
            items += self.restore()
            items.append(insn(self.arch.interrupt_return))
        else:
            items.append(insn("jmp", Sym(self.resume)))
        return items
