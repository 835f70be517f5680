"""Symbols an ISA package's C header and Rust module both declare, listed once.

An ISA package lists what its glue offers kernel code (the handlers the glue calls, the
exit and entry routines, the addresses of code and tables, tables of handler pointers the
kernel fills) as :class:`Function`, :class:`Label` and :class:`FunctionTable` values in one
tuple; :func:`c_declaration` and :func:`rust_declaration` spell each entry in their
language, so the two outputs cannot declare different names or signatures.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Type:
    """A parameter or return type, as C and Rust spell it (C: ``struct f *``, ``uint64_t``)."""

    c: str
    rust: str


def frame_pointer(c_struct: str, rust_struct: str) -> Type:
    """A pointer to a frame struct: ``struct c_struct *`` and ``*mut RustStruct``."""
    return Type(f"struct {c_struct} *", f"*mut {rust_struct}")


@attrs.frozen
class Param:
    """One named parameter."""

    name: str
    type: Type


@attrs.frozen
class Signature:
    """Parameters and result of a function (``returns`` None: void; ``noreturn``: never returns)."""

    params: tuple[Param, ...] = ()
    returns: Type | None = None
    noreturn: bool = False


@attrs.frozen
class Function:
    """A function (or code entered by a jump, declared with no parameters) of that name."""

    name: str
    signature: Signature = Signature()
    #: printed on the line before the declaration ("" for none)
    comment: str = ""


@attrs.frozen
class Label:
    """Code or data known by its address only (C ``extern char name[];``, Rust a zero-sized byte array)."""

    name: str
    comment: str = ""


@attrs.frozen
class FunctionTable:
    """``count`` constant pointers to functions of ``signature`` (the kernel defines the table)."""

    name: str
    count: int
    signature: Signature
    comment: str = ""


Declaration = Function | Label | FunctionTable


def _c_typed(t: Type, name: str) -> str:
    return f"{t.c}{name}" if t.c.endswith("*") else f"{t.c} {name}"


def _c_function(sig: Signature, declarator: str) -> str:
    noreturn = "__attribute__((noreturn)) " if sig.noreturn else ""
    params = ", ".join(_c_typed(p.type, p.name) for p in sig.params) or "void"
    result = "void " if sig.returns is None else _c_typed(sig.returns, "")
    return f"{noreturn}{result}{declarator}({params});"


def c_declaration(decl: Declaration) -> str:
    """``decl`` as a C declaration (C11, and C++ inside ``extern "C"``)."""
    if isinstance(decl, Label):
        return f"extern char {decl.name}[];"
    if isinstance(decl, FunctionTable):
        # GCC takes no noreturn attribute on a pointer (-Wattributes): the entries are plain
        plain = attrs.evolve(decl.signature, noreturn=False)
        return "extern " + _c_function(plain, f"(*const {decl.name}[{decl.count}])")
    return _c_function(decl.signature, decl.name)


def c_declarations(decls: tuple[Declaration, ...]) -> list[str]:
    """The header's lines for ``decls``: each comment as a C comment line, then the declaration."""
    lines: list[str] = []
    for d in decls:
        if d.comment:
            lines.append(f"/* {d.comment} */")
        lines.append(c_declaration(d))
    return lines


def _rust_fn_type(sig: Signature) -> str:
    params = ", ".join(f"{p.name}: {p.type.rust}" for p in sig.params)
    result = " -> !" if sig.noreturn else ("" if sig.returns is None else f" -> {sig.returns.rust}")
    return f"({params}){result}"


def rust_declaration(decl: Declaration) -> str:
    """``decl`` as an item of an ``unsafe extern "C"`` block."""
    if isinstance(decl, Label):
        # an address only, like C's incomplete char array: take it with &raw const
        return f"pub static {decl.name}: [u8; 0];"
    if isinstance(decl, FunctionTable):
        return f'pub static {decl.name}: [unsafe extern "C" fn{_rust_fn_type(decl.signature)}; {decl.count}];'
    return f"pub fn {decl.name}{_rust_fn_type(decl.signature)};"


def rust_extern_block(decls: tuple[Declaration, ...]) -> list[str]:
    """An ``unsafe extern "C"`` block declaring ``decls`` (comments as doc lines); none when empty."""
    if not decls:
        return []
    lines = ["#[allow(non_upper_case_globals)]", 'unsafe extern "C" {']
    for d in decls:
        if d.comment:
            lines.append(f"    /// {d.comment}")
        lines.append(f"    {rust_declaration(d)}")
    return [*lines, "}"]
