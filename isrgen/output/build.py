"""The generation pipeline: model -> backends -> files.

A build is planned first (every output rendered in memory, with the path it
goes to), then either written (only files whose content changed), compared
with what is on disk (``--check``), or just listed (``--list-outputs``).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path

import attrs

from isrgen.backends import builtin_backend, discover, get_backend, unsupported_reason
from isrgen.backends.base import GenerationContext, banner
from isrgen.diagnostics import IsrgenError, SourceRef, SpecError, UsageError
from isrgen.model.package_spec import PackageSpec
from isrgen.model.spec import Spec
from isrgen.output.declarations import name_clashes
from isrgen.output.fileguard import MAX_OUTPUT_BYTES, check_destination, holds
from isrgen.output.files import prepare_output_dir, write_if_changed
from isrgen.spec.regular_file import read_regular_file

#: ``source_file`` of a spec that was not read from a file
_NO_FILE = "<memory>"


@attrs.frozen
class RenderedOutput:
    """One generated file: which backend made it, its file name and its text."""

    backend: str
    filename: str
    content: str


@attrs.frozen
class PlannedOutput:
    """A rendered output and the path a build writes it to."""

    backend: str
    path: Path
    content: str


@attrs.frozen
class StaleOutput:
    """An output whose file on disk differs from what the spec generates."""

    path: Path
    #: unified diff from the file on disk (or /dev/null when missing) to the generated text
    diff: str


def select_outputs(spec: Spec | PackageSpec, backends: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(backend, filename) pairs to generate: the spec's outputs, or the named backends
    (using the spec's file name for a backend it lists, else the backend's default)."""
    if not backends:
        return [(o.backend, o.filename) for o in spec.outputs]
    out: list[tuple[str, str]] = []
    for name in dict.fromkeys(backends):
        backend = get_backend(name)
        listed = [o.filename for o in spec.outputs if o.backend == name]
        out += [(name, filename) for filename in listed or [backend.default_filename]]
    return out


def render_outputs(spec: Spec | PackageSpec, backends: Sequence[str] | None = None) -> list[RenderedOutput]:
    """Render every selected output in memory, without touching the file system."""
    selected = select_outputs(spec, backends)
    seen: dict[str, str] = {}
    for name, filename in selected:
        if filename in seen:
            raise UsageError(f"backends {seen[filename]!r} and {name!r} would both write {filename!r}")
        seen[filename] = name
    if isinstance(spec, PackageSpec):
        return _render_package(spec, selected)
    for name, _ in selected:
        reason = unsupported_reason(name, get_backend(name), spec.isa)
        if reason is not None:
            raise UsageError(reason)
    ctx = GenerationContext.from_spec(spec)
    rendered = [RenderedOutput(name, filename, _render(name, ctx, filename)) for name, filename in selected]
    texts = [(r.backend, r.filename, r.content) for r in rendered]
    clashes = name_clashes(spec.chosen_names, texts, SourceRef(spec.source_file, 1, 1))
    if clashes:
        raise SpecError(clashes)
    return rendered


def _render_package(spec: PackageSpec, selected: list[tuple[str, str]]) -> list[RenderedOutput]:
    pipeline = spec.pipeline
    for name, _ in selected:
        if name not in pipeline.backends:
            raise UsageError(
                f"backend {name!r} does not generate for {spec.arch_name} (only {', '.join(pipeline.backends)})"
            )
    notice = banner(spec.source_file, spec.source_sha256)
    return [RenderedOutput(name, filename, pipeline.render(spec.options, name, notice)) for name, filename in selected]


def _render(name: str, ctx: GenerationContext, filename: str) -> str:
    builtin = builtin_backend(name)
    if builtin is not None:
        return builtin.render(ctx, filename)
    info = discover()[name]
    try:
        text = info.backend.render(ctx, filename)
    except IsrgenError:
        raise
    except Exception as exc:  # a third-party backend's bug: name it, no traceback
        raise UsageError(f"backend plugin {name!r} from {info.origin} failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(text, str):
        raise UsageError(f"backend plugin {name!r} from {info.origin} returned {type(text).__name__}, not text")
    return text


def plan_outputs(
    spec: Spec | PackageSpec, out_dir: str | os.PathLike[str], backends: Sequence[str] | None = None
) -> list[PlannedOutput]:
    """Every output of a build into ``out_dir``, rendered, in output order; writes nothing."""
    directory = Path(out_dir)
    return [PlannedOutput(r.backend, directory / r.filename, r.content) for r in render_outputs(spec, backends)]


def input_files(spec: Spec | PackageSpec) -> list[str]:
    """Every file the loader read to make ``spec`` (today: the spec file itself)."""
    return [] if spec.source_file == _NO_FILE else [spec.source_file]


def outputs_current(planned: Sequence[PlannedOutput]) -> bool:
    """Whether every planned output's file already holds exactly its content."""
    for p in planned:
        try:
            if not holds(p.path, p.content.encode("utf-8", "surrogateescape"), "generated file"):
                return False
        except UsageError:
            return False
    return True


def stale_outputs(planned: Sequence[PlannedOutput]) -> list[StaleOutput]:
    """The planned outputs whose files are missing or differ, each with a unified diff."""
    stale: list[StaleOutput] = []
    for p in planned:
        try:
            old: str | None = read_regular_file(p.path, "generated file", MAX_OUTPUT_BYTES).decode(
                "utf-8", errors="replace"
            )
        except UsageError:
            if p.path.exists() or p.path.is_symlink():
                raise
            old = None
        if old == p.content:
            continue
        diff = difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            p.content.splitlines(keepends=True),
            fromfile=str(p.path) if old is not None else "/dev/null",
            tofile=f"{p.path} (generated)",
        )
        stale.append(StaleOutput(p.path, "".join(line if line.endswith("\n") else line + "\n" for line in diff)))
    return stale


def write_outputs(planned: Sequence[PlannedOutput]) -> list[Path]:
    """Write the planned outputs, creating folders as needed; returns the paths actually
    written (a file whose content is unchanged keeps its mtime and is not listed).

    Every destination is checked first (:func:`~isrgen.output.fileguard.check_destination`),
    so a build that cannot write one of its files writes none of them."""
    for p in planned:
        check_destination(p.path, p.content.encode("utf-8", "surrogateescape"), f"{p.backend} output")
    for folder in dict.fromkeys(p.path.parent for p in planned):
        prepare_output_dir(folder)
    return [p.path for p in planned if write_if_changed(p.path, p.content)]


def build(
    spec: Spec | PackageSpec,
    out_dir: str | os.PathLike[str],
    backends: Sequence[str] | None = None,
) -> list[Path]:
    """Generate ``spec``'s outputs into ``out_dir``; returns the paths of all outputs.

    Everything is rendered before anything is written, so an error leaves no
    file half-written; a file whose content is unchanged is not touched.
    """
    planned = plan_outputs(spec, out_dir, backends)
    prepare_output_dir(Path(out_dir))
    write_outputs(planned)
    return [p.path for p in planned]
