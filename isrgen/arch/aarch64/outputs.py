"""Every output file of an aarch64 spec, rendered in memory."""

from __future__ import annotations

from .codegen import build_program
from .cview import render_c_header
from .diagnostics_text import unsupported_backend
from .gdbview import render_gdb_script
from .options import Aarch64Spec
from .rustview import render_rust_module
from .syntax import render_gas

#: backends this package renders, by the name the spec's ``outputs`` uses
RENDERERS = {
    "gas": lambda spec: render_gas(build_program(spec)),
    "c": render_c_header,
    "rust": render_rust_module,
    "gdb": render_gdb_script,
}


def render_outputs(spec: Aarch64Spec) -> dict[str, str]:
    """File name -> content for each entry of ``spec.outputs``; UsageError for a backend aarch64 lacks."""
    out: dict[str, str] = {}
    for backend, filename in spec.outputs:
        if backend not in RENDERERS:
            raise unsupported_backend(backend, tuple(RENDERERS))
        out[filename] = RENDERERS[backend](spec)
    return out
