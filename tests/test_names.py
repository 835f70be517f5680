"""A name the spec gives is either refused where it is written, or every tool accepts every
output that uses it (GNU as, llvm-mc, NASM, gcc/g++ in C11, GNU11 and C++17, rustc)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import loads_x86, require_tool
from every_tool import tool_failures

import isrgen

SPEC = """\
isrgen: 1
arch: {arch}
handler:
  symbol: {handler}
{convention}vectors:
  - {{vector: 0, name: {v0}}}
  - {{vector: 1, name: {v1}}}
  - {{vector: 3, name: {v3}}}
  - {{vector: 12, name: {v12}}}
  - {{range: [32, 33], name: "irq_{{n}}", class: irq}}
{extra}"""

TOOLS = ("as", "llvm-mc", "nasm", "gcc", "g++", "rustc")


def _text(arch: str, handler: str = "isr_dispatch", extra: str = "", **names: str) -> str:
    vectors = {"v0": "de", "v1": "db", "v3": "bp", "v12": "ss"} | names
    convention = "  convention: cdecl\n" if arch == "i386" else ""
    return SPEC.format(arch=arch, handler=handler, convention=convention, extra=extra, **vectors)


# names that broke one tool or another when accepted: C++ keywords, the header's own
# names and includes, GNU11 predefined macros, x86 registers beyond the GPRs, prefixes
HOSTILE = (
    "delete this class new template INT64_MAX UINT8_C offsetof size_t uint_least16_t linux unix i386 "
    "bnd0 bnd3 cr9 cr15 dr4 dr15 tmm0 riz eiz mxcsr tr6 lock rep repe repnz o16 o64 a32 xacquire "
    "xrelease bnd wait isr_idt_fill isr_idt_gate ISR_FRAME_SIZE ISRGEN_ISR_H_ VEC_DE FRAME_SIZE VECTOR_COUNT "
    "SYNTHETIC_ERROR_CODE SYSCALL_MARKER"
).split()


@pytest.mark.parametrize("arch", ["x86_64", "i386"])
@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_handler_name_is_refused_at_its_key_or_builds_everywhere(
    tmp_path: Path, arch: str, name: str
) -> None:
    try:
        spec = loads_x86(_text(arch, handler=name), "names.yaml")
    except isrgen.SpecError as exc:
        where = [(d.source.line, d.source.col) for d in exc.diagnostics]
        assert where == [(4, 11)], [d.headline() for d in exc.diagnostics]
        return
    require_tool(*TOOLS)
    assert tool_failures(spec, tmp_path) == []


@pytest.mark.parametrize("arch", ["x86_64", "i386"])
def test_short_exception_names_stay_accepted_and_build_everywhere(tmp_path: Path, arch: str) -> None:
    # db, bp, ss are a NASM keyword and register names, but only ever the tail of ISR_VEC_DB:
    # the default stub pattern makes the symbols isr_stub_1, isr_stub_3, isr_stub_12
    require_tool(*TOOLS)
    spec = loads_x86(_text(arch, v0="delete", v3="linux"), "names.yaml")
    assert [v.name for v in spec.vectors[:4]] == ["delete", "db", "linux", "ss"]
    assert tool_failures(spec, tmp_path) == []


def test_a_short_name_that_becomes_a_symbol_is_refused_at_the_stub_pattern() -> None:
    text = _text("x86_64", extra="symbols:\n  stub: '{name}'\n")
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(text, "names.yaml")
    assert {(d.source.line, d.source.col) for d in info.value.diagnostics} == {(12, 9)}


def test_vector_names_equal_after_upper_casing_are_refused_at_the_second() -> None:
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(_text("x86_64", v0="fault", v1="FAULT"), "names.yaml")
    (diag,) = info.value.diagnostics
    assert (diag.source.line, diag.source.col) == (7, 23)
    assert "FAULT" in diag.message


def test_field_names_equal_after_upper_casing_are_refused() -> None:
    regs = "r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx"
    layout = f"[{regs}, {{rbx: value}}, {{rax: VALUE}}, vector, error_code]"
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(_text("x86_64", extra=f"frame:\n  layout: {layout}\n"), "names.yaml")
    (diag,) = info.value.diagnostics
    assert diag.source.line == 12 and "ISR_FRAME_OFFSET_VALUE" in diag.message


@pytest.mark.parametrize("field", ["delete", "class", "linux", "'NULL'", "INT64_MAX", "lock", "bool"])
def test_a_field_name_no_c_or_cxx_compiler_accepts_is_refused_at_the_layout(field: str) -> None:
    layout = (
        f"[r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, {{rax: {field}}}, vector, error_code]"
    )
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(_text("x86_64", extra=f"frame:\n  layout: {layout}\n"), "names.yaml")
    assert [d.source.line for d in info.value.diagnostics] == [12]


def test_assembler_words_come_from_the_isa() -> None:
    """x86 mnemonics and NASM keywords are x86's: the shared check knows none of them, the
    x86 facts carry them (NASM manual 3.1, SDM Vol. 2B PUSH)."""
    from isrgen.arch import get_isa
    from isrgen.spec.identifiers import reserved_reason

    assert reserved_reason("push", frozenset()) is None
    assert reserved_reason("resb", frozenset()) is None
    isa = get_isa("x86_64")
    assert isa is not None
    words = isa.facts.assembler_words
    assert reserved_reason("push", frozenset(), frozenset(), words) == "'push' is an instruction mnemonic"
    assert reserved_reason("RESB", frozenset(), frozenset(), words) == "'RESB' is a NASM keyword"
    assert reserved_reason("lock", frozenset(), frozenset(), words) == "'lock' is an instruction prefix in assembly"
