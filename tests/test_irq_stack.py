"""irq_stack: IRQ handlers run on a per-CPU IRQ stack, nested interrupts stay on it.

``isrgen prove`` delivers every irq_stack vector from ring 0 and ring 3 with the
per-CPU counter at 0 (the handler must run at the top of the IRQ stack, with the
frame still where the CPU pushed it, rsp 16-byte aligned at the call, and the counter
at 1), and a few from ring 0 while a handler already runs on the IRQ stack (counter 1,
the interrupted rsp inside the stack: the nested handler must stay below it); after
``iretq`` the counter is back and every register restored.  Mutations must fail it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import loads_x86, require_module, require_tool

from isrgen.proof.prove import ProofReport, prove

LAYOUT = "[r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, vector, error_code]"
#: an odd number of words: the frame is 8 bytes off 16-byte alignment, so the entry must realign
ODD_LAYOUT = "[r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, vector, error_code]"


def spec_text(returns: str = "void", layout: str = LAYOUT, extra: str = "") -> str:
    return f"""\
isrgen: 1
arch: x86_64
symbols: {{prefix: t_}}
handler: {{symbol: t_handler, returns: {returns}}}
frame: {{layout: {layout}}}
entry: {{swapgs: true}}
irq_stack: {{top_gs: 24, depth_gs: 32}}
syscall: {{handler: t_syscall}}
{extra}vectors:
  - {{range: [0, 31], name: "exc_{{n}}"}}
  - {{range: [32, 47], name: "irq_{{n}}", class: irq}}
"""


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tool("as", "ld")
    require_module("unicorn")


def _prove(text: str, transform: Callable[[str, str], str] | None = None) -> ProofReport:
    return prove(loads_x86(text, "irq.yaml"), ["gas"], transform=transform)


def _machine_row(report: ProofReport) -> str:
    return next(r.detail for r in report.rows if r.name == "machine code")


def test_irq_vectors_default_to_the_irq_stack() -> None:
    spec = loads_x86(spec_text(), "irq.yaml")
    assert {v.number for v in spec.vectors if v.irq_stack} == set(range(32, 48))
    off = loads_x86(spec_text(extra="classes: {irq: {irq_stack: false}}\n"), "irq.yaml")
    assert not any(v.irq_stack for v in off.vectors)


@pytest.mark.parametrize(
    ("returns", "layout", "extra"),
    [
        ("void", LAYOUT, ""),
        ("frame", LAYOUT, ""),
        ("void", ODD_LAYOUT, "stubs: {style: classic}\n"),
        # a trap gate under swapgs: the entry sets IF again after the switch
        ("void", LAYOUT, "classes: {irq: {gate: trap}}\n"),
        # the fxsave area stays below the frame on the interrupted stack
        ("frame", "[simd_area, pad, " + LAYOUT[1:], "classes: {irq: {simd: fxsave}}\n"),
        ("void", "[simd_area, " + LAYOUT[1:], "simd: {xsave_mask: 7}\nclasses: {irq: {simd: xsave}}\n"),
    ],
    ids=["void", "frame", "odd-frame", "trap-gate", "fxsave", "xsave"],
)
def test_prove_runs_the_irq_stack_and_nested_interrupts(returns: str, layout: str, extra: str) -> None:
    report = _prove(spec_text(returns, layout, extra))
    assert report.ok, report.failures
    row = _machine_row(report)
    assert "irq stack x32" in row  # 16 vectors from ring 0 and from ring 3
    assert "irq stack nested x4" in row


def _gas(edit: Callable[[str], str]) -> Callable[[str, str], str]:
    def transform(backend: str, text: str) -> str:
        changed = edit(text) if backend == "gas" else text
        assert changed != text or backend != "gas", "the mutation did not apply"
        return changed

    return transform


def _always_switch(text: str) -> str:
    return text.replace("cmovz rsp, qword ptr gs:[24]", "mov rsp, qword ptr gs:[24]")


def _no_decrement(text: str) -> str:
    return text.replace("    sub qword ptr gs:[32], 1\n", "")


def _one_copy(text: str) -> str:
    # the second `push rdi` goes (the CFI lines after each push stay)
    return re.sub(r"(    push rdi\n(?:    \.cfi_.*\n)*)    push rdi\n", r"\1", text)


def _never_switch(text: str) -> str:
    return text.replace("    cmovz rsp, qword ptr gs:[24]\n", "")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            _always_switch,
            r"vector 32 from ring 0 on the IRQ stack: rsp = 0x[0-9a-f]+ at the nested handler is not "
            r"below the interrupted IRQ-stack rsp",
        ),
        (_no_decrement, r"vector 32 from ring 0, returning: the IRQ stack counter is 1, not 0"),
        (_one_copy, r"vector 32 from ring 0: rsp % 16 == 8 at the call into t_handler"),
        (_never_switch, r"vector 32 from ring 0: rsp = 0x[0-9a-f]+ at the handler is not at the top of the IRQ stack"),
    ],
    ids=["always-switch", "no-decrement", "misaligned", "never-switch"],
)
def test_prove_fails_on_a_broken_irq_stack(edit: Callable[[str], str], expected: str) -> None:
    report = _prove(spec_text(), _gas(edit))
    assert not report.ok
    assert any(re.search(expected, f) for f in report.failures), report.failures
