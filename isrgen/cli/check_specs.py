"""``isrgen check-spec FILE...``: validate several specs, each on its own, and keep
every problem of every file (a missing file does not stop the others)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import attrs

from isrgen.cli.diag_format import JSON_FORMAT, check_result_json
from isrgen.diagnostics import Diagnostic, SourceRef, SpecError, UsageError
from isrgen.model.package_spec import PackageSpec
from isrgen.model.spec import Spec


@attrs.frozen
class CheckResult:
    """The outcome of checking one file."""

    file: str
    #: every problem found (a usage problem, such as a missing file, is one without a line)
    diagnostics: tuple[Diagnostic, ...] = ()
    #: the file could not be read at all (missing, a folder, not UTF-8)
    unreadable: bool = False
    #: the valid model, when there are no diagnostics
    spec: Spec | PackageSpec | None = None


def check_file(path: str | os.PathLike[str]) -> CheckResult:
    """Load and validate one spec; never raises for a problem with the spec or the file."""
    name = os.fspath(path)
    try:
        from isrgen import load_spec

        return CheckResult(name, spec=load_spec(path))
    except SpecError as exc:
        return CheckResult(name, exc.diagnostics)
    except UsageError as exc:
        return CheckResult(name, (Diagnostic(SourceRef(name, 0, 0), str(exc).removeprefix(f"{name}: ")),), True)


def check_files(paths: Sequence[str | os.PathLike[str]]) -> list[CheckResult]:
    """:func:`check_file` for each path, in order."""
    return [check_file(p) for p in paths]


def results_json(results: Sequence[CheckResult]) -> dict[str, Any]:
    """All results as JSON-ready data (see :data:`isrgen.cli.diag_format.JSON_FORMAT`)."""
    return {
        "format": JSON_FORMAT,
        "ok": all(not r.diagnostics for r in results),
        "files": [
            check_result_json(r.file, r.diagnostics, len(r.spec.vectors) if isinstance(r.spec, Spec) else None)
            for r in results
        ],
    }
