"""isrgen: declarative, generated and proven interrupt glue for kernels.

Typical use::

    import isrgen
    spec = isrgen.load_spec("specs/x86_64.yaml")
    paths = isrgen.build(spec, "out/")
"""

from isrgen._version import __version__
from isrgen.diagnostics import Diagnostic, IsrgenError, SourceRef, SpecError, UsageError
from isrgen.model.layout import Field, FieldKind, FrameLayout, compute_layout
from isrgen.model.spec import Spec
from isrgen.output.build import build, render_outputs
from isrgen.spec.loader import load_spec, loads_spec

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
