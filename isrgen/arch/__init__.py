"""Architecture facts: what the CPU does on an interrupt, independent of any spec."""

from __future__ import annotations

from .base import ArchFacts, ExceptionInfo
from .i386 import I386
from .x86_64 import X86_64

ARCHES: dict[str, ArchFacts] = {X86_64.name: X86_64, I386.name: I386}


def get_arch(name: str) -> ArchFacts | None:
    """The facts for ``name`` or None when isrgen does not know that architecture."""
    return ARCHES.get(name)


__all__ = ["ARCHES", "ArchFacts", "ExceptionInfo", "get_arch"]
