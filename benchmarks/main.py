"""The benchmark command: measure, print the report, write it (and optionally JSON) to files."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from isrgen.diagnostics import IsrgenError

from . import density, isa_paths, paths, percpu_paths, speed
from .report import Results, as_json, markdown, summary
from .variants import ROOT, select

DEFAULT_OUT = ROOT / "benchmarks" / "results.md"
README = ROOT / "README.md"
#: the README block ``--readme`` replaces
BEGIN = "<!-- benchmarks:begin (python3 benchmarks/run.py --readme) -->"
END = "<!-- benchmarks:end -->"


class ReadmeError(Exception):
    """The README has no (or a malformed) benchmark block."""


def replace_block(text: str, table: str) -> str:
    """``text`` with the part between the benchmark markers replaced by ``table``."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ReadmeError(f"no '{BEGIN}' ... '{END}' block")
    return text[: start + len(BEGIN)] + "\n" + table + text[end:]


def measure(quick: bool) -> Results:
    """Run every benchmark (``quick``: fewer variants and repetitions, for the smoke test)."""
    chosen = select(quick)
    with tempfile.TemporaryDirectory(prefix="isrgen-bench-") as tmp:
        work = Path(tmp)
        sizes = (*(density.measure_variant(v, work / "density") for v in chosen), density.measure_baseline(work))
        counts = (*(paths.measure_variant(v, work / "paths") for v in chosen), paths.measure_baseline(work))
        percpu = percpu_paths.measure(work / "percpu")
    timing = speed.measure(runs=3, warm_runs=5) if quick else speed.measure(runs=9, warm_runs=21)
    return Results(quick, sizes, counts, timing, isa_paths.measure(), percpu)


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 benchmarks/run.py [--quick] [--out FILE] [--json FILE]``."""
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer variants and runs (seconds; for the smoke test)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"Markdown report (default: {DEFAULT_OUT})")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure as JSON")
    parser.add_argument("--readme", action="store_true", help=f"also update the summary tables in {README.name}")
    args = parser.parse_args(argv)
    try:
        results = measure(args.quick)
    except (IsrgenError, ValueError) as exc:  # ValueError: the default spec changed shape (see variants.py)
        print(f"benchmarks: error: {exc}", file=sys.stderr)
        return 1
    text = markdown(results)
    sys.stdout.write(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    if args.readme:
        try:
            README.write_text(replace_block(README.read_text(encoding="utf-8"), summary(results)), encoding="utf-8")
        except ReadmeError as exc:
            print(f"benchmarks: error: {README}: {exc}", file=sys.stderr)
            return 1
    if args.json is not None:
        args.json.write_text(json.dumps(as_json(results), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0
