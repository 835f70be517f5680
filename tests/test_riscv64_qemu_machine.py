"""Machine-mode system calls on QEMU's CPU: a bare-metal image is its own SBI-like firmware.
M-mode points mtvec at the generated entry (mode: machine) and delegates nothing; S-mode
makes an ``ecall`` (mcause 9), then drops to U-mode, which makes one too (mcause 8).  Each
resumes after its ecall (mepc += 4) with the restore list and zeros, and reports through
the virt test device."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_tool, run
from riscv64_tools import GNU_AS, SPECS, assemble, assembly

from isrgen.arch.riscv64.options import Role
from isrgen.arch.riscv64.resolve import load_riscv64_spec

#: QEMU virt's sifive_test device: 0x5555 exits with 0, (code << 16) | 0x3333 exits with code
TEST_DEVICE = 0x100000
MACHINE = (SPECS[0].read_text().replace("mode: supervisor ", "mode: machine #")
           .replace("sepc, sstatus, stval, scause", "mepc, mstatus, mtval, mcause"))  # fmt: skip


def _firmware(a0: int, a7: int, t3: int, cause: int) -> str:
    return f"""
    .section .text.start, "ax"
    .option norvc
    .globl _start
_start:
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f             # pmpcfg0: NAPOT, R W X: S and U may use all memory
    csrw pmpcfg0, t0
    la t0, trap_entry
    csrw mtvec, t0          # direct; medeleg = 0: every ecall comes here
    la t0, m_stack_top
    csrw mscratch, t0       # lower privileges run: the M-mode stack
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800            # MPP = S
    csrs mstatus, t0
    la t0, s_main
    csrw mepc, t0
    mret

s_main:
    la sp, s_stack_top
    li s0, 0x1234
    li t3, 0x7777
    li a0, 7
    li a7, 1
    ecall                   # mcause 9: a0 = 7 * 6 + 1000, t3 zeroed, s0 restored
    li t0, 1042
    bne a0, t0, s_fail
    bnez t3, s_fail
    li t0, 0x1234
    bne s0, t0, s_fail
    li t0, 0x100
    csrc sstatus, t0        # SPP = U
    la t0, u_main
    csrw sepc, t0
    sret

u_main:
    li s0, 0x4321
    li t3, 0x7777
    li a0, 5
    li a7, 1
    ecall                   # mcause 8: a0 = 5 * 6
    li t0, 30
    bne a0, t0, u_fail
    bnez t3, u_fail
    li t0, 0x4321
    bne s0, t0, u_fail
    li a7, 2
    ecall                   # pass
u_fail:
    li a7, 3
    ecall
s_fail:
    li a7, 4
    ecall

    .globl trap_handler
trap_handler:               # any other trap: exit 5
    li t0, (5 << 16) | 0x3333
    j 2f

    .globl syscall_handler
syscall_handler:            # a0 = frame
    ld t0, {a7}(a0)
    li t1, 1
    beq t0, t1, 1f
    li t1, 2
    beq t0, t1, pass
    li t1, 3
    beq t0, t1, fail_user
    li t1, 4
    beq t0, t1, fail_supervisor
    li t0, (7 << 16) | 0x3333   # exit 7: an unknown call number
    j 2f
1:  ld t0, {a0}(a0)
    li t1, 6
    mul t0, t0, t1
    ld t2, {cause}(a0)      # 1000 more for a call from S-mode (mcause 9)
    addi t2, t2, -8
    li t1, 1000
    mul t2, t2, t1
    add t0, t0, t2
    sd t0, {a0}(a0)
    sd t1, {t3}(a0)         # a value for t3 the exit must not hand back
    ret

pass:
    li t0, 0x5555
    j 2f
fail_user:                  # exit 6: U-mode saw wrong registers after its call
    li t0, (6 << 16) | 0x3333
    j 2f
fail_supervisor:            # exit 8: S-mode saw wrong registers after its call
    li t0, (8 << 16) | 0x3333
2:  li t1, {TEST_DEVICE:#x}
    sw t0, 0(t1)
    j .

    .bss
    .balign 16
    .space 8192
m_stack_top:
    .space 8192
s_stack_top:
"""


#: the glue's instruction a mutation removes or rewrites, and the exit status it must cause
MUTATIONS = [
    (None, None, 0),
    # mepc not advanced: S-mode's ecall runs again with a7 zeroed (an unknown call number)
    (r"    addi t0, t0, 4\n", "", 7),
    # t3 not zeroed on the way back: S-mode sees the handler's 6
    (r"    li t3, 0\n", "", 8),
    # MPP's low bit instead of its top bit: S-mode's ecall looks like M-mode's own trap
    (r"    srli t0, t1, 12\n", "    srli t0, t1, 11\n", 5),
]


@pytest.mark.parametrize(("mutation", "replacement", "status"), MUTATIONS)
def test_machine_mode_system_calls_on_qemu(
    tmp_path: Path, mutation: str | None, replacement: str | None, status: int
) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld", "qemu-system-riscv64")
    options = load_riscv64_spec(MACHINE, "machine.yaml")
    frame = options.frame

    def offset(reg: str) -> int:
        slot = frame.slot_of_register(reg)
        assert slot is not None
        return slot.offset

    cause = frame.slot_of_role(Role.CAUSE)
    assert cause is not None
    text = assembly(options)
    if mutation is not None and replacement is not None:
        text, n = re.subn(mutation, replacement, text)
        assert n
    glue = assemble(text, tmp_path / "glue.o", GNU_AS)
    firmware = assemble(_firmware(offset("a0"), offset("a7"), offset("t3"), cause.offset), tmp_path / "fw.o", GNU_AS)
    elf = tmp_path / "fw.elf"
    run(
        [
            "riscv64-linux-gnu-ld",
            "-static",
            "-nostdlib",
            "-e",
            "_start",
            "-Ttext=0x80000000",
            "--section-start=.text.start=0x80000000",
            "-o",
            str(elf),
            str(firmware),
            str(glue),
        ]
    )
    proc = subprocess.run(
        [
            "timeout",
            "5",
            "qemu-system-riscv64",
            "-M",
            "virt",
            "-bios",
            "none",
            "-nographic",
            "-accel",
            "tcg",
            "-kernel",
            str(elf),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == status, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
