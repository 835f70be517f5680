"""The built-in backends are written down once: :data:`isrgen.backends.BUILTIN_ENTRY_POINTS`
is the ``isrgen.backends`` entry-point table of pyproject.toml, name for name, value for
value and in the same order (the order ``isrgen backends`` lists them in)."""

from __future__ import annotations

import tomllib

from conftest import ROOT

from isrgen.backends import BUILTIN_ENTRY_POINTS, builtin_backend, builtin_names


def test_builtin_table_is_the_pyproject_entry_point_table() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    registered = project["project"]["entry-points"]["isrgen.backends"]
    assert list(registered.items()) == list(BUILTIN_ENTRY_POINTS.items())
    assert builtin_names() == tuple(registered)


def test_each_builtin_entry_point_loads_the_class_it_names() -> None:
    for name, target in BUILTIN_ENTRY_POINTS.items():
        module, cls = target.split(":")
        backend = builtin_backend(name)
        assert backend is not None
        assert (type(backend).__module__, type(backend).__name__, backend.name) == (module, cls, name)
