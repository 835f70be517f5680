"""The riscv64 additions to the shared assembly IR (:mod:`isrgen.codegen.ir`).

RISC-V code needs assembler options (``.option norvc`` for fixed-size slots,
``.option norelax`` around the gp reload); the rest is the shared IR.
"""

from __future__ import annotations

import attrs

from ...codegen.ir import Item, SectionKind


@attrs.frozen
class AsmOption:
    """``.option <name>``: push, pop, norvc, rvc, norelax, relax."""

    name: str


RvItem = Item | AsmOption


@attrs.frozen
class RvSection:
    """A section and its items."""

    name: str
    kind: SectionKind
    align: int
    items: tuple[RvItem, ...]


@attrs.frozen
class RvProgram:
    """A whole generated riscv64 assembly file."""

    sections: tuple[RvSection, ...]
    externs: tuple[str, ...]
    #: symbols referenced weakly: an undefined one resolves to 0 instead of failing the link
    weak: tuple[str, ...] = ()
