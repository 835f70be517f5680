"""frame_pointer slots with dense stubs: the 8-byte stub only pushes the vector; the
common entry moves the error code down and stores the interrupted rbp right below the
CPU-pushed rip, then points rbp at it.

The oracle is the frame-pointer chain a call leaves (SysV ABI 3.2.2): [rbp] holds the
caller's rbp, [rbp + 8] the return address.  At the handler, rbp must point at such a
pair holding the interrupted rbp and rip; the CPU's error code (SDM Vol. 3A 6.13) and
the vector must be in their slots, and the stubs 8 bytes apart.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from conftest import SPECS, isrgen_cmd, load_x86, loads_x86, require_module, require_tool, run

import isrgen
from isrgen.arch.x86.model import X86Spec

EXAMPLE = SPECS / "examples" / "dense_frame_pointer.yaml"


@functools.cache
def _glue(workdir: str, backend: str) -> tuple[X86Spec, Any]:
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    spec = load_x86(EXAMPLE)
    out = Path(workdir) / backend
    path = isrgen.build(spec, out, [backend])[0]
    obj = toolchain.assemble_gas(path) if backend == "gas" else toolchain.assemble_nasm(path, out / "isr.o")
    return spec, emulate.Emulator(emulate.link_for_emulation([obj], out), table_symbol=spec.symbols.table)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_tool("as", "ld", "nasm")
    require_module("unicorn")
    return str(tmp_path_factory.mktemp("fp"))


CASES = [(14, 0x1B), (8, 0), (3, None), (32, None), (200, None), (255, None)]  # (vector, CPU error code)


@pytest.mark.parametrize("backend", ["gas", "nasm"])
@pytest.mark.parametrize(("vector", "error_code"), CASES)
def test_rbp_links_to_the_interrupted_rbp_and_rip(
    workdir: str, backend: str, vector: int, error_code: int | None
) -> None:
    from isrgen.arch.x86.emulation import long_mode as emulate

    spec, emu = _glue(workdir, backend)
    layout = isrgen.compute_layout(spec)
    regs = {r: 0x7100 + i for i, r in enumerate(emulate.GPRS)}
    regs["rbp"] = 0x0000_7FFF_FFFF_E000  # the interrupted code's own frame pointer
    for ring, cs in ((0, emulate.KERNEL_CS), (3, emulate.USER_CS)):
        stop = emu.interrupt(
            vector,
            regs=regs,
            cs=cs,
            rsp=emulate.DEFAULT_STACK_TOP - 0x2000,
            error_code=error_code,
            stack=emulate.DEFAULT_STACK_TOP if ring == 3 else None,
        )
        assert stop.symbol == "fp_dispatch" and stop.call_aligned
        frame = stop.first_argument
        rbp = stop.state.gprs["rbp"]
        assert rbp == frame + layout.offset("frame_pointer")
        assert stop.u64(rbp) == regs["rbp"]
        assert stop.u64(rbp + 8) == emulate.MARKER_BASE  # the interrupted rip
        assert stop.u64(frame + layout.offset("rbp")) == regs["rbp"]
        assert stop.u64(frame + layout.offset("vector")) == vector
        assert stop.u64(frame + layout.offset("error_code")) == (0 if error_code is None else error_code)
        assert stop.u64(frame + layout.offset("cs")) == cs
        back = emu.return_from_handler()
        assert back.resumed and back.state.gprs == regs and back.state.cs == cs


def test_stubs_keep_the_8_byte_stride(workdir: str) -> None:
    _, emu = _glue(workdir, "gas")
    assert [emu.stub_address(n) - emu.stub_address(0) for n in (1, 14, 255)] == [8, 14 * 8, 255 * 8]


def test_prove_accepts_the_example() -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    proc = run(isrgen_cmd("prove", str(EXAMPLE)))
    machine = next(line for line in proc.stdout.splitlines() if line.startswith("  machine code"))
    assert "frame_pointer x512" in machine and "dense stride" in machine
    assert proc.stdout.splitlines()[-1] == "all properties hold"


@pytest.mark.parametrize(("vector", "error_code"), [(13, 0x10), (3, None), (200, None)])
def test_i386_dense_stubs_link_ebp(tmp_path: Path, vector: int, error_code: int | None) -> None:
    """Pintos' frame with dense stubs: [ebp] = the interrupted ebp, [ebp + 4] = eip."""
    require_tool("as", "ld")
    require_module("unicorn")
    from isrgen.arch.x86.emulation import protected_mode as e32
    from isrgen.proof import toolchain

    text = (SPECS / "examples" / "pintos_intr_frame.yaml").read_text()
    spec = loads_x86(text.replace("  style: classic ", "  style: dense   "), "pintos_dense.yaml")
    obj = toolchain.assemble_gas(isrgen.build(spec, tmp_path, ["gas"])[0], tmp_path / "isr.o", bits=32)
    emu = e32.Emulator32(e32.link32([obj], tmp_path), table_symbol=spec.symbols.table)
    layout = isrgen.compute_layout(spec)
    regs = {r: 0x5100 + i for i, r in enumerate(e32.GPRS32) if r != "esp"}
    regs["ebp"] = 0x7000_1230
    stop = emu.interrupt(vector, regs=regs, error_code=error_code)
    assert stop.symbol == spec.handler.symbol
    frame = stop.first_argument
    ebp = stop.state.gprs["ebp"]
    assert ebp == frame + layout.offset("frame_pointer")
    assert (stop.u32(ebp), stop.u32(ebp + 4)) == (0x7000_1230, e32.MARKER_BASE)
    assert stop.u32(frame + layout.offset("vector")) == vector
    assert stop.u32(frame + layout.offset("error_code")) == (error_code or 0)
    assert emu.stub_address(1) - emu.stub_address(0) == 8
