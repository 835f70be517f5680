"""Paranoid entries (NMI, #MC, #DB, #DF): make the kernel GS base live without trusting CS.

Such a vector can arrive between a ring-3 entry and its swapgs (or between the exit's
swapgs and iretq), so the saved CS does not tell which GS base is live.  Two ways:

- ``msr_sign``: read IA32_GS_BASE and swapgs unless it is negative (a kernel base lies
  in the high half).  Sound only while ring 3 cannot load a negative GS base, i.e.
  while CR4.FSGSBASE is clear (SDM Vol. 2A RDFSBASE/RDGSBASE and Vol. 2C WRFSBASE/
  WRGSBASE raise #UD when it is).
- ``rdpid`` / ``rdtscp`` / ``lsl`` (Linux ``SAVE_AND_SET_GSBASE``, arch/x86/entry/
  calling.h): save the interrupted GS base with RDGSBASE, find this CPU's number, load
  its entry of the per-CPU offset table with WRGSBASE; the exit writes the saved base
  back unconditionally.  The GS base is written on every path, so no later load can
  use a mispredicted one: no swapgs decision, no lfence.
"""

from __future__ import annotations

from isrgen.arch.x86.codegen.base import MSR_GS_BASE, insn
from isrgen.arch.x86.codegen.exit import ExitBuilder
from isrgen.arch.x86.codegen.registers import PARANOID_FLAG_REGISTER, PARANOID_FLAG_REGISTER32
from isrgen.arch.x86.model import CPUNODE_CPU_MASK, ParanoidGsMethod, X86EntryGroup
from isrgen.arch.x86.operands import IndexedMem, SymbolMem
from isrgen.codegen.ir import Imm, Item, Label, Reg, Sym

#: the register that ends up holding the CPU number: RDTSCP returns IA32_TSC_AUX in ecx
#: (and the TSC in edx:eax, SDM Vol. 2B RDTSCP); the other methods use rax
_CPU_REGISTER = {ParanoidGsMethod.RDTSCP: ("rcx", "ecx")}
#: scratch for the table's address (saved in the frame, caller-saved in the SysV ABI)
_TABLE_REGISTER = "rdx"


class ParanoidBuilder(ExitBuilder):
    """The GS part of paranoid entries and of their exits."""

    def paranoid_entry(self, group: X86EntryGroup) -> list[Item]:
        """After the registers are saved: make the kernel GS base live.  rbx (callee-saved,
        so it survives the handler) keeps what the exit needs: the swapgs decision, or the
        interrupted GS base."""
        if self.spec.paranoid_gs.reads_gs_base:
            return self._set_gs_base()
        return [
            insn("mov", Reg("ecx"), Imm(MSR_GS_BASE)),
            insn("rdmsr"),
            insn("xor", Reg(PARANOID_FLAG_REGISTER32), Reg(PARANOID_FLAG_REGISTER32)),
            insn("test", Reg("edx"), Reg("edx")),
            insn("js", Sym(f"{group.symbol}_gs_done")),
            insn("swapgs"),
            insn("mov", Reg(PARANOID_FLAG_REGISTER32), Imm(1)),
            Label(f"{group.symbol}_gs_done"),
            insn("lfence"),
        ]

    def _set_gs_base(self) -> list[Item]:
        pg = self.spec.paranoid_gs
        cpu, cpu32 = _CPU_REGISTER.get(pg.method, ("rax", "eax"))
        # RDGSBASE r64: F3 REX.W 0F AE /1 (SDM Vol. 2B); needs CR4.FSGSBASE
        items: list[Item] = [insn("rdgsbase", Reg(PARANOID_FLAG_REGISTER))]
        if pg.method is ParanoidGsMethod.RDPID:
            # RDPID r64: IA32_TSC_AUX (SDM Vol. 2B RDPID); the kernel stores (node << 12) | cpu there
            items.append(insn("rdpid", Reg(cpu)))
        elif pg.method is ParanoidGsMethod.RDTSCP:
            # RDTSCP: edx:eax = TSC, ecx = IA32_TSC_AUX[31:0] (SDM Vol. 2B RDTSCP)
            items.append(insn("rdtscp"))
        else:
            # LSL: the byte-granular limit of the GDT descriptor, (node << 12) | cpu as Linux's
            # CPUNODE segment holds it (SDM Vol. 2A LSL; a DPL-3 data segment is readable at CPL 0)
            items += [insn("mov", Reg(cpu32), Imm(pg.cpunode_selector)), insn("lsl", Reg(cpu32), Reg(cpu32))]
        items += [
            insn("and", Reg(cpu32), Imm(CPUNODE_CPU_MASK)),  # the CPU number: bits 11:0
            insn("lea", Reg(_TABLE_REGISTER), SymbolMem(None, 0, 0, symbol=pg.offsets)),
            insn("mov", Reg("rax"), IndexedMem(_TABLE_REGISTER, 0, 8, index=cpu, scale=8)),
            # WRGSBASE r64: F3 REX.W 0F AE /3 (SDM Vol. 2C)
            insn("wrgsbase", Reg("rax")),
        ]
        return items

    def paranoid_exit(self, group: X86EntryGroup) -> list[Item]:
        """Undo :meth:`paranoid_entry` (interrupts are disabled: the gate cleared IF)."""
        if self.spec.paranoid_gs.reads_gs_base:
            # the interrupted GS base, whatever it was: no swapgs on this path
            return [insn("wrgsbase", Reg(PARANOID_FLAG_REGISTER))]
        return [
            insn("test", Reg(PARANOID_FLAG_REGISTER32), Reg(PARANOID_FLAG_REGISTER32)),
            insn("jz", Sym(f"{group.symbol}_no_swapgs")),
            insn("swapgs"),
            Label(f"{group.symbol}_no_swapgs"),
        ]
