"""How the core reaches the aarch64 package: resolve, render, prove, verify.

Imports of the package's stages are deferred to the call, so that loading the ISA
registry for a spec of another ISA costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from isrgen.arch.isa import FrameStruct, LayoutView, PipelineResult
from isrgen.arch.pipeline_text import with_banner

#: comment leader and trailer of each output's first line
_COMMENT = {"gas": ("//", ""), "c": ("/*", " */"), "rust": ("//", ""), "gdb": ("#", "")}


class Aarch64Pipeline:
    """``arch: aarch64``: Armv8-A exceptions taken to EL1 (VBAR_EL1 table, ELR/SPSR/ESR/FAR frame)."""

    name = "aarch64"
    backends = ("gas", "c", "rust", "gdb")

    def resolve(self, document: Any) -> Any:
        from isrgen.arch.aarch64.resolve import resolve_aarch64

        return resolve_aarch64(document.data, document.locations)

    def outputs(self, options: Any) -> tuple[tuple[str, str], ...]:
        return tuple(options.outputs)

    def schema(self) -> dict[str, Any]:
        from isrgen.arch.aarch64.schema import EDITOR_SCHEMA

        return dict(EDITOR_SCHEMA)

    def render(self, options: Any, backend: str, banner: str) -> str:
        from isrgen.arch.aarch64.outputs import RENDERERS

        leader, trailer = _COMMENT[backend]
        return with_banner(RENDERERS[backend](options), leader, trailer, banner)

    def frame_structs(self, options: Any) -> tuple[FrameStruct, ...]:
        from isrgen.arch.aarch64.cview import c_view

        view = c_view(options)
        return (FrameStruct(options.frame.struct_name, view.size, tuple((f.name, f.offset) for f in view.fields)),)

    def prove(self, options: Any, seed: int) -> PipelineResult:
        from isrgen.arch.aarch64.prove import prove

        report = prove(options, seed=seed)
        checked = (f"{report.cases} exception deliveries from EL0 and EL1: frame, call, return, eret",)
        return PipelineResult(checked, tuple(str(f) for f in report.findings))

    def verify(self, options: Any, kernel: Path) -> PipelineResult:
        from isrgen.arch.aarch64.verify import verify_image

        problems = verify_image(kernel, options)
        checked = (
            f"{options.symbols.table}: 2 KiB aligned, 16 slots of 0x80 bytes, executable, branching to their entries",
            "no segment is both writable and executable",
        )
        return PipelineResult(() if problems else checked, tuple(problems))

    def layout(self, options: Any) -> LayoutView:
        from isrgen.arch.aarch64.layout_view import layout_view

        return layout_view(options)


PIPELINES = (Aarch64Pipeline(),)
