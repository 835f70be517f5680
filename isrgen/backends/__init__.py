"""Backend discovery.

Built-in backends are always available; others are discovered through the
``isrgen.backends`` entry-point group.  A name claimed twice, or an entry point
that does not load or does not look like a backend, is an error that names it.
Entry points are only scanned when a name is not built in, or when every
backend is listed: a build with built-in backends starts faster for it.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING

import attrs

from isrgen.backends.base import Backend, GenerationContext, render_template
from isrgen.diagnostics import UsageError
from isrgen.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from isrgen.arch.isa import Isa

ENTRY_POINT_GROUP = "isrgen.backends"


@attrs.frozen
class BackendInfo:
    """A discovered backend and where it came from."""

    name: str
    backend: Backend
    origin: str


#: isrgen's own backends, in listing order: name -> ``module:Class``, exactly as the
#: ``isrgen.backends`` entry points in pyproject.toml say (tests/test_backend_registry.py
#: proves the two equal).  The table is read here rather than from the installed
#: metadata so that a source tree on PYTHONPATH, with no metadata, has the same
#: backends; a build imports only the backends it runs.
BUILTIN_ENTRY_POINTS: dict[str, str] = {
    "gas": "isrgen.backends.gas:GasBackend",
    "c": "isrgen.backends.c_header:CHeaderBackend",
    "nasm": "isrgen.backends.nasm:NasmBackend",
    "rust": "isrgen.backends.rust:RustBackend",
    "gdb": "isrgen.backends.gdb:GdbBackend",
}


def builtin_names() -> tuple[str, ...]:
    """Names of isrgen's own backends (nothing is imported)."""
    return tuple(BUILTIN_ENTRY_POINTS)


@functools.cache
def builtin_backend(name: str) -> Backend | None:
    """isrgen's own backend called ``name``, or None when no built-in has that name."""
    where = BUILTIN_ENTRY_POINTS.get(name)
    if where is None:
        return None
    module, cls = where.split(":")
    backend: Backend = getattr(importlib.import_module(module), cls)()
    return backend


def builtin_backends() -> dict[str, Backend]:
    """isrgen's own backends by name (no plugin scan)."""
    found = {name: builtin_backend(name) for name in BUILTIN_ENTRY_POINTS}
    return {name: b for name, b in found.items() if b is not None}


def _load_entry_point(ep: EntryPoint) -> Backend:
    try:
        obj = ep.load()
    except Exception as exc:  # a plugin's import error is the plugin's, report it
        raise UsageError(f"backend plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from None
    try:
        backend = obj() if isinstance(obj, type) else obj
    except Exception as exc:
        raise UsageError(f"backend plugin {ep.name!r} ({ep.value}) failed to start: {exc}") from None
    missing = [a for a in ("name", "description", "default_filename", "render") if not hasattr(backend, a)]
    if missing:
        raise UsageError(f"backend plugin {ep.name!r} ({ep.value}) is malformed: missing {', '.join(missing)}")
    if not callable(backend.render):
        raise UsageError(f"backend plugin {ep.name!r} ({ep.value}) is malformed: render is not callable")
    if backend.name != ep.name:
        raise UsageError(f"backend plugin {ep.name!r} ({ep.value}) calls itself {backend.name!r}")
    return backend  # type: ignore[no-any-return]


@functools.cache
def discover() -> dict[str, BackendInfo]:
    """Every available backend by name (built-ins first, then plugins, sorted by name)."""
    from importlib.metadata import entry_points

    found = {name: BackendInfo(name, b, "builtin") for name, b in builtin_backends().items()}
    eps = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value))
    for ep in eps:
        dist = ep.dist.name if ep.dist else "unknown distribution"
        if ep.name in found:
            if found[ep.name].origin == "builtin" and dist == "isrgen":
                continue  # isrgen's own registration of a built-in
            raise UsageError(
                f"backend {ep.name!r} is provided twice: by {found[ep.name].origin} and by {dist} ({ep.value})"
            )
        found[ep.name] = BackendInfo(ep.name, _load_entry_point(ep), f"{dist} ({ep.value})")
    return dict(sorted(found.items()))


def available_backends() -> tuple[str, ...]:
    """Names of every available backend."""
    return tuple(discover())


def unsupported_reason(name: str, backend: Backend, isa: Isa) -> str | None:
    """Why ``backend`` does not generate for ``isa``, or None when it does.  A backend
    may define ``supports(isa) -> bool`` (plugins without it generate for every ISA)."""
    supports = getattr(backend, "supports", None)
    if supports is None or supports(isa):
        return None
    return f"backend {name!r} does not generate for {isa.name}"


class Catalogue:
    """The backends as the loader sees them (see :class:`isrgen.spec.loader.BackendCatalogue`)."""

    def unknown_reason(self, name: str) -> str | None:
        # plugins are only scanned for a name that is not built in
        if name in builtin_names() or name in (known := available_backends()):
            return None
        return f"unknown backend {name!r}{did_you_mean(name, known)} (available: {', '.join(sorted(known))})"

    def unsupported_reason(self, name: str, isa: Isa) -> str | None:
        return unsupported_reason(name, get_backend(name), isa)


#: the catalogue :func:`isrgen.load_spec` checks a spec's outputs against
CATALOGUE = Catalogue()


def get_backend(name: str) -> Backend:
    """The backend called ``name``; a :class:`UsageError` listing the others if there is none."""
    builtin = builtin_backend(name)
    if builtin is not None:
        return builtin
    backends = discover()
    if name not in backends:
        raise UsageError(f"unknown backend {name!r}{did_you_mean(name, backends)} (available: {', '.join(backends)})")
    return backends[name].backend


__all__ = [
    "BUILTIN_ENTRY_POINTS",
    "CATALOGUE",
    "ENTRY_POINT_GROUP",
    "Catalogue",
    "Backend",
    "BackendInfo",
    "GenerationContext",
    "available_backends",
    "builtin_backend",
    "builtin_backends",
    "builtin_names",
    "discover",
    "get_backend",
    "render_template",
    "unsupported_reason",
]
