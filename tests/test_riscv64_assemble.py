"""riscv64 glue assembles with GNU as and llvm-mc to the same bytes (relocated bytes masked),
the vector obeys stvec's alignment, instructions decode as the manual encodes them, and the
trampoline's page check fails the link when the section outgrows its page."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from conftest import require_tool, run
from riscv64_tools import GNU_AS, LLVM_MC, SPECS, assemble, assembly, load, sections, symbols

from isrgen.arch.riscv64.codegen import build_program
from isrgen.arch.riscv64.gas import render_gas
from isrgen.arch.riscv64.resolve import load_riscv64_spec

DISPATCH = "dispatch: {interrupts: 6, exceptions: 13}"


def _masked(data: bytes, offsets: set[int]) -> bytes:
    out = bytearray(data)
    for off in offsets:
        out[off : off + 4] = b"\0\0\0\0"
    return bytes(out)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_gnu_as_and_llvm_mc_agree(spec: Path, tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as", "llvm-mc")
    text = assembly(load(spec))
    gnu = sections(assemble(text, tmp_path / "gnu.o", GNU_AS))
    llvm = sections(assemble(text, tmp_path / "llvm.o", LLVM_MC))
    code = [name for name in llvm if name not in (".text", ".eh_frame")]
    assert code, "no code section"
    for name in code:
        g, g_rel = gnu[name]
        m, m_rel = llvm[name]
        # GNU as pads a section to its alignment: the padding is zeros
        assert len(g) >= len(m) and g[len(m) :] == bytes(len(g) - len(m)), name
        relocs = g_rel | m_rel
        assert _masked(g[: len(m)], relocs) == _masked(m, relocs), name
    # the same CFI either way
    assert len(gnu[".eh_frame"][0]) == len(llvm[".eh_frame"][0])


def _spec(extra: str) -> str:
    return (Path(SPECS[0]).read_text()) + extra


def _words(tmp_path: Path, text: str, section: str) -> tuple[list[int], dict[str, int]]:
    obj = assemble(text, tmp_path / "w.o", GNU_AS)
    data = sections(obj)[section][0]
    return [w for (w,) in struct.iter_unpack("<I", data[: len(data) // 4 * 4])], symbols(obj)


def test_vectored_table_slots(tmp_path: Path) -> None:
    """Vectored mode: slot n at BASE + 4n is a jal (opcode 0x6f, rd = x0) to the entry or the
    declared target (priv 4.1.2); BASE is aligned as declared."""
    require_tool("riscv64-linux-gnu-as")
    vectored = "  mode: vectored\n  interrupts: {5: timer_entry}\n  #"
    text = Path(SPECS[0]).read_text().replace("  mode: direct ", vectored)
    text = text.replace("  align: 4 ", "  align: 256 ")
    opts = load_riscv64_spec(text, "v.yaml")
    words, syms = _words(tmp_path, render_gas(build_program(opts)), ".text.trap")
    base = syms["trap_vector"]
    assert base % 256 == 0
    entry = syms["trap_entry"]
    for n in range(16):
        w = words[(base + 4 * n) // 4]
        assert w & 0xFFF == 0x06F, f"slot {n}: {w:#010x} is not jal x0"
        if n == 5:
            continue  # an undefined target: the relocation fills it in
        # J-type immediate (unprivileged spec 2.3): imm[20|10:1|11|19:12]
        imm = ((w >> 31) << 20) | (((w >> 21) & 0x3FF) << 1) | (((w >> 20) & 1) << 11) | (((w >> 12) & 0xFF) << 12)
        imm -= (imm & (1 << 20)) << 1
        assert base + 4 * n + imm == entry, f"slot {n} does not jump to the entry"
    assert entry % 4 == 0


def test_direct_entry_is_aligned_and_fixed_size(tmp_path: Path) -> None:
    """Direct mode: the entry is the stvec BASE (4-byte aligned, priv 4.1.2); with compressed
    instructions off every instruction is 32 bits (low two bits 0b11, unprivileged spec 1.5)."""
    require_tool("riscv64-linux-gnu-as")
    words, syms = _words(tmp_path, assembly(load(SPECS[0])), ".text.trap")
    assert syms["trap_entry"] % 4 == 0
    assert all(w & 3 == 3 for w in words)
    # the first instruction: csrrw sp, sscratch(0x140), sp = 0x14011173
    assert words[syms["trap_entry"] // 4] == 0x14011173


def _other_object(tmp_path: Path, extra_bytes: int) -> Path:
    """Another object adding ``extra_bytes`` of code to the trampoline's section, as a kernel could."""
    more = '    .pushsection trampsec, "ax",@progbits\n    .option norvc\n'
    more += f"    .fill {extra_bytes // 4}, 4, 0x13\n    .popsection\n"
    more += "    .text\n    .globl _start\n_start:\n    j _start\n    .globl kerneltrap\nkerneltrap:\n    ret\n"
    return assemble(more, tmp_path / "more.o", GNU_AS)


@pytest.mark.parametrize("linker", ["riscv64-linux-gnu-ld", "ld.lld"])
@pytest.mark.parametrize("assembler", ["gnu", "llvm"])
def test_trampoline_outgrowing_its_page_fails_to_link(tmp_path: Path, linker: str, assembler: str) -> None:
    require_tool("riscv64-linux-gnu-as", "llvm-mc", linker)
    tool = GNU_AS if assembler == "gnu" else LLVM_MC
    obj = assemble(assembly(load(SPECS[-1])), tmp_path / "tramp.o", tool)
    # GNU as pads the section to its 4096-byte alignment: the object alone fills the page
    room = 4096 - len(sections(obj)["trampsec"][0])
    for extra, fits in ((room, True), (room + 4, False)):
        proc = run([linker, "-o", str(tmp_path / "k.elf"), str(obj), str(_other_object(tmp_path, extra))], check=False)
        if fits:
            assert proc.returncode == 0, proc.stderr
        else:
            assert proc.returncode != 0
            assert "R_RISCV_PCREL_HI20" in proc.stderr and "__stop_trampsec" in proc.stderr


@pytest.mark.parametrize(
    ("tool", "message"),
    [(GNU_AS, "attempt to move .org backwards"), (LLVM_MC, "invalid .org offset")],
    ids=["gnu", "llvm"],
)
def test_trampoline_larger_than_a_page_fails_to_assemble(tmp_path: Path, tool: list[str], message: str) -> None:
    """The trampoline is padded to its page (the last word is the link check's); code that
    does not fit fails the assembly, with GNU as and with LLVM."""
    require_tool(tool[0])
    text = assembly(load(SPECS[-1]))
    fits = assemble(text, tmp_path / "fits.o", tool)
    assert len(sections(fits)["trampsec"][0]) == 4096
    # grow the trampoline's own code past the page: 1024 nops after userret's sret
    text = text.replace("    sret\n    .size userret", "    sret\n    .fill 1024, 4, 0x13\n    .size userret")
    with pytest.raises(AssertionError, match=message):
        assemble(text, tmp_path / "big.o", tool)


def test_dispatch_and_vectored_agree(tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as", "llvm-mc")
    text = SPECS[0].read_text().replace("  args: [frame, cause]", "  args: [frame, cause]\n  " + DISPATCH)
    text = text.replace("  mode: direct ", "  mode: vectored\n  interrupts: {5: timer_entry}\n  #")
    text = text.replace("fp: false", "fp: true")
    glue = render_gas(build_program(load_riscv64_spec(text, "d.yaml")))
    gnu = sections(assemble(glue, tmp_path / "gnu.o", GNU_AS))[".text.trap"]
    llvm = sections(assemble(glue, tmp_path / "llvm.o", LLVM_MC))[".text.trap"]
    relocs = gnu[1] | llvm[1]
    assert _masked(gnu[0][: len(llvm[0])], relocs) == _masked(llvm[0], relocs)


def test_compressed_entry_agrees(tmp_path: Path) -> None:
    """With compressed instructions allowed both assemblers pick the same RVC forms."""
    require_tool("riscv64-linux-gnu-as", "llvm-mc")
    text = SPECS[0].read_text().replace("compressed: false", "compressed: true")
    glue = render_gas(build_program(load_riscv64_spec(text, "c.yaml")))
    gnu = sections(assemble(glue, tmp_path / "gnu.o", GNU_AS))[".text.trap"]
    llvm = sections(assemble(glue, tmp_path / "llvm.o", LLVM_MC))[".text.trap"]
    relocs = gnu[1] | llvm[1]
    assert _masked(gnu[0][: len(llvm[0])], relocs) == _masked(llvm[0], relocs)
    # some instruction is compressed (low two bits != 0b11, unprivileged spec 1.5)
    assert any(gnu[0][i] & 3 != 3 for i in range(0, len(llvm[0]), 2) if int.from_bytes(gnu[0][i : i + 2], "little"))
