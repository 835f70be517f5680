"""Rendering isrgen's output templates (``isrgen/backends/templates/*.tmpl``).

Templates only loop and interpolate, so they need no template engine: a line whose
first non-blank character is ``%`` is control flow (``% for X in Y:``,
``% if C:``, ``% elif C:``, ``% else:``, ``% endfor``, ``% endif``); every other
line is text in which ``${expression}`` is replaced by ``str(expression)``.  A
template is translated once into a Python function and cached.  Rendering
imports nothing and changes no process-wide state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources
from typing import Any

_INDENT = "    "


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


def _text_parts(line: str) -> list[str]:
    """Python expressions whose ``str`` values, joined, make the text line."""
    parts: list[str] = []
    pos = 0
    while (start := line.find("${", pos)) != -1:
        if start > pos:
            parts.append(repr(line[pos:start]))
        end = _expression_end(line, start + 2)
        parts.append(f"str({line[start + 2 : end]})")
        pos = end + 1
    if pos < len(line):
        parts.append(repr(line[pos:]))
    return parts


def translate(source: str, names: tuple[str, ...], name: str = "<template>") -> str:
    """The Python source of a function ``render(out, <names>)`` appending the template's lines to ``out``."""
    code = [f"def render(out, {', '.join(names)}):"]
    depth = 1
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        stripped = line.strip()
        if stripped.startswith("%"):
            statement = stripped[1:].strip()
            keyword = statement.split(" ", 1)[0].rstrip(":")
            if keyword in ("endfor", "endif"):
                depth -= 1
            elif keyword in ("else", "elif"):
                code.append(_INDENT * (depth - 1) + statement)
            elif keyword in ("for", "if"):
                code.append(_INDENT * depth + statement)
                depth += 1
            else:
                raise TemplateError(f"{name}:{number}: unknown control line {stripped!r}")
            if depth < 1:
                raise TemplateError(f"{name}:{number}: {keyword} without a block")
            continue
        parts = _text_parts(line)
        code.append(_INDENT * depth + f"out.append({' + '.join(parts) if parts else repr('')})")
    if depth != 1:
        raise TemplateError(f"{name}: a for/if block is not closed")
    return "\n".join(code) + "\n"


@functools.cache
def _compiled(name: str, names: tuple[str, ...]) -> Callable[..., None]:
    source = resources.files("isrgen.backends").joinpath("templates", name).read_text("utf-8")
    namespace: dict[str, Any] = {"__builtins__": __builtins__}
    # the template is isrgen's own package file, translated by the rules in the module docstring
    exec(compile(translate(source, names, name), name, "exec"), namespace)
    render: Callable[..., None] = namespace["render"]
    return render


def render_template(name: str, **values: Any) -> str:
    """Render one of isrgen's templates with ``values`` as its variables; output always ends with one newline."""
    out: list[str] = []
    _compiled(name, tuple(sorted(values)))(out, **values)
    return "".join(out).rstrip("\n") + "\n"
