"""Mutated riscv64 specs: each one either loads and renders every output, or fails with a
SpecError (located diagnostics), never with another exception."""

from __future__ import annotations

import copy
import io
import random
from typing import Any

from riscv64_tools import SPECS
from ruamel.yaml import YAML

from isrgen.arch.riscv64.outputs import render_output
from isrgen.arch.riscv64.resolve import load_riscv64_spec
from isrgen.diagnostics import SpecError

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    4,
    8,
    255,
    2**64,
    1.5,
    "",
    "x",
    "ra",
    "pad",
    "sepc",
    [],
    [0],
    ["ra"],
    {},
    {"pad": 8},
    {"pad": "x"},
    {"name": 3, "holds": "ra"},
    {"a": 1},
]
KEYS = ["isrgen", "mode", "bogus", "pad", "holds", "name", "protocol", "layout", "size"]


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _places(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _places(v, (*path, i))
    return out


def _mutate(rng: random.Random, data: Any) -> None:
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_places(data))
        if not path:
            continue
        parent = data
        for p in path[:-1]:
            parent = parent[p]
        r = rng.random()
        if r < 0.6:
            parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
        elif r < 0.8 and isinstance(parent, dict):
            parent[rng.choice(KEYS)] = copy.deepcopy(rng.choice(VALUES))
        elif isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])


def test_mutated_specs_fail_cleanly_or_render() -> None:
    rng = random.Random(20261203)
    yaml = YAML(typ="safe")
    texts = [p.read_text() for p in SPECS]
    accepted = rejected = 0
    for _ in range(150):
        data = yaml.load(rng.choice(texts))
        _mutate(rng, data)
        buf = io.StringIO()
        yaml.dump(data, buf)
        try:
            options = load_riscv64_spec(buf.getvalue(), "mutated.yaml")
        except SpecError as exc:
            assert exc.diagnostics and all(d.source.file == "mutated.yaml" for d in exc.diagnostics)
            rejected += 1
            continue
        for backend in ("gas", "c", "rust"):
            assert render_output(options, backend)
        accepted += 1
    assert accepted and rejected
