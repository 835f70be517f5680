"""Checker programs for properties 1 and 2 of ``isrgen prove``: C and Rust print the
frame layout they actually compiled, one ``field NAME OFFSET SIZE`` line per field
and a final ``size N`` line, which :func:`parse_layout_lines` reads back.

Where no hosted C library exists for the target (``gcc -m32`` without multilib),
:func:`c_layout_object_source` compiles freestanding into an object instead, and
:func:`layout_lines_from_object` reads the same lines out of its data."""

from __future__ import annotations

import importlib
from pathlib import Path

from isrgen.model.layout import FrameLayout
from isrgen.model.spec import Spec
from isrgen.proof.elf import read_elf

#: the array a freestanding checker object holds: offset and size of each field, then sizeof
LAYOUT_ARRAY = "isrgen_prove_layout"


def c_checker_source(spec: Spec, layout: FrameLayout, header: str) -> str:
    """A hosted C program that includes ``header`` and prints the frame's layout."""
    struct = f"struct {spec.frame.struct_name}"
    lines = [
        "#include <stddef.h>",
        "#include <stdio.h>",
        f'#include "{header}"',
        "",
        "int main(void) {",
    ]
    for f in layout.fields:
        lines.append(
            f'    printf("field {f.name} %zu %zu\\n", offsetof({struct}, {f.name}), sizeof((({struct} *)0)->{f.name}));'
        )
    lines += [f'    printf("size %zu\\n", sizeof({struct}));', "    return 0;", "}", ""]
    return "\n".join(lines)


def c_layout_object_source(spec: Spec, layout: FrameLayout, header: str) -> str:
    """A freestanding C unit that includes ``header`` and stores the frame's layout in
    :data:`LAYOUT_ARRAY` (offset, size per field, then the struct's size)."""
    struct = f"struct {spec.frame.struct_name}"
    lines = ["#include <stddef.h>", f'#include "{header}"', "", f"const unsigned long long {LAYOUT_ARRAY}[] = {{"]
    for f in layout.fields:
        lines.append(f"    offsetof({struct}, {f.name}), sizeof((({struct} *)0)->{f.name}),")
    lines += [f"    sizeof({struct}),", "};", ""]
    return "\n".join(lines)


def layout_lines_from_object(path: Path, layout: FrameLayout) -> str:
    """The ``field``/``size`` lines for an object compiled from :func:`c_layout_object_source`."""
    elf = read_elf(path)
    sym = elf.symbol(LAYOUT_ARRAY)
    count = 2 * len(layout.fields) + 1
    data = elf.masked_bytes(sym.section or ".rodata")[sym.value : sym.value + 8 * count]
    values = [int.from_bytes(data[i : i + 8], "little") for i in range(0, len(data), 8)]
    if len(values) != count:
        return ""
    lines = [f"field {f.name} {values[2 * i]} {values[2 * i + 1]}" for i, f in enumerate(layout.fields)]
    lines.append(f"size {values[-1]}")
    return "\n".join(lines)


def rust_checker_source(spec: Spec, layout: FrameLayout, module: Path) -> str:
    """A Rust program that includes the generated ``module`` and prints the frame's layout.

    The module's glue calls the handlers: the program defines each as a ``ud2``
    so that it links (it never runs them)."""
    rust = importlib.import_module("isrgen.backends.rust")  # its type-name rule, not a copy
    struct = f"isr::{rust.rust_type_name(spec.frame.struct_name)}"
    stubs = "".join(f".globl {h}\\n{h}:\\n    ud2\\n" for h in spec.handlers)
    lines = [
        f"#[path = {rust.rust_string(str(module.resolve()))}]",
        "mod isr;",
        "",
        f'core::arch::global_asm!(".pushsection .text.isrgen_prove,\\"ax\\",@progbits\\n{stubs}.popsection");',
        "",
        "fn main() {",
    ]
    for f in layout.fields:
        lines.append(
            f'    println!("field {f.name} {{}} {{}}", core::mem::offset_of!({struct}, {f.name}), '
            f"core::mem::size_of_val(&unsafe {{ core::mem::zeroed::<{struct}>() }}.{f.name}));"
        )
    lines += [f'    println!("size {{}}", core::mem::size_of::<{struct}>());', "}", ""]
    return "\n".join(lines)


def parse_layout_lines(output: str) -> tuple[dict[str, tuple[int, int]], int]:
    """``field`` lines -> {name: (offset, size)}, and the ``size`` line's value (-1 if absent)."""
    fields: dict[str, tuple[int, int]] = {}
    size = -1
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "field":
            fields[parts[1]] = (int(parts[2]), int(parts[3]))
        elif len(parts) == 2 and parts[0] == "size":
            size = int(parts[1])
    return fields, size
