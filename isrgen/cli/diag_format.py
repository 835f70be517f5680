"""Diagnostics in the formats tools read: gcc (the default, with the source line and a
caret), msvc, GitHub Actions workflow commands, and JSON.

JSON (``"format": "isrgen-diagnostics/1"``) is a stable interface: see README.md.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from isrgen.diagnostics import Diagnostic, render

#: the ``format`` value of ``check-spec --format json``; bumped only for incompatible changes
JSON_FORMAT = "isrgen-diagnostics/1"


class ErrorFormat(enum.StrEnum):
    """How a diagnostic is printed."""

    #: ``file:line:col: error: message``, then the source line and a caret
    GCC = "gcc"
    #: ``file(line,col): error: message`` (Visual Studio, MSBuild problem matchers)
    MSVC = "msvc"
    #: ``::error file=...,line=...,col=...::message`` (a GitHub Actions annotation)
    GITHUB = "github"


def github_data(text: str) -> str:
    """``text`` escaped as the message of a workflow command."""
    # workflow command escaping (GitHub docs, "Workflow commands for GitHub Actions")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def _message(diag: Diagnostic) -> str:
    return f"{diag.path}: {diag.message}" if diag.path else diag.message


def format_diagnostic(diag: Diagnostic, fmt: ErrorFormat, source_text: str | None, *, color: bool = False) -> str:
    """One diagnostic as ``fmt`` prints it (colour only applies to ``gcc``)."""
    if fmt is ErrorFormat.GCC:
        return render(diag, source_text, color=color)
    src = diag.source
    if fmt is ErrorFormat.MSVC:
        where = f"{src.file}({src.line},{src.col})" if src.line > 0 else src.file
        return f"{where}: {diag.severity}: {_message(diag)}"
    props = [f"file={_github_property(src.file)}"]
    if src.line > 0:
        props += [f"line={src.line}", f"col={src.col}"]
    props.append("title=isrgen")
    return f"::{diag.severity} {','.join(props)}::{github_data(_message(diag))}"


def diagnostic_json(diag: Diagnostic) -> dict[str, Any]:
    """One diagnostic as JSON-ready data (line and column are 0 when unknown)."""
    return {
        "file": diag.source.file,
        "line": diag.source.line,
        "column": diag.source.col,
        "severity": diag.severity,
        "path": diag.path,
        "message": diag.message,
    }


def check_result_json(file: str, diagnostics: Sequence[Diagnostic], vectors: int | None) -> dict[str, Any]:
    """One checked file: ``ok`` exactly when it has no diagnostics."""
    return {
        "file": file,
        "ok": not diagnostics,
        "vectors": vectors,
        "diagnostics": [diagnostic_json(d) for d in diagnostics],
    }
