"""Assemble and link aarch64 glue with the real tools (GNU binutils or LLVM).

Each function runs one external program through :func:`isrgen.toolchain.run_tool`,
so a missing tool is a :class:`~isrgen.diagnostics.UsageError` naming it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ...proof.toolchain import run_tool

GNU_AS = "aarch64-linux-gnu-as"
GNU_LD = "aarch64-linux-gnu-ld"
GNU_CC = "aarch64-linux-gnu-gcc"
LLVM_MC = "llvm-mc"
ASSEMBLERS = ("gnu", "llvm")


def assemble(source: str | os.PathLike[str], out: str | os.PathLike[str], assembler: str = "gnu") -> Path:
    """Assemble a GAS file with GNU as (``gnu``) or ``llvm-mc -triple=aarch64`` (``llvm``)."""
    obj = Path(out)
    if assembler == "gnu":
        run_tool([GNU_AS, "--fatal-warnings", "-o", obj, source])
    elif assembler == "llvm":
        run_tool([LLVM_MC, "-triple=aarch64", "-filetype=obj", "-o", obj, source])
    else:
        raise ValueError(f"unknown assembler {assembler!r} (expected one of {ASSEMBLERS})")
    return obj


def link(objects: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], text_address: int, entry: str) -> Path:
    """Link ``objects`` into a static executable whose ``.text`` starts at ``text_address``."""
    exe = Path(out)
    run_tool([GNU_LD, "-static", "-nostdlib", f"-Ttext={text_address:#x}", "-e", entry, "-o", exe, *objects])
    return exe
