"""Any edit of a valid aarch64 spec gives a spec or located errors, never a traceback."""

from __future__ import annotations

import copy
import io
import random
from typing import Any

import pytest
from a64_helpers import BASE_SPEC, KERNEL_SPEC
from ruamel.yaml import YAML

from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.diagnostics import SpecError
from isrgen.spec.yamlsource import parse_yaml

VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 15, 16, 17, 4096, 2**64, 1.5, "", "x", "x31", "sp", "pad", "fpsimd",
    "el1h_sync", "tpidr_el1", "frame", "void", "{prefix}", "{nope}", "{name}", [], [0], ["x0", "x0"],
    {}, {"name": "a", "holds": "x0"}, {"name": "b", "holds": "pad", "size": 12}, {"slot": 99},
]  # fmt: skip
KEYS = ["layout", "slot", "use", "fpsimd", "symbol", "returns", "args", "bogus", "restored", "source"]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _mutate(rng: random.Random, data: Any) -> Any:
    paths = _paths(data)[1:]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        parent = data
        for p in path[:-1]:
            parent = parent[p]
        choice = rng.random()
        if choice < 0.6:
            parent[path[-1]] = rng.choice(VALUES)
        elif choice < 0.8 and isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif isinstance(parent, dict):
            parent[rng.choice(KEYS)] = rng.choice(VALUES)
        paths = _paths(data)[1:]
        if not paths:
            break
    return data


@pytest.mark.parametrize("source", [BASE_SPEC, KERNEL_SPEC], ids=["base", "kernel"])
@pytest.mark.parametrize("seed", range(4))
def test_mutated_specs_never_crash(source: Any, seed: int) -> None:
    rng = random.Random(seed)
    base = parse_yaml(source.read_text(), str(source)).data
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    errors = 0
    for _ in range(80):
        data = _mutate(rng, copy.deepcopy(base))
        buf = io.StringIO()
        yaml.dump(data, buf)
        try:
            load_aarch64_spec(buf.getvalue(), "m.yaml")
        except SpecError as exc:
            errors += 1
            assert all(d.source.file == "m.yaml" and d.message for d in exc.diagnostics)
    assert errors > 0
