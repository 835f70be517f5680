"""Every tool an accepted aarch64 spec's output must pass: GNU as and llvm-mc (same bytes),
aarch64-linux-gnu-gcc and g++ on the C header with the test's own offset asserts, rustc on
the Rust struct (host) and on the global_asm! glue (aarch64-unknown-none), and the proof."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from a64_helpers import read_obj
from conftest import run

from isrgen.arch.aarch64.codegen import build_program
from isrgen.arch.aarch64.cview import render_c_header
from isrgen.arch.aarch64.gdbview import render_gdb_script
from isrgen.arch.aarch64.options import Aarch64Spec
from isrgen.arch.aarch64.prove import prove
from isrgen.arch.aarch64.rustview import render_rust_asm, render_rust_struct
from isrgen.arch.aarch64.syntax import render_gas
from isrgen.arch.aarch64.toolchain import GNU_CC, LLVM_MC, assemble
from isrgen.spec.identifiers import rust_type_name

TOOLS = ("aarch64-linux-gnu-as", LLVM_MC, GNU_CC, "g++", "rustc")
C_FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-ffreestanding"]
NO_CORE_PRELUDE = """#![feature(no_core, lang_items, rustc_attrs, decl_macro)]
#![allow(internal_features)]
#![no_core]
#![crate_type = "lib"]
#[lang = "pointee_sized"] pub trait PointeeSized {}
#[lang = "meta_sized"] pub trait MetaSized: PointeeSized {}
#[lang = "sized"] pub trait Sized: MetaSized {}
#[rustc_builtin_macro] macro global_asm($($t:tt)*) { /* compiler built-in */ }
"""


def c_layout_check(spec: Aarch64Spec, offsets: Mapping[str, int], size: int) -> str:
    """A C file that includes the generated header and asserts ``offsets`` and ``size``: the
    expected values come from the caller (the convention's struct), never from the generator."""
    struct = spec.frame.struct_name
    lines = ['#include "isr.h"']
    lines += [f'_Static_assert(offsetof(struct {struct}, {f}) == {o}, "{f}");' for f, o in offsets.items()]
    lines.append(f'_Static_assert(sizeof(struct {struct}) == {size}, "size");')
    return "\n".join(lines) + "\n"


def check_every_tool(spec: Aarch64Spec, offsets: Mapping[str, int], size: int, tmp: Path, *, seed: int = 0) -> None:
    """Assemble, compile and prove ``spec``'s outputs; ``offsets``/``size`` are the expected frame."""
    gas = render_gas(build_program(spec))
    (tmp / "isr.S").write_text(gas)
    gnu = read_obj(assemble(tmp / "isr.S", tmp / "gnu.o", "gnu"))
    llvm = read_obj(assemble(tmp / "isr.S", tmp / "llvm.o", "llvm"))
    for name in (spec.sections.table, spec.sections.code):
        assert gnu.masked(name) == llvm.masked(name), f"GNU as and llvm-mc disagree on {name}"
    (tmp / "isr.h").write_text(render_c_header(spec))
    (tmp / "check.c").write_text(c_layout_check(spec, offsets, size))
    run([GNU_CC, *C_FLAGS, "-fsyntax-only", str(tmp / "check.c")])
    (tmp / "check.cc").write_text('#include "isr.h"\n')
    run(["g++", "-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", str(tmp / "check.cc")])
    rust = rust_type_name(spec.frame.struct_name)
    checks = [f"const _: () = assert!(core::mem::offset_of!({rust}, {f}) == {o});" for f, o in offsets.items()]
    checks.append(f"const _: () = assert!(core::mem::size_of::<{rust}>() == {size});")
    (tmp / "frame.rs").write_text("#![no_std]\n" + render_rust_struct(spec) + "\n".join(checks) + "\n")
    run(["rustc", "--edition", "2021", "--crate-type", "lib", "-o", str(tmp / "f.rlib"), str(tmp / "frame.rs")])
    (tmp / "glue.rs").write_text(NO_CORE_PRELUDE + render_rust_asm(spec))
    env = {**os.environ, "RUSTC_BOOTSTRAP": "1"}
    run(["rustc", "--edition", "2021", "--target", "aarch64-unknown-none", "--emit", "obj", "-o",
         str(tmp / "glue.o"), str(tmp / "glue.rs")], env=env)  # fmt: skip
    compile(render_gdb_script(spec), "isr-gdb.py", "exec")
    report = prove(spec, seed=seed, rounds=1)
    assert report.ok, "\n".join(map(str, report.findings[:10]))
