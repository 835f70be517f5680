"""Rendering isrgen's Mako templates.

Mako is imported here and nowhere else, without two optional extras that a
code generator never uses but that would otherwise dominate a cold
``isrgen build`` (issue #10, measured with ``python -X importtime``):

- ``mako.exceptions`` imports pygments (~20 ms) to colour the HTML error pages
  of web applications; without it Mako uses its plain fallback.
- ``mako.compat`` imports ``importlib.metadata`` (~15 ms, it pulls in the email
  package) to look up Mako plugins by entry point, which isrgen's templates do
  not use.  The module is installed lazily: it is really imported the first
  time anything uses it (isrgen's own plugin discovery included).

Both only apply when the module is not imported yet, and neither changes what
the templates produce.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mako.lookup import TemplateLookup

_PYGMENTS_PLUGIN = "mako.ext.pygmentplugin"
_METADATA = "importlib.metadata"


def _install_lazy_metadata() -> None:
    if _METADATA in sys.modules:
        return
    spec = importlib.util.find_spec(_METADATA)
    if spec is None or spec.loader is None:  # pragma: no cover - part of the standard library
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[_METADATA] = module
    loader.exec_module(module)
    importlib.metadata = module


def _import_mako() -> None:
    if "mako.exceptions" not in sys.modules and _PYGMENTS_PLUGIN not in sys.modules:
        _install_lazy_metadata()
        # A None entry makes the import fail with ImportError, which mako.exceptions
        # answers with its plain fallback; the entry is removed again at once.
        sys.modules[_PYGMENTS_PLUGIN] = None  # type: ignore[assignment]
        try:
            import mako.exceptions  # noqa: F401
        finally:
            del sys.modules[_PYGMENTS_PLUGIN]


@functools.cache
def _lookup() -> TemplateLookup:
    _import_mako()
    from mako.lookup import TemplateLookup

    root = resources.files("isrgen.backends").joinpath("templates")
    return TemplateLookup(directories=[str(root)], strict_undefined=True, input_encoding="utf-8")


def render_template(name: str, **values: Any) -> str:
    """Render one of isrgen's Mako templates; output always ends with one newline."""
    text = str(_lookup().get_template(name).render(**values))
    return text.rstrip("\n") + "\n"
