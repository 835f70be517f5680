"""The Rust module: global_asm! compiled by rustc for riscv64gc-unknown-none-elf gives the
same code as llvm-mc; the #[repr(C)] structs have the spec's layout (checked on the host)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import require_tool, run
from riscv64_tools import LLVM_MC, SPECS, assemble, assembly, load, sections

from isrgen.arch.riscv64.rust_view import render_rust, rust_layout_asserts

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
    run(["rustc", "--edition", "2021", "--target", "riscv64gc-unknown-none-elf", "--crate-type", "lib",
         "--emit", "obj", "-o", str(obj), str(src)], env=env)
    rust = sections(obj)
    llvm = sections(assemble(assembly(options), tmp_path / "llvm.o", LLVM_MC))
    for name in llvm:
        if name in (".text", ".eh_frame"):
            continue
        relocs = rust[name][1] | llvm[name][1]
        assert _masked(rust[name][0], relocs) == _masked(llvm[name][0], relocs), name


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_repr_c_layout_on_the_host(spec: Path, tmp_path: Path) -> None:
    """repr(C) with u64 fields lays out alike on every LP64 target: checked where core exists."""
    require_tool("rustc")
    options = load(spec)
    text = render_rust(options)
    structs = text[: text.index("core::arch::global_asm!")]
    src = tmp_path / "layout.rs"
    src.write_text("#![no_std]\n#![allow(dead_code)]\n" + structs + rust_layout_asserts(options))
    run(["rustc", "--edition", "2021", "--crate-type", "lib", "--emit", "metadata", "-o", str(tmp_path / "l.rmeta"),
         str(src)])
