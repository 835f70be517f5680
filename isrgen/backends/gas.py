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


def gas_view(ctx: GenerationContext) -> AsmView:
    """The GAS rendering of ``ctx``'s program (also used inside Rust ``global_asm!``)."""
    syntax = ctx.isa.printer("gas", ctx.program)
    sections = tuple(syntax.section(s) for s in ctx.program.sections)
    prologue = list(ctx.isa.gas_prologue())
    if ctx.spec.debug.cfi and ctx.spec.debug.cfi_sections == "debug_frame":
        # kernels often discard .eh_frame at link time; .debug_frame survives it
        prologue.append("    .cfi_sections .debug_frame")
    return AsmView(
        ctx.banner(),
        f"interrupt stubs, common entry and vector table for {ctx.spec.arch_name}",
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
        return render_template("gas.S.tmpl", view=ctx.shared(gas_view))
