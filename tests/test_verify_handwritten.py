"""``isrgen verify`` on a kernel whose stubs isrgen did not write.

The kernel below is hand-written assembly in the style of many hobby kernels:
``isrN:`` labels without ``.size``, packed back to back with short jumps, linked
with ld.  Its stubs have no ``st_size``, are not aligned and have no stride, and
that is fine: verify must report only what breaks interrupt delivery (a stub that
is missing, not executable, writable or empty, a table entry that points
elsewhere).  Every expected finding below follows from the assembly text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import isrgen_cmd, loads_x86, require_tool, run

import isrgen
from isrgen.proof.verify import verify_kernel

SPEC = """\
isrgen: 1
arch: x86_64
symbols:
  prefix: isr_
  stub: "isr{n}"
  table: isr_table
  entry: isr_common
  exit: isr_return
stubs:
  style: classic
handler:
  symbol: isr_dispatch
frame:
  struct: isr_frame
  layout: [r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code]
vectors:
  - {vector: 0, name: divide_error}
  - {vector: 3, name: breakpoint}
  - {vector: 8, name: double_fault}
  - {vector: 14, name: page_fault}
  - {vector: 32, name: timer}
"""

#: vectors 8 and 14 get an error code from the CPU (SDM Vol. 3A 6.13), the others push a 0
STUBS = """\
isr0:
    push $0
    push $0
    jmp isr_common
isr3:
    push $0
    push $3
    jmp isr_common
isr8:
    push $8
    jmp isr_common
isr14:
    push $14
    jmp isr_common
"""

TIMER = """\
isr32:
    push $0
    push $32
    jmp isr_common
"""

COMMON = """\
isr_common:
    add $16, %rsp
isr_return:
    iretq
isr_halt:
    hlt
    jmp isr_halt
"""

#: 256 eight-byte entries: the stub's address for vectors 0, 3, 8, 14 and 32, else 0
TABLE = """\
    .section .rodata.isr, "a", @progbits
    .balign 8
isr_table:
    .quad {v0}, 0, 0, {v3}, 0, 0, 0, 0, isr8, 0, 0, 0, 0, 0, {v14}
    .fill 17, 8, 0
    .quad isr32
    .fill 223, 8, 0
isr_gate_attrs:
    .fill 512, 1, 0
"""

GLOBALS = (
    "    .globl _start, isr0, isr3, isr8, isr14, isr32, isr_common, isr_return, isr_halt\n"
    "    .globl isr_table, isr_gate_attrs\n"
)


def _kernel(tmp_path: Path, text: str) -> Path:
    require_tool("as", "ld")
    src = tmp_path / "kernel.S"
    src.write_text(text)
    run(["as", "--64", "-o", str(tmp_path / "kernel.o"), str(src)])
    run(["ld", "-static", "-nostdlib", "-o", str(tmp_path / "kernel.elf"), str(tmp_path / "kernel.o")])
    return tmp_path / "kernel.elf"


def _source(
    *,
    timer: str = '    .section .text.isr, "ax", @progbits\n' + TIMER,
    stubs: str = STUBS,
    table: dict[str, str] | None = None,
    tail: str = "",
) -> str:
    entries = {"v0": "isr0", "v3": "isr3", "v14": "isr14", **(table or {})}
    return (
        GLOBALS
        + '    .section .text.isr, "ax", @progbits\n_start:\n    hlt\n'
        + stubs
        + timer
        + '    .section .text.isr, "ax", @progbits\n'
        + COMMON
        + tail
        + TABLE.format(**entries)
    )


@pytest.fixture(scope="module")
def spec() -> isrgen.Spec:
    return loads_x86(SPEC, "handwritten.yaml")


def _findings(spec: isrgen.Spec, kernel: Path) -> list[tuple[str, str | None]]:
    return [(f.check, f.symbol) for f in verify_kernel(spec, kernel).findings]


def test_hand_written_stubs_without_size_verify_clean(spec: isrgen.Spec, tmp_path: Path) -> None:
    kernel = _kernel(tmp_path, _source())
    report = verify_kernel(spec, kernel)
    assert report.findings == ()
    assert any("5 stubs without a symbol size" in line for line in report.checked)
    (tmp_path / "spec.yaml").write_text(SPEC)
    proc = run(isrgen_cmd("verify", "-s", str(tmp_path / "spec.yaml"), str(kernel)))
    assert proc.stdout.startswith(f"{kernel}: ok")


def test_table_entry_pointing_elsewhere(spec: isrgen.Spec, tmp_path: Path) -> None:
    kernel = _kernel(tmp_path, _source(table={"v3": "isr8"}))
    findings = verify_kernel(spec, kernel).findings
    assert [(f.check, f.symbol) for f in findings] == [("table", "isr_table[3]")]
    assert "(isr8), expected isr3" in findings[0].message


def test_missing_stub(spec: isrgen.Spec, tmp_path: Path) -> None:
    stubs = STUBS.replace("isr14:\n    push $14\n    jmp isr_common\n", "")
    text = _source(stubs=stubs, table={"v14": "0"}).replace(" isr14,", "")
    assert _findings(spec, _kernel(tmp_path, text)) == [("missing-symbol", "isr14")]


def test_stub_in_read_only_data(spec: isrgen.Spec, tmp_path: Path) -> None:
    kernel = _kernel(tmp_path, _source(timer='    .section .rodata, "a", @progbits\n' + TIMER))
    findings = verify_kernel(spec, kernel).findings
    assert [(f.check, f.symbol) for f in findings] == [("section", "isr32"), ("segment", "isr32")]
    assert findings[0].section == ".rodata" and "need ALLOC+EXECINSTR" in findings[0].message


def test_stub_in_writable_code(spec: isrgen.Spec, tmp_path: Path) -> None:
    kernel = _kernel(tmp_path, _source(timer='    .section .patchable, "awx", @progbits\n' + TIMER))
    findings = verify_kernel(spec, kernel).findings
    by_symbol = [f for f in findings if f.symbol == "isr32"]
    assert [f.check for f in by_symbol] == ["section"]
    assert "code must not be writable" in by_symbol[0].message
    # the only other finding is the segment that now maps writable code
    assert {f.check for f in findings if f.symbol != "isr32"} <= {"wx-segment"}


def test_stub_label_with_no_code_after_it(spec: isrgen.Spec, tmp_path: Path) -> None:
    # the timer stub's label is left at the very end of the code: its body was forgotten
    text = _source(timer="", tail="isr32:\n")
    findings = verify_kernel(spec, _kernel(tmp_path, text)).findings
    assert [(f.check, f.symbol) for f in findings] == [("section", "isr32"), ("segment", "isr32")]
    assert "not inside any allocated section" in findings[0].message


def test_stub_whose_size_runs_past_its_section(spec: isrgen.Spec, tmp_path: Path) -> None:
    # a wrong .size: the stub claims 64 bytes, its 6 bytes end the code section
    text = _source(timer="", tail="    .balign 16\n" + TIMER + "    .size isr32, 64\n")
    findings = verify_kernel(spec, _kernel(tmp_path, text)).findings
    assert [(f.check, f.symbol) for f in findings] == [("stub-extent", "isr32")]
    assert "stub is 64 bytes and runs past the end of section .text" in findings[0].message
