"""Frame lookups go by role (what a slot holds), never by the name the spec gave a field.

``specs/examples/linux_pt_regs.yaml`` has no vector slot.  Renaming rax's field to
``vector`` (``{rax: vector}``) must not give the frame a vector: the Rust module once
generated ``vector()`` returning ``self.vector as u8``, i.e. the interrupted rax.
The offsets below are Linux's ``struct pt_regs`` for x86_64
(arch/x86/include/asm/ptrace.h): fifteen general-purpose registers, ``orig_ax``,
then the CPU's frame ``ip cs flags sp ss`` (SDM Vol. 3A 6.14.1, Figure 6-9).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from conftest import SPECS, loads_x86, require_tool

import isrgen
from isrgen.arch.x86.model import X86Spec
from isrgen.proof import toolchain

LINUX = SPECS / "examples" / "linux_pt_regs.yaml"

#: struct pt_regs (x86_64), field -> offset, with rax's field renamed to ``vector``
PT_REGS_OFFSETS = {
    "r15": 0, "r14": 8, "r13": 16, "r12": 24, "bp": 32, "bx": 40, "r11": 48, "r10": 56,
    "r9": 64, "r8": 72, "vector": 80, "cx": 88, "dx": 96, "si": 104, "di": 112,
    "orig_ax": 120, "ip": 128, "cs": 136, "flags": 144, "sp": 152, "ss": 160,
}  # fmt: skip
#: a user code selector: RPL 3 in bits 1:0 (SDM Vol. 3A 3.4.2), the interrupted CPL (5.5)
USER_CS = 0x33
ERROR_CODE = 0xDEAD


def _renamed() -> X86Spec:
    text = LINUX.read_text()
    assert text.count("{rax: ax}") == 1
    return loads_x86(text.replace("{rax: ax}", "{rax: vector}"), "linux_rax_vector.yaml")


def test_layout_finds_fields_by_role_and_names_only_on_request() -> None:
    layout = isrgen.compute_layout(_renamed())
    assert {f.name: f.offset for f in layout.fields} == PT_REGS_OFFSETS
    assert not layout.has("vector")
    with pytest.raises(KeyError):
        layout.field("vector")
    with pytest.raises(KeyError):
        layout.offset("vector")
    assert layout.field("rax").name == "vector" and layout.offset("rax") == 80
    assert layout.by_name("vector").role == "rax"
    # a field name is not a role, whether or not it spells a register
    assert not layout.has("ax") and not layout.has("ip") and layout.has("rip")
    assert layout.by_name("ip").role == "rip" and layout.offset("rip") == 128
    with pytest.raises(KeyError):
        layout.by_name("rax")


def _struct_literal(module_text: str, struct: str) -> str:
    body = re.search(rf"pub struct {struct} \{{\n(.*?)\n\}}", module_text, re.S)
    assert body is not None
    fields = re.findall(r"pub (\w+): u64,", body.group(1))
    assert fields == list(PT_REGS_OFFSETS)
    special = {"cs": USER_CS, "orig_ax": ERROR_CODE}
    values = ", ".join(f"{f}: {special.get(f, 0x1000 + PT_REGS_OFFSETS[f]):#x}" for f in fields)
    return f"isr::{struct} {{ {values} }}"


def _compile(tmp_path: Path, module_text: str, checks: str) -> None:
    tmp_path.mkdir(parents=True, exist_ok=True)
    module = tmp_path / "isr.rs"
    module.write_text(module_text)
    root = toolchain.rust_crate_root(module, tmp_path / "lib.rs")
    root.write_text(root.read_text() + checks)
    toolchain.compile_rust(root, tmp_path / "lib.o")


def test_rust_accessors_read_the_slots_holding_their_roles(tmp_path: Path) -> None:
    require_tool("rustc")
    (out,) = isrgen.render_outputs(_renamed(), ["rust"])
    text = out.content
    assert "fn vector(" not in text and "self.vector as u8" not in text
    frame = _struct_literal(text, "PtRegs")
    checks = (
        f"const F: isr::PtRegs = {frame};\n"
        f"const _: () = assert!(F.error_code() == {ERROR_CODE:#x});\n"
        "const _: () = assert!(F.privilege_level() == 3);\n"
        "const _: () = assert!(F.from_user());\n"
        "const _: () = assert!(F.vector == 0x1050);\n"  # the field holds rax, nothing more
    )
    _compile(tmp_path / "ok", text, checks)
    # a frame without a vector slot has no vector(): calling it does not compile
    with pytest.raises(toolchain.ToolError) as info:
        _compile(tmp_path / "no_vector", text, checks + "const _: u8 = F.vector();\n")
    assert "no method named `vector`" in info.value.output


def test_rust_privilege_accessors_follow_the_cs_role_not_a_field_named_cs(tmp_path: Path) -> None:
    require_tool("rustc")
    # cs renamed: the accessors follow the slot, under its new name
    text = LINUX.read_text().replace("cpu_fields: {rip: ip,", "cpu_fields: {cs: seg_cs, rip: ip,")
    assert text != LINUX.read_text()
    (out,) = isrgen.render_outputs(loads_x86(text, "linux_cs.yaml"), ["rust"])
    assert "(self.seg_cs & 3) as u8" in out.content and "self.seg_cs & 3 == 3" in out.content
    assert "self.cs" not in out.content


def test_c_header_notes_follow_the_role() -> None:
    (out,) = isrgen.render_outputs(_renamed(), ["c"])
    members = dict(re.findall(r"^    uint64_t (\w+);(.*)$", out.content, re.M))
    assert members["vector"] == ""  # rax: a saved register, no note about vectors
    assert "error code" in members["orig_ax"]
    assert "instruction pointer" in members["ip"]
    assert re.search(r"^#define LINUX_FRAME_OFFSET_VECTOR 80$", out.content, re.M)


def test_gdb_script_follows_the_role(tmp_path: Path) -> None:
    (path,) = isrgen.build(_renamed(), tmp_path, ["gdb"])
    loader_spec = importlib.util.spec_from_file_location("linux_rax_vector_gdb", path)
    assert loader_spec is not None and loader_spec.loader is not None
    script = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(script)
    assert script.VECTOR_FIELD is None and script.ERROR_FIELD == "orig_ax"
    assert dict(script.RESTORE)["vector"] == "rax"
    raw = bytearray(script.FRAME_SIZE)
    raw[80:88] = (14).to_bytes(8, "little")  # rax = 14: the page-fault vector's number
    lines = script.format_frame(0x1000, script.parse_frame(bytes(raw)))
    (line,) = [line for line in lines if re.match(r"  \+80\s+vector\b", line)]
    assert line.rstrip().endswith("0x000000000000000e")  # printed as a value, not as a vector's name
