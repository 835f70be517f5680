"""The riscv64 glue on QEMU's CPU, which delivers the traps itself: a bare-metal image starts
in M-mode, delegates to S-mode, takes an ebreak in S-mode and system calls from U-mode
through the generated entry, and reports through the virt test device."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_tool, run
from riscv64_tools import GNU_AS, SPECS, assemble, assembly, load

from isrgen.arch.riscv64.options import Role

#: QEMU virt's sifive_test device: 0x5555 exits with 0, (code << 16) | 0x3333 exits with code
TEST_DEVICE = 0x100000


def _kernel(epc: int, a0: int, a7: int, t3: int) -> str:
    return f"""
    .section .text.start, "ax"
    .option norvc           # ebreak is 4 bytes: the handler skips 4
    .globl _start
_start:
    la sp, stack_top
    li t0, -1
    csrw medeleg, t0
    csrw mideleg, t0
    csrw pmpaddr0, t0
    li t0, 0x1f             # pmpcfg0: NAPOT, R W X: S and U may use all memory
    csrw pmpcfg0, t0
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800            # MPP = S
    csrs mstatus, t0
    la t0, s_main
    csrw mepc, t0
    mret

s_main:
    la t0, trap_entry
    csrw stvec, t0
    csrw sscratch, zero     # in the kernel
    li s1, 0x5151
    ebreak                  # cause 3 from S: the handler skips it
    li t0, 0x5151
    bne s1, t0, fail
    la t0, stack_top
    csrw sscratch, t0       # U-mode will run: the kernel stack
    li t0, 0x100
    csrc sstatus, t0        # SPP = U
    la t0, u_main
    csrw sepc, t0
    sret

u_main:
    li s0, 0x1234
    li t3, 0x7777
    li a0, 7
    li a7, 1
    ecall                   # a0 = 7 * 6 in the frame, t3 zeroed, s0 restored
    li t0, 42
    bne a0, t0, u_fail
    bnez t3, u_fail
    li t0, 0x1234
    bne s0, t0, u_fail
    li a7, 2
    ecall                   # pass
u_fail:
    li a7, 3
    ecall

    .globl trap_handler
trap_handler:               # a0 = frame, a1 = scause
    li t0, 3
    bne a1, t0, fail_cause
    ld t0, {epc}(a0)
    addi t0, t0, 4
    sd t0, {epc}(a0)
    ret

    .globl syscall_handler
syscall_handler:            # a0 = frame
    ld t0, {a7}(a0)
    li t1, 1
    beq t0, t1, 1f
    li t1, 2
    beq t0, t1, pass
    li t1, 3
    beq t0, t1, fail_user
    j fail_syscall
1:  ld t0, {a0}(a0)
    li t1, 6
    mul t0, t0, t1
    sd t0, {a0}(a0)
    sd t1, {t3}(a0)         # a value for t3 the exit must not hand back
    ret

pass:
    li t0, 0x5555
    j 2f
fail:                       # exit 4: the S-mode ebreak did not resume right
    li t0, (4 << 16) | 0x3333
    j 2f
fail_cause:                 # exit 5: an unexpected cause reached the handler
    li t0, (5 << 16) | 0x3333
    j 2f
fail_user:                  # exit 6: U-mode saw wrong registers after the system call
    li t0, (6 << 16) | 0x3333
    j 2f
fail_syscall:               # exit 7: an unknown system call number
    li t0, (7 << 16) | 0x3333
2:  li t1, {TEST_DEVICE:#x}
    sw t0, 0(t1)
    j .

    .bss
    .balign 16
    .space 16384
stack_top:
"""


MUTATIONS = [(None, 0), (r"    ld s0, \d+\(sp\)\n", 6), (r"    ld a0, \d+\(sp\)\n", 6), (r"    addi t0, t0, 4\n", 7)]


@pytest.mark.parametrize(("mutation", "status"), MUTATIONS)
def test_boots_on_qemu(tmp_path: Path, mutation: str | None, status: int) -> None:
    """Unmodified glue passes; without the s0 or a0 restore U-mode sees a wrong register after
    the system call (exit 6); without sepc += 4 the ecall runs again with a7 zeroed (exit 7)."""
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld", "qemu-system-riscv64")
    options = load(SPECS[0])
    frame = options.frame

    def offset(reg: str) -> int:
        slot = frame.slot_of_register(reg)
        assert slot is not None
        return slot.offset

    epc = frame.slot_of_role(Role.EPC)
    assert epc is not None
    text = assembly(options)
    if mutation is not None:
        text, n = re.subn(mutation, "", text)
        assert n
    glue = assemble(text, tmp_path / "glue.o", GNU_AS)
    kernel = assemble(_kernel(epc.offset, offset("a0"), offset("a7"), offset("t3")), tmp_path / "kernel.o", GNU_AS)
    elf = tmp_path / "k.elf"
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
            str(kernel),
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
