"""How model names are spelled in generated code (shared by the resolver, which checks
them for clashes, and the generators, which print them)."""

from __future__ import annotations

import re


def macro_spelling(text: str) -> str:
    """How a name is spelled inside a generated C constant (upper case, '_' for others)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text).upper()


__all__ = ["macro_spelling"]
