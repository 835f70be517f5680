"""``python -m isrgen``."""

from .cli import run

run()
