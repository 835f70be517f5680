"""What an aarch64 glue offers kernel code, listed once: the C header (:mod:`.cview`) and the
Rust module (:mod:`.rustview`) both print these declarations, each in its own syntax.

A symbol the spec keeps local (``symbols.visibility``) is declared by neither: nothing
outside the object can link to it.
"""

from __future__ import annotations

import attrs

from ...codegen.declarations import Declaration, Function, Label, Param, Signature, Type, frame_pointer
from ...spec.identifiers import rust_type_name
from .options import Aarch64Spec, Arg, Handler, Returns, Visibility

#: AAPCS64 passes each argument in a 64-bit register (x0, x1, x2)
_U64 = Type("uint64_t", "u64")


def _frame(spec: Aarch64Spec) -> Type:
    struct = spec.frame.struct_name
    return frame_pointer(struct, rust_type_name(struct))


def _handler(spec: Aarch64Spec, handler: Handler) -> Function:
    params = tuple(Param("frame", _frame(spec)) if a is Arg.FRAME else Param(str(a), _U64) for a in handler.args)
    returns = _frame(spec) if handler.returns is Returns.FRAME else None
    return Function(handler.symbol, Signature(params, returns, noreturn=handler.returns is Returns.NORETURN))


def declarations(spec: Aarch64Spec) -> tuple[Declaration, ...]:
    """Every symbol the header and the module declare, in printing order."""
    sym = spec.symbols
    decls: list[Declaration] = []
    if sym.table_visibility is Visibility.GLOBAL:
        decls.append(Label(sym.table, "the VBAR_EL1 table: 2 KiB aligned, 16 slots of 0x80 bytes (Arm ARM D1.10.2)"))
    if sym.exit_visibility is Visibility.GLOBAL:
        decls.append(Function(sym.exit, Signature((Param("frame", _frame(spec)),), noreturn=True)))
    if sym.exit_sp is not None:
        comment = "the exit entered by a branch with sp at the frame: not callable, its address only"
        decls.append(Function(sym.exit_sp, Signature(noreturn=True), comment))
    decls.append(Function(sym.halt, Signature(noreturn=True)))
    if sym.entry_visibility is Visibility.GLOBAL:
        comment = "the per-slot entries, reached from the table by a branch: their addresses only"
        names = dict.fromkeys(sym.entry_symbol(r.slot) for r in spec.routes)
        decls += [Function(n, comment=comment if i == 0 else "") for i, n in enumerate(names)]
    for i, handler in enumerate(spec.handlers):
        function = _handler(spec, handler)
        if i == 0:
            function = attrs.evolve(function, comment="handlers the kernel defines (AAPCS64: x0, x1, x2)")
        decls.append(function)
    return tuple(decls)


def table_declared(spec: Aarch64Spec) -> bool:
    """Whether C and Rust can name the vector table (to install it in VBAR_EL1)."""
    return spec.symbols.table_visibility is Visibility.GLOBAL
