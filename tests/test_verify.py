"""``isrgen verify`` on linked kernels: a passing kernel and each failure it must catch.

The kernels are tests/minikernel linked around the generated glue with gcc and
ld; the failures are made the way they happen in real kernels (e.g. an
earlier ``.section .rodata`` left active before hand-written stubs).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, isrgen_cmd, load_x86, loads_x86, run
from elftools.elf.elffile import ELFFile
from minikernel_build import KERNEL_SRC, build_kernel

import isrgen
from isrgen.arch.x86.codegen.base import stub_stride
from isrgen.arch.x86.model import X86Spec
from isrgen.diagnostics import UsageError
from isrgen.proof.verify import verify_kernel

EXIT_VERIFY_FAILED = 4


@pytest.fixture(scope="module")
def spec() -> X86Spec:
    return load_x86(DEFAULT_SPEC)


@pytest.fixture(scope="module")
def good_kernel(spec: X86Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kernel(spec, tmp_path_factory.mktemp("good"))


def _rodata_active_asm(text: str) -> str:
    """The generated glue stripped of its own section directives (as hand-written glue often is),
    after boot code that left ``.section .rodata`` active."""
    lines = [line for line in text.splitlines() if not re.match(r"\s*\.(pushsection \.text\.isr|popsection)", line)]
    # The table section keeps its own push/pop; drop its now unmatched closing.
    out = "\n".join(lines).replace('.pushsection .rodata.isr,"a",@progbits', '.section .rodata.isr,"a",@progbits')
    return '    .section .rodata\nboot_banner: .asciz "boot"\n' + out + "\n"


def test_verify_passes_on_good_kernel(spec: X86Spec, good_kernel: Path) -> None:
    report = verify_kernel(spec, good_kernel)
    assert report.ok, "\n".join(f.describe() for f in report.findings)
    assert any("size 176" in c for c in report.checked)  # the DWARF check ran
    proc = run(isrgen_cmd("verify", str(good_kernel), "--spec", str(DEFAULT_SPEC)))
    assert proc.stdout.startswith(f"{good_kernel}: ok")


def test_verify_catches_stubs_assembled_in_rodata(spec: X86Spec, tmp_path: Path) -> None:
    kernel = build_kernel(spec, tmp_path, edit_asm=_rodata_active_asm)
    with kernel.open("rb") as fh:  # the damage really happened: stubs linked into .rodata
        elf = ELFFile(fh)
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name("isr_stub_32")[0]  # type: ignore[union-attr]
        rodata = elf.get_section_by_name(".rodata")
        assert rodata is not None
        assert rodata["sh_addr"] <= sym["st_value"] < rodata["sh_addr"] + rodata["sh_size"]
    report = verify_kernel(spec, kernel)
    assert not report.ok
    by_symbol = {(f.symbol, f.check): f for f in report.findings}
    seg = by_symbol[("isr_stub_32", "segment")]
    assert seg.section == ".rodata" and seg.address == sym["st_value"]
    assert seg.segment is not None and "R--" in seg.segment
    assert "section flags are A," in by_symbol[("isr_stub_32", "section")].message
    assert ("isr_common", "segment") in by_symbol and ("isr_return", "segment") in by_symbol
    proc = run(isrgen_cmd("verify", str(kernel), "--spec", str(DEFAULT_SPEC)), check=False)
    assert proc.returncode == EXIT_VERIFY_FAILED
    line = next(ln for ln in proc.stderr.splitlines() if "isr_stub_32 " in ln and "[segment]" in ln)
    assert f"at {sym['st_value']:#x} in section .rodata (segment 1 PT_LOAD R--" in line
    assert "Traceback" not in proc.stderr


def test_verify_catches_writable_executable_segment(spec: X86Spec, tmp_path: Path) -> None:
    script = (KERNEL_SRC / "kernel.ld").read_text()
    script = script.replace("text PT_LOAD FLAGS(5);", "text PT_LOAD FLAGS(7);")
    kernel = build_kernel(spec, tmp_path, linker_script=script)
    findings = verify_kernel(spec, kernel).findings
    assert [f.check for f in findings] == ["wx-segment"]
    assert findings[0].segment is not None and "RWX" in findings[0].segment
    assert ".text" in findings[0].message


def _patch_table(kernel: Path, swap: tuple[int, int]) -> None:
    data = bytearray(kernel.read_bytes())
    with kernel.open("rb") as fh:
        elf = ELFFile(fh)
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name("isr_table")[0]  # type: ignore[union-attr]
        sec = elf.get_section(sym["st_shndx"])
        base = sec["sh_offset"] + sym["st_value"] - sec["sh_addr"]
    a, b = (base + 8 * n for n in swap)
    data[a : a + 8], data[b : b + 8] = data[b : b + 8], data[a : a + 8]
    kernel.write_bytes(bytes(data))


def test_verify_catches_wrong_table_entry(spec: X86Spec, tmp_path: Path) -> None:
    kernel = build_kernel(spec, tmp_path)
    assert verify_kernel(spec, kernel).ok
    _patch_table(kernel, (3, 4))
    findings = verify_kernel(spec, kernel).findings
    assert [(f.check, f.symbol) for f in findings] == [("table", "isr_table[3]"), ("table", "isr_table[4]")]
    assert "(isr_stub_4), expected isr_stub_3" in findings[0].message
    assert findings[0].section == ".rodata"


def test_verify_catches_stub_stride(spec: X86Spec, tmp_path: Path) -> None:
    def gap(text: str) -> str:
        end = "    .size isr_stub_7, . - isr_stub_7\n"
        return text.replace(end, end + "    .skip 32\n")

    findings = verify_kernel(spec, build_kernel(spec, tmp_path, edit_asm=gap)).findings
    assert [(f.check, f.symbol) for f in findings] == [("stride", "isr_stub_8")]
    stride = stub_stride(spec) or spec.sections.stub_align
    assert f"at {stride + 32:#x} bytes, expected stride {stride:#x}" in findings[0].message


def test_verify_catches_frame_struct_mismatch(good_kernel: Path) -> None:
    text = DEFAULT_SPEC.read_text().replace("rbp, rdi, rsi,", "rbp, rsi, rdi,")
    assert text != DEFAULT_SPEC.read_text()
    other = loads_x86(text, "swapped.yaml")
    findings = verify_kernel(other, good_kernel).findings
    assert sorted((f.check, f.message.split(" is at")[0]) for f in findings) == [
        ("frame-offset", "struct isr_frame member rdi"),
        ("frame-offset", "struct isr_frame member rsi"),
    ]
    padded = loads_x86(DEFAULT_SPEC.read_text().replace("rbx, rax,", "rbx, rax, pad,"), "padded.yaml")
    checks = {f.check for f in verify_kernel(padded, good_kernel).findings}
    assert "frame-size" in checks


def test_verify_reports_missing_symbols(good_kernel: Path) -> None:
    text = DEFAULT_SPEC.read_text().replace('stub: "{prefix}stub_{n}"', 'stub: "{prefix}vec_{n}"')
    findings = verify_kernel(loads_x86(text, "renamed.yaml"), good_kernel).findings
    missing = {f.symbol for f in findings if f.check == "missing-symbol"}
    assert missing == {f"isr_vec_{n}" for n in range(256)}


def test_verify_usage_errors(tmp_path: Path, spec: X86Spec) -> None:
    not_elf = tmp_path / "kernel.elf"
    not_elf.write_text("hello")
    with pytest.raises(UsageError, match="not an ELF file"):
        verify_kernel(spec, not_elf)
    with pytest.raises(UsageError, match="cannot read kernel"):
        verify_kernel(spec, tmp_path / "missing.elf")
    proc = run(isrgen_cmd("verify", str(not_elf), "--spec", str(DEFAULT_SPEC)), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_verify_asks_for_a_linked_kernel_not_an_object(tmp_path: Path, spec: X86Spec) -> None:
    from conftest import require_tool

    require_tool("as")
    (source,) = isrgen.build(spec, tmp_path, ["gas"])
    obj = tmp_path / "isr.o"
    run(["as", "--64", "-o", str(obj), str(source)])
    with pytest.raises(UsageError, match=r"a relocatable object \(ET_REL\), not a linked kernel"):
        verify_kernel(spec, obj)


@pytest.mark.parametrize("cut", [100, 3000, -100])
def test_verify_a_truncated_kernel_is_a_usage_error(good_kernel: Path, tmp_path: Path, spec: X86Spec, cut: int) -> None:
    data = good_kernel.read_bytes()
    broken = tmp_path / "broken.elf"
    broken.write_bytes(data[:cut])
    with pytest.raises(UsageError, match=r"not a readable ELF file|not an ELF file"):
        verify_kernel(spec, broken)


def test_verify_checks_the_architecture_both_ways(good_kernel: Path) -> None:
    from conftest import SPECS

    with pytest.raises(UsageError, match=r"a 64-bit EM_X86_64 ELF file, the spec is for i386 \(32-bit EM_386\)"):
        verify_kernel(load_x86(SPECS / "i386.yaml"), good_kernel)
