"""examples/kernel: build the example kernel with its Makefile (which regenerates the
glue with isrgen) and boot it in QEMU (TCG); every checked behaviour is one log line.

A pass needs QEMU's exit status for the success value AND the final success line:
a triple fault exits 0 and never passes. The negative build links the stubs into
a no-execute section and must fail with the #PF (error 0x11) on the first stub.
Every log line but the verdict names the CPU that printed it ("[cpu0] ok <id>: ...");
these boots use one CPU (tests/test_example_kernel_smp.py boots several).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import (
    ROOT,
    boot_kernel,
    isrgen_cmd,
    load_x86,
    make_kernel,
    require_tool,
    run,
    segment_flags,
    symbol_address,
)

from isrgen.arch.x86.model import ParanoidGsMethod, SimdPolicy
from isrgen.model.spec import ReturnModel, StubStyle

KERNEL_DIR = ROOT / "examples" / "kernel"
SUCCESS_STATUS = (0x21 << 1) | 1  # abi.h EXIT_SUCCESS_VALUE through isa-debug-exit
SUCCESS_LINE = "ALL CHECKS PASSED"

#: every check the kernel must report as "ok <id>: ..."
EXPECTED_OK = [
    "pic-masked",
    "imcr",
    "percpu-gs",
    "syscall-setup",
    "stubs-executable",
    "kernel-de",
    "kernel-db",
    "kernel-db-single-step",
    "kernel-br",
    "kernel-ud",
    "kernel-nm",
    "kernel-ts",
    "kernel-np",
    "kernel-ss",
    "kernel-gp",
    "kernel-pf-write",
    "kernel-pf-nx",
    "kernel-df-ist",
    "user-bp",
    "user-of",
    "user-db",
    "user-de",
    "user-ud",
    "user-gp",
    "user-pf",
    "syscall-int80",
    "syscall-sysret",
    "user-gs",
    "lapic-spurious-first",
    "spurious-no-eoi",
    "spurious-vector",
    "lapic-timer-order",
    "kernel-nmi",
    "user-nmi-negative-gs",
    "timer-task-a",
    "timer-task-b",
    "timer-eoi",
    "smp-cpus",
    "tlb-probe",
    "tlb-shootdown",
    "swapgs-kernel",
    "own-stacks",
    "irq-stack",
    "privilege-split",
]
#: checks the emulator may be unable to perform: "ok" or an explicit "skip"
OK_OR_SKIP = ["user-ac"]

VARIANT_TOOLS = {"gas": ["gcc"], "nasm": ["nasm"], "rust": ["rustc"]}
#: a check line: the CPU that printed it, the outcome, the check id, the rest
CHECK_LINE = re.compile(r"\[cpu(\d)\] (ok|FAIL|skip) (\S+): (.*)")


def checks(log: str, outcome: str, cpu: int | None = None) -> dict[str, list[str]]:
    """The check lines of ``log`` with ``outcome`` (printed by ``cpu``, or by any CPU): id -> their texts."""
    found: dict[str, list[str]] = {}
    for line in log.splitlines():
        m = CHECK_LINE.fullmatch(line)
        if m and m.group(2) == outcome and (cpu is None or int(m.group(1)) == cpu):
            found.setdefault(m.group(3), []).append(m.group(4))
    return found


def make(build: Path, *args: str, variant: str = "gas") -> subprocess.CompletedProcess[str]:
    return make_kernel(KERNEL_DIR, build, *args, variant=variant)


def boot(build: Path, *args: str, variant: str = "gas") -> tuple[int, str]:
    return boot_kernel(KERNEL_DIR, build, *args, variant=variant)


def require_kernel_tools(variant: str) -> None:
    require_tool("make", "gcc", "ld", "qemu-system-x86_64", "timeout", *VARIANT_TOOLS[variant])


def test_spec_uses_the_entry_semantics_the_log_checks() -> None:
    # the log lines above prove these options on a machine: the spec must keep asking for them
    spec = load_x86(KERNEL_DIR / "kernel.yaml")
    assert spec.entry.swapgs and spec.entry.clear_registers
    assert spec.stub_style is StubStyle.DENSE
    assert spec.handler.returns is ReturnModel.FRAME
    assert spec.syscall is not None and spec.syscall.handler == "isr_syscall"
    exceptions = [v for v in spec.vectors if v.number < 32]
    assert {(v.handler, v.kernel_handler) for v in exceptions} == {("isr_user_fault", "isr_kernel_fault")}
    assert {v.number for v in spec.vectors if v.paranoid} == {1, 2, 8, 18}
    # user-nmi-negative-gs: the paranoid entries must not trust the sign of the GS base
    assert spec.paranoid_gs.method is ParanoidGsMethod.RDTSCP and spec.paranoid_gs.offsets == "percpu_offset"
    timer = spec.vector(32)
    assert timer is not None and timer.simd is SimdPolicy.FXSAVE and timer.irq_stack
    assert spec.irq_stack is not None and (spec.irq_stack.top_gs, spec.irq_stack.depth_gs) == (32, 40)


@pytest.mark.parametrize("variant", ["gas", "nasm", "rust"])
def test_kernel_boots_and_passes_every_check(variant: str, tmp_path: Path) -> None:
    require_kernel_tools(variant)
    build = tmp_path / variant
    status, log = boot(build, variant=variant)
    lines = log.splitlines()
    assert lines, "no serial output at all"
    failed = checks(log, "FAIL")
    assert not failed, f"kernel checks failed: {failed}\n--- log\n{log}"
    assert all(line.startswith("[cpu0] ") for line in lines[:-1]), log
    ok_ids = set(checks(log, "ok", cpu=0))
    skip_ids = set(checks(log, "skip", cpu=0))
    missing = [i for i in EXPECTED_OK if i not in ok_ids]
    assert not missing, f"checks not reported ok: {missing}\n--- log\n{log}"
    unsettled = [i for i in OK_OR_SKIP if i not in ok_ids | skip_ids]
    assert not unsettled, f"checks neither ok nor skipped: {unsettled}\n--- log\n{log}"
    assert lines[-1] == SUCCESS_LINE, f"last line is not the success line\n--- log\n{log}"
    assert status == SUCCESS_STATUS, f"QEMU exit status {status}, want {SUCCESS_STATUS}\n--- log\n{log}"
    assert f"(variant {variant})" in lines[0]
    # the stubs the kernel ran are in an executable segment of the image, and isrgen verify agrees
    elf = build / "kernel.elf"
    assert segment_flags(elf, symbol_address(elf, "isr_stub_0")) & 1, "isr_stub_0 not in an executable segment"
    run(isrgen_cmd("verify", "-s", str(KERNEL_DIR / "kernel.yaml"), str(elf)))


#: spec edits that break one guarantee each, and the log line that must then fail
BROKEN_SPECS = {
    "no-simd-save": (
        "    simd: fxsave                  #",
        "    simd: none                    #",
        r"FAIL timer-task-[ab]: .*\(exit (1[89]|2\d|3[0-3]): ",  # an XMM register (exit 18-33)
    ),
    "sysret-restores-rsi": (
        "  restored: [rax, rdx, rbx, rbp, r12, r13, r14, r15]",
        "  restored: [rax, rdx, rbx, rbp, rsi, r12, r13, r14, r15]",
        r"FAIL syscall-sysret: .*\(exit 4: ",  # rsi kept the handler's kernel value
    ),
}


@pytest.mark.parametrize("broken", sorted(BROKEN_SPECS))
def test_a_spec_without_the_guarantee_fails_its_check(broken: str, tmp_path: Path) -> None:
    require_kernel_tools("gas")
    old, new, failure = BROKEN_SPECS[broken]
    text = (KERNEL_DIR / "kernel.yaml").read_text()
    assert text.count(old) == 1, f"kernel.yaml no longer contains {old!r}"
    spec = tmp_path / "broken.yaml"
    spec.write_text(text.replace(old, new))
    status, log = boot(tmp_path / "build", f"SPEC={spec}")
    assert status != SUCCESS_STATUS and SUCCESS_LINE not in log, log
    assert re.search(failure, log), f"expected a line matching {failure!r}\n--- log\n{log}"


def test_stubs_in_a_no_execute_section_fault_and_never_pass(tmp_path: Path) -> None:
    require_kernel_tools("gas")
    build = tmp_path / "misplaced"
    qlog = build / "qemu-int.log"
    status, log = boot(build, "MISPLACE_ISR=1", f"QEMU_EXTRA=-d int,cpu_reset -D {qlog}")
    assert status != SUCCESS_STATUS and SUCCESS_LINE not in log, log
    assert "FAIL stubs-executable" in log
    elf = build / "kernel.elf"
    stub0 = symbol_address(elf, "isr_stub_0")
    # the stubs sit in .rodata: a read-only segment, mapped execute-disable by the kernel
    assert symbol_address(elf, "__rodata_start") <= stub0 < symbol_address(elf, "__rodata_end")
    assert not segment_flags(elf, stub0) & 1, "the negative build did not misplace the stubs"
    verify = run(isrgen_cmd("verify", "-s", str(KERNEL_DIR / "kernel.yaml"), str(elf)), check=False)
    assert verify.returncode != 0 and "isr_stub_0" in verify.stdout + verify.stderr
    # QEMU's interrupt log: the first test raises #DE (vector 0); fetching its stub faults with
    # #PF, error 0x11 (present page, instruction fetch) and CR2 = the stub's address
    events = [line for line in qlog.read_text(errors="replace").splitlines() if " v=" in line]
    assert events and " v=00 " in events[0], events[:2]
    m = re.search(r" v=([0-9a-f]+) e=([0-9a-f]+) .* CR2=([0-9a-f]+)", events[1])
    assert m, events[1]
    assert (int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16)) == (14, 0x11, stub0), events[1]


def test_build_regenerates_the_glue_from_the_spec(tmp_path: Path) -> None:
    require_kernel_tools("gas")
    build = tmp_path / "regen"
    make(build, "kernel")
    generated = build / "gen" / "isr.S"
    assert generated.read_text().startswith("/* generated by isrgen")
    tracked = run(["git", "ls-files", "examples/kernel"], cwd=ROOT).stdout.split()
    assert not [t for t in tracked if Path(t).name in {"isr.S", "isr.h", "isr.asm", "isr.rs"}], tracked
    # a newer spec makes make rerun isrgen (dry run: nothing is changed)
    spec = KERNEL_DIR / "kernel.yaml"
    older = spec.stat().st_mtime - 3600  # relative to the spec: a checkout may be hours old
    os.utime(generated, (older, older))
    os.utime(build / "gen" / "isr.h", (older, older))
    dry = make(build, "-n", "kernel").stdout
    assert "-m isrgen build kernel.yaml" in dry, dry
