"""What a riscv64 glue offers kernel code, listed once: the C header (:mod:`.c_view`) and the
Rust module (:mod:`.rust_view`) both print these declarations, each in its own syntax."""

from __future__ import annotations

from ...codegen.declarations import Declaration, Function, FunctionTable, Label, Param, Signature, Type, frame_pointer
from ...spec.identifiers import rust_type_name
from .facts import CSRS, TvecMode
from .options import Frame, Handler, Returns, Riscv64Options


def _frame(frame: Frame) -> Type:
    return frame_pointer(frame.struct, rust_type_name(frame.struct))


def handler_signature(handler: Handler, frame: Frame, cause_csr: str) -> Signature:
    """The handler's C/Rust signature: a0, a1, ... as ``args`` says (psABI: XLEN-wide integers)."""
    cause = Type("unsigned long", "u64")  # LP64: unsigned long is 64 bits
    params = tuple(Param("frame", _frame(frame)) if a == "frame" else Param(cause_csr, cause) for a in handler.args)
    returns = _frame(frame) if handler.returns is Returns.FRAME else None
    return Signature(params, returns, noreturn=handler.returns is Returns.NORETURN)


def declarations(options: Riscv64Options) -> tuple[Declaration, ...]:
    """Every symbol the header and the module declare, in printing order."""
    o = options
    csr = CSRS[o.mode]
    decls: list[Declaration] = []
    if o.vector.mode is TvecMode.VECTORED:
        decls.append(Label(o.symbols.vector, f"the vectored {csr.tvec} table ({csr.tvec} = its address | MODE)"))
    if o.trampoline is not None:
        # addresses only: the kernel maps the page and computes their aliases
        decls += [Label(f"{o.symbols.prefix}trampoline"), Label(o.symbols.entry), Label(o.trampoline.userret)]
    else:
        decls.append(Function(o.symbols.entry))
        decls.append(Function(o.symbols.exit, Signature((Param("frame", _frame(o.frame)),), noreturn=True)))
    signature = handler_signature(o.handler, o.frame, csr.cause)
    decls.append(Function(o.handler.symbol, signature))
    d = o.handler.dispatch
    if d is not None:
        decls.append(FunctionTable(d.interrupt_table, d.interrupts, signature))
        decls.append(FunctionTable(d.exception_table, d.exceptions, signature))
    if o.syscall is not None and o.syscall.handler is not None:
        decls.append(Function(o.syscall.handler, Signature((Param("frame", _frame(o.frame)),))))
    if o.kernel_entry is not None:
        k = o.kernel_entry
        decls.append(Function(k.symbol))
        decls.append(Function(k.handler.symbol, handler_signature(k.handler, k.frame, csr.cause)))
    if o.machine_timer is not None:
        mt = o.machine_timer
        comment = (
            f"mtvec = {mt.symbol}; mscratch = a per-hart area of 64-bit words: [0..2] scratch, "
            f"[{mt.mtimecmp_offset // 8}] &mtimecmp, [{mt.interval_offset // 8}] interval"
        )
        decls.append(Function(mt.symbol, comment=comment))
    return tuple(decls)
