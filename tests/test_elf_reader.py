"""isrgen's one ELF reader on objects of every ISA: relocation sizes come from each ISA
package's table (the expected sizes below are the psABIs' field widths), segments
carry their flags and bytes, symbols their sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_tool, run

from isrgen.diagnostics import UsageError
from isrgen.proof.elf import read_elf

#: (assembler argv, source, {relocation type: bytes it patches}) per machine
OBJECTS = {
    # SysV AMD64 psABI 4.4: R_X86_64_64 = 1 (word64), R_X86_64_PLT32 = 4 (word32), R_X86_64_16 = 12 (word16)
    "x86_64": (
        ["as", "--64"],
        "    .text\nf:\n    call g\n    .quad g\n    .short g\n",
        {1: 8, 4: 4, 12: 2},
    ),
    # SysV i386 ABI: R_386_32 = 1, R_386_PC32 = 2 (word32); R_386_16 = 20 (word16)
    "i386": (
        ["as", "--32"],
        "    .text\nf:\n    call g\n    .long g\n    .short g\n",
        {1: 4, 2: 4, 20: 2},
    ),
    # AAELF64 5.7: R_AARCH64_ABS64 = 257 (8 bytes), R_AARCH64_CALL26 = 283 (one instruction)
    "aarch64": (
        ["aarch64-linux-gnu-as"],
        "    .text\nf:\n    bl g\n    .quad g\n",
        {283: 4, 257: 8},
    ),
    # RISC-V psABI: R_RISCV_JAL = 17 (one instruction), R_RISCV_64 = 2, R_RISCV_32 = 1
    "riscv64": (
        ["riscv64-linux-gnu-as", "-march=rv64gc"],
        "    .option norelax\n    .option norvc\n    .text\nf:\n    jal g\n    .quad g\n    .word g\n",
        {17: 4, 2: 8, 1: 4},
    ),
}


def _assemble(tmp_path: Path, machine: str) -> Path:
    argv, source, _ = OBJECTS[machine]
    require_tool(argv[0])
    src = tmp_path / f"{machine}.s"
    src.write_text(source)
    obj = tmp_path / f"{machine}.o"
    run([*argv, "-o", str(obj), str(src)])
    return obj


@pytest.mark.parametrize("machine", list(OBJECTS))
def test_relocation_sizes_come_from_the_isa_package(machine: str, tmp_path: Path) -> None:
    elf = read_elf(_assemble(tmp_path, machine))
    relocs = elf.relocations[".text"]
    assert {r.type: r.size for r in relocs} == OBJECTS[machine][2]
    assert all(r.known and r.target == ("g", r.addend) for r in relocs)
    masked = elf.masked_bytes(".text", fill=0xAA)
    for r in relocs:
        assert masked[r.offset : r.offset + r.size] == b"\xaa" * r.size
    patched = {i for r in relocs for i in range(r.offset, r.offset + r.size)}
    original = elf.contents[".text"]
    assert all(masked[i] == original[i] for i in range(len(original)) if i not in patched)


def test_a_relocation_type_no_table_knows_is_refused_when_masking(tmp_path: Path) -> None:
    require_tool("as")
    src = tmp_path / "tls.s"
    # R_X86_64_TPOFF32 (23): thread-local, not in the table isrgen needs
    src.write_text("    .text\n    movq %fs:x@tpoff, %rax\n")
    obj = tmp_path / "tls.o"
    run(["as", "--64", "-o", str(obj), str(src)])
    elf = read_elf(obj)
    assert [(r.type, r.known) for r in elf.relocations[".text"]] == [(23, False)]
    with pytest.raises(UsageError, match=r"relocation type 23 in \.text is not known to isrgen \(EM_X86_64\)"):
        elf.masked_bytes(".text")


def test_linked_image_segments_flags_bytes_and_symbol_sizes(tmp_path: Path) -> None:
    require_tool("as", "ld")
    src = tmp_path / "k.s"
    src.write_text(
        "    .globl _start\n    .text\n_start:\n    hlt\n    .size _start, 1\n"
        '    .section .rodata, "a"\nmsg:\n    .ascii "isr!"\n    .size msg, 4\n'
        "    .data\ncounter:\n    .quad 7\n    .size counter, 8\n"
    )
    run(["as", "--64", "-o", str(tmp_path / "k.o"), str(src)])
    run(["ld", "-static", "-nostdlib", "-z", "separate-code", "-o", str(tmp_path / "k.elf"), str(tmp_path / "k.o")])
    elf = read_elf(tmp_path / "k.elf")
    assert (elf.machine, elf.elfclass, elf.little_endian, elf.file_type) == ("EM_X86_64", 64, True, "ET_EXEC")
    table = elf.symbol_table()
    assert (table["_start"].size, table["msg"].size, table["counter"].size) == (1, 4, 8)
    start, msg, counter = (elf.segment_for(table[n].value) for n in ("_start", "msg", "counter"))
    assert start is not None and start.executable and not start.writable
    assert msg is not None and not msg.executable and not msg.writable
    assert counter is not None and counter.writable and not counter.executable
    assert start.data[table["_start"].value - start.vaddr] == 0xF4  # hlt (SDM Vol. 2A HLT: F4)
    assert elf.read(table["msg"].value, 4) == b"isr!"
    assert elf.read(table["counter"].value, 8) == (7).to_bytes(8, "little")
