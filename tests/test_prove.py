"""`isrgen prove` as users run it: the CLI, its table, its exit statuses, missing tools."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from conftest import DEFAULT_SPEC, SPECS, isrgen_cmd, load_x86, require_module, require_tool, run

import isrgen
import isrgen.output.build
import isrgen.proof.prove
from isrgen.cli import main
from isrgen.model.layout import FieldKind
from isrgen.output.build import RenderedOutput
from isrgen.proof.prove import prove


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
    spec = load_x86(DEFAULT_SPEC)
    report = prove(spec, ["gas", "c"], seed=7)
    assert report.ok, report.failures
    machine = next(r for r in report.rows if r.name == "machine code")
    layout = isrgen.compute_layout(spec)
    assert f"{len(spec.vectors)} vectors" in machine.detail
    assert f"{len(layout.fields)} fields" in next(r for r in report.rows if r.name == "C layout").detail


def test_a_mismatch_exits_with_the_proof_status(monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("as", "ld")
    require_module("unicorn")
    real = isrgen.output.build.render_outputs

    def misaligned(spec: isrgen.Spec, backends: list[str] | None = None) -> list[RenderedOutput]:
        # corrupt the generated assembly the way a hand edit would: one extra push before the call
        return [
            attrs.evolve(o, content=o.content.replace("    call ", "    push rax\n    call ", 1))
            for o in real(spec, backends)
        ]

    monkeypatch.setattr(isrgen.proof.prove, "render_outputs", misaligned)
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
        prove(load_x86(DEFAULT_SPEC), ["gdb"])


EXAMPLES = SPECS / "examples"
I386_SPEC = SPECS / "i386.yaml"

#: per drop-in spec: what its machine-code row must report having checked
DROPIN_EVIDENCE = {
    # file-local stubs found through a writable .data table
    "mittos64.yaml": ("256 vectors", "512 iretq returns", "8-byte table entries", "no CFI", "swapgs x512"),
    "mittos64_compatible.yaml": (
        "256 vectors",
        "dense stride x1",
        "8-byte table entries",
        "an FDE at each of 256",
        "swapgs x512",
    ),
    # no vector slot: orig_ax holds -1 or, for the IRQs, the vector number
    "linux_pt_regs.yaml": ("246 vectors", "vector in error slot x448", "swapgs x496", "clear_registers x496"),
    # i386 under emulate32: iretd, ds/es loaded, trapret entered with esp at the frame
    "xv6_trapframe.yaml": ("512 iretd returns", "data_segments x512", "exit_frame stack x1", "4-byte table entries"),
    # the stub's frame_pointer slot above the error code, and ebp pointing at it
    "pintos_intr_frame.yaml": ("512 iretd returns", "frame_pointer x512", "data_segments x512", "exit_frame stack x1"),
    # ds saved alone, restored into es, fs and gs too; the frame passed by value
    "jamesm_registers.yaml": ("96 iretd returns", "segments_from_ds x96", "data_segments x96"),
    # a handler that never returns (JOS's env_pop_tf resumes frames in C)
    "jos_trapframe.yaml": ("37 vectors", "data_segments x74", "0 iretd returns"),
}


@pytest.mark.parametrize("name", sorted(DROPIN_EVIDENCE))
def test_cli_proves_each_dropin_example(name: str) -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    proc = run(isrgen_cmd("prove", str(EXAMPLES / name)))
    assert proc.stdout.splitlines()[-1] == "all properties hold", proc.stdout + proc.stderr
    machine = next(line for line in proc.stdout.splitlines() if line.startswith("  machine code"))
    assert " proven " in machine
    for evidence in DROPIN_EVIDENCE[name]:
        assert evidence in machine, (evidence, machine)
    assert "symbols bound as specified" in machine


def test_i386_glue_is_executed_for_every_vector_from_both_rings() -> None:
    require_tool("as", "ld", "nasm", "gcc")
    require_module("unicorn")
    spec = load_x86(I386_SPEC)
    report = prove(spec, ["gas", "nasm", "c"], seed=3)
    assert report.ok, report.failures
    assert [r.outcome for r in report.rows] == ["proven", "skipped", "proven", "proven"]
    machine = next(r for r in report.rows if r.name == "machine code").detail
    layout = isrgen.compute_layout(spec)
    for label in ("gas", "nasm"):
        assert f"{label}: 256 vectors, 512 interrupts (256 from ring 0, 256 from ring 3)" in machine
    # every field from ring 3; from ring 0 all but esp and ss (the CPU pushes them only on a ring change)
    per_pair = 2 * len(layout.fields) - 2 - sum(1 for f in layout.fields if f.kind is FieldKind.PAD and not f.block)
    assert f"{256 * per_pair} frame fields, 512 iretd returns" in machine
    assert "align_stack x512" in machine and "data_segments x512" in machine and "halt x1" in machine


def test_a_table_the_spec_puts_in_data_must_be_writable() -> None:
    """The table's memory must be as the spec's section says: .data* writable, others read-only."""
    require_tool("as", "ld")
    require_module("unicorn")
    spec = load_x86(EXAMPLES / "mittos64.yaml")

    def to_rodata(backend: str, text: str) -> str:
        return text.replace('.pushsection .data,"aw",@progbits', '.pushsection .rodata.table,"a",@progbits')

    report = prove(spec, ["gas"], transform=to_rodata)
    assert any(
        "the vector table isr_table is not in writable data (its section is .data*) (flags R)" in f
        for f in report.failures
    ), report.failures
