"""An error caused by a vector option, a class default, a syscall key or a layout item
points at that key (file:line:col), not at a section header or the first vector."""

from __future__ import annotations

import pytest

import isrgen

HEAD = """\
isrgen: 1
arch: x86_64
handler:
  symbol: isr_dispatch
"""


def _where(text: str) -> list[tuple[int, int]]:
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(HEAD + text, "loc.yaml")
    return [(d.source.line, d.source.col) for d in info.value.diagnostics]


def test_paranoid_without_swapgs_points_at_the_vectors_paranoid_key() -> None:
    text = "vectors:\n  - {vector: 0, name: de}\n  - {vector: 2, name: nmi, paranoid: true}\n"
    assert _where(text) == [(7, 38)]


def test_paranoid_from_a_class_default_points_at_the_class_key() -> None:
    text = "classes:\n  exception: {paranoid: true}\nvectors:\n  - {range: [0, 3]}\n"
    assert _where(text) == [(6, 25)]


def test_mixed_simd_policies_point_at_the_second_policy() -> None:
    text = "vectors:\n  - {vector: 0, name: de, simd: fxsave}\n  - {vector: 1, name: db}\n"
    text += "  - {vector: 2, name: nmi,\n     simd: xsave}\n"
    assert _where(text) == [(9, 12)]


def test_a_syscall_handler_named_like_a_stub_points_at_the_syscall_handler() -> None:
    text = "entry: {swapgs: true}\nvectors:\n  - {vector: 0, name: de}\nsyscall:\n  handler: isr_stub_0\n"
    assert _where(text) == [(9, 12)]


def test_a_width_on_a_register_slot_points_at_its_declaration() -> None:
    regs = "r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax"
    text = f"frame:\n  layout: [{{r15: {{width: 16}}}}, {regs}, vector, error_code]\n"
    text += "vectors:\n  - {vector: 0, name: de}\n"
    assert _where(text) == [(6, 12 + len("{r15: "))]


def test_a_feature_the_arch_lacks_points_at_the_option() -> None:
    text = HEAD.replace("x86_64", "i386") + "  convention: cdecl\nvectors:\n  - {vector: 8, name: df, ist: 1}\n"
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(text, "loc.yaml")
    assert [(d.source.line, d.source.col) for d in info.value.diagnostics] == [(7, 32)]
