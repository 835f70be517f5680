"""Every riscv64 output by backend; NASM is refused with a clear message."""

from __future__ import annotations

import pytest
from riscv64_tools import SPECS, load

from isrgen.arch.riscv64.outputs import render_output, render_outputs
from isrgen.diagnostics import UsageError


def test_outputs_named_by_the_spec() -> None:
    files = render_outputs(load(SPECS[0]))
    assert sorted(files) == ["trap.S", "trap.h"]
    assert ".pushsection .text.trap" in files["trap.S"] and "struct trap_frame {" in files["trap.h"]


def test_rust_output() -> None:
    assert "core::arch::global_asm!(" in render_output(load(SPECS[0]), "rust")


@pytest.mark.parametrize("backend", ["nasm", "verilog"])
def test_backends_without_riscv64_output(backend: str) -> None:
    with pytest.raises(UsageError, match=backend):
        render_output(load(SPECS[0]), backend)
