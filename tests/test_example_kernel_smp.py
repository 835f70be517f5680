"""examples/kernel on four CPUs (``make boot CPUS=4``, QEMU ``-smp 4`` under TCG).

The bootstrap processor starts each application processor with INIT-SIPI-SIPI
through the real-mode trampoline; every CPU then runs the generated glue on its
own GDT/TSS, IST stacks, kernel stack and GS base. Each CPU's checks are log
lines it prints itself ("[cpuN] ok <id>: ..."). Beyond the kernel's own verdict
the test reads the addresses the lines report and compares them with the
kernel's layout, taken from the ELF symbol table and abi.h's constants: every
CPU's GS base is its own high-half block, its #DF and NMI frames lie on its own
IST 1 and IST 2 stacks, its kernel stack overflow hit its own guard page.
One boot uses multi-threaded TCG (a host thread per CPU): there the CPUs really
run at once, and the log lock must keep every line whole. The broken specs of
tests/test_example_kernel.py must fail their check on every CPU.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT, isrgen_cmd, run, symbol_address
from test_example_kernel import (
    BROKEN_SPECS,
    KERNEL_DIR,
    SUCCESS_LINE,
    SUCCESS_STATUS,
    boot,
    checks,
    require_kernel_tools,
)

CPUS = 4
#: abi.h: CPU n's kernel GS base is PERCPU_VA + n * PERCPU_STRIDE
PERCPU_VA = 0xFFFFFF8000000000
PERCPU_STRIDE = 0x1000
#: cpu.c: per CPU (`stacks`) the 104-byte TSS (SDM Vol. 3A 7.7), then at the next 16-byte
#: boundary IST 1-4, RSP0 and the IRQ stack, 16 KiB each; an AP's kernel stack is 16 KiB
#: above a 4 KiB guard page (`ap_kstacks`)
STACK = 16384
IST_BASE = 112
CPU_STACKS = IST_BASE + 6 * STACK
PAGE = 4096
AP_KSTACK = PAGE + STACK
#: the register-checking tasks must survive this many timer interrupts each (abi.h)
REGCHECK_TICKS = 1000

#: what every application processor reports as "ok" about itself
AP_OK = [
    "percpu-gs",
    "ap-online",
    "syscall-setup",
    "lapic-spurious-first",
    "tlb-probe",
    "kernel-df-ist",
    "syscall-int80",
    "syscall-sysret",
    "user-gs",
    "lapic-timer-order",
    "timer-task-a",
    "timer-task-b",
    "timer-eoi",
    "ipi-ping",
    "kernel-nmi",
    "tlb-shootdown",
    "swapgs-kernel",
    "own-stacks",
    "irq-stack",
    "privilege-split",
]
#: what the bootstrap processor reports once per application processor
BSP_PER_AP = ["ap-start", "ap-ready", "ipi-pong", "nmi-sent"]


def one(found: dict[str, list[str]], check_id: str, log: str) -> str:
    texts = found.get(check_id, [])
    assert len(texts) == 1, f"{check_id}: want one line, got {texts}\n--- log\n{log}"
    return texts[0]


def number(pattern: str, text: str) -> int:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in {text!r}"
    return int(m.group(1), 0)


def in_stack(address: int, low: int, size: int = STACK) -> bool:
    return low <= address < low + size


@pytest.mark.parametrize("variant", ["gas", "nasm", "rust"])
def test_every_cpu_runs_the_glue_on_its_own_state(variant: str, tmp_path: Path) -> None:
    require_kernel_tools(variant)
    build = tmp_path / variant
    status, log = boot(build, f"CPUS={CPUS}", variant=variant)
    lines = log.splitlines()
    assert not checks(log, "FAIL"), f"kernel checks failed\n--- log\n{log}"
    assert lines and lines[-1] == SUCCESS_LINE, f"last line is not the success line\n--- log\n{log}"
    assert status == SUCCESS_STATUS, f"QEMU exit status {status}, want {SUCCESS_STATUS}\n--- log\n{log}"
    assert f"{CPUS} processor(s)" in one(checks(log, "ok", cpu=0), "smp-cpus", log)

    elf = build / "kernel.elf"
    stacks = symbol_address(elf, "stacks")
    ap_kstacks = symbol_address(elf, "ap_kstacks")
    gs_bases = set()
    for cpu in range(CPUS):
        ok = checks(log, "ok", cpu=cpu)
        if cpu:
            missing = [i for i in AP_OK if i not in ok]
            assert not missing, f"cpu{cpu}: not reported ok: {missing}\n--- log\n{log}"
        gs = number(r"kernel GS base (0x[0-9a-f]+)", one(ok, "percpu-gs", log))
        assert gs == PERCPU_VA + cpu * PERCPU_STRIDE and gs >= 1 << 63, f"cpu{cpu}: GS base {gs:#x}"
        gs_bases.add(gs)
        assert f"gs:[0]={gs:#x}" in one(ok, "swapgs-kernel", log), f"cpu{cpu}\n--- log\n{log}"
        for task in ("timer-task-a", "timer-task-b"):
            ticks = number(r"task [AB]: (\d+) timer interrupts", one(ok, task, log))
            assert ticks >= REGCHECK_TICKS, f"cpu{cpu} {task}: {ticks} interrupts"
        own = stacks + cpu * CPU_STACKS
        df = one(ok, "kernel-df-ist", log)
        assert in_stack(number(r"frame (0x[0-9a-f]+)", df), own + IST_BASE), f"cpu{cpu}: #DF not on its IST 1: {df}"
        guard = number(r"guard page (0x[0-9a-f]+)", df)
        if cpu:
            assert guard == ap_kstacks + cpu * AP_KSTACK, f"cpu{cpu}: {df}"
            online = one(ok, "ap-online", log)
            assert number(r"kernel stack (0x[0-9a-f]+)", online) == guard + AP_KSTACK, online
        assert in_stack(number(r"interrupted rsp (0x[0-9a-f]+)", df), guard, PAGE), df
        nmi = [line for line in lines if line.startswith(f"[cpu{cpu}] NMI: ")]
        assert len(nmi) == 1, f"cpu{cpu}: NMI lines {nmi}"
        frame = number(r"frame=(0x[0-9a-f]+)", nmi[0])
        assert in_stack(frame, own + IST_BASE + STACK), f"cpu{cpu}: NMI frame {frame:#x} not on its IST 2"
    assert len(gs_bases) == CPUS

    bsp = checks(log, "ok", cpu=0)
    for check_id in BSP_PER_AP:
        named = sorted(int(m.group(1)) for text in bsp.get(check_id, []) if (m := re.search(r"cpu(\d)", text)))
        assert named == list(range(1, CPUS)), f"{check_id}: per AP {named}\n--- log\n{log}"
    pongs = bsp["ipi-pong"]
    assert all(re.search(r"to cpu(\d) answered .* from cpu\1$", p) for p in pongs), pongs
    shootdown = one(bsp, "tlb-shootdown", log)
    assert f"to the {CPUS - 1} other CPU(s): {CPUS - 1} acknowledged" in shootdown, shootdown
    run(isrgen_cmd("verify", "-s", str(KERNEL_DIR / "kernel.yaml"), str(elf)))


def test_cpus_on_parallel_host_threads_pass_with_whole_lines(tmp_path: Path) -> None:
    # multi-threaded TCG: the CPUs run at the same time, so the log lock and the shared
    # counters are really contended; every line must still be whole and name its CPU
    require_kernel_tools("gas")
    status, log = boot(tmp_path / "mttcg", f"CPUS={CPUS}", "ACCEL=tcg,thread=multi")
    lines = log.splitlines()
    assert status == SUCCESS_STATUS and lines and lines[-1] == SUCCESS_LINE, log
    assert not checks(log, "FAIL"), log
    torn = [line for line in lines[:-1] if not line.startswith("[cpu") or line.count("[cpu") != 1]
    assert not torn, torn
    for cpu in range(1, CPUS):
        assert not [i for i in AP_OK if i not in checks(log, "ok", cpu=cpu)], f"cpu{cpu}\n--- log\n{log}"


@pytest.mark.parametrize("broken", sorted(BROKEN_SPECS))
def test_a_broken_guarantee_fails_on_every_cpu(broken: str, tmp_path: Path) -> None:
    # the glue without fxsave in the IRQ entries, or with rsi restored on sysret: every CPU
    # that runs the check must see it fail, not only the bootstrap processor
    require_kernel_tools("gas")
    old, new, failure = BROKEN_SPECS[broken]
    text = (KERNEL_DIR / "kernel.yaml").read_text()
    assert text.count(old) == 1, f"kernel.yaml no longer contains {old!r}"
    spec = tmp_path / "broken.yaml"
    spec.write_text(text.replace(old, new))
    status, log = boot(tmp_path / "build", f"SPEC={spec}", f"CPUS={CPUS}")
    assert status != SUCCESS_STATUS and SUCCESS_LINE not in log, log
    failing = {cpu for cpu in range(CPUS) if any(re.search(failure, line) for line in log.splitlines()
                                                  if line.startswith(f"[cpu{cpu}] "))}  # fmt: skip
    assert failing == set(range(CPUS)), f"CPUs failing {failure!r}: {sorted(failing)}\n--- log\n{log}"


def test_the_boot_time_benchmark_prints_its_table(tmp_path: Path) -> None:
    # benchmarks/smp_boot.py is informative; here it must boot and print one row per CPU count
    require_kernel_tools("gas")
    proc = run([sys.executable, str(ROOT / "benchmarks" / "smp_boot.py"), "--cpus", "1", "--runs", "1"])
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 1, proc.stdout
    seconds = [float(cell) for cell in rows[0].strip("|").split("|")[2:]]
    assert len(seconds) == 3 and 0 < seconds[1] <= seconds[0] <= seconds[2], rows
    bad = run([sys.executable, str(ROOT / "benchmarks" / "smp_boot.py"), "--cpus", "9"], check=False)
    assert bad.returncode == 2 and "--cpus takes 1..8" in bad.stderr
