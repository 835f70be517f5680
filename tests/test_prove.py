"""`isrgen prove` as users run it: the CLI, its table, its exit statuses, missing tools."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from conftest import DEFAULT_SPEC, isrgen_cmd, require_module, require_tool, run

import isrgen
import isrgen.prove
from isrgen.build import RenderedOutput
from isrgen.cli import main
from isrgen.prove import prove


def test_cli_proves_the_default_spec_with_every_backend() -> None:
    require_tool("as", "ld", "gcc", "nasm", "rustc")
    require_module("unicorn")
    proc = run(isrgen_cmd("prove", str(DEFAULT_SPEC), "-b", "gas", "-b", "nasm", "-b", "rust", "-b", "c"))
    rows = {line.split()[0] + " " + line.split()[1]: line for line in proc.stdout.splitlines()[1:-1]}
    assert set(rows) == {"C layout", "Rust layout", "machine code", "backends agree"}
    assert all(" proven " in line for line in rows.values()), proc.stdout
    assert "256 vectors" in rows["machine code"] and "gas == nasm == rust" in rows["backends agree"]
    assert proc.stdout.splitlines()[-1] == "all properties hold"


def test_library_report_counts_what_it_checked() -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    spec = isrgen.load_spec(DEFAULT_SPEC)
    report = prove(spec, ["gas", "c"], seed=7)
    assert report.ok, report.failures
    machine = next(r for r in report.rows if r.name == "machine code")
    layout = isrgen.compute_layout(spec)
    assert f"{len(spec.vectors)} vectors" in machine.detail
    assert f"{len(layout.fields)} fields" in next(r for r in report.rows if r.name == "C layout").detail


def test_a_mismatch_exits_with_the_proof_status(monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("as", "ld")
    require_module("unicorn")
    real = isrgen.prove.render_outputs

    def misaligned(spec: isrgen.Spec, backends: list[str] | None = None) -> list[RenderedOutput]:
        # corrupt the generated assembly the way a hand edit would: one extra push before the call
        return [
            attrs.evolve(o, content=o.content.replace("    call ", "    push rax\n    call ", 1))
            for o in real(spec, backends)
        ]

    monkeypatch.setattr(isrgen.prove, "render_outputs", misaligned)
    result = CliRunner().invoke(main, ["prove", str(DEFAULT_SPEC), "-b", "gas"])
    assert result.exit_code == 5, result.output
    assert "machine code    FAILED" in result.stdout
    assert "error: gas: vector 0 from ring 0: rsp % 16 == 8 at the call into isr_dispatch" in result.stderr


def test_a_missing_tool_is_named(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # nothing on PATH
    proc = run(isrgen_cmd("prove", str(DEFAULT_SPEC), "-b", "nasm"), env=env, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "isrgen: error: required tool 'nasm' is not installed (not found on PATH)"
    proc = run(isrgen_cmd("prove", str(DEFAULT_SPEC), "-b", "c"), env=env, check=False)
    assert "required tool 'gcc'" in proc.stderr


def test_an_unprovable_backend_is_a_usage_error() -> None:
    with pytest.raises(isrgen.UsageError, match=r"cannot prove backend 'gdb' \(provable: gas, nasm, rust, c\)"):
        prove(isrgen.load_spec(DEFAULT_SPEC), ["gdb"])
