#!/usr/bin/env python3
"""Run isrgen's benchmarks: ``python3 benchmarks/run.py [--quick] [--out FILE] [--json FILE]``.

Prints the report and writes it to ``benchmarks/results.md`` (or ``--out``).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.main import main

if __name__ == "__main__":
    raise SystemExit(main())
