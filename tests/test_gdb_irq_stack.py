"""gdb backtraces from a handler that runs on the IRQ stack into the interrupted code.

A Linux user-space program stands in for the kernel: the GS base (``arch_prctl``)
points at a per-CPU block holding the IRQ stack's top and its counter, and
``interrupted`` does what the CPU does on an interrupt of ring-0 code in 64-bit
mode (SDM Vol. 3A 6.14.2: align rsp to 16, push SS, RSP, RFLAGS, CS, RIP, no
privilege change), then jumps to the vector's stub.  The generated entry switches
to the IRQ stack (counter 0) or stays where it is (counter 1, nested) and calls the
handler, which clobbers the registers the SysV ABI lets it clobber (rdi included,
which held the frame) and calls ``on_irq_stack``, where gdb stops.  ``bt`` must
go handler -> the interrupt frame -> ``interrupted`` -> ``main``: the unwinder
computes the entry's CFA from the frame address the entry pushed on the IRQ stack.

Controls: the same program with the entry's CFA expressions deleted (the CFA left on
rdi) does not reach ``main``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, loads_x86, require_tool, run

import isrgen

#: struct percpu below: irq_stack_top and irq_stack_depth
IRQ_STACK = "entry: {swapgs: true}\nirq_stack: {top_gs: 24, depth_gs: 32}\n"
IRQ_STACK_SIZE = 16384

PROGRAM = f"""\
#include <asm/prctl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

struct percpu {{ uint64_t unused[3], irq_stack_top, irq_stack_depth; }};
static struct percpu cpu;
unsigned char irq_stack[{IRQ_STACK_SIZE}] __attribute__((aligned(16)));
volatile uint64_t handler_rsp;

void interrupted(void);

__attribute__((noinline)) void on_irq_stack(void)
{{
    __asm__ volatile("" ::: "memory");
}}

void isr_dispatch(void *frame)
{{
    (void)frame;
    __asm__ volatile("mov %%rsp, %0" : "=m"(handler_rsp));
    /* what a handler may do to the caller-saved registers (SysV AMD64 ABI 3.2.1) */
    __asm__ volatile("xor %%edi, %%edi; xor %%esi, %%esi; xor %%edx, %%edx; xor %%ecx, %%ecx"
                     ::: "rdi", "rsi", "rdx", "rcx");
    on_irq_stack();
    _exit(0);
}}

int main(int argc, char **argv)
{{
    (void)argv;
    cpu.irq_stack_top = (uint64_t)(irq_stack + sizeof irq_stack);
    cpu.irq_stack_depth = argc > 1; /* "nested": a handler already runs on the IRQ stack */
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, &cpu) != 0)
        return 2;
    interrupted();
    return 1;
}}
"""

#: the CPU's delivery of vector 32 while ``interrupted`` runs its first instruction
DELIVER = """\
    .intel_syntax noprefix
    .text
    .globl interrupted
    .type interrupted, @function
interrupted:
    .cfi_startproc
    mov rax, rsp
    .cfi_def_cfa rax, 8
    and rsp, -16
    push 0x10                 /* ss */
    push rax                  /* rsp */
    pushfq                    /* rflags */
    push 0x8                  /* cs: ring 0, no swapgs */
    lea rcx, [rip + interrupted]
    push rcx                  /* rip */
    jmp {stub}
    .cfi_endproc
    .size interrupted, . - interrupted
    .section .note.GNU-stack,"",@progbits
"""


def _build(work: Path, edit: Callable[[str], str] | None = None) -> Path:
    require_tool("gcc", "as", "ld", "gdb")
    spec = loads_x86(DEFAULT_SPEC.read_text() + "\n" + IRQ_STACK, "irq-stack.yaml")
    vector = spec.vector(32)
    assert vector is not None and vector.irq_stack
    (source,) = isrgen.build(spec, work, ["gas"])
    if edit is not None:
        source.write_text(edit(source.read_text()))
    (work / "prog.c").write_text(PROGRAM)
    (work / "deliver.S").write_text(DELIVER.format(stub=vector.stub_symbol))
    prog = work / "prog"
    run(["gcc", "-g", "-O1", "-static", "-no-pie", "-o", str(prog), str(work / "prog.c"), str(work / "deliver.S"),
         str(source)])  # fmt: skip
    return prog


def _gdb(prog: Path, *args: str) -> str:
    cmds = ["set pagination off", "set confirm off", "break on_irq_stack", f"run {' '.join(args)}".strip(),
            "bt 8", "echo ==rsp==\\n", "p/x handler_rsp - (unsigned long)irq_stack", "kill"]  # fmt: skip
    proc = run(["gdb", "-nx", "--batch", *(a for c in cmds for a in ("-ex", c)), str(prog)], check=False)
    return proc.stdout + proc.stderr


def _functions(output: str) -> list[str]:
    names = []
    for line in output.splitlines():
        if not re.match(r"#\d+\s", line):
            continue
        if "<signal handler called>" in line:
            names.append("<signal>")
            continue
        match = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(", line)
        names.append(match.group(1) if match else line)
    return names


def _handler_offset(output: str) -> int:
    """handler_rsp - irq_stack as gdb printed it (a 64-bit unsigned difference)."""
    match = re.search(r"==rsp==\n\$\d+ = (0x[0-9a-f]+)", output)
    assert match, output
    return int(match.group(1), 16)


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("gdb-irq-stack"))


@pytest.mark.parametrize("nested", [False, True], ids=["from-task-stack", "nested"])
def test_backtrace_from_the_irq_stack_reaches_the_interrupted_function(program: Path, nested: bool) -> None:
    out = _gdb(program, *(["nested"] if nested else []))
    assert _functions(out)[:5] == ["on_irq_stack", "isr_dispatch", "<signal>", "interrupted", "main"], out
    offset = _handler_offset(out)
    if nested:  # the counter said "on the IRQ stack already": the entry stayed on this stack
        assert not 0 <= offset < IRQ_STACK_SIZE, out
    else:  # the handler ran on the IRQ stack
        assert 0 <= offset < IRQ_STACK_SIZE, out


def test_without_the_cfa_expression_the_backtrace_does_not_reach_main(tmp_path: Path) -> None:
    """Control: the CFA left on rdi, which the handler clobbered, loses the interrupted code."""

    def damage(text: str) -> str:
        assert ".cfi_escape 0x0f," in text
        return re.sub(r"    \.cfi_escape 0x0f,.*\n", "", text)

    out = _gdb(_build(tmp_path, damage))
    functions = _functions(out)
    assert functions[:2] == ["on_irq_stack", "isr_dispatch"], out
    assert "main" not in functions, out
