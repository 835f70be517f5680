"""Link interrupt glue for emulation, and read back what the CPU harnesses load.

The generated objects are linked for real with ``ld`` at a fixed address.  Every
symbol they leave undefined (the handlers, and anything else they call) is
defined with ``--defsym`` as a *marker*: a 16-byte slot in a page of ``ud2``
instructions that emulation never executes, because reaching a marker stops it.
The same image format serves :mod:`isrgen.arch.x86.emulation.long_mode` (x86_64) and
:mod:`isrgen.arch.x86.emulation.protected_mode` (i386, linked with ``ld -m elf_i386``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from isrgen.diagnostics import UsageError
from isrgen.proof.elf import ElfSegment, read_elf
from isrgen.proof.toolchain import run_tool

#: the size of a page: the unit of every mapping the harnesses make
PAGE = 0x1000
#: the page of marker slots; the first slot is where interrupted code "was"
MARKER_BASE = 0x6000_0000
MARKER_SLOT = 16
#: name of the marker that stands for the interrupted code (the default RIP in the CPU frame)
INTERRUPTED = "<interrupted>"
#: name of the marker :meth:`isrgen.arch.x86.emulation.long_mode.Emulator.call` pushes as the return address
RETURNED = "<returned>"


#: one ``PT_LOAD`` segment of the linked image (vaddr, memsz, data, flags)
Segment = ElfSegment


@attrs.frozen
class LinkedImage:
    """An executable linked by :func:`link_for_emulation`."""

    path: Path
    symbols: Mapping[str, int]
    segments: tuple[Segment, ...]
    #: marker name -> address; reaching one stops emulation
    markers: Mapping[str, int]

    def segment_of(self, address: int) -> Segment | None:
        """The loaded segment holding ``address``."""
        for seg in self.segments:
            if seg.contains(address):
                return seg
        return None

    def describe(self, address: int) -> str:
        """``0x401020 (isr_common+0x10)``: an address and the symbol it falls in."""
        for name, addr in self.markers.items():
            if addr == address:
                return f"{address:#x} ({name})"
        best: tuple[int, str] | None = None
        for name, addr in self.symbols.items():
            if addr <= address and (best is None or addr > best[0]):
                best = (addr, name)
        if best is None or self.segment_of(address) is None:
            return f"{address:#x}"
        off = address - best[0]
        return f"{address:#x} ({best[1]}{f'+{off:#x}' if off else ''})"


def _undefined_symbols(objects: Iterable[Path]) -> list[str]:
    names: dict[str, None] = {}
    defined: set[str] = set()
    for obj in objects:
        elf = read_elf(obj)
        names.update(dict.fromkeys(elf.undefined_in_order()))
        defined.update(s.name for s in elf.symbols if s.name and s.defined and s.binding != "STB_LOCAL")
    return [n for n in names if n not in defined]


def link_for_emulation(
    objects: Sequence[str | os.PathLike[str]],
    workdir: str | os.PathLike[str],
    *,
    stop_symbols: Sequence[str] = (),
    name: str = "glue.elf",
    emulation: str | None = None,
) -> LinkedImage:
    """Link ``objects`` with ``ld`` into ``workdir/name``, defining every undefined symbol
    (and each of ``stop_symbols`` the objects do not define) as a marker.  ``emulation``
    is ld's ``-m`` target (``elf_i386`` for 32-bit objects; default: ld's own)."""
    objs = [Path(o) for o in objects]
    wanted = list(dict.fromkeys([*_undefined_symbols(objs), *stop_symbols]))
    markers = {INTERRUPTED: MARKER_BASE, RETURNED: MARKER_BASE + MARKER_SLOT}
    for i, sym in enumerate(wanted, start=len(markers)):
        markers[sym] = MARKER_BASE + i * MARKER_SLOT
    if len(markers) * MARKER_SLOT > PAGE:
        raise UsageError(f"too many undefined symbols to emulate ({len(wanted)})")
    out = Path(workdir) / name
    argv = ["ld", "-static", "-nostdlib", "-z", "separate-code", "-z", "max-page-size=4096", "-z", "noexecstack"]
    if emulation is not None:
        argv += ["-m", emulation]
    argv += [f"--defsym={sym}={addr:#x}" for sym, addr in markers.items() if sym not in (INTERRUPTED, RETURNED)]
    argv += ["-e", f"{MARKER_BASE:#x}", "-o", str(out), *map(str, objs)]
    run_tool(argv)
    return read_image(out, markers)


def read_image(path: Path, markers: Mapping[str, int]) -> LinkedImage:
    """Load a linked executable's symbols and ``PT_LOAD`` segments."""
    elf = read_elf(path)
    segments = tuple(seg for seg in elf.load_segments() if seg.memsz)
    symbols: dict[str, int] = {}
    for sym in elf.symbols:
        if sym.name and sym.type in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE"):
            symbols.setdefault(sym.name, sym.value)
    return LinkedImage(path, symbols, segments, dict(markers))
