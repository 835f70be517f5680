"""Build the x86_64 interrupt glue program (as IR) from a spec and its frame layout.

Every decision about what the stubs, entries, exit path, syscall entry and
tables contain is made here, once, for all assembly dialects.

Stack picture while the frame is built (high addresses first)::

    ss rsp rflags cs rip      pushed by the CPU (SDM Vol. 3A 6.14.2)
    error_code                by the CPU, or synthetic (stub or entry)
    vector                    by the stub
    saved slots ...           by the common entry, in layout order
    [call alignment / SIMD area]
"""

from __future__ import annotations

import attrs

from ..layout import Field, FieldKind, FrameLayout, compute_layout
from ..model import (
    EntryGroup,
    ErrorCodeFiller,
    ExitFrame,
    KernelFault,
    ReturnModel,
    SimdPolicy,
    Spec,
    StubStyle,
    SymbolVisibility,
    Vector,
)
from .cfi import add_cfi
from .ir import (
    Align,
    Comment,
    Data,
    EndSymbol,
    Imm,
    Insn,
    Item,
    Label,
    Mem,
    Operand,
    PadTo,
    Program,
    Reg,
    Section,
    SectionKind,
    Sym,
    Visibility,
)

_VISIBILITY = {SymbolVisibility.GLOBAL: Visibility.GLOBAL, SymbolVisibility.LOCAL: Visibility.LOCAL}

SP = "rsp"
MSR_GS_BASE = 0xC0000101
#: Dense stubs: push imm8 (2) + jmp rel32 (5) fit 8 bytes; ENDBR64 adds 4 (Linux uses the same strides).
DENSE_STRIDE = 8
DENSE_STRIDE_IBT = 16

_REG32 = {
    "rax": "eax", "rbx": "ebx", "rcx": "ecx", "rdx": "edx", "rsi": "esi", "rdi": "edi", "rbp": "ebp",
    **{f"r{i}": f"r{i}d" for i in range(8, 16)},
}  # fmt: skip


def _i(op: str, *operands: Operand) -> Insn:
    return Insn(op, operands)


def _zero(reg: str) -> Insn:
    # A 32-bit xor zero-extends into the full register and is the shortest encoding.
    r32 = _REG32.get(reg, reg)
    return _i("xor", Reg(r32), Reg(r32))


@attrs.frozen
class GroupLabels:
    """Internal labels of one entry group."""

    noerr: str
    widen: str
    widen_err: str
    body: str


def group_labels(group: EntryGroup) -> GroupLabels:
    """Where stubs jump into a group's entry (internal labels: no relocations in stubs)."""
    return GroupLabels(
        f"{group.symbol}_noerr", f"{group.symbol}_widen", f"{group.symbol}_widen_err", f"{group.symbol}_body"
    )


def stub_stride(spec: Spec) -> int | None:
    """The fixed distance between stubs (dense style), or None when stubs are only aligned."""
    if spec.stub_style is StubStyle.DENSE:
        return DENSE_STRIDE_IBT if spec.entry.endbr64 else DENSE_STRIDE
    return None


#: the slots the stub writes (with the CPU's error code), directly below the CPU frame
_STUB_KINDS = (FieldKind.VECTOR, FieldKind.ERROR_CODE, FieldKind.FRAME_POINTER)


class _Builder:
    def __init__(self, spec: Spec, layout: FrameLayout):
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

    # -- offsets --------------------------------------------------------------
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

    # -- shared sequences -----------------------------------------------------
    def endbr(self) -> list[Item]:
        return [_i("endbr64" if self.word == 8 else "endbr32")] if self.spec.entry.endbr64 else []

    def save(self) -> list[Item]:
        """Push the saved slots from the highest down; pads become one ``sub``."""
        items: list[Item] = []
        pad = 0
        for f in reversed(self.saved):
            if f.block == "pushal":
                if f is self.pushal_top():
                    if pad:
                        items.append(_i("sub", Reg(self.sp), Imm(pad)))
                        pad = 0
                    items.append(_i("pushad"))
                continue
            if f.kind is FieldKind.PAD:
                pad += f.size
                continue
            if pad:
                items.append(_i("sub", Reg(self.sp), Imm(pad)))
                pad = 0
            if f.kind is FieldKind.SIMD_AREA:
                items.append(_i("push", Imm(0)))  # no SIMD area until an entry saves one
            else:
                items.append(_i("push", Reg(f.role)))
        if pad:
            items.append(_i("sub", Reg(self.sp), Imm(pad)))
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
                        items.append(_i("add", Reg(self.sp), Imm(skip)))
                        skip = 0
                    items.append(_i("popad"))
                continue
            if f.kind not in (FieldKind.GPR, FieldKind.SEGMENT):
                skip += f.size
                continue
            if skip:
                items.append(_i("add", Reg(self.sp), Imm(skip)))
                skip = 0
            items.append(_i("pop", Reg(f.role)))
            if f.role == "ds":
                # entry.segments_from_ds: no scratch register is free here, so copy through the stack
                for seg in self.spec.entry.restored_from_ds({s.role for s in self.saved}):
                    items += [_i("push", Reg("ds")), _i("pop", Reg(seg))]
        skip += self.stub_part
        items.append(_i("add", Reg(self.sp), Imm(skip)))
        return items

    def swapgs_if_user(self, label: str, cs_rel: int, fence: bool) -> list[Item]:
        """swapgs exactly when the saved CS says ring 3; lfence on both paths on entry
        so the swapgs decision cannot be bypassed speculatively (CVE-2019-1125)."""
        items: list[Item] = [
            _i("test", Mem(self.sp, cs_rel, 1), Imm(3)),
            _i("jz", Sym(label)),
            _i("swapgs"),
            Label(label),
        ]
        if fence:
            items.append(_i("lfence"))
        return items

    def clear(self, keep: set[str]) -> list[Item]:
        if not self.spec.entry.clear_registers:
            return []
        return [_zero(r) for r in self.spec.frame.saved_registers if r not in keep]

    def call_adjust(self) -> int:
        return self.layout.call_adjust

    # -- stubs ------------------------------------------------------------------
    def stub(self, v: Vector, group: EntryGroup) -> list[Item]:
        labels = group_labels(group)
        items: list[Item] = []
        stride = stub_stride(self.spec)
        if stride is None:
            items.append(Align(self.spec.sections.stub_align))
        items.append(Label(v.stub_symbol, _VISIBILITY[self.spec.symbols.visibility.stubs], "function"))
        items += self.endbr()
        if self.spec.stub_clears_if(v):
            items.append(_i("cli"))
        if self.dense:
            # push imm8 sign-extends: vectors >= 128 arrive negative and the entry widens them.
            items.append(_i("push", Imm(v.number - 256 if v.number >= 128 else v.number)))
            items.append(_i("jmp", Sym(self.dense_target(v, group), near=True)))
            items.append(PadTo(v.stub_symbol, stride or DENSE_STRIDE))
        else:
            slot = self.spec.frame.error_slot_value(v)
            if self.spec.frame.has_frame_pointer:
                items += self.store_frame_pointer(cpu_error_code=slot is None)
            if slot is not None:
                items.append(_i("push", Imm(slot)))
            elif self.spec.stubs.error_code_filler is ErrorCodeFiller.NOP:
                items.append(_i("nop"))
            if self.spec.frame.has_vector:
                items.append(_i("push", Imm(v.number)))
            items.append(_i("jmp", Sym(labels.body, near=True)))
        items.append(EndSymbol(v.stub_symbol))
        return items

    def store_frame_pointer(self, cpu_error_code: bool) -> list[Item]:
        """Store the interrupted frame pointer in its slot above the error code.  When the
        CPU pushed an error code, that code moves down one word and the frame pointer
        takes its place."""
        fp, w = self.arch.frame_pointer, self.word
        if cpu_error_code:
            return [_i("push", Mem(self.sp, 0, w)), _i("mov", Mem(self.sp, w, w), Reg(fp))]
        return [_i("push", Reg(fp))]

    def point_frame_pointer(self) -> list[Item]:
        """rbp/ebp = the address of the frame-pointer slot (stack pointer at the frame): the
        slot holds the interrupted rbp/ebp and the interrupted rip/eip is the next word,
        exactly what a call frame holds, so frame-pointer backtraces cross the interrupt."""
        if not self.spec.frame.has_frame_pointer:
            return []
        return [_i("lea", Reg(self.arch.frame_pointer), Mem(self.sp, self.off("frame_pointer"), 0))]

    def needs_widen(self, group: EntryGroup, error_code: bool) -> bool:
        """Whether some dense stub of ``group`` (with or without a CPU error code) pushes
        a vector >= 128, which ``push imm8`` sign-extends and the entry must widen."""
        return self.dense and any(v.number >= 128 and v.error_code is error_code for v in group.vectors)

    def dense_target(self, v: Vector, group: EntryGroup) -> str:
        """Where a dense stub jumps: only the paths its vector needs (widening, synthetic code)."""
        labels = group_labels(group)
        if v.error_code:
            return labels.widen_err if v.number >= 128 else labels.body
        return labels.widen if v.number >= 128 else labels.noerr

    # -- common entries -----------------------------------------------------------
    def entry(self, group: EntryGroup, falls_through: bool = False) -> list[Item]:
        spec, labels = self.spec, group_labels(group)
        vis = _VISIBILITY[spec.symbols.visibility.entry]
        items: list[Item] = [Align(16), Label(group.symbol, vis, "function")]
        widen = _i("and", Mem(self.sp, 0, self.word), Imm(0xFF))
        if self.needs_widen(group, error_code=False):
            items += [Label(labels.widen), widen]
        if self.dense and any(not v.error_code for v in group.vectors):
            # The stub's push landed in the error-code slot: copy it down to the vector
            # slot and store the synthetic error code in its place.
            items += [
                Label(labels.noerr),
                _i("push", Mem(self.sp, 0, self.word)),
                _i("mov", Mem(self.sp, self.word, self.word), Imm(spec.frame.synthetic_error_code)),
            ]
        if self.needs_widen(group, error_code=True):
            if self.dense and any(not v.error_code for v in group.vectors):
                items.append(_i("jmp", Sym(labels.body)))
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
                _i("mov", Reg("ecx"), Imm(MSR_GS_BASE)),
                _i("rdmsr"),
                _i("xor", Reg("ebx"), Reg("ebx")),
                _i("test", Reg("edx"), Reg("edx")),
                _i("js", Sym(f"{group.symbol}_gs_done")),
                _i("swapgs"),
                _i("mov", Reg("ebx"), Imm(1)),
                Label(f"{group.symbol}_gs_done"),
                _i("lfence"),
            ]
            keep.add("rbx")
        items += self.clear(keep)
        items += self.load_data_segments()
        items.append(_i("cld"))  # SysV: DF clear on function entry
        items += self.point_frame_pointer()
        if group.simd is not SimdPolicy.NONE:
            items += self.simd_save(group)
        else:
            items += self.pass_frame()
        items += self.reenable_interrupts(group)
        items += self.dispatch(group)
        items += self.after_handler(group)
        if falls_through and items[-1] == _i("jmp", Sym(self.resume)):
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
            _i("test", Mem(self.frame_register(), self.off("rflags"), 4), Imm(0x200)),  # RFLAGS.IF
            _i("jz", Sym(done)),
            _i("sti"),
            Label(done),
        ]

    def load_data_segments(self) -> list[Item]:
        """Load the kernel data selector into the listed segment registers (i386 kernels
        enter with the interrupted code's selectors); uses the saved accumulator."""
        entry = self.spec.entry
        if not entry.data_segments:
            return []
        acc = "ax"
        items: list[Item] = [_i("mov", Reg(acc), Imm(entry.data_selector))]
        items += [_i("mov", Reg(seg), Reg(acc)) for seg in entry.data_segments]
        return items

    def pass_frame(self) -> list[Item]:
        """Hand the frame (the stack pointer now) to the handler and align for the call."""
        if self.spec.handler.convention == "sysv":
            items: list[Item] = [_i("mov", Reg("rdi"), Reg(self.sp)), *self.extra_args("rdi")]
            if self.call_adjust():
                items.append(_i("sub", Reg(self.sp), Imm(self.call_adjust())))
            return items
        # cdecl: the frame pointer is the argument on the stack.  ebx (callee-saved) keeps
        # the frame, because a cdecl callee may overwrite its own argument slot.
        if self.spec.handler.frame_arg == "value":
            # the frame itself is the by-value argument: call with esp at the frame
            return [_i("mov", Reg("ebx"), Reg(self.sp))]
        pushed = self.extra_args("ebx") + [_i("push", Reg("ebx"))]
        if not self.spec.handler.align_stack:
            return [_i("mov", Reg("ebx"), Reg(self.sp)), *pushed]
        # The CPU does not align the stack on i386: align at run time so that esp % 16 == 0
        # at the call (i386 SysV ABI as gcc uses it).
        pad = -(self.word * len(pushed)) % 16
        return [
            _i("mov", Reg("ebx"), Reg(self.sp)),
            _i("and", Reg(self.sp), Imm(-16)),
            *([_i("sub", Reg(self.sp), Imm(pad))] if pad else []),
            *pushed,
        ]

    def extra_args(self, frame: str) -> list[Item]:
        """Load the handler's arguments after the frame (handler.args): the vector and the
        error code, read from the frame whose address is in ``frame``.  SysV passes them in
        rsi, rdx, ...; cdecl pushes them right to left before the frame pointer."""
        extra = self.spec.handler.args[1:]
        if self.spec.handler.convention == "sysv":
            regs = ("rsi", "rdx", "rcx", "r8", "r9")
            return [_i("mov", Reg(regs[i]), Mem(frame, self.off(arg), self.word)) for i, arg in enumerate(extra)]
        return [_i("push", Mem(frame, self.off(arg), self.word)) for arg in reversed(extra)]

    def frame_register(self) -> str:
        """The register holding the frame address at the call."""
        return "rdi" if self.spec.handler.convention == "sysv" else "ebx"

    def simd_save(self, group: EntryGroup) -> list[Item]:
        """Save SIMD state into an aligned area below the frame; r12 keeps the frame."""
        spec = self.spec
        xsave = group.simd is SimdPolicy.XSAVE
        size, align = (spec.simd.area_size, 64) if xsave else (512, 16)
        items: list[Item] = [
            _i("mov", Reg("r12"), Reg(SP)),
            _i("sub", Reg(SP), Imm(size)),
            _i("and", Reg(SP), Imm(-align)),
        ]
        if xsave:
            # XRSTOR faults unless header bytes 8-63 are zero; XSAVE writes only bytes 0-7
            # (SDM Vol. 1 13.4.2, 13.8.1).
            items.append(_i("xor", Reg("eax"), Reg("eax")))
            items += [_i("mov", Mem(SP, 512 + off), Reg("rax")) for off in range(8, 64, 8)]
            items += self.xsave_mask()
            items.append(_i("xsave64", Mem(SP, 0, 0)))
        else:
            items.append(_i("fxsave64", Mem(SP, 0, 0)))
        items += [
            _i("mov", Mem("r12", self.off("simd_area")), Reg(SP)),
            _i("mov", Reg("rdi"), Reg("r12")),
            *self.extra_args("r12"),
        ]
        return items

    def xsave_mask(self) -> list[Item]:
        mask = self.spec.simd.xsave_mask
        return [_i("mov", Reg("eax"), Imm(mask & 0xFFFFFFFF)), _i("mov", Reg("edx"), Imm(mask >> 32))]

    def dispatch(self, group: EntryGroup) -> list[Item]:
        """Call the handler; with a kernel handler, ring-0 interruptions call that instead."""
        # the exit's cli comes right after the call (see exit_cli)
        back = self.exit_cli() if self.spec.handler.returns is not ReturnModel.NORETURN else []
        if group.kernel_handler is None:
            return [_i("call", Sym(group.handler)), *back]
        kernel = f"{group.symbol}_kernel"
        done = f"{group.symbol}_handled"
        items: list[Item] = [
            # The CPU-pushed CS says which privilege level was interrupted; read from memory,
            # so no register is clobbered before the check.
            _i("test", Mem(self.frame_register(), self.off("cs"), 1), Imm(3)),
            _i("jz", Sym(kernel)),
            _i("call", Sym(group.handler)),
            *back,
            _i("jmp", Sym(done)),
            Label(kernel),
            _i("call", Sym(group.kernel_handler)),
        ]
        if self.spec.entry.kernel_fault is KernelFault.HALT:
            items.append(_i("jmp", Sym(self.halt_body)))
        else:
            items += back
        items.append(Label(done))
        return items

    def after_handler(self, group: EntryGroup) -> list[Item]:
        """Back from the handler: point rsp at the frame to resume and take the exit path."""
        returns = self.spec.handler.returns
        if returns is ReturnModel.NORETURN:
            return [_i("ud2")]
        items: list[Item] = []
        if returns is ReturnModel.FRAME:
            items.append(_i("mov", Reg(self.sp), Reg(self.ret)))
        elif group.simd is not SimdPolicy.NONE:
            items.append(_i("mov", Reg(SP), Reg("r12")))
        elif self.spec.handler.convention == "cdecl":
            items.append(_i("mov", Reg(self.sp), Reg("ebx")))
        elif self.call_adjust():
            items.append(_i("add", Reg(SP), Imm(self.call_adjust())))
        if group.paranoid:
            items += self.simd_restore(f"{group.symbol}_simd_done")
            items += [
                _i("test", Reg("ebx"), Reg("ebx")),
                _i("jz", Sym(f"{group.symbol}_no_swapgs")),
                _i("swapgs"),
                Label(f"{group.symbol}_no_swapgs"),
            ]
            items += self.restore()
            items.append(_i(self.arch.interrupt_return))
        else:
            items.append(_i("jmp", Sym(self.resume)))
        return items

    # -- exit -----------------------------------------------------------------
    def simd_restore(self, done: str) -> list[Item]:
        """Restore SIMD state from the area the frame points at (if any); rsp = frame."""
        if self.simd_kind is SimdPolicy.NONE:
            return []
        items: list[Item] = [
            _i("mov", Reg("rcx"), Mem(SP, self.off("simd_area"))),
            _i("test", Reg("rcx"), Reg("rcx")),
            _i("jz", Sym(done)),
        ]
        if self.simd_kind is SimdPolicy.XSAVE:
            items += self.xsave_mask()
            items.append(_i("xrstor64", Mem("rcx", 0, 0)))
        else:
            items.append(_i("fxrstor64", Mem("rcx", 0, 0)))
        items.append(Label(done))
        return items

    def exit_cli(self) -> list[Item]:
        """The exit path runs with interrupts disabled from its first instruction (before the
        stack pointer moves to the frame) when an interrupt taken on the way out would do
        harm; iretq and sysretq restore IF from the frame.  A handler may return with
        interrupts enabled (a trap gate's, one that enabled them, the exit routine called
        from C), and then:

        - with swapgs, an interrupt between the exit's swapgs and iretq would arrive from
          ring 0 with the user GS base live, so its entry would not swap;
        - with a SIMD area, an interrupt on the same stack would push its frame over the
          area below the frame before fxrstor/xrstor reads it."""
        if self.spec.entry.swapgs or self.simd_kind is not SimdPolicy.NONE:
            return [_i("cli")]
        return []

    def resume_path(self, owner: str) -> list[Item]:
        """The shared path that resumes the frame at rsp: SIMD state, then sysretq or iretq.

        ``owner`` is the function symbol the path is part of (it ends that symbol)."""
        spec = self.spec
        items: list[Item] = [Label(self.resume)]
        items += self.simd_restore(f"{spec.symbols.exit}_simd_done")
        if spec.syscall is not None:
            items += [
                _i("cmp", Mem(SP, self.off("vector")), Imm(spec.syscall.marker)),
                _i("je", Sym(self.sysret_path)),
            ]
        items.append(Label(self.iret_path))
        items += self.restore()
        if spec.entry.swapgs:
            # rsp now points at the CPU-pushed RIP; CS is the next word
            items += self.swapgs_if_user(f"{spec.symbols.exit}_gs_done", self.off("cs") - self.off("rip"), False)
        items.append(_i(spec.arch.interrupt_return))
        items += self.sysret()
        items.append(EndSymbol(owner))
        return items

    def exit_routine(self) -> list[Item]:
        """The exit routine: resume the frame in rdi (a new thread's, too), or the frame
        the stack pointer points at (``entry.exit_frame: stack``)."""
        spec = self.spec
        vis = _VISIBILITY[spec.symbols.visibility.exit]
        items: list[Item] = [Align(16), Label(spec.symbols.exit, vis, "function")]
        items += self.endbr()
        items += self.exit_cli()
        if spec.entry.exit_frame is ExitFrame.STACK:
            return [*items, _i("jmp", Sym(self.resume)), EndSymbol(spec.symbols.exit)]
        if spec.entry.exit_loads_cr3:
            root = "rsi"
            if spec.handler.convention == "cdecl":  # second stack argument
                root = "eax"
                items.append(_i("mov", Reg(root), Mem(self.sp, 2 * self.word, self.word)))
            items += [
                _i("test", Reg(root), Reg(root)),
                _i("jz", Sym(f"{spec.symbols.exit}_same_cr3")),
                _i("mov", Reg("cr3"), Reg(root)),
                Label(f"{spec.symbols.exit}_same_cr3"),
            ]
        if spec.handler.convention == "cdecl":
            items.append(_i("mov", Reg(self.sp), Mem(self.sp, self.word, self.word)))
        else:
            items.append(_i("mov", Reg(SP), Reg("rdi")))
        items += [_i("jmp", Sym(self.resume)), EndSymbol(spec.symbols.exit)]
        return items

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
            _i("mov", Reg("rcx"), Mem(SP, rip)),
            _i("mov", Reg("r11"), Reg("rcx")),
            _i("shl", Reg("r11"), Imm(16)),
            _i("sar", Reg("r11"), Imm(16)),
            _i("cmp", Reg("r11"), Reg("rcx")),
            _i("jne", Sym(self.iret_path)),
            # sysretq always lands in ring 3 with the STAR selectors: a frame the handler
            # turned into a kernel context (or any other CS) must leave through iretq.
            _i("cmp", Mem(SP, self.off("cs")), Imm(spec.syscall.user_cs)),
            _i("jne", Sym(self.iret_path)),
        ]
        items += self.restore()
        # Registers the syscall ABI does not return must not leak kernel values.
        restored = set(spec.syscall.restored) | {"rcx", "r11"}
        items += [_zero(r) for r in spec.frame.saved_registers if r not in restored]
        base = self.off("rip")
        items += [
            _i("mov", Reg("rcx"), Mem(SP, 0)),
            _i("mov", Reg("r11"), Mem(SP, self.off("rflags") - base)),
            _i("mov", Reg(SP), Mem(SP, self.off("rsp") - base)),
            _i("swapgs"),
            _i("sysretq"),
        ]
        return items

    def syscall_entry(self) -> list[Item]:
        """SYSCALL: switch to the kernel stack and build the same frame as an interrupt."""
        spec = self.spec
        sc = spec.syscall
        if sc is None:
            return []
        items: list[Item] = [Align(16), Label(sc.entry, Visibility.GLOBAL, "function")]
        items += self.endbr()
        items += [
            # SYSCALL comes only from ring 3 and pushes nothing: RCX = user RIP,
            # R11 = user RFLAGS, RSP is still the user's (SDM Vol. 2B SYSCALL).
            _i("swapgs"),
            _i("mov", Mem(None, sc.user_stack_gs, 8, "gs"), Reg(SP)),
            _i("mov", Reg(SP), Mem(None, sc.kernel_stack_gs, 8, "gs")),
            _i("push", Imm(sc.user_ss)),
            _i("push", Mem(None, sc.user_stack_gs, 8, "gs")),
            _i("push", Reg("r11")),
            _i("push", Imm(sc.user_cs)),
            _i("push", Reg("rcx")),
        ]
        if spec.frame.has_frame_pointer:
            items.append(_i("push", Reg(self.arch.frame_pointer)))
        items += [
            _i("push", Imm(spec.frame.synthetic_error_code)),
            _i("push", Imm(sc.marker)),
        ]
        items += self.save()
        items += self.clear(set())
        items.append(_i("cld"))
        items += self.point_frame_pointer()
        items += self.pass_frame()
        items.append(_i("call", Sym(sc.handler)))
        returns = spec.handler.returns
        if returns is ReturnModel.NORETURN:
            items.append(_i("ud2"))
        else:
            items += self.exit_cli()
            if returns is ReturnModel.FRAME:
                items.append(_i("mov", Reg(SP), Reg("rax")))
            elif self.call_adjust():
                items.append(_i("add", Reg(SP), Imm(self.call_adjust())))
            items.append(_i("jmp", Sym(self.resume)))
        items.append(EndSymbol(sc.entry))
        return items

    def halt(self) -> list[Item]:
        """Clear every general-purpose register and halt forever (the pre-panic cleanup)."""
        name = self.spec.entry.halt
        items: list[Item] = [Align(16), Label(name, Visibility.GLOBAL, "function")]
        items += self.endbr()
        items += [Label(self.halt_body), _i("cli")]
        items += [_zero(r) for r in self.spec.arch.gprs]
        items += [Label(f"{name}_loop"), _i("hlt"), _i("jmp", Sym(f"{name}_loop")), EndSymbol(name)]
        return items

    # -- tables -----------------------------------------------------------------
    def tables(self) -> list[Item]:
        spec = self.spec
        vis = _VISIBILITY[spec.symbols.visibility.table]
        items: list[Item] = [Align(spec.table_align, 0), Label(spec.symbols.table, vis, "object")]
        for n in range(spec.arch.vector_count):
            v = spec.vector(n)
            items.append(Data(spec.table_width, v.stub_symbol if v else 0))
        items.append(EndSymbol(spec.symbols.table))
        # [type_attr, ist] per vector for the IDT initialiser; type_attr 0 = not present.
        items.append(Label(spec.symbols.gates, vis, "object"))
        for n in range(spec.arch.vector_count):
            v = spec.vector(n)
            items.append(Data(1, spec.gate_attr(v) if v else 0))
            items.append(Data(1, (v.ist or 0) if v else 0))
        items.append(EndSymbol(spec.symbols.gates))
        return items

    def program(self) -> Program:
        spec = self.spec
        group_of = {v.number: g for g in self.groups for v in g.vectors}
        code: list[Item] = [Comment("per-vector stubs")]
        stride = stub_stride(spec)
        if stride is not None:
            code.append(Align(max(stride, spec.sections.stub_align)))
        for v in spec.vectors:
            code += self.stub(v, group_of[v.number])
        if spec.syscall is not None:
            code.append(Comment("system call entry"))
            code += self.syscall_entry()
        code.append(Comment("common entries"))
        # Paranoid entries have their own exit; the last other entry falls into the resume path.
        ordered = sorted(self.groups, key=lambda g: not g.paranoid)
        owner = None
        for i, g in enumerate(ordered):
            last = i == len(ordered) - 1
            body = self.entry(g, falls_through=last)
            if last and not isinstance(body[-1], EndSymbol):
                owner = g.symbol
            code += body
        if owner is None:
            code += [Align(16), Label(f"{spec.symbols.exit}_path", Visibility.LOCAL, "function")]
            owner = f"{spec.symbols.exit}_path"
        code.append(Comment("resume path: the stack pointer points at the frame"))
        code += self.resume_path(owner)
        code += self.exit_routine()
        code += self.halt()
        sections = (
            Section(spec.sections.code, SectionKind.CODE, spec.sections.code_align, tuple(code)),
            Section(
                spec.sections.table,
                SectionKind.DATA if spec.table.writable else SectionKind.RODATA,
                spec.table_align,
                tuple(self.tables()),
            ),
        )
        return Program(bits=spec.arch.word_size * 8, sections=sections, externs=tuple(sorted(spec.handlers)))


def build_program(spec: Spec, layout: FrameLayout | None = None) -> Program:
    """The whole glue for ``spec`` as IR (with call-frame information: :mod:`.cfi`)."""
    layout = layout or compute_layout(spec)
    return add_cfi(_Builder(spec, layout).program(), spec, layout)
