"""Every combination of table style, stack source, return model and hardening proves
(or, for an inline slot that cannot hold its save sequence, fails to assemble)."""

from __future__ import annotations

import itertools

import pytest
from a64_helpers import BASE_SPEC
from conftest import require_module, require_tool

from isrgen.arch.aarch64.prove import prove
from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.arch.aarch64.toolchain import GNU_AS, GNU_LD
from isrgen.diagnostics import SpecError

STYLES = ("branch", "linux", "inline")
SOURCES = ("sp_el1", "tpidr_el1")
RETURNS = ("void", "frame")
HARDENING = ("off", "on")
COMBINATIONS = list(itertools.product(STYLES, SOURCES, RETURNS, HARDENING))


def spec_text(style: str, source: str, returns: str, hardening: str) -> str:
    text = BASE_SPEC.read_text()
    edits = [
        ("  style: branch", f"  style: {style}"),
        ("  source: sp_el1 ", f"  source: {source} "),
        ("  returns: frame ", f"  returns: {returns} "),
    ]
    if hardening == "on":
        edits += [
            ("  clear_registers: false", "  clear_registers: true"),
            ("  unmask_daif: []", "  unmask_daif: [a]"),
            ("  exit_barrier: none", "  exit_barrier: dsb_isb"),
            ("  frame_record: false", "  frame_record: true"),
        ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(("style", "source", "returns", "hardening"), COMBINATIONS, ids="-".join)
def test_combination(style: str, source: str, returns: str, hardening: str) -> None:
    require_tool(GNU_AS, GNU_LD)
    require_module("unicorn")
    text = spec_text(style, source, returns, hardening)
    if style == "inline" and source != "sp_el1":
        # the stack switch (5 instructions) pushes the EL0 slots' save past 32 instructions
        with pytest.raises(SpecError, match=r"slot el0_64_sync needs 3\d instructions, but a vector slot holds 32"):
            load_aarch64_spec(text, "combo.yaml")
        return
    spec = load_aarch64_spec(text, "combo.yaml")
    report = prove(spec, seed=11, rounds=1)
    assert report.ok, "\n".join(map(str, report.findings[:10]))
