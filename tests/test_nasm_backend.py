"""The NASM backend: golden file, section flags down to the linked segments, PadTo
overflow as an assembly error, names reserved in NASM rejected at load time."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, isrgen_cmd, load_x86, loads_x86, require_tool, run

import isrgen
from isrgen.arch.x86.syntax import NasmSyntax
from isrgen.codegen.ir import Insn, Label, PadTo, Reg, Section, SectionKind, Visibility
from isrgen.proof import toolchain
from isrgen.proof.elf import read_elf


def test_linked_stubs_are_in_an_executable_segment_and_the_table_is_not(tmp_path: Path) -> None:
    require_tool("nasm", "ld")
    spec = load_x86(DEFAULT_SPEC)
    (asm,) = isrgen.build(spec, tmp_path, ["nasm"])
    handler = tmp_path / "handler.asm"
    handler.write_text(
        "bits 64\nsection .text\nglobal isr_dispatch\nisr_dispatch:\n    ret\n"
        "section .note.GNU-stack noalloc noexec nowrite progbits\n"
    )
    objs = [toolchain.object_for("nasm", asm), toolchain.assemble_nasm(handler)]
    exe = tmp_path / "isr.elf"
    run(["ld", "-static", "--fatal-warnings", "-e", "isr_stub_0", "-o", str(exe), *map(str, objs)])
    elf = read_elf(exe)
    for v in spec.vectors:
        seg = elf.segment_for(elf.symbol(v.stub_symbol).value)
        assert seg is not None and seg.executable and not seg.writable, v.stub_symbol
    table = elf.segment_for(elf.symbol(spec.symbols.table).value)
    assert table is not None and not table.executable and not table.writable


def test_pad_to_that_does_not_fit_fails_to_assemble(tmp_path: Path) -> None:
    require_tool("nasm")
    syntax = NasmSyntax(set(), set())

    def source(size: int) -> str:
        items = (Label("s", Visibility.GLOBAL), Insn("push", (Reg("rax"),)), Insn("push", (Reg("rbx"),)))
        section = syntax.section(Section(".text.t", SectionKind.CODE, 16, (*items, PadTo("s", size))))
        return "\n".join(["bits 64", section.open, *section.lines]) + "\n"

    fits = tmp_path / "fits.asm"
    fits.write_text(source(8))
    obj = read_elf(toolchain.assemble_nasm(fits))
    assert obj.contents[".text.t"] == bytes([0x50, 0x53] + [0xCC] * 6)
    too_small = tmp_path / "too_small.asm"
    too_small.write_text(source(1))
    with pytest.raises(toolchain.ToolError):
        toolchain.assemble_nasm(too_small)


NASM_RESERVED = """\
isrgen: 1
arch: x86_64
handler:
  symbol: {handler}
vectors:
  - {{vector: 0, name: {name}}}
"""


@pytest.mark.parametrize(
    ("handler", "name", "col", "fragment"),
    [
        ("times", "divide_error", 11, "'times' is a NASM keyword"),
        ("resq", "divide_error", 11, "'resq' is a NASM keyword"),
        ("incbin", "divide_error", 11, "'incbin' is a NASM keyword"),
    ],
)
def test_nasm_keywords_are_rejected_at_load_with_location(handler: str, name: str, col: int, fragment: str) -> None:
    text = NASM_RESERVED.format(handler=handler, name=name)
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "nasm_reserved.yaml")
    lines = [d for d in info.value.diagnostics if fragment in d.message]
    assert lines, [d.headline() for d in info.value.diagnostics]
    line = 4 if handler != "isr_dispatch" else 6
    assert (lines[0].source.file, lines[0].source.line, lines[0].source.col) == ("nasm_reserved.yaml", line, col)


def test_cli_reports_a_nasm_keyword_with_file_line_col(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(textwrap.dedent(NASM_RESERVED.format(handler="times", name="divide_error")))
    proc = run(isrgen_cmd("check-spec", str(spec)), check=False)
    assert proc.returncode == 1
    assert f"{spec}:4:11: error: " in proc.stderr and "NASM keyword" in proc.stderr
    assert "Traceback" not in proc.stderr
