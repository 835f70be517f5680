"""The data tables: stub addresses per vector and ``[type_attr, ist]`` per IDT gate."""

from __future__ import annotations

from isrgen.arch.x86.codegen.base import (
    VISIBILITY,
)
from isrgen.arch.x86.gates import type_attr
from isrgen.arch.x86.model import X86Spec
from isrgen.codegen.ir import (
    Align,
    Data,
    EndSymbol,
    Item,
    Label,
)


def tables(spec: X86Spec) -> list[Item]:
    """The vector table (one stub address per vector) and the gate attributes the IDT initialiser reads."""
    vis = VISIBILITY[spec.symbols.visibility.table]
    items: list[Item] = [Align(spec.table_align, 0), Label(spec.symbols.table, vis, "object")]
    for n in range(spec.arch.vector_count):
        v = spec.vector(n)
        items.append(Data(spec.table_width, v.stub_symbol if v else 0))
    items.append(EndSymbol(spec.symbols.table))
    # [type_attr, ist] per vector for the IDT initialiser; type_attr 0 = not present.
    items.append(Label(spec.symbols.gates, vis, "object"))
    for n in range(spec.arch.vector_count):
        v = spec.vector(n)
        items.append(Data(1, type_attr(spec, v) if v else 0))
        items.append(Data(1, (v.ist or 0) if v else 0))
    items.append(EndSymbol(spec.symbols.gates))
    return items
