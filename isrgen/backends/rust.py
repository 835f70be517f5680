"""Rust backend: the stubs in ``global_asm!``, a ``#[repr(C)]`` frame struct, constants, externs.

The assembly is the GAS backend's text without its prologue, unchanged except for
quoting; the ISA says which ``options(...)`` ``global_asm!`` needs for it (x86:
none, rustc's default Intel syntax is what isrgen writes).  Every section is opened with
``.pushsection`` and closed with ``.popsection``, so the block leaves the
assembler's section state as it found it (Rust Reference, inline assembly
rules; rust-lang/rust#138247).
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from isrgen.arch.isa import Isa, RustAccessor
from isrgen.backends.base import GenerationContext, render_template
from isrgen.backends.gas import gas_view
from isrgen.codegen.interface import Interface, ParamKind, Returns
from isrgen.model.layout import Field, FieldKind
from isrgen.model.narrow import members
from isrgen.spec.identifiers import rust_type_name


@attrs.frozen
class RustField:
    """One struct field with its offset (checked at compile time)."""

    name: str
    rtype: str
    offset: int
    doc: str


@attrs.frozen
class RustConst:
    """A ``pub const NAME: TYPE = VALUE;``."""

    name: str
    rtype: str
    value: str
    doc: str = ""


@attrs.frozen
class RustMethod:
    """An accessor on the frame struct: doc line, signature, body expression."""

    doc: str
    signature: str
    body: str


@attrs.frozen
class RustView:
    """Everything the Rust template prints."""

    banner: str
    struct: str
    fields: tuple[RustField, ...]
    frame_size: int
    methods: tuple[RustMethod, ...]
    constants: tuple[RustConst, ...]
    vector_constants: tuple[RustConst, ...]
    functions: tuple[str, ...]
    statics: tuple[str, ...]
    asm_lines: tuple[str, ...]
    #: what the header says about the assembly, and ``global_asm!``'s options (from the ISA)
    asm_note: tuple[str, ...]
    #: the ``options(...)`` line ending ``global_asm!``: one, or none when the ISA needs none
    asm_options: tuple[str, ...]
    #: the ISA's table-install helper: one, or none when the ISA has no helper
    gates: tuple[RustTableHelper, ...]
    #: the frame struct's representation: "C", or "C, align(64)" with a SIMD area inside
    repr: str = "C"


@attrs.frozen
class RustTableHelper:
    """The ISA's table-install helper: a struct and the function that fills it from the generated table."""

    struct: str
    doc: str
    fields: tuple[RustField, ...]
    size: int
    #: the fill function: one, or none when the table is local (nothing outside the assembly sees it)
    fills: tuple[RustFill, ...]


@attrs.frozen
class RustFill:
    """The function that fills the helper's table from the generated one."""

    #: complete doc-comment lines (``/// text``, or ``///`` for a blank line)
    doc: tuple[str, ...]
    signature: str
    setup: tuple[str, ...]
    lines: tuple[str, ...]


def rust_string(text: str) -> str:
    """``text`` as a Rust string literal that ``global_asm!`` reads back unchanged."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")
    return f'"{escaped}"'


def _field_doc(ctx: GenerationContext, field: Field) -> str:
    if field.kind is FieldKind.PAD:
        return "padding"
    # keyed on the slot's role, as the C header is: a renamed field still says what it holds
    if field.kind is FieldKind.GPR:
        return f"{field.role}, saved by the common entry"
    return ctx.isa.field_note(field.role) or field.role


def _asm_lines(ctx: GenerationContext) -> tuple[str, ...]:
    view = ctx.shared(gas_view)
    lines: list[str] = []
    for section in (*view.sections, view.note):
        lines += [section.open, *section.lines, section.close]
    # one escape over the whole text (lines hold no newline), then one literal per line
    escaped = rust_string("\n".join(lines))[1:-1].split("\n")
    return tuple(f'"{line}"' for line in escaped)


def _methods(ctx: GenerationContext, word: str) -> tuple[RustMethod, ...]:
    """The frame struct's accessors, each present only when a slot holds its role (never
    found by a field's name: ``{rax: vector}`` is rax, and gets no ``vector()``)."""
    accessors = [
        RustAccessor("vector", "The vector number the stub pushed.", "vector(&self) -> u8", "self.{field} as u8"),
        RustAccessor(
            "error_code",
            "The CPU's error code, or the synthetic value on vectors without one.",
            f"error_code(&self) -> {word}",
            "self.{field}",
        ),
        *(ctx.isa.rust.accessors if ctx.isa.rust else ()),
    ]
    layout = ctx.layout
    return tuple(
        RustMethod(a.doc, a.signature, a.body.format(field=layout.field(a.role).name))
        for a in accessors
        if layout.has(a.role)
    )


def _doc_line(text: str) -> str:
    return f"/// {text}" if text else "///"


def _table_helpers(ctx: GenerationContext) -> tuple[RustTableHelper, ...]:
    helper = ctx.table_helper
    if helper is None:
        return ()
    fills: tuple[RustFill, ...] = ()
    if helper.rust_fill_signature:
        doc = tuple(_doc_line(line) for line in helper.rust_fill_doc)
        fills = (RustFill(doc, helper.rust_fill_signature, helper.rust_fill_setup, helper.rust_fill_body),)
    return (
        RustTableHelper(
            struct=rust_type_name(helper.struct),
            doc=helper.rust_comment,
            fields=tuple(RustField(f.name, f.rtype, f.offset, f.rust_doc) for f in helper.fields),
            size=helper.size,
            fills=fills,
        ),
    )


def rust_declarations(interface: Interface, struct: str, word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The module's ``extern "C"`` functions and statics for ``interface``."""
    ptr = f"*mut {struct}"
    kinds = {ParamKind.FRAME_POINTER: ptr, ParamKind.FRAME_VALUE: ptr, ParamKind.WORD: word, ParamKind.U64: "u64"}
    returns = {Returns.NOTHING: "", Returns.FRAME: f" -> {ptr}", Returns.NEVER: " -> !"}
    functions = tuple(
        f"pub fn {f.name}({', '.join(f'{p.name}: {kinds[p.kind]}' for p in f.params)}){returns[f.returns]};"
        for f in interface.functions
    )
    statics = tuple(
        f"pub static {a.name}: [[u8; {a.inner}]; {a.count}];"
        if a.inner
        else f"pub static {a.name}: [u{a.entry_bytes * 8}; {a.count}];"
        for a in interface.arrays
    )
    return functions, statics


def rust_view(ctx: GenerationContext) -> RustView:
    """Derive the Rust module's contents from the model."""
    spec, layout, isa = ctx.spec, ctx.layout, ctx.isa
    word = f"u{layout.word_size * 8}"
    struct = rust_type_name(spec.frame.struct_name)
    fields: list[RustField] = []
    # the frame struct carries the alignment the SIMD area in it needs
    repr = "C"
    for f in layout.fields:
        if f.kind is FieldKind.SIMD_STATE:
            repr = f"C, align({isa.simd_area_alignment})"
            fields.append(RustField(f.name, f"[u8; {f.size}]", f.offset, f"{isa.wording.simd_area}."))
            continue
        if f.narrow is None:
            rtype = word if f.size <= layout.word_size else f"[{word}; {f.size // layout.word_size}]"
            fields.append(RustField(f.name, rtype, f.offset, _field_doc(ctx, f)))
            continue
        # the kernel's declaration: the value, then its named padding (same slot)
        for m in members(f.name, f.offset, f.narrow):
            rtype = f"u{m.bits}" if m.count == 1 else f"[u{m.bits}; {m.count}]"
            doc = f"padding of {f.name}" if m.padding else _field_doc(ctx, f)
            fields.append(RustField(m.name, rtype, m.offset, doc))
    synthetic = spec.frame.synthetic_error_code % (1 << (layout.word_size * 8))
    constants = [
        RustConst("VECTOR_COUNT", "usize", str(spec.arch.vector_count), f"Number of {isa.wording.table} vectors."),
        RustConst("FRAME_SIZE", "usize", str(layout.size), f"Size of [`{struct}`] in bytes."),
        RustConst(
            "SYNTHETIC_ERROR_CODE",
            word,
            f"{synthetic:#x}",
            "Error code the stubs store on vectors where the CPU pushes none.",
        ),
    ]
    constants += [
        RustConst(c.name, c.rust_type, c.rust_value, c.rust_doc) for c in isa.exported_constants(spec) if c.rust_type
    ]
    vector_constants = tuple(RustConst(c.name, "u8", str(c.number)) for c in ctx.interface.vectors)
    functions, statics = rust_declarations(ctx.interface, struct, word)
    return RustView(
        banner=ctx.banner(),
        struct=struct,
        fields=tuple(fields),
        frame_size=layout.size,
        methods=_methods(ctx, word),
        constants=tuple(constants),
        vector_constants=vector_constants,
        functions=functions,
        statics=statics,
        asm_lines=_asm_lines(ctx),
        asm_note=ctx.isa.rust.asm_note if ctx.isa.rust else (),
        asm_options=(ctx.isa.rust.asm_options,) if ctx.isa.rust and ctx.isa.rust.asm_options else (),
        gates=_table_helpers(ctx),
        repr=repr,
    )


class RustBackend:
    """A Rust module: ``global_asm!`` stubs plus the matching frame struct and declarations."""

    name: ClassVar[str] = "rust"
    description: ClassVar[str] = "Rust module (global_asm! stubs, #[repr(C)] frame struct, externs)"
    default_filename: ClassVar[str] = "isr.rs"

    def supports(self, isa: Isa) -> bool:
        """Whether this backend generates for ``isa``."""
        return isa.rust is not None

    def render(self, ctx: GenerationContext, filename: str) -> str:
        return render_template("rust.rs.tmpl", view=rust_view(ctx))
