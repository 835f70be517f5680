"""gdb-multiarch against the riscv64 example kernel on QEMU: backtraces through the generated
entry's CFI into the interrupted code, and the generated gdb script on a real target.

examples/kernel-riscv64 (scratch variant) is built with ``GDB=1`` (the glue's CFI kept as
``.debug_frame``; the linker script discards ``.eh_frame``) and booted halted with QEMU's
gdb stub on a free port.  One ``gdb-multiarch -batch`` session breaks in the C handler
``trap_handler`` for the kernel's first probe, ``probe_load_fault`` (start.S): s2-s11 set
to 0x2222...2222 - 0xbbbb...bbbb, then a load from address 8, which nothing maps (a load
page fault, scause 13, stval 8: priv 4.1.9 table 4.2).  A control build without ``GDB=1``
shows the backtrace assertion can fail.
"""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, isrgen_cmd, make_kernel, require_tool, run

KERNEL_DIR = ROOT / "examples" / "kernel-riscv64"
QEMU = ["qemu-system-riscv64", "-M", "virt", "-bios", "none", "-accel", "tcg", "-m", "128M",
        "-display", "none", "-monitor", "none"]  # fmt: skip
#: probe_values in start.S: s2 = 0x2222222222222222 ... s11 = 0xbbbbbbbbbbbbbbbb
PROBE_VALUES = {f"s{n}": int(f"{n:x}" * 16, 16) for n in range(2, 10)} | {
    "s10": 0xAAAAAAAAAAAAAAAA, "s11": 0xBBBBBBBBBBBBBBBB}  # fmt: skip
#: the address probe_load_fault loads from (start.S)
FAULT_ADDRESS = 0x8
SESSION = [
    "break trap_handler if scause == 13", "continue",
    "echo ==BT==\\n", "bt 6",
    "echo ==FRAME==\\n", "isr-frame frame",
    "echo ==END==\\n",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _session(work: Path, *make_args: str) -> str:
    """Build the kernel into ``work``, boot it halted and run SESSION in gdb-multiarch."""
    require_tool("make", "riscv64-linux-gnu-gcc", "riscv64-linux-gnu-ld", "qemu-system-riscv64", "gdb-multiarch")
    make_kernel(KERNEL_DIR, work, "kernel", *make_args, variant="scratch")
    run(isrgen_cmd("build", str(KERNEL_DIR / "kernel.yaml"), "-o", str(work / "gdb"), "-b", "gdb"))
    kernel, script = work / "kernel.elf", work / "gdb" / "isr-gdb.py"
    qemu_err = ""
    for _attempt in range(3):  # another process may take the free port before QEMU binds it
        port = _free_port()
        qemu = subprocess.Popen(
            [*QEMU, "-serial", f"file:{work / 'serial.log'}", "-kernel", str(kernel), "-S",
             "-gdb", f"tcp:127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            setup = ["set pagination off", "set confirm off", "set tcp connect-timeout 20", f"file {kernel}",
                     f"source {script}", f"target remote 127.0.0.1:{port}"]  # fmt: skip
            args = ["gdb-multiarch", "-nx", "-batch"]
            for cmd in [*setup, *SESSION, "kill"]:
                args += ["-ex", cmd]
            proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
        finally:
            qemu.kill()
            _, qemu_err = qemu.communicate(timeout=30)
        if "Address already in use" not in qemu_err:
            return proc.stdout + proc.stderr
    raise AssertionError(f"QEMU could not bind a gdb port: {qemu_err}")


def _section(output: str, name: str) -> str:
    marker = f"=={name}==\n"
    assert marker in output, f"marker {name} missing:\n{output}"
    return output.split(marker, 1)[1].split("\n==", 1)[0]


def _functions(output: str) -> list[str]:
    """The function of each ``bt`` line (``<signal>`` for the trap frame)."""
    names = []
    for line in _section(output, "BT").splitlines():
        if not re.match(r"#\d+ ", line):
            continue
        if "<signal handler called>" in line:
            names.append("<signal>")
            continue
        match = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(", line)
        assert match, line
        names.append(match.group(1))
    return names


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _session(tmp_path_factory.mktemp("rv-gdb"), "GDB=1")


def test_backtrace_crosses_the_trap_frame_into_the_interrupted_function(session: str) -> None:
    bt = _functions(session)
    # the C handler <- the generated entry (.cfi_signal_frame, sepc as the return column)
    # <- the function that faulted <- its C caller
    assert bt[:3] == ["trap_handler", "<signal>", "probe_load_fault"], session
    assert "kernel_fault_checks" in bt, session


def test_frame_command_prints_registers_by_abi_name_and_decodes_scause(session: str) -> None:
    rows = dict(re.findall(r"^(\w+)\s+(0x[0-9a-f]+.*)$", _section(session, "FRAME"), re.M))
    for reg, value in PROBE_VALUES.items():
        assert int(rows[reg].split()[0], 16) == value, (reg, session)
    assert int(rows["stval"].split()[0], 16) == FAULT_ADDRESS
    assert int(rows["scause"].split()[0], 16) == 13 and "load page fault" in rows["scause"]
    assert "SPP=S" in rows["sstatus"]
    # the frame the script reads is the one the CFI unwound through: the same trapped pc
    frame2 = re.search(r"#2\s+(0x[0-9a-f]+) in probe_load_fault", session)
    assert frame2 and int(frame2.group(1), 16) == int(rows["sepc"].split()[0], 16), session


def test_without_the_cfi_the_backtrace_stops_at_the_handler(tmp_path: Path) -> None:
    """The control: the same kernel with the glue's CFI discarded (with .eh_frame)."""
    bt = _functions(_session(tmp_path))
    assert "probe_load_fault" not in bt and bt[0] == "trap_handler", bt
