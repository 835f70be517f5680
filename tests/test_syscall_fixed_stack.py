"""syscall.kernel_stack / user_stack: a SYSCALL entry without swapgs that finds its stack
at fixed addresses (a single-CPU kernel's ``mov %rsp, user_rsp_save(%rip); mov
kernel_stack_top(%rip), %rsp``).

Linked with a hand-written object defining the two words and run under unicorn: SYSCALL
leaves RCX = user RIP, R11 = user RFLAGS and RSP the user's (SDM Vol. 2B SYSCALL); the
CPU frame the entry builds must sit right below the word kernel_stack_top holds, the
user rsp be stored in user_rsp_save, and neither GS base change on the way in or out.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import SPECS, isrgen_cmd, load_x86, loads_x86, require_module, require_tool, run

import isrgen
from isrgen.arch.x86.model import X86Spec

EXAMPLE = SPECS / "examples" / "syscall_fixed_stack.yaml"
USER_GS, KERNEL_GS = 0x0000_7777_0000_1000, 0x0000_6666_0000_2000  # never swapped
DATA = """\
    .data
    .globl kernel_stack_top, user_rsp_save
    .balign 8
kernel_stack_top: .quad 0
user_rsp_save: .quad 0
"""
#: The example's frame, written out by hand: its layout lists r15 .. rax, vector, error_code
#: at 8 bytes each (0 .. 128); above them the IA-32e interrupt frame, lowest address first
#: RIP 136, CS 144, RFLAGS 152, RSP 160, SS 168 (SDM Vol. 3A 6.14.2, Figure 6-9), which the
#: SYSCALL entry builds the same way. 22 words = 176 bytes.
FRAME = {"r15": 0, "r14": 8, "r13": 16, "r12": 24, "r11": 32, "r10": 40, "r9": 48, "r8": 56, "rbp": 64,
         "rdi": 72, "rsi": 80, "rdx": 88, "rcx": 96, "rbx": 104, "rax": 112, "vector": 120, "error_code": 128,
         "rip": 136, "cs": 144, "rflags": 152, "rsp": 160, "ss": 168}  # fmt: skip
FRAME_SIZE = 176


def _emulator(spec: X86Spec, tmp_path: Path, backend: str) -> Any:
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    glue = isrgen.build(spec, tmp_path, [backend])[0]
    obj = toolchain.assemble_gas(glue) if backend == "gas" else toolchain.assemble_nasm(glue, tmp_path / "n.o")
    (tmp_path / "data.S").write_text(DATA)
    run(["as", "--64", "-o", str(tmp_path / "data.o"), str(tmp_path / "data.S")])
    image = emulate.link_for_emulation([obj, tmp_path / "data.o"], tmp_path)
    return emulate.Emulator(image, table_symbol=spec.symbols.table)


@pytest.mark.parametrize("backend", ["gas", "nasm"])
def test_syscall_finds_its_stack_at_the_symbols(tmp_path: Path, backend: str) -> None:
    require_tool("as", "ld", "nasm")
    require_module("unicorn")
    from isrgen.arch.x86.emulation import long_mode as emulate

    spec = load_x86(EXAMPLE)
    emu = _emulator(spec, tmp_path, backend)
    kstack = emulate.DEFAULT_STACK_TOP - 0x200
    emu.write_u64(emu.image.symbols["kernel_stack_top"], kstack)
    user_rsp = emulate.DEFAULT_STACK_TOP - 0x5008
    regs = {r: 0x4400 + i for i, r in enumerate(emulate.GPRS)}
    stop = emu.syscall(
        "syscall_entry",
        regs=regs,
        user_rsp=user_rsp,
        user_rflags=0x246,
        kernel_gs_base=KERNEL_GS,
        user_gs_base=USER_GS,
        kernel_stack_top=kstack,
    )
    assert stop.symbol == "k_syscall" and stop.call_aligned
    frame = stop.first_argument
    assert frame == kstack - FRAME_SIZE  # the frame ends at the kernel stack top
    assert emu.read_u64(emu.image.symbols["user_rsp_save"]) == user_rsp
    assert stop.u64(frame + FRAME["rsp"]) == user_rsp
    assert stop.u64(frame + FRAME["rip"]) == emulate.MARKER_BASE  # from rcx
    assert stop.u64(frame + FRAME["rflags"]) == 0x246  # from r11
    assert stop.u64(frame + FRAME["vector"]) == 2**64 - 1  # marker -1
    assert (stop.state.gs_base, stop.state.kernel_gs_base) == (USER_GS, KERNEL_GS)
    back = emu.return_from_handler(interrupts_enabled=True)
    assert back.resumed and emu.last_return == "sysretq"
    assert back.state.rsp == user_rsp and back.state.gprs["rax"] == regs["rax"]
    assert (back.state.gs_base, back.state.kernel_gs_base) == (USER_GS, KERNEL_GS)


def test_absolute_addresses(tmp_path: Path) -> None:
    """An absolute slot is a disp32 without base (no relocation); the entry reads it."""
    require_tool("as", "ld")
    require_module("unicorn")
    from isrgen.arch.x86.emulation import long_mode as emulate

    text = EXAMPLE.read_text().replace("kernel_stack: kernel_stack_top", "kernel_stack: 0x7000")
    text = text.replace("user_stack: user_rsp_save", "user_stack: 0x7008")
    spec = loads_x86(text, "abs.yaml")
    gas = isrgen.render_outputs(spec, ["gas"])[0].content
    assert "    mov qword ptr [28680], rsp\n    mov rsp, qword ptr [28672]\n" in gas
    emu = _emulator(spec, tmp_path, "gas")
    emu.make_writable(0x7000)
    kstack = emulate.DEFAULT_STACK_TOP - 0x300
    emu.write_u64(0x7000, kstack)
    stop = emu.syscall("syscall_entry", user_rsp=0x1234_5670, kernel_gs_base=KERNEL_GS, kernel_stack_top=kstack)
    assert stop.symbol == "k_syscall"
    assert stop.first_argument == kstack - FRAME_SIZE
    assert emu.read_u64(0x7008) == 0x1234_5670


def test_prove_accepts_the_example() -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    proc = run(isrgen_cmd("prove", str(EXAMPLE)))
    machine = next(line for line in proc.stdout.splitlines() if line.startswith("  machine code"))
    assert "syscall x2" in machine and "sysret x1" in machine
    assert proc.stdout.splitlines()[-1] == "all properties hold"


@pytest.mark.parametrize(
    ("syscall", "at", "message"),
    [
        # the error's column: where ``at`` starts on the syscall line (a value, or a key)
        ("{handler: s, kernel_stack: top}", "{handler", "a syscall entry needs entry.swapgs: true"),
        ("{handler: s, kernel_stack: top, user_stack: top}", "top}", "must be different"),
        ("{handler: s, kernel_stack: 0x80000000, user_stack: u}", "0x8", "sign-extended 32-bit"),
        ("{handler: s, kernel_stack: k, user_stack: u, user_stack_gs: 8}", "user_stack_gs", "GS-relative"),
        ("{handler: s, kernel_stack: k}", "k}", "needs user_stack too"),
        ("{handler: s, kernel_stack: 1.5, user_stack: u}", "1.5", ""),
    ],
)
def test_bad_slots_are_located(tmp_path: Path, syscall: str, at: str, message: str) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        textwrap.dedent(f"""\
        isrgen: 1
        arch: x86_64
        handler: {{symbol: isr_dispatch}}
        vectors: [{{range: [0, 31]}}]
        syscall: {syscall}
        """)
    )
    proc = run(isrgen_cmd("build", str(spec), "-o", str(tmp_path / "out")), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and not (tmp_path / "out").exists()
    col = len("syscall: ") + syscall.index(at) + 1
    head = f"{spec}:5:{col}: error: "
    assert any(ln.startswith(head) and message in ln for ln in proc.stderr.splitlines()), proc.stderr


def test_dump_loads_back_equal() -> None:
    from isrgen.arch.x86.dump import dump_spec

    spec = load_x86(EXAMPLE)
    assert isrgen.loads_spec(dump_spec(spec), "again.yaml") == spec
