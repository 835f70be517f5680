"""The build-system examples under examples/integration, built with the real tools.

Each example is copied to a temporary folder and built.  Then:
- the spec is edited: the generated file and the object built from it are rebuilt;
- nothing changes: a rebuild rebuilds nothing;
- the spec is only touched (same content): the generated file keeps its mtime, so
  its object is not rebuilt (isrgen writes only changed files; Ninja restats).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from conftest import ROOT, require_tool, run

EXAMPLES = ROOT / "examples" / "integration"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("MAKEFLAGS", None)
    return env


def _make_newer(path: Path, than: Path) -> None:
    """Give ``path`` an mtime just after ``than``'s, whatever the file system's clock tick."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, max(st.st_mtime_ns, than.stat().st_mtime_ns + 1_000_000)))


@attrs.frozen
class Example:
    """How to build one copied example, and where its products land."""

    #: runs one (incremental) build in the copied example; returns what the tool printed
    build: Callable[[], str]
    #: finds the generated file that the object is built from
    find_generated: Callable[[], Path]
    #: finds the object (or library) built from the generated file
    find_object: Callable[[], Path]
    #: what the tool prints when there was nothing to do
    idle: str
    #: after a touch that leaves the spec's content alone, whether the object is kept
    #: (make and Ninja look at the generated file's mtime; cargo always recompiles a crate
    #: whose build script ran)
    touch_keeps_object: bool = True
    #: after such a touch, whether the next build is idle (Ninja restats; make has no
    #: record of the run, so it reruns isrgen, cheaply, until the spec changes)
    idle_after_touch: bool = True


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "integration"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("build", "target"))
    return root


def _one(pattern: str, folder: Path) -> Callable[[], Path]:
    def find() -> Path:
        found = sorted(folder.rglob(pattern))
        assert len(found) == 1, f"expected one {pattern} under {folder}, found {found}"
        return found[0]

    return find


def _make_example(root: Path) -> Example:
    require_tool("make", "cc", "ar")
    folder = root / "make"
    isrgen = f"{sys.executable} -m isrgen"

    def build() -> str:
        return run(["make", f"ISRGEN={isrgen}"], cwd=folder, env=_env()).stdout

    # GNU make has no restat: after a touch it reruns isrgen (cheaply) until the spec changes
    build_dir = folder / "build"
    return Example(
        build, _one("isr.S", build_dir), _one("isr.o", build_dir), "Nothing to be done", idle_after_touch=False
    )


def _cmake_example(root: Path) -> Example:
    require_tool("cmake", "ninja", "cc")
    folder = root / "cmake"
    build_dir = folder / "build"
    isrgen = f"{sys.executable};-m;isrgen"
    run(["cmake", "-S", str(folder), "-B", str(build_dir), "-G", "Ninja", f"-DISRGEN={isrgen}"], env=_env())

    def build() -> str:
        return run(["cmake", "--build", str(build_dir)], env=_env()).stdout

    return Example(build, _one("isr.S", build_dir), _one("isr.S.o", build_dir), "no work to do")


def _meson_example(root: Path) -> Example:
    require_tool("meson", "ninja", "cc")
    folder = root / "meson"
    build_dir = folder / "build"
    run(["meson", "setup", str(build_dir), f"-Disrgen={sys.executable},-m,isrgen"], cwd=folder, env=_env())

    def build() -> str:
        return run(["ninja", "-C", str(build_dir)], env=_env()).stdout

    return Example(build, _one("isr.S", build_dir), _one("*isr.S.o", build_dir), "no work to do")


def _cargo_example(root: Path) -> Example:
    require_tool("cargo", "rustc")
    folder = root / "cargo"
    env = {**_env(), "ISRGEN": f"{sys.executable} -m isrgen", "CARGO_TARGET_DIR": str(folder / "target")}

    def build() -> str:
        proc = run(["cargo", "build", "--offline", "-v"], cwd=folder, env=env)
        return proc.stdout + proc.stderr

    target = folder / "target" / "debug"
    return Example(
        build,
        _one("out/isr.rs", target / "build"),
        _one("libisrgen_cargo_example.rlib", target),
        "Fresh isrgen-cargo-example",
        touch_keeps_object=False,
    )


def _mtimes(*paths: Path) -> list[int]:
    return [p.stat().st_mtime_ns for p in paths]


@pytest.mark.parametrize(
    "make_example",
    [_make_example, _cmake_example, _meson_example, _cargo_example],
    ids=["make", "cmake", "meson", "cargo"],
)
def test_example_rebuilds_exactly_when_the_spec_changes(
    tmp_path: Path, make_example: Callable[[Path], Example]
) -> None:
    root = _copy(tmp_path)
    spec = root / "isr.yaml"
    ex = make_example(root)
    ex.build()
    generated, obj = ex.find_generated(), ex.find_object()
    assert hashlib.sha256(spec.read_bytes()).hexdigest() in generated.read_text().splitlines()[0]
    assert ex.idle in ex.build()

    # an edit: new content (the banner carries the spec's sha256), so both are rebuilt
    before = _mtimes(generated, obj)
    with spec.open("a") as fh:
        fh.write("# edited by the test\n")
    _make_newer(spec, than=generated)
    ex.build()
    assert hashlib.sha256(spec.read_bytes()).hexdigest() in generated.read_text().splitlines()[0]
    after = _mtimes(generated, obj)
    assert after[0] > before[0], "the generated file was not rewritten"
    assert after[1] > before[1], "the object was not rebuilt"

    # nothing changed: nothing is rebuilt
    assert ex.idle in ex.build()
    assert _mtimes(generated, obj) == after

    # a touch without an edit: isrgen may run, but rewrites nothing
    _make_newer(spec, than=generated)
    ex.build()
    assert generated.stat().st_mtime_ns == after[0]
    if ex.touch_keeps_object:
        assert obj.stat().st_mtime_ns == after[1]
    if ex.idle_after_touch:
        assert ex.idle in ex.build()
