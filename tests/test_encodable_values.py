"""Numbers stay within what the emitted instruction encodes, and i386 code uses i386
instructions: accepted specs build with every tool, others are refused at the key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import loads_x86, require_tool
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection
from every_tool import tool_failures

import isrgen

REGS = {"x86_64": "r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax", "i386": "pushal"}


def _spec(arch: str, pads: list[int], entry: str = "") -> str:
    items = ", ".join([f"{{pad: {p}}}" for p in pads] + [REGS[arch], "vector", "error_code"])
    cdecl = "  convention: cdecl\n" if arch == "i386" else ""
    return (
        f"isrgen: 1\narch: {arch}\nhandler:\n  symbol: isr_dispatch\n{cdecl}{entry}"
        f"frame:\n  layout: [{items}]\nvectors:\n  - {{vector: 0, name: de}}\n  - {{vector: 14, name: pf}}\n"
    )


# SDM Vol. 2A 2.1.3: disp32 and imm32 are signed; the frame (pad + saved slots + CPU words)
# must stay below 2^31 - 64.  x86_64: 17 slots and 5 CPU words of 8 bytes = 176 bytes.
# i386: pushal (32) + vector + error code (8) + 5 CPU words of 4 = 60 bytes.
LARGEST_PAD = {"x86_64": (2**31 - 1 - 64 - 176) // 8 * 8, "i386": (2**31 - 1 - 64 - 60) // 4 * 4}


@pytest.mark.parametrize("arch", ["x86_64", "i386"])
def test_the_largest_pad_builds_with_every_tool(tmp_path: Path, arch: str) -> None:
    require_tool("as", "llvm-mc", "nasm", "gcc", "g++", "rustc")
    spec = loads_x86(_spec(arch, [LARGEST_PAD[arch]]), "pad.yaml")
    assert tool_failures(spec, tmp_path) == []


@pytest.mark.parametrize("arch", ["x86_64", "i386"])
def test_one_pad_more_is_refused_at_the_pad(arch: str) -> None:
    word = 8 if arch == "x86_64" else 4
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(_spec(arch, [LARGEST_PAD[arch] + word]), "pad.yaml")
    line = 6 if arch == "x86_64" else 7
    assert [(d.source.line, d.source.col) for d in info.value.diagnostics] == [(line, 18)]
    assert "signed 32-bit displacement" in info.value.diagnostics[0].message


def test_pads_that_only_together_overflow_are_refused_at_the_largest() -> None:
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(_spec("x86_64", [2**30, 2**30 + 8]), "pad.yaml")
    (diag,) = info.value.diagnostics
    assert (diag.source.line, diag.source.col) == (6, 18 + len("1073741824}, {pad: "))


def test_ibt_landing_pads_in_i386_code_are_endbr32(tmp_path: Path) -> None:
    """32-bit code needs ENDBR32 (F3 0F 1E FB); ENDBR64 is F3 0F 1E FA (SDM Vol. 2A ENDBR32/ENDBR64)."""
    require_tool("as", "llvm-mc", "nasm", "gcc", "g++", "objdump")
    spec = loads_x86(_spec("i386", [], entry="entry:\n  endbr64: true\n"), "ibt.yaml")
    assert tool_failures(spec, tmp_path) == []
    with open(tmp_path / "gas.o", "rb") as fh:
        elf = ELFFile(fh)
        text = elf.get_section_by_name(spec.sections.code)
        symtab = elf.get_section_by_name(".symtab")
        assert text is not None and isinstance(symtab, SymbolTableSection)
        code = text.data()
        stubs = {s.name: s["st_value"] for s in symtab.iter_symbols() if s.name.startswith("isr_stub_")}
    assert sorted(stubs) == ["isr_stub_0", "isr_stub_14"]
    for offset in stubs.values():
        assert code[offset : offset + 4] == bytes.fromhex("f30f1efb")
    listing = subprocess.run(["objdump", "-d", str(tmp_path / "gas.o")], capture_output=True, text=True).stdout
    assert "endbr32" in listing and "endbr64" not in listing
