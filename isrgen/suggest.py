""" "Did you mean" hints for misspelt keys, enum values and names (difflib is enough)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``word``, if one is close enough to be a likely typo."""
    options = [c for c in choices if c != word]
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not matches:
        # a different case is a typo too (RAX for rax)
        folded = [c for c in options if c.lower() == word.lower()]
        return folded[0] if folded else None
    return matches[0]


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """``"; did you mean 'x'?"`` for a string close to one of ``choices``, else ``""``."""
    if not isinstance(word, str):
        return ""
    match = closest(word, [str(c) for c in choices])
    return f"; did you mean {match!r}?" if match else ""
