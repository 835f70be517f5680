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
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable, Sequence

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

_RUST_ITEM = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:unsafe\s+)?(?:const\s+)?(?:extern\s+\"C\"\s+)?"
    r"(struct|enum|type|mod|trait|union|fn|const|static)\s+(?:mut\s+)?([A-Za-z_]\w*)"
)
_RUST_TYPES = frozenset({"struct", "enum", "type", "mod", "trait", "union"})
_RUST_ASM_LINE = re.compile(r'^\s*"(.*)",?\s*$')

_ASM_LABEL = re.compile(r"^\s*([A-Za-z_.$@?][\w.$@?]*):")
_GAS_SET = re.compile(r"^\s*\.(?:set|equ|equiv)\s+([A-Za-z_.$][\w.$]*)\s*,")
_NASM_EQU = re.compile(r"^\s*([A-Za-z_.$@?][\w.$@?]*)\s+equ\b")
_NASM_DEFINE = re.compile(r"^\s*%(?:i?define|i?xdefine|i?assign|macro)\s+([A-Za-z_.$@?][\w.$@?]*)")
_NASM_EXTERN = re.compile(r"^\s*extern\s+(.+)$")


def _comment_free(lines: Iterable[str], marker: str) -> list[str]:
    return [ln.split(marker, 1)[0] if marker in ln else ln for ln in lines]


def c_declarations(text: str, output: str) -> list[Declaration]:
    """Macros, struct tags and file-scope identifiers a C header declares."""
    out: list[Declaration] = []
    depth = 0
    for line in text.splitlines():
        if (m := _C_DEFINE.match(line)) is not None:
            out.append(Declaration(m.group(1), Namespace.MACRO, output))
            continue
        if line.lstrip().startswith(("#", "/*", "*", "//")) or line.strip() == 'extern "C" {':
            continue  # C++ linkage braces enclose file scope
        out += [Declaration(tag, Namespace.TAG, output) for tag in _C_TAG.findall(line)]
        if depth == 0:
            m = _C_FUNCTION.match(line) or _C_OBJECT.match(line)
            if m is not None and m.group(1) not in _C_KEYWORDS:
                out.append(Declaration(m.group(1), Namespace.ORDINARY, output))
        depth += line.count("{") - line.count("}")
        depth = max(depth, 0)
    # a macro may be defined twice under #if/#else (C and C++ spellings): one declaration;
    # "NAME(" of a macro the header defines is an invocation, not a declaration
    macros = {d.name for d in out if d.namespace is Namespace.MACRO}
    rest = [d for d in out if d.namespace is not Namespace.MACRO and d.name not in macros]
    return rest + [Declaration(name, Namespace.MACRO, output) for name in sorted(macros)]


def rust_declarations(text: str, output: str) -> list[Declaration]:
    """The module-level items of a Rust module (not the members of impl blocks or
    structs) and the labels of its ``global_asm!``."""
    out: list[Declaration] = []
    asm: list[str] = []
    skip_depth: int | None = None  # inside an impl block or a struct body: members, not items
    depth = 0
    in_asm = False
    for line in _comment_free(text.splitlines(), "//"):
        if in_asm:
            if (m := _RUST_ASM_LINE.match(line)) is not None:
                asm.append(m.group(1).replace('\\"', '"'))
                continue
            if line.strip().startswith(")"):
                in_asm = False
            continue
        if "global_asm!(" in line:
            in_asm = True
            continue
        if skip_depth is None:
            m = _RUST_ITEM.match(line)
            if m is not None:
                kind, name = m.groups()
                if name != "_":
                    ns = Namespace.RUST_TYPE if kind in _RUST_TYPES else Namespace.RUST_VALUE
                    out.append(Declaration(name, ns, output))
                if kind in ("struct", "enum", "union", "fn") and "{" in line:
                    skip_depth = depth
            elif re.match(r"^\s*impl\b", line):
                skip_depth = depth
        depth += line.count("{") - line.count("}")
        if skip_depth is not None and depth <= skip_depth:
            skip_depth = None
    return out + gas_declarations("\n".join(asm), output)


def gas_declarations(text: str, output: str) -> list[Declaration]:
    """Labels and ``.set`` symbols a GAS source defines."""
    out: list[Declaration] = []
    for line in _comment_free(text.splitlines(), "/*"):
        if ":" not in line and ".set" not in line and ".equ" not in line:
            continue  # (most lines are instructions: neither pattern can match)
        for pattern in (_ASM_LABEL, _GAS_SET):
            if (m := pattern.match(line)) is not None:
                out.append(Declaration(m.group(1), Namespace.ASM, output))
    return out


def nasm_declarations(text: str, output: str) -> list[Declaration]:
    """Labels, ``equ`` symbols, ``extern`` names and ``%define`` macros of a NASM source."""
    out: list[Declaration] = []
    for line in _comment_free(text.splitlines(), ";"):
        if (m := _NASM_DEFINE.match(line)) is not None:
            out.append(Declaration(m.group(1), Namespace.MACRO, output))
        elif (m := _NASM_EXTERN.match(line)) is not None:
            names = [n.split(":")[0].strip() for n in m.group(1).split(",")]
            out += [Declaration(n, Namespace.ASM_EXTERN, output) for n in names if n]
        else:
            for pattern in (_ASM_LABEL, _NASM_EQU):
                if (m := pattern.match(line)) is not None:
                    out.append(Declaration(m.group(1), Namespace.ASM, output))
    return out


#: backend -> the reader of its declarations; other outputs (the gdb script, plugins)
#: declare nothing in the kernel's namespaces
READERS = {"c": c_declarations, "rust": rust_declarations, "gas": gas_declarations, "nasm": nasm_declarations}


def declarations(backend: str, text: str, output: str) -> list[Declaration]:
    """Every name output ``output`` of ``backend`` declares."""
    reader = READERS.get(backend)
    return reader(text, output) if reader is not None else []


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
    for backend, filename, text in outputs:
        counts = Counter((d.name, d.namespace) for d in declarations(backend, text, filename))
        by_name: dict[str, dict[Namespace, int]] = {}
        for (name, namespace), have in counts.items():
            by_name.setdefault(name, {})[namespace] = have
        for c in chosen:
            if c.name in reported or c.name not in by_name:
                continue
            declared = by_name[c.name]
            for namespace in [ns for ns in Namespace if ns in declared]:
                have = declared[namespace]
                if have > _allowed(c, namespace):
                    problems.append(Diagnostic(c.source, _message(c, filename, namespace, have), c.path))
                    reported.add(c.name)
                    break
        spelled = {c.name for c in chosen}
        for (name, namespace), have in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
            if have < 2 or name in spelled or namespace is Namespace.MACRO or name in reported:
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
