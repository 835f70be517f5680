"""Every real tool on a riscv64 spec's output: GNU as and llvm-mc (same bytes, relocations
masked), riscv64-linux-gnu-gcc on the header (C11, -Wall -Wextra -Werror -pedantic, with the
header's own static asserts), rustc on the Rust module (global_asm! for the bare-metal target,
the #[repr(C)] structs and their layout asserts on the host), then the unicorn proof."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from riscv64_tools import GNU_AS, LLVM_MC, assemble, sections

from isrgen.arch.riscv64.c_view import render_c_header
from isrgen.arch.riscv64.codegen import build_program
from isrgen.arch.riscv64.gas import render_gas
from isrgen.arch.riscv64.options import Riscv64Options
from isrgen.arch.riscv64.prove import prove
from isrgen.arch.riscv64.rust_view import render_rust, rust_layout_asserts

TOOLS = ("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld", "riscv64-linux-gnu-gcc", "llvm-mc", "rustc")
GCC = ["riscv64-linux-gnu-gcc", "-ffreestanding", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"]
NO_CORE = """#![feature(no_core, lang_items, rustc_attrs, decl_macro)]
#![allow(internal_features)]
#![no_core]
#![no_std]
#[lang = "pointee_sized"] pub trait PointeeSized {}
#[lang = "meta_sized"] pub trait MetaSized: PointeeSized {}
#[lang = "sized"] pub trait Sized: MetaSized {}
#[rustc_builtin_macro] pub macro global_asm($($t:tt)*) { /* compiler built-in */ }
"""


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise AssertionError(f"{cmd[0]} failed:\n{proc.stdout}{proc.stderr}")


#: addi x0, x0, 0 (unprivileged spec 2.4, NOP), little-endian
_NOP = bytes.fromhex("13000000")


def _masked(data: bytes, offsets: set[int]) -> bytes:
    out = bytearray(data)
    for off in offsets:
        out[off : off + 4] = bytes(4)
    return bytes(out)


def check_assemblers(options: Riscv64Options, tmp: Path) -> str:
    text = render_gas(build_program(options))
    gnu = sections(assemble(text, tmp / "gnu.o", GNU_AS))
    llvm = sections(assemble(text, tmp / "llvm.o", LLVM_MC))
    if options.hardening.compressed:
        # with RVC allowed the assemblers pick different encodings (GNU as turns a forward
        # ``j`` into c.j, LLVM keeps jal): both must assemble, the bytes may differ
        return text
    for name, (m, m_rel) in llvm.items():
        if name in (".text", ".eh_frame"):
            continue
        g, g_rel = gnu[name]
        n = min(len(g), len(m))
        # past the code both pad the section to its alignment: GNU as with zeros, LLVM with nops
        for tail in (g[n:], m[n:]):
            assert tail in (bytes(len(tail)), _NOP * (len(tail) // 4)), name
        assert _masked(g[:n], g_rel | m_rel) == _masked(m[:n], g_rel | m_rel), name
    return text


def check_c(options: Riscv64Options, tmp: Path, body: str = "") -> None:
    (tmp / "glue.h").write_text(render_c_header(options))
    (tmp / "check.c").write_text('#include <stddef.h>\n#include "glue.h"\n' + body)
    _run([*GCC, "-o", str(tmp / "check.o"), str(tmp / "check.c")])


def check_rust(options: Riscv64Options, tmp: Path) -> None:
    text = render_rust(options)
    at = text.index("core::arch::global_asm!")
    (tmp / "glue.rs").write_text(NO_CORE + text[at:].replace("core::arch::global_asm!", "global_asm!"))
    env = {**os.environ, "RUSTC_BOOTSTRAP": "1"}
    _run(
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
            str(tmp / "glue_rs.o"),
            str(tmp / "glue.rs"),
        ],
        env,
    )
    (tmp / "layout.rs").write_text(
        "#![no_std]\n#![deny(warnings)]\n#![allow(dead_code)]\n" + text[:at] + rust_layout_asserts(options)
    )
    _run(
        [
            "rustc",
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--emit",
            "metadata",
            "-o",
            str(tmp / "layout.rmeta"),
            str(tmp / "layout.rs"),
        ]
    )


def check_everything(options: Riscv64Options, tmp: Path, seed: int = 0) -> int:
    """Assemble, compile, prove; the number of proven trap cases."""
    check_assemblers(options, tmp)
    check_c(options, tmp)
    check_rust(options, tmp)
    return len(prove(options, seed=seed).cases)
