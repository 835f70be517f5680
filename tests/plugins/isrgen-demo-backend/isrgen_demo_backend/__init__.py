"""A third-party isrgen backend: one CSV row per vector.

It uses only isrgen's public backend interface: a class with ``name``,
``description``, ``default_filename`` and ``render(ctx, filename)``.
"""

from __future__ import annotations

import csv
import io
from typing import Any, ClassVar

COLUMNS = ("vector", "name", "class", "error_code", "ist", "gate", "dpl", "stub", "handler")


class VectorCsvBackend:
    """The spec's vectors as CSV, for spreadsheets and scripts."""

    name: ClassVar[str] = "vector-csv"
    description: ClassVar[str] = "vector table as CSV (demo plugin)"
    default_filename: ClassVar[str] = "vectors.csv"

    def render(self, ctx: Any, filename: str) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(COLUMNS)
        for v in ctx.spec.vectors:
            writer.writerow(
                (
                    v.number,
                    v.name,
                    v.vector_class.value,
                    int(v.error_code),
                    v.ist or 0,
                    v.gate.value,
                    v.dpl,
                    v.stub_symbol,
                    v.handler,
                )
            )
        return buf.getvalue()
