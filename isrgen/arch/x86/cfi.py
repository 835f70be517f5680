"""Call-frame information for the generated glue, so debuggers can unwind through it.

:func:`add_cfi` is a pass over an already-built :class:`~isrgen.codegen.ir.Program`:
it walks each function's instructions, tracks the stack pointer through every
``push``/``pop``/``sub``/``add``, and inserts :class:`~isrgen.codegen.ir.Cfi`
items.  The canonical frame address (CFA) is the address just above the
CPU-pushed frame (above ``ss`` in long mode), so the interrupted ``rip``/``rsp``/
``rflags``/``cs``/``ss`` are found at fixed offsets below it, and each general-purpose
register is described once it has been pushed into its layout slot (``pushad``
describes its whole block at once).

i386: the CPU pushes ESP and SS only on a privilege change (SDM Vol. 3A 6.12.1,
figure 6-4), so the CFA is the address just above EFLAGS.  For an interrupt of
ring-0 code that address is the interrupted ESP, which is what a debugger takes
the caller's stack pointer to be (DWARF's CFA); GAS encodes ``eip``, ``eflags``
and ``cs`` as DWARF registers 8, 9 and 41 (i386 SysV psABI, DWARF register
mapping).  Every
function is marked ``.cfi_signal_frame``: the "caller" is interrupted code whose
saved ``rip`` is exact, not a return address.

Only what the pass can prove from the instructions is described: an
instruction that changes the stack pointer in a way it cannot follow (e.g.
``and rsp, -64`` or a stack switch from memory) marks the return address
undefined until a known state is reached again, which ends a backtrace cleanly
instead of showing garbage.  Two things keep the CFA known across such a change:
a register holding a copy of the stack pointer from before it, which the CFA
follows (``.cfi_def_cfa_register``; only a callee-saved one may stay the base
across a call), and a copy of that register pushed on the new stack, which the
CFA follows through memory: ``DW_CFA_def_cfa_expression`` with ``DW_OP_bregN
(rsp) k; DW_OP_deref; DW_OP_plus_uconst n`` (DWARF 5 sections 6.4.2.2 and
2.5.1), the way Linux's ``call_on_irqstack`` describes its switch to the IRQ
stack.  The rules of the frame's registers are CFA-relative and stay as they are.
NASM has no CFI directives; its dialect renders these items as nothing.
"""

from __future__ import annotations

import attrs

from isrgen.arch.x86.model import X86Spec
from isrgen.arch.x86.operands import SymbolMem
from isrgen.codegen.ir import (
    Cfi,
    EndSymbol,
    Imm,
    Insn,
    Item,
    Label,
    Mem,
    Program,
    Reg,
    Section,
    SectionKind,
    Sym,
    Visibility,
)
from isrgen.model.layout import FieldKind, FrameLayout

#: conditional and unconditional jumps whose target inherits the current state
_UNCONDITIONAL = frozenset({"jmp"})
#: instructions after which execution does not fall through
_NO_FALLTHROUGH = frozenset({"jmp", "iretq", "iretd", "iret", "sysretq", "sysret", "ret", "ud2", "hlt"})
#: instructions whose first operand is only read
_READS_FIRST = frozenset({"cmp", "test", "bt", "push"})
#: registers a called handler preserves (SysV AMD64 ABI 3.2.1; i386 SysV psABI 2.2.1:
#: ebx, esi, edi, ebp): one holding the old stack pointer can carry the CFA while the
#: entry realigns the stack (SIMD save areas, cdecl call alignment)
_CALLEE_SAVED = frozenset({"rbx", "rbp", "r12", "r13", "r14", "r15", "ebx", "esi", "edi", "ebp"})
#: push and pop every general-purpose register at once (SDM Vol. 2B PUSHA/PUSHAD, POPA/POPAD)
_PUSH_ALL = frozenset({"pushad"})
_POP_ALL = frozenset({"popad"})
#: DWARF numbers of the stack pointer (x86-64 psABI 3.6.2, figure 3.36: rsp = 7; i386
#: SysV psABI 2.5: esp = 4)
_DWARF_STACK_POINTER = {"rsp": 7, "esp": 4}
#: DWARF 5 section 7.24 and 7.7.1: the call-frame instruction and the expression operations
_DW_CFA_DEF_CFA_EXPRESSION = 0x0F
_DW_OP_BREG0 = 0x70
_DW_OP_DEREF = 0x06
_DW_OP_PLUS_UCONST = 0x23


def _uleb128(value: int) -> list[int]:
    """DWARF 5 section 7.6 unsigned LEB128."""
    out: list[int] = []
    while True:
        byte, value = value & 0x7F, value >> 7
        if value == 0:
            return [*out, byte]
        out.append(byte | 0x80)


def _sleb128(value: int) -> list[int]:
    """DWARF 5 section 7.6 signed LEB128."""
    out: list[int] = []
    while True:
        byte, value = value & 0x7F, value >> 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            return [*out, byte]
        out.append(byte | 0x80)


@attrs.frozen
class _State:
    """Where the CFA is (``cfa`` bytes above rsp) and which GPRs are described."""

    cfa: int
    #: True once the CPU frame's registers are described (an interrupt frame)
    interrupt: bool = True
    #: the register the CFA is relative to when it is not rsp (a callee-saved copy of it)
    base: str = ""
    #: the syscall entry builds the CPU part itself: describe each slot once pushed
    building: bool = False
    #: when set, the CFA is ``[rsp + saved_at] + cfa``: a copy of the old stack pointer
    #: (the frame) was pushed on the stack rsp moved to (the IRQ stack)
    saved_at: int | None = None
    #: a register holding a copy of the stack pointer, and the CFA's offset from it; it
    #: carries the CFA when rsp moves in a way the pass cannot follow (``cmovz rsp, ...``)
    copy: tuple[str, int] | None = None


class _Pass:
    def __init__(self, spec: X86Spec, layout: FrameLayout):
        self.spec = spec
        self.layout = layout
        self.sp = spec.arch.stack_pointer
        self.word = spec.arch.word_size
        pc = spec.arch.cpu_frame[0]
        always = [f for f in layout.fields if f.kind is FieldKind.CPU and not f.ring_change_only]
        #: the CFA's offset in the frame: just above the part the CPU always pushes
        self.top = max(f.offset + f.size for f in always)
        rip = layout.offset(pc)
        # SDM Vol. 3A 6.14.2 (6.12.1 on i386): on delivery the stack pointer points at the
        # saved rip/eip, or at the error code just below it when the CPU pushes one.
        self.stub_state = {
            v.stub_symbol: _State(self.top - rip + (self.word if v.error_code else 0)) for v in spec.vectors
        }
        self.jump_states: dict[str, _State | None] = {}
        # keyed by the register a slot holds (its role), not its struct field name (pt_regs' "bx")
        self.gpr_slots = {f.role: f.offset - self.top for f in layout.fields if f.kind is FieldKind.GPR}
        self.cpu_slots = [(f.role, f.offset - self.top) for f in always]

    # -- directives ------------------------------------------------------------------
    def frame_rules(self, state: _State, all_gprs: bool) -> list[Item]:
        items: list[Item] = [self.cfa_rule(state)]
        if not state.building:
            items += [Cfi("offset", (name, off)) for name, off in self.cpu_slots]
        if all_gprs:
            items += [Cfi("offset", (name, off)) for name, off in self.gpr_slots.items()]
        return items

    def cfa_rule(self, state: _State) -> Cfi:
        """The full CFA rule of ``state``: a register and an offset, or the expression
        ``[rsp + saved_at] + cfa`` when the frame's address is on the stack."""
        if state.saved_at is None:
            return Cfi("def_cfa", (state.base or self.sp, state.cfa))
        expr = [
            _DW_OP_BREG0 + _DWARF_STACK_POINTER[self.sp],
            *_sleb128(state.saved_at),
            _DW_OP_DEREF,
            _DW_OP_PLUS_UCONST,
            *_uleb128(state.cfa),
        ]
        escape = [_DW_CFA_DEF_CFA_EXPRESSION, *_uleb128(len(expr)), *expr]
        return Cfi("escape", tuple(f"{b:#04x}" for b in escape))

    def unknown(self) -> list[Item]:
        # Nothing certain about the stack: stop unwinding here rather than guess.
        return [Cfi("undefined", (self.spec.arch.cpu_frame[0],))]

    # -- the walk --------------------------------------------------------------------
    def initial(self, name: str, following: list[str]) -> tuple[_State | None, list[Item]]:
        """State and directives at the start of function ``name``."""
        if name in self.stub_state:
            state = self.stub_state[name]
            return state, self.frame_rules(state, all_gprs=False)
        for label in [name, *following]:
            if label in self.jump_states:
                known = self.jump_states[label]
                return (known, self.frame_rules(known, all_gprs=False)) if known else (None, self.unknown())
        if self.spec.syscall is not None and name == self.spec.syscall.entry:
            # SYSCALL pushes nothing: RIP is in rcx and the CFA is the user rsp until
            # the entry switches stacks (SDM Vol. 2B SYSCALL).
            return None, [Cfi("def_cfa", (self.sp, 0)), Cfi("register", (self.spec.arch.cpu_frame[0], "rcx"))]
        if name == self.spec.symbols.exit:
            # Called like a function (rdi = frame): a plain call frame until rsp moves.
            rip = self.spec.arch.cpu_frame[0]
            return _State(self.word, interrupt=False), [
                Cfi("def_cfa", (self.sp, self.word)),
                Cfi("offset", (rip, -self.word)),
            ]
        return None, []

    def record_jump(self, target: str, state: _State | None) -> None:
        known = self.jump_states.get(target, state)
        if target not in self.jump_states or known == state:
            self.jump_states[target] = state
        elif (
            known is not None
            and state is not None
            and attrs.evolve(known, copy=None) == attrs.evolve(state, copy=None)
        ):
            self.jump_states[target] = attrs.evolve(state, copy=None)  # only the copy differs: forget it
        else:
            self.jump_states[target] = None  # reached with two different stacks: unknown

    def before(self, insn: Insn, state: _State | None) -> tuple[_State | None, list[Item]]:
        """Directives that must take effect *at* ``insn``: a call while the CFA follows a
        register the callee may clobber ends the unwind before the callee runs."""
        if insn.op == "call" and state is not None and state.base and state.base not in _CALLEE_SAVED:
            return None, self.unknown()
        return state, []

    def step(self, insn: Insn, state: _State | None) -> tuple[_State | None, list[Item]]:
        """State after ``insn`` and the directives describing it."""
        ops = insn.operands
        if insn.op in _UNCONDITIONAL or (insn.op.startswith("j") and ops and isinstance(ops[0], Sym)):
            if ops and isinstance(ops[0], Sym):
                self.record_jump(ops[0].name, state)
        if (
            insn.op == "mov"
            and len(ops) == 2
            and ops[0] == Reg(self.sp)
            and isinstance(ops[1], Mem)
            and (ops[1].segment or isinstance(ops[1], SymbolMem) or ops[1].base is None)
            and self.spec.syscall is not None
        ):
            # the syscall entry's switch to the kernel stack: its top is the frame's top
            new = _State(0, building=True)
            return new, [Cfi("def_cfa", (self.sp, 0))]
        if insn.op == "pop" and ops == (Reg(self.sp),):
            # leaving the IRQ stack: rsp is the frame again, whatever the state before
            new = _State(self.layout.size)
            return new, self.frame_rules(new, all_gprs=True)
        if state is None:
            return None, []
        if state.saved_at is not None:
            return self.step_saved(insn, state, state.saved_at)
        if state.base:
            return self.step_off_base(insn, state)
        state = self.forget_copy(insn, state)
        if insn.op == "mov" and len(ops) == 2 and ops[1] == Reg(self.sp) and isinstance(ops[0], Reg):
            if ops[0].name in _CALLEE_SAVED:
                new = attrs.evolve(state, base=ops[0].name)
                return new, [Cfi("def_cfa_register", (ops[0].name,))]
            return attrs.evolve(state, copy=(ops[0].name, state.cfa)), []
        if insn.op == "push":
            new = attrs.evolve(state, cfa=state.cfa + self.word)
            out: list[Item] = [Cfi("def_cfa_offset", (new.cfa,))]
            if ops and isinstance(ops[0], Reg) and self.gpr_slots.get(ops[0].name) == -new.cfa and new.interrupt:
                out.append(Cfi("offset", (ops[0].name, -new.cfa)))
            if state.building:
                out += [Cfi("offset", (name, off)) for name, off in self.cpu_slots if off == -new.cfa]
                if -new.cfa <= min(off for _, off in self.cpu_slots):
                    new = attrs.evolve(new, building=False)
            return new, out
        if insn.op in _PUSH_ALL:
            new = attrs.evolve(state, cfa=state.cfa + 8 * self.word)
            out = [Cfi("def_cfa_offset", (new.cfa,))]
            if new.interrupt:
                out += [Cfi("offset", (r, off)) for r, off in self.gpr_slots.items() if -new.cfa <= off < -state.cfa]
            return new, out
        if insn.op in _POP_ALL:
            new = attrs.evolve(state, cfa=state.cfa - 8 * self.word)
            out = []
            if state.interrupt:
                out = [Cfi("same_value", (r,)) for r, off in self.gpr_slots.items() if -state.cfa <= off < -new.cfa]
            return new, [*out, Cfi("def_cfa_offset", (new.cfa,))]
        if insn.op == "pop":
            out = []
            if ops and isinstance(ops[0], Reg) and self.gpr_slots.get(ops[0].name) == -state.cfa and state.interrupt:
                out.append(Cfi("same_value", (ops[0].name,)))
            new = attrs.evolve(state, cfa=state.cfa - self.word)
            return new, [*out, Cfi("def_cfa_offset", (new.cfa,))]
        writes_sp = bool(ops) and ops[0] == Reg(self.sp) and insn.op not in _READS_FIRST
        if not writes_sp:
            return state, []
        if insn.op in ("sub", "add") and len(ops) == 2 and isinstance(ops[1], Imm):
            delta = ops[1].value if insn.op == "sub" else -ops[1].value
            new = attrs.evolve(state, cfa=state.cfa + delta)
            return new, [Cfi("def_cfa_offset", (new.cfa,))]
        if insn.op == "mov" and len(ops) == 2 and isinstance(ops[1], Reg):
            # The glue only loads rsp from a register holding a frame pointer (the
            # handler's returned frame, or the exit routine's argument).
            new = _State(self.top)
            return new, self.frame_rules(new, all_gprs=True)
        if insn.op == "mov" and not state.interrupt and len(ops) == 2 and ops[1] == Mem(self.sp, self.word, self.word):
            # the cdecl exit routine loads its argument, the frame to resume, into esp
            new = _State(self.top)
            return new, self.frame_rules(new, all_gprs=True)
        if state.copy is not None:
            # rsp moved somewhere unknown (the IRQ stack, or not): the copy still knows the CFA
            reg, cfa = state.copy
            new = attrs.evolve(state, cfa=cfa, base=reg, copy=None)
            return new, [Cfi("def_cfa", (reg, cfa))]
        return None, self.unknown()

    def forget_copy(self, insn: Insn, state: _State) -> _State:
        """``state`` without its copy of rsp once ``insn`` overwrites that register (a call
        clobbers every register that is not callee-saved)."""
        if state.copy is None:
            return state
        ops, reg = insn.operands, state.copy[0]
        writes = (ops and ops[0] == Reg(reg) and insn.op not in _READS_FIRST) or (insn.op == "xchg" and Reg(reg) in ops)
        if insn.op == "call" or insn.op in _POP_ALL or writes:
            return attrs.evolve(state, copy=None)
        return state

    def step_saved(self, insn: Insn, state: _State, saved_at: int) -> tuple[_State | None, list[Item]]:
        """While the frame's address is on the stack at ``rsp + saved_at``, follow rsp."""
        ops = insn.operands
        delta = 0
        if insn.op == "push":
            delta = self.word
        elif insn.op == "pop":
            delta = -self.word
        elif insn.op in _PUSH_ALL or insn.op in _POP_ALL:
            delta = 8 * self.word if insn.op in _PUSH_ALL else -8 * self.word
        elif ops and ops[0] == Reg(self.sp) and insn.op not in _READS_FIRST:
            if insn.op in ("sub", "add") and len(ops) == 2 and isinstance(ops[1], Imm):
                delta = ops[1].value if insn.op == "sub" else -ops[1].value
            elif insn.op == "mov" and len(ops) == 2 and isinstance(ops[1], Reg):
                new = _State(self.top)  # rsp loaded with a frame (the handler's return value)
                return new, self.frame_rules(new, all_gprs=True)
            else:
                return None, self.unknown()
        if not delta:
            return state, []
        if saved_at + delta < 0:
            return None, self.unknown()  # the copy was popped
        new = attrs.evolve(state, saved_at=saved_at + delta)
        return new, [self.cfa_rule(new)]

    def step_off_base(self, insn: Insn, state: _State) -> tuple[_State | None, list[Item]]:
        """While the CFA is relative to a register holding an old rsp, rsp may move freely
        (``and rsp, -64``, a switch to the IRQ stack); ``mov rsp, <that register>`` makes
        rsp the base again, and a push of a caller-saved one moves the CFA onto the stack."""
        ops = insn.operands
        if insn.op == "mov" and ops == (Reg(self.sp), Reg(state.base)):
            return attrs.evolve(state, base=""), [Cfi("def_cfa_register", (self.sp,))]
        if insn.op == "push" and ops == (Reg(state.base),) and state.base not in _CALLEE_SAVED:
            # the base (the old stack pointer) pushed on the new stack: the CFA follows that
            # copy through memory, which survives the call the base register would not
            new = attrs.evolve(state, base="", saved_at=0)
            return new, [self.cfa_rule(new)]
        if ops and ops[0] == Reg(state.base) and insn.op not in _READS_FIRST:
            return None, self.unknown()  # the base register itself changes
        if insn.op == "mov" and len(ops) == 2 and ops[0] == Reg(self.sp):
            new = _State(self.top)  # rsp loaded with a frame (the handler's return value)
            return new, self.frame_rules(new, all_gprs=True)
        return state, []

    def section(self, section: Section) -> Section:
        items = section.items
        out: list[Item] = []
        state: _State | None = None
        open_fn: str | None = None
        for i, item in enumerate(items):
            if isinstance(item, Label) and item.kind == "function" and item.visibility is not Visibility.INTERNAL:
                if open_fn is not None:
                    out.append(Cfi("endproc"))
                following = []
                for nxt in items[i + 1 :]:
                    if not isinstance(nxt, Label):
                        break
                    following.append(nxt.name)
                state, rules = self.initial(item.name, following)
                out.append(item)
                open_fn = item.name if rules else None
                if open_fn is not None:
                    out += [Cfi("startproc", ("simple",)), Cfi("signal_frame"), *rules]
                continue
            if isinstance(item, EndSymbol) and item.name == open_fn:
                out += [Cfi("endproc"), item]
                open_fn = None
                continue
            if isinstance(item, Label) and open_fn is not None and state is None:
                # Not reached by falling through: only a forward jump seen so far tells the state.
                state = self.jump_states.get(item.name)
                out += [item, *(self.frame_rules(state, all_gprs=False) if state else self.unknown())]
                continue
            if isinstance(item, Insn) and open_fn is not None:
                state, early = self.before(item, state)
                out += early
            out.append(item)
            if isinstance(item, Insn) and open_fn is not None:
                state, directives = self.step(item, state)
                out += directives
                if item.op in _NO_FALLTHROUGH:
                    state = None
            elif isinstance(item, Insn):
                self.step(item, None)
        if open_fn is not None:
            out.append(Cfi("endproc"))
        return attrs.evolve(section, items=tuple(out))


def add_cfi(program: Program, spec: X86Spec, layout: FrameLayout) -> Program:
    """``program`` with CFI items inserted into its code sections (see the module docstring).

    Both x86_64 and i386 glue get CFI; glue whose spec turns CFI off
    (``debug: {cfi: false}``) is returned unchanged.
    """
    if not spec.debug.cfi:
        return program
    cfi = _Pass(spec, layout)
    sections = tuple(cfi.section(s) if s.kind is SectionKind.CODE else s for s in program.sections)
    return attrs.evolve(program, sections=sections)
