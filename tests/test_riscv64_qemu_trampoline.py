"""The xv6-like trampoline on QEMU's CPU with real Sv39 paging: the process's address space
maps only its code, the trapframe and the trampoline; U-mode ecalls enter the trampoline at
its alias, switch satp to the kernel's, reach usertrap through kernel_trap, and come back
through userret(user satp)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_tool, run
from riscv64_tools import GNU_AS, SPECS, assemble, assembly, load

from isrgen.arch.riscv64.options import Role

XV6 = next(s for s in SPECS if "xv6" in s.name)
TEST_DEVICE = 0x100000
# Sv39 PTE bits (priv 4.3.1): V R W X U A D
V, R, W, X, U, A, D = 1, 2, 4, 8, 16, 64, 128


def _kernel(off: dict[str, int], trampoline: int) -> str:
    leaf = A | D | V
    return f"""
    .option norvc
    .section .text.start, "ax"
    .globl _start
_start:
    la sp, stack_top
    li t0, -1
    csrw medeleg, t0
    csrw mideleg, t0
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800
    csrs mstatus, t0
    la t0, s_main
    csrw mepc, t0
    mret

# t0 = table entry address, t1 = the page it points to, t2 = flags
set_pte:
    srli t1, t1, 2
    or t1, t1, t2
    sd t1, 0(t0)
    ret

s_main:
    # kernel: 0x0 and 0x80000000 as identity gigapages, the trampoline at its alias
    la t0, root_k
    li t1, 0
    li t2, {R | W | leaf}
    call set_pte
    la t0, root_k + 8 * 2
    li t1, 0x80000000
    li t2, {R | W | X | leaf}
    call set_pte
    la t0, root_k + 8 * 0xff
    la t1, l1_k
    li t2, {V}
    call set_pte
    la t0, l1_k + 8 * 0x1ff
    la t1, l0_k
    call set_pte
    la t0, l0_k + 8 * 0x1ff
    la t1, xv6_trampoline
    li t2, {R | X | leaf}
    call set_pte
    # the process: its code at 0x1000, the trapframe and the trampoline, nothing else
    la t0, root_u + 8 * 0xff
    la t1, l1_u
    li t2, {V}
    call set_pte
    la t0, l1_u + 8 * 0x1ff
    la t1, l0_u
    call set_pte
    la t0, l0_u + 8 * 0x1ff
    la t1, xv6_trampoline
    li t2, {R | X | leaf}
    call set_pte
    la t0, l0_u + 8 * 0x1fe
    la t1, trapframe_page
    li t2, {R | W | leaf}
    call set_pte
    la t0, root_u
    la t1, l1_u0
    li t2, {V}
    call set_pte
    la t0, l1_u0
    la t1, l0_u0
    call set_pte
    la t0, l0_u0 + 8 * 1
    la t1, user_code
    li t2, {R | X | U | leaf}
    call set_pte
    # paging on with the kernel's table
    la t0, root_k
    srli t0, t0, 12
    li t1, 8 << 60
    or t0, t0, t1
    la t1, kernel_satp
    sd t0, 0(t1)
    sfence.vma zero, zero
    csrw satp, t0
    sfence.vma zero, zero
    # the trapframe words the trampoline needs
    la t1, trapframe_page
    sd t0, {off["kernel_satp"]}(t1)
    la t0, stack_top
    sd t0, {off["kernel_sp"]}(t1)
    la t0, usertrap
    sd t0, {off["kernel_trap"]}(t1)
    sd zero, {off["kernel_hartid"]}(t1)
    li t0, 0x1000
    sd t0, {off["epc"]}(t1)
    j usertrapret

usertrapret:
    la t1, uservec
    la t2, xv6_trampoline
    sub t1, t1, t2
    li t0, {trampoline:#x}
    add t1, t1, t0
    csrw stvec, t1
    li t0, 0x100
    csrc sstatus, t0          # SPP = U
    la a0, root_u
    srli a0, a0, 12
    li t1, 8 << 60
    or a0, a0, t1
    la t1, userret
    la t2, xv6_trampoline
    sub t1, t1, t2
    li t0, {trampoline:#x}
    add t1, t1, t0
    jr t1                     # userret(user satp) at its alias

    .globl usertrap
usertrap:                     # satp = the kernel's, sp = kernel_sp, tp = hart id
    la t0, kernel_satp
    ld t0, 0(t0)
    csrr t1, satp
    bne t0, t1, fail
    csrr t0, scause
    li t1, 8
    bne t0, t1, fail
    la t1, trapframe_page
    ld t0, {off["epc"]}(t1)
    addi t0, t0, 4
    sd t0, {off["epc"]}(t1)
    ld t0, {off["a7"]}(t1)
    li t2, 2
    beq t0, t2, pass
    li t2, 1
    bne t0, t2, fail
    ld t0, {off["a0"]}(t1)
    li t2, 6
    mul t0, t0, t2
    sd t0, {off["a0"]}(t1)
    li s0, -1                 # the kernel uses every register before it returns
    li a0, -1
    j usertrapret

    .globl kerneltrap
kerneltrap:                   # no trap is taken in the kernel here
    j fail

pass:
    li t0, 0x5555
    j 2f
fail:
    li t0, (4 << 16) | 0x3333
2:  li t1, {TEST_DEVICE:#x}
    sw t0, 0(t1)
    j .

    .section .text.user, "ax"
    .balign 4096
user_code:                    # runs at 0x1000 in the process's space
    li s0, 0x1234
    li a0, 7
    li a7, 1
    ecall
    li t0, 42
    bne a0, t0, 1f
    li t0, 0x1234
    bne s0, t0, 1f
    li a7, 2
    ecall
1:  li a7, 3
    ecall

    .bss
    .balign 4096
root_k: .space 4096
l1_k: .space 4096
l0_k: .space 4096
root_u: .space 4096
l1_u: .space 4096
l0_u: .space 4096
l1_u0: .space 4096
l0_u0: .space 4096
trapframe_page: .space 4096
kernel_satp: .space 8
    .balign 16
    .space 16384
stack_top:
"""


MUTATIONS = [(None, 0), (r"    csrw satp, t1\n", 124), (r"    ld s0, \d+\(a0\)\n", 4)]


@pytest.mark.parametrize(("mutation", "status"), MUTATIONS)
def test_trampoline_boots_on_qemu(tmp_path: Path, mutation: str | None, status: int) -> None:
    """Unmodified: passes.  Without the satp switch usertrap runs under the process's table,
    which does not map it (an instruction page fault loops back into the trampoline until the
    timeout).  Without userret's s0 restore the process sees s0 lost and ecalls 3 (exit 4)."""
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld", "qemu-system-riscv64")
    options = load(XV6)
    assert options.trampoline is not None
    frame = options.frame
    off: dict[str, int] = {}
    for role in (Role.KERNEL_SATP, Role.KERNEL_SP, Role.KERNEL_TRAP, Role.KERNEL_HARTID, Role.EPC):
        slot = frame.slot_of_role(role)
        assert slot is not None
        off[str(role)] = slot.offset
    for reg in ("a0", "a7"):
        slot = frame.slot_of_register(reg)
        assert slot is not None
        off[reg] = slot.offset
    text = assembly(options)
    if mutation is not None:
        text, n = re.subn(mutation, "    nop\n", text)
        assert n
    glue = assemble(text, tmp_path / "glue.o", GNU_AS)
    kernel = assemble(_kernel(off, options.trampoline.address), tmp_path / "kernel.o", GNU_AS)
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
