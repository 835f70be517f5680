"""A malformed-spec test for each loader and resolve rule that lacked one.

Each case is a spec that breaks one rule, the line and column the error must point
at, and a fragment of the message.  The location is not copied from the loader's
output: each case names the line (a unique piece of its text) and the token on it
where the offending key or value starts, so the expected ``line:col`` comes from
the spec text itself.
"""

from __future__ import annotations

import pytest
from conftest import loads_x86

import isrgen

X86_64_LAYOUT = "r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code"
BASE = """\
isrgen: 1
arch: x86_64
handler:
  symbol: isr_dispatch
frame:
  layout: [{layout}]
vectors:
  - {{vector: 0, name: divide_error}}
  - {{vector: 32, name: timer}}
"""
I386 = """\
isrgen: 1
arch: i386
handler:
  symbol: isr_dispatch
  convention: cdecl
frame:
  layout: [{layout}]
vectors:
  - {{vector: 0, name: divide_error}}
  - {{vector: 32, name: timer}}
"""
SYSCALL = "entry: {swapgs: true}\nsyscall:\n  handler: isr_syscall\n"


def x86_64(extra: str = "", layout: str = X86_64_LAYOUT) -> str:
    return BASE.format(layout=layout) + extra


def i386(extra: str = "", layout: str = "pushal, gs, fs, es, ds, vector, error_code") -> str:
    return I386.format(layout=layout) + extra


#: rule -> (spec text, (a unique piece of the offending line, the token where the error points), message fragment)
CASES: dict[str, tuple[str, tuple[str, str], str]] = {
    # loader: table, stubs, sections, handler, outputs, symbols
    "table.width wider than an address": (
        i386("table:\n  width: 8\n"),
        ("width: 8", "8"),
        "a 8-byte entry cannot hold a i386 address",
    ),
    "table.align a power of two": (
        x86_64("table:\n  align: 12\n"),
        ("align: 12", "12"),
        "impossible alignment 12: must be a power of two",
    ),
    "table.contents idt cannot be generated": (
        x86_64("table:\n  contents: idt\n"),
        ("contents: idt", "idt"),
        "a ready IDT image cannot be generated",
    ),
    "stubs.error_code_filler needs classic stubs": (
        x86_64("stubs:\n  style: dense\n  error_code_filler: nop\n"),
        ("error_code_filler: nop", "error_code_filler"),
        "error_code_filler applies to classic stubs only",
    ),
    "sections.code_align a power of two": (
        x86_64("sections:\n  code_align: 12\n"),
        ("code_align: 12", "12"),
        "impossible alignment 12",
    ),
    "sections.stub_align a power of two": (
        x86_64("sections:\n  stub_align: 24\n"),
        ("stub_align: 24", "24"),
        "impossible alignment 24",
    ),
    "sections.table not a code section": (
        x86_64("sections:\n  table: .text.vectors\n"),
        ("table: .text.vectors", ".text.vectors"),
        "is a code section; the vector table belongs in read-only data",
    ),
    "sections.table must have file contents": (
        x86_64("sections:\n  table: .bss.vectors\n"),
        ("table: .bss.vectors", ".bss.vectors"),
        "cannot hold the table's addresses",
    ),
    "sections.table differs from sections.code": (
        x86_64("sections:\n  code: .isr\n  table: .isr\n"),
        ("table: .isr", ".isr"),
        "the table section must differ from the code section",
    ),
    "handler.convention available on the arch": (
        i386().replace("convention: cdecl", "convention: sysv"),
        ("convention: sysv", "sysv"),
        "calling convention 'sysv' is not available on i386",
    ),
    "handler.align_stack only with cdecl": (
        x86_64().replace("  symbol: isr_dispatch\n", "  symbol: isr_dispatch\n  align_stack: true\n"),
        ("align_stack: true", "align_stack"),
        "align_stack applies to the cdecl convention only",
    ),
    "handler.args start with frame": (
        x86_64().replace("  symbol: isr_dispatch\n", "  symbol: isr_dispatch\n  args: [vector, frame]\n"),
        ("args: [vector, frame]", "["),
        "handler.args starts with 'frame' and names each argument once",
    ),
    "handler.args after a frame passed by value": (
        i386().replace(
            "  convention: cdecl\n",
            "  convention: cdecl\n  frame_arg: value\n  align_stack: false\n  args: [frame, vector]\n",
        ),
        ("args: [frame, vector]", "["),
        "a frame passed by value cannot be followed by other arguments",
    ),
    "handler.args need their frame slot": (
        x86_64(layout=X86_64_LAYOUT.replace(", vector", "")).replace(
            "  symbol: isr_dispatch\n", "  symbol: isr_dispatch\n  args: [frame, vector]\n"
        )
        + "stubs: {style: classic}\n",
        ("args: [frame, vector]", "["),
        "the handler cannot receive the vector: the frame has no vector slot",
    ),
    "outputs name a file, not a folder": (
        x86_64("outputs:\n  gas: .\n"),
        ("gas: .", "."),
        "output file name '.' names a folder, not a file",
    ),
    "outputs write each file once": (
        x86_64("outputs:\n  gas: isr.S\n  nasm: isr.S\n"),
        ("nasm: isr.S", "isr.S"),
        "output file 'isr.S' is also written by backend 'gas'",
    ),
    "symbols name one thing each": (
        x86_64('symbols:\n  table: "{prefix}x"\n  exit: "{prefix}x"\n'),
        ('exit: "{prefix}x"', '"'),
        "symbol 'isr_x' names both the vector table and the exit routine",
    ),
    "stub symbols collide with no other symbol": (
        x86_64('symbols:\n  table: "{prefix}stub_0"\n'),
        ('table: "{prefix}stub_0"', "table"),
        "stub symbol 'isr_stub_0' of vector 0 collides with the vector table",
    ),
    "handler symbols collide with no generated symbol": (
        x86_64().replace("symbol: isr_dispatch", "symbol: isr_table"),
        ("symbol: isr_table", "isr_table"),
        "handler symbol 'isr_table' collides with the vector table",
    ),
    "entry symbol collides with no other symbol": (
        x86_64('symbols:\n  entry: "{prefix}halt"\n'),
        ('entry: "{prefix}halt"', '"'),
        "entry symbol 'isr_halt' collides with the halt routine",
    ),
    # symbol patterns
    "pattern format spec only on {n}": (
        x86_64('symbols:\n  stub: "{prefix:>4}stub{n}"\n'),
        ('stub: "{prefix:>4}stub{n}"', '"'),
        "format spec not allowed on {prefix}",
    ),
    "pattern format spec of {n} limited": (
        x86_64('symbols:\n  stub: "isr{n:+08}"\n'),
        ('stub: "isr{n:+08}"', '"'),
        "format spec {n:+08} not allowed",
    ),
    "pattern must format": (
        x86_64('symbols:\n  stub: "isr{n:c}"\n'),
        ('stub: "isr{n:c}"', '"'),
        "not allowed",
    ),
    # entry, simd, syscall
    "entry.data_segments only where there are segment registers": (
        x86_64("entry:\n  data_segments: [ds]\n"),
        ("data_segments: [ds]", "data_segments"),
        "x86_64 entries do not load data segments",
    ),
    "entry.segments_from_ds only where there are segment registers": (
        x86_64("entry:\n  segments_from_ds: true\n"),
        ("segments_from_ds: true", "segments_from_ds"),
        "x86_64 entries do not load data segments",
    ),
    "entry.segments_from_ds needs data_segments": (
        i386("entry:\n  segments_from_ds: true\n"),
        ("segments_from_ds: true", "true"),
        "segments_from_ds restores entry.data_segments, which lists none",
    ),
    "entry.exit_frame stack cannot load CR3": (
        x86_64("entry:\n  exit_frame: stack\n  exit_loads_cr3: true\n"),
        ("exit_frame: stack", "stack"),
        "exit_frame: stack takes no arguments",
    ),
    "simd.xsave_mask beyond AVX needs area_size": (
        x86_64("simd:\n  xsave_mask: 0xe7\n"),
        ("xsave_mask: 0xe7", "0xe7"),
        "has components beyond x87/SSE/AVX: give simd.area_size",
    ),
    "simd.area_size a multiple of 64": (
        x86_64("simd:\n  area_size: 600\n"),
        ("area_size: 600", "600"),
        "area_size 600 must be a multiple of 64",
    ),
    "simd.area_size large enough": (
        x86_64("simd:\n  xsave_mask: 0x7\n  area_size: 576\n"),
        ("area_size: 576", "576"),
        "area_size 576 is smaller than the 832 bytes mask 0x7 needs",
    ),
    "simd.xsave_mask includes x87 and SSE": (
        x86_64("simd:\n  xsave_mask: 0x6\n"),
        ("xsave_mask: 0x6", "0x6"),
        "must include x87 (bit 0) and SSE (bit 1)",
    ),
    "simd.xsave_mask AVX-512 all together with AVX": (
        x86_64("simd:\n  xsave_mask: 0x23\n  area_size: 2048\n"),
        ("xsave_mask: 0x23", "0x23"),
        "AVX-512 state (bits 5, 6, 7) is enabled all together",
    ),
    "syscall.marker not a vector number": (
        x86_64(SYSCALL + "  marker: 32\n"),
        ("marker: 32", "32"),
        "marker 32 is also a vector number",
    ),
    "syscall.restored only saved registers": (
        # (a name that is no GPR at all is the schema's enum error; rbx is one the frame leaves out)
        x86_64(SYSCALL + "  restored: [rax, rbx]\n", layout=X86_64_LAYOUT.replace("rbx, ", "")),
        ("restored: [rax, rbx]", "rbx"),
        "'rbx' is not a register the frame saves",
    ),
    "syscall.user_cs has RPL 3": (
        x86_64(SYSCALL + "  user_cs: 0x20\n  user_ss: 0x18\n"),
        ("user_cs: 0x20", "0x20"),
        "user_cs 0x20 has RPL 0",
    ),
    "syscall.user_ss is user_cs - 8": (
        x86_64(SYSCALL + "  user_cs: 0x23\n  user_ss: 0x2b\n"),
        ("user_ss: 0x2b", "0x2b"),
        "user_ss 0x2b must be user_cs - 8 = 0x1b",
    ),
    "syscall GS slots do not overlap": (
        x86_64(SYSCALL + "  kernel_stack_gs: 8\n  user_stack_gs: 12\n"),
        ("user_stack_gs: 12", "12"),
        "user_stack_gs 12 and kernel_stack_gs 8 overlap",
    ),
    # frame layout
    "frame_pointer needs the frame-pointer register saved": (
        x86_64(
            "stubs: {style: classic}\n",
            layout=X86_64_LAYOUT.replace("rbp, ", "").replace("error_code", "error_code, frame_pointer"),
        ),
        ("layout: [", "frame_pointer"),
        "a 'frame_pointer' slot needs rbp saved in the layout too",
    ),
    "vector_in_error_slot needs classic stubs": (
        x86_64("stubs: {style: dense}\n").replace("frame:\n", "frame:\n  vector_in_error_slot: [irq]\n"),
        ("vector_in_error_slot: [irq]", "vector_in_error_slot"),
        "vector_in_error_slot needs classic stubs",
    ),
    "frame field names unique": (
        x86_64(layout=X86_64_LAYOUT.replace("rbx, rax", "{rbx: reg}, {rax: reg}")),
        ("layout: [", "reg}, vector"),
        "field name 'reg' is used twice in the frame",
    ),
    "frame field names differ from the CPU-pushed fields": (
        x86_64(layout=X86_64_LAYOUT.replace("rax", "{rax: rip}")),
        ("layout: [", "rip}"),
        "field name 'rip' is used by the rax slot and the CPU-pushed rip",
    ),
    "frame layout items are names or one-key mappings": (
        x86_64(layout=X86_64_LAYOUT.replace("rbx, rax", "{rbx: b, rax: a}")),
        ("layout: [", "{rbx: b, rax: a}"),
        "a layout item is a slot name or a one-key mapping",
    ),
    "frame layout lists no CPU-pushed slot": (
        x86_64(layout=X86_64_LAYOUT + ", rip"),
        ("layout: [", "rip]"),
        "'rip' is saved by the CPU, not by the entry code",
    ),
    "frame renaming needs a name": (
        x86_64(layout=X86_64_LAYOUT.replace("rax", "{rax: }")),
        ("layout: [", "}, vector"),
        "{rax: ...} needs a value",
    ),
    "pushal saves what it saves once": (
        i386(layout="{eax: acc}, pushal, gs, fs, es, ds, vector, error_code"),
        ("layout: [", "pushal"),
        "'eax' is saved twice (by pushal and on its own)",
    ),
    "pushal renames all its fields in order": (
        i386(layout="{pushal: [a, b]}, gs, fs, es, ds, vector, error_code"),
        ("layout: [", "[a, b]"),
        "pushal names its 8 fields in memory order",
    ),
    "outputs name at least one backend": (x86_64("outputs: {}\n"), ("outputs: {}", "{}"), "no outputs"),
    "vector names not empty": (
        x86_64().replace("name: timer", 'name: ""'),
        ('name: ""', '""'),
        "a vector name cannot be empty",
    ),
    # schema pass and YAML
    "lists are at most 1024 items long": (
        x86_64("classes: [" + ", ".join(["a"] * 1025) + "]\n"),
        ("classes: [", "["),
        "a list of 1025 items; no list in a spec has more than 1024",
    ),
    # the top-level list is level 0: the 66th bracket opens level 65
    "nesting is at most 64 levels deep": (
        "[" * 70 + "]" * 70 + "\n",
        ("[[", "[" * 5 + "]"),
        "nested more than 64 levels",
    ),
    "outputs keys are backend names": (
        x86_64('outputs:\n  "gas file": isr.S\n'),
        ('"gas file": isr.S', '"gas file"'),
        "is not a valid name here",
    ),
    "mapping keys are plain strings": (
        x86_64("? [a, b]\n: one\n"),
        ("? [a, b]", "["),
        "mapping keys must be plain strings",
    ),
    "a spec is not empty": ("# nothing but a comment\n", ("# nothing", "#"), "the spec is empty"),
    "unknown architecture": (x86_64().replace("arch: x86_64", "arch: mips"), ("arch: mips", "mips"), "mips"),
}


def _expected_location(text: str, where: tuple[str, str]) -> tuple[int, int]:
    line_text, token = where
    lines = text.splitlines()
    matches = [i for i, line in enumerate(lines) if line_text in line]
    assert len(matches) == 1, f"{line_text!r} must pick exactly one line"
    line = lines[matches[0]]
    return matches[0] + 1, line.index(token) + 1


@pytest.mark.parametrize("rule", list(CASES))
def test_rule_rejects_what_breaks_it_at_its_key(rule: str) -> None:
    text, where, fragment = CASES[rule]
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "rule.yaml")
    found = [d for d in info.value.diagnostics if fragment in d.message]
    assert found, [f"{d.source.line}:{d.source.col}: {d.message}" for d in info.value.diagnostics]
    where_found = (found[0].source.file, found[0].source.line, found[0].source.col)
    assert where_found == ("rule.yaml", *_expected_location(text, where))


def test_the_base_specs_load() -> None:
    assert loads_x86(x86_64(), "base.yaml").arch_name == "x86_64"
    assert loads_x86(i386(), "base.yaml").arch_name == "i386"
    assert loads_x86(x86_64(SYSCALL), "base.yaml").syscall is not None
