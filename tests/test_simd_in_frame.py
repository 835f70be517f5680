"""The SIMD save area inside a 64-byte aligned frame (``{simd_state: N}`` + ``frame_shift``).

Oracles from the manuals: XSAVE needs a 64-byte aligned area (SDM Vol. 1 13.4) and
stores XMMi at byte 160 + 16*i of its legacy region, as FXSAVE does (Vol. 1 table
10-2); the CPU aligns its own frame to 16 only (Vol. 3A 6.14.2), so the entry must
move the frame by 0, 16, 32 or 48 bytes.  Under unicorn the handler finds its frame
64-byte aligned with the interrupted XMM registers in the area, scribbles over the
XMM registers, and after iretq every XMM and general register is the interrupted one.
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

EXAMPLE = SPECS / "examples" / "simd_in_frame.yaml"
XMM0 = 160  # FXSAVE/XSAVE legacy region: XMM0 at byte 160, 16 bytes each

#: The example's frame, written out by hand from its layout: the SIMD area first (576 bytes
#: for XSAVE with mask 0x3: the 512-byte legacy region and the 64-byte XSAVE header, SDM
#: Vol. 1 13.4; 512 for FXSAVE, table 10-2), frame_shift and pad (8 each), r15 .. rax
#: (15 x 8), vector, error_code, then the CPU's IA-32e frame, lowest address first RIP,
#: CS, RFLAGS, RSP, SS (SDM Vol. 3A 6.14.2, Figure 6-9).  xsave: 576 + 8 + 8 + 120 + 16 +
#: 40 = 768 bytes; fxsave: 64 less.
FRAME = {
    "xsave": {"simd_state": 0, "frame_shift": 576, "rax": 704, "vector": 712, "error_code": 720, "rip": 728,
              "cs": 736, "rflags": 744, "rsp": 752, "ss": 760, "size": 768},
    "fxsave": {"simd_state": 0, "frame_shift": 512, "rax": 640, "vector": 648, "error_code": 656, "rip": 664,
               "cs": 672, "rflags": 680, "rsp": 688, "ss": 696, "size": 704},
}  # fmt: skip


@functools.cache
def _glue(workdir: str, policy: str) -> tuple[X86Spec, Any]:
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    text = EXAMPLE.read_text()
    if policy == "fxsave":
        text = text.replace("{simd: xsave}", "{simd: fxsave}").replace("{simd_state: 576}", "{simd_state: 512}")
    spec = loads_x86(text, f"{policy}.yaml")
    out = Path(workdir) / policy
    obj = toolchain.assemble_gas(isrgen.build(spec, out, ["gas"])[0])
    emu = emulate.Emulator(emulate.link_for_emulation([obj], out), table_symbol=spec.symbols.table)
    emu.enable_simd(0x3)
    return spec, emu


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_tool("as", "ld")
    require_module("unicorn")
    return str(tmp_path_factory.mktemp("simd"))


@pytest.mark.parametrize("policy", ["xsave", "fxsave"])
@pytest.mark.parametrize("below", [0x00, 0x10, 0x20, 0x30])
@pytest.mark.parametrize("ring", [0, 3])
def test_aligned_frame_holds_and_restores_xmm(workdir: str, policy: str, below: int, ring: int) -> None:
    from isrgen.arch.x86.emulation import long_mode as emulate

    _, emu = _glue(workdir, policy)
    at = FRAME[policy]
    xmm = [(0x0123_4567_89AB_CDEF << 64 | 0xFEDC_BA98_7654_3210) ^ (i * 0x1111) for i in range(16)]
    for i, value in enumerate(xmm):
        emu.set_xmm(i, value)
    regs = {r: 0x3300 + i for i, r in enumerate(emulate.GPRS)}
    top = emulate.DEFAULT_STACK_TOP - 0x1000 - below  # where the CPU pushes its frame (16-aligned)
    stop = emu.interrupt(
        40 if ring == 0 else 14, regs=regs, cs=emulate.KERNEL_CS if ring == 0 else emulate.USER_CS,
        rsp=top if ring == 0 else 0x1000, stack=top, error_code=None if ring == 0 else 0x6,
    )  # fmt: skip
    assert stop.symbol == "isr_dispatch" and stop.call_aligned
    frame = stop.first_argument
    assert frame % 64 == 0
    shift = stop.u64(frame + at["frame_shift"])
    assert frame + at["size"] + shift == top and shift in (0, 16, 32, 48)
    area = frame + at["simd_state"]
    assert [int.from_bytes(emu.read(area + XMM0 + 16 * i, 16), "little") for i in range(16)] == xmm
    # the saved registers and the copy of the CPU frame are where the struct says
    assert stop.u64(frame + at["rax"]) == regs["rax"]
    assert stop.u64(frame + at["vector"]) == (40 if ring == 0 else 14)
    assert stop.u64(frame + at["error_code"]) == (0 if ring == 0 else 0x6)
    assert stop.u64(frame + at["rip"]) == emulate.MARKER_BASE
    assert stop.u64(frame + at["cs"]) == (emulate.KERNEL_CS if ring == 0 else emulate.USER_CS)
    assert stop.u64(frame + at["rsp"]) == (top if ring == 0 else 0x1000)
    assert stop.u64(frame + at["ss"]) == (emulate.KERNEL_SS if ring == 0 else emulate.USER_SS)
    for i in range(16):
        emu.set_xmm(i, 0xBAD0 + i)  # the handler uses SSE
    back = emu.return_from_handler(clobber={"rax": 1, "rcx": 2, "rdx": 3, "rsi": 4, "rdi": 5})
    assert back.resumed and back.state.gprs == regs
    assert back.state.rsp == (top if ring == 0 else 0x1000)
    assert [emu.xmm(i) for i in range(16)] == xmm


def test_the_exit_restores_what_the_area_holds(workdir: str) -> None:
    """XMM5 written into the frame's area by the handler is what the interrupted code gets."""
    from isrgen.arch.x86.emulation import long_mode as emulate

    _, emu = _glue(workdir, "xsave")
    stop = emu.interrupt(33, rsp=emulate.DEFAULT_STACK_TOP - 0x2000)
    area = stop.first_argument + FRAME["xsave"]["simd_state"]
    emu.write(area + XMM0 + 16 * 5, (0x5555_AAAA_5555_AAAA_1234_5678_9ABC_DEF0).to_bytes(16, "little"))
    assert emu.return_from_handler().resumed
    assert emu.xmm(5) == 0x5555_AAAA_5555_AAAA_1234_5678_9ABC_DEF0


def test_c_and_cxx_structs_are_64_byte_aligned(tmp_path: Path) -> None:
    require_tool("gcc", "g++")
    isrgen.build(load_x86(EXAMPLE), tmp_path, ["c"])
    (tmp_path / "c.c").write_text(
        textwrap.dedent("""\
        #include <stdalign.h>
        #include "isr.h"
        struct kernel_frame {
            _Alignas(64) uint8_t simd_state[576];
            uint64_t frame_shift, pad, regs[15], vector, error_code, rip, cs, rflags, rsp, ss;
        };
        _Static_assert(alignof(struct isr_frame) == 64, "aligned");
        _Static_assert(sizeof(struct isr_frame) == sizeof(struct kernel_frame) && sizeof(struct isr_frame) == 768, "");
        _Static_assert(offsetof(struct isr_frame, simd_state) % 64 == 0, "area");
        _Static_assert(offsetof(struct isr_frame, frame_shift) == offsetof(struct kernel_frame, frame_shift), "");
        _Static_assert(offsetof(struct isr_frame, rip) == offsetof(struct kernel_frame, rip), "rip");
        _Static_assert(offsetof(struct isr_frame, ss) == 768 - 8, "ss");
        """)
    )
    run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-c", str(tmp_path / "c.c"), "-o", str(tmp_path / "c.o")])
    (tmp_path / "x.cc").write_text('#include "isr.h"\nstatic_assert(alignof(isr_frame) == 64, "aligned");\n')
    run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-c", str(tmp_path / "x.cc"), "-o", str(tmp_path / "x.o")])


def test_rust_struct_is_64_byte_aligned(tmp_path: Path) -> None:
    require_tool("rustc")
    isrgen.build(load_x86(EXAMPLE), tmp_path, ["rust"])
    (tmp_path / "check.rs").write_text(
        '#![no_std]\n#[path = "isr.rs"]\nmod isr;\n'
        "const _: () = assert!(core::mem::align_of::<isr::IsrFrame>() == 64);\n"
        "const _: () = assert!(core::mem::size_of::<isr::IsrFrame>() == 768);\n"
        "const _: () = assert!(core::mem::offset_of!(isr::IsrFrame, simd_state) % 64 == 0);\n"
    )
    import os

    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    run(["rustc", "--edition=2021", "--crate-type=lib", "--emit=obj", "-D", "warnings", "-o", str(tmp_path / "c.o"),
         str(tmp_path / "check.rs")], env=env)  # fmt: skip


def test_prove_accepts_the_example() -> None:
    require_tool("as", "ld", "gcc", "rustc")
    require_module("unicorn")
    proc = run(isrgen_cmd("prove", str(EXAMPLE)))
    assert "simd xsave in the frame x512" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "all properties hold", proc.stdout + proc.stderr


def test_dump_loads_back_equal() -> None:
    from isrgen.arch.x86.dump import dump_spec

    spec = load_x86(EXAMPLE)
    assert isrgen.loads_spec(dump_spec(spec), "again.yaml") == spec


REGS = "r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code"


@pytest.mark.parametrize(
    ("layout", "extra", "message"),
    [
        (f"[frame_shift, {{simd_state: 576}}, pad, {REGS}]", "", "must be the first slot"),
        (f"[{{simd_state: 576}}, pad, pad, {REGS}]", "", "needs a 'frame_shift' slot"),
        (f"[{{simd_state: 576}}, frame_shift, {REGS}]", "", "add {pad: 8}"),
        (f"[{{simd_state: 500}}, frame_shift, pad, {REGS}]", "", "a multiple of 64 and at least 512"),
        (f"[{{simd_state: 576}}, frame_shift, pad, {REGS}]", "  - {vector: 40, simd: none}\n", "vector 40 does not"),
        (f"[{{simd_state: 512}}, frame_shift, pad, {REGS}]", "", "XSAVE with mask 0x3 needs 576"),
    ],
)
def test_bad_inline_layouts(layout: str, extra: str, message: str) -> None:
    text = f"""\
isrgen: 1
arch: x86_64
handler: {{symbol: h}}
classes: {{exception: {{simd: xsave}}, irq: {{simd: xsave}}}}
frame:
  layout: {layout}
vectors:
  - {{range: [0, 31]}}
{extra}"""
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "bad.yaml")
    found = [(d.source.line, d.message) for d in info.value.diagnostics]
    assert any(message in m and line > 0 for line, m in found), found


def test_stale_stack_bytes_do_not_reach_xrstor(tmp_path: Path) -> None:
    """XSAVE leaves XSTATE_BV bits of components outside its mask as memory had them, and
    XRSTOR faults on a bit outside XCR0 (SDM Vol. 1 13.7, 13.8.1): an area carved from a
    stack full of old data (here all ones) must still restore.  Both placements."""
    require_tool("as", "ld")
    require_module("unicorn")
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    below = (
        "isrgen: 1\narch: x86_64\nhandler: {symbol: isr_dispatch}\nsimd: {xsave_mask: 0x3}\n"
        "classes: {irq: {simd: xsave}}\nvectors: [{range: [0, 31]}, {range: [32, 47], class: irq}]\n"
    )
    for name, text in (("below", below), ("inline", EXAMPLE.read_text())):
        spec = loads_x86(text, f"{name}.yaml")
        out = tmp_path / name
        obj = toolchain.assemble_gas(isrgen.build(spec, out, ["gas"])[0])
        emu = emulate.Emulator(emulate.link_for_emulation([obj], out), table_symbol=spec.symbols.table)
        emu.enable_simd(0x3)
        top = emulate.DEFAULT_STACK_TOP - 0x1000
        emu.write(top - 0x1000, b"\xff" * 0x1000)
        emu.set_xmm(3, 0x77)
        stop = emu.interrupt(40, rsp=top, regs={"rbx": 9})
        assert stop.symbol == "isr_dispatch"
        emu.set_xmm(3, 0)
        back = emu.return_from_handler()
        assert back.resumed and back.state.gprs["rbx"] == 9 and emu.xmm(3) == 0x77, name


def test_prove_catches_a_missing_xrstor() -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    from isrgen.proof.prove import prove

    def transform(backend: str, out: str) -> str:
        if backend != "gas":
            return out
        assert "    xrstor64 [rsp]\n" in out
        return out.replace("    xrstor64 [rsp]\n", "", 1)

    report = prove(load_x86(EXAMPLE), ["gas"], transform=transform)
    assert not report.ok and any("is not restored" in f for f in report.failures), report.failures[:3]
