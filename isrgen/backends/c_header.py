"""C header backend: frame struct, offsets, vector numbers, table and the ISA's table-install helper."""

from __future__ import annotations

import re
from typing import ClassVar

import attrs

from isrgen.arch.isa import TableHelper
from isrgen.backends.base import GenerationContext, render_template
from isrgen.codegen.interface import Interface, Param, ParamKind, Returns
from isrgen.model.layout import FieldKind
from isrgen.model.narrow import members


@attrs.frozen
class CField:
    """One struct member."""

    ctype: str
    name: str
    offset: int
    size: int
    comment: str
    #: array dimension (``[2]``) for padding wider than one word
    suffix: str = ""

    @property
    def trailer(self) -> str:
        """What the line ends with after the ``;``: the comment, or nothing."""
        return _comment(self.comment)


@attrs.frozen
class CConstant:
    """A ``#define NAME VALUE``."""

    name: str
    value: str
    #: printed after the value as a C comment ("" for none)
    comment: str = ""

    @property
    def trailer(self) -> str:
        """What the line ends with after the value: the comment, or nothing."""
        return _comment(self.comment)


@attrs.frozen
class CTableHelperStruct:
    """The ISA's table-install helper struct (the header prints it once, or not at all)."""

    struct: str
    comment: str
    fields: tuple[CField, ...]
    size: int
    #: the message of the static assertion on its size
    size_message: str


@attrs.frozen
class CHeaderView:
    """Everything the C header template prints."""

    banner: str
    guard: str
    struct: str
    fields: tuple[CField, ...]
    frame_size: int
    constants: tuple[CConstant, ...]
    vector_constants: tuple[CConstant, ...]
    declarations: tuple[str, ...]
    #: the table-install helper's struct: one, or none when the ISA has no helper
    gate_structs: tuple[CTableHelperStruct, ...]
    #: the table-install helper's source lines (none when the table is local: C cannot see it)
    table_fill_lines: tuple[str, ...]
    table: str
    gates: str
    vector_count_macro: str
    #: macros that spell C11's _Static_assert and _Noreturn, or C++'s static_assert and [[noreturn]]
    static_assert_macro: str
    noreturn_macro: str
    #: the macro spelling C11's _Alignas / C++'s alignas: one, or none when no member needs it
    alignas_macros: tuple[str, ...] = ()


def _comment(text: str) -> str:
    """``text`` as a C comment that ends a line (two spaces before it), or "" for no text."""
    return f"  /* {text} */" if text else ""


def _macro(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text).upper()


def _c_param(param: Param, struct: str, uint: str) -> str:
    return {
        ParamKind.FRAME_POINTER: f"{struct} *{param.name}",
        ParamKind.FRAME_VALUE: f"{struct} {param.name}",
        ParamKind.WORD: f"{uint} {param.name}",
        ParamKind.U64: f"uint64_t {param.name}",
    }[param.kind]


def c_declarations(interface: Interface, struct: str, uint: str, mp: str) -> list[str]:
    """The header's prototypes and ``extern`` arrays for ``interface`` (``mp``: the macro prefix)."""
    returns = {Returns.NOTHING: "void ", Returns.FRAME: f"{struct} *", Returns.NEVER: f"{mp}NORETURN void "}
    decls = []
    for f in interface.functions:
        if not f.callable:  # only its address is of use
            decls.append(f"void {f.name}(void);")
            continue
        params = ", ".join(_c_param(p, struct, uint) for p in f.params) or "void"
        decls.append(f"{returns[f.returns]}{f.name}({params});")
    for a in interface.arrays:
        const = "" if a.writable else "const "
        if a.inner:
            decls.append(f"extern {const}uint8_t {a.name}[{mp}VECTOR_COUNT][{a.inner}];")
        elif not a.count:  # as long as the kernel makes it
            decls.append(f"extern {const}uint{a.entry_bytes * 8}_t {a.name}[];")
        else:
            decls.append(f"extern {const}uint{a.entry_bytes * 8}_t {a.name}[{mp}VECTOR_COUNT];")
    return decls


def c_header_view(ctx: GenerationContext, filename: str) -> CHeaderView:
    """Derive the C header's contents from the model."""
    spec, layout, isa = ctx.spec, ctx.layout, ctx.isa
    mp = _macro(spec.symbols.prefix)
    uint = f"uint{layout.word_size * 8}_t"
    fields: list[CField] = []
    simd_inline = False
    for f in layout.fields:
        comment = isa.slot_note(f) or ("padding" if f.kind is FieldKind.PAD else "")
        if f.ring_change_only:
            comment = "pushed by the CPU only when the interrupt came from another privilege level"
        if f.kind is FieldKind.SIMD_STATE:
            # the entry aligns the frame so that the area in it has the alignment the ISA needs
            simd_inline = True
            ctype = f"{mp}ALIGNAS({isa.simd_area_alignment}) uint8_t"
            fields.append(CField(ctype, f.name, f.offset, f.size, isa.wording.simd_area, f"[{f.size}]"))
        elif f.narrow is not None:
            # the kernel's declaration: the value, then its named padding (same slot)
            for m in members(f.name, f.offset, f.narrow):
                size = m.bits // 8 * m.count
                suffix = f"[{m.count}]" if m.count > 1 else ""
                note = "" if m.padding else comment or isa.wording.narrow_value
                fields.append(CField(f"uint{m.bits}_t", m.name, m.offset, size, note, suffix))
        elif f.value_size and f.value_size < f.size:
            # a value narrower than its slot: the bytes above it are not written
            note = isa.wording.narrow_value
            fields.append(CField(f"uint{f.value_size * 8}_t", f.name, f.offset, f.value_size, note))
            rest = f.size - f.value_size
            fields.append(CField(f"uint{rest * 8}_t", f"_{f.name}_pad", f.offset + f.value_size, rest, ""))
        elif f.size > layout.word_size:
            words = f.size // layout.word_size
            fields.append(CField(uint, f.name, f.offset, f.size, comment, f"[{words}]"))
        else:
            fields.append(CField(uint, f.name, f.offset, f.size, comment))
    struct = f"struct {spec.frame.struct_name}"
    constants = [
        CConstant(f"{mp}VECTOR_COUNT", str(spec.arch.vector_count)),
        CConstant(f"{mp}FRAME_SIZE", str(layout.size)),
        CConstant(f"{mp}SYNTHETIC_ERROR_CODE", str(spec.frame.synthetic_error_code)),
    ]
    constants += [CConstant(f"{mp}FRAME_OFFSET_{_macro(f.name)}", str(f.offset)) for f in layout.fields]
    helper = ctx.table_helper
    if helper is not None:
        constants += [CConstant(name, value) for name, value in helper.c_constants]
    vector_constants = tuple(CConstant(f"{mp}{c.name}", str(c.number)) for c in ctx.interface.vectors)
    constants += [CConstant(f"{mp}{c.name}", c.c_value, c.c_comment) for c in isa.exported_constants(spec) if c.c_value]
    decls = c_declarations(ctx.interface, struct, uint, mp)
    return CHeaderView(
        banner=ctx.banner(),
        guard=f"ISRGEN_{_macro(filename)}_",
        struct=struct,
        fields=tuple(fields),
        frame_size=layout.size,
        constants=tuple(constants),
        vector_constants=vector_constants,
        declarations=tuple(decls),
        gate_structs=_helper_structs(helper, f"isrgen: {isa.wording.table} gate size"),
        table_fill_lines=helper.c_fill if helper else (),
        table=spec.symbols.table,
        gates=spec.symbols.gates,
        vector_count_macro=f"{mp}VECTOR_COUNT",
        static_assert_macro=f"{mp}STATIC_ASSERT",
        noreturn_macro=f"{mp}NORETURN",
        alignas_macros=(f"{mp}ALIGNAS",) if simd_inline else (),
    )


def _helper_structs(helper: TableHelper | None, size_message: str) -> tuple[CTableHelperStruct, ...]:
    if helper is None:
        return ()
    fields = tuple(CField(f.ctype, f.name, f.offset, f.size, f.c_comment) for f in helper.fields)
    return (CTableHelperStruct(f"struct {helper.struct}", helper.c_comment, fields, helper.size, size_message),)


class CHeaderBackend:
    """A C header matching the generated assembly."""

    name: ClassVar[str] = "c"
    description: ClassVar[str] = "C header (frame struct, offsets, vectors, table, table-install helper)"
    default_filename: ClassVar[str] = "isr.h"

    def render(self, ctx: GenerationContext, filename: str) -> str:
        return render_template("c_header.h.tmpl", view=c_header_view(ctx, filename))
