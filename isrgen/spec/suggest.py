""" "Did you mean" hints for misspelt keys, enum values and names (difflib is enough)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any


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


def _range_of(entry: Mapping[str, Any]) -> tuple[int, int] | None:
    bounds = entry.get("range")
    if isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, int) for b in bounds):
        return bounds[0], bounds[1]
    return None


def split_hint(number: int, first: Mapping[str, Any], second: Mapping[str, Any]) -> str:
    """For a single-vector entry that repeats a vector of a range entry (either way
    round): ``"; to give vector 2 its own entry, split the range: [0, 1] and [3, 7]"``."""
    pair = [_range_of(first), _range_of(second)]
    if (pair[0] is None) == (pair[1] is None):
        return ""  # two ranges, or two single vectors: nothing to split
    lo, hi = next(b for b in pair if b is not None)
    pieces = [
        f"[{a}, {b}]" if a != b else f"[{a}, {a}] (or vector: {a})"
        for a, b in ((lo, number - 1), (number + 1, hi))
        if a <= b
    ]
    if not pieces:
        return f"; the range [{lo}, {hi}] is vector {number} alone: drop one of the two entries"
    return f"; to give vector {number} its own entry, split the range: {' and '.join(pieces)}"
