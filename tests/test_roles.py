"""Backends key on a slot's role, never on the name the spec gave its struct field.

``specs/examples/linux_pt_regs.yaml`` renames rbx to ``bx``, rip to ``ip``, rflags to
``flags``, rsp to ``sp``...  gdb's ``$bx`` is the 16-bit pseudo-register (``set $bx``
changes only the low 16 bits of rbx), so restoring by field name silently corrupts the
interrupted context; and a doc comment naming ``ip`` says nothing about what the slot holds.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from conftest import SPECS, load_x86

import isrgen

LINUX = SPECS / "examples" / "linux_pt_regs.yaml"

#: gdb's amd64 register names (gdb/features/i386/64bit-core.xml): the full 64-bit registers
GDB_AMD64_REGISTERS = frozenset("rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip eflags".split())
#: pt_regs field -> the register it holds (Linux arch/x86/include/asm/ptrace.h)
PT_REGS = {
    "r15": "r15", "r14": "r14", "r13": "r13", "r12": "r12", "bp": "rbp", "bx": "rbx",
    "r11": "r11", "r10": "r10", "r9": "r9", "r8": "r8", "ax": "rax", "cx": "rcx",
    "dx": "rdx", "si": "rsi", "di": "rdi", "ip": "rip", "flags": "eflags", "sp": "rsp",
}  # fmt: skip


def _script(tmp_path: Path) -> ModuleType:
    (path,) = isrgen.build(load_x86(LINUX), tmp_path, ["gdb"])
    loader_spec = importlib.util.spec_from_file_location("linux_gdb_script", path)
    assert loader_spec is not None and loader_spec.loader is not None
    module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(module)
    return module


def test_gdb_restore_writes_full_registers_for_renamed_fields(tmp_path: Path) -> None:
    restore = dict(_script(tmp_path).RESTORE)
    assert restore == PT_REGS
    assert set(restore.values()) <= GDB_AMD64_REGISTERS


def test_gdb_frame_notes_follow_the_role(tmp_path: Path) -> None:
    script = _script(tmp_path)
    fields = {name: offset for name, offset, _size, _kind in script.FIELDS}
    raw = bytearray(script.FRAME_SIZE)
    raw[fields["cs"] : fields["cs"] + 8] = (0x2B).to_bytes(8, "little")  # user CS, RPL 3
    raw[fields["ip"] : fields["ip"] + 8] = (0x401000).to_bytes(8, "little")
    lines = script.format_frame(0x1000, script.parse_frame(bytes(raw)), symbolize=lambda v: f"<at {v:#x}>")
    assert any(re.search(r"\bcs\b.*ring 3", line) for line in lines), lines
    assert any(re.search(r"\bip\b.*<at 0x401000>", line) for line in lines), lines


def test_rust_docs_say_what_each_renamed_slot_holds() -> None:
    (out,) = isrgen.render_outputs(load_x86(LINUX), ["rust"])
    docs = re.findall(r"/// ([^\n]*)\n    pub (\w+): u64,", out.content)
    by_field = {field: doc for doc, field in docs}
    assert by_field["bx"] == "rbx, saved by the common entry"
    assert by_field["ip"] == "pushed by the CPU: interrupted instruction pointer"
    assert by_field["sp"] == "pushed by the CPU: interrupted stack pointer"
    assert by_field["orig_ax"] == "CPU error code, or the synthetic value for vectors without one"
    # no field's doc is just its own name
    assert len(by_field) == 21 and all(doc != field for doc, field in docs)


def test_rust_and_c_describe_cpu_slots_alike() -> None:
    spec = load_x86(LINUX)
    c, rust = (o.content for o in isrgen.render_outputs(spec, ["c", "rust"]))
    c_notes = dict(re.findall(r"uint64_t (\w+);  /\* ([^*]+) \*/", c))
    rust_notes = {field: doc for doc, field in re.findall(r"/// ([^\n]*)\n    pub (\w+): u64,", rust)}
    for field in ("ip", "cs", "flags", "sp", "ss", "orig_ax"):
        assert rust_notes[field] == c_notes[field], field
