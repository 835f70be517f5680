"""verify_image on linked images: a correct one passes, each defect is reported."""

from __future__ import annotations

from pathlib import Path

from a64_helpers import kernel_spec
from conftest import require_tool, run

from isrgen.arch.aarch64.codegen import build_program
from isrgen.arch.aarch64.prove import handler_stub_source
from isrgen.arch.aarch64.syntax import render_gas
from isrgen.arch.aarch64.toolchain import GNU_AS, GNU_LD
from isrgen.arch.aarch64.verify import verify_image


def build(tmp: Path, *ld_flags: str, text: str | None = None) -> Path:
    spec = kernel_spec()
    (tmp / "isr.S").write_text(text if text is not None else render_gas(build_program(spec)))
    (tmp / "h.S").write_text(handler_stub_source(spec))
    run([GNU_AS, "-o", str(tmp / "isr.o"), str(tmp / "isr.S")])
    run([GNU_AS, "-o", str(tmp / "h.o"), str(tmp / "h.S")])
    exe = tmp / "k.elf"
    run([GNU_LD, "-static", "-nostdlib", "-Ttext=0x40080000", "-e", "isr_vectors", *ld_flags,
         "-o", str(exe), str(tmp / "isr.o"), str(tmp / "h.o")])  # fmt: skip
    return exe


def test_linked_glue_verifies(tmp_path: Path) -> None:
    require_tool(GNU_AS, GNU_LD)
    assert verify_image(build(tmp_path), kernel_spec()) == []


def test_writable_text_is_reported(tmp_path: Path) -> None:
    require_tool(GNU_AS, GNU_LD)
    # ld -N (omagic): text and data in one writable, executable segment
    problems = verify_image(build(tmp_path, "-N"), kernel_spec())
    assert any("writable and executable" in p for p in problems), problems


def test_misaligned_table_and_wrong_branch_are_reported(tmp_path: Path) -> None:
    require_tool(GNU_AS, GNU_LD)
    text = render_gas(build_program(kernel_spec()))
    text = text.replace("    .balign 2048\n", "    .balign 2048\n    .space 1024\n", 1)  # table at +0x400
    text = text.replace("    b isr_entry_el1h_irq\n", "    b isr_entry_el1h_sync\n", 1)
    problems = verify_image(build(tmp_path, text=text), kernel_spec())
    assert any("not 2048-byte aligned" in p for p in problems), problems
    assert any("slot 5 (el1h_irq) does not branch to isr_entry_el1h_irq" in p for p in problems), problems
    assert len(problems) == 2, problems
