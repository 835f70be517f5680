"""Malformed aarch64 specs: each refused at the key or value that causes it, every error at
once, and through the CLI with a non-zero exit, no traceback and nothing written.

Each case edits specs/aarch64.yaml; the expected place is where the ``needle`` stands in the
text its first edit puts in (1-based line and column), found here, not by the loader.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from a64_helpers import BASE_SPEC
from conftest import run_isrgen

from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.diagnostics import SpecError

BASE = BASE_SPEC.read_text()
PAD_4K = "{name: big%d, holds: pad, size: 4096}, "


def edited(*edits: tuple[str, str]) -> str:
    text = BASE
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} must occur once in {BASE_SPEC}"
        text = text.replace(old, new)
    return text


def place(text: str, within: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """(line, column) of the ``occurrence``-th ``needle`` inside the edited-in text ``within``."""
    start = text.index(within) - 1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1


def expected_place(case: str, text: str) -> tuple[int, int]:
    edits, (needle, occurrence), _ = CASES[case]
    return place(text, edits[0][1], needle, occurrence)


#: id -> (edits, needle (occurrence), message part)
CASES: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, int], str]] = {
    "handler is a C keyword": (
        (("  symbol: isr_dispatch ", "  symbol: int "),), ("int ", 1), "'int' is a C keyword"),
    "handler is a Rust keyword": (
        (("  symbol: isr_dispatch ", "  symbol: match "),), ("match", 1), "Rust keyword"),
    "struct starting with __": (
        (('  struct: "{prefix}frame"', '  struct: "__frame"'),), ('"__frame"', 1), "which C reserves"),
    "handler is a C++ keyword": (
        (("  symbol: isr_dispatch ", "  symbol: delete "),), ("delete", 1), "C++ keyword"),
    "handler is a shift specifier LLVM reads as an operand": (
        (("  symbol: isr_dispatch ", "  symbol: lsl "),), ("lsl", 1), "register or operand name"),
    "handler is NZCV": (
        (("  symbol: isr_kernel_fault\n", "  symbol: nzcv\n"),), ("nzcv", 1), "register or operand name"),
    "handler is an internal label of the glue": (
        (("  symbol: isr_dispatch ", "  symbol: isr_halt_wfi "),), ("isr_halt_wfi", 1), "internal label"),
    "handler is the header's install function": (
        (("  symbol: isr_dispatch ", "  symbol: isr_install_vbar "),), ("isr_install_vbar", 1), "install function"),
    "one symbol with two signatures": (
        (("  symbol: isr_kernel_fault\n", "  symbol: isr_dispatch\n"),), ("isr_dispatch", 1), "one C prototype"),
    "a slot's own symbol with another signature": (
        (("  - {slot: el1h_irq}", "  - {slot: el1h_irq, symbol: isr_kernel_fault}"),),
        ("isr_kernel_fault", 1), "one C prototype"),
    "a bad_mode slot that returns": (
        (("  - {slot: el1h_irq}", "  - {slot: el1h_irq, use: bad_mode, returns: void}"),),
        ("returns: void}", 1), "must not return"),
    "field renamed NULL": (
        (("  renames: {} ", "  renames: {elr: size_t} "),), ("size_t", 1), "standard includes"),
    "field renamed to the include guard": (
        (("  renames: {} ", "  renames: {spsr: ISR_GLUE_H} "),), ("ISR_GLUE_H", 1), "include guard"),
    "field renamed _": (
        (("  renames: {} ", "  renames: {esr: _} "),), ("_}", 1), "Rust struct field"),
    "field renamed to a Rust keyword": (
        (("  renames: {} ", "  renames: {far: impl} "),), ("impl", 1), "Rust keyword"),
    "field renamed like an FP/SIMD field": (
        (("  renames: {} ", "  renames: {far: fpsr} "),), ("fpsr", 1), "two fields are named 'fpsr'"),
    "struct whose Rust name is Self": (
        (('  struct: "{prefix}frame"', '  struct: "self_"'),), ('"self_"', 1), "'Self', a Rust keyword"),
    "table symbol with a dot": (
        (('  table: "{prefix}vectors" ', '  table: "{prefix}.vectors" '),), ('"{prefix}.vectors"', 1),
        "not a valid identifier"),
    "entry pattern naming registers": (
        (('  entry: "{prefix}entry_{name}" ', '  entry: "x{n}" '),), ('"x{n}"', 1), "'x0' is an aarch64 register"),
    "code in .init_array": (
        (("  code: .text.isr ", "  code: .init_array "),), (".init_array", 1), "constructor"),
    "table in .eh_frame": (
        (("  table: .text.isr.vectors ", "  table: .eh_frame "),), (".eh_frame", 1), "call frame information"),
    "frame too large for STR offsets": (
        (("  layout: [x0,", "  layout: [x0,"), ("kind, pad,", "kind, pad, " + "".join(PAD_4K % i for i in range(8)))),
        ("layout", 1), "over 32768"),
    "pad not a multiple of 8": (
        (("kind, pad,", "kind, {name: odd, holds: pad, size: 12},"),), ("12", 1), "not a multiple of 8"),
    "inline slot outgrowing 0x80 bytes": (
        (("  style: branch", "  style: inline"), ("  source: sp_el1 ", "  source: tpidr_el1 ")),
        ("inline", 1), "vector slot holds 32"),
    "nasm output": ((("  gas: isr.S", "  nasm: isr.asm"),), ("nasm:", 1), "NASM assembles x86 only"),
    "two outputs, one file": ((("  c: isr.h", "  c: isr.S"),), ("isr.S", 1), "would both write 'isr.S'"),
    "output named ..": ((("  c: isr.h", "  c: .."),), ("..", 1), "is a directory"),
    "slot listed twice": (
        (("  - {slot: el1h_irq}", "  - {slot: el1h_irq}\n  - {slot: 5}"),), ("5}", 1), "duplicate slot el1h_irq"),
    "AArch32 slot to a handler": (
        (("  - {slot: el0_64_irq}", "  - {slot: el0_64_irq}\n  - {slot: el0_32_irq}"),), ("el0_32_irq", 1),
        "AArch32 EL0 is not supported"),
    "slot 16": ((("  - {slot: el0_64_irq}", "  - {slot: 16}"),), ("16}", 1), "is not valid here"),
    "syscall from an EL1 slot": (
        (("  slot: el0_64_sync\n", "  slot: el1h_sync\n"),), ("el1h_sync\n", 1), "arrives at el0_64_sync"),
    "syscall restores sp": ((("  restored: [x0] ", "  restored: [x0, sp] "),), ("sp]", 1), "not a general-purpose"),
    "syscall restores x31": ((("  restored: [x0] ", "  restored: [x31] "),), ("x31", 1), "not a general-purpose"),
    "w0 in the frame": ((("layout: [x0, x1,", "layout: [x0, w0, x1,"),), ("w0", 1), "unknown register or slot 'w0'"),
    "x31 in the frame": ((("layout: [x0, x1,", "layout: [x0, x31, x1,"),), ("x31", 1), "x31 is not a register"),
    "a register twice": ((("x28, x29,", "x28, x28, x29,"),), ("x28", 2), "duplicate slot 'x28'"),
    "fpsimd named": ((("           fpsimd]", "           {name: fp, holds: fpsimd}]"),), ("fp,", 1), "cannot be named"),
    "unknown key": ((("  cfi: true ", "  cfi: true\n  colour: blue "),), ("colour", 1), "unknown key 'colour'"),
    "wrong type": ((("  cfi: true ", "  cfi: yes "),), ("yes", 1), "is not of type 'boolean'"),
    "first argument not the frame": ((("  args: [frame] ", "  args: [kind, frame] "),), ("[kind", 1), "first argument"),
    "prefix too long": ((("  prefix: isr_ ", "  prefix: " + "p" * 260 + " "),), ("ppp", 1), "prefix"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_at_its_place(case: str) -> None:
    edits, _, message = CASES[case]
    text = edited(*edits)
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "bad.yaml")
    where = expected_place(case, text)
    found = [((d.source.line, d.source.col), d.message) for d in info.value.diagnostics]
    assert any(w == where and message in m for w, m in found), f"want {where} {message!r}, got {found}"
    assert all(d.source.file == "bad.yaml" for d in info.value.diagnostics)


INDEPENDENT = ["handler is a C keyword", "field renamed to a Rust keyword", "code in .init_array", "nasm output",
               "syscall restores x31", "AArch32 slot to a handler", "unknown key", "x31 in the frame"]  # fmt: skip


def test_every_error_at_once() -> None:
    text = edited(*(e for case in INDEPENDENT for e in CASES[case][0]))
    with pytest.raises(SpecError) as info:
        load_aarch64_spec(text, "bad.yaml")
    found = [((d.source.line, d.source.col), d.message) for d in info.value.diagnostics]
    for case in INDEPENDENT:
        where = expected_place(case, text)
        message = CASES[case][2]
        assert any(w == where and message in m for w, m in found), f"{case}: want {where} {message!r}, got {found}"
    assert len(found) == len(INDEPENDENT), found


@pytest.mark.parametrize(
    "case", ["one symbol with two signatures", "inline slot outgrowing 0x80 bytes", "x31 in the frame"]
)
def test_cli_refuses_without_traceback_or_output(case: str, tmp_path: Path) -> None:
    edits, _, message = CASES[case]
    text = edited(*edits)
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    line, col = expected_place(case, text)
    for args in (["check-spec", str(spec)], ["build", str(spec), "-o", str(out)], ["prove", str(spec)]):
        proc = run_isrgen(*args, check=False)
        assert proc.returncode != 0, args
        assert "Traceback" not in proc.stdout + proc.stderr
        assert f"bad.yaml:{line}:{col}: error:" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        assert message in proc.stdout + proc.stderr
    assert not out.exists() or not any(out.iterdir())
