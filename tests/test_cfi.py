"""The generated CFI describes the stack at every instruction of the glue.

The glue is assembled and linked with the real tools; the ``.eh_frame`` that
GNU as produced is decoded with pyelftools; unicorn then runs a stub, the common
entry and the restore path instruction by instruction.  Before each instruction
the CFA rule must give the address just above the CPU-pushed frame, and every
register rule must find the interrupted value (in the frame, or still in the
register for ``same_value``).  At the handler, unwinding one call level (what
gdb does) must give the same answers.
"""

from __future__ import annotations

import importlib
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
CPU = {"rip": 0xDEAD_0000, "cs": 0x8, "rflags": 0x202, "rsp": 0xBEEF_0000, "ss": 0x10}


def _link(spec: isrgen.Spec, work: Path, edit: Callable[[str], str] | None = None) -> Path:
    """Generate, (optionally damage,) assemble and link the glue at a fixed address."""
    require_tool("as", "ld")
    isrgen.build(spec, work, ["gas"])
    if edit is not None:
        (work / "isr.S").write_text(edit((work / "isr.S").read_text()))
    run(["as", "--64", "--fatal-warnings", "-o", str(work / "isr.o"), str(work / "isr.S")])
    elf = work / "isr.elf"
    run(["ld", "-static", "-e", "0", f"--defsym={spec.handler.symbol}={HANDLER:#x}", "-Ttext=0x401000"]
        + ["-o", str(elf), str(work / "isr.o")])  # fmt: skip
    return elf


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
        # the kernel GS base: a per-CPU block whose IRQ stack (irq_stack variants) lies
        # below the interrupt frames, with its in-use counter at 0
        self.uc.mem_map(PERCPU, 0x1000)
        self.uc.mem_write(PERCPU + IRQ_TOP_GS, struct.pack("<Q", STACK_BASE + 0x4000))
        self.uc.msr_write(0xC0000101, PERCPU)
        self.uc.hook_add(unicorn.UC_HOOK_CODE, self._hook)
        self.checked = 0
        self.failures: list[str] = []

    def reg(self, name: str) -> int:
        return int(self.uc.reg_read(getattr(self.x, f"UC_X86_REG_{name.upper()}")))

    def _expect(self, pc: int, rsp: int, regs: dict[str, int]) -> None:
        row = self.cfi.row(pc)
        if row is None:
            self.failures.append(f"{pc:#x}: no CFI")
            return
        base = rsp if row["cfa"].reg == 7 else regs[DWARF_REGS[row["cfa"].reg]]
        cfa = base + row["cfa"].offset
        if cfa != STACK_TOP:
            self.failures.append(f"{pc:#x}: CFA {cfa:#x} (register {row['cfa'].reg}), expected {STACK_TOP:#x}")
            return
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
            # What gdb does in the handler: one call level up, then the interrupt frame.
            ret = struct.unpack("<Q", uc.mem_read(self.reg("rsp"), 8))[0]
            self._expect(ret, self.reg("rsp") + 8, {r: self.reg(r) for r in GPRS})
            uc.emu_stop()
            return
        if bytes(uc.mem_read(address, 2)) == b"\x48\xcf":  # iretq: the frame is about to be consumed
            self._expect(address, self.reg("rsp"), {r: self.reg(r) for r in GPRS})
            uc.emu_stop()
            return
        self._expect(address, self.reg("rsp"), {r: self.reg(r) for r in GPRS})

    def interrupt(self, spec: isrgen.Spec, vector: int) -> None:
        """Deliver ``vector``, run to the handler, return from it, run to ``iretq``."""
        v = spec.vector(vector)
        assert v is not None
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
        # ... and moves to the IRQ stack after the save: the CFA still follows r12
        "fxsave-irq-stack": base.replace("layout: [r15,", "layout: [simd_area, pad, r15,")
        + "\nclasses: {irq: {simd: fxsave}}\nentry: {swapgs: true}\n"
        + f"irq_stack: {{top_gs: {IRQ_TOP_GS}, depth_gs: {IRQ_DEPTH_GS}}}\n",
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
