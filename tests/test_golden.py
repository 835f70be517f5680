"""Golden matrix: every shipped spec x every backend its architecture supports.

The generated text of each (spec, backend) pair must equal the file under
``tests/golden/<spec key>/<file name>``; a spec's folder must hold exactly the
files it generates.  After an intended change run
``python3 -m pytest tests/test_golden.py --update-golden`` and review the diff;
the files are never rewritten silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GOLDEN, ROOT, check_golden

import isrgen
from isrgen.output.build import RenderedOutput

#: which backends generate for which architecture (written here, not asked of isrgen)
BACKENDS_BY_ARCH: dict[str, tuple[str, ...]] = {
    "x86_64": ("gas", "nasm", "c", "rust", "gdb"),
    "i386": ("gas", "nasm", "c"),
    "aarch64": ("gas", "c", "rust", "gdb"),
    "riscv64": ("gas", "c", "rust", "gdb"),
}


def _spec_files() -> dict[str, Path]:
    """Golden key -> spec file: the stem for specs/, specs/examples/ and tests/specs/,
    ``example-<folder>`` for the example projects under examples/."""
    found: dict[str, Path] = {}
    for folder in (ROOT / "specs", ROOT / "specs" / "examples", ROOT / "tests" / "specs"):
        for path in sorted(folder.glob("*.yaml")):
            assert path.stem not in found, f"two specs share the golden key {path.stem}"
            found[path.stem] = path
    for path in sorted((ROOT / "examples").glob("*/*.yaml")):
        alone = len(list(path.parent.glob("*.yaml"))) == 1
        suffix = "" if alone or path.stem == "kernel" else f"-{path.stem}"
        found[f"example-{path.parent.name}{suffix}"] = path
    return found


SPECS = _spec_files()


def _cases() -> list[tuple[str, str]]:
    cases: list[tuple[str, str]] = []
    for key, path in SPECS.items():
        arch = isrgen.load_spec(path).arch_name
        cases.extend((key, backend) for backend in BACKENDS_BY_ARCH[arch])
    return cases


def _rendered(key: str, backend: str) -> list[RenderedOutput]:
    """Every file ``backend`` writes for the spec (several when the spec splits it)."""
    return isrgen.render_outputs(isrgen.load_spec(SPECS[key]), [backend])


@pytest.mark.parametrize(("key", "backend"), _cases(), ids=lambda v: str(v))
def test_golden(key: str, backend: str, update_golden: bool) -> None:
    for out in _rendered(key, backend):
        check_golden(GOLDEN / key / out.filename, out.content, update_golden)


@pytest.mark.parametrize("key", sorted(SPECS))
def test_golden_folder_holds_exactly_the_outputs(key: str, update_golden: bool) -> None:
    arch = isrgen.load_spec(SPECS[key]).arch_name
    expected = {out.filename for b in BACKENDS_BY_ARCH[arch] for out in _rendered(key, b)}
    folder = GOLDEN / key
    if update_golden:
        for stale in folder.iterdir():
            if stale.name not in expected:
                stale.unlink()
    assert {p.name for p in folder.iterdir()} == expected


def test_every_spec_is_in_the_matrix() -> None:
    # the shipped specs named in the README and the examples must all be covered
    assert {"x86_64", "i386", "linux_pt_regs", "jamesm_registers", "example-kernel", "example-kernel-i386"} <= set(
        SPECS
    )
