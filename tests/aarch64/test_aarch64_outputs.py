"""The stand-alone generator: outputs of a spec, errors without a traceback, nothing written."""

from __future__ import annotations

import sys
from pathlib import Path

import attrs
import pytest
from a64_helpers import KERNEL_SPEC, kernel_spec
from conftest import run

from isrgen.arch.aarch64.outputs import render_outputs
from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.diagnostics import SpecError, UsageError


def test_writes_the_declared_outputs(tmp_path: Path) -> None:
    run([sys.executable, "-m", "isrgen.arch.aarch64", str(KERNEL_SPEC), "-o", str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["isr.S", "isr.h"]
    assert (tmp_path / "isr.S").read_text() == render_outputs(kernel_spec())["isr.S"]


def test_output_is_deterministic(tmp_path: Path) -> None:
    texts = set()
    for seed in ("0", "1", "12345"):
        out = tmp_path / seed
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())}
        run([sys.executable, "-m", "isrgen.arch.aarch64", str(KERNEL_SPEC), "-o", str(out)], env=env)
        texts.add((out / "isr.S").read_text() + (out / "isr.h").read_text())
    assert len(texts) == 1


def test_bad_spec_reports_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "isrgen: 1\narch: aarch64\nframe: {layout: [x0, x99]}\nhandler: {symbol: h}\nbad_mode: {symbol: b}\n"
    )
    proc = run([sys.executable, "-m", "isrgen.arch.aarch64", str(bad), "-o", str(tmp_path / "out")], check=False)
    assert proc.returncode == 1
    col = "frame: {layout: [x0, x99]}".index("x99") + 1
    assert f"{bad}:3:{col}: error:" in proc.stderr and "'x99'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_nasm_is_a_clear_error() -> None:
    text = KERNEL_SPEC.read_text().replace("  gas: isr.S", "  nasm: isr.asm")
    # refused when the spec is read, at the outputs key ...
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "k.yaml")
    (diag,) = info.value.diagnostics
    line = text.splitlines().index("  nasm: isr.asm") + 1
    assert (diag.source.line, diag.source.col) == (line, 3)
    assert "NASM assembles x86 only" in diag.message
    # ... and by the renderer for a model built past that check
    spec = attrs.evolve(kernel_spec(), outputs=(("nasm", "isr.asm"),))
    with pytest.raises(UsageError, match="NASM assembles x86 only"):
        render_outputs(spec)
