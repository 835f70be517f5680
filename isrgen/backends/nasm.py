"""NASM backend (x86 only): the same program as the GAS backend, spelled for NASM
(``nasm -f elf64`` for x86_64, ``nasm -f elf32`` for i386)."""

from __future__ import annotations

from typing import ClassVar

import attrs

from isrgen.arch.isa import Isa, SectionText
from isrgen.backends.base import GenerationContext, render_template
from isrgen.backends.gas import glue_description


@attrs.frozen
class NasmView:
    """What the NASM template reads."""

    banner: str
    description: str
    bits: int
    externs: tuple[str, ...]
    sections: tuple[SectionText, ...]
    note: SectionText


def nasm_view(ctx: GenerationContext, parts: tuple[str, ...] = ()) -> NasmView:
    """The NASM rendering of ``ctx``'s program, or of the ``parts`` of it one file holds
    (symbols it uses from the other files are declared ``extern``)."""
    program = ctx.isa.part_file_program(ctx.program, parts) if parts else ctx.program
    syntax = ctx.isa.printer("nasm", program)
    return NasmView(
        banner=ctx.banner(),
        description=glue_description(ctx.spec.arch_name, parts),
        bits=program.bits,
        externs=program.externs,
        sections=tuple(syntax.section(s) for s in program.sections),
        note=syntax.note_gnu_stack(),
    )


class NasmBackend:
    """Stubs, entries, exit and tables for NASM (x86 only: the ISAs whose dialects include ``nasm``)."""

    name: ClassVar[str] = "nasm"
    description: ClassVar[str] = "x86 only: NASM assembly (.asm; nasm -f elf64 or -f elf32)"
    default_filename: ClassVar[str] = "isr.asm"

    def supports(self, isa: Isa) -> bool:
        """Whether the ISA has a NASM dialect."""
        return "nasm" in isa.dialects

    def render(self, ctx: GenerationContext, filename: str) -> str:
        return render_template("nasm.asm.tmpl", view=nasm_view(ctx, ctx.spec.parts_in(self.name, filename)))
