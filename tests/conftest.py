"""Shared test helpers: where things are, and how a missing tool is handled.

When the ``CI`` environment variable is set a missing tool fails the test;
elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import isrgen
from isrgen.arch.x86.model import X86Spec, X86Vector

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
DEFAULT_SPEC = SPECS / "x86_64.yaml"
TEST_SPECS = ROOT / "tests" / "specs"
GOLDEN = ROOT / "tests" / "golden"

try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # pragma: no cover - the property tests skip themselves
    pass
else:
    # Under CI every property test draws the same examples on every run (no flaky seeds).
    _hypothesis_settings.register_profile("ci", derandomize=True, database=None)
    if os.environ.get("CI"):
        _hypothesis_settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files under tests/golden from the current generator",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def require_tool(*names: str) -> None:
    """Skip (or, under CI, fail) unless every named program is on PATH."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        msg = f"required tool(s) not found: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI is set: a missing tool is a failure)")
        pytest.skip(msg)


def require_module(name: str) -> None:
    """Skip (or, under CI, fail) unless a Python module imports."""
    try:
        __import__(name)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"Python module {name} is missing (CI is set)")
        pytest.skip(f"Python module {name} is missing")


def run(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; on failure show everything it printed."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


def isrgen_cmd(*args: str) -> list[str]:
    """The isrgen CLI as a subprocess command (independent of PATH)."""
    return [sys.executable, "-m", "isrgen", *args]


def run_isrgen(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the isrgen CLI in a fresh process (the one way tests run it as a program)."""
    return run(isrgen_cmd(*args), cwd=cwd, env=env, check=check)


def make_kernel(kernel_dir: Path, build: Path, *args: str, variant: str = "gas") -> subprocess.CompletedProcess[str]:
    """``make`` in an example kernel's folder, building into ``build``."""
    return run(["make", "-s", "-C", str(kernel_dir), *make_vars(), f"VARIANT={variant}", f"BUILD={build}", *args])


def boot_kernel(kernel_dir: Path, build: Path, *args: str, variant: str = "gas") -> tuple[int, str]:
    """Build and boot an example kernel under QEMU: its exit status and serial log."""
    make_kernel(kernel_dir, build, "boot", *args, variant=variant)
    status = int((build / "qemu.status").read_text().strip())
    log = (build / "serial.log").read_text(errors="replace") if (build / "serial.log").exists() else ""
    return status, log


def check_golden(golden: Path, content: str, update: bool) -> None:
    """Compare ``content`` with the golden file (or rewrite it with --update-golden)."""
    if update:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(content)
        return
    assert golden.is_file(), f"no golden file {golden}; run pytest --update-golden and review it"
    expected = golden.read_text()
    if expected != content:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), content.splitlines(True), str(golden), "generated", n=2)
        )
        pytest.fail(f"{golden.name} differs from its golden file:\n{diff[:6000]}")


def sdm_gate_attr(dpl: int, trap: bool) -> int:
    """An IDT gate's type/attribute byte as Intel SDM Vol. 3A 6.11 (figure 6-2) and 6.14.1
    (figure 6-8) lay it out: P (bit 7), DPL (bits 5-6), type 0xE (interrupt) or 0xF (trap)."""
    return 0x80 | (dpl << 5) | (0xF if trap else 0xE)


def expected_gate_attr(spec: X86Spec, v: X86Vector) -> int:
    """The byte a vector's gate must hold: a trap gate stays one unless ``entry.swapgs``
    (a trap gate could take an interrupt before the swapgs, so the entry gets an interrupt gate)."""
    return sdm_gate_attr(v.dpl, trap=v.gate.value == "trap" and not spec.entry.swapgs)


def make_vars() -> list[str]:
    """``make`` variables that point an example's Makefile at this interpreter's isrgen."""
    return [f"ISRGEN={sys.executable} -m isrgen", f"PYTHON={sys.executable}"]


def load_x86(path: str | os.PathLike[str]) -> X86Spec:
    """``isrgen.load_spec`` for a spec of the x86 family (the x86 package's model)."""
    spec = isrgen.load_spec(path)
    assert isinstance(spec, X86Spec), f"{path} is not an x86-family spec"
    return spec


def loads_x86(text: str, filename: str = "<string>") -> X86Spec:
    """``isrgen.loads_spec`` for a spec of the x86 family (the x86 package's model)."""
    spec = isrgen.loads_spec(text, filename)
    assert isinstance(spec, X86Spec), f"{filename} is not an x86-family spec"
    return spec


def symbol_address(elf_path: Path, name: str) -> int:
    """The value of symbol ``name`` in the ELF at ``elf_path``."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with elf_path.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection), f"{elf_path} has no symbol table"
        syms = symtab.get_symbol_by_name(name)
        assert syms, f"{name} not in {elf_path}"
        return int(syms[0]["st_value"])


def segment_flags(elf_path: Path, address: int) -> int:
    """``p_flags`` of the PT_LOAD segment that holds ``address``."""
    from elftools.elf.elffile import ELFFile

    with elf_path.open("rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= address < seg["p_vaddr"] + seg["p_memsz"]:
                return int(seg["p_flags"])
    raise AssertionError(f"0x{address:x} is in no PT_LOAD segment of {elf_path}")
