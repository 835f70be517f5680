"""The Rust module: global_asm! compiled by rustc for riscv64gc-unknown-none-elf gives the
same code as llvm-mc; the #[repr(C)] structs have the spec's layout (checked on the host)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import require_tool, run
from riscv64_tools import LLVM_MC, SPECS, assemble, assembly, load, sections

from isrgen.arch.riscv64.rust_view import render_rust

NO_CORE = """#![feature(no_core, lang_items, rustc_attrs, decl_macro)]
#![allow(internal_features)]
#![no_core]
#![no_std]
#[lang = "pointee_sized"] pub trait PointeeSized {}
#[lang = "meta_sized"] pub trait MetaSized: PointeeSized {}
#[lang = "sized"] pub trait Sized: MetaSized {}
#[rustc_builtin_macro] pub macro global_asm($($t:tt)*) { /* compiler built-in */ }
"""


def _masked(data: bytes, offsets: set[int]) -> bytes:
    out = bytearray(data)
    for off in offsets:
        out[off : off + 4] = bytes(4)
    return bytes(out)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_global_asm_matches_llvm_mc(spec: Path, tmp_path: Path) -> None:
    require_tool("rustc", "llvm-mc")
    options = load(spec)
    text = render_rust(options)
    # the structs need core's lang items; the glue alone compiles without core
    module = text[text.index("core::arch::global_asm!") :].replace("core::arch::global_asm!", "global_asm!")
    src = tmp_path / "glue.rs"
    src.write_text(NO_CORE + module)
    obj = tmp_path / "glue.o"
    env = {**os.environ, "RUSTC_BOOTSTRAP": "1"}
    run(
        [
            "rustc",
            "--edition",
            "2021",
            "--target",
            "riscv64gc-unknown-none-elf",
            "--crate-type",
            "lib",
            "--emit",
            "obj",
            "-o",
            str(obj),
            str(src),
        ],
        env=env,
    )
    rust = sections(obj)
    llvm = sections(assemble(assembly(options), tmp_path / "llvm.o", LLVM_MC))
    for name in llvm:
        if name in (".text", ".eh_frame"):
            continue
        relocs = rust[name][1] | llvm[name][1]
        assert _masked(rust[name][0], relocs) == _masked(llvm[name][0], relocs), name


#: x1 .. x31 by their psABI names (RISC-V psABI, "Integer register convention")
_X = ["ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
      "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"]  # fmt: skip
#: Linux arch/riscv/include/asm/ptrace.h struct pt_regs; its asm-offsets (PT_SIZE, CSR slots)
LINUX_OFFSETS = {"epc": 0, "ra": 8, "sp": 16, "tp": 32, "a0": 80, "status": 256, "badaddr": 264, "cause": 272,
                 "orig_a0": 280}  # fmt: skip
#: xv6-riscv kernel/proc.h struct trapframe, with the offsets its comments give
XV6_OFFSETS = {"kernel_satp": 0, "kernel_sp": 8, "kernel_trap": 16, "epc": 24, "kernel_hartid": 32, "ra": 40,
               "sp": 48, "a0": 112, "a7": 168, "s2": 176, "s11": 248, "t3": 256, "t6": 280}  # fmt: skip
_XV6_HEAD = ["kernel_satp", "kernel_sp", "kernel_trap", "epc", "kernel_hartid"]

#: Every struct each spec declares: its fields low address first, as the kernel's source
#: (or, for isrgen's own default frame, the spec's layout text) writes them, and its size.
#: Each field is one unsigned long / u64: 8 bytes, 8-aligned in LP64 (RISC-V psABI, "C/C++
#: type sizes and alignments"); a frame is rounded up to 16 bytes, the psABI's stack
#: alignment, unless the spec gives its size.  The f0-f31 block is one [u64; 32] field.
STRUCTS: dict[str, list[tuple[str, list[str], int]]] = {
    # specs/riscv64.yaml: x1-x31, then the trap CSRs and orig_a0; 36 words
    "riscv64": [("TrapFrame", [*_X, "sepc", "sstatus", "stval", "scause", "orig_a0"], 288)],
    # Linux struct pt_regs: epc, x1-x31, status, badaddr, cause, orig_a0; 36 words (PT_SIZE 288)
    "riscv64_linux_pt_regs": [("PtRegs", ["epc", *_X, "status", "badaddr", "cause", "orig_a0"], 288)],
    # seL4 registerset.h: ra = 0 .. t6 = 30, SCAUSE, SSTATUS, FaultIP, NextIP; then the spec's
    # kernel_stack, hart_id, trap_handler: 38 words.  The kernel frame: x1-x31, sepc,
    # sstatus, 33 words = 264, rounded up to 272.
    "riscv64_sel4_like": [
        (
            "UserContext",
            [*_X, "scause_reg", "sstatus_reg", "fault_ip", "next_ip", "kernel_stack", "hart_id", "trap_handler"],
            304,
        ),
        ("KernelFrame", [*_X, "sepc", "sstatus"], 272),
    ],
    # xv6's trapframe head, status, cause, tval, x1-x31 (39 words), f0-f31 (32), fcsr:
    # 72 words = 576.  kernelvec's frame: x1-x31, epc, status, 33 words rounded up to 272.
    "riscv64_switch_vectored_syscall": [
        ("Trapframe", [*_XV6_HEAD, "status", "cause", "tval", *_X, "f", *[""] * 31, "fcsr"], 576),
        ("KernelRegs", [*_X, "epc", "status"], 272),
    ],
    # rCore-Tutorial os/src/trap/context.rs: TrapContext { x: [usize; 32], sstatus, sepc }:
    # 34 words = 272 (x[0] never saved: the spec's 8-byte pad named x0)
    "riscv64_rcore_batch": [("TrapContext", ["x0", *_X, "sstatus", "sepc"], 272)],
    # the same plus kernel_satp, kernel_sp, trap_handler (chapters 4-7): 37 words = 296 (a
    # trapframe at a fixed address, not on a stack: not rounded); the kernel-mode frame
    # x1-x31, sepc, sstatus: 33 words, rounded up to 272
    "riscv64_rcore_trampoline": [
        ("TrapContext", ["x0", *_X, "sstatus", "sepc", "kernel_satp", "kernel_sp", "trap_handler"], 296),
        ("KernelTrapFrame", [*_X, "sepc", "sstatus"], 272),
    ],
    # FreeBSD sys/riscv/include/frame.h: tf_ra, tf_sp, tf_gp, tf_tp, tf_t[7], tf_s[12],
    # tf_a[8], tf_sepc, tf_sstatus, tf_stval, tf_scause: 35 words = 280, rounded up to 288
    "riscv64_freebsd_trapframe": [
        (
            "Trapframe",
            [
                "tf_ra",
                "tf_sp",
                "tf_gp",
                "tf_tp",
                *[f"tf_t{i}" for i in range(7)],
                *[f"tf_s{i}" for i in range(12)],
                *[f"tf_a{i}" for i in range(8)],
                "tf_sepc",
                "tf_sstatus",
                "tf_stval",
                "tf_scause",
            ],
            288,
        ),
    ],
    # xv6 kernel/proc.h trapframe (36 words = 288); kernel/kernelvec.S: addi sp, sp, -256
    # and x1-x31 at 0, 8, ..., 240.
    "riscv64_xv6_trampoline": [("Trapframe", [*_XV6_HEAD, *_X], 288), ("KernelRegs", _X, 256)],
}


def _offsets(fields: list[str]) -> dict[str, int]:
    return {name: 8 * i for i, name in enumerate(fields) if name}


def test_struct_tables_against_the_kernels_literal_offsets() -> None:
    linux = _offsets(STRUCTS["riscv64_linux_pt_regs"][0][1])
    assert {k: linux[k] for k in LINUX_OFFSETS} == LINUX_OFFSETS
    xv6 = _offsets(STRUCTS["riscv64_xv6_trampoline"][0][1])
    assert {k: xv6[k] for k in XV6_OFFSETS} == XV6_OFFSETS
    switch = _offsets(STRUCTS["riscv64_switch_vectored_syscall"][0][1])
    assert (switch["t6"], switch["f"], switch["fcsr"]) == (304, 312, 568)
    assert sorted(STRUCTS) == sorted(s.stem for s in SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_repr_c_layout_on_the_host(spec: Path, tmp_path: Path) -> None:
    """repr(C) with u64 fields lays out alike on every LP64 target: checked where core exists,
    against the offsets of STRUCTS."""
    require_tool("rustc")
    options = load(spec)
    text = render_rust(options)
    structs = text[: text.index("core::arch::global_asm!")]
    # every field the struct declares is in the table (a generated tail pad may follow)
    declared = {m[1]: re.findall(r"^    pub ([a-z]\w*):", m[2], re.M)
                for m in re.finditer(r"^pub struct (\w+) \{\n(.*?)^\}", structs, re.M | re.S)}  # fmt: skip
    asserts = []
    for name, fields, size in STRUCTS[spec.stem]:
        assert declared[name] == [f for f in fields if f], name
        asserts.append(f"const _: () = assert!(core::mem::size_of::<{name}>() == {size});")
        asserts += [f"const _: () = assert!(core::mem::offset_of!({name}, {f}) == {o});"
                    for f, o in _offsets(fields).items()]  # fmt: skip
    assert sorted(declared) == sorted(name for name, _, _ in STRUCTS[spec.stem])
    src = tmp_path / "layout.rs"
    src.write_text("#![no_std]\n#![allow(dead_code)]\n" + structs + "\n".join(asserts) + "\n")
    run(
        [
            "rustc",
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--emit",
            "metadata",
            "-o",
            str(tmp_path / "l.rmeta"),
            str(src),
        ]
    )
