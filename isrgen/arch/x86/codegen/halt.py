"""The halt routine: clear every register and halt forever."""

from __future__ import annotations

from isrgen.arch.x86.codegen.base import (
    insn,
    zero,
)
from isrgen.arch.x86.codegen.entry import EntryBuilder
from isrgen.codegen.ir import (
    Align,
    EndSymbol,
    Item,
    Label,
    Sym,
    Visibility,
)


class HaltBuilder(EntryBuilder):
    """The halt routine."""

    def halt(self) -> list[Item]:
        """Clear every general-purpose register and halt forever (the pre-panic cleanup)."""
        name = self.spec.entry.halt
        items: list[Item] = [Align(16), Label(name, Visibility.GLOBAL, "function")]
        items += self.endbr()
        items += [Label(self.halt_body), insn("cli")]
        items += [zero(r) for r in self.spec.arch.gprs]
        items += [Label(f"{name}_loop"), insn("hlt"), insn("jmp", Sym(f"{name}_loop")), EndSymbol(name)]
        return items
