"""The trampoline glue dropped into xv6-riscv's own link layout: kernel/kernel.ld places the
trampsec input section inside the .text output section (after ALIGN(0x1000), with its own
ASSERT that it is one page), so the linker defines no __stop_trampsec.  The glue must still
link (GNU ld and ld.lld) and ``isrgen verify`` must accept the image."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_tool, run
from riscv64_tools import GNU_AS, ROOT, assemble, assembly, load

from isrgen.arch.riscv64.verify import verify_elf

#: xv6-riscv kernel/kernel.ld, the .text output section as it is written there
XV6_LD = """OUTPUT_ARCH( "riscv" )
ENTRY( _entry )
SECTIONS
{
  . = 0x80000000;
  .text : {
    *(.text .text.*)
    . = ALIGN(0x1000);
    _trampoline = .;
    *(trampsec)
    . = ALIGN(0x1000);
    ASSERT(. - _trampoline == 0x1000, "error: trampoline larger than one page");
    PROVIDE(etext = .);
  }
  .rodata : { *(.srodata .srodata.*) *(.rodata .rodata.*) }
  .data : { *(.sdata .sdata.*) *(.data .data.*) }
  .bss : { *(.sbss .sbss.*) *(.bss .bss.*) }
  PROVIDE(end = .);
}
"""
KERNEL = (
    ".text\n.globl _entry, usertrap, kerneltrap\n_entry:\n    j _entry\nusertrap:\n    j usertrap\n"
    "kerneltrap:\n    ret\n"
)


@pytest.mark.parametrize("linker", ["riscv64-linux-gnu-ld", "ld.lld"])
def test_xv6_layout_links_and_verifies(linker: str, tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as", linker)
    options = load(ROOT / "specs" / "examples" / "riscv64_xv6_trampoline.yaml")
    assert options.trampoline is not None and options.trampoline.link_check
    glue = assemble(assembly(options), tmp_path / "trampoline.o", GNU_AS)
    kernel = assemble(KERNEL, tmp_path / "kernel.o", GNU_AS)
    (tmp_path / "kernel.ld").write_text(XV6_LD)
    elf = tmp_path / "kernel.elf"
    run([linker, "-T", str(tmp_path / "kernel.ld"), "-o", str(elf), str(kernel), str(glue)])
    passed = verify_elf(options, elf.read_bytes())
    assert any(p.startswith("xv6_trampoline at ") and "4096-byte aligned" in p for p in passed), passed
