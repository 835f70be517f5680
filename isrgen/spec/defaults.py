"""Defaults every ISA's spec shares.

Each ISA package keeps the table of its own keys' defaults (x86:
:mod:`isrgen.arch.x86.defaults`); what is the same for all of them is written here.
"""

from __future__ import annotations

#: the symbol prefix every default symbol pattern starts with
DEFAULT_PREFIX = "isr_"

__all__ = ["DEFAULT_PREFIX"]
