"""The per-CPU IRQ stack: run an IRQ handler on it, nested interrupts staying on it.

A per-CPU counter (``irq_stack.depth_gs``, 0 when unused) says whether the CPU is
already on the IRQ stack: the entry moves rsp to the stack top (``irq_stack.top_gs``)
only when the counter is 0, and increments it; both happen with interrupts disabled
(the gate cleared IF; a trap-gate vector sets IF again only after this).  The
interrupted stack pointer (the frame) is pushed on the new stack, and the handler
returns to a ``pop rsp`` that leaves the IRQ stack *before* the counter is
decremented: an interrupt between the two arrives on the task stack and stays there.
This is the scheme of Linux's ``irq_count`` (arch/x86/entry/entry_64.S before 5.12),
counting from 0.  The pushed copies also let the CFI pass (:mod:`isrgen.arch.x86.cfi`)
describe the CFA while the handler runs: it reads the frame address from the stack.
"""

from __future__ import annotations

from isrgen.arch.x86.codegen.base import SP, insn
from isrgen.arch.x86.codegen.paranoid import ParanoidBuilder
from isrgen.codegen.ir import Imm, Item, Mem, Reg


class IrqStackBuilder(ParanoidBuilder):
    """Switching to the IRQ stack and back."""

    def enter_irq_stack(self) -> list[Item]:
        """rdi holds the frame (the stack pointer to come back to).  At the end rsp is
        16-byte aligned below two copies of it: aligned at the call (SysV ABI 3.2.2)."""
        irq = self.spec.irq_stack
        if irq is None:  # pragma: no cover - the loader gives irq_stack vectors a block
            return []
        depth = Mem(None, irq.depth_gs, 8, "gs")
        return [
            insn("cmp", depth, Imm(0)),
            insn("cmovz", Reg(SP), Mem(None, irq.top_gs, 8, "gs")),
            insn("add", depth, Imm(1)),
            insn("and", Reg(SP), Imm(-16)),
            insn("push", Reg("rdi")),
            insn("push", Reg("rdi")),
        ]

    def leave_irq_stack(self) -> list[Item]:
        """Back from the handler (rsp at the lower copy): the frame, then the counter."""
        irq = self.spec.irq_stack
        if irq is None:  # pragma: no cover
            return []
        return [insn("pop", Reg(SP)), insn("sub", Mem(None, irq.depth_gs, 8, "gs"), Imm(1))]
