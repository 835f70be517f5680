"""The ``syscall`` entry and the ``sysretq`` return path (AMD64 SYSCALL/SYSRET, SDM Vol. 2B)."""

from __future__ import annotations

from isrgen.arch.x86.codegen.base import (
    SP,
    insn,
    zero,
)
from isrgen.arch.x86.codegen.registers import SYSRET_REGISTERS
from isrgen.arch.x86.codegen.segment_bases import save_segment_bases
from isrgen.arch.x86.codegen.stubs import StubBuilder
from isrgen.arch.x86.model import Syscall
from isrgen.arch.x86.operands import SymbolMem
from isrgen.codegen.ir import (
    Align,
    EndSymbol,
    Imm,
    Item,
    Label,
    Mem,
    Reg,
    Sym,
    Visibility,
)
from isrgen.model.spec import ReturnModel


class SyscallBuilder(StubBuilder):
    """The ``syscall`` entry and the ``sysretq`` return path (AMD64 SYSCALL/SYSRET, SDM Vol. 2B)."""

    def sysret(self) -> list[Item]:
        """Return from a system call frame with sysretq (rsp = frame)."""
        spec = self.spec
        if spec.syscall is None:
            return []
        rip = self.off("rip")
        items: list[Item] = [
            Label(self.sysret_path),
            # sysretq to a non-canonical RIP faults in ring 0 on Intel: such frames leave
            # through iretq, which faults in ring 3 instead.
            insn("mov", Reg("rcx"), Mem(SP, rip)),
            insn("mov", Reg("r11"), Reg("rcx")),
            insn("shl", Reg("r11"), Imm(16)),
            insn("sar", Reg("r11"), Imm(16)),
            insn("cmp", Reg("r11"), Reg("rcx")),
            insn("jne", Sym(self.iret_path)),
            # sysretq always lands in ring 3 with the STAR selectors: a frame the handler
            # turned into a kernel context (or any other CS) must leave through iretq.
            insn("cmp", Mem(SP, self.off("cs")), Imm(spec.syscall.user_cs)),
            insn("jne", Sym(self.iret_path)),
        ]
        items += self.restore()
        # Registers the syscall ABI does not return must not leak kernel values.
        restored = set(spec.syscall.restored) | set(SYSRET_REGISTERS)
        items += [zero(r) for r in spec.frame.saved_registers if r not in restored]
        base = self.off("rip")
        items += [
            insn("mov", Reg("rcx"), Mem(SP, 0)),
            insn("mov", Reg("r11"), Mem(SP, self.off("rflags") - base)),
            insn("mov", Reg(SP), Mem(SP, self.off("rsp") - base)),
            *([insn("swapgs")] if spec.entry.swapgs else []),
            insn("sysretq"),
        ]
        return items

    @staticmethod
    def stack_slots(sc: Syscall) -> tuple[Mem, Mem]:
        """Where the entry finds the kernel stack top and keeps the user rsp: GS-relative
        per-CPU words (after swapgs), or fixed addresses (a data symbol RIP-relative, or an
        absolute address: a sign-extended disp32, SDM Vol. 2A 2.2.1.6)."""
        if not sc.fixed_stack_slots:
            return Mem(None, sc.kernel_stack_gs, 8, "gs"), Mem(None, sc.user_stack_gs, 8, "gs")
        kernel, user = (
            SymbolMem(None, 0, 8, symbol=slot) if isinstance(slot, str) else Mem(None, slot or 0, 8)
            for slot in (sc.kernel_stack, sc.user_stack)
        )
        return kernel, user

    def syscall_entry(self) -> list[Item]:
        """SYSCALL: switch to the kernel stack and build the same frame as an interrupt."""
        spec = self.spec
        sc = spec.syscall
        if sc is None:
            return []
        items: list[Item] = [Align(16), Label(sc.entry, Visibility.GLOBAL, "function")]
        items += self.endbr()
        kernel_stack, user_stack = self.stack_slots(sc)
        # SYSCALL comes only from ring 3 and pushes nothing: RCX = user RIP,
        # R11 = user RFLAGS, RSP is still the user's (SDM Vol. 2B SYSCALL).
        if spec.entry.swapgs:
            items.append(insn("swapgs"))
        items += [
            insn("mov", user_stack, Reg(SP)),
            insn("mov", Reg(SP), kernel_stack),
            insn("push", Imm(sc.user_ss)),
            insn("push", user_stack),
            insn("push", Reg("r11")),
            insn("push", Imm(sc.user_cs)),
            insn("push", Reg("rcx")),
        ]
        if spec.frame.has_frame_pointer:
            items.append(insn("push", Reg(self.arch.frame_pointer)))
        items += [
            insn("push", Imm(spec.frame.synthetic_error_code)),
            insn("push", Imm(sc.marker)),
        ]
        items += self.save()
        items += save_segment_bases(spec, self.layout)
        items += self.clear(set())
        items.append(insn("cld"))
        items += self.point_frame_pointer()
        items += self.pass_frame()
        items.append(insn("call", Sym(sc.handler)))
        returns = spec.handler.returns
        if returns is ReturnModel.NORETURN:
            items.append(insn("ud2"))
        else:
            items += self.exit_cli()
            if returns is ReturnModel.FRAME:
                items.append(insn("mov", Reg(SP), Reg("rax")))
            elif self.call_adjust():
                items.append(insn("add", Reg(SP), Imm(self.call_adjust())))
            items.append(insn("jmp", Sym(self.resume)))
        items.append(EndSymbol(sc.entry))
        return items
