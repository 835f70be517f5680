"""Values the CPU constrains (SYSRET selectors, per-CPU stack slots, the XSAVE mask) are
checked at load time, at the key that holds them, all at once."""

from __future__ import annotations

import pytest
from conftest import loads_x86

import isrgen
from isrgen.proof.prove import prove

BASE = """\
isrgen: 1
arch: x86_64
handler:
  symbol: isr_dispatch
entry:
  swapgs: true
vectors:
  - {{vector: 0, name: de}}
  - {{range: [32, 33], name: "irq_{{n}}", class: irq}}
syscall:
  handler: sys_dispatch
{syscall}{simd}"""


def _errors(syscall: str = "", simd: str = "") -> list[tuple[int, int, str]]:
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(BASE.format(syscall=syscall, simd=simd), "mv.yaml")
    return [(d.source.line, d.source.col, d.message) for d in info.value.diagnostics]


def test_user_cs_without_rpl_3_is_refused_at_user_cs() -> None:
    ((line, col, msg),) = _errors("  user_cs: 0x20\n  user_ss: 0x18\n")
    assert (line, col) == (12, 12) and "RPL 0" in msg and "0x23" in msg


def test_user_ss_must_sit_8_below_user_cs_for_sysret() -> None:
    ((line, col, msg),) = _errors("  user_cs: 0x23\n  user_ss: 0x2b\n")
    assert (line, col) == (13, 12) and "0x1b" in msg


@pytest.mark.parametrize(("kernel", "user"), [(16, 16), (8, 12), (20, 16)])
def test_overlapping_per_cpu_stack_slots_are_refused(kernel: int, user: int) -> None:
    ((line, col, msg),) = _errors(f"  kernel_stack_gs: {kernel}\n  user_stack_gs: {user}\n")
    assert (line, col) == (13, 18) and "overlap" in msg


@pytest.mark.parametrize("mask", ["0x1", "0x2", "0x4", "0x6", "0x27", "0xa7", "0xe3"])
def test_an_xsave_mask_the_cpu_cannot_use_is_refused_at_the_mask(mask: str) -> None:
    ((line, col, msg),) = _errors(simd=f"simd:\n  xsave_mask: {mask}\n  area_size: 4096\n")
    assert (line, col) == (13, 15) and "xsave_mask" in msg


def test_every_machine_value_error_is_reported_together() -> None:
    errs = _errors("  user_cs: 0x22\n  kernel_stack_gs: 8\n  user_stack_gs: 8\n", "simd:\n  xsave_mask: 0x4\n")
    assert [(line, col) for line, col, _ in errs] == [(12, 12), (14, 18), (16, 15)]


def test_linux_selectors_and_avx512_state_are_accepted_and_proved() -> None:
    text = BASE.format(
        syscall="  user_cs: 0x33\n  user_ss: 0x2b\n  kernel_stack_gs: 0\n  user_stack_gs: 8\n",
        simd="simd:\n  xsave_mask: 0xe7\n  area_size: 2688\n",
    )
    spec = loads_x86(text, "linux.yaml")
    assert (spec.syscall is not None) and (spec.syscall.user_cs, spec.syscall.user_ss) == (0x33, 0x2B)
    report = prove(spec, ["gas"], seed=1)
    assert report.ok, report.failures
