"""isrgen's riscv64 verify on linked kernels: passes on good images, names what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_tool
from riscv64_tools import SPECS, assembly, load

from isrgen.arch.riscv64.options import Riscv64Options
from isrgen.arch.riscv64.prove import ASFLAGS, harness_source
from isrgen.arch.riscv64.resolve import load_riscv64_spec
from isrgen.arch.riscv64.verify import VerifyError, jal_target, verify_elf
from isrgen.proof.toolchain import run_tool


def _link(options: Riscv64Options, glue: str, tmp_path: Path) -> bytes:
    (tmp_path / "glue.S").write_text(glue)
    (tmp_path / "harness.S").write_text(harness_source(options))
    for name in ("glue", "harness"):
        run_tool([*ASFLAGS, "-o", tmp_path / f"{name}.o", tmp_path / f"{name}.S"])
    run_tool(
        [
            "riscv64-linux-gnu-ld",
            "-static",
            "-nostdlib",
            "-e",
            "_start",
            "-Ttext=0x80000000",
            "-o",
            tmp_path / "k.elf",
            tmp_path / "glue.o",
            tmp_path / "harness.o",
        ]
    )
    return (tmp_path / "k.elf").read_bytes()


VECTORED = SPECS[0].read_text().replace("  mode: direct ", "  mode: vectored\n  interrupts: {5: timer_entry}\n  #")


def test_jal_decoding() -> None:
    # jal x0, +8 = 0x0080006f; jal x0, -4 = 0xffdff06f (unprivileged spec 2.5, J-type)
    assert jal_target(0x0080006F, 0x1000) == 0x1008
    assert jal_target(0xFFDFF06F, 0x1000) == 0x0FFC
    assert jal_target(0x00000013, 0x1000) is None


@pytest.mark.parametrize(
    "text", [p.read_text() for p in SPECS] + [VECTORED], ids=[p.stem for p in SPECS] + ["vectored"]
)
def test_good_images_verify(text: str, tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    options = load_riscv64_spec(text, "spec.yaml")
    assert verify_elf(options, _link(options, assembly(options), tmp_path))


def test_misaligned_entry_is_reported(tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    options = load(SPECS[0])
    glue = assembly(options).replace("    .balign 4\n", "    .balign 4\n    .option rvc\n    c.nop\n", 1)
    with pytest.raises(VerifyError, match=r"trap_entry: at 0x[0-9a-f]+, not 4-byte aligned"):
        verify_elf(options, _link(options, glue, tmp_path))


def test_wrong_vector_slot_is_reported(tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    options = load_riscv64_spec(VECTORED, "v.yaml")
    glue = assembly(options).replace("    j timer_entry\n", "    j trap_entry\n")
    with pytest.raises(VerifyError, match=r"slot 5 .* does not jump to timer_entry"):
        verify_elf(options, _link(options, glue, tmp_path))


def test_glue_in_a_data_section_is_reported(tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    options = load(SPECS[0])
    glue = assembly(options).replace('.text.trap, "ax",@progbits', '.data.trap, "aw",@progbits')
    with pytest.raises(VerifyError, match="not allocated and executable"):
        verify_elf(options, _link(options, glue, tmp_path))


def test_vector_table_outside_the_trampoline_page_is_reported(tmp_path: Path) -> None:
    """A trampoline's vector table moved to another section: its slots still reach the entry
    after the link, but not at the alias, where only the trampoline page is mapped."""
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    options = load(next(s for s in SPECS if "switch_vectored" in s.name))
    glue = assembly(options)
    start, end = "    .balign 4\n    .globl uservec_table\n", "    .size uservec_table, . - uservec_table\n"
    assert start in glue and end in glue
    glue = glue.replace(start, '    .pushsection .text.elsewhere, "ax",@progbits\n' + start)
    glue = glue.replace(end, end + "    .popsection\n")
    with pytest.raises(VerifyError, match=r"uservec_table: outside the trampoline page"):
        verify_elf(options, _link(options, glue, tmp_path))
