"""The Rust backend: golden file, compile-time layout checks that really fail,
the ``global_asm!`` block leaving the section state as it found it, frame
accessors, and Rust/C keywords rejected at load time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, TEST_SPECS, expected_gate_attr, load_x86, loads_x86, require_tool, run

import isrgen
from isrgen.proof import toolchain
from isrgen.proof.elf import read_elf


def _module(tmp_path: Path, spec_path: Path = DEFAULT_SPEC) -> Path:
    (path,) = isrgen.build(load_x86(spec_path), tmp_path, ["rust"])
    return path


def test_wrong_layout_does_not_compile(tmp_path: Path) -> None:
    require_tool("rustc")
    module = _module(tmp_path)
    text = module.read_text()
    # Swap two fields of the struct: the assembly still saves them the other way round.
    swapped = text.replace("    pub r15: u64,", "    pub TMP: u64,", 1)
    swapped = swapped.replace("    pub r14: u64,", "    pub r15: u64,", 1).replace(
        "    pub TMP: u64,", "    pub r14: u64,"
    )
    assert swapped != text
    module.write_text(swapped)
    with pytest.raises(toolchain.ToolError) as info:
        toolchain.object_for("rust", module)
    assert "offset_of!(IsrFrame, r15) == 0" in info.value.output


def _section_after_module(tmp_path: Path, module_text: str) -> tuple[bool, bool]:
    """Compile the module followed by a ``global_asm!`` that names no section; return
    whether its function landed in an allocated, executable section."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    module = tmp_path / "isr.rs"
    module.write_text(module_text)
    root = tmp_path / "lib.rs"
    toolchain.rust_crate_root(module, root)
    root.write_text(
        root.read_text()
        + 'core::arch::global_asm!(".globl after_isr", ".type after_isr, @function", "after_isr:", "    ret");\n'
    )
    obj = read_elf(toolchain.compile_rust(root, tmp_path / "lib.o"))
    section = obj.section(obj.symbol("after_isr").section or "")
    return section.alloc, section.executable


def test_global_asm_block_restores_the_section_state(tmp_path: Path) -> None:
    require_tool("rustc")
    text = _module(tmp_path / "gen").read_text()
    assert _section_after_module(tmp_path / "ok", text) == (True, True)
    # Control: without the .popsection lines the next block's code lands in the last
    # section the module opened (non-executable), the bug of rust-lang/rust#138247.
    broken = "\n".join(line for line in text.splitlines() if ".popsection" not in line)
    assert _section_after_module(tmp_path / "broken", broken) != (True, True)


ACCESSORS = """\
#[path = "{module}"]
mod isr;
#[no_mangle]
pub extern "C" fn isr_dispatch(f: *mut isr::IsrFrame) {{ let _ = f; }}
fn main() {{
    let mut f: isr::IsrFrame = unsafe {{ core::mem::zeroed() }};
    f.vector = 14;
    f.error_code = 0x6;
    f.cs = 0x2b;
    println!("{{}} {{}} {{}} {{}}", f.vector(), f.error_code(), f.privilege_level(), f.from_user());
    f.cs = 0x08;
    println!("{{}} {{}}", f.privilege_level(), f.from_user());
    println!("{{}} {{}} {{}}", isr::VEC_PAGE_FAULT, isr::FRAME_SIZE, isr::VECTOR_COUNT);
    let table = unsafe {{ core::ptr::addr_of!(isr::isr_table).read() }};
    println!("{{}}", table[14] == isr::isr_stub_14 as *const () as u64);
}}
"""


def test_frame_accessors_constants_and_table(tmp_path: Path) -> None:
    require_tool("rustc")
    module = _module(tmp_path)
    src = tmp_path / "main.rs"
    src.write_text(ACCESSORS.format(module=module))
    exe = tmp_path / "accessors"
    run(["rustc", "--edition", "2021", "-C", "relocation-model=static", "-D", "warnings", "-o", str(exe), str(src)])
    # FRAME_SIZE of specs/x86_64.yaml: 17 software words (15 GPRs, vector, error code) and the
    # 5-word IA-32e interrupt frame (SDM Vol. 3A 6.14.2): 22 x 8 = 176; 256 IDT vectors.
    assert run([str(exe)]).stdout.splitlines() == ["14 6 3 true", "0 false", "14 176 256", "true"]


def test_frame_returning_handler_signature(tmp_path: Path) -> None:
    spec = load_x86(TEST_SPECS / "linux_order.yaml")
    (out,) = isrgen.render_outputs(spec, ["rust"])
    decls = re.findall(r"pub fn (k_\w+)\(frame: \*mut KRegs\)( -> [^;]+)?;", out.content)
    assert dict(decls) == {
        "k_exception": " -> *mut KRegs",
        "k_page_fault": " -> *mut KRegs",
        "k_irq": " -> *mut KRegs",
        "k_resume": " -> !",
    }


RESERVED = """\
isrgen: 1
arch: x86_64
handler:
  symbol: {handler}
vectors:
  - {{vector: 0, name: divide_error}}
"""


@pytest.mark.parametrize(
    ("handler", "fragment"),
    [
        ("loop", "'loop' is a Rust keyword"),
        ("impl", "'impl' is a Rust keyword"),
        ("register", "'register' is a C keyword"),
    ],
)
def test_rust_and_c_keywords_are_rejected_at_load_with_location(handler: str, fragment: str) -> None:
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(RESERVED.format(handler=handler), "reserved.yaml")
    found = [d for d in info.value.diagnostics if fragment in d.message]
    assert found, [d.headline() for d in info.value.diagnostics]
    assert (found[0].source.file, found[0].source.line, found[0].source.col) == ("reserved.yaml", 4, 11)


IDT_FILL = """\
#[path = "{module}"]
mod isr;
#[no_mangle]
pub extern "C" fn isr_dispatch(f: *mut isr::IsrFrame) {{ let _ = f; }}
fn main() {{
    let mut idt = [isr::IsrIdtGate::default(); isr::VECTOR_COUNT];
    unsafe {{ isr::isr_idt_fill(&mut idt, 0x08) }};
    let table = unsafe {{ core::ptr::addr_of!(isr::isr_table).read() }};
    println!("{{}}", core::mem::size_of::<isr::IsrIdtGate>());
    for (v, g) in idt.iter().enumerate() {{
        let addr = g.offset_low as u64 | (g.offset_mid as u64) << 16 | (g.offset_high as u64) << 32;
        println!("{{}} {{}} {{}} {{}} {{}} {{}} {{}}", v, addr, table[v], g.selector, g.ist, g.type_attr, g.reserved);
    }}
    println!("{{}}", isr::isr_stub_14 as *const () as u64);
}}
"""


@pytest.mark.parametrize("narrow", [False, True], ids=["8-byte-table", "4-byte-writable-table"])
def test_rust_idt_fill_builds_every_gate_from_the_table_and_attributes(tmp_path: Path, narrow: bool) -> None:
    """A rustc-built program links the generated glue, fills an IDT with the module's
    helper, and every gate is checked here against the table it read and the model."""
    require_tool("rustc")
    text = DEFAULT_SPEC.read_text()
    if narrow:  # a static executable is linked below 4 GiB
        text = text.replace("\noutputs:\n", "\ntable: {width: 4, align: 64}\noutputs:\n", 1)
        text = text.replace("  table: .rodata.isr ", "  table: .data.isr_table ", 1)
    spec = loads_x86(text, "spec.yaml")
    assert spec.table.writable is narrow and spec.table_width == (4 if narrow else 8)
    (module,) = isrgen.build(spec, tmp_path, ["rust"])
    src = tmp_path / "main.rs"
    src.write_text(IDT_FILL.format(module=module))
    exe = tmp_path / "idt_fill"
    run(["rustc", "--edition", "2021", "-C", "relocation-model=static", "-D", "warnings", "-o", str(exe), str(src)])
    size, *gates, stub14 = run([str(exe)]).stdout.splitlines()
    assert int(size) == 16
    assert len(gates) == 256
    seen = 0
    for line in gates:
        v, addr, entry, selector, ist, type_attr, reserved = map(int, line.split())
        vec = spec.vector(v)
        assert addr == entry and reserved == 0, line
        if vec is None:
            assert (addr, selector, type_attr) == (0, 0, 0), line
            continue
        assert addr != 0 and selector == 0x08, line
        assert (type_attr, ist) == (expected_gate_attr(spec, vec), vec.ist or 0), line
        seen += 1
    assert seen == len(spec.vectors)
    assert int(gates[14].split()[1]) == int(stub14)


def test_a_local_table_gets_the_gate_struct_but_no_fill_helper() -> None:
    text = DEFAULT_SPEC.read_text().replace("symbols:\n", "symbols:\n  visibility: {table: local}\n", 1)
    (out,) = isrgen.render_outputs(loads_x86(text, "local.yaml"), ["rust"])
    assert "pub struct IsrIdtGate {" in out.content
    assert "assert!(core::mem::size_of::<IsrIdtGate>() == 16);" in out.content
    assert "isr_idt_fill" not in out.content
