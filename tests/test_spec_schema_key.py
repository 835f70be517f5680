"""A spec may name its JSON Schema in a top-level ``$schema`` string (for editors);
every architecture accepts it and a non-string is an error located at its value."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SPECS, run_isrgen

SHIPPED = ["x86_64", "aarch64", "riscv64"]


def _with_schema_line(tmp_path: Path, arch: str, line: str) -> Path:
    spec = tmp_path / f"{arch}.yaml"
    spec.write_text(line + "\n" + (SPECS / f"{arch}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return spec


@pytest.mark.parametrize("arch", SHIPPED)
def test_schema_key_is_accepted(tmp_path: Path, arch: str) -> None:
    spec = _with_schema_line(tmp_path, arch, "$schema: ./isrgen-schema.json")
    proc = run_isrgen("check-spec", str(spec), check=False)
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr


@pytest.mark.parametrize("arch", SHIPPED)
def test_non_string_schema_key_is_a_located_error(tmp_path: Path, arch: str) -> None:
    spec = _with_schema_line(tmp_path, arch, "$schema: 3")
    proc = run_isrgen("check-spec", str(spec), check=False)
    assert proc.returncode != 0
    # line 1, column 10: the value 3 after "$schema: "
    assert f"{spec}:1:10: error: $.$schema:" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
