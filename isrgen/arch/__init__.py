"""The ISA layer: architecture facts and everything else that is ISA-specific (see :mod:`.isa`)."""

from __future__ import annotations

from isrgen.arch.facts import ArchFacts, ExceptionInfo
from isrgen.arch.isa import Isa, get_isa, known_isas


def get_arch(name: str) -> ArchFacts | None:
    """The facts for ``name`` or None when isrgen does not know that architecture."""
    isa = get_isa(name)
    return isa.facts if isa is not None else None


__all__ = ["ArchFacts", "ExceptionInfo", "Isa", "get_arch", "get_isa", "known_isas"]
