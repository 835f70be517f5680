"""FS and GS bases saved in the frame (``fs_base`` / ``gs_base`` slots, x86_64).

The save area is a word the common entry pushes as 0 with the other saved slots; once
every register is saved (so rax, rcx, rdx are free) the entry reads the bases into
their slots, and the exit writes them back while the stack pointer is at the frame,
before the registers are restored.

- With ``entry.fsgsbase`` (CR4.FSGSBASE set) the entry uses RDFSBASE/RDGSBASE and the
  exit WRFSBASE/WRGSBASE (SDM Vol. 2C); otherwise RDMSR/WRMSR on IA32_FS_BASE
  (0xC0000100) and the GS MSR below (SDM Vol. 4, table 2-2).
- What ``gs_base`` holds: with ``entry.swapgs`` it is the *user* GS base, the value
  IA32_KERNEL_GS_BASE (0xC0000102) holds once the entry's swapgs is done (SDM Vol. 2B
  SWAPGS exchanges IA32_GS_BASE and IA32_KERNEL_GS_BASE): after an interruption from
  ring 3 that is the interrupted code's base, moved there by the swapgs; after one from
  ring 0 it is the user base the kernel keeps there.  The exit writes it back before its
  own swapgs, which makes it live again on the way to ring 3.  With FSGSBASE the
  inactive base is read and written between two swapgs, as RDGSBASE only sees the
  active one (interrupts are disabled there).  Without swapgs, kernel and user share one
  GS base, IA32_GS_BASE (0xC0000101), and ``gs_base`` is that.
"""

from __future__ import annotations

from isrgen.arch.x86.model import X86Spec
from isrgen.codegen.ir import Imm, Insn, Item, Mem, Reg
from isrgen.model.layout import FieldKind, FrameLayout

SP = "rsp"
MSR_FS_BASE = 0xC0000100
MSR_GS_BASE = 0xC0000101
MSR_KERNEL_GS_BASE = 0xC0000102


def _msr(role: str, swapgs: bool) -> int:
    if role == "fs_base":
        return MSR_FS_BASE
    return MSR_KERNEL_GS_BASE if swapgs else MSR_GS_BASE


def _fields(layout: FrameLayout) -> list[tuple[str, int]]:
    return [(f.role, f.offset) for f in layout.fields if f.kind is FieldKind.SEGMENT_BASE]


def save_segment_bases(spec: X86Spec, layout: FrameLayout) -> list[Item]:
    """Read the FS/GS bases into their frame slots (rsp = frame; clobbers rax, rcx, rdx)."""
    items: list[Item] = []
    swapgs = spec.entry.swapgs
    for role, offset in _fields(layout):
        if spec.entry.fsgsbase:
            inactive = role == "gs_base" and swapgs
            read = Insn("rdfsbase" if role == "fs_base" else "rdgsbase", (Reg("rax"),))
            items += _between_swapgs([read], inactive)
            items.append(Insn("mov", (Mem(SP, offset), Reg("rax"))))
        else:
            items += [
                Insn("mov", (Reg("ecx"), Imm(_msr(role, swapgs)))),
                Insn("rdmsr", ()),  # edx:eax = the MSR
                Insn("mov", (Mem(SP, offset, 4), Reg("eax"))),
                Insn("mov", (Mem(SP, offset + 4, 4), Reg("edx"))),
            ]
    return items


def restore_segment_bases(spec: X86Spec, layout: FrameLayout) -> list[Item]:
    """Write the FS/GS bases back from the frame (rsp = frame; before the registers
    are restored from it: clobbers rax, rcx, rdx)."""
    items: list[Item] = []
    swapgs = spec.entry.swapgs
    for role, offset in _fields(layout):
        if spec.entry.fsgsbase:
            inactive = role == "gs_base" and swapgs
            write = Insn("wrfsbase" if role == "fs_base" else "wrgsbase", (Reg("rax"),))
            items.append(Insn("mov", (Reg("rax"), Mem(SP, offset))))
            items += _between_swapgs([write], inactive)
        else:
            items += [
                Insn("mov", (Reg("ecx"), Imm(_msr(role, swapgs)))),
                Insn("mov", (Reg("eax"), Mem(SP, offset, 4))),
                Insn("mov", (Reg("edx"), Mem(SP, offset + 4, 4))),
                Insn("wrmsr", ()),  # the MSR = edx:eax
            ]
    return items


def _between_swapgs(items: list[Item], inactive: bool) -> list[Item]:
    """The inactive GS base is only reachable by RD/WRGSBASE between two swapgs."""
    return [Insn("swapgs", ()), *items, Insn("swapgs", ())] if inactive else items
