"""The shared state and helpers of the semantic pass: located errors, typed lookups,
symbol-pattern expansion and identifier checks."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import attrs

from isrgen.arch import ArchFacts
from isrgen.diagnostics import Diagnostic, SourceRef
from isrgen.model.spec import Vector
from isrgen.spec.identifiers import reserved_reason
from isrgen.spec.yamlsource import Document, Locations, Path, format_path

if TYPE_CHECKING:
    from isrgen.arch.isa import Isa

_VISIBLE = ("stubs", "table", "entry", "exit")
_NON_EXEC_PREFIXES = (".rodata", ".data", ".bss", ".tbss", ".tdata", ".note", ".debug", ".comment")
#: sections that cannot hold the table's initialised, loaded words (no file contents, TLS, not loaded)
_NOT_TABLE_PREFIXES = (".bss", ".tbss", ".tdata", ".note", ".debug", ".comment", ".text")
#: a format spec a vector number may take in a pattern: {n:02x}, {n:3d}, {n:x}
_NUMBER_FORMAT = re.compile(r"#?0?[0-9]{0,2}[dxXob]?")


class BackendCatalogue(Protocol):
    """What the loader asks about the backends an ``outputs:`` block names (the spec stage
    does not import the backends: :func:`isrgen.load_spec` passes the real catalogue)."""

    def unknown_reason(self, name: str) -> str | None:
        """Why ``name`` is not a backend (None when it is one)."""
        ...

    def unsupported_reason(self, name: str, isa: Isa) -> str | None:
        """Why backend ``name`` does not generate for ``isa`` (None when it does)."""
        ...


@attrs.frozen
class ResolveInput:
    """What the core loader hands an ISA's semantic pass."""

    document: Document
    #: paths (``$.a.b[0]``) whose values a YAML or schema error already covers
    bad_paths: frozenset[str]
    #: the backends ``outputs:`` may name (None: not checked)
    catalogue: BackendCatalogue | None
    filename: str
    sha256: str


class ResolverBase:
    """Holds the parsed data, its locations and the problems found so far.

    An ISA's resolver sets :attr:`defaults` to its table of key defaults."""

    #: (section, key) -> the value an absent key has, as a spec would write it
    defaults: ClassVar[Mapping[tuple[str, ...], Any]] = {}
    #: the words the ISA's assemblers read otherwise (``ArchFacts.assembler_words``), once
    #: the resolver knows the architecture: a field name spelled like one is refused
    assembler_words: tuple[tuple[str, frozenset[str]], ...] = ()

    def __init__(self, data: Any, locations: Locations, bad_paths: set[str]):
        self.data = data if isinstance(data, dict) else {}
        self.loc = locations
        self.bad = bad_paths
        self.diags: list[Diagnostic] = []

    def block(self, key: str) -> dict[str, Any]:
        """The top-level mapping ``key`` ({} when absent or not a mapping: the schema reports that)."""
        value = self.data.get(key)
        return value if isinstance(value, dict) else {}

    def err(self, path: Path, message: str, *, at_key: bool = False) -> None:
        self.diags.append(self.loc.error(path, message, at_key=at_key))

    def ok(self, path: Path) -> bool:
        """Whether the schema pass accepted the value at ``path`` and everything below it."""
        text = format_path(path)
        return not any(b == text or b.startswith(text + ".") or b.startswith(text + "[") for b in self.bad)

    def get(self, section: str, key: str, default: Any, kind: type | tuple[type, ...]) -> Any:
        block = self.data.get(section)
        if not isinstance(block, dict) or key not in block:
            return default
        value = block[key]
        if not self.ok((section, key)) or not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            return default
        return value

    def option(self, section: str, key: str, kind: type | tuple[type, ...]) -> Any:
        """``section.key`` as written, or its default (from :attr:`defaults`)."""
        value = self.defaults[(section, key)]
        return self.get(section, key, list(value) if isinstance(value, list) else value, kind)

    def src(self, path: Path) -> SourceRef:
        return self.loc.of(path)

    def vector_path(self, v: Vector) -> Path:
        """The path of the ``vectors`` entry that defines ``v`` (``$.vectors`` if none matches)."""
        raw = self.data.get("vectors")
        for i in range(len(raw) if isinstance(raw, list) else 0):
            if self.src(("vectors", i)) == v.source:
                return ("vectors", i)
        return ("vectors",)

    def check_ident(self, path: Path, name: str, arch: ArchFacts, what: str) -> bool:
        reason = reserved_reason(name, arch.register_aliases, arch.c_predefined_macros, arch.assembler_words)
        if reason:
            self.err(path, f"invalid {what}: {reason}")
            return False
        return True

    def expand(self, path: Path, pattern: str, fields: dict[str, Any], allowed: tuple[str, ...]) -> str | None:
        try:
            parsed = list(string.Formatter().parse(pattern))
        except ValueError as exc:
            self.err(path, f"bad pattern {pattern!r}: {exc}")
            return None
        for _, field, spec, conv in parsed:
            if field is None:
                continue
            if field not in allowed or conv:
                self.err(
                    path,
                    f"unknown field {{{field}}} in {pattern!r} (allowed: {', '.join('{' + a + '}' for a in allowed)})",
                )
                return None
            if spec and field != "n":
                self.err(path, f"format spec not allowed on {{{field}}} in {pattern!r}")
                return None
            if spec and not _NUMBER_FORMAT.fullmatch(spec):
                self.err(
                    path,
                    f"format spec {{n:{spec[:20]}}} not allowed: #, a width of at most 2 digits and d, x, X, o or b",
                )
                return None
        try:
            return pattern.format(**fields)
        except (ValueError, KeyError) as exc:
            self.err(path, f"bad pattern {pattern!r}: {exc}")
            return None

    def get_in(self, path: Path, default: Any) -> Any:
        """The value at a nested ``path`` if the schema accepted it, else ``default``."""
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node if self.ok(path) else default

    def check_field_name(self, path: Path, name: Any, macros: frozenset[str] = frozenset()) -> bool:
        """Whether ``name`` may name a frame field (``macros``: the ISA's predefined C macros)."""
        words = self.assembler_words
        reason = (
            reserved_reason(name, frozenset(), macros, words) if isinstance(name, str) else f"{name!r} is not a string"
        )
        if reason:
            self.err(path, f"invalid field name: {reason}")
            return False
        return True
