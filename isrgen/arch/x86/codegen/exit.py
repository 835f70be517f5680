"""The resume path (restore the frame, ``iret``) and the exit routine that resumes a given frame."""

from __future__ import annotations

from isrgen.arch.x86.codegen.base import (
    SP,
    VISIBILITY,
    insn,
)
from isrgen.arch.x86.codegen.segment_bases import restore_segment_bases
from isrgen.arch.x86.codegen.syscall import SyscallBuilder
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
    ExitFrame,
)

#: SysV AMD64 integer argument registers, in order (SysV ABI 3.2.3)
_SYSV_ARGS = ("rdi", "rsi")


class ExitBuilder(SyscallBuilder):
    """The resume path (restore the frame, ``iret``) and the exit routine that resumes a given frame."""

    def resume_path(self, owner: str) -> list[Item]:
        """The shared path that resumes the frame at rsp: SIMD state, then sysretq or iretq.

        ``owner`` is the function symbol the path is part of (it ends that symbol)."""
        spec = self.spec
        items: list[Item] = [Label(self.resume)]
        items += self.simd_restore(f"{spec.symbols.exit}_simd_done")
        items += restore_segment_bases(spec, self.layout)
        if spec.syscall is not None:
            items += [
                insn("cmp", Mem(SP, self.off("vector")), Imm(spec.syscall.marker)),
                insn("je", Sym(self.sysret_path)),
            ]
        items.append(Label(self.iret_path))
        items += self.restore()
        if spec.entry.swapgs:
            # rsp now points at the CPU-pushed RIP; CS is the next word
            items += self.swapgs_if_user(f"{spec.symbols.exit}_gs_done", self.off("cs") - self.off("rip"), False)
        items.append(insn(spec.arch.interrupt_return))
        items += self.sysret()
        items.append(EndSymbol(owner))
        return items

    def exit_routine(self) -> list[Item]:
        """The exit routine: resume the frame it is given (a new thread's, too; with a
        page-table root in the position ``entry.exit_args`` gives it), or the frame the
        stack pointer points at (``entry.exit_frame: stack``)."""
        spec = self.spec
        vis = VISIBILITY[spec.symbols.visibility.exit]
        items: list[Item] = [Align(16), Label(spec.symbols.exit, vis, "function")]
        items += self.endbr()
        items += self.exit_cli()
        if spec.entry.exit_frame is ExitFrame.STACK:
            return [*items, insn("jmp", Sym(self.resume)), EndSymbol(spec.symbols.exit)]
        args = spec.entry.exit_args
        cdecl = spec.handler.convention == "cdecl"
        if spec.entry.exit_loads_cr3:
            position = args.index("cr3")
            root = _SYSV_ARGS[position]
            if cdecl:  # a stack argument, above the return address
                root = "eax"
                items.append(insn("mov", Reg(root), Mem(self.sp, (position + 1) * self.word, self.word)))
            items += [
                insn("test", Reg(root), Reg(root)),
                insn("jz", Sym(f"{spec.symbols.exit}_same_cr3")),
                insn("mov", Reg("cr3"), Reg(root)),
                Label(f"{spec.symbols.exit}_same_cr3"),
            ]
        position = args.index("frame")
        if cdecl:
            items.append(insn("mov", Reg(self.sp), Mem(self.sp, (position + 1) * self.word, self.word)))
        else:
            items.append(insn("mov", Reg(SP), Reg(_SYSV_ARGS[position])))
        items += [insn("jmp", Sym(self.resume)), EndSymbol(spec.symbols.exit)]
        return items
