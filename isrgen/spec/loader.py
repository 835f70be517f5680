"""Spec file -> validated spec model.

Three passes, each collecting every problem it finds: YAML parsing (with
locations and duplicate keys), the JSON Schema, and the ISA's semantic pass
(:meth:`isrgen.arch.isa.Isa.resolve_spec`).
Subtrees that failed the schema are skipped by the semantic pass, so one mistake
is not reported twice.  All problems are raised together as one SpecError.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path as FsPath

from isrgen.arch import get_isa
from isrgen.arch.isa import SpecPipeline, get_pipeline, known_isas
from isrgen.diagnostics import Diagnostic, SourceRef, SpecError, UsageError
from isrgen.model.package_spec import PackageSpec
from isrgen.model.spec import Output, Spec
from isrgen.spec.regular_file import MAX_SPEC_BYTES, read_regular_file
from isrgen.spec.resolve.base import BackendCatalogue, ResolveInput
from isrgen.spec.schema_check import check_schema
from isrgen.spec.yamlsource import Document, parse_yaml_collecting


def read_spec_text(path: str | os.PathLike[str]) -> str:
    """Read a spec file (a regular file of at most MAX_SPEC_BYTES), turning OS errors into
    one-line :class:`UsageError`s."""
    p = FsPath(path)
    data = read_regular_file(p, "spec file", MAX_SPEC_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def load_spec(path: str | os.PathLike[str], *, backends: BackendCatalogue | None = None) -> Spec | PackageSpec:
    """Load, validate and resolve the spec at ``path``; with ``backends``, the backends the
    spec's outputs name are checked too.

    Raises :class:`SpecError` listing every problem (each with file:line:col),
    or :class:`UsageError` when the file cannot be read.
    """
    text = read_spec_text(path)
    return loads_spec(text, os.fspath(path), backends=backends)


def loads_spec(
    text: str, filename: str = "<string>", *, backends: BackendCatalogue | None = None
) -> Spec | PackageSpec:
    """Like :func:`load_spec` for a spec given as text; ``filename`` names it in messages.

    An ``arch`` whose ISA package owns its spec model (:class:`~isrgen.arch.isa.SpecPipeline`)
    is resolved by that package into a :class:`~isrgen.model.package_spec.PackageSpec`.
    """
    doc, yaml_diags = parse_yaml_collecting(text, filename)
    arch = doc.data.get("arch") if isinstance(doc.data, dict) else None
    pipeline = get_pipeline(arch) if isinstance(arch, str) else None
    if pipeline is not None:
        if yaml_diags:
            raise SpecError(yaml_diags)
        return _package_spec(pipeline, doc, filename, text)
    if isinstance(arch, str) and arch not in known_isas():
        # what the other keys must say depends on the ISA: nothing else can be checked
        message = f"unknown architecture {arch!r} (isrgen knows: {', '.join(known_isas())})"
        raise SpecError([*yaml_diags, doc.locations.error(("arch",), message)])
    # a value the YAML pass refused is None from here on: only its own error is reported
    yaml_bad = {_path_of(d) for d in yaml_diags}
    diags = yaml_diags + [d for d in check_schema(doc.data, doc.locations) if not _under(d.path, yaml_bad)]
    bad = {_path_of(d) for d in diags}
    isa = get_isa(arch) if isinstance(arch, str) else None
    spec: Spec | None = None
    if isa is not None:  # (no arch, or not a string: the schema has said so)
        sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        spec, found = isa.resolve_spec(ResolveInput(doc, frozenset(bad), backends, filename, sha256))
        diags.extend(found)
    if diags or spec is None:
        raise SpecError(diags or [Diagnostic(SourceRef(filename, 1, 1), "invalid spec")])
    return spec


def describe_spec(spec: Spec | PackageSpec) -> str:
    """A few words on what a valid spec defines (``check-spec``'s verdict)."""
    if isinstance(spec, PackageSpec):
        return f"arch {spec.arch_name}, {len(spec.outputs)} outputs"
    return f"{len(spec.vectors)} vectors"


def _package_spec(pipeline: SpecPipeline, doc: Document, filename: str, text: str) -> PackageSpec:
    options = pipeline.resolve(doc)
    outputs = tuple(Output(backend, name) for backend, name in pipeline.outputs(options))
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return PackageSpec(pipeline.name, options, outputs, filename, sha256)


def _path_of(d: Diagnostic) -> str:
    return d.path


def _under(path: str, roots: set[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or lies below one."""
    return any(path == r or path.startswith((r + ".", r + "[")) for r in roots)


__all__ = ["BackendCatalogue", "describe_spec", "load_spec", "loads_spec", "read_spec_text"]
