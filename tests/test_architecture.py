"""The tree's architecture rules: the arch-neutral core never names an ISA, every known
ISA answers the core's questions, and the pipeline's stages only import downstream."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

from isrgen.arch import get_isa, known_isas
from isrgen.arch.isa import ISA_PACKAGES

PACKAGE = ROOT / "isrgen"
ISA_NAMES = ("x86_64", "i386")


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _core_files() -> list[Path]:
    isa_dirs = [PACKAGE / "arch" / p.rsplit(".", 1)[-1] for p in ISA_PACKAGES]
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if not any(d in p.parents for d in isa_dirs) and p.name != "fast_validator.py"
    ]


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_names_an_isa(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    docstrings = _docstring_nodes(tree)
    found = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and any(name in node.value for name in ISA_NAMES)
    ]
    assert not found, f"{path.relative_to(ROOT)} names an ISA in code: {found}"


def test_the_registry_knows_both_x86_modes() -> None:
    assert set(ISA_NAMES) <= set(known_isas())
    assert get_isa("sparc") is None


@pytest.mark.parametrize("name", ISA_NAMES)
def test_x86_facts_and_dialects(name: str) -> None:
    isa = get_isa(name)
    assert isa is not None and isa.name == name
    # Intel SDM Vol. 3A 6.14.1 (16-byte long-mode gates), 6.11 (8-byte protected-mode gates)
    word, gate, machine = {"x86_64": (8, 16, "EM_X86_64"), "i386": (4, 8, "EM_386")}[name]
    assert (isa.facts.word_size, isa.facts.gate_size, isa.elf_machine) == (word, gate, (machine, word * 8))
    assert isa.dialects == ("gas", "nasm")
    # SDM Vol. 3A table 6-1: the vectors that push an error code
    assert isa.facts.error_code_vectors == {8, 10, 11, 12, 13, 14, 17, 21, 29, 30}
    # only long mode has the Rust and gdb backends
    assert (isa.rust is not None, isa.gdb is not None) == (name == "x86_64", name == "x86_64")


#: what each stage may import from isrgen (the pipeline only looks upstream)
_STAGE_MAY_NOT_IMPORT = {
    "spec": ("isrgen.backends", "isrgen.output", "isrgen.proof", "isrgen.codegen"),
    "model": ("isrgen.spec", "isrgen.backends", "isrgen.output", "isrgen.proof"),
    "codegen": ("isrgen.spec", "isrgen.backends", "isrgen.output", "isrgen.proof"),
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("stage", sorted(_STAGE_MAY_NOT_IMPORT))
def test_stages_only_import_upstream(stage: str) -> None:
    banned = _STAGE_MAY_NOT_IMPORT[stage]
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        bad = sorted(m for m in _imports(path) if m.startswith(banned))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


#: top-level modules that keep a documented name for a module an ISA package now holds
_COMPAT_ALIASES = {"dump.py", "emulate.py", "emulate32.py", "testing.py"}


@pytest.mark.parametrize(
    "path",
    [p for p in _core_files() if not (p.parent == PACKAGE and p.name in _COMPAT_ALIASES)],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_core_never_imports_an_isa_package(path: Path) -> None:
    """The core reaches an ISA only through the registry (``isrgen.arch.isa``)."""
    bad = sorted(m for m in _imports(path) if m.startswith(ISA_PACKAGES))
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_shared_model_has_no_x86_option() -> None:
    """IDT gate, IST, paranoid, SIMD, swapgs, segment and SYSCALL options belong to the
    x86 package's model, not to the shared nodes every ISA on the pipeline uses."""
    import attrs

    from isrgen.arch.x86 import model as x86
    from isrgen.model import spec as shared

    x86_only = {
        "ist", "gate", "dpl", "paranoid", "simd", "irq_stack", "swapgs", "endbr64",
        "data_segments", "data_selector", "segment_selectors", "segments_from_ds", "fsgsbase",
        "syscall", "stubs", "paranoid_gs",
    }  # fmt: skip
    for cls in (shared.Spec, shared.Vector, shared.Entry, shared.EntryGroup):
        assert not x86_only & {f.name for f in attrs.fields(cls)}, cls.__name__
    # ... and the x86 model has each of them, on the class a spec's key lands in
    fields = {cls: {f.name for f in attrs.fields(cls)} for cls in (x86.X86Spec, x86.X86Vector, x86.X86Entry)}
    assert {"ist", "gate", "dpl", "paranoid", "simd", "irq_stack"} <= fields[x86.X86Vector]
    assert {"swapgs", "endbr64", "data_segments", "segment_selectors", "fsgsbase"} <= fields[x86.X86Entry]
    assert {"syscall", "stubs", "paranoid_gs", "irq_stack", "simd"} <= fields[x86.X86Spec]
