"""Names the outputs derive from the spec's names, checked against each other.

A vector name becomes the constant ``<PREFIX>VEC_<NAME>`` and a frame field the
constant ``<PREFIX>FRAME_OFFSET_<FIELD>``: two names that differ only in case
give the same constant.  The C header also declares names of its own from the
prefix (``<prefix>idt_fill``, ``struct <prefix>idt_gate``, ``<PREFIX>...`` and
``ISRGEN_...`` macros), and the Rust module its constants (``VEC_<NAME>``,
``FRAME_SIZE``, ...); a symbol the spec names must not be one of them.
"""

from __future__ import annotations

from isrgen.arch.x86.model import Syscall, X86Entry, X86Vector
from isrgen.model.names import macro_spelling
from isrgen.model.spec import ChosenName, Frame, Handler, NameRole, Symbols
from isrgen.spec.resolve.base import ResolverBase
from isrgen.spec.yamlsource import Path, format_path

#: the Rust module's own constants (unprefixed: the module is the namespace); a symbol the
#: Rust module declares as a function or static must differ from them
RUST_CONSTANTS = ("VECTOR_COUNT", "FRAME_SIZE", "SYNTHETIC_ERROR_CODE", "SYSCALL_MARKER")


def header_names(prefix: str) -> dict[str, str]:
    """The identifiers the C header declares from the prefix alone, each with what it is."""
    return {
        f"{prefix}idt_fill": "the C header's IDT fill function",
        f"{prefix}idt_gate": "the C header's gate struct",
    }


class NameResolver(ResolverBase):
    """Collisions between generated names (mixed into the semantic pass)."""

    def named_symbols(
        self,
        symbols: Symbols,
        handler: Handler,
        frame: Frame,
        vectors: tuple[X86Vector, ...],
        entry: X86Entry,
        syscall: Syscall | None,
    ) -> list[tuple[str, Path]]:
        """Every symbol the outputs declare from the spec's names, with the key that names it."""
        out: list[tuple[str, Path]] = [
            (handler.symbol, ("handler", "symbol")),
            (symbols.table, ("symbols", "table")),
            (symbols.entry, ("symbols", "entry")),
            (symbols.exit, ("symbols", "exit")),
            (symbols.gates, ("symbols", "gates")),
            (entry.halt, ("entry", "halt")),
            (frame.struct_name, ("frame", "struct")),
        ]
        if syscall is not None:
            out += [(syscall.entry, ("syscall", "entry")), (syscall.handler, ("syscall", "handler"))]
        for v in vectors:
            out.append((v.stub_symbol, ("symbols", "stub")))
            out += [(h, self.vector_path(v)) for h in (v.handler, v.kernel_handler) if h]
        return out

    def chosen_names(self, named: list[tuple[str, Path]], handlers: set[str], struct: str) -> tuple[ChosenName, ...]:
        """``named`` (from :meth:`named_symbols`) with each name's role and its key's place:
        the handler symbols are referenced by the glue, the struct is a type, the rest defined."""
        out: list[ChosenName] = []
        seen: set[str] = set()
        for name, path in named:
            if name in seen:
                continue
            seen.add(name)
            role = NameRole.REFERENCED if name in handlers else NameRole.DEFINED
            if path == ("frame", "struct") and name == struct:
                role = NameRole.TYPE
            out.append(ChosenName(name, role, format_path(path), self.src(path)))
        return tuple(out)

    def check_generated_names(
        self, prefix: str, frame: Frame, vectors: tuple[X86Vector, ...], symbols: list[tuple[str, Path]]
    ) -> None:
        """Report constants two names share after upper-casing, and spec symbols equal to a
        name the C header declares itself; ``symbols`` pairs each spec symbol with its key."""
        seen: dict[str, X86Vector] = {}
        for v in vectors:
            key = macro_spelling(v.name)
            first = seen.setdefault(key, v)
            if first is not v and first.name != v.name:
                path = self.vector_path(v)
                where = path + ("name",) if path + ("name",) in self.loc.values else path
                self.err(
                    where,
                    f"vector name {v.name!r} and {first.name!r} (vector {first.number}) both become the "
                    f"constant {macro_spelling(prefix)}VEC_{key}",
                )
        fields: dict[str, str] = {}
        for slot in frame.slots:
            key = macro_spelling(slot.name)
            other = fields.setdefault(key, slot.name)
            if other != slot.name:
                self.err(
                    ("frame", "layout"),
                    f"frame fields {other!r} and {slot.name!r} both become the constant "
                    f"{macro_spelling(prefix)}FRAME_OFFSET_{key}",
                )
        own = header_names(prefix)
        macro_prefixes = tuple(p for p in (macro_spelling(prefix), "ISRGEN_") if p)
        reported: set[str] = set()
        for name, path in symbols:
            if name in reported:
                continue  # a vector that inherits the default handler repeats it
            reported.add(name)
            if name in own:
                self.err(path, f"symbol {name!r} is {own[name]}")
            elif name in RUST_CONSTANTS or name.startswith("VEC_"):
                self.err(
                    path,
                    f"symbol {name!r} is spelled like the Rust module's constants (VEC_*, {RUST_CONSTANTS[0]}, ...)",
                )
            elif name == name.upper() and name.startswith(macro_prefixes):
                self.err(
                    path, f"symbol {name!r} is spelled like the C header's own macros ({', '.join(macro_prefixes)}...)"
                )
