"""The C header and the Rust module name every per-CPU word the glue reads through the
kernel GS base, and what the paranoid GS method needs the kernel to set up, so that a
kernel lays out its per-CPU block from the same spec.  The expected values are the
spec text's below and the manuals' (SDM Vol. 3A 2.5 CR4.FSGSBASE is bit 16; SDM Vol. 4
IA32_TSC_AUX is MSR 0xC0000103; Linux's CPUNODE layout keeps the CPU in bits 11:0)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import loads_x86, require_tool, run

import isrgen
from isrgen.proof import toolchain

SPEC = """\
isrgen: 1
arch: x86_64
symbols: {{prefix: k_}}
handler: {{symbol: k_dispatch}}
frame: {{layout: [r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, vector, error_code]}}
entry: {{swapgs: true}}
syscall: {{handler: k_syscall, kernel_stack_gs: 0x40, user_stack_gs: 0x48}}
irq_stack: {{top_gs: 0x50, depth_gs: 0x58}}
paranoid_gs: {paranoid}
vectors:
  - {{vector: 2, name: nmi, paranoid: true, ist: 2}}
  - {{range: [32, 47], name: "irq_{{n}}", class: irq}}
"""
LSL = "{method: lsl, offsets: kernel_percpu_offset, cpunode_selector: 0xe3}"
RDPID = "{method: rdpid, offsets: kernel_percpu_offset}"

C_CHECKS = """\
#include "isr.h"

/* the per-CPU block, laid out from the header's offsets */
struct percpu {{
    uint8_t head[0x40];
    uint64_t kernel_stack, user_stack, irq_stack_top, irq_stack_depth;
}};
K_STATIC_ASSERT(K_GS_KERNEL_STACK == 0x40, "syscall.kernel_stack_gs");
K_STATIC_ASSERT(K_GS_USER_STACK == 0x48, "syscall.user_stack_gs");
K_STATIC_ASSERT(K_GS_IRQ_STACK_TOP == 0x50, "irq_stack.top_gs");
K_STATIC_ASSERT(K_GS_IRQ_STACK_DEPTH == 0x58, "irq_stack.depth_gs");
K_STATIC_ASSERT(offsetof(struct percpu, irq_stack_depth) == K_GS_IRQ_STACK_DEPTH, "layout");
K_STATIC_ASSERT(K_CR4_FSGSBASE == (1u << 16), "SDM Vol. 3A 2.5");
K_STATIC_ASSERT(K_CPUNODE_CPU_MASK == 0xfff && K_CPUNODE_NODE_SHIFT == 12, "CPUNODE layout");
K_STATIC_ASSERT(K_PARANOID_GS_METHOD == K_PARANOID_GS_{method}, "paranoid_gs.method");
K_STATIC_ASSERT(K_PARANOID_GS_MSR_SIGN != K_PARANOID_GS_RDPID && K_PARANOID_GS_RDTSCP != K_PARANOID_GS_LSL, "");
{extra}
/* the definition the glue's extern declaration names */
uint64_t kernel_percpu_offset[4];

uint64_t gs_base_of(unsigned cpu_and_node);
uint64_t gs_base_of(unsigned cpu_and_node) {{
    return kernel_percpu_offset[cpu_and_node & K_CPUNODE_CPU_MASK];
}}
"""
C_EXTRA = {
    "LSL": 'K_STATIC_ASSERT(K_CPUNODE_SELECTOR == 0xe3, "paranoid_gs.cpunode_selector");\n',
    "RDPID": 'K_STATIC_ASSERT(K_MSR_TSC_AUX == 0xc0000103, "SDM Vol. 4: IA32_TSC_AUX");\n',
}

RUST_CHECKS = """
const _: () = assert!(isr::GS_KERNEL_STACK == 0x40);
const _: () = assert!(isr::GS_USER_STACK == 0x48);
const _: () = assert!(isr::GS_IRQ_STACK_TOP == 0x50);
const _: () = assert!(isr::GS_IRQ_STACK_DEPTH == 0x58);
const _: () = assert!(isr::CR4_FSGSBASE == 1 << 16);
const _: () = assert!(isr::CPUNODE_CPU_MASK == 0xfff);
const _: () = assert!(isr::PARANOID_GS_METHOD == isr::PARANOID_GS_{method});
{extra}
pub fn table_address() -> *const u64 {{
    unsafe {{ core::ptr::addr_of!(isr::kernel_percpu_offset) as *const u64 }}
}}
"""
RUST_EXTRA = {
    "LSL": "const _: () = assert!(isr::CPUNODE_SELECTOR == 0xe3);",
    "RDPID": "const _: () = assert!(isr::MSR_TSC_AUX == 0xc000_0103);",
}


@pytest.mark.parametrize(("method", "block"), [("LSL", LSL), ("RDPID", RDPID)])
def test_c_header_names_the_per_cpu_words(method: str, block: str, tmp_path: Path) -> None:
    require_tool("gcc")
    spec = loads_x86(SPEC.format(paranoid=block), "pcpu.yaml")
    isrgen.build(spec, tmp_path, ["c"])
    src = tmp_path / "t.c"
    src.write_text(C_CHECKS.format(method=method, extra=C_EXTRA[method]), encoding="utf-8")
    for std in ("c11", "gnu11"):
        run(
            [
                "gcc",
                f"-std={std}",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-pedantic",
                "-c",
                str(src),
                "-o",
                str(tmp_path / "t.o"),
            ]
        )
    # a wrong expectation does not compile: the asserts have teeth
    src.write_text(C_CHECKS.format(method=method, extra=C_EXTRA[method]).replace("== 0x58", "== 0x60"))
    proc = run(["gcc", "-std=c11", "-Werror", "-c", str(src), "-o", str(tmp_path / "t.o")], check=False)
    assert proc.returncode != 0 and "irq_stack.depth_gs" in proc.stderr


@pytest.mark.parametrize(("method", "block"), [("LSL", LSL), ("RDPID", RDPID)])
def test_rust_module_names_the_per_cpu_words(method: str, block: str, tmp_path: Path) -> None:
    require_tool("rustc")
    spec = loads_x86(SPEC.format(paranoid=block), "pcpu.yaml")
    (module,) = isrgen.build(spec, tmp_path, ["rust"])
    root = toolchain.rust_crate_root(module, tmp_path / "lib.rs")
    root.write_text(root.read_text() + RUST_CHECKS.format(method=method, extra=RUST_EXTRA[method]))
    toolchain.compile_rust(root, tmp_path / "lib.o")
    root.write_text(root.read_text().replace("GS_IRQ_STACK_TOP == 0x50", "GS_IRQ_STACK_TOP == 0x58"))
    with pytest.raises(toolchain.ToolError):
        toolchain.compile_rust(root, tmp_path / "lib.o")


def test_msr_sign_needs_no_table_and_names_only_the_offsets(tmp_path: Path) -> None:
    spec = loads_x86(SPEC.format(paranoid="{method: msr_sign}"), "pcpu.yaml")
    (header,) = isrgen.render_outputs(spec, ["c"])
    assert "#define K_GS_IRQ_STACK_DEPTH 0x58" in header.content
    assert "PARANOID_GS" not in header.content and "kernel_percpu_offset" not in header.content
