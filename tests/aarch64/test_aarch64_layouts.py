"""Frames in any order, with pads of any size: the generated save and restore stay exact
(proven under unicorn) for layouts hypothesis picks (deterministic: derandomized)."""

from __future__ import annotations

from a64_helpers import BASE_SPEC
from conftest import require_module, require_tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isrgen.arch.aarch64.layout import compute_layout
from isrgen.arch.aarch64.prove import prove
from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.arch.aarch64.toolchain import GNU_AS, GNU_LD

ITEMS = [*(f"x{i}" for i in range(31)), "sp", "elr", "spsr", "esr", "far", "kind", "pad"]
LAYOUT_LINES = (
    "  layout: [x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15,\n"
    "           x16, x17, x18, x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29, x30,\n"
    "           sp, elr, spsr, esr, far, kind, pad,\n"
    "           fpsimd]\n"
)


@st.composite
def layouts(draw: st.DrawFn) -> str:
    order = draw(st.permutations(ITEMS))
    # a big pad (16-byte multiple) somewhere: offsets beyond STP's reach use STR
    big = draw(st.sampled_from([0, 16, 512, 1024, 4096]))
    at = draw(st.integers(0, len(order)))
    items = list(order)
    if big:
        items.insert(at, f"{{name: gap, holds: pad, size: {big}}}")
    if draw(st.booleans()):
        items.append("fpsimd")  # 38 words + the gap: 16-aligned
    return "  layout: [" + ", ".join(items) + "]\n"


@settings(derandomize=True, max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts())
def test_any_layout_proves(layout: str) -> None:
    require_tool(GNU_AS, GNU_LD)
    require_module("unicorn")
    text = BASE_SPEC.read_text()
    assert LAYOUT_LINES in text
    spec = load_aarch64_spec(text.replace(LAYOUT_LINES, layout), "random.yaml")
    assert compute_layout(spec.frame).size % 16 == 0
    report = prove(spec, seed=7, rounds=1)
    assert report.ok, f"{layout}\n" + "\n".join(map(str, report.findings[:10]))
