"""Malformed specs never crash isrgen: every mutation of a real spec either loads and
renders, or is rejected with located SpecErrors (or a one-line UsageError).

Two seeded fuzzers: one edits the parsed structure (wrong types, deleted keys, odd
values and keys at random places), one edits the text itself (broken YAML).
"""

from __future__ import annotations

import copy
import io
import random
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ROOT, loads_x86
from ruamel.yaml import YAML

import isrgen
from isrgen.diagnostics import SpecError, UsageError

SOURCES = [
    ROOT / "specs" / "x86_64.yaml",
    ROOT / "specs" / "i386.yaml",
    ROOT / "specs" / "examples" / "linux_pt_regs.yaml",
    ROOT / "specs" / "examples" / "xv6_trapframe.yaml",
    ROOT / "specs" / "examples" / "mittos64.yaml",
    ROOT / "tests" / "specs" / "entry_full.yaml",
]
VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 7, 8, 255, 256, 2**40, -(2**63), 3.0, 3.5, "", "x", "rax", "eax", "ds",
    "pad", "vector", "error_code", "simd_area", "pushal", "{n}", "{prefix}", "{bogus}", "{n:x}", "{", [], {},
    [1, 2], [300, 1], [2, 1], {"a": 1}, {"pad": 3}, {"pad": 16}, {"vector": "trapno"}, {"pushal": ["a"]},
    "fxsave", "xsave", "frame", "noreturn", "cdecl", "sysv", "dense", "classic", ".data", ".text.x", ".rodata",
]  # fmt: skip
KEYS = [
    "ist", "gate", "dpl", "handler", "kernel_handler", "simd", "paranoid", "class", "name", "range", "vector",
    "error_code", "error_code_override", "cli", "width", "contents", "visibility", "style", "swapgs", "syscall",
    "restored", "cfi", "cfi_sections", "data_segments", "exit_frame", "vector_in_error_slot", "marker", "layout",
    "cpu_fields", "align_stack", "returns", "convention",
]  # fmt: skip


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _mutate(rng: random.Random, data: Any) -> Any:
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 4)):
        path = rng.choice(list(_paths(data)))
        if not path:
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        roll = rng.random()
        if roll < 0.5:
            parent[path[-1]] = rng.choice(VALUES)
        elif roll < 0.7:
            del parent[path[-1]]
        elif roll < 0.85 and isinstance(parent, dict):
            parent[rng.choice(KEYS)] = rng.choice(VALUES)
        elif isinstance(parent[path[-1]], list):
            parent[path[-1]].append(rng.choice(VALUES))
    return data


def _survives(text: str) -> None:
    try:
        spec = loads_x86(text, "fuzzed.yaml")
        isrgen.render_outputs(spec, [o.backend for o in spec.outputs])
    except SpecError as exc:
        assert exc.diagnostics and all(d.source.file == "fuzzed.yaml" for d in exc.diagnostics)
    except UsageError:
        pass


@pytest.mark.parametrize("seed", range(4))
def test_structural_mutations_never_crash(seed: int) -> None:
    rng = random.Random(seed)
    yaml = YAML(typ="safe")
    bases = [yaml.load(p.read_text()) for p in SOURCES]
    dumper = YAML()
    for _ in range(150):
        buf = io.StringIO()
        dumper.dump(_mutate(rng, rng.choice(bases)), buf)
        _survives(buf.getvalue())


@pytest.mark.parametrize("seed", range(4))
def test_text_mutations_never_crash(seed: int) -> None:
    rng = random.Random(1000 + seed)
    texts = [p.read_text() for p in SOURCES]
    alphabet = list("{}[]:,-#'\"!&*|>%@`\n\t 0123456789abcxyz_.")
    for _ in range(150):
        chars = list(rng.choice(texts))
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(chars))
            roll = rng.random()
            if roll < 0.4:
                chars[pos] = rng.choice(alphabet)
            elif roll < 0.7:
                del chars[pos]
            else:
                chars.insert(pos, rng.choice(alphabet))
        _survives("".join(chars))


def test_a_float_is_not_an_integer() -> None:
    text = "isrgen: 1\narch: x86_64\nhandler: {symbol: h}\nvectors: [{vector: 3.0}]\n"
    with pytest.raises(SpecError) as info:
        loads_x86(text, "f.yaml")
    (diag,) = info.value.diagnostics
    assert (diag.source.line, diag.source.col) == (4, 20) and "expected an integer" in diag.message


def test_i386_spec_without_a_layout_uses_pushal_and_segments() -> None:
    spec = loads_x86("isrgen: 1\narch: i386\nhandler: {symbol: h}\nvectors: [{vector: 3}]\n", "d.yaml")
    roles = [s.role for s in spec.frame.slots]
    assert roles[:8] == ["edi", "esi", "ebp", "pushal_esp", "ebx", "edx", "ecx", "eax"]
    assert roles[8:12] == ["gs", "fs", "es", "ds"]


def test_an_alias_bomb_is_stopped_with_a_located_error() -> None:
    """Nine levels of nine aliases would expand to 387 million values ("billion laughs")."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    with pytest.raises(SpecError) as info:
        loads_x86("\n".join(lines) + "\n", "bomb.yaml")
    (diag,) = info.value.diagnostics
    assert "expands to more than" in diag.message and diag.source.file == "bomb.yaml" and diag.source.line >= 1


@pytest.mark.parametrize("depth", [100, 5000])
def test_deep_nesting_is_a_clean_error(depth: int) -> None:
    with pytest.raises(SpecError) as info:
        loads_x86("isrgen: " + "[" * depth + "]" * depth + "\n", "deep.yaml")
    assert any("nested" in d.message for d in info.value.diagnostics), info.value.diagnostics


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9" * 5000, "a number with too many digits"),  # beyond Python's int conversion limit
        ("0x" + "f" * 6000, "integer out of range"),  # converts, but no message could print it
    ],
)
def test_absurd_integers_are_clean_errors(value: str, message: str) -> None:
    text = f"isrgen: 1\narch: x86_64\nhandler: {{symbol: h}}\nvectors: [{{vector: {value}}}]\n"
    with pytest.raises(SpecError) as info:
        loads_x86(text, "big.yaml")
    (diag,) = info.value.diagnostics
    assert message in diag.message and (diag.source.line, diag.path) == (4, "$.vectors[0].vector")
