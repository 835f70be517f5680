"""``make -C examples/kernel debug``: gdb starts QEMU halted under its gdb stub, with the
kernel's symbols and the generated isr-gdb.py loaded, so a user only types commands.
Scripted here with DEBUGGER_ARGS as a user would script it."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT, make_vars, require_tool, run

KERNEL_DIR = ROOT / "examples" / "kernel"

# The kernel's first exception is a ring-0 write to an unmapped page (fault_pf_write):
# vector 14 with error code 2, i.e. P=0 (not present), W/R=1 (write), U/S=0 (supervisor)
# (SDM Vol. 3A 4.7, Figure 4-12).
COMMANDS = """\
break isr_kernel_fault if f->vector == 14 && f->error_code == 2
continue
echo ==FRAME==\\n
isr-frame f
echo ==BT==\\n
bt 3
echo ==END==\\n
"""


def test_make_debug_runs_gdb_on_the_halted_kernel(tmp_path: Path) -> None:
    require_tool("make", "gcc", "ld", "qemu-system-x86_64", "gdb")
    script = tmp_path / "session.gdb"
    script.write_text(COMMANDS)
    build = tmp_path / "build"
    proc = run(
        ["make", "-s", "-C", str(KERNEL_DIR), *make_vars(), f"BUILD={build}", "debug",
         f"DEBUGGER_ARGS=-batch -x {script}"]
    )  # fmt: skip
    out = proc.stdout
    frame = out[out.index("==FRAME==") : out.index("==BT==")]
    fields = dict(re.findall(r"^\s+\+\d+\s+(\w+)\s+(0x[0-9a-f]+.*)$", frame, re.M))
    assert fields["vector"].split()[:2] == ["0x000000000000000e", "page_fault"]
    assert fields["error_code"].startswith("0x0000000000000002  P=0")
    assert "W=1" in fields["error_code"] and "U=0" in fields["error_code"]
    assert "<fault_pf_write" in fields["rip"]
    assert fields["cs"].endswith("ring 0")
    bt = [line for line in out[out.index("==BT==") : out.index("==END==")].splitlines() if line.startswith("#")]
    assert bt[0].startswith("#0  isr_kernel_fault (f=")
    assert "<signal handler called>" in bt[1]
    assert "fault_pf_write" in bt[2]
    assert (build / "gdb" / "isr-gdb.py").is_file()
