"""``python -m isrgen.arch.aarch64 SPEC -o DIR``: write an aarch64 spec's outputs.

A stand-alone entry until ``isrgen build`` dispatches on ``arch``; problems are
printed as ``file:line:col: error: ...`` and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...diagnostics import IsrgenError, SpecError, render
from .outputs import render_outputs
from .resolve import load_aarch64_spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m isrgen.arch.aarch64", description=__doc__)
    parser.add_argument("spec", type=Path)
    parser.add_argument("-o", "--out", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    try:
        text = args.spec.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot read {args.spec}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        files = render_outputs(load_aarch64_spec(text, str(args.spec)))
    except SpecError as exc:
        for diag in exc.diagnostics:
            print(render(diag, text), file=sys.stderr)
        return 1
    except IsrgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = args.out / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
