"""The unicorn harness (isrgen.arch.x86.emulation.long_mode) on real linked glue: it must see what a CPU would."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, load_x86, require_module, require_tool, run

import isrgen
from isrgen.arch.x86.emulation import long_mode as emulate

#: The frame of specs/x86_64.yaml, written out by hand: the 15 GPRs in the spec's order at
#: 8 bytes each (r15 0 .. rax 112), vector 120, error_code 128, then what the CPU pushes in
#: IA-32e mode, lowest address first: RIP 136, CS 144, RFLAGS 152, RSP 160, SS 168
#: (SDM Vol. 3A 6.14.2, Figure 6-9). 22 words = 176 bytes.
FRAME = {"r15": 0, "r14": 8, "r13": 16, "r12": 24, "r11": 32, "r10": 40, "r9": 48, "r8": 56, "rbp": 64,
         "rdi": 72, "rsi": 80, "rdx": 88, "rcx": 96, "rbx": 104, "rax": 112, "vector": 120, "error_code": 128,
         "rip": 136, "cs": 144, "rflags": 152, "rsp": 160, "ss": 168}  # fmt: skip
FRAME_SIZE = 176


@pytest.fixture(scope="module")
def default_emu(tmp_path_factory: pytest.TempPathFactory) -> emulate.Emulator:
    require_tool("as", "ld")
    require_module("unicorn")
    work = tmp_path_factory.mktemp("emu")
    spec = load_x86(DEFAULT_SPEC)
    isrgen.build(spec, work, ["gas"])
    run(["as", "--64", "-o", str(work / "isr.o"), str(work / "isr.S")])
    image = emulate.link_for_emulation([work / "isr.o"], work)
    return emulate.Emulator(image, table_symbol=spec.symbols.table)


def _regs(seed: int) -> dict[str, int]:
    return {r: (seed * 0x1000193 + i * 0x9E3779B97F4A7C15) % 2**64 for i, r in enumerate(emulate.GPRS)}


def test_every_vector_reaches_the_handler_with_the_frame_the_layout_describes(default_emu: emulate.Emulator) -> None:
    spec = load_x86(DEFAULT_SPEC)
    assert default_emu.image.markers.keys() == {emulate.INTERRUPTED, emulate.RETURNED, "isr_dispatch"}
    for v in spec.vectors:
        regs = _regs(v.number)
        error = 0x1000 + v.number if v.error_code else None
        rsp = emulate.DEFAULT_STACK_TOP - 8 * (v.number % 3)
        stop = default_emu.interrupt(v.number, regs=regs, error_code=error, rsp=rsp, rflags=0x602)
        assert stop.symbol == "isr_dispatch"
        assert stop.call_aligned, f"vector {v.number}: rsp {stop.state.rsp:#x} misaligned at the call"
        assert not stop.state.df
        frame = stop.first_argument
        seen = {name: stop.u64(frame + offset) for name, offset in FRAME.items()}
        assert {r: seen[r] for r in regs} == regs  # all 15 GPRs but rsp are in the frame
        assert seen["vector"] == v.number
        assert seen["error_code"] == (error if error is not None else 0)  # synthetic_error_code: 0
        assert seen["rip"] == emulate.MARKER_BASE and seen["cs"] == emulate.KERNEL_CS
        assert seen["rsp"] == rsp and seen["ss"] == emulate.KERNEL_SS and seen["rflags"] == 0x602
        assert frame + FRAME_SIZE == stop.frame_top == rsp & ~0xF
        back = default_emu.return_from_handler(clobber=dict.fromkeys(emulate.CALLER_SAVED, 0xBAD))
        assert back.resumed
        assert dict(back.state.gprs) == regs
        assert (back.state.rsp, back.state.rflags, back.state.cs) == (rsp, 0x602, emulate.KERNEL_CS)


def test_user_mode_frame_and_handler_changes_reach_the_interrupted_code(default_emu: emulate.Emulator) -> None:
    stop = default_emu.interrupt(128, cs=emulate.USER_CS, rsp=0x7FFF_0000_1238, regs=_regs(1))
    assert stop.symbol == "isr_dispatch"
    assert stop.frame_top == emulate.DEFAULT_STACK_TOP & ~0xF  # the TSS stack, not the user's
    frame = stop.first_argument
    default_emu.write_u64(frame + FRAME["rax"], 0x5EC0DE)
    back = default_emu.return_from_handler()
    assert back.resumed and back.state.gprs["rax"] == 0x5EC0DE
    assert (back.state.cs, back.state.ss, back.state.rsp) == (emulate.USER_CS, emulate.USER_SS, 0x7FFF_0000_1238)


def test_a_missing_error_code_push_is_seen_as_a_corrupt_return(default_emu: emulate.Emulator) -> None:
    # Deliver #GP without the CPU's error code: the frame is off by one slot and iretq
    # pops RIP from the CS slot, which the emulator must report instead of hiding.
    default_emu.interrupt(13)
    with pytest.raises(emulate.EmulationError, match=r"CPU fault|no handler reached"):
        default_emu.return_from_handler()


def test_code_in_a_read_only_segment_faults(tmp_path: Path) -> None:
    require_tool("as", "ld")
    require_module("unicorn")
    src = tmp_path / "ro.S"
    src.write_text(
        '    .intel_syntax noprefix\n    .pushsection .rodata.stub,"a",@progbits\n'
        "stub0:\n    push 0\n    push 0\n    call handler\n"
        '    .popsection\n    .pushsection .rodata.tab,"a",@progbits\n    .globl table\n'
        "table:\n    .quad stub0\n    .popsection\n"
    )
    run(["as", "--64", "-o", str(tmp_path / "ro.o"), str(src)])
    image = emulate.link_for_emulation([tmp_path / "ro.o"], tmp_path)
    stub = image.symbols["stub0"]
    segment = image.segment_of(stub)
    assert segment is not None and not segment.executable
    emu = emulate.Emulator(image, table_symbol="table")
    with pytest.raises(emulate.EmulationError, match=r"CPU fault at 0x[0-9a-f]+ \(stub0\)"):
        emu.interrupt(0)


def test_runaway_code_is_stopped_and_located(tmp_path: Path) -> None:
    require_tool("as", "ld")
    require_module("unicorn")
    src = tmp_path / "loop.S"
    src.write_text(
        '    .intel_syntax noprefix\n    .pushsection .text.loop,"ax",@progbits\n'
        "spin:\n    jmp spin\n    .popsection\n"
        '    .pushsection .rodata.tab,"a",@progbits\n    .globl table\ntable:\n    .quad spin\n    .popsection\n'
    )
    run(["as", "--64", "-o", str(tmp_path / "loop.o"), str(src)])
    emu = emulate.Emulator(emulate.link_for_emulation([tmp_path / "loop.o"], tmp_path), table_symbol="table")
    emu.instruction_limit = 500
    with pytest.raises(emulate.EmulationError, match=r"within 500 instructions \(stopped at 0x[0-9a-f]+ \(spin\)\)"):
        emu.interrupt(0)
    with pytest.raises(isrgen.UsageError, match="no stub"):
        emu.interrupt(1)


def test_usage_errors_are_one_line(default_emu: emulate.Emulator) -> None:
    with pytest.raises(isrgen.UsageError, match="vector table symbol 'nope'"):
        emulate.Emulator(default_emu.image, table_symbol="nope")
    default_emu.interrupt(3)
    with pytest.raises(isrgen.UsageError, match="must preserve rbx"):
        default_emu.return_from_handler(clobber={"rbx": 1})
