"""Checker programs for properties 1 and 2 of ``isrgen prove``: C and Rust print the
frame layout they actually compiled, one ``field NAME OFFSET SIZE`` line per field
and a final ``size N`` line, which :func:`parse_layout_lines` reads back."""

from __future__ import annotations

import importlib
from pathlib import Path

from .layout import FrameLayout
from .model import Spec


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
