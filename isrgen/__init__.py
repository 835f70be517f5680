"""isrgen: declarative, generated and proven interrupt glue for kernels.

Typical use::

    import isrgen
    spec = isrgen.load_spec("specs/x86_64.yaml")
    paths = isrgen.build(spec, "out/")
"""

import os

from isrgen._version import __version__
from isrgen.diagnostics import Diagnostic, IsrgenError, SourceRef, SpecError, UsageError
from isrgen.model.layout import Field, FieldKind, FrameLayout, compute_layout
from isrgen.model.package_spec import PackageSpec
from isrgen.model.spec import Spec
from isrgen.output.build import build, render_outputs
from isrgen.spec import loader as _loader


def load_spec(path: str | os.PathLike[str]) -> Spec | PackageSpec:
    """Load, validate and resolve the spec at ``path`` (the backends its outputs name included).

    Raises :class:`SpecError` listing every problem (each with file:line:col),
    or :class:`UsageError` when the file cannot be read.
    """
    from isrgen.backends import CATALOGUE

    return _loader.load_spec(path, backends=CATALOGUE)


def loads_spec(text: str, filename: str = "<string>") -> Spec | PackageSpec:
    """Like :func:`load_spec` for a spec given as text; ``filename`` names it in messages."""
    from isrgen.backends import CATALOGUE

    return _loader.loads_spec(text, filename, backends=CATALOGUE)


__all__ = [
    "Diagnostic",
    "Field",
    "FieldKind",
    "FrameLayout",
    "IsrgenError",
    "PackageSpec",
    "SourceRef",
    "Spec",
    "SpecError",
    "UsageError",
    "__version__",
    "build",
    "compute_layout",
    "load_spec",
    "loads_spec",
    "render_outputs",
]
