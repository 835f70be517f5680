"""The C header and the Rust module declare the same symbols and vector constants, for every shipped spec.

Both backends print their declarations from one list (:mod:`isrgen.codegen.interface`);
this test reads the two outputs back the way their compilers would see them (the C
header through ``gcc -E``, the Rust module's ``extern "C"`` blocks) and compares
the declared names, and checks them against the symbols the spec itself names.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_tool

import isrgen
from isrgen.arch.x86.model import X86Spec
from isrgen.backends import GenerationContext, get_backend, unsupported_reason
from isrgen.model.spec import SymbolVisibility

SPECS = sorted((Path(isrgen.__file__).parent / "shipped_specs").rglob("*.yaml"))


def _x86_specs() -> list[Path]:
    return [p for p in SPECS if isinstance(isrgen.load_spec(p), X86Spec)]


def c_declared(header: str, workdir: Path) -> set[str]:
    """Names of the functions and ``extern`` objects the preprocessed ``header`` declares
    at file scope (function definitions, struct bodies and static asserts excluded)."""
    path = workdir / "decl.h"
    path.write_text(header)
    text = subprocess.run(
        ["gcc", "-E", "-P", "-std=c11", "-ffreestanding", str(path)], capture_output=True, text=True, check=True
    ).stdout
    names: set[str] = set()
    depth, statement = 0, ""
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                statement = ""  # a struct body or a function definition ended
            continue
        if depth:
            continue
        if ch != ";":
            statement += ch
            continue
        decl = " ".join(statement.split())
        statement = ""
        if decl.startswith("_Static_assert") or decl.startswith("typedef") or not decl:
            continue
        array = re.fullmatch(r"extern .*?\b(\w+)\s*(\[.*\])+", decl)
        function = re.fullmatch(r".*?\b(\w+)\s*\([^()]*\)", decl)
        if array:
            names.add(array.group(1))
        elif function:
            names.add(function.group(1))
    return names


def rust_declared(module: str) -> set[str]:
    """Names declared in the module's ``extern "C"`` blocks."""
    names: set[str] = set()
    for block in re.findall(r'extern "C" \{(.*?)\n\}', module, re.S):
        names |= set(re.findall(r"^\s*pub (?:fn|static) (\w+)", block, re.M))
    return names


def _expected(spec: X86Spec) -> set[str]:
    """What the spec asks to be visible: handlers, halt, and each exported generated symbol."""
    vis = spec.symbols.visibility
    names = {*spec.handlers, spec.entry.halt, spec.symbols.gates}
    if vis.exit is SymbolVisibility.GLOBAL:
        names.add(spec.symbols.exit)
    if vis.table is SymbolVisibility.GLOBAL:
        names.add(spec.symbols.table)
    if vis.entry is SymbolVisibility.GLOBAL:
        names |= {g.symbol for g in spec.entry_groups}
    if vis.stubs is SymbolVisibility.GLOBAL:
        names |= {v.stub_symbol for v in spec.vectors}
    if spec.syscall is not None:
        names.add(spec.syscall.entry)
    return names


@pytest.mark.parametrize("path", _x86_specs(), ids=lambda p: p.stem)
def test_c_and_rust_declare_the_same_symbols(path: Path, tmp_path: Path) -> None:
    require_tool("gcc")
    spec = isrgen.load_spec(path)
    assert isinstance(spec, X86Spec)
    ctx = GenerationContext.from_spec(spec)
    c_names = c_declared(get_backend("c").render(ctx, "isr.h"), tmp_path)
    assert c_names == _expected(spec)
    header = get_backend("c").render(ctx, "isr.h")
    prefix = re.sub(r"[^A-Za-z0-9_]", "_", spec.symbols.prefix).upper()
    c_vectors = {(m[0], int(m[1])) for m in re.findall(rf"^#define {prefix}(VEC_\w+) (\d+)$", header, re.M)}
    assert sorted(n for _, n in c_vectors) == sorted(v.number for v in spec.vectors)
    rust = get_backend("rust")
    if unsupported_reason("rust", rust, spec.isa) is None:  # no Rust target for i386
        module = rust.render(ctx, "isr.rs")
        assert rust_declared(module) == c_names
        rust_vectors = {(m[0], int(m[1])) for m in re.findall(r"^pub const (VEC_\w+): u8 = (\d+);$", module, re.M)}
        assert rust_vectors == c_vectors


def test_a_local_table_is_declared_by_neither(tmp_path: Path) -> None:
    require_tool("gcc")
    text = (Path(isrgen.__file__).parent / "shipped_specs" / "x86_64.yaml").read_text()
    text = text.replace('  exit: "{prefix}return"', '  exit: "{prefix}return"\n  visibility: {table: local}')
    spec = isrgen.loads_spec(text, "local_table.yaml")
    assert isinstance(spec, X86Spec) and spec.symbols.visibility.table is SymbolVisibility.LOCAL
    ctx = GenerationContext.from_spec(spec)
    c_names = c_declared(get_backend("c").render(ctx, "isr.h"), tmp_path)
    rust_names = rust_declared(get_backend("rust").render(ctx, "isr.rs"))
    assert "isr_table" not in c_names and "isr_table" not in rust_names
    assert c_names == rust_names and "isr_gate_attrs" in c_names
