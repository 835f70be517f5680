"""The interface the glue offers to C and Rust code, computed once per build.

Which generated symbols a kernel may name (the handler it must define, the exit
and halt routines, the common entries, the stubs, the vector table, and what the
ISA's glue adds: :meth:`isrgen.arch.isa.Isa.interface_functions` and
:meth:`~isrgen.arch.isa.Isa.interface_arrays`), what each takes and returns, and whether it may
be called at all: the C header and the Rust module both print these
declarations, each in its own syntax, from this one list, and the vector-number
constants, named once (``VEC_`` and the name as the resolver checks it for clashes).  A symbol the spec
keeps local (``symbols.visibility``) gets no declaration in either: nothing
outside the object can link to it.
"""

from __future__ import annotations

import enum

import attrs

from isrgen.model.names import macro_spelling
from isrgen.model.spec import EntryGroup, ExitFrame, ReturnModel, Spec, SymbolVisibility


class Role(enum.StrEnum):
    """What a declared symbol is."""

    HANDLER = "handler"
    EXIT = "exit"
    HALT = "halt"
    SYSCALL_ENTRY = "syscall_entry"
    ENTRY = "entry"
    STUB = "stub"
    TABLE = "table"
    GATES = "gates"
    #: the per-CPU GS bases a paranoid entry indexes by CPU number (the kernel fills it)
    PERCPU_OFFSETS = "percpu_offsets"


class Returns(enum.StrEnum):
    """What a function gives back."""

    NOTHING = "nothing"
    #: a pointer to the frame to resume
    FRAME = "frame"
    #: it never returns
    NEVER = "never"


class ParamKind(enum.StrEnum):
    """The type of a parameter, as both languages spell it."""

    #: a pointer to the frame struct
    FRAME_POINTER = "frame_pointer"
    #: the frame struct itself (the handler reads its fields off the stack)
    FRAME_VALUE = "frame_value"
    #: one machine word
    WORD = "word"
    #: a 64-bit value whatever the word size
    U64 = "u64"


@attrs.frozen
class Param:
    """One parameter of a declared function."""

    name: str
    kind: ParamKind


@attrs.frozen
class Function:
    """A generated or kernel-supplied function the other language sees."""

    role: Role
    name: str
    params: tuple[Param, ...] = ()
    returns: Returns = Returns.NOTHING
    #: False for code entered by a jump or a return with the stack at the frame, or by the
    #: CPU: declared only so its address can be taken, never called from C
    callable: bool = True


@attrs.frozen
class Array:
    """A generated per-vector data symbol: ``count`` (the vector count) entries, each an
    ``entry_bytes``-byte integer, or an array of ``inner`` bytes when ``inner`` is set;
    ``count`` 0 when the kernel decides the length."""

    role: Role
    name: str
    entry_bytes: int
    count: int
    writable: bool
    inner: int = 0


@attrs.frozen
class VectorConstant:
    """A vector's number as a named constant: ``VEC_<NAME>`` (the C header adds its macro prefix)."""

    name: str
    number: int


@attrs.frozen
class Interface:
    """Every declaration the C header and the Rust module print, in printing order."""

    functions: tuple[Function, ...]
    arrays: tuple[Array, ...]
    vectors: tuple[VectorConstant, ...] = ()

    def names(self) -> frozenset[str]:
        """Every declared symbol."""
        return frozenset(f.name for f in self.functions) | frozenset(a.name for a in self.arrays)


_RETURNS = {ReturnModel.VOID: Returns.NOTHING, ReturnModel.FRAME: Returns.FRAME, ReturnModel.NORETURN: Returns.NEVER}


def _handler(spec: Spec, name: str) -> Function:
    frame = ParamKind.FRAME_VALUE if spec.handler.frame_arg == "value" else ParamKind.FRAME_POINTER
    params = (Param("frame", frame), *(Param(arg, ParamKind.WORD) for arg in spec.handler.args[1:]))
    return Function(Role.HANDLER, name, params, _RETURNS[spec.handler.returns])


def _exit(spec: Spec) -> Function:
    if spec.entry.exit_frame is ExitFrame.STACK:  # entered with the stack pointer at the frame
        return Function(Role.EXIT, spec.symbols.exit, (), Returns.NEVER, callable=False)
    # the root is a word-size argument: a 64-bit one would take two cdecl stack slots on i386
    by_role = {"frame": Param("frame", ParamKind.FRAME_POINTER), "cr3": Param("page_table_root", ParamKind.WORD)}
    params = tuple(by_role[a] for a in spec.entry.exit_args)
    return Function(Role.EXIT, spec.symbols.exit, params, Returns.NEVER)


def build_interface(spec: Spec, groups: tuple[EntryGroup, ...]) -> Interface:
    """The declarations of ``spec``'s glue (``groups``: its common entries)."""
    vis = spec.symbols.visibility
    functions = [_handler(spec, h) for h in spec.handlers]
    if vis.exit is SymbolVisibility.GLOBAL:
        functions.append(_exit(spec))
    functions.append(Function(Role.HALT, spec.entry.halt, (), Returns.NEVER))
    functions += spec.isa.interface_functions(spec)
    if vis.entry is SymbolVisibility.GLOBAL:
        functions += [Function(Role.ENTRY, g.symbol, callable=False) for g in groups]
    if vis.stubs is SymbolVisibility.GLOBAL:
        functions += [Function(Role.STUB, v.stub_symbol, callable=False) for v in spec.vectors]
    arrays = []
    if vis.table is SymbolVisibility.GLOBAL:
        arrays.append(
            Array(Role.TABLE, spec.symbols.table, spec.table_width, spec.arch.vector_count, spec.table.writable)
        )
    arrays += spec.isa.interface_arrays(spec)
    vector_constants = tuple(VectorConstant(f"VEC_{macro_spelling(v.name)}", v.number) for v in spec.vectors)
    return Interface(tuple(functions), tuple(arrays), vector_constants)
