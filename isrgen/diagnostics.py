"""Source references and diagnostics.

Every model node keeps a :class:`SourceRef` to the place in the spec it came
from.  Problems are collected as :class:`Diagnostic` objects and raised
together, once, as a :class:`SpecError`; the CLI prints them as
``file:line:col: error: message`` followed by the source line and a caret.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import attrs


@attrs.frozen(order=True)
class SourceRef:
    """A 1-based line and column in a named file."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


UNKNOWN_SOURCE = SourceRef("<unknown>", 0, 0)


@attrs.frozen
class Diagnostic:
    """One problem, with the place it was found and a JSON-path-like locator."""

    source: SourceRef
    message: str
    path: str = ""
    severity: str = "error"

    def headline(self) -> str:
        """``file:line:col: error: $.path: message`` (the path only when known)."""
        where = f"{self.path}: " if self.path else ""
        if self.source.line <= 0:
            return f"{self.source.file}: {self.severity}: {where}{self.message}"
        return f"{self.source}: {self.severity}: {where}{self.message}"


class IsrgenError(Exception):
    """Base class of every error isrgen reports to a user (never a bug)."""


class SpecError(IsrgenError):
    """A spec has one or more problems; :attr:`diagnostics` lists all of them."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted_diagnostics(diagnostics))
        first = self.diagnostics[0].headline() if self.diagnostics else "invalid spec"
        more = len(self.diagnostics) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))


class UsageError(IsrgenError):
    """A problem with how isrgen was invoked (missing file, bad folder, unknown backend)."""


def sorted_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Order by position in the file and drop exact duplicates."""
    seen: set[tuple[SourceRef, str, str]] = set()
    out: list[Diagnostic] = []
    for d in sorted(diags, key=lambda d: (d.source, d.path, d.message)):
        key = (d.source, d.path, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


#: the widest part of a source line a diagnostic echoes (a window around the column)
MAX_ECHOED_COLUMNS = 160


@functools.lru_cache(maxsize=4)
def _lines(source_text: str) -> list[str]:
    # one split per text, not per diagnostic: a spec with many errors stays linear
    return source_text.splitlines()


def _window(src: str, col: int) -> tuple[str, int]:
    """At most MAX_ECHOED_COLUMNS characters of ``src`` around 1-based ``col``, and the
    caret's 0-based offset in them."""
    at = max(col, 1) - 1
    if len(src) <= MAX_ECHOED_COLUMNS:
        return src, at
    start = max(0, min(at - MAX_ECHOED_COLUMNS // 2, len(src) - MAX_ECHOED_COLUMNS))
    end = start + MAX_ECHOED_COLUMNS
    head = "..." if start > 0 else ""
    tail = "..." if end < len(src) else ""
    return head + src[start:end] + tail, at - start + len(head)


def render(diag: Diagnostic, source_text: str | None, *, color: bool = False) -> str:
    """Render a diagnostic with the offending line (a window of it when long) and a caret
    under the column."""
    head = diag.headline()
    if color:
        head = head.replace(f" {diag.severity}: ", f" \x1b[1;31m{diag.severity}:\x1b[0m ", 1)
    lines = [head]
    if source_text is not None and diag.source.line > 0:
        text_lines = _lines(source_text)
        if diag.source.line <= len(text_lines):
            line = text_lines[diag.source.line - 1].rstrip("\n")
            src, at = _window(line.expandtabs(1), diag.source.col)
            lines.append(f"    {src}")
            lines.append(f"    {' ' * at}^")
    return "\n".join(lines)
