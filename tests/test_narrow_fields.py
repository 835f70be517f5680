"""Selector fields declared narrower than their slot (``width: 16`` with named padding).

The oracles are kernels' structs, written by hand here or kept unchanged in
tests/dropin/: gcc -Werror compiles them next to the generated header and asserts,
member for member (padding included), equal offsets and sizes, and equal sizeof;
rustc does the same for the Rust module against a hand-written #[repr(C)] struct.
The offsets themselves come from the CPU frame (SDM Vol. 3A 6.14.2: rip, cs, rflags,
rsp, ss, 8 bytes each, on x86_64), not from isrgen.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, SPECS, isrgen_cmd, load_x86, loads_x86, require_tool, run

import isrgen

EXAMPLE = SPECS / "examples" / "narrow_selectors.yaml"
XV6 = SPECS / "examples" / "xv6_trapframe.yaml"
XV6_HEADER = ROOT / "tests" / "dropin" / "xv6_trapframe.h"

#: the struct a kernel writes for the example, and each member's offset from the SDM's frame
KERNEL_STRUCT = """\
struct kernel_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip;
    uint16_t cs; uint16_t __pad; uint32_t __pad2;
    uint64_t rflags;
    uint64_t rsp;
    uint16_t ss, padding[3];
};
"""
EXPECTED = {
    "rip": (136, 8), "cs": (144, 2), "__pad": (146, 2), "__pad2": (148, 4), "rflags": (152, 8),
    "rsp": (160, 8), "ss": (168, 2), "padding": (170, 6),
}  # fmt: skip
SIZE = 176


def _gcc(args: list[str]) -> None:
    run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-ffreestanding", *args])


def test_c_struct_matches_the_kernels_member_for_member(tmp_path: Path) -> None:
    require_tool("gcc")
    isrgen.build(load_x86(EXAMPLE), tmp_path, ["c"])
    gen = "struct interrupt_frame"
    lines = ["#include <stddef.h>", "#include <stdint.h>", KERNEL_STRUCT, '#include "isr.h"']
    lines.append(f'_Static_assert(sizeof(struct kernel_frame) == sizeof({gen}) && sizeof({gen}) == {SIZE}, "size");')
    for member, (offset, size) in EXPECTED.items():
        lines += [
            f'_Static_assert(offsetof({gen}, {member}) == {offset}, "{member}");',
            f'_Static_assert(offsetof(struct kernel_frame, {member}) == offsetof({gen}, {member}), "{member}");',
            f'_Static_assert(sizeof((({gen} *)0)->{member}) == {size}, "{member} size");',
        ]
    (tmp_path / "check.c").write_text("\n".join(lines) + "\n")
    _gcc(["-c", str(tmp_path / "check.c"), "-o", str(tmp_path / "check.o")])


def test_rust_struct_matches_a_hand_written_one(tmp_path: Path) -> None:
    require_tool("rustc")
    isrgen.build(load_x86(EXAMPLE), tmp_path, ["rust"])
    main = tmp_path / "check.rs"
    asserts = "\n".join(
        f"const _: () = assert!(core::mem::offset_of!(isr::InterruptFrame, {m}) == {o}"
        f" && core::mem::offset_of!(Kernel, {m}) == {o});"
        for m, (o, _) in EXPECTED.items()
    )
    main.write_text(
        textwrap.dedent("""\
        #![no_std]
        #[path = "isr.rs"]
        mod isr;
        #[repr(C)]
        pub struct Kernel {
            pub regs: [u64; 17],
            pub rip: u64,
            pub cs: u16, pub __pad: u16, pub __pad2: u32,
            pub rflags: u64,
            pub rsp: u64,
            pub ss: u16, pub padding: [u16; 3],
        }
        """)
        + asserts
        + f"\nconst _: () = assert!(core::mem::size_of::<isr::InterruptFrame>() == {SIZE});\n"
        + "const _: () = assert!(core::mem::size_of::<Kernel>() == core::mem::size_of::<isr::InterruptFrame>());\n"
        + "pub fn cs_is_u16(f: &isr::InterruptFrame) -> u16 { f.cs }\n"
        + "pub fn ss_pad(f: &isr::InterruptFrame) -> [u16; 3] { f.padding }\n"
    )
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    run(["rustc", "--edition=2021", "--crate-type=lib", "--emit=obj", "-D", "warnings", "-o", str(tmp_path / "c.o"),
         str(main)], env=env)  # fmt: skip


def test_xv6_struct_trapframe_member_for_member(tmp_path: Path) -> None:
    """xv6's own struct trapframe (padding1 ... padding6 included), compiled with -m32."""
    require_tool("gcc")
    spec = load_x86(XV6)
    isrgen.build(spec, tmp_path, ["c"])
    members = ["edi", "esi", "ebp", "oesp", "ebx", "edx", "ecx", "eax", "gs", "padding1", "fs", "padding2", "es",
               "padding3", "ds", "padding4", "trapno", "err", "eip", "cs", "padding5", "eflags", "esp", "ss",
               "padding6"]  # fmt: skip
    lines = [
        "#include <stddef.h>",
        "#define trapframe kernel_trapframe",
        f'#include "{XV6_HEADER}"',
        "#undef trapframe",
        '#include "trapframe.h"',
        '_Static_assert(sizeof(struct kernel_trapframe) == sizeof(struct trapframe), "size");',
    ]
    for m in members:
        k, g = "struct kernel_trapframe", "struct trapframe"
        lines.append(f'_Static_assert(offsetof({k}, {m}) == offsetof({g}, {m}), "{m}");')
        lines.append(f'_Static_assert(sizeof((({k} *)0)->{m}) == sizeof((({g} *)0)->{m}), "{m} size");')
    (tmp_path / "check.c").write_text("\n".join(lines) + "\n")
    _gcc(["-m32", "-c", str(tmp_path / "check.c"), "-o", str(tmp_path / "check.o")])


LINUX_I386 = """\
isrgen: 1
arch: i386
handler: {symbol: do_irq, convention: cdecl}
frame:
  struct: pt_regs
  layout:
    - {ebx: bx}
    - {ecx: cx}
    - {edx: dx}
    - {esi: si}
    - {edi: di}
    - {ebp: bp}
    - {eax: ax}
    - {ds: {name: ds, width: 16, padding: [{__dsh: 16}]}}
    - {es: {name: es, width: 16, padding: [{__esh: 16}]}}
    - {fs: {name: fs, width: 16, padding: [{__fsh: 16}]}}
    - {gs: {name: gs, width: 16, padding: [{__gsh: 16}]}}
    - {vector: trapno}
    - {error_code: orig_ax}
  cpu_fields:
    eip: ip
    cs: {name: cs, width: 16, padding: [{__csh: 16}]}
    eflags: flags
    esp: sp
    ss: {name: ss, width: 16, padding: [{__ssh: 16}]}
outputs: {c: isr.h}
vectors: [{range: [0, 31]}]
"""
#: Linux's i386 struct pt_regs (arch/x86/include/asm/ptrace.h) with a vector word before
#: orig_ax, and each member's offset: 4-byte registers, then the CPU's EIP, CS, EFLAGS,
#: ESP, SS (SDM Vol. 3A 6.12.1, Figure 6-4), each selector a 16-bit value and its padding
LINUX_STRUCT = """\
struct kernel_regs {
    unsigned long bx, cx, dx, si, di, bp, ax;
    unsigned short ds, __dsh, es, __esh, fs, __fsh, gs, __gsh;
    unsigned long trapno, orig_ax, ip;
    unsigned short cs, __csh;
    unsigned long flags, sp;
    unsigned short ss, __ssh;
};
"""
LINUX_OFFSETS = {
    "ax": (24, 4), "ds": (28, 2), "__dsh": (30, 2), "es": (32, 2), "__esh": (34, 2), "fs": (36, 2),
    "__fsh": (38, 2), "gs": (40, 2), "__gsh": (42, 2), "trapno": (44, 4), "orig_ax": (48, 4), "ip": (52, 4),
    "cs": (56, 2), "__csh": (58, 2), "flags": (60, 4), "sp": (64, 4), "ss": (68, 2), "__ssh": (70, 2),
}  # fmt: skip


def test_linux_i386_pt_regs_padding_names_member_for_member(tmp_path: Path) -> None:
    """Linux names a segment slot's padding ``__gsh``: a '__' name is a struct member the
    layout's segment slots take as frame.cpu_fields does (gcc -m32, every member checked)."""
    require_tool("gcc")
    isrgen.build(loads_x86(LINUX_I386, "pt_regs.yaml"), tmp_path, ["c"])
    gen = "struct pt_regs"
    lines = ["#include <stddef.h>", LINUX_STRUCT, '#include "isr.h"']
    lines.append(f'_Static_assert(sizeof(struct kernel_regs) == sizeof({gen}) && sizeof({gen}) == 72, "size");')
    for member, (offset, size) in LINUX_OFFSETS.items():
        lines += [
            f'_Static_assert(offsetof({gen}, {member}) == {offset}, "{member}");',
            f'_Static_assert(offsetof(struct kernel_regs, {member}) == {offset}, "{member}");',
            f'_Static_assert(sizeof((({gen} *)0)->{member}) == {size}, "{member} size");',
        ]
    (tmp_path / "check.c").write_text("\n".join(lines) + "\n")
    _gcc(["-m32", "-c", str(tmp_path / "check.c"), "-o", str(tmp_path / "check.o")])


def test_a_padding_name_is_unique_in_the_frame() -> None:
    text = LINUX_I386.replace("{__gsh: 16}", "{__fsh: 16}")
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "twice.yaml")
    assert [(d.source.line, d.message) for d in info.value.diagnostics] == [
        (17, "field name '__fsh' is used twice in the frame")
    ]


def test_layout_offsets_do_not_change() -> None:
    narrow = isrgen.compute_layout(load_x86(EXAMPLE))
    text = EXAMPLE.read_text().split("  cpu_fields:")[0] + "\noutputs: {gas: isr.S}\nvectors: [{range: [0, 31]}]\n"
    plain = isrgen.compute_layout(loads_x86(text))
    assert [(f.name, f.offset, f.size) for f in narrow.fields] == [(f.name, f.offset, f.size) for f in plain.fields]
    assert {f.name: f.offset for f in narrow.fields if f.name in EXPECTED} == {
        m: o for m, (o, _) in EXPECTED.items() if m in ("rip", "cs", "rflags", "rsp", "ss")
    }


def test_prove_checks_the_narrow_members() -> None:
    require_tool("as", "ld", "gcc", "rustc")
    proc = run(isrgen_cmd("prove", str(EXAMPLE)))
    assert proc.stdout.splitlines()[-1] == "all properties hold", proc.stdout + proc.stderr


BAD = """\
isrgen: 1
arch: {arch}
handler: {{symbol: h{conv}}}
frame:
  layout: {layout}
  cpu_fields:
    {field}
vectors: [{{range: [0, 31]}}]
"""
I386_LAYOUT = "[pushal, gs, fs, es, ds, vector, error_code]"
X64_LAYOUT = "[rax, rcx, rdx, rsi, rdi, r8, r9, r10, r11, vector, error_code]"


@pytest.mark.parametrize(
    ("arch", "field", "at", "message"),
    [
        ("x86_64", "cs: {width: 12}", "12", "width must be one of 8, 16, 32"),
        ("x86_64", "cs: {width: 16, padding: [{p: 16}]}", "[{p", "take 4 bytes; the slot has 8"),
        ("x86_64", "cs: {width: 16, padding: [{p: 32}, {q: 16}]}", "32", "alignment"),
        ("x86_64", "rip: {width: 16}", "{width", "only cs, ss take a width"),
        ("x86_64", "cs: {padding: [{p: 16}]}", "padding", "padding needs a width"),
        ("x86_64", "cs: {width: 16, size: 2}", "size", "unknown key 'size'"),
        ("x86_64", "cs: {width: 16, padding: [{rflags: [16, 3]}]}", "{width", "also a field of the frame"),
        ("i386", "ss: {width: 16, padding: [{p: 8}]}", "[{p", "take 3 bytes; the slot has 4"),
    ],
)
def test_bad_declarations_are_located(tmp_path: Path, arch: str, field: str, at: str, message: str) -> None:
    layout, conv = (I386_LAYOUT, ", convention: cdecl") if arch == "i386" else (X64_LAYOUT, "")
    spec = tmp_path / "bad.yaml"
    spec.write_text(BAD.format(arch=arch, conv=conv, layout=layout, field=field))
    proc = run(isrgen_cmd("build", str(spec), "-o", str(tmp_path / "out")), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and not (tmp_path / "out").exists()
    head = f"{spec}:7:{5 + field.index(at)}: error: "
    assert any(ln.startswith(head) and message in ln for ln in proc.stderr.splitlines()), proc.stderr


def test_a_layout_declaration_is_for_segment_slots_only(tmp_path: Path) -> None:
    text = BAD.format(arch="x86_64", conv="", layout=X64_LAYOUT.replace("rax", "{rax: {width: 16}}"), field="rip: ip")
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "bad.yaml")
    assert any("takes a field name" in d.message and d.source.line == 5 for d in info.value.diagnostics)
