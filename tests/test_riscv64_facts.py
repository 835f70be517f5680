"""riscv64 facts against the manuals, the explicit li sequences executed under unicorn,
the CFI an unwinder sees, and deterministic output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

from conftest import require_module, require_tool, run
from hypothesis import example, given, settings
from hypothesis import strategies as st
from riscv64_tools import GNU_AS, SPECS, assemble, assembly, load

from isrgen.arch.riscv64 import facts
from isrgen.arch.riscv64.codegen import load_immediate
from isrgen.arch.riscv64.gas import render_gas
from isrgen.codegen.ir import Imm, Reg


def test_cause_codes_from_the_privileged_spec() -> None:
    # priv 4.1.9, table 4.2 (scause values after a trap)
    assert (facts.SSI, facts.STI, facts.SEI) == (1, 5, 9)
    assert facts.ECALL_FROM_U == 8 and facts.ECALL_FROM_S == 9
    assert facts.PAGE_FAULTS == (12, 13, 15)
    assert sorted(facts.EXCEPTIONS) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15]
    assert facts.CAUSE_INTERRUPT_BIT == 0x8000_0000_0000_0000


def test_tvec_modes() -> None:
    # priv 4.1.2: MODE 0 direct (all traps at BASE), 1 vectored (interrupts at BASE + 4 * cause)
    assert facts.tvec_value(0x8000_0100, facts.TvecMode.VECTORED) == 0x8000_0101
    assert facts.trap_target(0x8000_0100, facts.TvecMode.VECTORED, facts.CAUSE_INTERRUPT_BIT | 5) == 0x8000_0114
    assert facts.trap_target(0x8000_0100, facts.TvecMode.VECTORED, 13) == 0x8000_0100
    assert facts.trap_target(0x8000_0100, facts.TvecMode.DIRECT, facts.CAUSE_INTERRUPT_BIT | 9) == 0x8000_0100


def test_status_bits() -> None:
    # priv 4.1.1, figure 4.2 (sstatus)
    assert facts.SSTATUS_SIE == 0x2 and facts.SSTATUS_SPIE == 0x20 and facts.SSTATUS_SPP == 0x100
    assert facts.SSTATUS_SUM == 0x40000 and facts.SSTATUS_MXR == 0x80000
    assert facts.SSTATUS_FS == 0x6000 and facts.SSTATUS_VS == 0x600
    # priv 3.1.6, figure 3.6 (mstatus)
    assert facts.MSTATUS_MIE == 0x8 and facts.MSTATUS_MPIE == 0x80 and facts.MSTATUS_MPP == 0x1800


def test_abi_names_and_dwarf_numbers() -> None:
    # psABI "Integer Register Convention" and "DWARF Register Numbers"
    assert facts.ABI_NAMES[1:5] == ("ra", "sp", "gp", "tp")
    assert facts.ABI_NAMES[8] == "s0" and facts.ABI_NAMES[10] == "a0" and facts.ABI_NAMES[31] == "t6"
    assert facts.gpr_number("fp") == 8 and facts.gpr_number("x17") == 17
    assert facts.dwarf_number("t6") == 31 and facts.dwarf_number("f0") == 32 and facts.dwarf_number("f31") == 63
    assert len(facts.CALLER_SAVED) + len(facts.CALLEE_SAVED) + 2 == 31  # + gp, tp
    assert facts.STACK_ALIGN == 16


def test_csr_encodings(tmp_path: Path) -> None:
    """The CSR names the glue uses are the priv spec's addresses (table 2.2-2.5)."""
    require_tool("riscv64-linux-gnu-as")
    want = {
        "sstatus": 0x100,
        "stvec": 0x105,
        "sscratch": 0x140,
        "sepc": 0x141,
        "scause": 0x142,
        "stval": 0x143,
        "satp": 0x180,
        "mstatus": 0x300,
        "mtvec": 0x305,
        "mscratch": 0x340,
        "mepc": 0x341,
        "mcause": 0x342,
        "mtval": 0x343,
    }
    names = [
        n for csr in facts.CSRS.values() for n in (csr.status, csr.scratch, csr.epc, csr.cause, csr.tval, csr.tvec)
    ] + [facts.SATP]
    text = "".join(f"    csrr t0, {n}\n" for n in names)
    obj = assemble(text, tmp_path / "csr.o", GNU_AS)
    from elftools.elf.elffile import ELFFile

    with obj.open("rb") as f:
        text_section = ELFFile(f).get_section_by_name(".text")
        assert text_section is not None
        data = text_section.data()
    words = [int.from_bytes(data[i : i + 4], "little") for i in range(0, len(data), 4)]
    assert [w >> 20 for w in words] == [want[n] for n in names]


@settings(max_examples=25, derandomize=True, deadline=None)
@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
@example(0x7FFFF800)
@example(0x7FFFFFFF)
@example(0xFFFF_FFFF_8000_0000)
@example(0x8000_0000)
@example(0x3F_FFFF_E000)
@example(0xFFFF_FFFF_FFFF_F7FF)
@example(0x8000_0000_0000_0000)
def test_load_immediate_executes_to_the_value(value: int) -> None:
    require_module("unicorn")
    import unicorn
    from unicorn import riscv_const

    insns = load_immediate("a0", value)
    text = "".join(
        f"    {i.op} "
        + ", ".join(o.name if isinstance(o, Reg) else str(o.value) for o in i.operands if isinstance(o, Reg | Imm))
        + "\n"
        for i in insns
    )
    code = _assemble_text(text)
    uc: Any = cast(Any, unicorn).Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV64)
    uc.mem_map(0x10000, 0x1000)
    uc.mem_write(0x10000, code)
    uc.emu_start(0x10000, 0x10000 + len(code))
    assert uc.reg_read(riscv_const.UC_RISCV_REG_A0) == value
    assert len(insns) <= 8


_CACHE: dict[str, bytes] = {}


def _assemble_text(text: str) -> bytes:
    require_tool("riscv64-linux-gnu-as")
    if text not in _CACHE:
        proc = subprocess.run(
            ["llvm-mc", "-triple=riscv64", "-filetype=obj", "-o", "-", "-"],
            input=text.encode(),
            capture_output=True,
            check=True,
        )
        from io import BytesIO

        from elftools.elf.elffile import ELFFile

        section = ELFFile(BytesIO(proc.stdout)).get_section_by_name(".text")
        assert section is not None
        _CACHE[text] = section.data()
    return _CACHE[text]


def test_cfi_lets_an_unwinder_reach_the_trapped_code(tmp_path: Path) -> None:
    """Once the frame is built: CFA = sp (the frame), x1..x31 at their slots, and the psABI's
    alternate return column (64) at the sepc slot, so the unwound pc is the trapped pc."""
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-readelf")
    obj = assemble(assembly(load(SPECS[0])), tmp_path / "cfi.o", GNU_AS)
    out = run(["riscv64-linux-gnu-readelf", "-wF", str(obj)]).stdout
    assert "ra=64" in out  # the CIE's return column
    fde = out.split(" FDE ")[1]
    lines = [line.split() for line in fde.splitlines()[1:] if line.strip()]
    header = lines[0]
    last = [row for row in lines[1:] if len(row) == len(header)][-1]
    assert header[:3] == ["LOC", "CFA", "ra"]
    assert last[1] == "sp+0"
    # the default spec's layout: ra..t6 (x1..x31) at 0, 8, ..., 240, then sepc at 248
    assert last[2:] == [f"c+{8 * i}" for i in range(31)] + ["c+248"]


def test_output_is_deterministic() -> None:
    code = (
        "import sys; from isrgen.arch.riscv64.resolve import load_riscv64_spec;"
        "from isrgen.arch.riscv64.codegen import build_program;"
        "from isrgen.arch.riscv64.gas import render_gas;"
        "from isrgen.arch.riscv64.c_view import render_c_header;"
        "opts = [load_riscv64_spec(open(f).read(), f) for f in sys.argv[1:]];"
        "sys.stdout.write(''.join(render_gas(build_program(o)) + render_c_header(o) for o in opts))"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outputs.add(run([sys.executable, "-c", code, *map(str, SPECS)], env=env).stdout)
    assert len(outputs) == 1
    assert callable(render_gas)  # the module the subprocess uses
