"""Proof that the GAS, NASM and Rust backends are the same program, and that the
C and Rust frame structs match the model.

For the default spec and every spec under tests/specs/, each assembly output is
built with its real tool (as, nasm, rustc) and the objects are compared with
pyelftools: same symbols at the same offsets with the same sizes, byte-identical
code and tables (relocated bytes masked), the same relocations, and code in
ALLOC+EXECINSTR sections.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, TEST_SPECS, isrgen_cmd, load_x86, loads_x86, require_tool, run

import isrgen
from isrgen.arch.x86.model import X86Spec
from isrgen.backends import GenerationContext
from isrgen.model.spec import ReturnModel
from isrgen.proof import toolchain
from isrgen.proof.elf import ElfObject, read_elf
from isrgen.spec.identifiers import rust_type_name

SPECS = [DEFAULT_SPEC, *sorted(TEST_SPECS.glob("*.yaml"))]
ASM_BACKENDS = ("gas", "nasm", "rust")
TOOLS = {"gas": "as", "nasm": "nasm", "rust": "rustc"}


def _spec_id(path: Path) -> str:
    return path.stem


def build_objects(spec: X86Spec, out: Path) -> dict[str, ElfObject]:
    """Generate every assembly backend's output for ``spec`` and build each into an object."""
    require_tool(*TOOLS.values())
    paths = dict(zip(ASM_BACKENDS, isrgen.build(spec, out, ASM_BACKENDS), strict=True))
    objects = {}
    for backend, path in paths.items():
        if backend == "rust":
            # Warnings are errors: the module must compile cleanly, not just compile.
            root = toolchain.rust_crate_root(path)
            obj = toolchain.compile_rust(root, out / "isr_rust.o", extra_flags=("-D", "warnings"))
        else:
            obj = toolchain.object_for(backend, path)
        objects[backend] = read_elf(obj)
    return objects


def _symbols(obj: ElfObject, section: str) -> dict[str, tuple[int, int, str]]:
    return {name: (s.value, s.size, s.type) for name, s in obj.defined_symbols(section).items()}


def _relocations(obj: ElfObject, section: str) -> list[tuple[int, int, tuple[str, int]]]:
    # compared by what they resolve to: NASM names a section symbol where GAS names the stub
    return sorted((r.offset, r.size, r.target) for r in obj.relocations.get(section, ()))


@pytest.fixture(scope="module", params=SPECS, ids=_spec_id)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[X86Spec, dict[str, ElfObject]]:
    spec = load_x86(request.param)
    return spec, build_objects(spec, tmp_path_factory.mktemp(request.param.stem))


def test_same_symbols_offsets_and_sizes(built: tuple[X86Spec, dict[str, ElfObject]]) -> None:
    spec, objs = built
    program = GenerationContext.from_spec(spec).program
    for section in (spec.sections.code, spec.sections.table):
        reference = _symbols(objs["gas"], section)
        assert reference, f"no symbols in {section}"
        for backend in ("nasm", "rust"):
            assert _symbols(objs[backend], section) == reference, f"{backend} symbols in {section} differ from gas"
    everything = {**_symbols(objs["gas"], spec.sections.code), **_symbols(objs["gas"], spec.sections.table)}
    assert sorted(everything) == sorted(program.global_symbols)
    for v in spec.vectors:
        assert everything[v.stub_symbol][1] > 0, f"stub {v.stub_symbol} has no size"


def test_identical_machine_code_and_tables(built: tuple[X86Spec, dict[str, ElfObject]]) -> None:
    spec, objs = built
    for section in (spec.sections.code, spec.sections.table):
        reference = objs["gas"].masked_bytes(section)
        for backend in ("nasm", "rust"):
            other = objs[backend].masked_bytes(section)
            assert len(other) == len(reference), f"{backend}: {section} is {len(other)} bytes, gas {len(reference)}"
            diff = next((i for i, (a, b) in enumerate(zip(reference, other, strict=True)) if a != b), None)
            assert diff is None, (
                f"{backend}: {section} differs from gas at {diff:#x}: "
                f"{reference[diff : diff + 8].hex()} (gas) vs {other[diff : diff + 8].hex()}"
            )
            assert objs[backend].section(section).size == objs["gas"].section(section).size


def test_same_relocations_and_none_inside_stubs(built: tuple[X86Spec, dict[str, ElfObject]]) -> None:
    spec, objs = built
    for section in (spec.sections.code, spec.sections.table):
        reference = _relocations(objs["gas"], section)
        for backend in ("nasm", "rust"):
            assert _relocations(objs[backend], section) == reference, f"{backend} relocations in {section}"
    # Stubs jump to internal labels: nothing in a stub needs the linker.
    stubs = [objs["gas"].symbol(v.stub_symbol) for v in spec.vectors]
    for r in objs["gas"].relocations.get(spec.sections.code, ()):
        inside = [s.name for s in stubs if s.value <= r.offset < s.value + s.size]
        assert not inside, f"relocation against {r.symbol} inside stub {inside[0]}"
    # Only the handlers are external.
    for backend, obj in objs.items():
        assert obj.undefined_symbols() == frozenset(spec.handlers), backend


def test_code_in_alloc_exec_sections(built: tuple[X86Spec, dict[str, ElfObject]]) -> None:
    spec, objs = built
    for backend, obj in objs.items():
        code = obj.section(spec.sections.code)
        assert code.alloc and code.executable and not code.writable, f"{backend}: {code}"
        table = obj.section(spec.sections.table)
        assert table.alloc and not table.executable and not table.writable, f"{backend}: {table}"
        assert obj.has_section(".note.GNU-stack"), backend
        assert not obj.section(".note.GNU-stack").executable, backend
        for sym in obj.defined_symbols().values():
            if sym.type == "STT_FUNC":
                home = obj.section(sym.section or "")
                assert home.alloc and home.executable, f"{backend}: {sym.name} in {home}"
    for section in (spec.sections.code, spec.sections.table):
        alignments = {b: o.section(section).addralign for b, o in objs.items()}
        assert len(set(alignments.values())) == 1, f"{section} alignment differs: {alignments}"


# -- the frame struct: C, Rust and the model agree ------------------------------------


def _c_layout_program(spec: X86Spec, header: str) -> str:
    struct = f"struct {spec.frame.struct_name}"
    lines = [
        "#include <stdio.h>",
        f'#include "{header}"',
        "int main(void) {",
        f'    printf("size %zu\\n", sizeof({struct}));',
    ]
    lines += [
        f'    printf("{f.name} %zu %zu\\n", offsetof({struct}, {f.name}), sizeof((({struct} *)0)->{f.name}));'
        for f in isrgen.compute_layout(spec).fields
    ]
    return "\n".join([*lines, "    return 0;", "}", ""])


def _rust_layout_program(spec: X86Spec, module: Path) -> str:
    struct = f"isr::{rust_type_name(spec.frame.struct_name)}"
    if spec.handler.returns is ReturnModel.FRAME:
        signature, body = f"(f: *mut {struct}) -> *mut {struct}", "f"
    else:
        signature, body = f"(f: *mut {struct})", "let _ = f;"
    lines = [f"#[path = {str(module)!r}]".replace("'", '"'), "mod isr;", ""]
    # The module's asm calls the handlers: define them with exactly the declared
    # signatures (a mismatch is a `clashing_extern_declarations` error under -D warnings).
    lines += [f'#[no_mangle]\npub extern "C" fn {h}{signature} {{ {body} }}' for h in spec.handlers]
    lines += ["fn main() {", f"    let frame: {struct} = unsafe {{ core::mem::zeroed() }};"]
    lines.append(f'    println!("size {{}}", core::mem::size_of::<{struct}>());')
    lines += [
        f'    println!("{f.name} {{}} {{}}", core::mem::offset_of!({struct}, {f.name}), '
        f"core::mem::size_of_val(&frame.{f.name}));"
        for f in isrgen.compute_layout(spec).fields
    ]
    return "\n".join([*lines, "}", ""])


@pytest.mark.parametrize("spec_path", SPECS, ids=_spec_id)
def test_c_and_rust_frame_layouts_match_the_model(spec_path: Path, tmp_path: Path) -> None:
    require_tool("gcc", "rustc")
    spec = load_x86(spec_path)
    header, module = isrgen.build(spec, tmp_path, ["c", "rust"])
    layout = isrgen.compute_layout(spec)
    expected = [f"size {layout.size}", *(f"{f.name} {f.offset} {f.size}" for f in layout.fields)]

    c_src = tmp_path / "layout.c"
    c_src.write_text(_c_layout_program(spec, header.name))
    run(["gcc", "-std=c11", "-Wall", "-Werror", "-o", str(tmp_path / "layout_c"), str(c_src)])
    c_out = run([str(tmp_path / "layout_c")]).stdout.splitlines()

    rs_src = tmp_path / "layout.rs"
    rs_src.write_text(_rust_layout_program(spec, module))
    exe = tmp_path / "layout_rs"
    # static: the vector table holds absolute stub addresses in a read-only section
    run(["rustc", "--edition", "2021", "-C", "relocation-model=static", "-D", "warnings", "-o", str(exe), str(rs_src)])
    rust_out = run([str(exe)]).stdout.splitlines()

    assert c_out == expected
    assert rust_out == expected


# -- bad input -------------------------------------------------------------------------


def test_unknown_backend_lists_the_available_ones(tmp_path: Path) -> None:
    proc = run(isrgen_cmd("build", str(DEFAULT_SPEC), "-o", str(tmp_path / "o"), "--backend", "masm"), check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    line = proc.stderr.strip()
    assert "unknown backend 'masm'" in line
    for name in ("c", "gas", "nasm", "rust"):
        assert f" {name}" in line.split("available:", 1)[1], line
    assert not (tmp_path / "o").exists()
    hint = r"unknown backend 'masm'; did you mean 'nasm'\? \(available: .*nasm.*rust"
    with pytest.raises(isrgen.UsageError, match=hint):
        isrgen.build(load_x86(DEFAULT_SPEC), tmp_path / "o2", ["masm"])


def test_a_jump_across_alignment_padding_has_one_encoding(tmp_path: Path) -> None:
    """A forward jmp from one entry into the resume path, whose short displacement comes
    out at exactly 127 across a ``.balign 16, 0xcc``: GNU as picks ``eb 7f``, LLVM (rustc's
    ``global_asm!``) ``e9`` rel32.  The glue fixes its size, so all assemblers agree
    (SDM Vol. 2A JMP: ``E9 cd`` is jmp rel32, ``EB cb`` jmp rel8)."""
    spec = loads_x86(
        """\
isrgen: 1
arch: x86_64
symbols: {prefix: l_}
sections: {code: isr_code}
handler: {symbol: irq_handler}
frame:
  layout: [rbx, r15, r13, r10, rax, pad, pad, pad, r12, rcx, rdi, r11, rsi, rbp, r9, rdx, r14, r8, vector, error_code]
stubs: {style: dense, cli: always}
entry: {swapgs: true, clear_registers: true, kernel_fault: halt}
table: {width: 8}
debug: {cfi: false}
simd: {xsave_mask: 7}
vectors:
  - {vector: 1, name: dev1, class: spurious, kernel_handler: kernel_fault_handler, ist: 6, gate: trap, dpl: 2}
  - {vector: 133, name: line133, class: spurious, ist: 7, gate: trap, dpl: 2}
  - {vector: 134, name: vec_134, class: spurious, kernel_handler: kernel_fault_handler, gate: trap, dpl: 0}
  - {vector: 210, name: irq210, class: spurious, kernel_handler: kernel_fault_handler, gate: trap, dpl: 2,
     error_code: true, error_code_override: true}
""",
        "jump.yaml",
    )
    objects = build_objects(spec, tmp_path)
    code = {backend: obj.masked_bytes("isr_code") for backend, obj in objects.items()}
    assert code["gas"] == code["nasm"] == code["rust"]
    # l_common_0 ends with the jump into l_common_1's resume path, then int3 padding to 16
    entry = objects["gas"].symbol("l_common_0")
    body = code["gas"][entry.value : entry.value + entry.size]
    assert body[-5] == 0xE9 and not body.endswith(b"\xeb\x7f")
