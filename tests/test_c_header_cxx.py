"""The C header serves C++ kernels too: g++ compiles it as C++ (extern "C" linkage,
static_assert, [[noreturn]]) and sees the same frame layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SPECS, load_x86, require_tool, run

import isrgen

SPECS_TO_CHECK = [
    SPECS / "x86_64.yaml",
    SPECS / "i386.yaml",
    SPECS / "examples" / "linux_pt_regs.yaml",
    SPECS / "examples" / "pintos_intr_frame.yaml",
    SPECS / "examples" / "jamesm_registers.yaml",
]


@pytest.mark.parametrize("spec_path", SPECS_TO_CHECK, ids=lambda p: p.stem)
def test_header_compiles_as_cxx_with_the_same_layout(spec_path: Path, tmp_path: Path) -> None:
    require_tool("g++")
    spec = load_x86(spec_path)
    (header,) = isrgen.build(spec, tmp_path, ["c"])
    layout = isrgen.compute_layout(spec)
    struct = f"struct {spec.frame.struct_name}"
    checks = [f'static_assert(sizeof({struct}) == {layout.size}, "size");']
    checks += [f'static_assert(offsetof({struct}, {f.name}) == {f.offset}, "{f.name}");' for f in layout.fields]
    source = tmp_path / "check.cpp"
    source.write_text(f'#include "{header.name}"\n' + "\n".join(checks) + "\n")
    bits = ["-m32"] if spec.arch.word_size == 4 else []
    run(["g++", *bits, "-std=c++11", "-ffreestanding", "-fsyntax-only", "-Wall", "-Wextra", "-pedantic", "-Werror",
         "-I", str(tmp_path), str(source)])  # fmt: skip


def test_a_wrong_offset_stops_a_cxx_build(tmp_path: Path) -> None:
    require_tool("g++")
    (header,) = isrgen.build(load_x86(SPECS / "x86_64.yaml"), tmp_path, ["c"])
    text = header.read_text()
    assert "offsetof(struct isr_frame, rax) == 112" in text
    header.write_text(text.replace("offsetof(struct isr_frame, rax) == 112", "offsetof(struct isr_frame, rax) == 120"))
    source = tmp_path / "use.cpp"
    source.write_text(f'#include "{header.name}"\n')
    proc = run(["g++", "-std=c++11", "-fsyntax-only", "-I", str(tmp_path), str(source)], check=False)
    assert proc.returncode != 0 and "isrgen: offset of rax" in proc.stderr
