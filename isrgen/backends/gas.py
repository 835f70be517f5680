"""GNU as backend: a ``.S`` file (the ISA's GAS printer) with explicit section flags."""

from __future__ import annotations

from typing import ClassVar

import attrs

from isrgen.arch.isa import SectionText
from isrgen.backends.base import GenerationContext, render_template


@attrs.frozen
class AsmView:
    """What an assembly template reads: a banner and the rendered sections."""

    banner: str
    description: str
    sections: tuple[SectionText, ...]
    note: SectionText
    #: directives before the first section (GAS file only, never inside Rust's global_asm!)
    prologue: tuple[str, ...] = ()


def glue_description(arch: str, parts: tuple[str, ...]) -> str:
    """The description line of an assembly file holding ``parts`` (empty: all of the glue)."""
    if not parts:
        return f"interrupt stubs, common entry and vector table for {arch}"
    return f"interrupt glue for {arch}, parts in this file: {', '.join(parts)}"


def gas_view(ctx: GenerationContext, parts: tuple[str, ...] = ()) -> AsmView:
    """The GAS rendering of ``ctx``'s program (also used inside Rust ``global_asm!``), or of
    the ``parts`` of it one file holds."""
    program = ctx.isa.part_file_program(ctx.program, parts) if parts else ctx.program
    syntax = ctx.isa.printer("gas", program)
    sections = tuple(syntax.section(s) for s in program.sections)
    prologue = list(ctx.isa.gas_prologue())
    if ctx.spec.debug.cfi and ctx.spec.debug.cfi_sections == "debug_frame":
        # kernels often discard .eh_frame at link time; .debug_frame survives it
        prologue.append("    .cfi_sections .debug_frame")
    return AsmView(
        ctx.banner(),
        glue_description(ctx.spec.arch_name, parts),
        sections,
        syntax.note_gnu_stack(),
        tuple(prologue),
    )


class GasBackend:
    """Stubs, entries, exit and tables for the ISA's GNU as (or ``gcc -c``)."""

    name: ClassVar[str] = "gas"
    description: ClassVar[str] = "GNU as assembly (.S; on x86 in Intel syntax)"
    default_filename: ClassVar[str] = "isr.S"

    def render(self, ctx: GenerationContext, filename: str) -> str:
        parts = ctx.spec.parts_in(self.name, filename)
        view = gas_view(ctx, parts) if parts else ctx.shared(gas_view)
        return render_template("gas.S.tmpl", view=view)
