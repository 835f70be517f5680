"""``python -m isrgen``."""

from isrgen.cli import run

run()
