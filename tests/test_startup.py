"""What a cold ``isrgen build`` imports (issue #10): the parts left out for start-up
speed stay out, and leaving them out changes nothing else in the process."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC

import isrgen
from isrgen.backends import builtin_backend, builtin_names, discover


def _in_fresh_python(code: str, *args: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


_BUILD_AND_REPORT = """
import json, sys
import isrgen
isrgen.build(isrgen.load_spec(sys.argv[1]), sys.argv[2])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pygments", "jsonschema", "fastjsonschema", "isrgen"))
metadata = sys.modules.get("importlib.metadata")
report = {"modules": loaded, "metadata_lazy": type(metadata).__name__ == "_LazyModule"}
# everything left out still works for whoever needs it afterwards
from importlib.metadata import version
report["mako_version"] = version("mako")
report["metadata_real"] = type(sys.modules["importlib.metadata"]).__name__
try:
    import pygments.lexers
    report["pygments"] = "imported"
except ImportError as exc:
    report["pygments"] = f"missing: {exc}"
print(json.dumps(report))
"""


def test_a_cold_build_leaves_out_jsonschema_pygments_and_unused_backends(tmp_path: Path) -> None:
    report = _in_fresh_python(_BUILD_AND_REPORT, str(DEFAULT_SPEC), str(tmp_path / "out"))
    modules = report["modules"]
    assert isinstance(modules, list)
    assert not [m for m in modules if m.startswith(("pygments", "jsonschema", "fastjsonschema"))], modules
    # specs/x86_64.yaml writes gas and c only
    assert "isrgen.backends.gas" in modules and "isrgen.backends.c_header" in modules
    assert not {"isrgen.backends.rust", "isrgen.backends.nasm", "isrgen.backends.gdb"} & set(modules)
    assert report["metadata_lazy"] is True
    assert report["metadata_real"] == "module"
    assert report["mako_version"]
    if importlib.util.find_spec("pygments") is not None:
        assert report["pygments"] == "imported"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["isr.S", "isr.h"]


def test_output_is_the_same_when_pygments_and_metadata_were_imported_first(tmp_path: Path) -> None:
    code = (
        "import sys, importlib.metadata, mako.exceptions, isrgen; "
        "isrgen.build(isrgen.load_spec(sys.argv[1]), sys.argv[2]); print('{}')"
    )
    _in_fresh_python(code, str(DEFAULT_SPEC), str(tmp_path / "eager"))
    isrgen.build(isrgen.load_spec(DEFAULT_SPEC), tmp_path / "here")
    for name in ("isr.S", "isr.h"):
        assert (tmp_path / "eager" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_builtin_backends_load_one_at_a_time() -> None:
    assert builtin_names() == ("gas", "c", "nasm", "rust", "gdb")
    assert builtin_backend("no-such-backend") is None
    for name in builtin_names():
        backend = builtin_backend(name)
        assert backend is not None and backend.name == name
        assert discover()[name].origin == "builtin"


def test_builtin_names_match_the_entry_points_in_pyproject() -> None:
    import tomllib

    from conftest import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    registered = project["project"]["entry-points"]["isrgen.backends"]
    assert sorted(registered) == sorted(builtin_names())
    for name, target in registered.items():
        module, cls = target.split(":")
        backend = builtin_backend(name)
        assert type(backend).__module__ == module and type(backend).__name__ == cls


@pytest.mark.parametrize("name", ["gas", "nasm", "rust", "c", "gdb"])
def test_every_builtin_renders_in_a_fresh_process(name: str, tmp_path: Path) -> None:
    code = (
        "import sys, isrgen; isrgen.build(isrgen.load_spec(sys.argv[1]), sys.argv[2], [sys.argv[3]]); "
        "import json, sys; print(json.dumps({'pygments': 'pygments' in sys.modules}))"
    )
    report = _in_fresh_python(code, str(DEFAULT_SPEC), str(tmp_path), name)
    assert report == {"pygments": False}
    assert len(list(tmp_path.iterdir())) == 1
