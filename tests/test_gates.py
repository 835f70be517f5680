"""The IDT gate, checked against the bytes Intel SDM Vol. 3A lays out (6.11 figure 6-2,
6.14.1 figure 6-8): the expected bytes are written here, never computed by isrgen."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from conftest import DEFAULT_SPEC, SPECS, load_x86, require_tool

import isrgen
from isrgen.arch.x86.gates import decode_gate, encode_gate, type_attr
from isrgen.proof import toolchain
from isrgen.proof.elf import read_elf

# handler 0xffff_8000_0012_3456, selector 0x08, IST 2, present DPL 0 interrupt gate (0x8e)
LONG_MODE_GATE = bytes.fromhex("56340800028e12000080ffff00000000")
# handler 0xc010_1234, selector 0x08, present DPL 3 trap gate (0xef)
PROTECTED_MODE_GATE = bytes.fromhex("3412080000ef10c0")


def test_long_mode_gate_bytes() -> None:
    assert encode_gate(16, 0xFFFF_8000_0012_3456, 0x08, 0x8E, ist=2) == LONG_MODE_GATE
    gate = decode_gate(LONG_MODE_GATE)
    assert (gate.offset, gate.selector, gate.ist, gate.type_attr, gate.reserved) == (
        0xFFFF_8000_0012_3456,
        0x08,
        2,
        0x8E,
        0,
    )


def test_protected_mode_gate_bytes() -> None:
    assert encode_gate(8, 0xC010_1234, 0x08, 0xEF) == PROTECTED_MODE_GATE
    gate = decode_gate(PROTECTED_MODE_GATE)
    assert (gate.offset, gate.selector, gate.type_attr, gate.reserved) == (0xC010_1234, 0x08, 0xEF, 0)


@pytest.mark.parametrize(
    ("vector", "swapgs", "byte"),
    [
        (0, False, 0x8E),  # interrupt gate, DPL 0
        (3, False, 0xEF),  # int3 from ring 3: trap gate, DPL 3
        (128, False, 0xEF),
        (3, True, 0xEE),  # swapgs: an interrupt gate that the entry re-enables after swapgs
        (14, True, 0x8E),
    ],
)
def test_type_attr_bytes(vector: int, swapgs: bool, byte: int) -> None:
    spec = load_x86(DEFAULT_SPEC)
    spec = attrs.evolve(spec, entry=attrs.evolve(spec.entry, swapgs=swapgs))
    v = spec.vector(vector)
    assert v is not None and type_attr(spec, v) == byte


@pytest.mark.parametrize(
    ("spec_path", "expected"),
    [
        # vector: (type_attr, ist) from the spec's own text: ist and gate/dpl as written there
        (DEFAULT_SPEC, {0: (0x8E, 0), 1: (0x8E, 3), 2: (0x8E, 2), 3: (0xEF, 0), 8: (0x8E, 1), 128: (0xEF, 0)}),
        (SPECS / "i386.yaml", {0: (0x8E, 0), 14: (0x8E, 0)}),
    ],
)
def test_the_assembled_gate_table_holds_the_sdm_bytes(
    spec_path: Path, expected: dict[int, tuple[int, int]], tmp_path: Path
) -> None:
    require_tool("as")
    spec = load_x86(spec_path)
    (source,) = isrgen.build(spec, tmp_path, ["gas"])
    obj = read_elf(toolchain.assemble_gas(source, bits=spec.arch.bits))
    gates = obj.symbol(spec.symbols.gates)
    data = obj.contents[spec.sections.table]
    table = data[gates.value : gates.value + 2 * 256]
    for vector, pair in expected.items():
        assert (table[2 * vector], table[2 * vector + 1]) == pair, vector
    # a vector the spec does not define has a gate that is not present
    missing = next(n for n in range(256) if spec.vector(n) is None) if len(spec.vectors) < 256 else None
    if missing is not None:
        assert table[2 * missing] == 0
