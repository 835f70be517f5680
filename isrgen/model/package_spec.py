"""A spec whose ISA package owns its model (see :class:`isrgen.arch.isa.SpecPipeline`)."""

from __future__ import annotations

from typing import Any

import attrs

from isrgen.arch.isa import SpecPipeline, get_pipeline
from isrgen.model.spec import Output


@attrs.frozen
class PackageSpec:
    """What the core keeps of such a spec: its ISA, its outputs and where it came from;
    ``options`` is the ISA package's own frozen model of everything else."""

    arch_name: str
    options: Any
    outputs: tuple[Output, ...]
    source_file: str = attrs.field(default="<memory>", eq=False)
    source_sha256: str = attrs.field(default="", eq=False)

    @property
    def pipeline(self) -> SpecPipeline:
        """The ISA package that resolved this spec and renders its outputs."""
        pipeline = get_pipeline(self.arch_name)
        if pipeline is None:  # pragma: no cover - the loader made this spec through it
            raise LookupError(self.arch_name)
        return pipeline

    def output_for(self, backend: str) -> Output | None:
        """The spec's output entry for ``backend``."""
        return next((o for o in self.outputs if o.backend == backend), None)
