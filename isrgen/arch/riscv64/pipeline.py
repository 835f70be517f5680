"""How the core reaches the riscv64 package: resolve, render, prove, verify.

Imports of the package's stages are deferred to the call, so that loading the ISA
registry for a spec of another ISA costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from isrgen.arch.isa import FrameStruct, LayoutView, PipelineResult
from isrgen.arch.pipeline_text import with_banner

#: comment leader and trailer of each output's first line
_COMMENT = {"gas": ("#", ""), "c": ("/*", " */"), "rust": ("//", ""), "gdb": ("#", "")}


class Riscv64Pipeline:
    """``arch: riscv64``: traps through stvec (or mtvec) with a scratch-register stack protocol."""

    name = "riscv64"
    backends = ("gas", "c", "rust", "gdb")

    def resolve(self, document: Any) -> Any:
        from isrgen.arch.riscv64.resolve import resolve_document

        return resolve_document(document)

    def outputs(self, options: Any) -> tuple[tuple[str, str], ...]:
        return tuple(options.outputs)

    def schema(self) -> dict[str, Any]:
        from isrgen.arch.riscv64.schema import EDITOR_SCHEMA

        return dict(EDITOR_SCHEMA)

    def render(self, options: Any, backend: str, banner: str) -> str:
        from isrgen.arch.riscv64.outputs import render_output

        leader, trailer = _COMMENT[backend]
        return with_banner(render_output(options, backend), leader, trailer, banner)

    def frame_structs(self, options: Any) -> tuple[FrameStruct, ...]:
        frames = [options.frame] + ([options.kernel_entry.frame] if options.kernel_entry is not None else [])
        return tuple(FrameStruct(f.struct, f.size, tuple((s.name, s.offset) for s in f.slots)) for f in frames)

    def prove(self, options: Any, seed: int) -> PipelineResult:
        from isrgen.arch.riscv64.prove import ProofError, prove

        try:
            report = prove(options, seed=seed)
        except ProofError as exc:
            return PipelineResult((), (str(exc),))
        return PipelineResult(tuple(f"trap: {case}" for case in report.cases), ())

    def verify(self, options: Any, kernel: Path) -> PipelineResult:
        from isrgen.arch.riscv64.verify import VerifyError, verify_elf

        try:
            return PipelineResult(verify_elf(options, kernel.read_bytes()), ())
        except VerifyError as exc:
            return PipelineResult((), tuple(str(exc).splitlines()))

    def layout(self, options: Any) -> LayoutView:
        from isrgen.arch.riscv64.layout_view import layout_view

        return layout_view(options)


PIPELINES = (Riscv64Pipeline(),)
