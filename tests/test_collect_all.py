"""One run reports every independent problem: a YAML-level error or a first-pass semantic
error does not hide schema, collision or entry-option errors elsewhere; a value that
failed is not reported again by the checks that read it."""

from __future__ import annotations

import pytest

import isrgen

HEAD = """\
isrgen: 1
arch: x86_64
handler:
  symbol: isr_dispatch
"""


def _errors(text: str) -> list[tuple[int, str]]:
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(text, "all.yaml")
    return [(d.source.line, d.message) for d in info.value.diagnostics]


def test_a_duplicate_key_does_not_hide_schema_and_semantic_errors() -> None:
    text = HEAD + "  symbol: other\nvectors:\n  - {vector: 300, name: ok}\n  - {vector: 1}\n"
    text += "sections: {code: .data.isr}\n"
    lines = [line for line, _ in _errors(text)]
    assert lines == [5, 7, 9], _errors(text)


def test_a_control_character_does_not_hide_a_collision() -> None:
    text = HEAD + 'vectors:\n  - {vector: 0, name: "a\\x01b"}\n  - {vector: 1, handler: isr_stub_3}\n  - {vector: 3}\n'
    errs = _errors(text)
    assert [line for line, _ in errs] == [6, 7], errs
    assert "control character" in errs[0][1] and "collides" in errs[1][1]


def test_a_first_pass_error_does_not_hide_a_collision_or_an_entry_option_error() -> None:
    text = HEAD + "sections: {code: .rodata.code}\nvectors:\n  - {vector: 0, handler: isr_stub_2}\n"
    text += "  - {vector: 2, paranoid: true}\n"
    errs = _errors(text)
    assert [line for line, _ in errs] == [5, 7, 8], errs
    assert "not be executable" in errs[0][1]
    assert "collides" in errs[1][1]
    assert "swapgs" in errs[2][1]


def test_a_refused_name_is_reported_once_not_again_by_the_cross_checks() -> None:
    errs = _errors(HEAD.replace("isr_dispatch", "class") + "vectors:\n  - {vector: 0}\n")
    assert [line for line, _ in errs] == [4], errs
