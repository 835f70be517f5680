"""Architecture facts: what the CPU does on an interrupt, independent of any spec."""

from __future__ import annotations

from isrgen.arch.facts import ArchFacts, ExceptionInfo
from isrgen.arch.x86.facts import I386, X86_64

ARCHES: dict[str, ArchFacts] = {X86_64.name: X86_64, I386.name: I386}


def get_arch(name: str) -> ArchFacts | None:
    """The facts for ``name`` or None when isrgen does not know that architecture."""
    return ARCHES.get(name)


__all__ = ["ARCHES", "ArchFacts", "ExceptionInfo", "get_arch"]
