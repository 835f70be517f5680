"""Real aarch64 kernels' exception frames, written here as C from each kernel's public
source, checked against the header isrgen generates from specs/examples/aarch64_*.yaml:
gcc compiles static asserts that every field of the kernel's struct sits where the
generated struct has the matching field, and the glue passes every tool and the proof.

Each convention lists its struct's 8-byte words in order, as (designator in the kernel's
struct, field of the generated struct); the expected offsets are the word indexes * 8.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from a64_probe_tools import C_FLAGS, TOOLS, check_every_tool
from conftest import ROOT, require_module, require_tool, run

from isrgen.arch.aarch64.codegen import build_program
from isrgen.arch.aarch64.cview import render_c_header
from isrgen.arch.aarch64.options import Use
from isrgen.arch.aarch64.prove import prove_program
from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.arch.aarch64.toolchain import GNU_CC
from isrgen.diagnostics import SpecError

EXAMPLES = ROOT / "specs" / "examples"
GPR_WORDS = [(f"regs[{i}]", f"x{i}") for i in range(31)]


class Convention:
    """A kernel's frame: its C struct, its words mapped to generated fields, the sizes."""

    def __init__(self, spec: str, struct: str, words: list[tuple[str, str]], size: int, generated_size: int):
        self.spec = EXAMPLES / spec
        self.struct = struct
        self.words = words
        self.size = size
        self.generated_size = generated_size

    def offsets(self) -> dict[str, int]:
        return {field: 8 * i for i, (_, field) in enumerate(self.words) if field}


CONVENTIONS = {
    # arch/arm64/include/asm/ptrace.h before v5.x grew sdei_ttbr1 (the existing example)
    "linux": Convention(
        "aarch64_linux_pt_regs.yaml",
        "struct kernel_pt_regs { uint64_t regs[31]; uint64_t sp; uint64_t pc; uint64_t pstate; uint64_t orig_x0;"
        " int32_t syscallno; uint32_t unused2; uint64_t stackframe[2]; };",
        [*GPR_WORDS, ("sp", "sp"), ("pc", "pc"), ("pstate", "pstate"), ("orig_x0", "orig_x0"),
         ("syscallno", "syscallno"), ("stackframe[0]", "stackframe"), ("stackframe[1]", "")],
        304, 304),
    # arch/arm64/include/asm/ptrace.h, v5.10
    "linux_v5": Convention(
        "aarch64_linux_v5_pt_regs.yaml",
        "struct kernel_pt_regs { uint64_t regs[31]; uint64_t sp; uint64_t pc; uint64_t pstate; uint64_t orig_x0;"
        " int32_t syscallno; uint32_t unused2; uint64_t sdei_ttbr1; uint64_t pmr_save; uint64_t stackframe[2];"
        " uint64_t lockdep_hardirqs; uint64_t exit_rcu; };",
        [*GPR_WORDS, ("sp", "sp"), ("pc", "pc"), ("pstate", "pstate"), ("orig_x0", "orig_x0"),
         ("syscallno", "syscallno"), ("sdei_ttbr1", "sdei_ttbr1"), ("pmr_save", "pmr_save"),
         ("stackframe[0]", "stackframe"), ("stackframe[1]", ""), ("lockdep_hardirqs", "lockdep_hardirqs"),
         ("exit_rcu", "exit_rcu")],
        336, 336),
    # Zircon kernel/arch/arm64/include/arch/arm64/iframe.h
    "zircon": Convention(
        "aarch64_zircon_iframe.yaml",
        "struct kernel_iframe { uint64_t r[30]; uint64_t lr; uint64_t usp; uint64_t elr; uint64_t spsr;"
        " uint64_t mdscr; uint64_t pad2[1]; };",
        [*[(f"r[{i}]", f"x{i}") for i in range(30)], ("lr", "lr"), ("usp", "usp"), ("elr", "elr"), ("spsr", "spsr"),
         ("mdscr", "mdscr"), ("pad2[0]", "pad2")],
        288, 288),
    # rust-raspberrypi-OS-tutorials src/_arch/aarch64/exception.rs (a #[repr(C)] struct); the
    # generated frame adds the interrupted sp and a pad after esr_el1
    "rpi": Convention(
        "aarch64_rpi_tutorials.yaml",
        "struct kernel_exception_context { uint64_t gpr[30]; uint64_t lr; uint64_t elr_el1; uint64_t spsr_el1;"
        " uint64_t esr_el1; };",
        [*[(f"gpr[{i}]", f"x{i}") for i in range(30)], ("lr", "lr"), ("elr_el1", "elr_el1"),
         ("spsr_el1", "spsr_el1"), ("esr_el1", "esr_el1")],
        16 * 17, 16 * 18),
    "per_slot": Convention(
        "aarch64_per_slot_handlers.yaml",
        "struct kernel_regs { uint64_t regs[31]; uint64_t sp; uint64_t elr; uint64_t spsr; uint64_t esr;"
        " uint64_t far; };",
        [*GPR_WORDS, ("sp", "sp"), ("elr", "elr"), ("spsr", "spsr"), ("esr", "esr"), ("far", "far")],
        16 * 18, 16 * 18),
    "hobby": Convention(
        "aarch64_hobby_sp_el0.yaml",
        "struct kernel_trap_frame { uint64_t x[31]; uint64_t sp_el0; uint64_t elr_el1; uint64_t spsr_el1; };",
        [*[(f"x[{i}]", f"x{i}") for i in range(31)], ("sp_el0", "sp_el0"), ("elr_el1", "elr_el1"),
         ("spsr_el1", "spsr_el1")],
        16 * 17, 16 * 17),
    # seL4 include/arch/arm/arch/64/mode/machine/registerset.h: registers[n_contextRegisters]
    "sel4": Convention(
        "aarch64_sel4_user_context.yaml",
        "struct kernel_user_context { uint64_t registers[37]; };",
        [*[(f"registers[{i}]", f"x{i}") for i in range(31)], ("registers[31]", "sp_el0"),
         ("registers[32]", "elr_el1"), ("registers[33]", "spsr_el1"), ("registers[34]", "fault_ip"),
         ("registers[35]", "tpidr_el0"), ("registers[36]", "tpidrro_el0")],
        37 * 8, 38 * 8),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
def test_kernel_struct_matches_the_generated_header(name: str, tmp_path: Path) -> None:
    require_tool(*TOOLS)
    require_module("unicorn")
    conv = CONVENTIONS[name]
    spec = load_aarch64_spec(conv.spec.read_text(), str(conv.spec))
    gen = f"struct {spec.frame.struct_name}"
    kernel = conv.struct.split("{")[0].strip()
    (tmp_path / "isr.h").write_text(render_c_header(spec))
    lines = ['#include "isr.h"', conv.struct]
    for designator, field in conv.words:
        if field:
            lines.append(f'_Static_assert(offsetof({kernel}, {designator}) == offsetof({gen}, {field}), "{field}");')
    lines.append(f'_Static_assert(sizeof({kernel}) == {conv.size}, "the kernel struct");')
    lines.append(f'_Static_assert(sizeof({gen}) == {conv.generated_size}, "the generated struct");')
    (tmp_path / "conv.c").write_text("\n".join(lines) + "\n")
    run([GNU_CC, *C_FLAGS, "-fsyntax-only", str(tmp_path / "conv.c")])
    # the check can fail: a word out of place does not compile
    broken = (tmp_path / "conv.c").read_text().replace(f"== {conv.size}, ", f"== {conv.size + 8}, ")
    (tmp_path / "broken.c").write_text(broken)
    assert run([GNU_CC, *C_FLAGS, "-fsyntax-only", str(tmp_path / "broken.c")], check=False).returncode != 0
    check_every_tool(spec, conv.offsets(), conv.generated_size, tmp_path, seed=3)


def test_each_vector_calls_its_own_function() -> None:
    path = EXAMPLES / "aarch64_per_slot_handlers.yaml"
    spec = load_aarch64_spec(path.read_text(), str(path))
    names = {0: "current_el_sp0_sync", 3: "current_el_sp0_serror", 4: "current_el_spx_sync", 9: "lower_el_aarch64_irq",
             12: "lower_el_aarch32_sync", 15: "lower_el_aarch32_serror"}  # fmt: skip
    for n, name in names.items():
        assert spec.routes[n].handler.symbol == name
    assert len({r.handler.symbol for r in spec.routes}) == 16
    # the AArch64 ones take (frame, esr) from `handler`; the AArch32 ones (frame, kind) from bad_mode
    assert [a.value for a in spec.routes[9].handler.args] == ["frame", "esr"]
    assert [a.value for a in spec.routes[12].handler.args] == ["frame", "kind"]
    assert all(r.use is Use.BAD_MODE for r in spec.routes[12:])


def test_sel4_reserved_words_are_untouched_and_the_proof_sees_a_write() -> None:
    require_tool(*TOOLS)
    require_module("unicorn")
    text = (EXAMPLES / "aarch64_sel4_user_context.yaml").read_text()
    spec = load_aarch64_spec(text, "sel4.yaml")
    assert prove_program(spec, build_program(spec), seed=5, rounds=1).ok
    # glue that zeroes the reserved words (as if they were pads) is caught
    as_pads = load_aarch64_spec(text.replace("holds: reserved", "holds: pad"), "sel4.yaml")
    report = prove_program(spec, build_program(as_pads), seed=5, rounds=1)
    assert not report.ok
    assert any("reserved: untouched" in str(f) and "fault_ip" in str(f) for f in report.findings)


def test_a_slot_with_its_own_symbol_needs_no_declared_handler_for_its_use() -> None:
    """use: kernel_handler with a symbol of its own: the spec need not declare a kernel_handler."""
    text = (EXAMPLES / "aarch64_per_slot_handlers.yaml").read_text()
    text = text.replace(
        "{slot: el1h_sync, symbol: current_el_spx_sync}",
        "{slot: el1h_sync, use: kernel_handler, symbol: current_el_spx_sync, returns: noreturn}",
    )
    spec = load_aarch64_spec(text, "per_slot.yaml")
    route = spec.routes[4]
    assert (route.use, route.handler.symbol, route.handler.returns.value) == (
        Use.KERNEL_HANDLER,
        "current_el_spx_sync",
        "noreturn",
    )
    # without the symbol, the missing kernel_handler is an error at the slot's use
    bad = text.replace("use: kernel_handler, symbol: current_el_spx_sync, returns: noreturn", "use: kernel_handler")
    with pytest.raises(SpecError, match="declares no kernel_handler"):
        load_aarch64_spec(bad, "per_slot.yaml")
