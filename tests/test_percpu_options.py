"""paranoid_gs and irq_stack: bad values are refused at the key that causes them
(file:line:col), independent mistakes in the same run, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import loads_x86, run

import isrgen
from isrgen.arch.x86.model import ParanoidGsMethod

HEAD = """\
isrgen: 1
arch: x86_64
handler: {symbol: isr_dispatch}
frame: {layout: [r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, vector, error_code]}
"""
SWAPGS = "entry: {swapgs: true}\n"
VECTORS = """\
vectors:
  - {vector: 2, name: nmi, paranoid: true, ist: 2}
  - {range: [32, 47], name: "irq_{n}", class: irq}
"""


def _errors(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(HEAD + text, "p.yaml")
    return [(d.source.line, d.source.col, d.message) for d in info.value.diagnostics]


def test_the_defaults() -> None:
    spec = loads_x86(HEAD + SWAPGS + VECTORS, "p.yaml")
    assert spec.paranoid_gs.method is ParanoidGsMethod.MSR_SIGN
    assert spec.irq_stack is None
    assert not any(v.irq_stack for v in spec.vectors)


def test_a_method_without_the_offset_table_points_at_the_block() -> None:
    (err,) = _errors(SWAPGS + "paranoid_gs: {method: rdpid}\n" + VECTORS)
    assert err[:2] == (6, 14)
    assert "give paranoid_gs.offsets" in err[2]


def test_lsl_needs_a_gdt_selector() -> None:
    (err,) = _errors(SWAPGS + "paranoid_gs: {method: lsl, offsets: pcpu}\n" + VECTORS)
    assert err[:2] == (6, 14) and "give paranoid_gs.cpunode_selector" in err[2]
    # 0x7f: TI = 1 names the LDT
    (err,) = _errors(SWAPGS + "paranoid_gs: {method: lsl, offsets: pcpu, cpunode_selector: 0x7f}\n" + VECTORS)
    assert err[:2] == (6, 61) and "is not a GDT descriptor" in err[2]


def test_keys_another_method_does_not_use_are_refused_at_the_key() -> None:
    errs = _errors(SWAPGS + "paranoid_gs: {method: rdtscp, offsets: pcpu, cpunode_selector: 0x7b}\n" + VECTORS)
    assert [(line, col) for line, col, _ in errs] == [(6, 46)]
    errs = _errors(SWAPGS + "paranoid_gs: {offsets: pcpu}\n" + VECTORS)
    assert [(line, col) for line, col, _ in errs] == [(6, 15)]
    assert "not used by method msr_sign" in errs[0][2]


def test_an_unknown_method_is_a_schema_error_with_a_hint() -> None:
    (err,) = _errors(SWAPGS + "paranoid_gs: {method: rdpdi, offsets: pcpu}\n" + VECTORS)
    assert err[:2] == (6, 23) and "rdpid" in err[2]


def test_irq_stack_needs_swapgs_and_its_own_per_cpu_words() -> None:
    errs = _errors("irq_stack: {top_gs: 8, depth_gs: 16}\n" + VECTORS.replace(", paranoid: true", ""))
    assert [(line, col) for line, col, _ in errs] == [(5, 12)]
    assert "needs entry.swapgs" in errs[0][2]
    text = SWAPGS + "syscall: {handler: sc}\nirq_stack: {top_gs: 4, depth_gs: 40}\n" + VECTORS
    (err,) = _errors(text)
    assert err[:2] == (7, 21) and "overlaps syscall.kernel_stack_gs 8" in err[2]


def test_the_irq_stack_refuses_vectors_with_other_stack_business() -> None:
    text = SWAPGS + "irq_stack: {top_gs: 24, depth_gs: 32}\n" + VECTORS + "  - {vector: 48, class: irq, ist: 1}\n"
    (err,) = _errors(text)
    assert err[:2] == (10, 35) and "set irq_stack: false" in err[2]
    # a vector that asks for the IRQ stack when there is none
    (err,) = _errors(SWAPGS + VECTORS + "  - {vector: 48, irq_stack: true}\n")
    assert err[:2] == (9, 29) and "add an irq_stack block" in err[2]


def test_independent_errors_are_reported_together_and_nothing_is_written(tmp_path: Path) -> None:
    text = HEAD + "paranoid_gs: {method: lsl, offsets: pcpu}\nirq_stack: {top_gs: 24, depth_gs: 32}\n" + VECTORS
    spec = tmp_path / "bad.yaml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    proc = run(["python3", "-m", "isrgen", "build", str(spec), "-o", str(out)], check=False)
    assert proc.returncode == 1
    assert f"{spec}:5:14: error: $.paranoid_gs: method lsl reads the CPU number" in proc.stderr
    assert f"{spec}:6:12: error: $.irq_stack: irq_stack needs entry.swapgs" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("classes", [False, True])
@pytest.mark.parametrize(
    "block",
    [
        "paranoid_gs: {method: lsl, offsets: pcpu, cpunode_selector: 0xe3}\n",
        "paranoid_gs: {method: rdtscp, offsets: pcpu}\n",
        "",
    ],
)
def test_dump_writes_the_options_back(block: str, classes: bool) -> None:
    from isrgen.arch.x86.dump import dump_spec

    text = HEAD + SWAPGS + block + "irq_stack: {top_gs: 24, depth_gs: 32}\n" + VECTORS
    text += "  - {range: [48, 50], class: irq, irq_stack: false}\n  - {vector: 51, class: software, irq_stack: true}\n"
    spec = loads_x86(text, "p.yaml")
    assert [v.number for v in spec.vectors if v.irq_stack] == [*range(32, 48), 51]
    assert loads_x86(dump_spec(spec, classes=classes), "dumped.yaml") == spec


def test_i386_has_neither_option() -> None:
    from conftest import SPECS

    text = (SPECS / "i386.yaml").read_text(encoding="utf-8")
    lines = text.count("\n")
    text += "paranoid_gs: {method: rdpid, offsets: pcpu}\nirq_stack: {top_gs: 8, depth_gs: 16}\n"
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(text, "i386.yaml")
    assert [(d.source.line, d.source.col, d.message) for d in info.value.diagnostics] == [
        (lines + 1, 1, "paranoid_gs is not available on i386"),
        (lines + 2, 1, "irq_stack is not available on i386"),
    ]


def test_the_offset_table_cannot_be_a_generated_symbol_or_a_handler() -> None:
    for name in ("isr_table", "isr_dispatch", "isr_common"):
        (err,) = _errors(SWAPGS + f"paranoid_gs: {{method: rdtscp, offsets: {name}}}\n" + VECTORS)
        assert err[:2] == (6, 40) and f"symbol {name!r} is also the symbol" in err[2]
