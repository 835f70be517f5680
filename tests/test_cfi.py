"""The generated CFI describes the stack at every instruction of the glue.

The glue is assembled and linked with the real tools; the ``.eh_frame`` that
GNU as produced is decoded with pyelftools; unicorn then runs a stub, the common
entry and the restore path instruction by instruction.  Before each instruction
the CFA rule must give the address just above the CPU-pushed frame, and every
register rule must find the interrupted value (in the frame, or still in the
register for ``same_value``).  At the handler, unwinding one call level (what
gdb does) must give the same answers at the call instruction, and the return
address must be found there.

An IRQ-stack entry moves rsp to another stack (or, nested, keeps it) with a
``cmovz`` the CFI cannot follow: there the CFA is a DWARF expression over the
copy of the frame address pushed on the IRQ stack.  The test evaluates it itself
(DWARF 5 section 2.5.1) on the emulated registers and memory, for a delivery with
the per-CPU counter at 0 (the handler runs on the IRQ stack) and one nested in a
handler that already runs there (counter 1, the CPU frame on the IRQ stack).
"""

from __future__ import annotations

import importlib
import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULT_SPEC, load_x86, loads_x86, require_module, require_tool, run
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

import isrgen

HANDLER = 0x9000
STACK_BASE = 0x7000_0000
STACK_TOP = STACK_BASE + 0x10000 - 0x100
DWARF_REGS = {
    0: "rax", 1: "rdx", 2: "rcx", 3: "rbx", 4: "rsi", 5: "rdi", 6: "rbp", 7: "rsp",
    **{n: f"r{n}" for n in range(8, 16)},
    16: "rip", 49: "rflags", 51: "cs", 52: "ss",
}  # fmt: skip
GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", *(f"r{n}" for n in range(8, 16)))
PERCPU = 0x5000_0000
IRQ_TOP_GS, IRQ_DEPTH_GS = 24, 32
IRQ_TOP = STACK_BASE + 0x4000
CPU = {"rip": 0xDEAD_0000, "cs": 0x8, "rflags": 0x202, "rsp": 0xBEEF_0000, "ss": 0x10}


#: DWARF 5 section 7.7.1: the operations a CFA expression here may use
DW_OP_BREG0, DW_OP_BREG31, DW_OP_DEREF, DW_OP_PLUS_UCONST = 0x70, 0x8F, 0x06, 0x23


def _link(spec: isrgen.Spec, work: Path, edit: Callable[[str], str] | None = None) -> Path:
    """Generate, (optionally damage,) assemble and link the glue at a fixed address."""
    require_tool("as", "ld")
    isrgen.build(spec, work, ["gas"])
    if edit is not None:
        (work / "isr.S").write_text(edit((work / "isr.S").read_text()))
    run(["as", "--64", "--fatal-warnings", "-o", str(work / "isr.o"), str(work / "isr.S")])
    elf = work / "isr.elf"
    handlers = {spec.handler.symbol} | {v.kernel_handler for v in spec.vectors if v.kernel_handler}
    run(["ld", "-static", "-e", "0", *(f"--defsym={h}={HANDLER:#x}" for h in sorted(handlers)), "-Ttext=0x401000"]
        + ["-o", str(elf), str(work / "isr.o")])  # fmt: skip
    return elf


def _leb128(data: list[int], pos: int, signed: bool) -> tuple[int, int]:
    """DWARF 5 section 7.6: the LEB128 number at ``data[pos]`` and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    if signed and byte & 0x40:
        value -= 1 << shift
    return value, pos


def _evaluate(expr: list[int], regs: dict[str, int], read64: Callable[[int], int]) -> int:
    """A DW_CFA_def_cfa_expression's value: the stack starts empty (DWARF 5 6.4.2.2)."""
    stack: list[int] = []
    pos = 0
    while pos < len(expr):
        op = expr[pos]
        pos += 1
        if DW_OP_BREG0 <= op <= DW_OP_BREG31:
            offset, pos = _leb128(expr, pos, signed=True)
            stack.append(regs[DWARF_REGS[op - DW_OP_BREG0]] + offset)
        elif op == DW_OP_DEREF:
            stack.append(read64(stack.pop()))
        elif op == DW_OP_PLUS_UCONST:
            addend, pos = _leb128(expr, pos, signed=False)
            stack.append(stack.pop() + addend)
        else:
            raise AssertionError(f"unexpected DWARF operation {op:#x} in {expr}")
    assert len(stack) == 1, expr
    return stack[0] & (2**64 - 1)


class _Cfi:
    """Decoded .eh_frame rows: (start, end, rows) per FDE."""

    def __init__(self, elf: Any):
        fdes = [e for e in elf.get_dwarf_info().EH_CFI_entries() if getattr(e, "cie", None) is not None]
        self.fdes = [
            (f["initial_location"], f["initial_location"] + f["address_range"], f.get_decoded().table) for f in fdes
        ]

    def row(self, pc: int) -> dict[Any, Any] | None:
        for start, end, rows in self.fdes:
            if start <= pc < end:
                return [r for r in rows if r["pc"] <= pc][-1]  # type: ignore[no-any-return]
        return None


class _Run:
    def __init__(self, path: Path):
        require_module("unicorn")
        unicorn: Any = importlib.import_module("unicorn")
        self.x: Any = importlib.import_module("unicorn.x86_const")
        with path.open("rb") as fh:
            elf = ELFFile(fh)
            self.cfi = _Cfi(elf)
            symtab = elf.get_section_by_name(".symtab")
            assert isinstance(symtab, SymbolTableSection)
            self.symbols = {s.name: s["st_value"] for s in symtab.iter_symbols()}
            self.uc: Any = unicorn.Uc(unicorn.UC_ARCH_X86, unicorn.UC_MODE_64)
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD":
                    continue
                base = seg["p_vaddr"] & ~0xFFF
                size = (seg["p_vaddr"] + seg["p_memsz"] - base + 0xFFF) & ~0xFFF
                self.uc.mem_map(base, size)
                self.uc.mem_write(seg["p_vaddr"], seg.data())
        self.uc.mem_map(STACK_BASE, 0x10000)
        self.uc.mem_map(HANDLER, 0x1000)
        # the kernel GS base: a per-CPU block with the IRQ stack's top and in-use counter
        # (irq_stack variants; interrupt() sets them)
        self.uc.mem_map(PERCPU, 0x1000)
        self.uc.msr_write(0xC0000101, PERCPU)
        self.uc.hook_add(unicorn.UC_HOOK_CODE, self._hook)
        self.checked = 0
        self.failures: list[str] = []
        #: rsp when the handler was entered (its return address on top)
        self.handler_rsp = 0

    def reg(self, name: str) -> int:
        return int(self.uc.reg_read(getattr(self.x, f"UC_X86_REG_{name.upper()}")))

    def read64(self, address: int) -> int:
        return int(struct.unpack("<Q", self.uc.mem_read(address, 8))[0])

    def _expect(self, pc: int, rsp: int, regs: dict[str, int], unwinds: bool = False) -> None:
        """The row at ``pc`` on the machine state (``rsp``, ``regs``, memory); with ``unwinds``
        also require the return address (the interrupted rip) to be found."""
        row = self.cfi.row(pc)
        if row is None:
            self.failures.append(f"{pc:#x}: no CFI")
            return
        rule_of_cfa = row["cfa"]
        if rule_of_cfa.expr is not None:
            cfa = _evaluate(list(rule_of_cfa.expr), {**regs, "rsp": rsp}, self.read64)
            how = f"expression {bytes(rule_of_cfa.expr).hex()}"
        else:
            base = rsp if rule_of_cfa.reg == 7 else regs[DWARF_REGS[rule_of_cfa.reg]]
            cfa = base + rule_of_cfa.offset
            how = f"register {rule_of_cfa.reg}"
        if cfa != STACK_TOP:
            self.failures.append(f"{pc:#x}: CFA {cfa:#x} ({how}), expected {STACK_TOP:#x}")
            return
        rip = next((k for k, v in DWARF_REGS.items() if v == "rip"))
        if unwinds and (rip not in row or row[rip].type != "OFFSET"):
            self.failures.append(f"{pc:#x}: no rule finds the interrupted rip")
        for num, rule in row.items():
            if num in ("pc", "cfa"):
                continue
            name = DWARF_REGS[num]
            want = CPU[name] if name in CPU else self.initial[name]
            if rule.type == "OFFSET":
                got = struct.unpack("<Q", self.uc.mem_read(cfa + rule.arg, 8))[0]
            elif rule.type == "SAME_VALUE":
                got = regs[name]
            else:
                continue
            if got != want:
                self.failures.append(f"{pc:#x}: {name} rule {rule.type} gives {got:#x}, expected {want:#x}")
        self.checked += 1

    def _hook(self, uc: Any, address: int, size: int, user: Any) -> None:
        if address == HANDLER:
            # What gdb does in the handler: one call level up, then the interrupt frame.  A
            # caller's row is looked up at its return address minus one, in the call itself
            # (DWARF 5 section 6.4.4); the row after the call must agree.
            ret = self.read64(self.reg("rsp"))
            regs = {r: self.reg(r) for r in GPRS}
            self.handler_rsp = self.reg("rsp")
            self._expect(ret - 1, self.reg("rsp") + 8, regs, unwinds=True)
            self._expect(ret, self.reg("rsp") + 8, regs, unwinds=True)
            uc.emu_stop()
            return
        if bytes(uc.mem_read(address, 2)) == b"\x48\xcf":  # iretq: the frame is about to be consumed
            self._expect(address, self.reg("rsp"), {r: self.reg(r) for r in GPRS})
            uc.emu_stop()
            return
        self._expect(address, self.reg("rsp"), {r: self.reg(r) for r in GPRS})

    def interrupt(self, spec: isrgen.Spec, vector: int, depth: int = 0) -> None:
        """Deliver ``vector``, run to the handler, return from it, run to ``iretq``; the
        per-CPU IRQ-stack counter is ``depth`` (1: the CPU frame lands on the IRQ stack,
        as for an interrupt of a handler running there)."""
        v = spec.vector(vector)
        assert v is not None
        # nested: the interrupted handler runs on the IRQ stack, whose top is above the frame
        top = STACK_BASE + 0x10000 if depth else IRQ_TOP
        self.uc.mem_write(PERCPU + IRQ_TOP_GS, struct.pack("<Q", top))
        self.uc.mem_write(PERCPU + IRQ_DEPTH_GS, struct.pack("<Q", depth))
        self.initial = {r: 0x1111 * (i + 1) for i, r in enumerate(GPRS)}
        for r, value in self.initial.items():
            self.uc.reg_write(getattr(self.x, f"UC_X86_REG_{r.upper()}"), value)
        # SDM Vol. 3A 6.14.2: ss, rsp, rflags, cs, rip, [error code], from the aligned top down.
        frame = [CPU["rip"], CPU["cs"], CPU["rflags"], CPU["rsp"], CPU["ss"]]
        if v.error_code:
            frame.insert(0, 0x77)
        rsp = STACK_TOP - 8 * len(frame)
        self.uc.mem_write(rsp, struct.pack(f"<{len(frame)}Q", *frame))
        self.uc.reg_write(self.x.UC_X86_REG_RSP, rsp)
        self.uc.emu_start(self.symbols[v.stub_symbol], 0, count=200)
        assert self.reg("rip") == HANDLER, "did not reach the handler"
        # Return from the handler (void, or returning the frame pointer in rax).
        frame_ptr = self.reg("rdi")
        ret = struct.unpack("<Q", self.uc.mem_read(self.reg("rsp"), 8))[0]
        self.uc.reg_write(self.x.UC_X86_REG_RSP, self.reg("rsp") + 8)
        self.uc.reg_write(self.x.UC_X86_REG_RAX, frame_ptr)
        self.uc.emu_start(ret, 0, count=200)


def _spec_variants() -> dict[str, str]:
    base = DEFAULT_SPEC.read_text()
    return {
        "default": base,
        "padded-frame-return": base.replace("rbx, rax,", "rbx, rax, pad,").replace("returns: void", "returns: frame"),
        "reordered": base.replace(
            "layout: [r15, r14, r13, r12, r11, r10, r9, r8,", "layout: [r8, r9, r10, r11, r12,"
        ).replace("rbp, rdi, rsi, rdx, rcx, rbx, rax,", "r13, r14, r15, rax, rbx, rcx, rdx, rsi, rdi, rbp,"),
        # the IRQ entry realigns rsp for an fxsave area: the CFA must follow r12 meanwhile
        "fxsave-irqs": base.replace("layout: [r15,", "layout: [simd_area, pad, r15,")
        + "\nclasses: {irq: {simd: fxsave}}\n",
        **_irq_stack_variants(),
    }


IRQ_STACK = f"entry: {{swapgs: true}}\nirq_stack: {{top_gs: {IRQ_TOP_GS}, depth_gs: {IRQ_DEPTH_GS}}}\n"


def _irq_stack_variants() -> dict[str, str]:
    base = DEFAULT_SPEC.read_text() + "\n" + IRQ_STACK
    return {
        # the IRQ entry moves to the IRQ stack after the fxsave: the CFA still follows r12
        "fxsave-irq-stack": base.replace("layout: [r15,", "layout: [simd_area, pad, r15,")
        + "classes: {irq: {simd: fxsave}}\n",
        # no SIMD area: rdi holds the frame across the switch, then its copy on the IRQ stack
        "irq-stack": base,
        "irq-stack-frame-return": base.replace("returns: void", "returns: frame"),
        # a trap gate under swapgs: a conditional sti between the switch and the call
        "irq-stack-trap-gate": base + "classes: {irq: {gate: trap}}\n",
        # a privilege split after the switch: the ring-0 call is reached by a jump
        "irq-stack-kernel-handler": base + "classes: {irq: {kernel_handler: t_kernel_irq}}\n",
    }


@pytest.mark.parametrize("variant", sorted(_spec_variants()))
def test_cfi_matches_the_stack_at_every_instruction(variant: str, tmp_path: Path) -> None:
    text = _spec_variants()[variant]
    assert variant == "default" or text != DEFAULT_SPEC.read_text()
    spec = loads_x86(text, f"{variant}.yaml")
    emu = _Run(_link(spec, tmp_path))
    for vector in (0, 14, 200):
        emu.interrupt(spec, vector)
    assert not emu.failures, "\n".join(emu.failures[:20])
    assert emu.checked > 3 * 30  # every stub, entry and restore instruction was looked at


@pytest.mark.parametrize("nested", [False, True], ids=["from-task-stack", "nested"])
@pytest.mark.parametrize("variant", sorted(_irq_stack_variants()))
def test_cfi_follows_the_switch_to_the_irq_stack(variant: str, nested: bool, tmp_path: Path) -> None:
    """At the call into the handler on the IRQ stack (and at every instruction before and
    after it) the CFA is the address above the CPU-pushed frame, SDM Vol. 3A 6.14.2."""
    spec = loads_x86(_irq_stack_variants()[variant], f"{variant}.yaml")
    emu = _Run(_link(spec, tmp_path))
    for vector in (32, 200):
        emu.interrupt(spec, vector, depth=1 if nested else 0)
        if nested:  # the counter said "on the IRQ stack already": the handler stays below the frame
            assert STACK_TOP - 0x1000 < emu.handler_rsp < STACK_TOP - 40, hex(emu.handler_rsp)
        else:  # the handler runs on the IRQ stack, below its top
            assert IRQ_TOP - 0x100 < emu.handler_rsp < IRQ_TOP, hex(emu.handler_rsp)
    assert not emu.failures, "\n".join(emu.failures[:20])
    assert emu.checked > 2 * 30


def test_cfi_check_catches_a_wrong_irq_stack_expression(tmp_path: Path) -> None:
    """Control: the CFA expression's frame offset one word off is detected at the call."""
    spec = loads_x86(_irq_stack_variants()["irq-stack"], "irq-stack.yaml")

    def damage(text: str) -> str:
        # DW_OP_plus_uconst 176 (0xb0 0x01, the frame's size) -> 184
        assert ".cfi_escape 0x0f, 0x06, 0x77, 0x08, 0x06, 0x23, 0xb0, 0x01" in text
        return text.replace("0x06, 0x23, 0xb0, 0x01", "0x06, 0x23, 0xb8, 0x01")

    emu = _Run(_link(spec, tmp_path, damage))
    emu.interrupt(spec, 32)
    assert any(re.search(r"CFA 0x7000ff08 \(expression 77..0623b801\), expected 0x7000ff00", f)
               for f in emu.failures), emu.failures  # fmt: skip


def test_cfi_check_catches_a_wrong_offset(tmp_path: Path) -> None:
    """Control: one damaged directive in the assembly is detected."""
    spec = load_x86(DEFAULT_SPEC)

    def damage(text: str) -> str:
        assert ".cfi_offset rbx, -72" in text
        return text.replace(".cfi_offset rbx, -72", ".cfi_offset rbx, -80", 1)  # the one after `push rbx`

    emu = _Run(_link(spec, tmp_path, damage))
    emu.interrupt(spec, 14)
    assert any("rbx rule OFFSET gives" in f for f in emu.failures), emu.failures


def test_cfi_can_go_to_debug_frame(tmp_path: Path) -> None:
    """Kernels that discard .eh_frame in their linker script ask for .debug_frame."""
    require_tool("as")
    from isrgen.proof import toolchain

    text = DEFAULT_SPEC.read_text() + "\ndebug: {cfi_sections: debug_frame}\n"
    spec = loads_x86(text, "dbg.yaml")
    (source,) = isrgen.build(spec, tmp_path, ["gas"])
    with toolchain.assemble_gas(source).open("rb") as fh:
        names = {s.name for s in ELFFile(fh).iter_sections()}
    assert ".debug_frame" in names and ".eh_frame" not in names
