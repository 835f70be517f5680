"""The SIMD save area inside the frame (``{simd_state: N}`` first in the layout).

XSAVE needs a 64-byte aligned area (SDM Vol. 1 13.4), FXSAVE a 16-byte aligned one,
but the CPU aligns its frame to 16 only (SDM Vol. 3A 6.14.2).  After pushing the
registers as usual (the area is reserved by a ``sub``), the entry moves everything
above the area down to the next 64-byte boundary: the frame base, and with it the
area at offset 0, is then 64-byte aligned, and the frame keeps its fixed layout (the
moved copy of the CPU frame is what ``iretq`` later pops; it restores the interrupted
RSP itself).  ``frame_shift`` records how far the frame moved (0 to 56 bytes): the
CPU's frame starts ``frame_shift`` bytes above the moved copy.
"""

from __future__ import annotations

from isrgen.arch.x86.model import SimdPolicy, X86Spec
from isrgen.codegen.ir import Imm, Insn, Item, Mem, Reg
from isrgen.model.layout import FieldKind, FrameLayout

SP = "rsp"
ALIGN = 64


def _area(layout: FrameLayout) -> tuple[int, int]:
    area = next(f for f in layout.fields if f.kind is FieldKind.SIMD_STATE)
    return area.offset, area.size


def realign_frame(layout: FrameLayout) -> list[Item]:
    """rsp = the frame just pushed: move it down to a 64-byte boundary (rax, rcx, rdx,
    rsi and rdi are saved in it by now and free to use)."""
    _, size = _area(layout)
    words = (layout.size - size) // 8
    # A forward copy to a lower address never overwrites a word before reading it.
    return [
        Insn("mov", (Reg("rdx"), Reg(SP))),
        Insn("and", (Reg("rdx"), Imm(-ALIGN))),
        Insn("mov", (Reg("rax"), Reg(SP))),
        Insn("sub", (Reg("rax"), Reg("rdx"))),
        Insn("lea", (Reg("rsi"), Mem(SP, size, 0))),
        Insn("lea", (Reg("rdi"), Mem("rdx", size, 0))),
        Insn("mov", (Reg("ecx"), Imm(words))),
        Insn("cld", ()),
        Insn("rep movsq", ()),
        Insn("mov", (Reg(SP), Reg("rdx"))),
        Insn("mov", (Mem(SP, layout.offset("frame_shift")), Reg("rax"))),
    ]


def _mask(spec: X86Spec) -> list[Item]:
    mask = spec.simd.xsave_mask
    return [Insn("mov", (Reg("eax"), Imm(mask & 0xFFFFFFFF))), Insn("mov", (Reg("edx"), Imm(mask >> 32)))]


def save_inline(spec: X86Spec, layout: FrameLayout, policy: SimdPolicy) -> list[Item]:
    """Save SIMD state into the frame's area (rsp = the aligned frame)."""
    offset, _ = _area(layout)
    if policy is SimdPolicy.FXSAVE:
        return [Insn("fxsave64", (Mem(SP, offset, 0),))]
    # XRSTOR faults unless header bytes 8-63 are zero and XSTATE_BV (bytes 0-7) has no bit
    # outside XCR0; XSAVE writes only the XSTATE_BV bits of the components it saves and
    # leaves the others as memory had them (SDM Vol. 1 13.4.2, 13.7, 13.8.1): zero it all.
    items: list[Item] = [Insn("xor", (Reg("eax"), Reg("eax")))]
    items += [Insn("mov", (Mem(SP, offset + 512 + off), Reg("rax"))) for off in range(0, 64, 8)]
    return [*items, *_mask(spec), Insn("xsave64", (Mem(SP, offset, 0),))]


def restore_inline(spec: X86Spec, layout: FrameLayout, policy: SimdPolicy) -> list[Item]:
    """Restore SIMD state from the frame's area (rsp = the frame; a frame the exit routine
    starts must hold a valid area: all zeros is the initial state)."""
    offset, _ = _area(layout)
    if policy is SimdPolicy.FXSAVE:
        return [Insn("fxrstor64", (Mem(SP, offset, 0),))]
    return [*_mask(spec), Insn("xrstor64", (Mem(SP, offset, 0),))]
