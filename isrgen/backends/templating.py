"""Rendering isrgen's output templates (``isrgen/backends/templates/*.tmpl``).

Templates only loop and interpolate, so they need no template engine: a line whose
first non-blank character is ``%`` is a loop (``% for X in Y:`` ... ``% endfor``);
every other line is text in which ``${expression}`` is replaced by
``str(expression)``.  Every decision is the view model's: an optional block is a
loop over a tuple of zero or one items, an optional piece of text a ready-made
string.  So the translator refuses ``% if`` and any expression that decides
(``a if c else b``, ``and``, ``or``, ``not``, comparisons, comprehensions,
lambdas), and a template sees only its variables and ``str``.  A template is
translated once into a Python function and cached.  Rendering imports nothing
and changes no process-wide state.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from importlib import resources
from typing import Any

_INDENT = "    "
#: what a template's expressions may use besides its own variables
_TEMPLATE_BUILTINS = {"str": str}
#: expression nodes that make a decision, which belongs in the view model
_DECISIONS: dict[type[ast.AST], str] = {
    ast.IfExp: "a conditional expression",
    ast.BoolOp: "'and'/'or'",
    ast.Not: "'not'",
    ast.Compare: "a comparison",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.NamedExpr: "an assignment expression",
}


class TemplateError(Exception):
    """A template that does not follow the rules above (a bug in isrgen, not in a spec)."""


def _expression_end(line: str, start: int) -> int:
    """Index of the ``}`` closing the expression that starts at ``start`` (after ``${``)."""
    depth, quote, i = 0, "", start
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c in "{[(":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                if c != "}":
                    break
                return i
            depth -= 1
        i += 1
    raise TemplateError(f"unterminated ${{...}} in {line!r}")


def _loop(statement: str, where: str) -> str:
    """The Python ``for`` statement of the control line ``% for TARGET in ITERABLE:``."""
    head = statement[len("for") :].rstrip()
    target, sep, iterable = head.partition(" in ")
    if not head.endswith(":") or not sep or not target.strip().isidentifier():
        raise TemplateError(f"{where}: a loop is '% for NAME in EXPRESSION:', not {'% ' + statement!r}")
    return f"for {target.strip()} in {_plain(iterable[:-1], where)}:"


def _plain(expression: str, where: str) -> str:
    """``expression`` (stripped) once it is known to look things up and not decide anything."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as e:
        raise TemplateError(f"{where}: {expression.strip()!r} is not a Python expression ({e.msg})") from None
    for node in ast.walk(tree):
        what = _DECISIONS.get(type(node))
        if what is not None:
            raise TemplateError(
                f"{where}: {expression.strip()!r} uses {what}; templates only loop and interpolate, "
                "so the view model must make that decision"
            )
    return expression.strip()


def _text_parts(line: str, where: str) -> list[str]:
    """Python expressions whose ``str`` values, joined, make the text line."""
    parts: list[str] = []
    pos = 0
    while (start := line.find("${", pos)) != -1:
        if start > pos:
            parts.append(repr(line[pos:start]))
        end = _expression_end(line, start + 2)
        parts.append(f"str({_plain(line[start + 2 : end], where)})")
        pos = end + 1
    if pos < len(line):
        parts.append(repr(line[pos:]))
    return parts


def translate(source: str, names: tuple[str, ...], name: str = "<template>") -> str:
    """The Python source of a function ``render(out, <names>)`` appending the template's lines to ``out``."""
    code = [f"def render(out, {', '.join(names)}):"]
    depth = 1
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        where = f"{name}:{number}"
        stripped = line.strip()
        if stripped.startswith("%"):
            statement = stripped[1:].strip()
            keyword = statement.split(" ", 1)[0].rstrip(":")
            if keyword == "endfor":
                depth -= 1
                if depth < 1:
                    raise TemplateError(f"{where}: endfor without a loop")
            elif keyword == "for":
                code.append(_INDENT * depth + _loop(statement, where))
                depth += 1
            elif keyword in ("if", "elif", "else", "endif"):
                raise TemplateError(
                    f"{where}: '% {keyword}' is not allowed: templates only loop and interpolate; give the "
                    "view model a tuple of zero or one items to loop over, or a ready-made string"
                )
            else:
                raise TemplateError(f"{where}: unknown control line {stripped!r}")
            continue
        parts = _text_parts(line, where)
        code.append(_INDENT * depth + f"out.append({' + '.join(parts) if parts else repr('')})")
    if depth != 1:
        raise TemplateError(f"{name}: a for block is not closed")
    return "\n".join(code) + "\n"


@functools.cache
def _compiled(name: str, names: tuple[str, ...]) -> Callable[..., None]:
    source = resources.files("isrgen.backends").joinpath("templates", name).read_text("utf-8")
    namespace: dict[str, Any] = {"__builtins__": dict(_TEMPLATE_BUILTINS)}
    # the template is isrgen's own package file, translated by the rules in the module docstring
    exec(compile(translate(source, names, name), name, "exec"), namespace)
    render: Callable[..., None] = namespace["render"]
    return render


def render_template(name: str, **values: Any) -> str:
    """Render one of isrgen's templates with ``values`` as its variables; output always ends with one newline."""
    out: list[str] = []
    _compiled(name, tuple(sorted(values)))(out, **values)
    return "".join(out).rstrip("\n") + "\n"
