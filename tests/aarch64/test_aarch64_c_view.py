"""The generated C header against structs written by hand from each convention
(the example kernel's frame, Linux's pt_regs, Zircon's iframe_t, a teaching kernel's
trapframe, a per-thread save block), compiled with aarch64-linux-gnu-gcc -Werror."""

from __future__ import annotations

from pathlib import Path

import pytest
from a64_helpers import KERNEL_SPEC
from conftest import ROOT, require_tool, run

from isrgen.arch.aarch64.cview import c_view, render_c_header
from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.arch.aarch64.toolchain import GNU_CC

EXAMPLES = ROOT / "specs" / "examples"
GPR = [(f"x{i}", f"x[{i}]") for i in range(31)]
QS = [(f"q{i}", f"q[{i}]") for i in range(32)]

# (spec, hand-written struct, [(generated field, hand-written member designator)], sizeof)
CONVENTIONS = {
    "example kernel": (
        KERNEL_SPEC,
        """struct hand { uint64_t x[31]; uint64_t sp, elr, spsr, esr, far, kind, pad;
                         uint64_t q[32][2]; uint64_t fpcr, fpsr; };""",
        [*GPR, ("sp", "sp"), ("elr", "elr"), ("spsr", "spsr"), ("esr", "esr"), ("far", "far"), ("kind", "kind"),
         ("pad", "pad"), *QS, ("fpcr", "fpcr"), ("fpsr", "fpsr")],
        832,
    ),
    "linux pt_regs": (
        EXAMPLES / "aarch64_linux_pt_regs.yaml",
        """struct hand { uint64_t regs[31]; uint64_t sp; uint64_t pc; uint64_t pstate; uint64_t orig_x0;
                         int32_t syscallno; uint32_t unused2; uint64_t stackframe[2]; };""",
        [*[(f"x{i}", f"regs[{i}]") for i in range(31)], ("sp", "sp"), ("pc", "pc"), ("pstate", "pstate"),
         ("orig_x0", "orig_x0"), ("syscallno", "syscallno"), ("stackframe", "stackframe")],
        304,
    ),
    "zircon iframe_t": (
        EXAMPLES / "aarch64_zircon_iframe.yaml",
        """struct hand { uint64_t r[30]; uint64_t lr; uint64_t usp; uint64_t elr; uint64_t spsr;
                         uint64_t mdscr; uint64_t pad2[1]; };""",
        [*[(f"x{i}", f"r[{i}]") for i in range(30)], ("lr", "lr"), ("usp", "usp"), ("elr", "elr"),
         ("spsr", "spsr"), ("mdscr", "mdscr"), ("pad2", "pad2")],
        288,
    ),
    "teaching trapframe": (
        EXAMPLES / "aarch64_teaching_trapframe.yaml",
        "struct hand { uint64_t x[31]; uint64_t elr; uint64_t spsr; uint64_t sp; };",
        [*GPR, ("elr", "elr"), ("spsr", "spsr"), ("sp", "sp")],
        272,
    ),
    "per-thread block": (
        EXAMPLES / "aarch64_tpidr_block.yaml",
        """struct hand { uint64_t x[31]; uint64_t sp, elr, spsr, esr, far, kind, pad;
                         uint64_t q[32][2]; uint64_t fpcr, fpsr; };""",
        [*GPR, ("sp", "sp"), ("elr", "elr"), ("spsr", "spsr"), ("esr", "esr"), ("far", "far"), ("kind", "kind"),
         ("pad", "pad"), *QS, ("fpcr", "fpcr"), ("fpsr", "fpsr")],
        832,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
def test_generated_struct_matches_the_convention(name: str, tmp_path: Path) -> None:
    require_tool(GNU_CC)
    spec_path, hand, pairs, size = CONVENTIONS[name]
    spec = load_aarch64_spec(spec_path.read_text(), str(spec_path))
    view = c_view(spec)
    assert {f.name for f in view.fields} == {g for g, _ in pairs}
    (tmp_path / "isr.h").write_text(render_c_header(spec))
    asserts = [
        f'_Static_assert(sizeof(struct {view.struct}) == {size}, "size");',
        f'_Static_assert(sizeof(struct hand) == {size}, "hand size");',
    ]
    for gen, member in pairs:
        asserts.append(
            f'_Static_assert(offsetof(struct {view.struct}, {gen}) == offsetof(struct hand, {member}), "{gen}");'
        )
    src = tmp_path / "check.c"
    src.write_text(
        '#include <stddef.h>\n#include <stdint.h>\n#include "isr.h"\n'
        + hand
        + "\n"
        + "\n".join(asserts)
        + f"\nvoid install(void) {{ {view.install}(); }}\n"
    )
    run(
        [
            GNU_CC,
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-ffreestanding",
            "-mgeneral-regs-only",
            "-c",
            str(src),
            "-o",
            str(tmp_path / "check.o"),
        ]
    )


def test_a_wrong_offset_fails_to_compile(tmp_path: Path) -> None:
    """The check above can fail: one member moved breaks the build."""
    require_tool(GNU_CC)
    spec = load_aarch64_spec(KERNEL_SPEC.read_text(), str(KERNEL_SPEC))
    (tmp_path / "isr.h").write_text(render_c_header(spec))
    src = tmp_path / "check.c"
    src.write_text('#include "isr.h"\n_Static_assert(offsetof(struct isr_frame, elr) == 248, "elr");\n')
    proc = run(
        [GNU_CC, "-std=c11", "-Werror", "-ffreestanding", "-c", str(src), "-o", str(tmp_path / "c.o")], check=False
    )
    assert proc.returncode != 0 and "elr" in proc.stderr


def test_header_declares_what_the_kernel_uses(tmp_path: Path) -> None:
    spec = load_aarch64_spec(KERNEL_SPEC.read_text(), str(KERNEL_SPEC))
    text = render_c_header(spec)
    for decl in (
        "struct isr_frame *isr_dispatch(struct isr_frame *frame);",
        "void isr_kernel_fault(struct isr_frame *frame);",
        "void isr_syscall(struct isr_frame *frame);",
        "__attribute__((noreturn)) void isr_bad_mode(struct isr_frame *frame);",
        "__attribute__((noreturn)) void isr_return(struct isr_frame *frame);",
        "__attribute__((noreturn)) void isr_halt(void);",
        "static inline void isr_install_vbar(void)",
        "msr vbar_el1, %0\\n\\tisb",
    ):
        assert decl in text, decl
