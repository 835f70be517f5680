"""x86 memory operands beyond the IR's ``[base + disp]``: a scaled index and a
RIP-relative data symbol.  They are :class:`~isrgen.codegen.ir.Mem` subclasses, so
everything that walks the IR treats them as memory operands; only the x86 dialects
(:mod:`isrgen.arch.x86.syntax`) spell them."""

from __future__ import annotations

import attrs

from isrgen.codegen.ir import Mem


@attrs.frozen
class IndexedMem(Mem):
    """``[base + index*scale + disp]`` (SDM Vol. 2A 2.1.5, SIB addressing)."""

    index: str = ""
    scale: int = 1


@attrs.frozen
class SymbolMem(Mem):
    """``[rip + symbol]``: a data symbol addressed relative to RIP (SDM Vol. 2A 2.2.1.6),
    which links at any address (no absolute relocation in the glue)."""

    symbol: str = ""
