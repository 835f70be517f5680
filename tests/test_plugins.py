"""Third-party backends through the ``isrgen.backends`` entry-point group.

The demo plugin under tests/plugins/isrgen-demo-backend is pip-installed by
``scripts/setup.sh --test``.  Broken plugins are real distributions too: a
``*.dist-info`` folder with an ``entry_points.txt`` on PYTHONPATH, which is
exactly what importlib.metadata discovers for an installed package.
"""

from __future__ import annotations

import csv
import io
import os
import textwrap
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, ROOT, load_x86, run_isrgen

DEMO = "isrgen-demo-backend"


def require_demo_plugin() -> None:
    """Skip (or, under CI, fail) unless the demo plugin is installed."""
    try:
        distribution(DEMO)
    except PackageNotFoundError:
        msg = f"{DEMO} is not installed (bash scripts/setup.sh --test installs it)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


def _isrgen(*args: str, site: Path | None = None) -> tuple[int, str, str]:
    env = dict(os.environ)
    paths = [str(ROOT), *([str(site)] if site else []), *filter(None, [env.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    proc = run_isrgen(*args, env=env, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def _fake_dist(site: Path, dist: str, entry_points: str, module: str = "", module_name: str = "") -> None:
    """Install (by hand, as pip would lay it out) a distribution with isrgen entry points."""
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[isrgen.backends]\n" + textwrap.dedent(entry_points))
    if module:
        (site / f"{module_name}.py").write_text(textwrap.dedent(module))


def test_demo_plugin_is_listed_with_its_origin() -> None:
    require_demo_plugin()
    status, out, err = _isrgen("backends")
    assert status == 0, err
    rows = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()}
    assert rows["vector-csv"][2] == f"[{DEMO} (isrgen_demo_backend:VectorCsvBackend)]"
    assert rows["gas"][2] == "[builtin]"


def test_demo_plugin_adds_an_output_format(tmp_path: Path) -> None:
    require_demo_plugin()
    status, out, err = _isrgen("build", str(DEFAULT_SPEC), "-o", str(tmp_path), "-b", "vector-csv", "-b", "c")
    assert status == 0, err
    assert out.split() == [str(tmp_path / "vectors.csv"), str(tmp_path / "isr.h")]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "vectors.csv").read_text())))
    spec = load_x86(DEFAULT_SPEC)
    assert [int(r["vector"]) for r in rows] == [v.number for v in spec.vectors]
    pushes = {int(r["vector"]) for r in rows if r["error_code"] == "1"}
    assert pushes == {8, 10, 11, 12, 13, 14, 17, 21, 29, 30}
    # and it goes through the same write-if-changed, depfile and stdout paths as a built-in
    _, stdout, _ = _isrgen("build", str(DEFAULT_SPEC), "-o", "-", "-b", "vector-csv")
    assert stdout == (tmp_path / "vectors.csv").read_text()


GOOD_MODULE = """
    class Twin:
        name = "twin"
        description = "a twin"
        default_filename = "twin.txt"

        def render(self, ctx, filename):
            return "twin\\n"

    class Crashes(Twin):
        name = "crashes"

        def render(self, ctx, filename):
            raise RuntimeError("plugin bug")

    class NoRender:
        name = "norender"
        description = "no render"
        default_filename = "x"

    class Misnamed(Twin):
        name = "something-else"
"""


@pytest.mark.parametrize(
    ("entry_points", "message"),
    [
        ("twin = twinmod:Twin\n", None),
        (
            "twin = twinmod:Twin\n",
            "backend 'twin' is provided twice: by dup-a (twinmod:Twin) and by dup-b (twinmod:Twin)",
        ),
        ("broken = no_such_module:Thing\n", "backend plugin 'broken' (no_such_module:Thing) failed to load: "),
        ("norender = twinmod:NoRender\n", "backend plugin 'norender' (twinmod:NoRender) is malformed: missing render"),
        ("misnamed = twinmod:Misnamed\n", "backend plugin 'misnamed' (twinmod:Misnamed) calls itself 'something-else'"),
        ("gas = twinmod:Twin\n", "backend 'gas' is provided twice: by builtin and by dup-a (twinmod:Twin)"),
    ],
    ids=["ok", "duplicate", "import-error", "malformed", "misnamed", "shadows-builtin"],
)
def test_bad_plugins_are_one_line_errors(tmp_path: Path, entry_points: str, message: str | None) -> None:
    site = tmp_path / "site"
    _fake_dist(site, "dup-a", entry_points, GOOD_MODULE, "twinmod")
    if message and "dup-b" in message:
        _fake_dist(site, "dup-b", entry_points)
    status, out, err = _isrgen("backends", site=site)
    if message is None:
        assert status == 0, err
        assert "twin\ta twin\t[dup-a (twinmod:Twin)]" in out.splitlines()
        return
    assert status == 2
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"isrgen: error: {message}"), err


def test_plugin_crash_while_rendering_is_reported_not_a_traceback(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _fake_dist(site, "crashy", "crashes = twinmod:Crashes\n", GOOD_MODULE, "twinmod")
    status, _, err = _isrgen("build", str(DEFAULT_SPEC), "-o", str(tmp_path / "out"), "-b", "crashes", site=site)
    assert status == 2
    assert (
        err
        == "isrgen: error: backend plugin 'crashes' from crashy (twinmod:Crashes) failed: RuntimeError: plugin bug\n"
    )
    assert not (tmp_path / "out" / "twin.txt").exists()
