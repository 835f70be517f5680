"""What ``pip install isrgen`` gets: a lean pure-Python wheel whose optional commands
name their extra, an sdist without the repository-only tests, and metadata that
reads well on PyPI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, ROOT, require_module

#: what build, check-spec, schema and backends may pull in, as distribution names
CORE_DISTRIBUTIONS = {"attrs", "click", "jsonschema", "ruamel.yaml", "ruamel.yaml.clib"}
#: the heavy, optional stacks and the extras that bring them
OPTIONAL = {"unicorn": "prove", "pyelftools": "prove", "capstone": None}

# A fresh interpreter in which the named top-level modules cannot be imported, as if
# their distributions were not installed; it then runs the isrgen CLI on argv[1:].
_BLOCKED_CLI = """
import sys
BLOCKED = set(sys.argv[1].split(","))
class _Uninstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Uninstalled())
from isrgen.cli import main
code = 0
try:
    main(sys.argv[2:], prog_name="isrgen")
except SystemExit as exc:
    code = exc.code or 0
leaked = sorted(m for m in BLOCKED if m in sys.modules)
print("LEAKED:" + ",".join(leaked), file=sys.stderr)
sys.exit(code)
"""


def _cli_without(blocked: list[str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _BLOCKED_CLI, ",".join(blocked), *args], capture_output=True, text=True, cwd=cwd
    )


def _requirement_name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].lower()


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


# -- the optional commands name their extra --------------------------------------------


@pytest.mark.parametrize(
    ("command", "blocked", "extra"),
    [
        (["prove", str(DEFAULT_SPEC)], ["unicorn"], "prove"),
        (["prove", str(DEFAULT_SPEC)], ["elftools"], "prove"),
        (["verify", "-s", str(DEFAULT_SPEC), "kernel.elf"], ["elftools"], "verify"),
    ],
    ids=["prove-without-unicorn", "prove-without-pyelftools", "verify-without-pyelftools"],
)
def test_missing_extra_is_a_one_line_usage_error(command: list[str], blocked: list[str], extra: str) -> None:
    proc = _cli_without(blocked, *command)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("LEAKED:")]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"pip install 'isrgen[{extra}]'" in lines[0]
    assert blocked[0] in lines[0]  # the missing module is named
    assert lines[0].startswith("isrgen: error: ")


def test_the_core_commands_work_without_the_optional_stacks(tmp_path: Path) -> None:
    blocked = ["unicorn", "elftools", "capstone", "hypothesis"]
    out = tmp_path / "out"
    every_backend = [a for name in ("gas", "nasm", "rust", "c", "gdb") for a in ("-b", name)]
    build = _cli_without(blocked, "build", str(DEFAULT_SPEC), "-o", str(out), *every_backend)
    assert build.returncode == 0, build.stderr
    assert sorted(p.name for p in out.iterdir()) == ["isr-gdb.py", "isr.S", "isr.asm", "isr.h", "isr.rs"]
    assert build.stderr.strip() == "LEAKED:"  # nothing optional was imported
    for args in (["check-spec", str(DEFAULT_SPEC)], ["schema"], ["backends"]):
        proc = _cli_without(blocked, *args)
        assert proc.returncode == 0, (args, proc.stderr)
        assert proc.stderr.strip() == "LEAKED:", args


# -- pyproject.toml ---------------------------------------------------------------------


def test_a_plain_install_needs_only_the_core_dependencies() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    core = {_requirement_name(r) for r in project["dependencies"]}
    assert core == CORE_DISTRIBUTIONS
    extras = {name: {_requirement_name(r) for r in reqs} for name, reqs in project["optional-dependencies"].items()}
    assert extras["prove"] == {"unicorn", "pyelftools"}
    assert extras["verify"] == {"pyelftools"}
    # the test suite runs every command: its extra holds every other extra
    assert extras["prove"] | extras["verify"] | {"capstone", "hypothesis", "pytest"} <= extras["test"]


def test_license_file_matches_the_declared_license() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert project["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_readme_reads_well_on_pypi() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    # PyPI shows the README without the repository: links must be absolute
    relative = [m for m in re.findall(r"\]\(([^)]*)\)", readme) if not re.match(r"https?://|#", m)]
    assert relative == []
    # no table row repeated within one table
    for table in re.findall(r"(?:^\|.*\|\n)+", readme, flags=re.M):
        rows = table.splitlines()
        assert len(rows) == len(set(rows)), [r for r in rows if rows.count(r) > 1]


# -- the built distributions ----------------------------------------------------------


def _build(kind: str, src: Path, out: Path) -> str:
    """Run setuptools' PEP 517 hook ``build_<kind>`` in ``src``; the file name it wrote."""
    code = f"import sys, setuptools.build_meta as b; print('BUILT:' + b.build_{kind}(sys.argv[1]))"
    proc = subprocess.run([sys.executable, "-c", code, str(out)], cwd=src, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [line for line in proc.stdout.splitlines() if line.startswith("BUILT:")][-1].removeprefix("BUILT:")


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and wheel that setuptools builds from a copy of this tree."""
    require_module("setuptools")
    import setuptools  # type: ignore[import-untyped]

    if tuple(int(p) for p in setuptools.__version__.split(".")[:2]) < (77, 0):
        msg = f"setuptools {setuptools.__version__} is older than pyproject.toml's build requirement (77)"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI is set)")
        pytest.skip(msg)
    work = tmp_path_factory.mktemp("dist")
    src = work / "src"
    shutil.copytree(
        ROOT,
        src,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "*.egg-info", "build", "out", "target", "__pycache__", ".*_cache", ".hypothesis"
        ),
    )
    sdist = work / "dist" / _build("sdist", src, work / "dist")
    # the wheel is built from the unpacked sdist, as pip does: the sdist must be complete
    with tarfile.open(sdist) as tf:
        tf.extractall(work / "unpacked", filter="data")
    wheel = work / "dist" / _build("wheel", work / "unpacked" / sdist.name.removesuffix(".tar.gz"), work / "dist")
    return {"sdist": sdist, "wheel": wheel}


def test_wheel_is_pure_python_with_lean_requirements(dists: dict[str, Path]) -> None:
    wheel = dists["wheel"]
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode("utf-8"))
    requires = meta.get_all("Requires-Dist", [])
    plain = {_requirement_name(r) for r in requires if "extra ==" not in r}
    assert plain == CORE_DISTRIBUTIONS
    for dist, extra in OPTIONAL.items():
        assert dist not in plain
        if extra:
            assert any(_requirement_name(r) == dist and f'extra == "{extra}"' in r for r in requires)
    assert meta["License-Expression"] == "MIT"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert meta["Keywords"] and len(meta.get_all("Classifier", [])) >= 5
    assert "isrgen/spec/schema/spec.schema.json" in names
    assert not any(n.startswith(("tests/", "examples/", "benchmarks/")) for n in names)


def test_sdist_omits_the_repository_only_tests(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as tf:
        names = [n.split("/", 1)[1] for n in tf.getnames() if "/" in n]
    assert "LICENSE" in names and "README.md" in names and "pyproject.toml" in names
    assert "isrgen/cli/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "examples/", "benchmarks/", ".ci/"))]


def test_wheel_ships_the_specs_and_init_templates(dists: dict[str, Path]) -> None:
    """``isrgen init --example`` copies shipped specs: the wheel must hold every one."""
    with zipfile.ZipFile(dists["wheel"]) as zf:
        names = set(zf.namelist())
    specs = sorted(p.relative_to(ROOT / "specs").as_posix() for p in (ROOT / "specs").rglob("*.yaml"))
    assert specs and all(f"isrgen/shipped_specs/{s}" in names for s in specs)
    for template in ("isr.yaml", "isrgen.mk", "isrgen.cmake", "isrgen.meson"):
        assert f"isrgen/cli/templates/init/{template}" in names
