"""``isrgen layout`` for a riscv64 spec: the frame(s), the stack at the call and a row per
trap cause, as the arch-neutral :class:`~isrgen.arch.isa.LayoutView`.

A RISC-V hart pushes nothing when it traps (priv 4.1.7-4.1.10): it sets the trap CSRs
(sepc, scause, stval, sstatus.SPP/SPIE) and jumps to stvec; the entry copies them
into the frame.
"""

from __future__ import annotations

from ..isa import (
    LayoutCall,
    LayoutCell,
    LayoutColumn,
    LayoutEntry,
    LayoutFrame,
    LayoutSlot,
    LayoutView,
    SlotWriter,
    cell,
)
from .facts import (
    CAUSE_INTERRUPT_BIT,
    CSRS,
    ECALL_FROM_M,
    ECALL_FROM_S,
    ECALL_FROM_U,
    EXCEPTIONS,
    INTERRUPTS,
    MTI,
    SIP_SSIP,
    STACK_ALIGN,
    TVEC_SLOT_SIZE,
    WORD,
    CsrSet,
    Mode,
    TvecMode,
)
from .options import Frame, Handler, Riscv64Options, Role, Slot, StackProtocol

#: roles the kernel writes into the frame for the entry to read (kernel_switch protocol)
_KERNEL_WORDS = frozenset({Role.KERNEL_SATP, Role.KERNEL_SP, Role.KERNEL_TRAP, Role.KERNEL_HARTID})


def _csr_of(role: Role, csr: CsrSet) -> str:
    return {Role.EPC: csr.epc, Role.STATUS: csr.status, Role.TVAL: csr.tval, Role.CAUSE: csr.cause}.get(role, "")


def _slot(s: Slot, csr: CsrSet) -> LayoutSlot:
    if s.register is not None:
        return LayoutSlot(s.offset, s.size, s.name, s.register, "gpr", (SlotWriter.ENTRY,))
    role = s.role if s.role is not None else Role.PAD
    if role in _KERNEL_WORDS:
        return LayoutSlot(s.offset, s.size, s.name, str(role), "kernel", (SlotWriter.KERNEL,))
    if role is Role.PAD:
        return LayoutSlot(s.offset, s.size, s.name, "pad", "pad", (SlotWriter.ENTRY,))
    if role is Role.ORIG_A0:
        return LayoutSlot(s.offset, s.size, s.name, str(role), "gpr", (SlotWriter.ENTRY,), source="a0")
    csr_name = _csr_of(role, csr)
    return LayoutSlot(s.offset, s.size, s.name, csr_name, "sysreg", (SlotWriter.ENTRY,), source=csr_name)


def _frame(frame: Frame, csr: CsrSet, title: str = "") -> LayoutFrame:
    slots = [_slot(s, csr) for s in frame.slots]
    if frame.fp is not None:
        slots += [
            LayoutSlot(frame.fp.offset + WORD * i, WORD, f"f[{i}]", f"f{i}", "fp", (SlotWriter.ENTRY,))
            for i in range(32)
        ]
        slots.append(LayoutSlot(frame.fp.fcsr_offset, WORD, "fcsr", "fcsr", "fp", (SlotWriter.ENTRY,)))
    end = slots[-1].offset + slots[-1].size if slots else 0
    if frame.size > end:
        # the C header's tail member up to the declared (or rounded-up) size
        slots.append(LayoutSlot(end, frame.size - end, "_isrgen_tail", "pad", "pad", ()))
    return LayoutFrame(frame.struct, frame.size, tuple(slots), title)


def _causes(mode: Mode) -> list[tuple[int, str]]:
    """(scause value, name) of every trap the mode can take (priv 3.1.15 table 3.6, 4.1.9 table 4.2):
    a supervisor-mode kernel gets the supervisor interrupts and every exception but an ecall from M."""
    supervisor = mode is Mode.SUPERVISOR
    interrupts = [
        (CAUSE_INTERRUPT_BIT | code, name)
        for code, name in INTERRUPTS.items()
        if not supervisor or name.startswith("supervisor_")
    ]
    exceptions = [(code, name) for code, name in EXCEPTIONS.items() if not (supervisor and code == ECALL_FROM_M)]
    return interrupts + exceptions


def _handler(handler: Handler, cause: int) -> str:
    d = handler.dispatch
    code = cause & ~CAUSE_INTERRUPT_BIT
    if d is not None:
        table, n = (
            (d.interrupt_table, d.interrupts) if cause & CAUSE_INTERRUPT_BIT else (d.exception_table, d.exceptions)
        )
        if code < n:
            return f"{table}[{code}]"
    return handler.symbol


def _stacks(o: Riscv64Options, csr: CsrSet) -> tuple[str, str]:
    """Where the frame goes on a trap from the lower mode, and on one from the kernel itself."""
    if o.protocol is StackProtocol.SCRATCH_SP:
        return f"kernel sp from {csr.scratch}", "the interrupted sp"
    if o.protocol is StackProtocol.THREAD_POINTER and o.tp_offsets is not None:
        return f"kernel sp at tp + {o.tp_offsets.kernel_sp} (tp from {csr.scratch})", "the interrupted sp"
    where = f"{o.trampoline.frame_address:#x}" if o.trampoline is not None else f"{csr.scratch}"
    return f"frame at {where}, stack from its kernel_sp", "the interrupted sp"


COLUMNS = (
    LayoutColumn("vector", "cause", numeric=True),
    LayoutColumn("interrupt", "type"),
    LayoutColumn("code", "code", numeric=True),
    LayoutColumn("name", "name"),
    LayoutColumn("offset", "offset", numeric=True),
    LayoutColumn("user_entry", "lower-mode entry"),
    LayoutColumn("user_handler", "handler"),
    LayoutColumn("user_stack", "stack"),
    LayoutColumn("kernel_entry", "kernel entry"),
    LayoutColumn("kernel_handler", "kernel handler"),
    LayoutColumn("kernel_stack", "kernel stack"),
)


def _row(o: Riscv64Options, csr: CsrSet, cause: int, name: str) -> tuple[LayoutCell, ...]:
    interrupt = bool(cause & CAUSE_INTERRUPT_BIT)
    code = cause & ~CAUSE_INTERRUPT_BIT
    vectored = o.vector.mode is TvecMode.VECTORED and interrupt and code < o.vector.slots
    # priv 4.1.2: in vectored mode an interrupt enters at BASE + 4 * cause, everything else at BASE
    offset = TVEC_SLOT_SIZE * code if vectored else 0
    targets = dict(o.vector.targets)
    entry = targets.get(code, o.symbols.entry) if vectored else o.symbols.entry
    user_stack, kernel_stack = _stacks(o, csr)
    machine = o.mode is Mode.MACHINE
    from_lower = interrupt or code != (ECALL_FROM_M if machine else ECALL_FROM_S)
    from_kernel = interrupt or code not in ((ECALL_FROM_U, ECALL_FROM_S) if machine else (ECALL_FROM_U,))
    user_handler = _handler(o.handler, cause)
    ecalls = (ECALL_FROM_U, ECALL_FROM_S) if machine else (ECALL_FROM_U,)
    if o.syscall is not None and o.syscall.handler is not None and not interrupt and code in ecalls:
        user_handler = o.syscall.handler
    kernel_entry, kernel_handler = entry, _handler(o.handler, cause)
    if o.kernel_entry is not None:
        kernel_entry, kernel_handler = o.kernel_entry.symbol, _handler(o.kernel_entry.handler, cause)
    return (
        cell(cause, f"{cause:#x}"),
        cell(interrupt, "interrupt" if interrupt else "exception"),
        cell(code),
        cell(name),
        cell(offset, f"{offset:#x}"),
        cell(entry if from_lower else None),
        cell(user_handler if from_lower else None),
        cell(user_stack if from_lower else None),
        cell(kernel_entry if from_kernel else None),
        cell(kernel_handler if from_kernel else None),
        cell(kernel_stack if from_kernel else None),
    )


def _timer_row(o: Riscv64Options) -> tuple[LayoutCell, ...] | None:
    """The M-mode timer entry's row: the machine timer interrupt enters it through mtvec from
    any mode (priv 3.1.7) and it forwards the tick to S-mode."""
    mt = o.machine_timer
    if mt is None:
        return None
    cause = CAUSE_INTERRUPT_BIT | MTI
    forward = "sip.SSIP" if mt.forward_bit == SIP_SSIP else "mip.STIP"
    work = f"re-arms mtimecmp, sets {forward}"
    stack = "scratch area at mscratch"
    return (
        cell(cause, f"{cause:#x}"),
        cell(True, "interrupt"),
        cell(MTI),
        cell(INTERRUPTS[MTI]),
        cell(0, "0x0"),
        cell(mt.symbol),
        cell(work),
        cell(stack),
        cell(mt.symbol),
        cell(work),
        cell(stack),
    )


def _call_note(o: Riscv64Options) -> str:
    aligned = f"{STACK_ALIGN}-byte aligned (psABI integer calling convention)"
    if o.protocol is StackProtocol.KERNEL_SWITCH:
        kernel = f"; the kernel entry's frame is {o.kernel_entry.frame.size} bytes" if o.kernel_entry else ""
        return f"{aligned}: from the lower mode the handler runs on the stack the frame's kernel_sp word gives{kernel}"
    return f"{aligned}: the frame is {o.frame.size} bytes, a multiple of {STACK_ALIGN}"


def layout_view(o: Riscv64Options) -> LayoutView:
    """The layout report of ``o``: the frame(s) and where each trap cause goes."""
    csr = CSRS[o.mode]
    frames = [_frame(o.frame, csr)]
    if o.kernel_entry is not None:
        frames.append(_frame(o.kernel_entry.frame, csr, f"frame of {o.kernel_entry.symbol} (traps in the kernel)"))
    call = LayoutCall("lp64", STACK_ALIGN, 0, False, True, _call_note(o))
    causes = _causes(o.mode)
    rows = [_row(o, csr, cause, name) for cause, name in causes]
    timer = _timer_row(o)
    if timer is not None:
        rows.append(timer)
    entries = [LayoutEntry(o.symbols.entry, o.handler.symbol, tuple(c for c, _ in causes))]
    if o.kernel_entry is not None:
        entries.append(
            LayoutEntry(
                o.kernel_entry.symbol,
                o.kernel_entry.handler.symbol,
                tuple(c for c, _ in causes if c != ECALL_FROM_U),
            )
        )
    if o.machine_timer is not None:
        entries.append(LayoutEntry(o.machine_timer.symbol, "", (CAUSE_INTERRUPT_BIT | MTI,)))
    return LayoutView("riscv64", WORD, tuple(frames), call, "cause", COLUMNS, tuple(rows), tuple(entries))
