"""mittos64's isr_common swaps GS on every entry from user mode and every exit to it:
the shipped mittos64 specs must do the same, so that user mode never runs on the
kernel GS base.  Executed under unicorn on the glue `as` assembled and `ld` linked.

Oracle (SDM Vol. 2B SWAPGS; Vol. 3A 6.14.2): SWAPGS exchanges IA32_GS_BASE with
IA32_KERNEL_GS_BASE; a ring-3 interrupt arrives with the user's GS base live, so the
handler must see the kernel's, and after the return to ring 3 the user's again.  A
ring-0 interrupt must leave the GS base alone.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from conftest import load_x86, require_module, require_tool

import isrgen
from isrgen.arch.x86.model import X86Spec

EXAMPLES = Path(__file__).resolve().parent.parent / "specs" / "examples"
SPECS = ("mittos64.yaml", "mittos64_compatible.yaml")
GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
USER_GS = 0x0000_7F00_1234_0000
KERNEL_GS = 0xFFFF_8000_0042_0000


@functools.cache
def _image(name: str, workdir: str) -> tuple[X86Spec, Any]:
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    spec = load_x86(EXAMPLES / name)
    out = Path(workdir) / name
    paths = isrgen.build(spec, out, ["gas"])
    obj = toolchain.assemble_gas(next(p for p in paths if p.suffix == ".S"))
    image = emulate.link_for_emulation([obj], out)
    return spec, emulate.Emulator(image, table_symbol=spec.symbols.table)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_tool("as", "ld")
    require_module("unicorn")
    return str(tmp_path_factory.mktemp("mittos64"))


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("vector", [3, 14, 32, 255])
def test_user_mode_never_runs_on_the_kernel_gs_base(workdir: str, name: str, vector: int) -> None:
    from isrgen.arch.x86.emulation import long_mode as emulate

    spec, emu = _image(name, workdir)
    regs = {r: 0x1111 * (i + 1) for i, r in enumerate(GPRS)}
    v = spec.vector(vector)
    assert v is not None
    stop = emu.interrupt(
        vector,
        regs=regs,
        cs=emulate.USER_CS,
        error_code=0x10 if v.error_code else None,
        gs_base=USER_GS,
        kernel_gs_base=KERNEL_GS,
        stack=emulate.DEFAULT_STACK_TOP,
    )
    assert stop.symbol == "int_handler"
    assert stop.state.gs_base == KERNEL_GS, "the handler runs on the user's GS base"
    back = emu.return_from_handler(return_value=stop.first_argument)
    assert back.resumed and back.state.cs == emulate.USER_CS
    assert back.state.gs_base == USER_GS, f"user mode resumed on GS base {back.state.gs_base:#x}"
    assert back.state.gprs == regs


@pytest.mark.parametrize("name", SPECS)
def test_a_kernel_mode_interrupt_keeps_the_gs_base(workdir: str, name: str) -> None:
    from isrgen.arch.x86.emulation import long_mode as emulate

    _, emu = _image(name, workdir)
    regs = dict.fromkeys(GPRS, 5)
    stop = emu.interrupt(32, regs=regs, cs=emulate.KERNEL_CS, gs_base=KERNEL_GS, kernel_gs_base=USER_GS)
    assert stop.state.gs_base == KERNEL_GS
    back = emu.return_from_handler(return_value=stop.first_argument)
    assert back.resumed and back.state.gs_base == KERNEL_GS and back.state.gprs == regs


@pytest.mark.parametrize("name", SPECS)
def test_isr_return_enters_user_mode_on_the_user_gs_base(workdir: str, name: str) -> None:
    """mittos64 starts a user thread by calling isr_return(frame) from C, with the kernel
    GS base live: the thread must start on the user's GS base."""
    from isrgen.arch.x86.emulation import long_mode as emulate

    spec, emu = _image(name, workdir)
    layout = isrgen.compute_layout(spec)
    frame = emulate.DEFAULT_STACK_TOP - 0x3000
    values = {r: 0x3000 + i for i, r in enumerate(GPRS)}
    cpu = {"rip": emulate.MARKER_BASE, "cs": emulate.USER_CS, "rflags": 0x202, "rsp": 0x7000_9000}
    cpu["ss"] = emulate.USER_SS
    for f in layout.fields:
        emu.write_u64(frame + f.offset, cpu.get(f.name, values.get(f.name, 0)))
    emu.set_gs_bases(gs_base=KERNEL_GS, kernel_gs_base=USER_GS)
    emu.uc.reg_write(emu._x.UC_X86_REG_RDI, frame)
    back = emu.run(emu.image.symbols[spec.symbols.exit], emulate.MARKER_BASE)
    assert back.resumed and back.state.cs == emulate.USER_CS and back.state.rsp == 0x7000_9000
    assert back.state.gs_base == USER_GS, f"the user thread starts on GS base {back.state.gs_base:#x}"
    assert back.state.gprs == values
