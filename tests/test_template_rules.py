"""Templates only loop and interpolate: the translator refuses decisions, the shipped templates make none."""

from __future__ import annotations

import re
from importlib import resources
from types import SimpleNamespace

import pytest

from isrgen.backends.templating import TemplateError, render_template, translate

#: every ``${...}`` on a line (the shipped templates never nest braces deeper than one call)
_INTERPOLATION = re.compile(r"\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")


def _shipped() -> list[tuple[str, str]]:
    folder = resources.files("isrgen.backends").joinpath("templates")
    return sorted((p.name, p.read_text("utf-8")) for p in folder.iterdir() if p.name.endswith(".tmpl"))


def test_the_five_backends_ship_their_templates() -> None:
    names = [name for name, _ in _shipped()]
    assert names == ["c_header.h.tmpl", "gas.S.tmpl", "gdb.py.tmpl", "nasm.asm.tmpl", "rust.rs.tmpl"]


@pytest.mark.parametrize("keyword", ["if view:", "elif view:", "else:", "endif"])
def test_a_conditional_control_line_is_refused_with_its_line(keyword: str) -> None:
    source = f"first\n% for x in view:\n% {keyword}\n${{x}}\n% endfor\n"
    with pytest.raises(TemplateError, match=rf"^t\.tmpl:3: '% {keyword.split()[0].rstrip(':')}' is not allowed"):
        translate(source, ("view",), "t.tmpl")


@pytest.mark.parametrize(
    ("expression", "what"),
    [
        ('"a" if view else ""', "a conditional expression"),
        ("view or 'none'", "'and'/'or'"),
        ("not view", "'not'"),
        ("view == 1", "a comparison"),
        ("[x for x in view]", "a comprehension"),
        ("(lambda: view)()", "a lambda"),
    ],
)
def test_a_deciding_expression_is_refused(expression: str, what: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(f"t.tmpl:2: {expression!r} uses {what}")):
        translate(f"ok ${{view}}\nbad ${{{expression}}}\n", ("view",), "t.tmpl")


def test_arithmetic_and_lookups_are_no_decisions() -> None:
    namespace: dict[str, object] = {"__builtins__": {"str": str}}
    exec(translate("${-view[0] + 1} ${view[1:]}\n", ("view",)), namespace)
    out: list[str] = []
    namespace["render"](out, view=(4, 5))  # type: ignore[operator]
    assert out == ["-3 (5,)\n"]


def test_a_loop_over_a_deciding_expression_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"t\.tmpl:1: .* uses a conditional expression"):
        translate("% for x in view if view else ():\n${x}\n% endfor\n", ("view",), "t.tmpl")


def test_a_malformed_loop_is_refused() -> None:
    with pytest.raises(TemplateError, match=re.escape("t.tmpl:1: a loop is '% for NAME in EXPRESSION:'")):
        translate("% for x, y in view:\n${x}\n% endfor\n", ("view",), "t.tmpl")
    with pytest.raises(TemplateError, match=re.escape("t.tmpl:1: endfor without a loop")):
        translate("% endfor\n", ("view",), "t.tmpl")


def test_a_template_sees_str_and_its_variables_only() -> None:
    namespace: dict[str, object] = {"__builtins__": {"str": str}}
    exec(translate("${len(view)}\n", ("view",)), namespace)
    with pytest.raises(NameError, match="len"):
        namespace["render"]([], view=(1, 2))  # type: ignore[operator]


def test_a_loop_over_zero_items_prints_nothing() -> None:
    # an optional block is a loop over a tuple of zero or one items
    note = SimpleNamespace(open="section .note.GNU-stack")
    view = SimpleNamespace(banner="b", description="d", bits=64, externs=("ext_a",), sections=(), note=note)
    text = render_template("nasm.asm.tmpl", view=view)
    assert text == "; b\n; d\n    bits 64\n\n    extern ext_a\n\nsection .note.GNU-stack\n"


@pytest.mark.parametrize(("name", "source"), _shipped(), ids=[name for name, _ in _shipped()])
def test_no_shipped_template_decides(name: str, source: str) -> None:
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("%"):
            assert re.fullmatch(r"% (for \w+ in \S.*:|endfor)", stripped), f"{name}:{number}: {stripped}"
        for expression in _INTERPOLATION.findall(line):
            assert " if " not in f" {expression} ", f"{name}:{number}: conditional expression in ${{{expression}}}"
            assert not re.search(r"\b(and|or|not)\b", expression), f"{name}:{number}: {expression}"
    translate(source, ("view",), name)  # the translator's own rules hold too
