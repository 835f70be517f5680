"""syscall.marker: the frame's vector slot for a system call, pushed as a sign-extended
32-bit immediate (SDM Vol. 2B PUSH), so -1 and 0xFFFFFFFFFFFFFFFF name the same value."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import isrgen_cmd, loads_x86, run

import isrgen

SPEC = """\
isrgen: 1
arch: x86_64
handler: {{symbol: isr_dispatch}}
entry: {{swapgs: true}}
syscall:
  handler: isr_syscall
  marker: {marker}
vectors:
  - {{range: [0, 31]}}
"""


def _outputs(marker: str) -> list[str]:
    spec = loads_x86(SPEC.format(marker=marker), "m.yaml")
    # the first line names the source and its sha256, which differ with the spelling
    return [o.content.split("\n", 1)[1] for o in isrgen.render_outputs(spec, ["gas", "nasm", "c", "rust", "gdb"])]


def test_all_ones_spellings_give_identical_output() -> None:
    minus_one = _outputs("-1")
    assert _outputs("0xFFFFFFFFFFFFFFFF") == minus_one
    assert _outputs("18446744073709551615") == minus_one
    # the entry pushes the marker as imm32 and the exit compares with it: push -1 / cmp ..., -1
    gas = minus_one[0]
    assert "    push -1\n" in gas
    assert _outputs("0xFFFFFFFFFFFFFF80") == _outputs("-128")


def test_model_holds_the_signed_value() -> None:
    spec = loads_x86(SPEC.format(marker="0xFFFFFFFF80000000"), "m.yaml")
    assert spec.syscall is not None and spec.syscall.marker == -(2**31)


@pytest.mark.parametrize("marker", ["0xFFFFFFFF", "0x80000000", "0xFFFFFFFF7FFFFFFF", "-0x80000001"])
def test_a_marker_no_imm32_gives_is_rejected_at_its_key(tmp_path: Path, marker: str) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(SPEC.format(marker=marker))
    out = tmp_path / "out"
    proc = run(isrgen_cmd("build", str(spec), "-o", str(out)), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert not out.exists()
    line = next(ln for ln in proc.stderr.splitlines() if "marker" in ln)
    assert line.startswith(f"{spec}:7:11: error: "), proc.stderr
    assert "write -1" in line or "minimum" in line
