"""Loading aarch64 specs: the frame and routing the example kernel (examples/kernel-aarch64)
relies on, and bad input reported at file:line:col."""

from __future__ import annotations

import pytest
from a64_helpers import BASE_SPEC, VARIANTS, kernel_spec, variant

from isrgen.arch.aarch64.layout import compute_layout
from isrgen.arch.aarch64.options import Returns, Use
from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.diagnostics import SpecError

# What the example kernel relies on: offsets of struct isr_frame, low address first.
KERNEL_OFFSETS = {
    **{f"x{i}": 8 * i for i in range(31)},
    "sp": 248, "elr": 256, "spsr": 264, "esr": 272, "far": 280, "kind": 288, "pad": 296,
}  # fmt: skip
KERNEL_FRAME_SIZE = 832


def test_kernel_spec_gives_the_kernel_its_frame() -> None:
    spec = kernel_spec()
    lay = compute_layout(spec.frame)
    assert {f.name: f.offset for f in lay.fields if f.name in KERNEL_OFFSETS} == KERNEL_OFFSETS
    assert lay.size == KERNEL_FRAME_SIZE
    q = [f for f in lay.fields if f.role.startswith("q")]
    assert [f.offset for f in q] == [304 + 16 * i for i in range(32)]
    assert (lay.offset("fpcr"), lay.offset("fpsr")) == (816, 824)
    assert spec.frame.struct_name == "isr_frame"
    assert (spec.symbols.table, spec.symbols.exit, spec.symbols.halt) == ("isr_vectors", "isr_return", "isr_halt")
    routes = {r.slot.number: (r.handler.symbol, r.handler.returns) for r in spec.routes}
    for n in (1, 5, 8, 9):
        assert routes[n] == ("isr_dispatch", Returns.FRAME)
    for n in (0, 4):
        assert routes[n] == ("isr_kernel_fault", Returns.VOID)
    for n in (2, 3, 6, 7, *range(10, 16)):
        assert routes[n] == ("isr_bad_mode", Returns.NORETURN)
    assert spec.syscall is not None
    assert (spec.syscall.handler.symbol, spec.syscall.slot.number, spec.syscall.restored) == ("isr_syscall", 8, ("x0",))
    assert spec.syscall.ec == 0x15
    assert ("c", "isr.h") in spec.outputs and ("gas", "isr.S") in spec.outputs


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants_load(name: str) -> None:
    spec = variant(name)
    assert compute_layout(spec.frame).size % 16 == 0


def test_unused_slots_go_to_bad_mode() -> None:
    spec = variant("base")
    used = {r.slot.name for r in spec.routes if r.use is not Use.BAD_MODE}
    assert used == {"el1t_sync", "el1t_irq", "el1h_sync", "el1h_irq", "el0_64_sync", "el0_64_irq"}


BAD = """\
isrgen: 1
arch: aarch64
frame:
  layout: [x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15,
           x16, x17, x18, x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29, x30,
           sp, elr, spsr, x31, esr]
  colour: blue
handler: {symbol: isr_dispatch}
bad_mode: {symbol: isr_bad_mode}
slots:
  - {slot: el1h_sync, use: kernel_handler}
  - {slot: el0_64_irq}
  - {slot: 9}
syscall: {handler: isr_syscall, slot: el1h_sync, restored: [x0, w1]}
"""


def at(text: str, needle: str, occurrence: int = 1) -> str:
    """``file:line:col`` of the ``occurrence``-th ``needle`` in ``text`` (1-based, as diagnostics count)."""
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return f"bad.yaml:{line}:{col}: error:"


def test_every_error_at_its_place() -> None:
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(BAD, "bad.yaml")
    heads = [d.headline() for d in info.value.diagnostics]
    text = "\n".join(heads)
    expected = [
        (at(BAD, "colour"), "unknown key 'colour'"),
        (at(BAD, "x31"), "x31 is not a register"),
        (at(BAD, "kernel_handler"), "declares no kernel_handler"),
        (at(BAD, "9}"), "duplicate slot el0_64_irq"),
        (at(BAD, "el1h_sync", 2), "arrives at el0_64_sync"),
        (at(BAD, "w1"), "'w1' is not a general-purpose register"),
    ]
    # the unknown x31 stands for some 8-byte slot: no size error (36 slots are 288 bytes) echoes it
    for where, what in expected:
        assert any(h.startswith(where) and what in h for h in heads), f"{where} {what}\n{text}"
    assert len(heads) == len(expected), text


def test_frame_size_must_be_a_multiple_of_16() -> None:
    text = BASE_SPEC.read_text().replace("kind, pad,", "kind,")
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "a.yaml")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith("  layout:"))
    (diag,) = [d for d in info.value.diagnostics if "not a multiple of 16" in d.message]
    assert diag.headline().startswith(f"a.yaml:{line}:3: error:")


def test_misaligned_fpsimd_area() -> None:
    text = BASE_SPEC.read_text().replace("kind, pad,\n           fpsimd]", "kind,\n           fpsimd, pad]")
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "a.yaml")
    assert any("16-byte aligned" in d.message for d in info.value.diagnostics)


def test_duplicate_register_and_missing_register() -> None:
    text = BASE_SPEC.read_text().replace("x28, x29, x30,", "x28, x28, x30,")
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "a.yaml")
    messages = [d.message for d in info.value.diagnostics]
    assert any("duplicate slot 'x28'" in m for m in messages), messages
    assert any("must hold x29" in m for m in messages), messages


def test_named_copy_and_renames() -> None:
    text = BASE_SPEC.read_text().replace("kind, pad,", "kind, {name: orig_x0, holds: x0},")
    text = text.replace("  renames: {} ", "  renames: {elr: pc, spsr: pstate} ")
    spec = load_aarch64_spec(text, "a.yaml")
    lay = compute_layout(spec.frame)
    assert lay.field("elr").name == "pc" and lay.field("spsr").name == "pstate"
    (copy,) = lay.copies
    assert (copy.name, copy.role, copy.offset) == ("orig_x0", "x0", 296)


def test_generated_symbol_collision() -> None:
    text = BASE_SPEC.read_text().replace("  symbol: isr_dispatch ", "  symbol: isr_return ")
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "a.yaml")
    assert any("generated symbols.exit" in d.message for d in info.value.diagnostics)


def test_fpsimd_policy_errors() -> None:
    text = BASE_SPEC.read_text()
    text = text.replace("  - {slot: el1h_irq}", "  - {slot: el1h_irq, fpsimd: false}")  # handler returns a frame
    text = text.replace("  - {slot: el0_64_sync} ", "  - {slot: el0_64_sync, fpsimd: false} ")  # the syscall slot
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "a.yaml")
    messages = [d.message for d in info.value.diagnostics]
    assert any("isr_dispatch returns a frame" in m for m in messages), messages
    assert any("syscall slot el0_64_sync must save the FP/SIMD area" in m for m in messages), messages


def test_table_section_must_be_code() -> None:
    text = BASE_SPEC.read_text().replace("  table: .text.isr.vectors ", "  table: .rodata.isr ")
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "a.yaml")
    (diag,) = info.value.diagnostics
    assert diag.path == "$.sections.table" and "cannot hold code" in diag.message


def test_names_an_assembler_or_compiler_would_misread() -> None:
    text = BASE_SPEC.read_text()
    text = text.replace("  symbol: isr_dispatch ", "  symbol: x9 ")
    text = text.replace("  renames: {} ", "  renames: {elr: int, spsr: q3} ")
    text = text.replace('  halt: "{prefix}halt" ', '  halt: "lr" ')
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "a.yaml")
    found = [(d.path, d.message) for d in info.value.diagnostics]
    assert any(p == "$.handler.symbol" and "aarch64 register" in m for p, m in found), found
    assert any(p == "$.symbols.halt" and "aarch64 register" in m for p, m in found), found
    assert ("$.frame.renames.elr", "field name: 'int' is a C keyword") in found, found
    assert any(p == "$.frame.renames.spsr" and "two fields are named 'q3'" in m for p, m in found), found
