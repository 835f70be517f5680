"""examples/kernel-riscv64: build the riscv64 example kernel with its Makefile (glue generated
by isrgen) and boot it with qemu-system-riscv64 -M virt -bios none (TCG); every checked
behaviour is one log line.

A pass needs QEMU's exit status 0 (the SiFive test finisher written with 0x5555) AND the
final success line: a failure code written to the finisher exits non-zero, a hang is killed
by timeout (124). The negative build links the glue into .data, which the kernel maps
readable, writable and not executable: the first trap then faults on fetching its entry,
forever, and the run never passes.

The expected values come from the RISC-V privileged spec (scause codes, table 4.2; stval of
a page fault is the faulting address, 4.1.9/4.1.10), the instruction encodings of the
unprivileged spec, and the values the kernel's own sources load (start.S, user_asm.S).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from conftest import ROOT, isrgen_cmd, make_vars, require_tool, run, segment_flags, symbol_address

KERNEL_DIR = ROOT / "examples" / "kernel-riscv64"
SUCCESS_LINE = "ALL CHECKS PASSED"
VARIANTS = ["scratch", "trampoline"]
#: the symbol stvec holds while the kernel runs, per variant (kernel.yaml, kernel-trampoline.yaml)
KERNEL_STVEC = {"scratch": "isr_entry", "trampoline": "kernelvec"}

#: every check the kernel must report as "ok <id>: ..."
EXPECTED_OK = [
    "sv39",
    "vectors-executable",
    "stvec",
    "kernel-load-fault",
    "kernel-store-readonly",
    "kernel-illegal",
    "kernel-exec-data",
    "kernel-irq",
    "regs-task-a",
    "regs-task-b",
    "syscall-task-a",
    "syscall-task-b",
    "user-fault-task-a",
    "user-fault-task-b",
]
VARIANT_OK = {"scratch": ["scratch-protocol", "gp-reload"], "trampoline": ["trampoline-alias", "user-entry-registers"]}

# privileged spec table 4.2 (scause exception codes)
ILLEGAL_INSTRUCTION = 2
INSTRUCTION_PAGE_FAULT = 12
LOAD_PAGE_FAULT = 13
STORE_PAGE_FAULT = 15
#: csrrs t0, sstatus, zero: CSR 0x100, rs1 x0, funct3 010, rd x5, opcode SYSTEM 1110011
CSRR_T0_SSTATUS = (0x100 << 20) | (0 << 15) | (0b010 << 12) | (5 << 7) | 0b1110011
#: what start.S's probes load into s2..s11 (x18..x27) before faulting
PROBE_REGISTERS = {18 + n: int(f"{n + 2:x}" * 16, 16) for n in range(10)}
PF_X = 1  # ELF program header flag: executable


def make(build: Path, *args: str) -> None:
    run(["make", "-s", *make_vars(), "-C", str(KERNEL_DIR), f"BUILD={build}", *args])


def boot(build: Path, *args: str) -> tuple[int, str]:
    make(build, "boot", *args)
    status = int((build / "qemu.status").read_text().strip())
    log = (build / "serial.log").read_text(errors="replace") if (build / "serial.log").exists() else ""
    return status, log.replace("\r\n", "\n")


def require_kernel_tools() -> None:
    require_tool("make", "timeout", "riscv64-linux-gnu-gcc", "riscv64-linux-gnu-ld", "qemu-system-riscv64")


def assert_passed(status: int, log: str, variant: str) -> list[str]:
    lines = log.splitlines()
    assert lines, "no serial output at all"
    failed = [line for line in lines if line.startswith("FAIL")]
    assert not failed, "kernel checks failed:\n" + "\n".join(failed) + "\n--- log\n" + log
    ok_ids = {m.group(1) for line in lines if (m := re.match(r"ok (\S+): ", line))}
    missing = [i for i in [*EXPECTED_OK, *VARIANT_OK[variant]] if i not in ok_ids]
    assert not missing, f"checks not reported ok: {missing}\n--- log\n{log}"
    assert lines[-2] == "exit status: 0 (test finisher 0x0000000000005555)", log
    assert lines[-1] == SUCCESS_LINE, f"last line is not the success line\n--- log\n{log}"
    assert status == 0, f"QEMU exit status {status}, want 0\n--- log\n{log}"
    return lines


def dump_registers(lines: list[str], start: int) -> dict[int, int]:
    dump = " ".join(lines[start + 1 : start + 9])
    return {int(n): int(v, 16) for n, v in re.findall(r"\b(\d\d)/[a-z0-9]+=([0-9a-f]{16})\b", dump)}


@pytest.mark.parametrize("variant", VARIANTS)
def test_kernel_boots_and_passes_every_check(variant: str, tmp_path: Path) -> None:
    require_kernel_tools()
    build = tmp_path / variant
    make(build, f"VARIANT={variant}", "kernel")
    started = time.monotonic()
    verdict = run(["make", "-s", *make_vars(), "-C", str(KERNEL_DIR), f"BUILD={build}", f"VARIANT={variant}", "run"])
    elapsed = time.monotonic() - started
    assert verdict.stdout.splitlines()[-1] == SUCCESS_LINE, verdict.stdout
    status = int((build / "qemu.status").read_text().strip())
    log = (build / "serial.log").read_text(errors="replace").replace("\r\n", "\n")
    assert log in verdict.stdout.replace("\r\n", "\n"), "make run did not print the serial log"
    lines = assert_passed(status, log, variant)
    assert lines[0] == f"isrgen riscv64 example kernel (variant {variant}), entered S-mode from M-mode", lines[0]
    assert elapsed < 20, f"boot to verdict took {elapsed:.1f} s"

    # S-mode faults reached the kernel handler with the trapped registers and were resumed
    faults = [(i, m) for i, line in enumerate(lines) if (m := re.match(
        r"kernel fault: .* scause=(\d+) sepc=0x([0-9a-f]+) stval=0x([0-9a-f]+)$", line))]  # fmt: skip
    causes = [int(m.group(1)) for _, m in faults]
    assert causes == [LOAD_PAGE_FAULT, STORE_PAGE_FAULT, ILLEGAL_INSTRUCTION, INSTRUCTION_PAGE_FAULT], causes
    elf = build / "kernel.elf"
    load_at, load = faults[0]
    assert int(load.group(3), 16) == 8  # probe_load_fault loads from address 8
    assert symbol_address(elf, "probe_load_fault") < int(load.group(2), 16) < symbol_address(elf, "probe_store_fault")
    store = faults[1][1]
    assert int(store.group(3), 16) == symbol_address(elf, "rodata_probe")
    fetch = faults[3][1]
    assert int(fetch.group(2), 16) == int(fetch.group(3), 16) == symbol_address(elf, "exec_probe")
    for index in (load_at, faults[2][0]):
        regs = dump_registers(lines, index)
        assert sorted(regs) == list(range(1, 32)), lines[index : index + 9]
        assert {n: regs[n] for n in PROBE_REGISTERS} == PROBE_REGISTERS, lines[index : index + 9]

    # both tasks held their registers across at least 1000 interrupts, then were killed
    for task in ("a", "b"):
        summary = next(x for x in lines if x.startswith(f"task {task}: "))
        m = re.match(rf"task {task}: (\d+) interrupts, (\d+) system calls, report 0$", summary)
        assert m and int(m.group(1)) >= 1000 and int(m.group(2)) > 1, summary
    killed = {m.group(1): (int(m.group(2)), int(m.group(3), 16)) for line in lines if (m := re.match(
        r"user fault: task (\w): .* scause=(\d+) sepc=0x[0-9a-f]+ stval=0x([0-9a-f]+): killed$", line))}  # fmt: skip
    assert killed == {"a": (LOAD_PAGE_FAULT, 0x80000000), "b": (ILLEGAL_INSTRUCTION, CSRR_T0_SSTATUS)}, killed

    # the generated entry the kernel ran is in an executable segment, 4-byte aligned (stvec BASE)
    entry = symbol_address(elf, KERNEL_STVEC[variant])
    assert entry % 4 == 0 and segment_flags(elf, entry) & PF_X
    if variant == "trampoline":
        # the trampoline page: uservec and userret inside one page-aligned page
        page = symbol_address(elf, "isr_trampoline")
        assert page % 4096 == 0
        assert page <= symbol_address(elf, "uservec") < symbol_address(elf, "userret") < page + 4096


@pytest.mark.parametrize("variant", VARIANTS)
def test_glue_in_a_no_execute_section_faults_and_never_passes(variant: str, tmp_path: Path) -> None:
    require_kernel_tools()
    build = tmp_path / "misplaced"
    qlog = build / "qemu-int.log"
    # the entry's fetch faults forever (a fault to the same entry): timeout ends the run
    status, log = boot(build, f"VARIANT={variant}", "MISPLACE_ISR=1", "TIMEOUT=4", f"QEMU_EXTRA=-d int -D {qlog}")
    assert status != 0 and SUCCESS_LINE not in log, log
    assert "FAIL vectors-executable" in log and "ok kernel-load-fault" not in log, log
    elf = build / "kernel.elf"
    entry = symbol_address(elf, KERNEL_STVEC[variant])
    assert symbol_address(elf, "_data_start") <= entry < symbol_address(elf, "_kernel_end")
    assert not segment_flags(elf, entry) & PF_X, "the negative build did not misplace the glue"
    with qlog.open("rb") as fh:
        head = fh.read(8192).decode(errors="replace")
    qlog.unlink()
    events = re.findall(r"async:(\d), cause:([0-9a-f]+), epc:0x([0-9a-f]+), tval:0x([0-9a-f]+)", head)
    exceptions = [(int(c, 16), int(e, 16), int(t, 16)) for a, c, e, t in events if a == "0"]
    # the first probe's load page fault, then instruction page faults fetching the entry itself
    assert exceptions[0][0] == LOAD_PAGE_FAULT and exceptions[0][2] == 8, exceptions[:3]
    assert len(exceptions) >= 3 and all(x == (INSTRUCTION_PAGE_FAULT, entry, entry) for x in exceptions[1:3]), (
        hex(entry),
        exceptions[:3],
    )


REPORT = r"task [ab]: \d+ interrupts, \d+ system calls, report "
SPECS = {"scratch": "kernel.yaml", "trampoline": "kernel-trampoline.yaml"}
#: spec edits that break one guarantee each: (variant, old, new, the FAIL line, a log line to match)
BROKEN_SPECS = {
    # no FP area in the frame: f0-f31 and fcsr leak between the tasks (user_asm.S checks 32-64)
    "no-fp-area": ("scratch", "  fp: true", "  fp: false", "regs-task-[ab]", rf"{REPORT}(3[2-9]|[4-5]\d|6[0-4])$"),
    # s5 (x21) left out of the syscall restore list: zeroed, the task sees it (check 100 + 21)
    "syscall-drops-s5": (
        "scratch",
        "[a0, ra, sp, gp, tp, s0, s1, s2, s3, s4, s5,",
        "[a0, ra, sp, gp, tp, s0, s1, s2, s3, s4,",
        "regs-task-[ab]",
        rf"{REPORT}121$",
    ),
    # gp not reloaded: the handler runs with the task's gp pattern
    "no-gp-reload": (
        "scratch",
        "  gp_reload: true",
        "  gp_reload: false",
        "gp-reload",
        r"traps from U-mode: (\d+), gp not __global_pointer\$ in \1$",
    ),
    # the user entry leaves the task's registers live: usertrap finds the task's gp
    "trampoline-keeps-user-registers": (
        "trampoline",
        "  clear_registers: true",
        "  clear_registers: false",
        "user-entry-registers",
        r"traps from U-mode: \d+, gp or tp not the kernel's in [1-9]\d*$",
    ),
}


@pytest.mark.parametrize("broken", sorted(BROKEN_SPECS))
def test_a_spec_without_the_guarantee_fails_its_check(broken: str, tmp_path: Path) -> None:
    require_kernel_tools()
    variant, old, new, check, line = BROKEN_SPECS[broken]
    text = (KERNEL_DIR / SPECS[variant]).read_text()
    assert text.count(old) == 1, f"{SPECS[variant]} no longer contains {old!r} once"
    spec = tmp_path / "broken.yaml"
    spec.write_text(text.replace(old, new))
    build = tmp_path / "build"
    make_run = [
        "make",
        "-s",
        *make_vars(),
        "-C",
        str(KERNEL_DIR),
        f"BUILD={build}",
        f"VARIANT={variant}",
        f"SPEC={spec}",
        "run",
    ]
    verdict = run(make_run, check=False)
    log = verdict.stdout
    assert verdict.returncode != 0 and SUCCESS_LINE not in log, log
    # the finisher's failure code (1 << 16 | 0x3333) makes QEMU exit 1
    assert "exit status: 1 (test finisher 0x0000000000013333)" in log, log
    assert f"kernel-riscv64 ({variant}): FAILED (exit status 1, want 0)" in log, log
    assert re.search(rf"^FAIL {check}: ", log, re.M), log
    assert re.search(line, log, re.M), f"expected a line matching {line!r}\n--- log\n{log}"


def test_the_build_generates_the_glue_with_isrgen(tmp_path: Path) -> None:
    """The Makefile runs isrgen on the variant's spec (gas + c, with a depfile) on every build."""
    require_tool("make")
    env = {k: v for k, v in os.environ.items() if k != "ISRGEN"}
    for variant, spec in (("scratch", "kernel.yaml"), ("trampoline", "kernel-trampoline.yaml")):
        build = tmp_path / variant
        dry = run(
            ["make", "-n", *make_vars(), "-C", str(KERNEL_DIR), f"BUILD={build}", f"VARIANT={variant}", "kernel"],
            env=env,
        )
        dry_out = dry.stdout
        m = re.search(r"-m isrgen build (\S+) -o (\S+) -b gas -b c --depfile (\S+)", dry_out)
        assert m, dry_out
        assert m.group(1) == spec and m.group(2) == f"{build}/gen" and m.group(3) == f"{build}/gen/isr.d", dry_out
    custom = run(["make", "-n", "-C", str(KERNEL_DIR), f"BUILD={tmp_path / 'c'}", "ISRGEN=my-isrgen", "kernel"],
                 env=env)  # fmt: skip
    assert "my-isrgen build kernel.yaml -o" in custom.stdout, custom.stdout


def test_build_regenerates_the_glue_from_the_spec(tmp_path: Path) -> None:
    require_kernel_tools()
    build = tmp_path / "regen"
    make(build, "kernel")
    generated = build / "gen" / "isr.S"
    assert "generated by isrgen" in generated.read_text().splitlines()[0]
    tracked = run(["git", "ls-files", "examples/kernel-riscv64"], cwd=ROOT).stdout.split()
    assert not [t for t in tracked if Path(t).name in {"isr.S", "isr.h"}], tracked
    assert "kernel.yaml" in (build / "gen" / "isr.d").read_text()


@pytest.mark.parametrize("variant", VARIANTS)
def test_isrgen_verify_accepts_the_kernel_and_rejects_the_misplaced_glue(variant: str, tmp_path: Path) -> None:
    require_kernel_tools()
    spec = str(KERNEL_DIR / SPECS[variant])
    make(tmp_path / "good", f"VARIANT={variant}", "kernel")
    good = run(isrgen_cmd("verify", str(tmp_path / "good" / "kernel.elf"), "-s", spec))
    assert KERNEL_STVEC[variant] in good.stdout and "timervec" in good.stdout, good.stdout
    make(tmp_path / "misplaced", f"VARIANT={variant}", "MISPLACE_ISR=1", "kernel")
    verify = run(isrgen_cmd("verify", str(tmp_path / "misplaced" / "kernel.elf"), "-s", spec), check=False)
    output = verify.stdout + verify.stderr
    # the finding names the entry and the non-executable section it landed in
    assert verify.returncode != 0 and re.search(rf"{KERNEL_STVEC[variant]}\b.*\.data\b", output), output
