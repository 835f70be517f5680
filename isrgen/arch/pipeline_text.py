"""Helpers the ISA packages' pipelines share (see :class:`isrgen.arch.isa.SpecPipeline`)."""

from __future__ import annotations


def with_banner(text: str, leader: str, trailer: str, banner: str) -> str:
    """``text`` whose first line (the package's own notice) is replaced by ``banner`` as a
    comment: ``leader banner trailer``, so every output names the spec and its sha256."""
    _, _, rest = text.partition("\n")
    return f"{leader} {banner}{trailer}\n{rest}"
