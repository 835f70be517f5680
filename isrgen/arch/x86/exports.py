"""What the x86 glue offers the kernel besides the frame: the C header's and Rust module's
constants, the declarations only x86 glue has, the x86 columns of ``isrgen layout`` and
the words the outputs use for x86 things.

The arch-neutral backends loop over these (:class:`isrgen.arch.isa.Isa` members); every
x86 fact they print is written down here or in the module this one cites.
"""

from __future__ import annotations

from isrgen.arch.isa import ExportedConstant, IsaWording, LayoutCell, LayoutColumn, cell
from isrgen.arch.x86.codegen.inline_simd import ALIGN
from isrgen.arch.x86.model import SimdPolicy, X86Spec, X86Vector, percpu_constants
from isrgen.codegen.interface import Array, Function, Role
from isrgen.model.layout import Field, FieldKind

WORDING = IsaWording(
    table="IDT",
    simd_area="SIMD save area (XSAVE/FXSAVE image)",
    table_image_checks="gates: offset, P, type, DPL, IST, selector",
    # a segment register pushed into a wider slot (SDM Vol. 2B PUSH: the upper bytes are not written)
    narrow_value="segment selector",
)

#: the C header's comment on the pad slot of ``pushad``'s block (SDM Vol. 2B PUSHA/PUSHAD:
#: it stores the ESP value from before the instruction; POPA/POPAD skips it)
PUSHAL_PAD_NOTE = "the stack pointer pushad found; popad skips it"

#: XSAVE needs a 64-byte aligned area (SDM Vol. 1 13.4); the entry aligns the frame holding it
SIMD_AREA_ALIGNMENT = ALIGN

#: the per-vector IDT gate attributes ``isrgen layout`` shows, after the handlers
VECTOR_COLUMNS: tuple[LayoutColumn, ...] = (
    LayoutColumn("ist", "ist", numeric=True),
    LayoutColumn("gate", "gate"),
    LayoutColumn("dpl", "dpl", numeric=True),
)


def _sentence(text: str) -> str:
    """``text`` as a Rust doc sentence: capitalised, with a full stop."""
    return f"{text[0].upper()}{text[1:]}."


def exported_constants(spec: X86Spec, word_size: int) -> tuple[ExportedConstant, ...]:
    """The SIMD area's size and XSAVE mask (C only, when an entry saves SIMD state), the
    syscall marker and SYSRET selector base, and the per-CPU offsets, in printing order."""
    out: list[ExportedConstant] = []
    if spec.simd.xsave_mask and any(g.simd is not SimdPolicy.NONE for g in spec.entry_groups):
        out.append(ExportedConstant("SIMD_AREA_SIZE", str(spec.simd.area_size)))
        out.append(ExportedConstant("XSAVE_MASK", f"{spec.simd.xsave_mask:#x}ULL"))
    syscall = spec.syscall
    if syscall is not None:
        marker = syscall.marker % (1 << (word_size * 8))
        out.append(
            ExportedConstant(
                "SYSCALL_MARKER",
                f"((uint64_t){syscall.marker})",
                rust_type=f"u{word_size * 8}",
                rust_value=f"{marker:#x}",
                rust_doc="Vector slot value of frames built by the syscall entry.",
            )
        )
        # SDM Vol. 2B SYSRET: SS = IA32_STAR[63:48] + 8, CS = IA32_STAR[63:48] + 16 (both RPL 3)
        out.append(
            ExportedConstant(
                "STAR_SYSRET_BASE",
                f"{syscall.user_ss - 8:#x}",
                "IA32_STAR bits 63:48: SYSRET loads SS = base + 8, CS = base + 16, RPL 3",
            )
        )
    out += [
        ExportedConstant(c.name, f"{c.value:#x}", c.doc, "u64", f"{c.value:#x}", _sentence(c.doc))
        for c in percpu_constants(spec)
    ]
    return tuple(out)


def interface_functions(spec: X86Spec) -> tuple[Function, ...]:
    """The SYSCALL entry: only its address is of use (the kernel writes it to IA32_LSTAR)."""
    if spec.syscall is None:
        return ()
    return (Function(Role.SYSCALL_ENTRY, spec.syscall.entry, callable=False),)


def interface_arrays(spec: X86Spec) -> tuple[Array, ...]:
    """The gate attributes (two bytes per vector) and, for a paranoid entry that reads the
    GS base from a table, the per-CPU GS bases the kernel fills (as long as it makes it)."""
    arrays = [Array(Role.GATES, spec.symbols.gates, 1, spec.arch.vector_count, spec.table.writable, inner=2)]
    if spec.paranoid_gs.reads_gs_base:
        arrays.append(Array(Role.PERCPU_OFFSETS, spec.paranoid_gs.offsets, 8, 0, True))
    return tuple(arrays)


def slot_note(field: Field, role_note: str) -> str:
    """The pushad block's pad slot's comment, else ``role_note`` (the role's)."""
    if field.block == "pushal" and field.kind is FieldKind.PAD:
        return PUSHAL_PAD_NOTE
    return role_note


def vector_cells(vector: X86Vector, gate: str) -> tuple[LayoutCell, ...]:
    """``vector``'s IST index, gate type and DPL under :data:`VECTOR_COLUMNS`."""
    return (cell(vector.ist), cell(gate), cell(vector.dpl))
