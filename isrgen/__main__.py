"""``python -m isrgen``."""

from .cli import main

main(prog_name="isrgen")
