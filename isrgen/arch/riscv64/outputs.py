"""Every riscv64 output by backend name (what ``isrgen build`` writes for an ``arch: riscv64`` spec)."""

from __future__ import annotations

from collections.abc import Callable

from ...diagnostics import UsageError
from .c_view import render_c_header
from .codegen import build_program
from .gas import render_gas
from .gdbview import render_gdb_script
from .options import Riscv64Options
from .rust_view import render_rust

_RENDERERS: dict[str, Callable[[Riscv64Options], str]] = {
    "gas": lambda o: render_gas(build_program(o)),
    "c": render_c_header,
    "rust": render_rust,
    "gdb": render_gdb_script,
}


def render_output(options: Riscv64Options, backend: str) -> str:
    """The text of one backend's output; ``UsageError`` for a backend riscv64 does not have."""
    if backend == "nasm":
        raise UsageError("the nasm backend assembles x86 only: for arch riscv64 use gas (GNU as or LLVM) or rust")
    renderer = _RENDERERS.get(backend)
    if renderer is None:
        raise UsageError(f"backend {backend!r} has no riscv64 output (riscv64 has: {', '.join(_RENDERERS)})")
    return renderer(options)


def render_outputs(options: Riscv64Options) -> dict[str, str]:
    """File name -> text for every output the spec's ``outputs`` block names."""
    return {name: render_output(options, backend) for backend, name in options.outputs}
