"""gdb on the example kernel: backtraces through the generated CFI, and the generated script.

examples/kernel is built with ``make GDB=1`` (the GAS glue's CFI kept as
``.debug_frame``; the kernel's linker script discards ``.eh_frame``), booted
halted in QEMU (TCG) with its gdb stub on 127.0.0.1, and one ``gdb --batch``
session follows the kernel's own test sequence, breaking in the handlers:

- a ring-0 #PF in ``fault_pf_write`` (the exception entry's CS-based privilege
  split into ``isr_kernel_fault``): ``bt`` crosses the interrupt frame into the
  faulting function and its C callers; ``isr-frame`` prints the frame with the
  page-fault error code decoded; ``isr-restore`` loads the interrupted registers
  (``bt`` from there), ``isr-unrestore`` puts the handler's back;
- a #DF on IST 1 (paranoid entry, swapgs decided from MSR_GS_BASE) and a ring-3
  #BP (swapgs entry): ``bt`` reaches ``fault_overflow`` / ``u_int3``;
- the paths whose CFI ends the unwind on purpose: the IRQ entries (fxsave area:
  ``and rsp, -16`` below the frame) stop cleanly at the interrupt frame, and the
  SYSCALL entry (stack switch through GS) has no CFI at all.  There
  ``isr-restore`` is the way into the interrupted code, which the test shows.

A control build without ``GDB=1`` (CFI discarded with ``.eh_frame``) shows the
backtrace assertion can fail.
"""

from __future__ import annotations

import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, isrgen_cmd, make_vars, require_tool, run

KERNEL_DIR = ROOT / "examples" / "kernel"
SPEC = KERNEL_DIR / "kernel.yaml"
#: the address fault_pf_write (boot.S) writes to: not mapped
PF_ADDRESS = 0x40000000
#: examples/kernel/Makefile's machine and CPU (FSGSBASE and RDTSCP for the paranoid entries)
QEMU_FLAGS = ["-M", "q35", "-cpu", "qemu64,+fsgsbase,+rdtscp", "-accel", "tcg", "-m", "64M", "-display", "none",
              "-no-reboot", "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]  # fmt: skip


@dataclass(frozen=True)
class Build:
    kernel: Path
    script: Path


def _build(work: Path, *make_args: str) -> Build:
    """The GAS variant of examples/kernel built into ``work``, and the generated gdb script."""
    require_tool("make", "gcc", "ld", "qemu-system-x86_64", "gdb")
    run(["make", "-s", "-C", str(KERNEL_DIR), *make_vars(), "VARIANT=gas", f"BUILD={work}", *make_args, "kernel"])
    run(isrgen_cmd("build", str(SPEC), "-o", str(work / "gdb"), "-b", "gdb"))
    return Build(work / "kernel.elf", work / "gdb" / "isr-gdb.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gdb_session(build: Build, commands: list[str]) -> str:
    """Boot the kernel halted under QEMU's gdb stub and run ``commands`` in ``gdb --batch``; its output."""
    for _attempt in range(3):  # another process may take the free port before QEMU binds it
        port = _free_port()
        qemu = subprocess.Popen(
            ["qemu-system-x86_64", *QEMU_FLAGS, "-kernel", str(build.kernel),
             "-serial", f"file:{build.kernel.parent / 'serial.log'}", "-S", "-gdb", f"tcp:127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            setup = ["set pagination off", "set confirm off", "set tcp connect-timeout 20", f"file {build.kernel}",
                     f"source {build.script}", f"target remote 127.0.0.1:{port}"]  # fmt: skip
            args = ["gdb", "-nx", "--batch"]
            for cmd in [*setup, *commands, "kill"]:
                args += ["-ex", cmd]
            proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
        finally:
            qemu.kill()
            _, qemu_err = qemu.communicate(timeout=30)
        if "Address already in use" not in qemu_err:
            return proc.stdout + proc.stderr
    raise AssertionError(f"QEMU could not bind a gdb port: {qemu_err}")


def _section(output: str, name: str) -> str:
    """What gdb printed after ``echo ==name==`` up to the next marker."""
    marker = f"=={name}==\n"
    assert marker in output, f"marker {name} missing:\n{output}"
    return output.split(marker, 1)[1].split("\n==", 1)[0]


def _backtrace(output: str, name: str) -> list[str]:
    """The ``#N`` frame lines of the backtrace printed in section ``name``."""
    return [ln for ln in _section(output, name).splitlines() if re.match(r"#\d+ ", ln)]


def _frame_fields(text: str) -> dict[str, str]:
    """``isr-frame`` output: field name -> its value and note."""
    return dict(re.findall(r"^\s+\+\d+\s+(\w+)\s+(0x[0-9a-f]+.*)$", text, re.M))


def _function(frame_line: str) -> str:
    """The function a ``bt`` line names (``<signal handler called>`` for the interrupt frame)."""
    if "<signal handler called>" in frame_line:
        return "<signal>"
    match = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(", frame_line)
    assert match, frame_line
    return match.group(1)


def _echo(name: str) -> str:
    return f"echo =={name}==\\n"


#: the session, in the order the kernel runs these paths (main.c kmain)
SESSION = [
    # ring-0 page fault: fault_pf_write writes to an unmapped address (error code 0x2)
    "break isr_kernel_fault if f->vector == 14 && f->error_code == 2", "continue",
    _echo("PF-BT"), "bt",
    _echo("PF-FRAME"), "isr-frame f",
    _echo("PF-RESTORE"), "isr-restore f",
    _echo("PF-BT-RESTORED"), "bt",
    _echo("PF-REGS"), "p/x $rax", "p/x $rsp", "p/x $pc",
    _echo("PF-UNRESTORE"), "isr-unrestore",
    _echo("PF-BT-UNRESTORED"), "bt 1",
    _echo("DF"), "delete",
    # kernel stack overflow into the guard page: #DF on IST 1, paranoid entry
    "break isr_kernel_fault if f->vector == 8", "continue",
    _echo("DF-BT"), "bt 3",
    _echo("BP"), "delete",
    # int3 in ring 3 (u_int3, a DPL-3 interrupt gate): swapgs entry, isr_user_fault
    "break isr_user_fault if f->vector == 3", "continue",
    _echo("BP-BT"), "bt 3",
    _echo("SYSCALL"), "delete",
    # SYSCALL from ring 3 (first in u_sysret): the entry switches stacks through GS; no CFI
    "break isr_syscall", "continue",
    _echo("SYSCALL-BT"), "bt 3",
    _echo("SYSCALL-RESTORE"), "isr-restore f",
    _echo("SYSCALL-RESTORED"), "bt 1",
    _echo("SYSCALL-UNRESTORE"), "isr-unrestore",
    _echo("IRQ"), "delete",
    # the LAPIC timer interrupting a ring-3 task (u_regcheck): fxsave IRQ entry
    "break isr_irq if (f->cs & 3) == 3", "continue",
    _echo("IRQ-BT"), "bt 4",
    _echo("IRQ-RESTORE"), "isr-restore f",
    _echo("IRQ-RESTORED"), "bt 1",
    _echo("IRQ-UNRESTORE"), "isr-unrestore",
    _echo("END"),
]  # fmt: skip


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> str:
    build = _build(tmp_path_factory.mktemp("gdb-example-kernel"), "GDB=1")
    return _gdb_session(build, SESSION)


def test_backtrace_crosses_the_interrupt_frame_into_the_faulting_function(session: str) -> None:
    bt = [_function(ln) for ln in _backtrace(session, "PF-BT")]
    # handler <- interrupt frame (.cfi_signal_frame) <- the faulting code <- its C callers
    assert bt[:6] == ["isr_kernel_fault", "<signal>", "fault_pf_write", "kernel_fault", "expect_kernel",
                      "kernel_exceptions"], session  # fmt: skip
    assert "kmain" in bt, session
    # gdb's DWARF view of the interrupted caller: the check that ran the faulting function
    assert "id=id@entry=0x" in _backtrace(session, "PF-BT")[4] and '"kernel-pf-write"' in session


def test_frame_command_prints_the_page_fault(session: str) -> None:
    fields = _frame_fields(_section(session, "PF-FRAME"))
    assert fields["vector"].split()[1] == "page_fault"
    assert int(fields["error_code"].split()[0], 16) == 0x2
    assert "P=0 (page not present), W=1 (write), U=0 (supervisor mode)" in fields["error_code"]
    assert "<fault_pf_write" in fields["rip"]
    assert "ring 0" in fields["cs"]
    assert int(fields["rax"].split()[0], 16) == PF_ADDRESS  # fault_pf_write's register, saved by the entry
    # the frame the script reads is the one the CFI unwound through: same interrupted rip
    pc_in_bt = re.match(r"#\d+\s+(0x[0-9a-f]+) in fault_pf_write", _backtrace(session, "PF-BT")[2])
    assert pc_in_bt and int(pc_in_bt.group(1), 16) == int(fields["rip"].split()[0], 16), session


def test_restore_loads_the_interrupted_registers_and_unrestore_puts_them_back(session: str) -> None:
    fields = _frame_fields(_section(session, "PF-FRAME"))
    bt = [_function(ln) for ln in _backtrace(session, "PF-BT-RESTORED")]
    assert bt[:3] == ["fault_pf_write", "kernel_fault", "expect_kernel"], session
    regs = _section(session, "PF-REGS")
    values = [int(v, 16) for v in re.findall(r"^\$\d+ = (0x[0-9a-f]+)", regs, re.M)]
    assert values == [PF_ADDRESS, int(fields["rsp"].split()[0], 16), int(fields["rip"].split()[0], 16)], regs
    assert [_function(ln) for ln in _backtrace(session, "PF-BT-UNRESTORED")] == ["isr_kernel_fault"], session


def test_backtrace_through_the_paranoid_ist_entry_and_from_ring_3(session: str) -> None:
    df = [_function(ln) for ln in _backtrace(session, "DF-BT")]
    assert df[:3] == ["isr_kernel_fault", "<signal>", "fault_overflow"], session
    bp = [_function(ln) for ln in _backtrace(session, "BP-BT")]
    assert bp[:3] == ["isr_user_fault", "<signal>", "u_int3"], session


def test_simd_and_syscall_paths_unwind_into_the_interrupted_code(session: str) -> None:
    # IRQ entries save an fxsave area below a realigned rsp; the CFA follows r12,
    # which holds the frame across the realignment, so gdb still reaches ring 3.
    irq = [_function(ln) for ln in _backtrace(session, "IRQ-BT")]
    assert irq[:3] == ["isr_irq", "<signal>", "u_regcheck"], session
    assert [_function(ln) for ln in _backtrace(session, "IRQ-RESTORED")] == ["u_regcheck"], session
    # The SYSCALL entry builds the frame itself; its CFI describes each slot as it is
    # pushed, so the user code that executed SYSCALL appears behind the handler.
    sys_bt = [_function(ln) for ln in _backtrace(session, "SYSCALL-BT")]
    assert sys_bt[:3] == ["isr_syscall", "<signal>", "u_sysret"], session
    assert [_function(ln) for ln in _backtrace(session, "SYSCALL-RESTORED")] == ["u_sysret"], session


def test_without_the_glue_cfi_the_backtrace_stops_in_the_handler(tmp_path: Path) -> None:
    # The default build: the linker script discards .eh_frame, where GAS put the CFI.
    build = _build(tmp_path)
    out = _gdb_session(build, SESSION[:2] + [_echo("PF-BT"), "bt 8"])
    bt = [_function(ln) for ln in _backtrace(out, "PF-BT")]
    assert bt and bt[0] == "isr_kernel_fault", out
    assert "fault_pf_write" not in bt and "<signal>" not in bt, out
