"""The generation pipeline: model -> backends -> files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import attrs

from .backends import get_backend
from .backends.base import GenerationContext
from .model import Spec
from .output import prepare_output_dir, write_if_changed


@attrs.frozen
class RenderedOutput:
    """One generated file: which backend made it, its file name and its text."""

    backend: str
    filename: str
    content: str


def select_outputs(spec: Spec, backends: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(backend, filename) pairs to generate: the spec's outputs, or the named backends
    (using the spec's file name for a backend it lists, else the backend's default)."""
    if not backends:
        return [(o.backend, o.filename) for o in spec.outputs]
    out: list[tuple[str, str]] = []
    for name in dict.fromkeys(backends):
        backend = get_backend(name)
        listed = spec.output_for(name)
        out.append((name, listed.filename if listed else backend.default_filename))
    return out


def render_outputs(spec: Spec, backends: Sequence[str] | None = None) -> list[RenderedOutput]:
    """Render every selected output in memory, without touching the file system."""
    selected = select_outputs(spec, backends)
    ctx = GenerationContext.from_spec(spec)
    return [RenderedOutput(name, filename, get_backend(name).render(ctx, filename)) for name, filename in selected]


def build(
    spec: Spec,
    out_dir: str | os.PathLike[str],
    backends: Sequence[str] | None = None,
) -> list[Path]:
    """Generate ``spec``'s outputs into ``out_dir``; returns the paths of all outputs.

    Everything is rendered before anything is written, so an error leaves no
    file half-written; a file whose content is unchanged is not touched.
    """
    rendered = render_outputs(spec, backends)
    directory = Path(out_dir)
    prepare_output_dir(directory)
    paths = []
    for r in rendered:
        path = directory / r.filename
        write_if_changed(path, r.content)
        paths.append(path)
    return paths
