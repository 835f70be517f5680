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

from isrgen.arch.isa import Isa
from isrgen.backends.base import GenerationContext, render_template
from isrgen.backends.gas import gas_view
from isrgen.model.layout import Field, FieldKind
from isrgen.model.spec import ExitFrame, ReturnModel, SymbolVisibility, percpu_constants
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
    asm_options: str
    gate: RustTableHelper | None


@attrs.frozen
class RustTableHelper:
    """The ISA's table-install helper: a struct and the function that fills it from the generated table."""

    struct: str
    doc: str
    fields: tuple[RustField, ...]
    size: int
    #: the fill function's doc lines, signature and statements ("" signature: the table is local)
    fill_doc: tuple[str, ...]
    fill_signature: str
    fill_setup: tuple[str, ...]
    fill_lines: tuple[str, ...]


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
    return tuple(rust_string(line) for line in lines)


def _methods(ctx: GenerationContext, word: str) -> tuple[RustMethod, ...]:
    layout = ctx.layout
    methods = []
    if layout.has("vector"):
        vector = layout.field("vector").name
        methods.append(RustMethod("The vector number the stub pushed.", "vector(&self) -> u8", f"self.{vector} as u8"))
    if layout.has("error_code"):
        methods.append(
            RustMethod(
                "The CPU's error code, or the synthetic value on vectors without one.",
                f"error_code(&self) -> {word}",
                f"self.{layout.field('error_code').name}",
            )
        )
    if layout.has("cs"):
        cs = layout.field("cs").name
        methods.append(
            RustMethod(
                "Privilege level of the interrupted code (CS & 3; SDM Vol. 3A 5.5).",
                "privilege_level(&self) -> u8",
                f"(self.{cs} & 3) as u8",
            )
        )
        methods.append(
            RustMethod("Whether the interrupted code ran in ring 3.", "from_user(&self) -> bool", f"self.{cs} & 3 == 3")
        )
    return tuple(methods)


def _table_helper(ctx: GenerationContext) -> RustTableHelper | None:
    helper = ctx.isa.table_helper(ctx.spec)
    if helper is None:
        return None
    return RustTableHelper(
        struct=rust_type_name(helper.struct),
        doc=helper.rust_comment,
        fields=tuple(RustField(f.name, f.rtype, f.offset, f.rust_doc) for f in helper.fields),
        size=helper.size,
        fill_doc=helper.rust_fill_doc,
        fill_signature=helper.rust_fill_signature,
        fill_setup=helper.rust_fill_setup,
        fill_lines=helper.rust_fill_body,
    )


def rust_view(ctx: GenerationContext) -> RustView:
    """Derive the Rust module's contents from the model."""
    spec, layout = ctx.spec, ctx.layout
    word = f"u{layout.word_size * 8}"
    struct = rust_type_name(spec.frame.struct_name)
    fields = tuple(
        RustField(
            f.name,
            word if f.size <= layout.word_size else f"[{word}; {f.size // layout.word_size}]",
            f.offset,
            _field_doc(ctx, f),
        )
        for f in layout.fields
    )
    synthetic = spec.frame.synthetic_error_code % (1 << (layout.word_size * 8))
    constants = [
        RustConst("VECTOR_COUNT", "usize", str(spec.arch.vector_count), "Number of IDT vectors."),
        RustConst("FRAME_SIZE", "usize", str(layout.size), f"Size of [`{struct}`] in bytes."),
        RustConst(
            "SYNTHETIC_ERROR_CODE",
            word,
            f"{synthetic:#x}",
            "Error code the stubs store on vectors where the CPU pushes none.",
        ),
    ]
    if spec.syscall is not None:
        marker = spec.syscall.marker % (1 << (layout.word_size * 8))
        constants.append(
            RustConst("SYSCALL_MARKER", word, f"{marker:#x}", "Vector slot value of frames built by the syscall entry.")
        )
    constants += [
        RustConst(c.name, "u64", f"{c.value:#x}", f"{c.doc[0].upper()}{c.doc[1:]}.") for c in percpu_constants(spec)
    ]
    vector_constants = tuple(RustConst(f"VEC_{v.name.upper()}", "u8", str(v.number)) for v in spec.vectors)
    ptr = f"*mut {struct}"
    ret = {ReturnModel.VOID: "", ReturnModel.FRAME: f" -> {ptr}", ReturnModel.NORETURN: " -> !"}[spec.handler.returns]
    extra = "".join(f", {arg}: {word}" for arg in spec.handler.args[1:])
    functions = [f"pub fn {h}(frame: {ptr}{extra}){ret};" for h in spec.handlers]
    # local (non-exported) symbols get no declaration: nothing outside the object can use them
    vis = spec.symbols.visibility
    if vis.exit is SymbolVisibility.GLOBAL:
        # exit_frame: stack is entered with the stack pointer at the frame (by `ret`), no argument
        exit_args = "" if spec.entry.exit_frame is ExitFrame.STACK else f"frame: {ptr}"
        if spec.entry.exit_loads_cr3 and exit_args:
            exit_args += ", page_table_root: u64"
        functions.append(f"pub fn {spec.symbols.exit}({exit_args}) -> !;")
    functions.append(f"pub fn {spec.entry.halt}() -> !;")
    if spec.syscall is not None:
        functions.append(f"pub fn {spec.syscall.entry}();")
    if vis.entry is SymbolVisibility.GLOBAL:
        functions += [f"pub fn {g.symbol}();" for g in ctx.groups]
    if vis.stubs is SymbolVisibility.GLOBAL:
        functions += [f"pub fn {v.stub_symbol}();" for v in spec.vectors]
    count = spec.arch.vector_count
    statics: tuple[str, ...] = (
        f"pub static {spec.symbols.table}: [u{spec.table_width * 8}; {count}];",
        f"pub static {spec.symbols.gates}: [[u8; 2]; {count}];",
    )
    if spec.paranoid_gs.reads_gs_base:
        # each CPU's GS base, indexed by CPU number (its length is the kernel's)
        statics += (f"pub static {spec.paranoid_gs.offsets}: [u64; 0];",)
    return RustView(
        banner=ctx.banner(),
        struct=struct,
        fields=fields,
        frame_size=layout.size,
        methods=_methods(ctx, word),
        constants=tuple(constants),
        vector_constants=vector_constants,
        functions=tuple(functions),
        statics=statics,
        asm_lines=_asm_lines(ctx),
        asm_note=ctx.isa.rust.asm_note if ctx.isa.rust else (),
        asm_options=ctx.isa.rust.asm_options if ctx.isa.rust else "",
        gate=_table_helper(ctx),
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
