"""The names the README documents stay importable after the stage-folder restructure."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC

import isrgen

#: (module, attribute) pairs the README names
DOCUMENTED = [
    ("isrgen", "load_spec"),
    ("isrgen", "build"),
    ("isrgen", "compute_layout"),
    ("isrgen", "render_outputs"),
    ("isrgen.verify", "verify_kernel"),
    ("isrgen.prove", "prove"),
    ("isrgen.dump", "dump_spec"),
    ("isrgen.testing", "specs"),
    ("isrgen.emulate", "link_for_emulation"),
    ("isrgen.emulate", "Emulator"),
    ("isrgen.emulate32", "link32"),
    ("isrgen.emulate32", "Emulator32"),
    ("isrgen.backends", "discover"),
]


@pytest.mark.parametrize(("module", "name"), DOCUMENTED)
def test_documented_name_imports(module: str, name: str) -> None:
    assert callable(getattr(importlib.import_module(module), name))


def test_build_is_the_function_and_writes(tmp_path: Path) -> None:
    spec = isrgen.load_spec(DEFAULT_SPEC)
    paths = isrgen.build(spec, str(tmp_path))
    assert sorted(p.name for p in paths) == ["isr.S", "isr.h"]
    for out in isrgen.render_outputs(spec):
        assert (tmp_path / out.filename).read_text() == out.content
