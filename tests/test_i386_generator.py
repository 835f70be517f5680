"""The i386 generator: i386 specs assemble with the real 32-bit tools, GAS and
NASM agree byte for byte, and the C frame matches a hand-counted trap frame."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SPECS, load_x86, loads_x86, require_tool, run

import isrgen
from isrgen.proof import toolchain
from isrgen.proof.elf import read_elf

I386_SPEC = SPECS / "i386.yaml"

# Offsets counted by hand from the classic teaching-kernel trap frame:
# pushal (edi esi ebp oesp ebx edx ecx eax), gs fs es ds, trapno, err, eip cs eflags [esp ss].
HAND_OFFSETS = {
    "edi": 0, "esi": 4, "ebp": 8, "oesp": 12, "ebx": 16, "edx": 20, "ecx": 24, "eax": 28,
    "gs": 32, "fs": 36, "es": 40, "ds": 44, "vector": 48, "error_code": 52,
    "eip": 56, "cs": 60, "eflags": 64, "esp": 68, "ss": 72,
}  # fmt: skip


def _code(asm: str) -> str:
    """GAS output without its CFI directives (checked by tests/test_cfi_i386.py)."""
    return "".join(ln for ln in asm.splitlines(True) if not ln.lstrip().startswith(".cfi_"))


def test_i386_model_and_layout() -> None:
    spec = load_x86(I386_SPEC)
    assert spec.arch.bits == 32 and spec.handler.convention == "cdecl"
    assert {v.number for v in spec.vectors if v.error_code} == {8, 10, 11, 12, 13, 14, 17, 21, 29, 30}
    layout = isrgen.compute_layout(spec)
    assert {f.name: f.offset for f in layout.fields} == HAND_OFFSETS
    assert layout.size == 76 and layout.dynamic_align
    assert [f.name for f in layout.fields if f.ring_change_only] == ["esp", "ss"]
    assert layout.field("ds").value_size == 2


def test_i386_gas_and_nasm_agree(tmp_path: Path) -> None:
    require_tool("as", "nasm")
    spec = load_x86(I386_SPEC)
    paths = {p.suffix: p for p in isrgen.build(spec, tmp_path)}
    gas = read_elf(toolchain.assemble_gas(paths[".S"], tmp_path / "gas.o", bits=32))
    nasm = read_elf(toolchain.assemble_nasm(paths[".asm"], tmp_path / "nasm.o", bits=32))
    code = ".text.isr"
    assert gas.masked_bytes(code) == nasm.masked_bytes(code)
    gsyms = {n: (s.value, s.size) for n, s in gas.defined_symbols(code).items()}
    nsyms = {n: (s.value, s.size) for n, s in nasm.defined_symbols(code).items()}
    assert gsyms == nsyms and "isr_stub_255" in gsyms
    assert gas.section(code).executable and not gas.section(".rodata.isr").executable
    with (tmp_path / "gas.o").open("rb") as fh:
        assert fh.read(5)[4] == 1, "an ELFCLASS32 object"


def test_i386_header_compiles_with_hand_written_checks(tmp_path: Path) -> None:
    require_tool("gcc")
    isrgen.build(load_x86(I386_SPEC), tmp_path)
    checks = "".join(
        f'_Static_assert(offsetof(struct isr_frame, {name}) == {off}, "{name}");\n'
        for name, off in HAND_OFFSETS.items()
    )
    src = tmp_path / "check.c"
    src.write_text(
        '#include <stddef.h>\n#include "isr.h"\n'
        + checks
        + '_Static_assert(sizeof(struct isr_frame) == 76, "size");\n'
        + '_Static_assert(sizeof(struct isr_idt_gate) == 8, "gate");\n'
        + "void isr_dispatch(struct isr_frame *f) { (void)f; }\n"
        + "static struct isr_idt_gate idt[256];\nvoid init(void) { isr_idt_fill(idt, 0x08); }\n"
    )
    run(["gcc", "-m32", "-ffreestanding", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(tmp_path),
         "-c", str(src), "-o", str(tmp_path / "check.o")])  # fmt: skip


def _spec_with(extra: str) -> str:
    return I386_SPEC.read_text().replace("outputs:\n", extra + "outputs:\n", 1)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("entry2: {}\n", "unknown key 'entry2'"),
        ("syscall: {handler: sys}\n", "not available on i386"),
        ("classes: {irq: {ist: 1}}\n", "an IST index"),
        ("classes: {irq: {simd: fxsave}}\n", "a SIMD save policy"),
    ],
)
def test_x86_64_only_features_are_rejected(extra: str, message: str) -> None:
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(_spec_with(extra), "i386.yaml")
    assert any(message in d.message for d in info.value.diagnostics), info.value.diagnostics


def test_swapgs_and_rust_are_rejected_with_locations() -> None:
    text = I386_SPEC.read_text().replace("  data_selector: 0x10\n", "  data_selector: 0x10\n  swapgs: true\n")
    text = text.replace("  c: isr.h\n", "  c: isr.h\n  rust: isr.rs\n")
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "i386.yaml")
    messages = {d.message for d in info.value.diagnostics}
    assert any("swapgs is not available on i386" in m for m in messages)
    assert any("backend 'rust' does not generate for i386" in m for m in messages)
    assert all(d.source.line > 0 for d in info.value.diagnostics)


def test_xv6_style_unaligned_cdecl_call(tmp_path: Path) -> None:
    """align_stack: false pushes the frame pointer on the unaligned stack, as xv6 does."""
    text = I386_SPEC.read_text().replace("  returns: void\n", "  returns: void\n  align_stack: false\n")
    spec = loads_x86(text, "x.yaml")
    gas = _code(next(r for r in isrgen.render_outputs(spec, ["gas"])).content)
    assert "    mov ebx, esp\n    push ebx\n    call isr_dispatch\n" in gas
    assert "and esp, -16" not in gas


def test_frame_passed_by_value_is_the_handlers_argument(tmp_path: Path) -> None:
    """handler.frame_arg: value (JamesM-style `void isr_handler(registers_t regs)`): the
    call happens with esp at the frame, so the argument area *is* the frame."""
    require_tool("as", "ld")
    from conftest import require_module

    require_module("unicorn")
    from isrgen.arch.x86.emulation import protected_mode as emulate32

    text = I386_SPEC.read_text().replace("  returns: void\n", "  returns: void\n  frame_arg: value\n")
    spec = loads_x86(text, "v.yaml")
    assert not spec.handler.align_stack  # follows from frame_arg: value
    layout = isrgen.compute_layout(spec)
    paths = {p.suffix: p for p in isrgen.build(spec, tmp_path)}
    assert "void isr_dispatch(struct isr_frame frame);" in paths[".h"].read_text()
    obj = toolchain.assemble_gas(paths[".S"], tmp_path / "v.o", bits=32)
    emu = emulate32.Emulator32(emulate32.link32([obj], tmp_path), table_symbol=spec.symbols.table)
    stop = emu.interrupt(14, regs={"eax": 0x1234}, error_code=0x6)
    assert stop.symbol == "isr_dispatch"
    frame = stop.state.esp + 4  # the first (by-value) argument starts right above the return address
    assert stop.u32(frame + layout.offset("eax")) == 0x1234
    assert stop.u32(frame + layout.offset("vector")) == 14
    assert stop.u32(frame + layout.offset("error_code")) == 0x6
    assert emu.return_from_handler().resumed


def test_frame_by_value_cannot_be_realigned() -> None:
    text = I386_SPEC.read_text().replace(
        "  returns: void\n", "  returns: void\n  frame_arg: value\n  align_stack: true\n"
    )
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "v.yaml")
    assert "align_stack cannot be true" in str(info.value)


JAMESM_ENTRY = "entry: {data_segments: [ds, es, fs, gs], data_selector: 0x10, segments_from_ds: true}\n"


@pytest.mark.parametrize(
    ("layout", "entry", "message"),
    [
        # es, fs and gs loaded but only ds saved: the exit would leave them at the kernel's selector
        ("[ds, pushal, vector, error_code]", JAMESM_ENTRY.replace(", segments_from_ds: true", ""),
         "es is loaded but not saved"),
        ("[pushal, vector, error_code]", JAMESM_ENTRY, "segments_from_ds restores from the saved ds"),
    ],
)  # fmt: skip
def test_segments_from_ds_needs_the_ds_slot(layout: str, entry: str, message: str) -> None:
    text = f"isrgen: 1\narch: i386\nhandler: {{symbol: h, convention: cdecl}}\n{entry}frame: {{layout: {layout}}}\n"
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text + "vectors: [{range: [0, 47]}]\n", "jm.yaml")
    assert any(message in d.message for d in info.value.diagnostics), info.value.diagnostics


def test_segments_from_ds_copies_the_restored_ds() -> None:
    """JamesM's exit: the saved ds goes back into ds, es, fs and gs; no scratch register
    is used (popad follows), so the copy goes through the stack."""
    text = f"isrgen: 1\narch: i386\nhandler: {{symbol: h, convention: cdecl}}\n{JAMESM_ENTRY}"
    text += "frame: {layout: [ds, pushal, vector, error_code]}\nvectors: [{range: [0, 47]}]\n"
    asm = _code(isrgen.render_outputs(loads_x86(text, "jm.yaml"), ["gas"])[0].content)
    assert "    pop ds\n    push ds\n    pop es\n    push ds\n    pop fs\n    push ds\n    pop gs\n    popad\n" in asm
