"""JSON forms of what ``verify``, ``prove`` and ``backends`` report (``--format json``).

Each document has a ``format`` key naming its schema and version; keys are only
added within a version.  The reports are duck-typed here so that this module
needs none of the optional dependencies of :mod:`isrgen.verify` and :mod:`isrgen.prove`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from isrgen.backends import BackendInfo
    from isrgen.proof.prove import ProofReport
    from isrgen.proof.verify import VerifyReport

VERIFY_FORMAT = "isrgen-verify/1"
PROVE_FORMAT = "isrgen-prove/1"
BACKENDS_FORMAT = "isrgen-backends/1"


def verify_json(report: VerifyReport) -> dict[str, Any]:
    """``isrgen verify --format json``: every finding, located, and what was checked."""
    return {
        "format": VERIFY_FORMAT,
        "kernel": report.kernel,
        "ok": report.ok,
        "findings": [
            {
                "check": f.check,
                "message": f.message,
                "symbol": f.symbol,
                "address": f.address,
                "section": f.section,
                "segment": f.segment,
                "description": f.describe(),
            }
            for f in report.findings
        ],
        "checked": list(report.checked),
    }


def prove_json(report: ProofReport) -> dict[str, Any]:
    """``isrgen prove --format json``: one row per property, and every mismatch."""
    return {
        "format": PROVE_FORMAT,
        "spec": report.spec_file,
        "backends": list(report.backends),
        "ok": report.ok,
        "properties": [{"name": r.name, "outcome": r.outcome, "detail": r.detail} for r in report.rows],
        "failures": list(report.failures),
    }


def backends_json(found: Mapping[str, BackendInfo]) -> dict[str, Any]:
    """``isrgen backends --format json``: every backend, its file and its origin."""
    return {
        "format": BACKENDS_FORMAT,
        "backends": [
            {
                "name": name,
                "description": info.backend.description,
                "default_filename": info.backend.default_filename,
                "origin": info.origin,
            }
            for name, info in found.items()
        ],
    }
