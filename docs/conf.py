"""Sphinx configuration of the isrgen documentation (build: python -m sphinx -W -b html docs docs/_build)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

from isrgen import __version__  # noqa: E402

project = "isrgen"
author = "The isrgen authors"
copyright = "The isrgen authors (MIT License)"
release = version = __version__
extensions = ["sphinx.ext.autodoc", "isrgen_docs"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
nitpicky = False
