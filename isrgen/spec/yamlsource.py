"""Load YAML into plain Python data while keeping the location of every node.

The YAML text is *composed* (not constructed) with ruamel.yaml so that every
mapping, sequence and scalar keeps its start mark.  We then build plain data
ourselves, which lets us report every duplicate key (ruamel stops at the first)
and look up the ``file:line:col`` of any value or key by its path.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from isrgen.diagnostics import Diagnostic, SourceRef, SpecError

PathElem = str | int
Path = tuple[PathElem, ...]


def format_path(path: Path) -> str:
    """Render a path as ``$.vectors[3].ist``."""
    out = "$"
    for elem in path:
        out += f"[{elem}]" if isinstance(elem, int) else f".{elem}"
    return out


@attrs.define
class Locations:
    """Where each value (and each mapping key) of a document sits in its file."""

    file: str
    values: dict[Path, SourceRef] = attrs.field(factory=dict)
    keys: dict[Path, SourceRef] = attrs.field(factory=dict)

    def of(self, path: Path) -> SourceRef:
        """The location of the value at ``path`` or of its nearest located ancestor."""
        p = tuple(path)
        while p not in self.values and p:
            p = p[:-1]
        return self.values.get(p, SourceRef(self.file, 1, 1))

    def of_key(self, path: Path) -> SourceRef:
        """The location of the key that introduces ``path`` (falls back to the value)."""
        return self.keys.get(tuple(path)) or self.of(path)

    def error(self, path: Path, message: str, *, at_key: bool = False) -> Diagnostic:
        """A diagnostic located at ``path``."""
        ref = self.of_key(path) if at_key else self.of(path)
        return Diagnostic(ref, message, format_path(path))


@attrs.frozen
class Document:
    """A parsed YAML document: plain data, its locations and its raw text."""

    data: Any
    locations: Locations
    text: str


def _ref(file: str, node: Node) -> SourceRef:
    mark = node.start_mark
    return SourceRef(file, mark.line + 1, mark.column + 1)


#: a newline, tab or other control character: never part of a name, a section or a file name
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:60] + "...")


#: deeper than any spec nests (about 6 levels): a limit, not a guess
MAX_DEPTH = 64
#: values a spec may expand to; aliases can multiply a small file ("billion laughs")
MAX_VALUES = 200_000
#: the widest integer a spec value takes is 64 bits (simd.xsave_mask); far wider ones are rejected
#: while reading, before any message tries to print them
MAX_INT_BITS = 128
#: the longest list a spec holds: a vector list names each of at most 256 vectors once, and
#: ranges make it shorter; a longer list only makes every later pass slower
MAX_ITEMS = 1024


class _Builder:
    def __init__(self, file: str):
        self.locations = Locations(file)
        self.diagnostics: list[Diagnostic] = []
        self._scalar = YAML(typ="safe", pure=True).constructor
        self._values = 0
        self._over = False

    def _too_much(self, node: Node, path: Path) -> bool:
        self._values += 1
        if self._over:
            return True
        problem = None
        if len(path) > MAX_DEPTH:
            problem = f"nested more than {MAX_DEPTH} levels deep"
        elif self._values > MAX_VALUES:
            problem = f"the spec expands to more than {MAX_VALUES} values (anchors and aliases repeat what they name)"
        if problem is None:
            return False
        self._over = True
        self.diagnostics.append(Diagnostic(_ref(self.locations.file, node), problem, format_path(path)))
        return True

    def build(self, node: Node, path: Path) -> Any:
        if self._too_much(node, path):
            return None
        self.locations.values[path] = _ref(self.locations.file, node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            if len(node.value) > MAX_ITEMS:
                problem = f"a list of {len(node.value)} items; no list in a spec has more than {MAX_ITEMS}"
                self.diagnostics.append(Diagnostic(_ref(self.locations.file, node), problem, format_path(path)))
                return None
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            try:
                value = self._scalar.construct_object(node, deep=True)
            except YAMLError as exc:
                problem = f"bad scalar: {exc}"
            except ValueError as exc:
                too_long = "limit" in str(exc)  # more digits than Python converts (4300)
                problem = "bad scalar: a number with too many digits" if too_long else f"bad scalar: {exc}"
            else:
                if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
                    problem = f"integer out of range: no spec value needs more than {MAX_INT_BITS} bits"
                elif isinstance(value, str) and _CONTROL.search(value):
                    problem = f"{_shown(value)} contains a control character: every string in a spec is a name"
                else:
                    return value
            self.diagnostics.append(Diagnostic(_ref(self.locations.file, node), problem, format_path(path)))
            return None
        raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover - composer invariant

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_seen: dict[str, SourceRef] = {}
        for key_node, value_node in node.value:
            key_ref = _ref(self.locations.file, key_node)
            if not isinstance(key_node, ScalarNode) or str(key_node.tag).endswith(":merge"):
                self.diagnostics.append(Diagnostic(key_ref, "mapping keys must be plain strings", format_path(path)))
                continue
            key = str(key_node.value)
            if _CONTROL.search(key):
                self.diagnostics.append(
                    Diagnostic(key_ref, f"key {_shown(key)} contains a control character", format_path(path))
                )
                continue
            if key in first_seen:
                prev = first_seen[key]
                self.diagnostics.append(
                    Diagnostic(
                        key_ref,
                        f"duplicate key '{key}' (first defined at line {prev.line}, column {prev.col})",
                        format_path(path + (key,)),
                    )
                )
                continue
            first_seen[key] = key_ref
            self.locations.keys[path + (key,)] = key_ref
            out[key] = self.build(value_node, path + (key,))
        return out


def parse_yaml(text: str, file: str) -> Document:
    """Parse ``text`` (named ``file`` in messages); raise :class:`SpecError` on any problem."""
    doc, diagnostics = parse_yaml_collecting(text, file)
    if diagnostics:
        raise SpecError(diagnostics)
    return doc


def parse_yaml_collecting(text: str, file: str) -> tuple[Document, list[Diagnostic]]:
    """Like :func:`parse_yaml`, but a problem inside a well-formed document (a duplicate key,
    a control character, a bad scalar) is returned with the document instead of raised, so
    that later passes can report their own, independent problems too.  The document keeps
    the first of duplicate keys and None for a bad value.  A text that is not YAML at all
    still raises :class:`SpecError`."""
    # The safe loader composes with libyaml (ruamel.yaml.clib) when installed: same nodes,
    # marks and tags as the pure-Python composer, several times faster.
    yaml = YAML(typ="safe")
    try:
        node = yaml.compose(text)
    except RecursionError:  # the pure-Python composer recurses once per nesting level
        raise SpecError([Diagnostic(SourceRef(file, 1, 1), "not valid YAML here: nested too deeply")]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        ref = SourceRef(file, mark.line + 1, mark.column + 1) if mark else SourceRef(file, 1, 1)
        problem = exc.problem or exc.context or "malformed YAML"
        raise SpecError([Diagnostic(ref, f"not valid YAML: {problem}")]) from None
    except YAMLError as exc:
        raise SpecError([Diagnostic(SourceRef(file, 1, 1), f"not valid YAML: {exc}")]) from None
    if node is None:
        raise SpecError([Diagnostic(SourceRef(file, 1, 1), "the spec is empty")])
    builder = _Builder(file)
    data = builder.build(node, ())
    if builder._over:  # a nesting or size limit: later passes would only repeat the work
        raise SpecError(builder.diagnostics)
    return Document(data, builder.locations, text), builder.diagnostics
