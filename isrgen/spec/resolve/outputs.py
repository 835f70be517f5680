"""What a spec's ``outputs`` may split into files (see :mod:`isrgen.arch.x86.split`)."""

from __future__ import annotations

#: the parts of the glue, in the order a file lists them
PARTS = ("stubs", "table", "entry", "exit", "syscall")
#: assembly backends whose output can be split into files; the Rust module stays one
#: ``global_asm!`` (rustc assembles a crate as one unit, so a split buys nothing there)
SPLITTABLE_BACKENDS = ("gas", "nasm")
