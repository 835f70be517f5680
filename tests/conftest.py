"""Shared test helpers: where things are, and how a missing tool is handled.

When the ``CI`` environment variable is set a missing tool fails the test;
elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
DEFAULT_SPEC = SPECS / "x86_64.yaml"
TEST_SPECS = ROOT / "tests" / "specs"
GOLDEN = ROOT / "tests" / "golden"


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


def make_vars() -> list[str]:
    """``make`` variables that point an example's Makefile at this interpreter's isrgen."""
    return [f"ISRGEN={sys.executable} -m isrgen", f"PYTHON={sys.executable}"]
