"""prove's i386 machine has the descriptors the spec's selectors need: a kernel that loads
Linux's __USER_DS (0x7b) or __KERNEL_DS (0x68) on entry is proven, not faulted."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SPECS, loads_x86, require_module, require_tool

from isrgen.arch.x86.emulation.protected_mode import gdt_with
from isrgen.proof.prove import prove


def _decode(descriptor: int) -> dict[str, int]:
    """Fields of a segment descriptor (SDM Vol. 3A 3.4.5, figure 3-8)."""
    return {
        "limit": (descriptor & 0xFFFF) | ((descriptor >> 48) & 0xF) << 16,
        "base": ((descriptor >> 16) & 0xFFFFFF) | ((descriptor >> 56) & 0xFF) << 24,
        "type": (descriptor >> 40) & 0xF,
        "s": (descriptor >> 44) & 1,
        "dpl": (descriptor >> 45) & 3,
        "p": (descriptor >> 47) & 1,
        "db": (descriptor >> 54) & 1,
        "g": (descriptor >> 55) & 1,
    }


@pytest.mark.parametrize(("selector", "dpl"), [(0x7B, 3), (0x68, 0), (0xFF8, 0)])
def test_a_spec_selector_gets_a_flat_data_descriptor_with_its_rpl_as_dpl(selector: int, dpl: int) -> None:
    gdt = gdt_with([selector])
    # type 0011: data, read/write, accessed; S=1 code/data; present; 4 GiB flat, 32-bit
    assert _decode(gdt[selector >> 3]) == {
        "limit": 0xFFFFF, "base": 0, "type": 0b0011, "s": 1, "dpl": dpl, "p": 1, "db": 1, "g": 1
    }  # fmt: skip
    assert gdt[:7] == gdt_with([])[:7], "the emulator's own descriptors stay"


@pytest.mark.parametrize("selector", [0x1000, 0x7C, 0x08])
def test_a_selector_the_emulator_cannot_hold_is_an_error_not_a_fault(selector: int) -> None:
    with pytest.raises(ValueError, match=f"{selector:#x}"):
        gdt_with([selector])


@pytest.mark.parametrize("selector", ["0x7b", "0x68"])
def test_linux_data_selectors_are_proven(selector: str) -> None:
    require_tool("as", "ld")
    require_module("unicorn")
    text = Path(SPECS / "i386.yaml").read_text().replace("data_selector: 0x10", f"data_selector: {selector}")
    assert f"data_selector: {selector}" in text
    spec = loads_x86(text, "linux32.yaml")
    report = prove(spec, ["gas"], seed=3)
    assert report.ok, report.failures
