"""Sphinx extension: pages generated from isrgen itself when the docs are built.

- ``_generated/spec-reference.rst``: every key of the spec's JSON Schema (type,
  allowed values, bounds, description), so the reference cannot drift from the schema;
- ``_generated/frame-*.svg``: ``isrgen layout --format svg`` for the shipped specs;
- ``_generated/dropin/<example>.svg`` and ``<example>-frame.txt``: the frame diagram and
  the frame table (``isrgen layout``) of every spec under ``specs/examples``, for the
  drop-in guide pages;
- ``_generated/<spec>-<backend>.txt``: the outputs the backend pages quote;
- ``_generated/cli.txt``: ``isrgen --help`` and each command's ``--help``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sphinx.application import Sphinx

import isrgen
from isrgen.cli import main
from isrgen.report.layout import layout_view
from isrgen.report.render import render_text
from isrgen.report.svg import render_svg
from isrgen.spec.schema_check import spec_schema

ROOT = Path(__file__).resolve().parents[2]
#: the specs whose frames are drawn: file stem -> title
FRAMES = {
    "x86_64": "x86_64 (specs/x86_64.yaml)",
    "i386": "i386 (specs/i386.yaml)",
    "aarch64": "aarch64 (specs/aarch64.yaml)",
    "riscv64": "riscv64 (specs/riscv64.yaml)",
}


def _rst_text(text: str) -> str:
    """Plain text safe in reStructuredText: no markup, no ``name_`` references."""
    text = re.sub(r"([\\*`|])", r"\\\1", text)
    return re.sub(r"(\w)_(?=\W|$)", r"\1\\_", text)


def _type(node: dict[str, Any]) -> str:
    if "enum" in node:
        return "one of " + ", ".join(f"``{v}``" for v in node["enum"])
    kind = node.get("type")
    if isinstance(kind, list):
        text = " or ".join(kind)
    elif kind:
        text = str(kind)
    elif "oneOf" in node or "anyOf" in node:
        text = "see description"
    else:
        text = "any"
    bounds = [f"{k} {node[k]}" for k in ("minimum", "maximum", "minItems", "maxItems") if k in node]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def _walk(node: dict[str, Any], path: str, rows: list[tuple[str, str, str]]) -> None:
    for key, sub in node.get("properties", {}).items():
        here = f"{path}.{key}" if path else key
        text = _rst_text(" ".join(sub.get("description", "").split()))
        if "default" in sub:
            text += f" Default: ``{json.dumps(sub['default'])}``."
        rows.append((here, _type(sub), text.strip()))
        if sub.get("type") == "object" or "properties" in sub:
            _walk(sub, here, rows)
        items = sub.get("items")
        if isinstance(items, dict) and "properties" in items:
            _walk(items, here + "[]", rows)
        if isinstance(items, dict) and isinstance(items.get("else"), dict) and "properties" in items["else"]:
            _walk(items["else"], here + "[]", rows)
        extra = sub.get("additionalProperties")
        if isinstance(extra, dict) and "properties" in extra:
            _walk(extra, here + ".<name>", rows)


def spec_reference() -> str:
    """The spec reference as reStructuredText, from the shipped JSON Schema."""
    schema = spec_schema()
    rows: list[tuple[str, str, str]] = []
    _walk(schema, "", rows)
    required = ", ".join(f"``{k}``" for k in schema.get("required", []))
    lines = [
        "Spec reference",
        "==============",
        "",
        "Generated from the JSON Schema that ``isrgen schema`` prints, when these docs are built.",
        f"Required top-level keys: {required}. Unknown keys are errors.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 25 25 50",
        "",
        "   * - key",
        "     - value",
        "     - meaning",
    ]
    for key, kind, description in rows:
        lines += [f"   * - ``{key}``", f"     - {kind}", f"     - {description or '-'}"]
    return "\n".join(lines) + "\n"


def _cli_help() -> str:
    runner = CliRunner()
    parts = [runner.invoke(main, ["--help"], prog_name="isrgen").output]
    for name in sorted(main.commands):
        parts.append(runner.invoke(main, [name, "--help"], prog_name="isrgen").output)
    return "\n".join(parts)


def _write(path: Path, text: str) -> None:
    # rewrite only on change: Sphinx rebuilds what changed
    if not path.exists() or path.read_text("utf-8") != text:
        path.write_text(text, "utf-8")


def generate(app: Sphinx) -> None:
    out = Path(app.srcdir) / "_generated"
    out.mkdir(exist_ok=True)
    _write(out / "spec-reference.rst", spec_reference())
    _write(out / "cli.txt", _cli_help())
    for stem in FRAMES:
        spec = isrgen.load_spec(ROOT / "specs" / f"{stem}.yaml")
        _write(out / f"frame-{stem}.svg", render_svg(layout_view(spec)))
    generate_dropin(out)
    spec = isrgen.load_spec(ROOT / "specs" / "x86_64.yaml")
    for rendered in isrgen.render_outputs(spec, ["gas", "nasm", "rust", "c", "gdb"]):
        _write(out / f"x86_64-{rendered.backend}.txt", rendered.content)


def frame_text(spec: Any) -> str:
    """``isrgen layout``'s text up to the per-vector table: the frames and the call alignment."""
    view = layout_view(spec)
    text = render_text(view, Path(spec.source_file).relative_to(ROOT).as_posix())
    head, _, _ = text.partition("\nstack at the call")
    call = next(line for line in text.splitlines() if line.startswith("stack at the call"))
    return head + "\n" + call + "\n"


def generate_dropin(out: Path) -> None:
    """The diagram and frame table of every example spec."""
    folder = out / "dropin"
    folder.mkdir(exist_ok=True)
    for path in sorted((ROOT / "specs" / "examples").glob("*.yaml")):
        spec = isrgen.load_spec(path)
        _write(folder / f"{path.stem}.svg", render_svg(layout_view(spec)))
        _write(folder / f"{path.stem}-frame.txt", frame_text(spec))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
