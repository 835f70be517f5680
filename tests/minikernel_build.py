"""Build tests/minikernel (a tiny PVH-booted x86_64 kernel) around generated glue.

Used by the verify, CFI and gdb tests.  ``edit_asm`` lets a test damage the
generated assembly the way hand-written glue goes wrong (e.g.
stubs assembled while an earlier ``.section .rodata`` was active), and
``linker_script`` lets it lay the segments out differently.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import ROOT, require_tool, run

import isrgen
from isrgen.arch.x86.model import X86Spec

KERNEL_SRC = ROOT / "tests" / "minikernel"


def build_kernel(
    spec: X86Spec,
    work: Path,
    *,
    edit_asm: Callable[[str], str] | None = None,
    linker_script: str | None = None,
) -> Path:
    """Generate ``spec``'s glue into ``work``, compile and link the minikernel; return the ELF."""
    require_tool("gcc", "ld")
    work.mkdir(parents=True, exist_ok=True)
    isrgen.build(spec, work, ["gas", "c"])
    asm = work / "isr.S"
    if edit_asm is not None:
        asm.write_text(edit_asm(asm.read_text()))
    cflags = ["-ffreestanding", "-fno-pic", "-fno-pie", "-mno-red-zone", "-O1", "-g", "-nostdlib", "-std=c11"]
    objs = []
    for src in (KERNEL_SRC / "boot.S", asm, KERNEL_SRC / "kernel.c"):
        obj = work / (src.stem + ".o")
        run(["gcc", "-c", *cflags, "-I", str(work), "-o", str(obj), str(src)])
        objs.append(obj)
    script = work / "kernel.ld"
    script.write_text(linker_script if linker_script is not None else (KERNEL_SRC / "kernel.ld").read_text())
    elf = work / "kernel.elf"
    flags = ["-nostdlib", "-static", "-no-pie", "-z", "max-page-size=4096"]
    run(["ld", *flags, "-T", str(script), "-o", str(elf), *map(str, objs)])
    return elf
