"""Instructions per path (vector -> handler -> eret) measured under unicorn, against the
lower bound the frame forces; the overhead stays small."""

from __future__ import annotations

import pytest
from a64_helpers import kernel_spec, variant
from conftest import require_module, require_tool

from isrgen.arch.aarch64.bench import minimum_back, minimum_to_handler
from isrgen.arch.aarch64.facts import SLOTS
from isrgen.arch.aarch64.layout import compute_layout
from isrgen.arch.aarch64.prove import prove
from isrgen.arch.aarch64.toolchain import GNU_AS, GNU_LD

#: instructions the generated path may spend above the bound: the EC test of the syscall
#: slot (4), the way into the exit routine (mov x0 / b / mov sp: 3), its stack-rule test (3)
SLACK = 12


@pytest.mark.parametrize("name", ["kernel", "base", "void_linux_nofp"])
def test_paths_are_near_the_minimum(name: str) -> None:
    require_tool(GNU_AS, GNU_LD)
    require_module("unicorn")
    spec = kernel_spec() if name == "kernel" else variant(name)
    lay = compute_layout(spec.frame)
    report = prove(spec, seed=9, rounds=1)
    assert report.ok
    assert len(report.costs) == len(SLOTS) + (1 if spec.syscall else 0)
    for cost in report.costs:
        number = int(cost.case.split()[1])
        handler = spec.routes[number].handler
        if cost.case.endswith("svc") and spec.syscall is not None:
            handler = spec.syscall.handler
        low = minimum_to_handler(lay, handler)
        assert low <= cost.to_handler <= low + SLACK, cost
        if cost.back is not None:
            restored = spec.syscall.restored if cost.case.endswith("svc") and spec.syscall else None
            low = minimum_back(lay, restored)
            assert low <= cost.back <= low + SLACK, cost
