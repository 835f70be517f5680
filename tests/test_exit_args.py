"""entry.exit_args: the exit routine's arguments by role, in calling-convention order.

``[cr3, frame]`` is a kernel's ``trapret(cr3, frame)``.  The registers come from the
ABIs, not from isrgen: SysV AMD64 passes the first two integer arguments in rdi and
rsi (SysV ABI 3.2.3); i386 cdecl passes them on the stack, the first at [esp + 4]
after the call pushed the return address.  Run under unicorn: CR3 must hold the
root afterwards (unchanged for 0) and the registers the hand-built frame's values.
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import SPECS, isrgen_cmd, load_x86, loads_x86, require_module, require_tool, run

import isrgen
from isrgen.arch.x86.model import X86Spec

ROOT_A = 0x0000_0000_0123_4000  # a page-aligned page-table root
EXAMPLE = SPECS / "examples" / "exit_cr3_first.yaml"

I386 = """\
isrgen: 1
arch: i386
handler: {symbol: isr_dispatch, convention: cdecl}
frame: {layout: [pushal, gs, fs, es, ds, vector, error_code]}
entry: {exit_args: [cr3, frame]}
vectors:
  - {range: [0, 31]}
"""


@functools.cache
def _x86_64(workdir: str) -> tuple[X86Spec, Any]:
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    spec = load_x86(EXAMPLE)
    out = Path(workdir) / "x86_64"
    obj = toolchain.assemble_gas(isrgen.build(spec, out, ["gas"])[0])
    return spec, emulate.Emulator(emulate.link_for_emulation([obj], out), table_symbol=spec.symbols.table)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_tool("as", "ld")
    require_module("unicorn")
    return str(tmp_path_factory.mktemp("exit_args"))


def _cr3(emu: Any) -> int:
    from unicorn import x86_const

    value: int = emu.uc.reg_read(x86_const.UC_X86_REG_CR3)
    return value


@pytest.mark.parametrize("root", [ROOT_A, 0])
def test_sysv_root_in_rdi_frame_in_rsi(workdir: str, root: int) -> None:
    from unicorn import x86_const

    from isrgen.arch.x86.emulation import long_mode as emulate

    spec, emu = _x86_64(workdir)
    layout = isrgen.compute_layout(spec)
    frame = emulate.DEFAULT_STACK_TOP - 0x1000
    values = {r: 0x5100 + i for i, r in enumerate(emulate.GPRS)}
    cpu = {"rip": emulate.MARKER_BASE, "cs": emulate.KERNEL_CS, "rflags": 0x2, "rsp": 0x7000_9000, "ss": 0x10}
    for f in layout.fields:
        emu.write_u64(frame + f.offset, cpu.get(f.role, values.get(f.role, 0)))
    before = 0x0000_0000_0042_0000
    emu.uc.reg_write(x86_const.UC_X86_REG_CR3, before)
    emu.uc.reg_write(x86_const.UC_X86_REG_RDI, root)
    emu.uc.reg_write(x86_const.UC_X86_REG_RSI, frame)
    back = emu.run(emu.image.symbols["trapret"], emulate.MARKER_BASE)
    assert back.resumed
    assert back.state.gprs == values
    assert back.state.rsp == 0x7000_9000
    assert _cr3(emu) == (root or before)


@pytest.mark.parametrize("root", [0x0012_3000, 0])
def test_cdecl_root_first_on_the_stack(tmp_path: Path, root: int) -> None:
    require_tool("as", "ld")
    require_module("unicorn")
    from unicorn import x86_const

    from isrgen.arch.x86.emulation import protected_mode as e32
    from isrgen.proof import toolchain

    spec = loads_x86(I386, "i386.yaml")
    obj = toolchain.assemble_gas(isrgen.build(spec, tmp_path, ["gas"])[0], tmp_path / "isr.o", bits=32)
    emu = e32.Emulator32(e32.link32([obj], tmp_path), table_symbol=spec.symbols.table)
    layout = isrgen.compute_layout(spec)
    frame = e32.DEFAULT_STACK_TOP - 0x800
    values = {r: 0x6100 + i for i, r in enumerate(e32.GPRS32)}
    cpu = {"eip": e32.MARKER_BASE, "cs": e32.KERNEL_CS, "eflags": 0x2, "ds": 0x10, "es": 0x10, "fs": 0x10, "gs": 0x10}
    for f in layout.fields:
        emu.write_u32(frame + f.offset, cpu.get(f.role, values.get(f.role, 0)))
    before = 0x0004_2000
    emu.uc.reg_write(x86_const.UC_X86_REG_CR3, before)
    # cdecl: the first argument at [esp + 4] (the root), the second at [esp + 8] (the frame)
    back = emu.call(emu.image.symbols[spec.symbols.exit], args=[root, frame], esp=frame - 0x40)
    assert back.resumed
    assert {r: back.state.gprs[r] for r in values if r != "esp"} == {r: v for r, v in values.items() if r != "esp"}
    assert _cr3(emu) == (root or before)


def test_headers_declare_the_order(tmp_path: Path) -> None:
    require_tool("gcc")
    spec = load_x86(EXAMPLE)
    isrgen.build(spec, tmp_path, ["c"])
    (tmp_path / "use.c").write_text(
        '#include "trapframe.h"\n'
        "void (*const check)(uint64_t, struct trapframe *) = trapret;\n"
        "void trap(struct trapframe *tf) { trapret(0x1000, tf); }\n"
    )
    run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-c", str(tmp_path / "use.c"), "-o", str(tmp_path / "u.o")])
    rust = isrgen.render_outputs(spec, ["rust"])[0].content
    assert "pub fn trapret(page_table_root: u64, frame: *mut Trapframe) -> !;" in rust


def test_prove_runs_the_exit_routine_with_the_root_first() -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    proc = run(isrgen_cmd("prove", str(EXAMPLE)))
    machine = next(line for line in proc.stdout.splitlines() if line.startswith("  machine code"))
    assert "exit_loads_cr3 x2" in machine and proc.stdout.splitlines()[-1] == "all properties hold"


@pytest.mark.parametrize(
    ("entry", "line", "col", "message"),
    [
        ("{exit_args: [cr3, frame], exit_loads_cr3: true}", 4, 34, "not both"),
        ("{exit_args: [cr3]}", 4, 20, "must include 'frame'"),
        ("{exit_args: [frame, frame]}", 4, 28, "listed twice"),
        ("{exit_args: [cr3, frame], exit_frame: stack}", 4, 9, "takes no arguments"),
        ("{exit_args: [frame, rip]}", 4, 28, ""),
    ],
)
def test_bad_exit_args_are_located(tmp_path: Path, entry: str, line: int, col: int, message: str) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        textwrap.dedent(f"""\
        isrgen: 1
        arch: x86_64
        handler: {{symbol: isr_dispatch}}
        entry: {entry}
        vectors:
          - {{range: [0, 31]}}
        """)
    )
    proc = run(isrgen_cmd("build", str(spec), "-o", str(tmp_path / "out")), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and not (tmp_path / "out").exists()
    head = f"{spec}:{line}:{col}: error: "
    assert any(ln.startswith(head) and message in ln for ln in proc.stderr.splitlines()), proc.stderr


def test_dump_loads_back_equal() -> None:
    from isrgen.arch.x86.dump import dump_spec

    spec = load_x86(EXAMPLE)
    assert isrgen.loads_spec(dump_spec(spec), "again.yaml") == spec


def test_prove_catches_arguments_taken_in_the_old_order() -> None:
    """The exit routine reading the frame from rdi (the [frame, cr3] order) must not pass."""
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    from isrgen.proof.prove import prove

    def transform(backend: str, out: str) -> str:
        assert "    mov rsp, rsi\n" in out
        return out.replace("    mov rsp, rsi\n", "    mov rsp, rdi\n", 1)

    report = prove(load_x86(EXAMPLE), ["gas"], transform=transform)
    assert not report.ok and any("trapret" in f for f in report.failures), report.failures[:3]
