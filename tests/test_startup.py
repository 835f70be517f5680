"""What a cold ``isrgen build`` imports: the parts left out for start-up speed stay out,
and using isrgen as a library changes nothing else in the process (no module replaced
in ``sys.modules``, the garbage collector as it was)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC

from isrgen.backends import builtin_backend, builtin_names, discover


def _in_fresh_python(code: str, *args: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


_BUILD_AND_REPORT = """
import gc, json, sys
before = (gc.isenabled(), gc.get_threshold(), {k: id(v) for k, v in sys.modules.items()})
import isrgen
isrgen.build(isrgen.load_spec(sys.argv[1]), sys.argv[2])
watched = ("pygments", "jsonschema", "fastjsonschema", "mako", "isrgen")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in watched)
replaced = sorted(k for k, i in before[2].items() if k in sys.modules and id(sys.modules[k]) != i)
lazy = sorted(k for k, v in sys.modules.items() if type(v).__name__ == "_LazyModule")
report = {"modules": loaded, "replaced": replaced, "lazy": lazy,
          "gc_same": (gc.isenabled(), gc.get_threshold()) == before[:2]}
print(json.dumps(report))
"""


def test_a_cold_build_leaves_out_jsonschema_pygments_mako_and_unused_backends(tmp_path: Path) -> None:
    report = _in_fresh_python(_BUILD_AND_REPORT, str(DEFAULT_SPEC), str(tmp_path / "out"))
    modules = report["modules"]
    assert isinstance(modules, list)
    assert not [m for m in modules if m.startswith(("pygments", "jsonschema", "fastjsonschema", "mako"))], modules
    # specs/x86_64.yaml writes gas and c only
    assert "isrgen.backends.gas" in modules and "isrgen.backends.c_header" in modules
    assert not {"isrgen.backends.rust", "isrgen.backends.nasm", "isrgen.backends.gdb"} & set(modules)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["isr.S", "isr.h"]


def test_the_library_has_no_process_global_side_effects(tmp_path: Path) -> None:
    report = _in_fresh_python(_BUILD_AND_REPORT, str(DEFAULT_SPEC), str(tmp_path / "out"))
    assert report["replaced"] == [] and report["lazy"] == []
    assert report["gc_same"] is True


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
        "import json, sys; print(json.dumps({'mako': 'mako' in sys.modules}))"
    )
    report = _in_fresh_python(code, str(DEFAULT_SPEC), str(tmp_path), name)
    assert report == {"mako": False}
    assert len(list(tmp_path.iterdir())) == 1


def test_templates_refuse_what_they_cannot_do() -> None:
    from isrgen.backends.templating import TemplateError, translate

    with pytest.raises(TemplateError, match="unknown control line"):
        translate("% while True:\nx\n% endwhile\n", ("view",))
    with pytest.raises(TemplateError, match="not closed"):
        translate("% for x in view:\n${x}\n", ("view",))
    with pytest.raises(TemplateError, match="unterminated"):
        translate("a ${view.b\n", ("view",))


def test_template_text_is_interpolated_and_looped() -> None:
    from isrgen.backends.templating import translate

    namespace: dict[str, object] = {}
    exec(
        translate(
            "head ${view[0]}\n% for x in view:\n% for y in x:\n  ${'{' + str(y) + '}'}\n% endfor\n% endfor\n", ("view",)
        ),
        namespace,
    )
    out: list[str] = []
    namespace["render"](out, view=[(1,), (), (3, 4)])  # type: ignore[operator]
    assert "".join(out) == "head (1,)\n  {1}\n  {3}\n  {4}\n"
