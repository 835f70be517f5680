"""isrgen: declarative, generated and proven interrupt glue for kernels.

Typical use::

    import isrgen
    spec = isrgen.load_spec("specs/x86_64.yaml")
    paths = isrgen.build(spec, "out/")
"""

from ._version import __version__
from .build import build, render_outputs
from .diagnostics import Diagnostic, IsrgenError, SourceRef, SpecError, UsageError
from .layout import Field, FieldKind, FrameLayout, compute_layout
from .loader import load_spec, loads_spec
from .model import Spec

__all__ = [
    "Diagnostic",
    "Field",
    "FieldKind",
    "FrameLayout",
    "IsrgenError",
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
