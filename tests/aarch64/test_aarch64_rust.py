"""The Rust view: the frame struct's layout checked by rustc on the host against the
offsets the example kernel relies on (written here), and the global_asm! glue compiled for
aarch64-unknown-none by a #![no_core] crate to the same bytes llvm-mc makes."""

from __future__ import annotations

import os
from pathlib import Path

from a64_helpers import assemble_spec, kernel_spec, read_obj
from conftest import require_tool, run
from elftools.elf.constants import SH_FLAGS

from isrgen.arch.aarch64.rustview import render_rust_asm, render_rust_module, render_rust_struct
from isrgen.arch.aarch64.toolchain import LLVM_MC

NO_CORE_PRELUDE = """#![feature(no_core, lang_items, rustc_attrs, decl_macro)]
#![allow(internal_features)]
#![no_core]
#![crate_type = "lib"]
#[lang = "pointee_sized"] pub trait PointeeSized {}
#[lang = "meta_sized"] pub trait MetaSized: PointeeSized {}
#[lang = "sized"] pub trait Sized: MetaSized {}
#[rustc_builtin_macro] macro global_asm($($t:tt)*) { /* compiler built-in */ }
"""

KERNEL_OFFSETS = {
    "x0": 0,
    "x30": 240,
    "sp": 248,
    "elr": 256,
    "spsr": 264,
    "esr": 272,
    "far": 280,
    "kind": 288,
    "pad": 296,
}


def test_struct_layout_on_the_host(tmp_path: Path) -> None:
    require_tool("rustc")
    src = tmp_path / "frame.rs"
    checks = [f"const _: () = assert!(core::mem::offset_of!(IsrFrame, {k}) == {v});" for k, v in KERNEL_OFFSETS.items()]
    checks.append("const _: () = assert!(core::mem::size_of::<IsrFrame>() == 832);")
    src.write_text("#![no_std]\n" + render_rust_struct(kernel_spec()) + "\n".join(checks) + "\n")
    run(["rustc", "--edition", "2021", "--crate-type", "lib", "-o", str(tmp_path / "f.rlib"), str(src)])
    # the check can fail: a wrong expectation does not compile
    src.write_text(src.read_text().replace("IsrFrame, elr) == 256", "IsrFrame, elr) == 248"))
    proc = run(["rustc", "--edition", "2021", "--crate-type", "lib", "-o", str(tmp_path / "g.rlib"), str(src)],
               check=False)  # fmt: skip
    assert proc.returncode != 0


def test_global_asm_matches_llvm_mc(tmp_path: Path) -> None:
    require_tool("rustc", LLVM_MC)
    spec = kernel_spec()
    assert 'global_asm!(r#"' in render_rust_module(spec)
    src = tmp_path / "glue.rs"
    src.write_text(NO_CORE_PRELUDE + render_rust_asm(spec))
    obj = tmp_path / "glue.o"
    env = {**os.environ, "RUSTC_BOOTSTRAP": "1"}
    run(["rustc", "--edition", "2021", "--target", "aarch64-unknown-none", "--emit", "obj", "-o", str(obj),
         str(src)], env=env)  # fmt: skip
    rust = read_obj(obj)
    mc = read_obj(assemble_spec(spec, tmp_path, "llvm"))
    for name in (spec.sections.table, spec.sections.code):
        assert rust.sections[name].flags & SH_FLAGS.SHF_EXECINSTR
        assert rust.masked(name) == mc.masked(name), name
    assert rust.sections[spec.sections.table].align == 2048
