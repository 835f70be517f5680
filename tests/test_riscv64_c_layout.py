"""The riscv64 frame layouts against C structs written by hand from each kernel's convention,
compiled with riscv64-linux-gnu-gcc -Werror and checked with _Static_assert."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_tool, run
from riscv64_tools import SPECS, load

from isrgen.arch.riscv64.c_view import render_c_header

GCC = ["riscv64-linux-gnu-gcc", "-ffreestanding", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"]

_X = [
    "ra",
    "sp",
    "gp",
    "tp",
    "t0",
    "t1",
    "t2",
    "s0",
    "s1",
    "a0",
    "a1",
    "a2",
    "a3",
    "a4",
    "a5",
    "a6",
    "a7",
    "s2",
    "s3",
    "s4",
    "s5",
    "s6",
    "s7",
    "s8",
    "s9",
    "s10",
    "s11",
    "t3",
    "t4",
    "t5",
    "t6",
]

#: Linux arch/riscv/include/asm/ptrace.h, struct pt_regs, field by field
LINUX_PT_REGS = (
    "struct linux_pt_regs {\n    unsigned long epc;\n"
    + "".join(f"    unsigned long {r};\n" for r in _X)
    + "    unsigned long status;\n    unsigned long badaddr;\n    unsigned long cause;\n"
    + "    unsigned long orig_a0;\n};\n"
)
#: Linux's asm-offsets for riscv (PT_SIZE and the CSR slots)
LINUX_OFFSETS = {
    "epc": 0,
    "ra": 8,
    "sp": 16,
    "tp": 32,
    "a0": 80,
    "status": 256,
    "badaddr": 264,
    "cause": 272,
    "orig_a0": 280,
}
LINUX_SIZE = 288

#: xv6-riscv kernel/proc.h, struct trapframe, with the offsets its comments give
XV6_TRAPFRAME_FIELDS = ["kernel_satp", "kernel_sp", "kernel_trap", "epc", "kernel_hartid", *_X]
XV6_TRAPFRAME = (
    "typedef unsigned long uint64;\nstruct xv6_trapframe {\n"
    + "".join(
        f"  /* {8 * i:3d} */ uint64 {name};\n"
        for i, name in enumerate(
            [
                "kernel_satp",
                "kernel_sp",
                "kernel_trap",
                "epc",
                "kernel_hartid",
                "ra",
                "sp",
                "gp",
                "tp",
                "t0",
                "t1",
                "t2",
                "s0",
                "s1",
                "a0",
                "a1",
                "a2",
                "a3",
                "a4",
                "a5",
                "a6",
                "a7",
                "s2",
                "s3",
                "s4",
                "s5",
                "s6",
                "s7",
                "s8",
                "s9",
                "s10",
                "s11",
                "t3",
                "t4",
                "t5",
                "t6",
            ]
        )
    )
    + "};\n"
)
XV6_OFFSETS = {
    "kernel_satp": 0,
    "kernel_sp": 8,
    "kernel_trap": 16,
    "epc": 24,
    "kernel_hartid": 32,
    "ra": 40,
    "sp": 48,
    "a0": 112,
    "a7": 168,
    "s2": 176,
    "s11": 248,
    "t3": 256,
    "t6": 280,
}
#: xv6 kernel/kernelvec.S: addi sp, sp, -256, then x1..x31 at 0, 8, ..., 240
XV6_KERNELVEC = (
    "struct xv6_kernelvec_frame {\n" + "".join(f"    uint64 {r};\n" for r in _X) + ("    uint64 unused;\n};\n")
)


DISPATCH = "dispatch: {interrupts: 6, exceptions: 13}"


def _compile(tmp_path: Path, header: str, body: str) -> None:
    (tmp_path / "glue.h").write_text(header)
    src = tmp_path / "check.c"
    src.write_text('#include <stddef.h>\n#include "glue.h"\n' + body)
    run([*GCC, "-o", str(tmp_path / "check.o"), str(src)])


def _same_layout(hand: str, generated: str, fields: list[str]) -> str:
    lines = [
        f'_Static_assert(offsetof(struct {hand}, {f}) == offsetof(struct {generated}, {f}), "{f}");' for f in fields
    ]
    lines.append(f'_Static_assert(sizeof(struct {hand}) == sizeof(struct {generated}), "size");')
    return "\n".join(lines) + "\n"


def _literal(hand: str, offsets: dict[str, int], size: int | None) -> str:
    lines = [f'_Static_assert(offsetof(struct {hand}, {f}) == {o}, "{f}");' for f, o in offsets.items()]
    if size is not None:
        lines.append(f'_Static_assert(sizeof(struct {hand}) == {size}, "size");')
    return "\n".join(lines) + "\n"


def test_linux_pt_regs(tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-gcc")
    options = load(next(s for s in SPECS if "linux" in s.name))
    fields = ["epc", *_X, "status", "badaddr", "cause", "orig_a0"]
    body = LINUX_PT_REGS + _literal("linux_pt_regs", LINUX_OFFSETS, LINUX_SIZE)
    _compile(tmp_path, render_c_header(options), body + _same_layout("linux_pt_regs", "pt_regs", fields))


def test_xv6_trapframe_and_kernelvec_frame(tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-gcc")
    options = load(next(s for s in SPECS if "xv6" in s.name))
    body = XV6_TRAPFRAME + _literal("xv6_trapframe", XV6_OFFSETS, 288)
    body += _same_layout("xv6_trapframe", "trapframe", XV6_TRAPFRAME_FIELDS)
    body += XV6_KERNELVEC + _literal("xv6_kernelvec_frame", {r: 8 * i for i, r in enumerate(_X)}, 256)
    body += _same_layout("xv6_kernelvec_frame", "kernel_regs", _X)
    _compile(tmp_path, render_c_header(options), body)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_header_compiles_and_stvec_value(spec: Path, tmp_path: Path) -> None:
    """The header compiles cleanly; the stvec helper sets MODE in bits 1:0 (priv 4.1.2)."""
    require_tool("riscv64-linux-gnu-gcc")
    options = load(spec)
    prefix = options.symbols.prefix.upper()
    vectored = "mode: vectored" in spec.read_text()
    want, what = (0x80001001, "vectored mode is 1") if vectored else (0x80001000, "direct mode is 0")
    body = f'_Static_assert({prefix}TVEC_VALUE(0x80001000ul) == {want:#x}ul, "{what}");\n'
    _compile(tmp_path, render_c_header(options), body)


def test_vectored_stvec_value(tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-gcc")
    from isrgen.arch.riscv64.resolve import load_riscv64_spec

    text = SPECS[0].read_text().replace("  mode: direct ", "  mode: vectored #")
    options = load_riscv64_spec(text, "v.yaml")
    body = '_Static_assert(TRAP_TVEC_VALUE(0x80001000ul) == 0x80001001ul, "vectored mode is 1");\n'
    _compile(tmp_path, render_c_header(options), body)


def test_dispatch_tables_declared(tmp_path: Path) -> None:
    """The header declares the handler tables with the handler's type: a kernel's table of
    real handlers compiles against it."""
    require_tool("riscv64-linux-gnu-gcc")
    from isrgen.arch.riscv64.resolve import load_riscv64_spec

    text = SPECS[0].read_text().replace("  args: [frame, cause]", "  args: [frame, cause]\n  " + DISPATCH)
    options = load_riscv64_spec(text, "d.yaml")
    body = (
        "static void h(struct trap_frame *f, unsigned long c) { (void)f; (void)c; }\n"
        "void (*const trap_interrupt_handlers[6])(struct trap_frame *, unsigned long) = {h, h, h, h, h, h};\n"
        "void (*const trap_exception_handlers[13])(struct trap_frame *, unsigned long) = {h};\n"
    )
    _compile(tmp_path, render_c_header(options), body)


#: seL4 include/arch/riscv/arch/machine/registerset.h: the register enum indexing
#: user_context.registers[] (ra = 0 ... t6 = 30, then SCAUSE, SSTATUS, FaultIP, NextIP)
SEL4_REGISTERS = [*_X, "scause_reg", "sstatus_reg", "fault_ip", "next_ip"]


def test_sel4_like_user_context(tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-gcc")
    options = load(next(s for s in SPECS if "sel4" in s.name))
    body = "".join(
        f'_Static_assert(offsetof(struct user_context, {name}) == {i} * 8, "{name}");\n'
        for i, name in enumerate(SEL4_REGISTERS)
    )
    _compile(tmp_path, render_c_header(options), body)
