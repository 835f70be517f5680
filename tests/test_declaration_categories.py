"""Each kind of declaration each backend writes is seen by the rendered-name check.

Every case makes one name the spec chose collide with one kind of declaration (a C
macro, struct tag, function or object; a Rust struct, const, static, fn or
``global_asm!`` label; an assembly label, ``.set``/``equ`` symbol, NASM ``%define`` or
``extern``), in real rendered output: the default spec's, or that spec with one name
changed behind the loader's back (the loader refuses these names itself; the output
check is the net under it).  The clash each must give is written out here: a reader
that stopped seeing that kind of declaration would report none, or another one.
Declarations the x86 backends do not write today (GAS ``.set``, NASM ``equ`` and
``%define``, a second NASM ``extern``) are appended to the real output in the
backend's own syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs
import pytest
from conftest import DEFAULT_SPEC, load_x86

import isrgen
from isrgen.backends import builtin_backend
from isrgen.backends.base import GenerationContext
from isrgen.model.spec import ChosenName, NameRole, Spec
from isrgen.output.declarations import declarations, name_clashes

FILES = {"gas": "isr.S", "nasm": "isr.asm", "c": "isr.h", "rust": "isr.rs", "gdb": "isr-gdb.py"}
KEY = isrgen.SourceRef("names.yaml", 7, 12)
START = isrgen.SourceRef("names.yaml", 1, 1)


def _as_shipped(spec: Spec) -> Spec:
    return spec


def _exit_named_isr_halt(spec: Spec) -> Spec:
    # the exit routine spelled like the halt routine: each output declares isr_halt twice
    return attrs.evolve(spec, symbols=attrs.evolve(spec.symbols, exit="isr_halt"))


def _gates_named_isr_table(spec: Spec) -> Spec:
    # the gate attribute table spelled like the handler table: two objects/statics isr_table
    return attrs.evolve(spec, symbols=attrs.evolve(spec.symbols, gates="isr_table"))


def _table_named_vector_count(spec: Spec) -> Spec:
    # the handler table spelled like the Rust module's VECTOR_COUNT constant
    return attrs.evolve(spec, symbols=attrs.evolve(spec.symbols, table="VECTOR_COUNT"))


def _table_named_isr_idt_fill(spec: Spec) -> Spec:
    # the handler table spelled like the header's static inline IDT fill function
    return attrs.evolve(spec, symbols=attrs.evolve(spec.symbols, table="isr_idt_fill"))


def _frame_named_isr_idt_gate(spec: Spec) -> Spec:
    # the frame struct spelled like the header's gate struct (Rust: IsrIdtGate)
    return attrs.evolve(spec, frame=attrs.evolve(spec.frame, struct_name="isr_idt_gate"))


@pytest.fixture(scope="module")
def shipped() -> Spec:
    return load_x86(DEFAULT_SPEC)


def _rendered(spec: Spec, backend: str) -> str:
    """The output exactly as the backend renders it, without the check build runs on it."""
    renderer = builtin_backend(backend)
    assert renderer is not None, backend
    return renderer.render(GenerationContext.from_spec(spec), FILES[backend])


DEFINED, REFERENCED, TYPE = NameRole.DEFINED, NameRole.REFERENCED, NameRole.TYPE
_TWICE = "it names something else too"
_CALL = "the glue's call would land on it"

#: (backend, spec change, line appended to the output, chosen name, its role, the clash)
CASES: list[tuple[str, Callable[[Spec], Spec], str, str, NameRole, str]] = [
    # C header
    ("c", _as_shipped, "", "ISR_VECTOR_COUNT", DEFINED, "'ISR_VECTOR_COUNT' is also a macro isr.h defines"),
    ("c", _as_shipped, "", "ISR_TSS_IST_SLOT", REFERENCED, "'ISR_TSS_IST_SLOT' is also a macro isr.h defines"),
    ("c", _as_shipped, "", "ISRGEN_ISR_H_", DEFINED, "'ISRGEN_ISR_H_' is also a macro isr.h defines"),
    ("c", _frame_named_isr_idt_gate, "", "isr_idt_gate", TYPE,
     f"'isr_idt_gate' is declared 2 times in isr.h (as a struct tag): {_TWICE}"),
    ("c", _exit_named_isr_halt, "", "isr_halt", DEFINED,
     f"'isr_halt' is declared 2 times in isr.h (as a ordinary identifier): {_TWICE}"),
    ("c", _gates_named_isr_table, "", "isr_table", DEFINED,
     f"'isr_table' is declared 2 times in isr.h (as a ordinary identifier): {_TWICE}"),
    ("c", _table_named_isr_idt_fill, "", "isr_idt_fill", DEFINED,
     f"'isr_idt_fill' is declared 2 times in isr.h (as a ordinary identifier): {_TWICE}"),
    # Rust module
    ("rust", _frame_named_isr_idt_gate, "", "isr_idt_gate", TYPE,
     "'isr_idt_gate' is spelled 'IsrIdtGate' in isr.rs, which declares that 2 times (as a Rust type)"),
    ("rust", _table_named_vector_count, "", "VECTOR_COUNT", DEFINED,
     f"'VECTOR_COUNT' is declared 2 times in isr.rs (as a Rust value): {_TWICE}"),
    ("rust", _gates_named_isr_table, "", "isr_table", DEFINED,
     f"'isr_table' is declared 2 times in isr.rs (as a Rust value): {_TWICE}"),
    ("rust", _exit_named_isr_halt, "", "isr_halt", DEFINED,
     f"'isr_halt' is declared 2 times in isr.rs (as a Rust value): {_TWICE}"),
    ("rust", _as_shipped, "", "isr_common", REFERENCED,
     f"handler 'isr_common' is also a symbol isr.rs defines: {_CALL}"),
    # GNU as
    ("gas", _as_shipped, "", "isr_stub_7", REFERENCED, f"handler 'isr_stub_7' is also a symbol isr.S defines: {_CALL}"),
    ("gas", _exit_named_isr_halt, "", "isr_halt", DEFINED,
     f"'isr_halt' is declared 2 times in isr.S (as a assembly symbol): {_TWICE}"),
    ("gas", _as_shipped, "    .set isr_vectors, 256", "isr_vectors", REFERENCED,
     f"handler 'isr_vectors' is also a symbol isr.S defines: {_CALL}"),
    ("gas", _as_shipped, "    .equ isr_vectors, 256", "isr_vectors", REFERENCED,
     f"handler 'isr_vectors' is also a symbol isr.S defines: {_CALL}"),
    # NASM
    ("nasm", _as_shipped, "", "isr_stub_7", REFERENCED,
     f"handler 'isr_stub_7' is also a symbol isr.asm defines: {_CALL}"),
    ("nasm", _exit_named_isr_halt, "", "isr_halt", DEFINED,
     f"'isr_halt' is declared 2 times in isr.asm (as a assembly symbol): {_TWICE}"),
    ("nasm", _as_shipped, "isr_vectors equ 256", "isr_vectors", REFERENCED,
     f"handler 'isr_vectors' is also a symbol isr.asm defines: {_CALL}"),
    ("nasm", _as_shipped, "%define isr_vectors 256", "isr_vectors", DEFINED,
     "'isr_vectors' is also a macro isr.asm defines"),
    ("nasm", _as_shipped, "extern isr_dispatch", "isr_dispatch", REFERENCED,
     f"'isr_dispatch' is declared 2 times in isr.asm (as a NASM extern): {_TWICE}"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("backend", "change", "appended", "name", "role", "clash"),
    CASES,
    ids=[f"{c[0]}-{c[1].__name__.strip('_')}-{c[3]}{'-' + c[2].split()[0] if c[2] else ''}" for c in CASES],
)
def test_each_kind_of_declaration_gives_its_clash(
    shipped: Spec,
    backend: str,
    change: Callable[[Spec], Spec],
    appended: str,
    name: str,
    role: NameRole,
    clash: str,
) -> None:
    text = _rendered(change(shipped), backend)
    text += f"{appended}\n" if appended else ""
    chosen = [ChosenName(name, role, "$.symbols.exit", KEY)]
    # (NASM's ..@isr_halt.end, declared twice too, is no name the spec chose: it goes to START)
    (diag,) = [d for d in name_clashes(chosen, [(backend, FILES[backend], text)], START) if d.source != START]
    assert diag.message == clash
    assert (diag.source, diag.path) == (KEY, "$.symbols.exit")
    if change is not _as_shipped or appended:
        # the clash comes from the second declaration: the shipped output has none
        assert name_clashes(chosen, [(backend, FILES[backend], _rendered(shipped, backend))], START) == []


def test_every_backend_and_kind_is_covered() -> None:
    kinds = {
        "c": {"macro", "struct tag", "ordinary identifier"},
        "rust": {"Rust type", "Rust value", "assembly symbol"},
        "gas": {"assembly symbol"},
        "nasm": {"assembly symbol", "macro", "NASM extern"},
    }
    covered: dict[str, set[str]] = {}
    for backend, _, _, _, _, clash in CASES:
        kind = re.search(r"as an? ([\w ]+)\)|(macro)|(symbol)", clash)
        assert kind is not None, clash
        found = kind.group(1) or kind.group(2) or "assembly symbol"
        covered.setdefault(backend, set()).add(found)
    assert covered == kinds


def test_the_gdb_script_declares_nothing_a_spec_name_can_spell(shipped: Spec) -> None:
    """The gdb script's names live in gdb and Python, not the kernel's namespaces: its
    commands are hyphenated (no C identifier spells one), its Python names are its own."""
    text = _rendered(shipped, "gdb")
    assert declarations("gdb", text, FILES["gdb"]) == []
    commands = re.findall(r'super\(\).__init__\("([^"]+)"', text)
    assert commands == ["isr-frame", "isr-restore", "isr-unrestore"]
    chosen = [ChosenName(n, DEFINED, "$.symbols.table", KEY) for n in ("FRAME_SIZE", "parse_frame", "gdb")]
    assert name_clashes(chosen, [("gdb", FILES["gdb"], text)], START) == []
