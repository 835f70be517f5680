"""A mittos64-style baseline, written and assembled in the same run as isrgen's glue.

mittos64 (github.com/thomasloven/mittos64) generates 256 stubs with a Python
script, ``src/kernel/cpu/isr.S.py``: ``push 0`` (a synthetic
error code, left out where the CPU pushes one), ``push n``, ``jmp isr_common``,
with no alignment, and a common entry in another file that pushes the 15 GPRs,
calls ``int_handler(frame)``, resumes the frame the handler returns, pops and
``iretq``.  mittos64's isr.S.py also starts every stub with ``cli`` and puts a
``nop`` where an error code is pushed; the benchmark leaves both out and uses the
leaner "push 0 / push n / jmp" form, so the comparison does not flatter isrgen.
The error-code set is mittos64's own (8, 10-14, 17).
"""

from __future__ import annotations

from pathlib import Path

from isrgen.proof import toolchain

#: vectors mittos64's isr.S.py treats as pushing an error code (it misses 21, 29, 30)
ERROR_CODE_VECTORS = frozenset({8, 10, 11, 12, 13, 14, 17})
STUB_SECTION = ".text"
TABLE = "isr_table"
HANDLER = "int_handler"
#: register push order of mittos64's isr_common (the pops run in reverse)
PUSH_ORDER = ("r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8", "rbp", "rdi", "rsi", "rdx", "rcx", "rbx", "rax")


def stub_source() -> str:
    """The 256 stubs and the vector table, as mittos64's isr.S.py lays them out."""
    lines = [".intel_syntax noprefix", ".extern isr_common", ".text"]
    for n in range(256):
        lines.append(f".globl isr{n}")
        lines.append(f".type isr{n}, @function")
        lines.append(f"isr{n}:")
        if n not in ERROR_CODE_VECTORS:
            lines.append("    push 0")
        lines.append(f"    push {n}")
        lines.append("    jmp isr_common")
        lines.append(f".size isr{n}, . - isr{n}")
    lines += [".section .data", f".globl {TABLE}", f"{TABLE}:"]
    lines += [f"    .quad isr{n}" for n in range(256)]
    lines.append('.section .note.GNU-stack,"",@progbits')
    return "\n".join(lines) + "\n"


def common_source() -> str:
    """mittos64's ``isr_common`` / ``isr_return`` (the handler returns the frame to resume)."""
    lines = [".intel_syntax noprefix", ".text", ".globl isr_common", ".type isr_common, @function", "isr_common:"]
    lines += [f"    push {r}" for r in PUSH_ORDER]
    lines += ["    mov rdi, rsp", f"    call {HANDLER}", "    mov rdi, rax", ".globl isr_return", "isr_return:"]
    lines += ["    mov rsp, rdi"]
    lines += [f"    pop {r}" for r in reversed(PUSH_ORDER)]
    lines += ["    add rsp, 0x10", "    iretq", ".size isr_common, . - isr_common"]
    lines.append('.section .note.GNU-stack,"",@progbits')
    return "\n".join(lines) + "\n"


def assemble(workdir: Path) -> tuple[Path, Path]:
    """Write and assemble both baseline files; returns (stubs object, common object)."""
    workdir.mkdir(parents=True, exist_ok=True)
    stubs = workdir / "mittos64_isr.S"
    common = workdir / "mittos64_isr_common.S"
    stubs.write_text(stub_source(), encoding="utf-8")
    common.write_text(common_source(), encoding="utf-8")
    return toolchain.assemble_gas(stubs), toolchain.assemble_gas(common)
