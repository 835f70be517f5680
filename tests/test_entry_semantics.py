"""Every entry option, executed under unicorn with hypothesis-drawn states.

Each spec in MATRIX is generated, assembled with ``as``, linked with ``ld`` and run:
the frame must land at the model's offsets, the right handler must be reached for
ring 0 and ring 3, swapgs must happen exactly when it should, the stack must be
aligned at the call, DF clear, and after the exit path every register (and SIMD
register where saved) must equal its value before the interrupt.
"""

from __future__ import annotations

import functools
import textwrap
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from conftest import loads_x86, require_module, require_tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import isrgen
from isrgen.arch.x86.model import SimdPolicy, X86Spec
from isrgen.model.spec import ReturnModel

GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
ALL = "[simd_area, pad, r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code]"
LINUX_ORDER = "[r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, vector, error_code]"
USER_GS = 0x0000_1111_2222_0000
KERNEL_GS = 0xFFFF_8000_0000_1000 & (2**64 - 1)

BASE = """\
isrgen: 1
arch: x86_64
symbols: {{prefix: t_}}
handler: {{symbol: t_handler, returns: {returns}}}
frame: {{layout: {layout}}}
{extra}
vectors:
  - {{range: [0, 31], name: "exc_{{n}}"}}
  - {{range: [32, 255], name: "irq_{{n}}", class: irq}}
"""

MATRIX: dict[str, dict[str, str]] = {
    "classic-void": {"returns": "void", "layout": LINUX_ORDER, "extra": ""},
    "classic-swapgs": {"returns": "void", "layout": LINUX_ORDER, "extra": "entry: {swapgs: true}"},
    "dense-frame-clear-ibt": {
        "returns": "frame",
        "layout": LINUX_ORDER,
        "extra": "stubs: {style: dense}\nentry: {swapgs: true, clear_registers: true, endbr64: true}",
    },
    "privilege-dispatch": {
        "returns": "void",
        "layout": LINUX_ORDER,
        "extra": "entry: {swapgs: true}\nclasses: {exception: {kernel_handler: t_kernel_fault}}",
    },
    "paranoid": {
        "returns": "void",
        "layout": LINUX_ORDER,
        "extra": "entry: {swapgs: true, clear_registers: true}\nclasses: {exception: {paranoid: true}}",
    },
    "fxsave-dense": {
        "returns": "frame",
        "layout": ALL,
        "extra": "stubs: {style: dense}\nentry: {swapgs: true}\nclasses: {irq: {simd: fxsave}}",
    },
    "xsave": {
        "returns": "void",
        "layout": ALL,
        "extra": "entry: {clear_registers: true}\nsimd: {xsave_mask: 3}\nclasses: {irq: {simd: xsave}}",
    },
    "trap-gates-swapgs": {
        # under swapgs a trap gate is an interrupt gate whose entry sets IF again
        "returns": "void",
        "layout": LINUX_ORDER,
        "extra": "entry: {swapgs: true}\nclasses: {irq: {gate: trap, dpl: 3}}",
    },
    "frame-pointer": {
        # Pintos-style: the stub stores rbp above the error code and rbp points at it
        "returns": "void",
        "layout": LINUX_ORDER[:-1] + ", frame_pointer]",
        "extra": "entry: {swapgs: true, clear_registers: true}\nsyscall: {handler: t_syscall}",
    },
    "syscall-frame": {
        "returns": "frame",
        "layout": LINUX_ORDER,
        "extra": "entry: {swapgs: true, clear_registers: true}\n"
        "syscall: {handler: t_syscall, restored: [rax, rdx, rbx, rbp, r12, r13, r14, r15]}",
    },
}


def spec_text(name: str) -> str:
    return BASE.format(**MATRIX[name])


#: What the CPU pushes on an interrupt in IA-32e mode, lowest address first: it pushes SS,
#: RSP, RFLAGS, CS, RIP (and the error code) as 8-byte items (SDM Vol. 3A 6.14.2, Figure 6-9).
CPU_FRAME = ("rip", "cs", "rflags", "rsp", "ss")


def frame_offsets(layout: str) -> dict[str, int]:
    """The frame a layout of this file describes, worked out here and not by isrgen: every
    slot these layouts name (a GPR, vector, error_code, pad, the simd_area pointer,
    frame_pointer) is one 8-byte word, low address first in the order written, and the
    CPU's frame follows the last of them.  The frame's size is 8 past its last entry."""
    names = [name.strip() for name in layout.strip("[]").split(",")] + list(CPU_FRAME)
    assert len(set(names)) == len(names), names
    return {name: 8 * i for i, name in enumerate(names)}


def test_frame_offsets_helper_against_literals() -> None:
    """Anchors for the helper, written by hand from the layouts above and the SDM frame."""
    linux = frame_offsets(LINUX_ORDER)
    assert {k: linux[k] for k in ("r15", "rbp", "rbx", "rax", "rdi", "vector", "error_code")} == {
        "r15": 0, "rbp": 32, "rbx": 40, "rax": 80, "rdi": 112, "vector": 120, "error_code": 128,
    }  # fmt: skip
    assert {k: linux[k] for k in CPU_FRAME} == {"rip": 136, "cs": 144, "rflags": 152, "rsp": 160, "ss": 168}
    full = frame_offsets(ALL)
    assert (full["simd_area"], full["pad"], full["r15"], full["rax"], full["error_code"], full["ss"]) == (
        0, 8, 16, 128, 144, 184,
    )  # fmt: skip
    fp = frame_offsets(MATRIX["frame-pointer"]["layout"])
    assert (fp["error_code"], fp["frame_pointer"], fp["rip"], fp["ss"]) == (128, 136, 144, 176)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_layout_model_matches_the_independent_offsets(name: str) -> None:
    """isrgen's layout of every matrix spec agrees with the offsets worked out in this file."""
    layout = isrgen.compute_layout(loads_x86(spec_text(name), f"{name}.yaml"))
    want = frame_offsets(MATRIX[name]["layout"])
    assert {f.name: f.offset for f in layout.fields if not f.name.startswith("_pad")} == {
        k: v for k, v in want.items() if k != "pad"
    }
    assert layout.size == max(want.values()) + 8


@functools.cache
def _image(name: str, workdir: str) -> tuple[X86Spec, Any]:
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    spec = loads_x86(spec_text(name), f"{name}.yaml")
    out = Path(workdir) / name
    paths = isrgen.build(spec, out, ["gas"])
    obj = toolchain.assemble_gas(paths[0])
    image = emulate.link_for_emulation([obj], out)
    emu = emulate.Emulator(image, table_symbol=spec.symbols.table)
    emu.enable_simd(0x3)
    return spec, emu


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_tool("as", "ld")
    require_module("unicorn")
    return str(tmp_path_factory.mktemp("entry"))


regs_strategy = st.fixed_dictionaries({r: st.integers(0, 2**64 - 1) for r in GPRS})
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _expected_handler(spec: X86Spec, vector: int, ring: int) -> str:
    v = spec.vector(vector)
    assert v is not None
    if v.kernel_handler and ring == 0:
        return v.kernel_handler
    return v.handler


@pytest.mark.parametrize("name", sorted(MATRIX))
@SETTINGS
@given(
    regs=regs_strategy,
    vector=st.integers(0, 255),
    ring=st.sampled_from([0, 3]),
    df=st.booleans(),
    error_code=st.integers(0, 2**32 - 1),
    xmm=st.lists(st.integers(0, 2**128 - 1), min_size=16, max_size=16),
)
def test_interrupt_round_trip(
    workdir: str, name: str, regs: dict[str, int], vector: int, ring: int, df: bool, error_code: int, xmm: list[int]
) -> None:
    from isrgen.arch.x86.emulation import long_mode as emulate

    spec, emu = _image(name, workdir)
    v = spec.vector(vector)
    assert v is not None
    cs = emulate.USER_CS if ring == 3 else emulate.KERNEL_CS
    rflags = emulate.RFLAGS_FIXED | emulate.RFLAGS_IF | (emulate.RFLAGS_DF if df else 0) | 0x45  # CF PF ZF
    for i, value in enumerate(xmm):
        emu.set_xmm(i, value)
    # kernel code runs with the kernel GS base live; user code with the user's
    gs, kgs = (USER_GS, KERNEL_GS) if ring == 3 else (KERNEL_GS, USER_GS)
    user_rsp = emulate.DEFAULT_STACK_TOP - 0x2000 + 8  # deliberately not 16-byte aligned
    stop = emu.interrupt(
        vector,
        regs=regs,
        cs=cs,
        rflags=rflags,
        rsp=user_rsp,
        error_code=error_code if v.error_code else None,
        gs_base=gs,
        kernel_gs_base=kgs,
        stack=emulate.DEFAULT_STACK_TOP if ring == 3 else None,
    )

    # the right handler, aligned, DF clear, the kernel GS base live
    assert stop.symbol == _expected_handler(spec, vector, ring)
    assert stop.call_aligned
    if v.simd is SimdPolicy.XSAVE:
        assert (stop.state.rsp + 8) % 64 == 0, "xsave area needs 64-byte alignment at the call"
    assert not stop.state.df
    if spec.entry.swapgs:
        assert stop.state.gs_base == KERNEL_GS
    else:
        assert stop.state.gs_base == gs

    # the frame: every field at the offset the layout text gives (frame_offsets)
    frame = stop.first_argument
    for f, offset in frame_offsets(MATRIX[name]["layout"]).items():
        got = stop.u64(frame + offset)
        if f in GPRS:
            assert got == regs[f], f"{f} at +{offset}"
        elif f == "vector":
            assert got == vector
        elif f == "error_code":
            assert got == (error_code if v.error_code else 0)  # the default synthetic_error_code
        elif f == "cs":
            assert got == cs
        elif f == "rsp":
            assert got == user_rsp
        elif f == "rip":
            assert got == emulate.MARKER_BASE
        elif f == "rflags":
            assert got == rflags
        elif f == "ss":
            assert got == (emulate.USER_SS if ring == 3 else emulate.KERNEL_SS)
        elif f == "frame_pointer":
            # a call frame for backtraces: rbp -> [interrupted rbp, interrupted rip]
            assert got == regs["rbp"]
            assert stop.state.gprs["rbp"] == frame + offset
            assert stop.u64(frame + offset + 8) == emulate.MARKER_BASE
        elif f == "simd_area":
            if v.simd is SimdPolicy.NONE:
                assert got == 0
            else:
                area = got
                assert area % (64 if v.simd is SimdPolicy.XSAVE else 16) == 0
                # FXSAVE layout: XMM0 at byte 160 (SDM Vol. 1 10.5.1, table 10-2)
                assert int.from_bytes(emu.read(area + 160, 16), "little") == xmm[0]
        else:
            assert f == "pad", f

    # speculation hygiene: saved registers are zero at the call (except what the entry uses)
    if spec.entry.clear_registers:
        keep = {"rdi"}
        if v.paranoid:
            keep.add("rbx")
        if v.simd is not SimdPolicy.NONE:
            keep |= {"r12", "rax", "rdx"}
        if spec.frame.has_frame_pointer:
            keep.add("rbp")
        for r in GPRS:
            if r not in keep:
                assert stop.state.gprs[r] == 0, f"{r} not cleared"

    # the handler clobbers what SysV lets it clobber, including SIMD registers
    for i in range(16):
        emu.set_xmm(i, 0xDEAD_0000 + i)
    back = emu.return_from_handler(
        return_value=frame if spec.handler.returns is ReturnModel.FRAME else None,
        clobber={r: 0xBAD0 + i for i, r in enumerate(emulate.CALLER_SAVED)},
    )
    assert back.resumed
    assert back.state.gprs == regs
    assert back.state.rsp == user_rsp
    assert back.state.cs == cs
    assert back.state.rflags & 0xCD5 == rflags & 0xCD5  # CF PF AF ZF SF DF OF
    assert back.state.gs_base == gs, "swapgs must be symmetrical"
    if v.simd is not SimdPolicy.NONE:
        assert [emu.xmm(i) for i in range(16)] == xmm


def test_frame_model_resumes_another_frame(workdir: str) -> None:
    """A returning handler may hand back a different thread's frame: the exit switches to it."""
    from isrgen.arch.x86.emulation import long_mode as emulate

    _, emu = _image("dense-frame-clear-ibt", workdir)
    emu.interrupt(32, regs=dict.fromkeys(GPRS, 1), cs=emulate.KERNEL_CS)
    other = emulate.DEFAULT_STACK_TOP - 0x4000
    values = {r: 0x1000 + i for i, r in enumerate(GPRS)}
    for f, offset in frame_offsets(MATRIX["dense-frame-clear-ibt"]["layout"]).items():
        value = {
            "rip": emulate.MARKER_BASE,
            "cs": emulate.USER_CS,
            "rflags": 0x202,
            "rsp": 0x7000_8000,
            "ss": emulate.USER_SS,
        }.get(f, values.get(f, 0))
        emu.write_u64(other + offset, value)
    back = emu.return_from_handler(return_value=other)
    assert back.resumed and back.state.gprs == values
    assert back.state.cs == emulate.USER_CS and back.state.rsp == 0x7000_8000


def test_exit_routine_enters_a_fabricated_frame(workdir: str) -> None:
    """The exported exit routine starts a thread from a frame it never interrupted (mittos64's isr_return)."""
    from isrgen.arch.x86.emulation import long_mode as emulate

    spec, emu = _image("classic-void", workdir)
    frame = emulate.DEFAULT_STACK_TOP - 0x3000
    values = {r: 0x2000 + i for i, r in enumerate(GPRS)}
    for f, offset in frame_offsets(MATRIX["classic-void"]["layout"]).items():
        value = {
            "rip": emulate.MARKER_BASE,
            "cs": emulate.KERNEL_CS,
            "rflags": 0x2,
            "rsp": 0x7000_9000,
            "ss": emulate.KERNEL_SS,
        }.get(f, values.get(f, 0))
        emu.write_u64(frame + offset, value)
    emu.uc.reg_write(emu._x.UC_X86_REG_RDI, frame)
    back = emu.run(emu.image.symbols[spec.symbols.exit], emulate.MARKER_BASE)
    assert back.resumed and back.state.gprs == {**values, "rdi": values["rdi"]}
    assert back.state.rsp == 0x7000_9000


@pytest.mark.parametrize("kernel_gs_live", [True, False])
def test_paranoid_decides_from_gs_base(workdir: str, kernel_gs_live: bool) -> None:
    """An NMI in ring 0 *before* the entry's swapgs: CS says kernel, but the user GS
    base is live. The paranoid entry must swap (and swap back); a CS-based one would not."""
    from isrgen.arch.x86.emulation import long_mode as emulate

    _, emu = _image("paranoid", workdir)
    gs, kgs = (KERNEL_GS, USER_GS) if kernel_gs_live else (USER_GS, KERNEL_GS)
    stop = emu.interrupt(2, regs=dict.fromkeys(GPRS, 7), cs=emulate.KERNEL_CS, gs_base=gs, kernel_gs_base=kgs)
    assert stop.symbol == "t_handler"
    assert stop.state.gs_base == KERNEL_GS
    back = emu.return_from_handler()
    assert back.resumed and back.state.gs_base == gs and back.state.gprs == dict.fromkeys(GPRS, 7)


@SETTINGS
@given(regs=regs_strategy, noncanonical=st.booleans())
def test_syscall_entry_and_sysret(workdir: str, regs: dict[str, int], noncanonical: bool) -> None:
    from isrgen.arch.x86.emulation import long_mode as emulate

    spec, emu = _image("syscall-frame", workdir)
    sc = spec.syscall
    assert sc is not None
    at = frame_offsets(MATRIX["syscall-frame"]["layout"])
    percpu = emulate.STACK_BASE + 0x1000
    kstack = emulate.DEFAULT_STACK_TOP - 0x100
    emu.write_u64(percpu + sc.kernel_stack_gs, kstack)
    user_rsp = emulate.DEFAULT_STACK_TOP - 0x5000
    stop = emu.syscall(
        sc.entry,
        regs=regs,
        user_rsp=user_rsp,
        kernel_gs_base=percpu,
        user_gs_base=USER_GS,
        kernel_stack_top=kstack,
        user_rflags=0x246,
    )
    assert stop.symbol == sc.handler and stop.call_aligned and not stop.state.df
    assert stop.state.gs_base == percpu
    frame = stop.first_argument
    expect = {**regs, "rcx": emulate.MARKER_BASE, "r11": 0x246}
    assert frame == kstack - 176  # 22 words (frame_offsets of LINUX_ORDER) end at the stack top
    for f, offset in at.items():
        got = stop.u64(frame + offset)
        if f in GPRS:
            assert got == expect[f], f
        elif f == "vector":
            assert got == 2**64 - 1  # the default syscall.marker, -1
        elif f == "rip":
            assert got == emulate.MARKER_BASE
        elif f == "rsp":
            assert got == user_rsp
        elif f == "cs":
            assert got == 0x23  # the default syscall.user_cs: IA32_STAR[63:48] + 16, RPL 3
        elif f == "ss":
            assert got == 0x1B  # the default syscall.user_ss: IA32_STAR[63:48] + 8, RPL 3
        elif f == "rflags":
            assert got == 0x246
    if noncanonical:
        # a handler that (wrongly) sets a non-canonical RIP: leave through iretq (which
        # faults in ring 3), never sysretq (which would fault in ring 0 on Intel)
        emu.write_u64(frame + at["rip"], 0x0000_8000_0000_0000)
        with pytest.raises(emulate.EmulationError):
            emu.return_from_handler(return_value=frame)
        assert emu.last_return == "iretq"
        return
    # the handler stores its results in the frame; it may clobber caller-saved registers
    emu.write_u64(frame + at["rax"], 42)
    emu.write_u64(frame + at["rdx"], 43)
    back = emu.return_from_handler(return_value=frame, clobber={"rax": 1, "rdx": 2, "rsi": 0xBAD})
    assert emu.last_return == "sysretq"
    assert back.resumed and back.state.cs == sc.user_cs and back.state.rsp == user_rsp
    assert back.state.gs_base == USER_GS
    for r in GPRS:
        if r in sc.restored:
            want = {"rax": 42, "rdx": 43}.get(r, regs[r])
            assert back.state.gprs[r] == want, r
        elif r == "rcx":
            assert back.state.gprs[r] == emulate.MARKER_BASE
        elif r == "r11":
            assert back.state.gprs[r] & 0xFFF == 0x246 & 0xFFF
        else:
            assert back.state.gprs[r] == 0, f"{r} leaks a kernel value"


def test_dense_stubs_fixed_stride_and_size_guard(tmp_path: Path) -> None:
    """Dense stubs sit at a fixed stride; a stub that outgrows its slot fails to assemble."""
    require_tool("as")
    from isrgen.proof import toolchain
    from isrgen.proof.elf import read_elf as read_object

    spec = loads_x86(spec_text("dense-frame-clear-ibt"), "d.yaml")
    paths = isrgen.build(spec, tmp_path, ["gas"])
    obj = read_object(toolchain.assemble_gas(paths[0]))
    addrs = sorted(s.value for s in obj.symbols if s.name.startswith("t_stub_"))
    assert len(addrs) == 256 and {b - a for a, b in pairwise(addrs)} == {16}
    plain = loads_x86(spec_text("dense-frame-clear-ibt").replace("endbr64: true", "endbr64: false"), "p.yaml")
    paths = isrgen.build(plain, tmp_path / "plain", ["gas"])
    obj = read_object(toolchain.assemble_gas(paths[0]))
    addrs = sorted(s.value for s in obj.symbols if s.name.startswith("t_stub_"))
    assert {b - a for a, b in pairwise(addrs)} == {8}
    # corrupt one stub so it no longer fits: the guard must stop the assembler
    text = paths[0].read_text().replace("    push 5\n", "    push 5\n    nop\n    nop\n    nop\n    nop\n", 1)
    bad = tmp_path / "bad.S"
    bad.write_text(text)
    with pytest.raises(toolchain.ToolError):
        toolchain.assemble_gas(bad)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("classes: {irq: {simd: fxsave}}\n", "add 'simd_area' to the frame layout"),
        ("entry: {swapgs: true}\nclasses: {irq: {simd: fxsave}, exception: {simd: xsave}}\n", "mix fxsave and xsave"),
        ("classes: {exception: {paranoid: true}}\n", "paranoid vectors only make sense with entry.swapgs"),
        ("syscall: {handler: t_sys}\n", "needs entry.swapgs: true"),
        ("simd: {xsave_mask: 0xe7}\n", "give simd.area_size"),
    ],
)
def test_entry_option_errors(extra: str, message: str) -> None:
    text = BASE.format(returns="void", layout=LINUX_ORDER, extra=extra)
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "bad.yaml")
    assert any(message in d.message for d in info.value.diagnostics), info.value.diagnostics


@pytest.mark.parametrize(
    ("layout", "extra", "message"),
    [
        ("[frame_pointer, " + LINUX_ORDER[1:], "", "'frame_pointer' must be the last slot"),
        (LINUX_ORDER.replace("rbp, ", "")[:-1] + ", frame_pointer]", "", "needs rbp saved in the layout too"),
        (LINUX_ORDER.replace("vector, error_code", "error_code, vector"), "", "'vector' must come directly before"),
    ],
)
def test_frame_pointer_slot_errors(layout: str, extra: str, message: str) -> None:
    text = BASE.format(returns="frame", layout=layout, extra=extra)
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "bad.yaml")
    assert any(message in d.message for d in info.value.diagnostics), info.value.diagnostics
    assert all(d.source.line > 0 for d in info.value.diagnostics)


def test_frame_pointer_stubs_move_a_cpu_error_code_down(tmp_path: Path) -> None:
    """The two stub forms: without a CPU error code the stub pushes rbp and the synthetic
    code; with one, it copies the code down a word and stores rbp in its place."""
    text = BASE.format(returns="void", layout=LINUX_ORDER[:-1] + ", frame_pointer]", extra="")
    spec = loads_x86(text, "fp.yaml")
    text = isrgen.render_outputs(spec, ["gas"])[0].content
    asm = "\n".join(line for line in text.splitlines() if not line.startswith("    .cfi_")) + "\n"
    assert "t_stub_13:\n    push qword ptr [rsp]\n    mov qword ptr [rsp + 8], rbp\n    push 13\n" in asm
    assert "t_stub_3:\n    push rbp\n    push 0\n    push 3\n" in asm
    assert "    lea rbp, [rsp + 136]\n" in asm  # 15 saved registers, vector, error code


def test_layout_missing_caller_saved_register_is_rejected() -> None:
    text = BASE.format(returns="void", layout=LINUX_ORDER.replace("r10, ", ""), extra="")
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "bad.yaml")
    assert "caller-saved" in str(info.value)


def test_idt_helper_reflects_ist_gate_dpl(tmp_path: Path) -> None:
    """Gate data as the IDT initialiser sees it (IST off-by-one handled once, in the helper)."""
    require_tool("gcc")
    spec = loads_x86(
        textwrap.dedent(spec_text("classic-void")).replace(
            '  - {range: [0, 31], name: "exc_{n}"}',
            '  - {range: [0, 1], name: "exc_{n}"}\n  - {vector: 2, name: nmi, ist: 2}\n'
            '  - {vector: 3, name: brk, gate: trap, dpl: 3}\n  - {range: [4, 31], name: "exc_{n}"}',
        ),
        "g.yaml",
    )
    isrgen.build(spec, tmp_path)
    main = tmp_path / "m.c"
    main.write_text(
        '#include <stdio.h>\n#include "isr.h"\nvoid t_handler(struct t_frame *f) { (void)f; }\n'
        "static struct t_idt_gate idt[256];\n"
        'int main(void) { t_idt_fill(idt, 8); printf("%d %d %d %d\\n", idt[2].ist, idt[2].type_attr,'
        " idt[3].type_attr, T_TSS_IST_SLOT(idt[2].ist)); return 0; }\n"
    )
    from conftest import run

    run(
        [
            "gcc",
            "-std=c11",
            "-Wall",
            "-Werror",
            "-no-pie",
            "-I",
            str(tmp_path),
            str(main),
            str(tmp_path / "isr.S"),
            "-o",
            str(tmp_path / "m"),
        ]
    )
    assert run([str(tmp_path / "m")]).stdout.split() == ["2", str(0x8E), str(0xEF), "1"]


def test_syscall_frame_with_kernel_cs_leaves_through_iretq(workdir: str) -> None:
    """A marker-tagged frame whose CS is not the user CS must never be sysret'd into ring 3."""
    from isrgen.arch.x86.emulation import long_mode as emulate

    spec, emu = _image("syscall-frame", workdir)
    sc = spec.syscall
    assert sc is not None
    at = frame_offsets(MATRIX["syscall-frame"]["layout"])
    percpu = emulate.STACK_BASE + 0x1000
    kstack = emulate.DEFAULT_STACK_TOP - 0x100
    emu.write_u64(percpu + sc.kernel_stack_gs, kstack)
    stop = emu.syscall(sc.entry, kernel_gs_base=percpu, user_gs_base=USER_GS, kernel_stack_top=kstack)
    frame = stop.first_argument
    emu.write_u64(frame + at["cs"], emulate.KERNEL_CS)
    emu.write_u64(frame + at["ss"], emulate.KERNEL_SS)
    back = emu.return_from_handler(return_value=frame)
    assert emu.last_return == "iretq"
    assert back.resumed and back.state.cs == emulate.KERNEL_CS


def test_dense_error_code_vector_above_127_is_widened(tmp_path: Path) -> None:
    """push imm8 sign-extends vectors >= 128; a (deliberately overridden) error-code vector
    up there must still land as its number in the frame."""
    require_tool("as", "ld")
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    text = BASE.format(returns="void", layout=LINUX_ORDER, extra="stubs: {style: dense}").replace(
        '  - {range: [32, 255], name: "irq_{n}", class: irq}',
        '  - {range: [32, 199], name: "irq_{n}", class: irq}\n'
        "  - {vector: 200, name: odd, class: irq, error_code: true, error_code_override: true}\n"
        '  - {range: [201, 255], name: "irq_{n}", class: irq}',
    )
    spec = loads_x86(text, "w.yaml")
    at = frame_offsets(LINUX_ORDER)
    obj = toolchain.assemble_gas(isrgen.build(spec, tmp_path, ["gas"])[0])
    emu = emulate.Emulator(emulate.link_for_emulation([obj], tmp_path), table_symbol=spec.symbols.table)
    for vector, code in ((200, 0x1234), (201, None), (100, None)):
        stop = emu.interrupt(vector, error_code=code)
        frame = stop.first_argument
        assert stop.u64(frame + at["vector"]) == vector
        assert stop.u64(frame + at["error_code"]) == (code if code is not None else 0)
        assert emu.return_from_handler().resumed


@pytest.mark.parametrize("simd", [False, True])
def test_handler_receives_vector_and_error_code_arguments(tmp_path: Path, simd: bool) -> None:
    """handler.args: [frame, vector, error_code] -> rdi, rsi, rdx (Linux passes the error code in rsi)."""
    require_tool("as", "ld")
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    extra = "classes: {irq: {simd: fxsave}}" if simd else ""
    text = BASE.format(returns="void", layout=ALL if simd else LINUX_ORDER, extra=extra).replace(
        "handler: {symbol: t_handler, returns: void}",
        "handler: {symbol: t_handler, returns: void, args: [frame, vector, error_code]}",
    )
    spec = loads_x86(text, "args.yaml")
    (header,) = (p for p in isrgen.build(spec, tmp_path) if p.suffix == ".h")
    assert "void t_handler(struct t_frame *frame, uint64_t vector, uint64_t error_code);" in header.read_text()
    obj = toolchain.assemble_gas(tmp_path / "isr.S")
    emu = emulate.Emulator(emulate.link_for_emulation([obj], tmp_path), table_symbol=spec.symbols.table)
    emu.enable_simd(0x3)
    for vector, code in ((14, 0x7), (40, None), (3, None)):
        stop = emu.interrupt(vector, error_code=code, regs=dict.fromkeys(GPRS, 0x55))
        assert stop.call_aligned
        assert stop.state.gprs["rsi"] == vector
        assert stop.state.gprs["rdx"] == (code or 0)
        assert stop.u64(stop.first_argument + frame_offsets(ALL if simd else LINUX_ORDER)["vector"]) == vector
        back = emu.return_from_handler(clobber={"rsi": 1, "rdx": 2})
        assert back.resumed and back.state.gprs == dict.fromkeys(GPRS, 0x55)


def test_handler_args_need_the_slots() -> None:
    text = BASE.format(returns="void", layout=LINUX_ORDER.replace("vector, ", ""), extra="").replace(
        "returns: void}", "returns: void, args: [frame, vector]}"
    )
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "bad.yaml")
    assert "cannot receive the vector" in str(info.value)


@pytest.mark.parametrize("interrupted_if", [True, False])
def test_trap_gate_under_swapgs_takes_interrupts_only_after_the_swapgs(workdir: str, interrupted_if: bool) -> None:
    """The gate table asks for an interrupt gate (0xEE: DPL 3), so the CPU clears IF on
    delivery; the entry swaps GS first and only then restores the interrupted IF, which
    the handler sees as a trap gate would have left it."""
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.arch.x86.gates import gate_type, type_attr

    spec, emu = _image("trap-gates-swapgs", workdir)
    v = spec.vector(40)
    assert v is not None and gate_type(spec, v).value == "interrupt" and type_attr(spec, v) == 0xEE
    assert spec.reenables_interrupts(v)
    rflags = emulate.RFLAGS_FIXED | (emulate.RFLAGS_IF if interrupted_if else 0)
    emu.trace = []
    stop = emu.interrupt(
        40,
        regs={r: i for i, r in enumerate(GPRS)},
        cs=emulate.USER_CS,
        rflags=rflags,
        rsp=emulate.DEFAULT_STACK_TOP - 0x2000,
        gs_base=USER_GS,
        kernel_gs_base=KERNEL_GS,
        stack=emulate.DEFAULT_STACK_TOP,
        interrupt_gate=True,
    )
    trace, emu.trace = emu.trace, None
    assert stop.symbol == "t_handler" and stop.state.gs_base == KERNEL_GS
    assert bool(stop.state.rflags & emulate.RFLAGS_IF) == interrupted_if
    codes = [code for _, code in trace]
    swapgs = next(i for i, code in enumerate(codes) if code[:3] == b"\x0f\x01\xf8")
    sti = [i for i, code in enumerate(codes) if code[:1] == b"\xfb"]
    assert sti == ([i for i in sti if i > swapgs] if interrupted_if else []), "sti before the swapgs"
    back = emu.return_from_handler()
    assert back.resumed and back.state.gs_base == USER_GS


def test_entry_symbols_of_a_trap_gate_group_are_checked_for_collisions() -> None:
    """Under swapgs a trap gate gets an entry of its own ({entry}_0, {entry}_1): those are
    the names checked against the stubs and handlers."""
    text = f"""\
isrgen: 1
arch: x86_64
symbols: {{prefix: t_, entry: t_isr, stub: "t_isr_{{n}}"}}
handler: {{symbol: t_handler}}
entry: {{swapgs: true}}
frame: {{layout: {LINUX_ORDER}}}
vectors: [{{vector: 0}}, {{vector: 3, gate: trap, dpl: 3}}]
"""
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "collide.yaml")
    assert any("entry symbol 't_isr_0' collides with the stub of vector 0" in d.message for d in info.value.diagnostics)
    assert loads_x86(text.replace('"t_isr_{n}"', '"t_stub_{n}"'), "ok.yaml").entry_groups[1].symbol == "t_isr_1"
