"""What every part of the x86 instruction selection shares: offsets, the save and
restore sequences, and the builder state.

Instruction selection is split by concern (``stubs``, ``entry``, ``exit``,
``syscall``, ``halt``, ``tables``, put together by ``program``); every decision
about what the glue contains is made there, once, for all assembly dialects.

Stack picture while the frame is built (high addresses first)::

    ss rsp rflags cs rip      pushed by the CPU (SDM Vol. 3A 6.14.2)
    error_code                by the CPU, or synthetic (stub or entry)
    vector                    by the stub
    saved slots ...           by the common entry, in layout order
    [call alignment / SIMD area]
"""

from __future__ import annotations

import attrs

from isrgen.arch.x86.codegen.inline_simd import restore_inline
from isrgen.arch.x86.codegen.registers import CDECL_FRAME_REGISTER
from isrgen.arch.x86.model import SimdPolicy, X86EntryGroup, X86Spec
from isrgen.codegen.ir import (
    Imm,
    Insn,
    Item,
    Label,
    Mem,
    Operand,
    Reg,
    Sym,
    Visibility,
)
from isrgen.model.layout import Field, FieldKind, FrameLayout
from isrgen.model.spec import StubStyle, SymbolVisibility

VISIBILITY = {SymbolVisibility.GLOBAL: Visibility.GLOBAL, SymbolVisibility.LOCAL: Visibility.LOCAL}

SP = "rsp"
MSR_GS_BASE = 0xC0000101
#: Dense stubs: push imm8 (2) + jmp rel32 (5) fit 8 bytes; ENDBR64 adds 4 (Linux uses the same strides).
DENSE_STRIDE = 8
DENSE_STRIDE_IBT = 16

_REG32 = {
    "rax": "eax", "rbx": "ebx", "rcx": "ecx", "rdx": "edx", "rsi": "esi", "rdi": "edi", "rbp": "ebp",
    **{f"r{i}": f"r{i}d" for i in range(8, 16)},
}  # fmt: skip


def insn(op: str, *operands: Operand) -> Insn:
    return Insn(op, operands)


def zero(reg: str) -> Insn:
    # A 32-bit xor zero-extends into the full register and is the shortest encoding.
    r32 = _REG32.get(reg, reg)
    return insn("xor", Reg(r32), Reg(r32))


@attrs.frozen
class GroupLabels:
    """Internal labels of one entry group."""

    noerr: str
    widen: str
    widen_err: str
    body: str
    #: dense stubs with a frame-pointer slot: where a CPU error code is moved down a word
    err: str = ""


def group_labels(group: X86EntryGroup) -> GroupLabels:
    """Where stubs jump into a group's entry (internal labels: no relocations in stubs)."""
    return GroupLabels(
        f"{group.symbol}_noerr",
        f"{group.symbol}_widen",
        f"{group.symbol}_widen_err",
        f"{group.symbol}_body",
        f"{group.symbol}_err",
    )


def stub_stride(spec: X86Spec) -> int | None:
    """The fixed distance between stubs (dense style), or None when stubs are only aligned."""
    if spec.stub_style is StubStyle.DENSE:
        return DENSE_STRIDE_IBT if spec.entry.endbr64 else DENSE_STRIDE
    return None


#: the slots the stub writes (with the CPU's error code), directly below the CPU frame
_STUB_KINDS = (FieldKind.VECTOR, FieldKind.ERROR_CODE, FieldKind.FRAME_POINTER)


class BuilderBase:
    """The builder's state and the sequences several parts of the glue emit."""

    def __init__(self, spec: X86Spec, layout: FrameLayout):
        self.spec = spec
        self.layout = layout
        self.groups = spec.entry_groups
        self.dense = spec.stub_style is StubStyle.DENSE
        exit_ = spec.symbols.exit
        self.resume = f"{exit_}_resume"
        self.iret_path = f"{exit_}_iret"
        self.sysret_path = f"{exit_}_sysret"
        self.halt_body = f"{spec.entry.halt}_body"
        self.simd_kind = next((g.simd for g in self.groups if g.simd is not SimdPolicy.NONE), SimdPolicy.NONE)
        self.arch = spec.arch
        self.sp = spec.arch.stack_pointer
        self.word = spec.arch.word_size
        self.ret = spec.arch.return_register

    def off(self, name: str) -> int:
        """Offset of a field from the frame start (rsp once everything is saved)."""
        return self.layout.offset(name)

    def rel_stub(self, name: str) -> int:
        """Offset of a field from the lowest slot the stub pushed (rsp when only the
        stub part is on the stack): the vector slot, or the error-code slot without one."""
        base = min(f.offset for f in self.layout.fields if f.kind in (FieldKind.VECTOR, FieldKind.ERROR_CODE))
        return self.layout.offset(name) - base

    @property
    def stub_part(self) -> int:
        """Bytes the stub (and the CPU's error code) put below the CPU frame."""
        return sum(f.size for f in self.layout.fields if f.kind in _STUB_KINDS)

    @property
    def saved(self) -> tuple[Field, ...]:
        return self.layout.saved_below_stub

    def endbr(self) -> list[Item]:
        return [insn("endbr64" if self.word == 8 else "endbr32")] if self.spec.entry.endbr64 else []

    def save(self) -> list[Item]:
        """Push the saved slots from the highest down; pads become one ``sub``."""
        items: list[Item] = []
        pad = 0
        for f in reversed(self.saved):
            if f.block == "pushal":
                if f is self.pushal_top():
                    if pad:
                        items.append(insn("sub", Reg(self.sp), Imm(pad)))
                        pad = 0
                    items.append(insn("pushad"))
                continue
            if f.kind in (FieldKind.PAD, FieldKind.SIMD_STATE):
                pad += f.size
                continue
            if pad:
                items.append(insn("sub", Reg(self.sp), Imm(pad)))
                pad = 0
            if f.kind in (FieldKind.SIMD_AREA, FieldKind.SEGMENT_BASE, FieldKind.FRAME_SHIFT):
                # no SIMD area until an entry saves one; a segment base is read once the
                # registers rdmsr needs are saved (isrgen.arch.x86.codegen.segment_bases)
                items.append(insn("push", Imm(0)))
            else:
                items.append(insn("push", Reg(f.role)))
        if pad:
            items.append(insn("sub", Reg(self.sp), Imm(pad)))
        return items

    def pushal_top(self) -> Field | None:
        """The highest field of the pushad block (where the save sequence meets it)."""
        block = [f for f in self.saved if f.block == "pushal"]
        return block[-1] if block else None

    def restore(self) -> list[Item]:
        """Pop the saved slots from the lowest up; pads and the SIMD pointer are skipped."""
        items: list[Item] = []
        skip = 0
        block = [f for f in self.saved if f.block == "pushal"]
        for f in self.saved:
            if f.block == "pushal":
                if f is block[0]:
                    if skip:
                        items.append(insn("add", Reg(self.sp), Imm(skip)))
                        skip = 0
                    items.append(insn("popad"))
                continue
            if f.kind not in (FieldKind.GPR, FieldKind.SEGMENT):
                skip += f.size
                continue
            if skip:
                items.append(insn("add", Reg(self.sp), Imm(skip)))
                skip = 0
            items.append(insn("pop", Reg(f.role)))
            if f.role == "ds":
                # entry.segments_from_ds: no scratch register is free here, so copy through the stack
                for seg in self.spec.entry.restored_from_ds({s.role for s in self.saved}):
                    items += [insn("push", Reg("ds")), insn("pop", Reg(seg))]
        skip += self.stub_part
        items.append(insn("add", Reg(self.sp), Imm(skip)))
        return items

    def swapgs_if_user(self, label: str, cs_rel: int, fence: bool) -> list[Item]:
        """swapgs exactly when the saved CS says ring 3; lfence on both paths on entry
        so the swapgs decision cannot be bypassed speculatively (CVE-2019-1125)."""
        items: list[Item] = [
            insn("test", Mem(self.sp, cs_rel, 1), Imm(3)),
            insn("jz", Sym(label)),
            insn("swapgs"),
            Label(label),
        ]
        if fence:
            items.append(insn("lfence"))
        return items

    def clear(self, keep: set[str]) -> list[Item]:
        if not self.spec.entry.clear_registers:
            return []
        return [zero(r) for r in self.spec.frame.saved_registers if r not in keep]

    def call_adjust(self) -> int:
        return self.layout.call_adjust

    def point_frame_pointer(self) -> list[Item]:
        """rbp/ebp = the address of the frame-pointer slot (stack pointer at the frame): the
        slot holds the interrupted rbp/ebp and the interrupted rip/eip is the next word,
        exactly what a call frame holds, so frame-pointer backtraces cross the interrupt."""
        if not self.spec.frame.has_frame_pointer:
            return []
        return [insn("lea", Reg(self.arch.frame_pointer), Mem(self.sp, self.off("frame_pointer"), 0))]

    def extra_args(self, frame: str) -> list[Item]:
        """Load the handler's arguments after the frame (handler.args): the vector and the
        error code, read from the frame whose address is in ``frame``.  SysV passes them in
        rsi, rdx, ...; cdecl pushes them right to left before the frame pointer."""
        extra = self.spec.handler.args[1:]
        if self.spec.handler.convention == "sysv":
            regs = ("rsi", "rdx", "rcx", "r8", "r9")
            return [insn("mov", Reg(regs[i]), Mem(frame, self.off(arg), self.word)) for i, arg in enumerate(extra)]
        return [insn("push", Mem(frame, self.off(arg), self.word)) for arg in reversed(extra)]

    def frame_register(self) -> str:
        """The register holding the frame address at the call."""
        return "rdi" if self.spec.handler.convention == "sysv" else CDECL_FRAME_REGISTER

    def pass_frame(self) -> list[Item]:
        """Hand the frame (the stack pointer now) to the handler and align for the call."""
        if self.spec.handler.convention == "sysv":
            items: list[Item] = [insn("mov", Reg("rdi"), Reg(self.sp)), *self.extra_args("rdi")]
            if self.call_adjust():
                items.append(insn("sub", Reg(self.sp), Imm(self.call_adjust())))
            return items
        # cdecl: the frame pointer is the argument on the stack.  ebx (callee-saved) keeps
        # the frame, because a cdecl callee may overwrite its own argument slot.
        if self.spec.handler.frame_arg == "value":
            # the frame itself is the by-value argument: call with esp at the frame
            return [insn("mov", Reg(CDECL_FRAME_REGISTER), Reg(self.sp))]
        pushed = self.extra_args(CDECL_FRAME_REGISTER) + [insn("push", Reg(CDECL_FRAME_REGISTER))]
        if not self.spec.handler.align_stack:
            return [insn("mov", Reg(CDECL_FRAME_REGISTER), Reg(self.sp)), *pushed]
        # The CPU does not align the stack on i386: align at run time so that esp % 16 == 0
        # at the call (i386 SysV ABI as gcc uses it).
        pad = -(self.word * len(pushed)) % 16
        return [
            insn("mov", Reg(CDECL_FRAME_REGISTER), Reg(self.sp)),
            insn("and", Reg(self.sp), Imm(-16)),
            *([insn("sub", Reg(self.sp), Imm(pad))] if pad else []),
            *pushed,
        ]

    def xsave_mask(self) -> list[Item]:
        mask = self.spec.simd.xsave_mask
        return [insn("mov", Reg("eax"), Imm(mask & 0xFFFFFFFF)), insn("mov", Reg("edx"), Imm(mask >> 32))]

    def exit_cli(self) -> list[Item]:
        """The exit path runs with interrupts disabled from its first instruction (before the
        stack pointer moves to the frame) when an interrupt taken on the way out would do
        harm; iretq and sysretq restore IF from the frame.  A handler may return with
        interrupts enabled (a trap gate's, one that enabled them, the exit routine called
        from C), and then:

        - with swapgs, an interrupt between the exit's swapgs and iretq would arrive from
          ring 0 with the user GS base live, so its entry would not swap;
        - with a SIMD area, an interrupt on the same stack would push its frame over the
          area below the frame before fxrstor/xrstor reads it;
        - with a syscall entry, the sysretq path loads the user rsp while still in ring 0:
          an interrupt there would push its frame on the user stack."""
        if self.spec.entry.swapgs or self.simd_kind is not SimdPolicy.NONE or self.spec.syscall is not None:
            return [insn("cli")]
        return []

    def simd_restore(self, done: str) -> list[Item]:
        """Restore SIMD state from the area the frame points at (if any); rsp = frame."""
        if self.simd_kind is SimdPolicy.NONE:
            return []
        if self.spec.frame.simd_inline:
            return restore_inline(self.spec, self.layout, self.simd_kind)
        items: list[Item] = [
            insn("mov", Reg("rcx"), Mem(SP, self.off("simd_area"))),
            insn("test", Reg("rcx"), Reg("rcx")),
            insn("jz", Sym(done)),
        ]
        if self.simd_kind is SimdPolicy.XSAVE:
            items += self.xsave_mask()
            items.append(insn("xrstor64", Mem("rcx", 0, 0)))
        else:
            items.append(insn("fxrstor64", Mem("rcx", 0, 0)))
        items.append(Label(done))
        return items
