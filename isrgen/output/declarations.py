"""Every name a rendered output declares, and the spec's names checked against them.

The loader checks the names a spec chooses against the names the generator
derives from its prefix (:mod:`isrgen.arch.x86.resolve.names`).  This pass looks at
what the outputs really declare once rendered, so a name the generator adds later,
or one that only some setting produces (a second entry group's ``<entry>_1``, the
C header's include guard, the Rust module's gate struct), cannot slip through:

- C header: macros (``#define``), struct tags, and ordinary identifiers (functions,
  objects, typedefs);
- Rust module: the type namespace (struct, enum, type, mod, trait) and the value
  namespace (fn, const, static) of the module, and the labels of its ``global_asm!``;
- GAS and NASM: every label and ``.set``/``equ`` definition, NASM ``%define`` macros
  and ``extern`` declarations.

A name the spec chose must be declared at most once in each namespace of each
output (its own declaration), never as a C macro, and a handler the glue calls
must not be defined by the assembly (the call would land on the glue's label).

The check runs on every build, so the readers leave the many lines of the assembly
(and of the Rust module's items) to the regex engine and ``str.find``: a line-start
pattern per output, or the marks a declaration's line must hold (a label's colon);
of the Rust items only the lines with a brace, which change the scope, are read one by
one.  The C header, short, is read line by line.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Sequence

import attrs

from isrgen.diagnostics import Diagnostic, SourceRef
from isrgen.model.spec import ChosenName, NameRole


class Namespace(enum.Enum):
    """Where a declaration lives: two declarations of a name clash within one namespace."""

    MACRO = "macro"
    TAG = "struct tag"
    ORDINARY = "ordinary identifier"
    RUST_TYPE = "Rust type"
    RUST_VALUE = "Rust value"
    #: a label or an equ/.set symbol the assembly defines
    ASM = "assembly symbol"
    #: a NASM ``extern`` declaration
    ASM_EXTERN = "NASM extern"


_NAMESPACES = tuple(Namespace)


@attrs.frozen
class Declaration:
    """One name an output declares."""

    name: str
    namespace: Namespace
    #: the output's file name
    output: str


_C_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)")
_C_TAG = re.compile(r"\b(?:struct|union|enum)\s+([A-Za-z_]\w*)\s*\{")
# a declaration at file scope: "... name(" (function) or "... name[...];" / "... name;" (object,
# typedef); the line starts in column 0 and is no preprocessor line or statement
_C_FUNCTION = re.compile(r"^(?![#\s}])(?:[\w\s\*\[\]]*?[\s\*])?([A-Za-z_]\w*)\s*\(")
_C_OBJECT = re.compile(r"^(?:extern|typedef)\b[^;(]*?\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*;")
_C_KEYWORDS = frozenset({"if", "for", "while", "switch", "return", "sizeof", "static_assert", "_Static_assert"})

_RUST_TYPES = frozenset({"struct", "enum", "type", "mod", "trait", "union"})
_RUST_IMPL = re.compile(r"^\s*impl\b")
_RUST_ASM_LINE = re.compile(r'^\s*"(.*)",?\s*$')
_RUST_ASM_START = "global_asm!("


def _at_line_start(pattern: str) -> re.Pattern[str]:
    """``pattern`` at the start of a line, for text that begins with a newline: the
    leading newline lets the regex engine jump from line to line, where a ``^`` would
    make it try every character.  Its ``\\s`` (none in a character class) becomes white
    space other than a newline, so no match runs on into the next line."""
    return re.compile("\n" + pattern.replace(r"\s", r"[^\S\n]"))


_ASM_NAME = r"[A-Za-z_.$@?][\w.$@?]*+"
#: a GAS label (group 1) or a .set/.equ/.equiv symbol (group 2)
_GAS_SYMBOL = _at_line_start(rf"\s*+(?:({_ASM_NAME}):|\.(?:set|equ|equiv)\s++([A-Za-z_.$][\w.$]*+)\s*+,)")
#: a NASM macro (group 1), an extern list (group 2), or a label or equ symbol (group 3);
#: ``;`` starts a comment, which none of them reaches into
_NASM_SYMBOL = _at_line_start(
    rf"\s*+(?:%(?:i?define|i?xdefine|i?assign|macro)\s++({_ASM_NAME})"
    rf"|extern\s++([^;\n]+)|({_ASM_NAME})(?::|\s++equ\b))"
)
_C_DEFINE_LINE = _at_line_start(_C_DEFINE.pattern[1:])
# _C_FUNCTION or else _C_OBJECT on a line no comment continues ("* ..."), white space kept
# within the line: a function's name (group 1) or an object's (group 2)
_C_DECLARATION_LINE = re.compile(
    r"\n(?:(?![#\s}*])(?:(?:[\w\*\[\]]|[^\S\n])*?(?:[^\S\n]|\*))?([A-Za-z_]\w*)[^\S\n]*\("
    r"|(?:extern|typedef)\b[^;(\n]*?\b([A-Za-z_]\w*)[^\S\n]*(?:\[[^\]\n]*\][^\S\n]*)*;)"
)
# (no match reaches into a // comment, so it is the same on a line and on the line cut there)
_RUST_ITEM_SYNTAX = (
    r"\s*(?:pub(?:\((?:[^)\n/]|/(?!/))*\))?\s+)?(?:unsafe\s+)?(?:const\s+)?(?:extern\s+\"C\"\s+)?"
    r"(struct|enum|type|mod|trait|union|fn|const|static)\s+(?:mut\s+)?([A-Za-z_]\w*)"
)
_RUST_ITEM = re.compile("^" + _RUST_ITEM_SYNTAX)
_RUST_ITEM_LINE = _at_line_start(_RUST_ITEM_SYNTAX)
#: a mark every line of a GAS symbol holds (a label's colon, the directive of the others)
_GAS_MARKS = (":", ".set", ".equ")

#: the names one output declares, by namespace, each as often as the output declares it
Names = dict[Namespace, list[str]]


def _cut(line: str, marker: str) -> str:
    """``line`` without the comment ``marker`` starts."""
    return line.split(marker, 1)[0] if marker in line else line


def _marked_lines(text: str, marks: tuple[str, ...], start: int = 0, end: int | None = None) -> list[str]:
    """The lines of ``text[start:end]`` (``start`` at a line start) holding one of ``marks``,
    each once, in order.  ``str.find`` jumps from mark to mark without visiting the other
    lines: most lines of the assembly are instructions, which hold none."""
    stop = len(text) if end is None else end
    starts: set[int] = set()
    for mark in marks:
        at = text.find(mark, start, stop)
        while at >= 0:
            newline = text.rfind("\n", start, at)
            starts.add(start if newline < 0 else newline + 1)
            line_end = text.find("\n", at, stop)
            at = -1 if line_end < 0 else text.find(mark, line_end, stop)
    lines: list[str] = []
    for line_start in sorted(starts):
        line_end = text.find("\n", line_start, stop)
        lines += text[line_start : stop if line_end < 0 else line_end].splitlines()
    return lines


@attrs.define
class _CHeader:
    """The macros, struct tags and file-scope identifiers of a C header read so far, with
    the brace depth (``extern "C"`` braces aside)."""

    macros: set[str] = attrs.Factory(set)
    tags: list[str] = attrs.Factory(list)
    ordinary: list[str] = attrs.Factory(list)
    depth: int = 0

    def read_line(self, line: str) -> None:
        """Read one line."""
        if (m := _C_DEFINE.match(line)) is not None:
            self.macros.add(m.group(1))
            return
        head = line.lstrip()
        if head.startswith(("#", "/*", "*", "//")) or head.rstrip() == 'extern "C" {':
            return  # C++ linkage braces enclose file scope
        self.tags += _C_TAG.findall(line)
        if self.depth == 0:
            m = _C_FUNCTION.match(line) or _C_OBJECT.match(line)
            if m is not None and m.group(1) not in _C_KEYWORDS:
                self.ordinary.append(m.group(1))
        self.depth = max(self.depth + line.count("{") - line.count("}"), 0)

    def read(self, text: str) -> None:
        """Read the lines of ``text``, as :meth:`read_line` each in turn would: only the
        lines with a brace one by one, as they change the depth."""
        for braceless, brace_line in _split_at_braces(text):
            self.macros.update(_C_DEFINE_LINE.findall("\n" + braceless))
            if self.depth == 0:
                found = _C_DECLARATION_LINE.findall("\n" + braceless)
                self.ordinary += [n for pair in found for n in pair if n and n not in _C_KEYWORDS]
            for line in brace_line.splitlines():
                self.read_line(line)


def _c_names(text: str) -> Names:
    header = _CHeader()
    header.read(text)
    macros = header.macros
    # a macro may be defined twice under #if/#else (C and C++ spellings): one declaration;
    # "NAME(" of a macro the header defines is an invocation, not a declaration
    return {
        Namespace.MACRO: sorted(macros),
        Namespace.TAG: [n for n in header.tags if n not in macros],
        Namespace.ORDINARY: [n for n in header.ordinary if n not in macros],
    }


def _gas_symbols(lines: list[str]) -> list[str]:
    """The labels and .set symbols ``lines`` of GAS source define (none reaches into a comment)."""
    return [label or symbol for label, symbol in _GAS_SYMBOL.findall("\n" + "\n".join(lines))]


def _gas_names(text: str) -> Names:
    return {Namespace.ASM: _gas_symbols(_marked_lines(text, _GAS_MARKS))}


def _nasm_names(text: str) -> Names:
    found: Names = {Namespace.MACRO: [], Namespace.ASM_EXTERN: [], Namespace.ASM: []}
    for macro, externs, symbol in _NASM_SYMBOL.findall("\n" + text):
        if macro:
            found[Namespace.MACRO].append(macro)
        elif externs:
            names = [n.split(":")[0].strip() for n in externs.split(",")]
            found[Namespace.ASM_EXTERN] += [n for n in names if n]
        else:
            found[Namespace.ASM].append(symbol)
    return found


def _rust_asm_block(text: str, start: int) -> tuple[int, int, int] | None:
    """Where the first ``global_asm!(`` at or after ``start`` is (None: there is none): the
    start of its line, the start of the next line, and the end of the line its closing
    ``)`` starts (the end of ``text`` when none does)."""
    at = text.find(_RUST_ASM_START, start)
    while at >= 0 and "//" in text[text.rfind("\n", 0, at) + 1 : at]:  # in a comment
        at = text.find(_RUST_ASM_START, at + 1)
    if at < 0:
        return None
    line_start = text.rfind("\n", 0, at) + 1
    body = text.find("\n", at)
    if body < 0:
        return line_start, len(text), len(text)
    close = text.find(")", body)
    while close >= 0 and text[text.rfind("\n", 0, close) + 1 : close].strip():  # not first on its line
        close = text.find(")", close + 1)
    after = -1 if close < 0 else text.find("\n", close)
    return line_start, body + 1, len(text) if after < 0 else after + 1


@attrs.define
class _RustItems:
    """The module-level items of a Rust module read so far (not the members of impl
    blocks or item bodies), with the brace depth and the depth of the impl block or item
    body being skipped (None: at item level)."""

    types: list[str] = attrs.Factory(list)
    values: list[str] = attrs.Factory(list)
    depth: int = 0
    skip: int | None = None

    def read_line(self, line: str) -> None:
        """Read one line."""
        line = _cut(line, "//")
        if self.skip is None:
            m = _RUST_ITEM.match(line)
            if m is not None:
                kind, name = m.group(1, 2)
                if name != "_":
                    (self.types if kind in _RUST_TYPES else self.values).append(name)
                if kind in ("struct", "enum", "union", "fn") and "{" in line:
                    self.skip = self.depth  # its fields or body are no items
            elif _RUST_IMPL.match(line):
                self.skip = self.depth
        self.depth += line.count("{") - line.count("}")
        if self.skip is not None and self.depth <= self.skip:
            self.skip = None

    def read(self, text: str) -> None:
        """Read the lines of ``text``, as :meth:`read_line` each in turn would.

        Only a line with a brace changes the depths (an impl or item line without one
        skips nothing), so only those are read one by one; between them, every item
        counts unless a skipped body encloses them all."""
        for braceless, brace_line in _split_at_braces(text):
            self._read_braceless(braceless)
            for line in brace_line.splitlines():
                self.read_line(line)

    def _read_braceless(self, lines: str) -> None:
        if self.skip is not None:
            return  # inside a skipped body from the first of these lines to the last
        for kind, name in _RUST_ITEM_LINE.findall("\n" + lines):
            if name != "_":
                (self.types if kind in _RUST_TYPES else self.values).append(name)


def _split_at_braces(text: str) -> list[tuple[str, str]]:
    """``text`` cut before and after each line holding a brace: (the lines before it,
    that line) pairs, then (the lines after the last, "")."""
    starts: set[int] = set()
    for brace in "{}":
        at = text.find(brace)
        while at >= 0:
            starts.add(text.rfind("\n", 0, at) + 1)
            line_end = text.find("\n", at)
            at = -1 if line_end < 0 else text.find(brace, line_end)
    pieces: list[tuple[str, str]] = []
    done = 0
    for line_start in sorted(starts):
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end + 1
        pieces.append((text[done:line_start], text[line_start:line_end]))
        done = line_end
    return [*pieces, (text[done:], "")]


def _rust_names(text: str) -> Names:
    items = _RustItems()
    symbols: list[str] = []
    at = 0
    while (block := _rust_asm_block(text, at)) is not None:
        line_start, body, after = block
        items.read(text[at:line_start])
        # the block's string lines are the assembly; its other lines (and the global_asm!(
        # and ) lines themselves) declare nothing
        asm: list[str] = []
        for line in _marked_lines(text, _GAS_MARKS, body, after):
            if (m := _RUST_ASM_LINE.match(_cut(line, "//"))) is not None:
                asm += m.group(1).replace('\\"', '"').splitlines()
        symbols += _gas_symbols(asm)
        at = after
    items.read(text[at:])
    return {Namespace.RUST_TYPE: items.types, Namespace.RUST_VALUE: items.values, Namespace.ASM: symbols}


#: backend -> the reader of its declarations; other outputs (the gdb script, plugins)
#: declare nothing in the kernel's namespaces
_READERS = {"c": _c_names, "rust": _rust_names, "gas": _gas_names, "nasm": _nasm_names}


def declared_names(backend: str, text: str) -> Names:
    """The names output ``text`` of ``backend`` declares, by namespace:

    - C header: macros (``#define``), struct tags, and file-scope identifiers
      (functions, objects, typedefs);
    - Rust module: the module-level items (not the members of impl blocks or structs)
      and the labels and ``.set`` symbols of its ``global_asm!``;
    - GAS: labels and ``.set``/``.equ`` symbols; NASM: labels, ``equ`` symbols,
      ``%define`` macros and ``extern`` names.
    """
    reader = _READERS.get(backend)
    return reader(text) if reader is not None else {}


def declarations(backend: str, text: str, output: str) -> list[Declaration]:
    """Every name output ``output`` of ``backend`` declares."""
    return [Declaration(name, ns, output) for ns, names in declared_names(backend, text).items() for name in names]


def _allowed(chosen: ChosenName, namespace: Namespace) -> int:
    """How many declarations of ``chosen`` in ``namespace`` an output may make: its own."""
    if namespace is Namespace.MACRO:
        return 0
    if chosen.role is NameRole.TYPE:
        # the struct tag (C) and the struct (Rust); a label or function of the same name is
        # no clash in either language
        return 1 if namespace in (Namespace.TAG, Namespace.RUST_TYPE) else len(_ANY)
    if namespace is Namespace.ASM:
        # the glue defines its own symbols once and never the handlers it calls
        return 1 if chosen.role is NameRole.DEFINED else 0
    return 1


#: no limit
_ANY = range(1 << 30)


def _folded(name: str) -> str:
    """A name with case and underscores ignored: how the Rust module respells a C name
    (``isr_frame`` -> ``IsrFrame``)."""
    return name.replace("_", "").lower()


def name_clashes(
    chosen: Sequence[ChosenName], outputs: Sequence[tuple[str, str, str]], spec_start: SourceRef
) -> list[Diagnostic]:
    """A located error (at the key that chose the name) for each chosen name some output
    declares as something else too.  ``outputs`` holds (backend, file name, text) of every
    rendered output.  A name an output declares twice that no chosen name spells exactly
    is put on the chosen name it respells (the Rust struct), else at ``spec_start``."""
    problems: list[Diagnostic] = []
    reported: set[str] = set()
    spelled = {c.name for c in chosen}
    for backend, filename, text in outputs:
        found = declared_names(backend, text)
        # in the order of Namespace: a name that clashes in two namespaces is reported in the first
        counts = [(ns, Counter(found[ns])) for ns in _NAMESPACES if found.get(ns)]
        if not counts:
            continue
        twice = sorted(
            (name, namespace.value, namespace, have)
            for namespace, names in counts
            for name, have in names.items()
            if have > 1
        )
        # every namespace allows a chosen name one declaration but the macros (none) and,
        # for a handler, the assembly's symbols (none): only these names can clash
        suspects = {name for name, *_ in twice}.union(*(names for ns, names in counts if ns is Namespace.MACRO))
        symbols = set().union(*(names for ns, names in counts if ns is Namespace.ASM))
        for c in chosen:
            if c.name in reported or not (c.name in suspects or (c.role is NameRole.REFERENCED and c.name in symbols)):
                continue
            for namespace, names in counts:
                have = names.get(c.name, 0)
                if have > _allowed(c, namespace):
                    problems.append(Diagnostic(c.source, _message(c, filename, namespace, have), c.path))
                    reported.add(c.name)
                    break
        for name, _, namespace, have in twice:
            if name in spelled or name in reported or namespace is Namespace.MACRO:
                continue
            owner = next((c for c in chosen if _folded(c.name) == _folded(name)), None)
            message = f"{filename} declares {name!r} {have} times (as a {namespace.value})"
            if owner is None:
                problems.append(Diagnostic(spec_start, message, "$"))
            elif owner.name not in reported:
                problems.append(
                    Diagnostic(
                        owner.source,
                        f"{owner.name!r} is spelled {name!r} in {filename}, "
                        f"which declares that {have} times (as a {namespace.value})",
                        owner.path,
                    )
                )
                reported.add(owner.name)
            reported.add(name)
    return problems


def _message(c: ChosenName, filename: str, namespace: Namespace, have: int) -> str:
    if namespace is Namespace.MACRO:
        return f"{c.name!r} is also a macro {filename} defines"
    if namespace is Namespace.ASM and c.role is NameRole.REFERENCED:
        return f"handler {c.name!r} is also a symbol {filename} defines: the glue's call would land on it"
    return f"{c.name!r} is declared {have} times in {filename} (as a {namespace.value}): it names something else too"
