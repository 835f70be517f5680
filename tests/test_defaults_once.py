"""Every default of a spec key is written once (:data:`isrgen.arch.x86.defaults.SPEC_DEFAULTS`).

Wherever else a default shows up it must say the same: the model's attrs defaults,
the schema's ``default`` keywords, the defaults the schema's descriptions and the
README's key table name in prose, and what the loader actually fills in.  The
loader and resolve passes may not write a default of their own (checked on their
source).
"""

from __future__ import annotations

import ast
import enum
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import ROOT, loads_x86

from isrgen.arch.x86 import model as x86model
from isrgen.arch.x86.defaults import SPEC_DEFAULTS
from isrgen.model import spec as model
from isrgen.spec.defaults import DEFAULT_PREFIX
from isrgen.spec.schema_check import spec_schema

#: spec section -> the model class its keys land in (same attribute names)
MODEL_OF: dict[str, type] = {
    "sections": model.Sections,
    "stubs": x86model.Stubs,
    "table": model.Table,
    "handler": model.Handler,
    "frame": model.Frame,
    "entry": x86model.X86Entry,
    "simd": x86model.Simd,
    "syscall": x86model.Syscall,
    "debug": model.Debug,
    "vectors": x86model.X86Vector,
}


def _spelled(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_spelled(v) for v in value]
    return value


def _expanded(value: Any) -> Any:
    return value.replace("{prefix}", DEFAULT_PREFIX) if isinstance(value, str) else value


def test_model_defaults_agree_with_the_table() -> None:
    compared = 0
    for path, value in SPEC_DEFAULTS.items():
        cls = MODEL_OF.get(path[0])
        if cls is None or len(path) != 2:
            continue
        field = attrs.fields_dict(cls).get(path[1])
        if field is None or field.default is attrs.NOTHING:
            continue
        where = ".".join(path)
        assert _spelled(field.default) == _expanded(value), f"{where}: model {field.default!r}, table {value!r}"
        compared += 1
    for key in ("stubs", "table", "entry", "exit"):
        visibility = attrs.fields_dict(model.Visibilities)[key].default
        assert _spelled(visibility) == SPEC_DEFAULTS[("symbols", "visibility", key)]
        compared += 1
    assert compared >= 30  # the table really is read against the model


MINIMAL = """\
isrgen: 1
arch: x86_64
handler: {symbol: isr_dispatch}
frame:
  layout: [r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code]
vectors:
  - {vector: 0, name: divide_error}
"""


VISIBILITIES = ("stubs", "table", "entry", "exit")


def test_the_loader_fills_absent_keys_from_the_table() -> None:
    spec = loads_x86(MINIMAL, "minimal.yaml")
    v = spec.vectors[0]
    got: dict[tuple[str, ...], Any] = {
        ("symbols", "prefix"): spec.symbols.prefix,
        ("symbols", "table"): spec.symbols.table,
        ("symbols", "entry"): spec.symbols.entry,
        ("symbols", "exit"): spec.symbols.exit,
        ("symbols", "gates"): spec.symbols.gates,
        **{("symbols", "visibility", k): getattr(spec.symbols.visibility, k) for k in VISIBILITIES},
        ("sections", "code"): spec.sections.code,
        ("sections", "table"): spec.sections.table,
        ("sections", "code_align"): spec.sections.code_align,
        ("sections", "stub_align"): spec.sections.stub_align,
        ("stubs", "style"): spec.stub_style,
        ("stubs", "cli"): spec.stubs.cli,
        ("stubs", "error_code_filler"): spec.stubs.error_code_filler,
        ("table", "contents"): spec.table.contents,
        ("handler", "returns"): spec.handler.returns,
        ("handler", "frame_arg"): spec.handler.frame_arg,
        ("handler", "args"): spec.handler.args,
        ("frame", "struct"): spec.frame.struct_name,
        ("frame", "synthetic_error_code"): spec.frame.synthetic_error_code,
        ("frame", "vector_in_error_slot"): spec.frame.vector_in_error_slot,
        ("entry", "halt"): spec.entry.halt,
        ("simd", "xsave_mask"): spec.simd.xsave_mask,
        ("debug", "cfi"): spec.debug.cfi,
        ("debug", "cfi_sections"): spec.debug.cfi_sections,
        ("vectors", "gate"): v.gate,
        ("vectors", "dpl"): v.dpl,
        ("vectors", "ist"): v.ist,
        ("vectors", "paranoid"): v.paranoid,
        ("vectors", "simd"): v.simd,
        ("vectors", "kernel_handler"): v.kernel_handler,
    }
    for key in (
        "swapgs",
        "clear_registers",
        "endbr64",
        "exit_loads_cr3",
        "segments_from_ds",
        "kernel_fault",
        "data_segments",
        "data_selector",
        "exit_frame",
    ):
        got[("entry", key)] = getattr(spec.entry, key)
    for path, value in got.items():
        assert _spelled(value) == _expanded(SPEC_DEFAULTS[path]), ".".join(path)
    assert spec.symbols.stub_pattern == SPEC_DEFAULTS[("symbols", "stub")]  # kept as a pattern: {n} varies
    with_syscall = loads_x86(MINIMAL + "entry: {swapgs: true}\nsyscall: {handler: isr_syscall}\n", "syscall.yaml")
    assert with_syscall.syscall is not None
    for key in ("entry", "marker", "kernel_stack_gs", "user_stack_gs", "user_cs", "user_ss"):
        assert getattr(with_syscall.syscall, key) == _expanded(SPEC_DEFAULTS[("syscall", key)]), key


def _schema_properties(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    out = []
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict):
                out.append((path + (key,), sub))
                out += _schema_properties(sub, path + (key,))
        if isinstance(node.get("items"), dict):
            out += _schema_properties(node["items"], path)
    return out


#: the shared pipeline's schema: the core's keys with the x86 fragment's
SCHEMA = spec_schema()
PROPERTIES = _schema_properties(SCHEMA)
ENUMS: dict[tuple[str, ...], list[Any]] = {p: list(s["enum"]) for p, s in PROPERTIES if "enum" in s}


def _defaults_under(path: tuple[str, ...]) -> list[Any]:
    """The table's default at ``path``, or those of every key below it (a vector class's
    keys default as a vector's)."""
    if path[0] == "classes" and len(path) == 3:
        path = ("vectors", path[2])
    if path in SPEC_DEFAULTS:
        return [SPEC_DEFAULTS[path]]
    return [v for p, v in SPEC_DEFAULTS.items() if p[: len(path)] == path]


def test_schema_default_keywords_agree_with_the_table() -> None:
    with_default = [(p, s) for p, s in PROPERTIES if "default" in s]
    assert with_default  # syscall.user_cs / user_ss at least
    for path, sub in with_default:
        assert [sub["default"]] == _defaults_under(path), ".".join(path)


def _literal(text: str) -> Any:
    """``true``/``false``, a decimal or 0x number, else None (prose such as "the word size")."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"0x[0-9a-fA-F]+|-?[0-9]+", text):
        return int(text, 0)
    return None


def named_defaults(text: str, choices: list[Any]) -> list[Any]:
    """Defaults a description spells out: ``(default VALUE)`` with a literal VALUE, and
    ``WORD (...default)`` where WORD is one of ``choices``."""
    found = [v for m in re.finditer(r"\(default:? ([^();]*)\)", text) if (v := _literal(m.group(1))) is not None]
    words = re.finditer(r"`?(\w+)`? \(([^()]*\b)?default\b[^()]*\)", text)
    found += [m.group(1) for m in words if m.group(1) in choices]
    return found


def test_schema_descriptions_name_the_table_defaults() -> None:
    checked = 0
    for path, sub in PROPERTIES:
        defaults = _defaults_under(path)
        if not defaults:
            continue
        choices = sub.get("enum") or [d for d in defaults if isinstance(d, str)]
        for named in named_defaults(sub.get("description", ""), choices):
            assert all(named == d for d in defaults), f"{'.'.join(path)}: description says {named!r}, table {defaults}"
            checked += 1
    assert checked >= 8


def test_readme_key_table_names_the_table_defaults() -> None:
    checked = 0
    for line in (ROOT / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        keys = re.fullmatch(r"`([\w.]+)(?:\.\{([\w,]+)\})?`", cells[0]) if len(cells) > 1 else None
        if keys is None:
            continue
        paths = [tuple(keys.group(1).split("."))]
        if keys.group(2):
            paths = [paths[0] + (k,) for k in keys.group(2).split(",")]
        for path in paths:
            defaults = _defaults_under(path)
            if not defaults:
                continue
            choices = ENUMS.get(path, []) + [d for d in defaults if isinstance(d, str)]
            for named in named_defaults(cells[1], choices):
                assert all(named == d for d in defaults), f"README {'.'.join(path)}: {named!r}, table {defaults}"
                checked += 1
    assert checked >= 4


def test_the_checks_see_a_disagreeing_default() -> None:
    assert named_defaults("Start stubs with cli: never (default), or every stub.", ["never", "always"]) == ["never"]
    assert named_defaults("selector (default 0x10).", []) == [0x10]
    assert named_defaults("pushes (default true); false", []) == [True]
    assert named_defaults("Bytes per entry (default: the word size).", []) == []


SOURCES = [
    ROOT / "isrgen" / "spec" / "loader.py",
    *sorted((ROOT / "isrgen" / "spec" / "resolve").glob("*.py")),
    *sorted((ROOT / "isrgen" / "arch" / "x86" / "resolve").glob("*.py")),
]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_the_loader_writes_no_default_of_its_own(path: Path) -> None:
    """``self.get(section, key, DEFAULT, kind)`` and ``raw.get(key, DEFAULT)`` take their
    default from the table: a literal there would be a second place a default is written."""
    literals = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"):
            continue
        args, owner = node.args, node.func.value
        is_option = isinstance(owner, ast.Name) and owner.id == "self" and len(args) == 4
        is_key = (
            isinstance(owner, ast.Name)
            and owner.id in ("raw", "entry")
            and len(args) == 2
            and isinstance(args[0], ast.Constant)
            and isinstance(args[0].value, str)
        )
        default = args[2] if is_option else args[1] if is_key else None
        if isinstance(default, (ast.Constant, ast.List, ast.Dict)) and not (
            isinstance(default, ast.Constant) and default.value is None
        ):
            literals.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert literals == []
