"""examples/kernel-aarch64: build the aarch64 example kernel with its Makefile and boot it
with qemu-system-aarch64 -M virt (TCG); every checked behaviour is one log line.

A pass needs the semihosting exit status for the success value AND the final success
line: a hang is killed by timeout (124) and PSCI SYSTEM_OFF exits 0, and neither passes.
The negative build links the glue into .rodata, which the kernel maps execute-never:
the first exception then faults on fetching its vector and the run never passes.

The glue comes from isrgen (`GLUE=isrgen`, the Makefile's default) or, until the aarch64
generator is integrated, from the hand-written development stand-in (`GLUE=standin`).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ROOT, isrgen_cmd, require_tool, run
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

#: The one line to change at integration: True boots the isrgen-generated glue
#: (and retires the tests of the stand-in, which is deleted then).
GENERATOR_INTEGRATED = False

GLUE = "isrgen" if GENERATOR_INTEGRATED else "standin"
NOT_INTEGRATED = pytest.mark.skipif(not GENERATOR_INTEGRATED, reason="aarch64 generator not integrated yet")
STANDIN_ONLY = pytest.mark.skipif(GENERATOR_INTEGRATED, reason="the development stand-in is gone")
GLUE_SOURCES = [pytest.param("standin", marks=STANDIN_ONLY), pytest.param("isrgen", marks=NOT_INTEGRATED)]

KERNEL_DIR = ROOT / "examples" / "kernel-aarch64"
SUCCESS_STATUS = 42  # kernel.h EXIT_STATUS_PASSED through semihosting SYS_EXIT
SUCCESS_LINE = "ALL CHECKS PASSED"

#: every check the kernel must report as "ok <id>: ..."
EXPECTED_OK = [
    "mmu",
    "mmu-map",
    "vectors-executable",
    "vbar",
    "kernel-data-abort",
    "kernel-data-abort-write",
    "kernel-undef",
    "kernel-el1t",
    "kernel-pc-align",
    "kernel-xn",
    "kernel-pxn-user",
    "kernel-irq",
    "finish",
    "svc-task-a",
    "svc-task-b",
    "regs-task-a",
    "regs-task-b",
    "exit-task-a",
    "exit-task-b",
    "timer-switch",
    "user-data-abort",
    "user-undef",
    "user-exec-kernel",
    "svc-count",
    "bad-mode",
]
#: checks the emulator may be unable to perform: "ok" or an explicit "skip"
#: (QEMU's TCG does not implement the SP alignment check of SCTLR_EL1.SA)
OK_OR_SKIP = ["kernel-sp-align"]

#: what faults.S's fault_undef loads into x0..x7 before its udf
UNDEF_REGISTERS = {n: 0x1111111111111111 * (n + 1) for n in range(8)}
#: ESR_EL1 of a prefetch abort taken at EL1 (Arm ARM D17.2.37): EC 0x21, IL 1,
#: IFSC 0b001111 = permission fault at level 3
ESR_IABT_EL1_PERMISSION_L3 = (0x21 << 26) | (1 << 25) | 0x0F
VECTOR_EL1H_SYNC = 0x200  # Arm ARM D1.10.2: current EL with SP_ELx, synchronous


def make(build: Path, *args: str, glue: str = GLUE) -> subprocess.CompletedProcess[str]:
    return run(["make", "-s", "-C", str(KERNEL_DIR), f"GLUE={glue}", f"BUILD={build}", *args])


def boot(build: Path, *args: str, glue: str = GLUE) -> tuple[int, str]:
    make(build, "boot", *args, glue=glue)
    status = int((build / "qemu.status").read_text().strip())
    log = (build / "serial.log").read_text(errors="replace") if (build / "serial.log").exists() else ""
    return status, log.replace("\r\n", "\n")


def require_kernel_tools() -> None:
    require_tool("make", "timeout", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ld", "qemu-system-aarch64")


def symbol_address(elf_path: Path, name: str) -> int:
    with elf_path.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection), f"{elf_path} has no symbol table"
        syms = symtab.get_symbol_by_name(name)
        assert syms, f"{name} not in {elf_path}"
        return int(syms[0]["st_value"])


def segment_flags(elf_path: Path, address: int) -> int:
    with elf_path.open("rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= address < seg["p_vaddr"] + seg["p_memsz"]:
                return int(seg["p_flags"])
    raise AssertionError(f"0x{address:x} is in no PT_LOAD segment of {elf_path}")


def assert_passed(status: int, log: str) -> list[str]:
    lines = log.splitlines()
    assert lines, "no serial output at all"
    failed = [line for line in lines if line.startswith("FAIL")]
    assert not failed, "kernel checks failed:\n" + "\n".join(failed) + "\n--- log\n" + log
    ok_ids = {m.group(1) for line in lines if (m := re.match(r"ok (\S+): ", line))}
    skip_ids = {m.group(1) for line in lines if (m := re.match(r"skip (\S+): ", line))}
    missing = [i for i in EXPECTED_OK if i not in ok_ids]
    assert not missing, f"checks not reported ok: {missing}\n--- log\n{log}"
    unsettled = [i for i in OK_OR_SKIP if i not in ok_ids | skip_ids]
    assert not unsettled, f"checks neither ok nor skipped: {unsettled}\n--- log\n{log}"
    assert lines[-1] == SUCCESS_LINE, f"last line is not the success line\n--- log\n{log}"
    assert status == SUCCESS_STATUS, f"exit status {status}, want {SUCCESS_STATUS}\n--- log\n{log}"
    return lines


@pytest.mark.parametrize("glue", GLUE_SOURCES)
def test_kernel_boots_and_passes_every_check(glue: str, tmp_path: Path) -> None:
    require_kernel_tools()
    build = tmp_path / glue
    status, log = boot(build, glue=glue)
    lines = assert_passed(status, log)
    assert f"(glue {glue}), entered at EL1" in lines[0], lines[0]
    assert any(re.match(r"ok kernel-irq: \d+ virtual timer interrupts \(PPI 27, GICv2\)", line) for line in lines)

    # the undefined-instruction dump shows exactly what fault_undef loaded, in slot 4 (EL1h sync)
    start = lines.index("kernel fault: undefined instruction")
    assert re.match(r"  slot 4 \(EL1h sync\) ESR=0x02000000 ", lines[start + 1]), lines[start + 1]
    dump = " ".join(lines[start + 3 : start + 11])
    regs = {int(n): int(v, 16) for n, v in re.findall(r"\bx(\d\d)=([0-9a-f]{16})\b", dump)}
    assert sorted(regs) == list(range(31)), dump
    assert {n: regs[n] for n in UNDEF_REGISTERS} == UNDEF_REGISTERS, dump

    # both tasks held their registers across at least 1000 interrupts each
    for task in ("a", "b"):
        line = next(x for x in lines if x.startswith(f"ok regs-task-{task}: "))
        m = re.match(rf"ok regs-task-{task}: (\d+) interrupts in (\d+) rounds .*: 0 changed", line)
        assert m and int(m.group(1)) >= 1000, line
        svc = next(x for x in lines if x.startswith(f"ok svc-task-{task}: "))
        m = re.search(r"x0=(0x[0-9a-f]+) \(want (0x[0-9a-f]+)\), nonzero x1-x30 after svc: mask 0x0,", svc)
        assert m and m.group(1) == m.group(2), svc
    # the vector table the kernel ran is 2 KiB aligned in an executable segment
    elf = build / "kernel.elf"
    vectors = symbol_address(elf, "isr_vectors")
    assert vectors % 2048 == 0 and segment_flags(elf, vectors) & 1
    assert f"isr_vectors at 0x{vectors:x}" in log


@pytest.mark.parametrize(
    ("machine", "cpu", "entry_el", "gic"),
    [("virt,virtualization=on", "cortex-a57", 2, 2), ("virt,gic-version=3", "max", 1, 3)],
    ids=["el2-entry-gicv2", "gicv3-cpu-max"],
)
def test_kernel_passes_on_other_machine_configurations(
    machine: str, cpu: str, entry_el: int, gic: int, tmp_path: Path
) -> None:
    """Entered at EL2 (virtualization=on), boot.S drops to EL1; with gic-version=3 the
    kernel drives the GICv3 redistributor and system-register CPU interface."""
    require_kernel_tools()
    status, log = boot(tmp_path / "machine", f"MACHINE={machine}", f"CPU={cpu}")
    lines = assert_passed(status, log)
    assert f"entered at EL{entry_el}" in lines[0], lines[0]
    assert lines[1].startswith("ok mmu: at EL1,"), lines[1]
    assert any(re.match(rf"ok kernel-irq: \d+ virtual timer interrupts \(PPI 27, GICv{gic}\)", line) for line in lines)


def test_without_semihosting_the_success_line_alone_does_not_pass(tmp_path: Path) -> None:
    """The kernel prints the success line, then its semihosting exit is an undefined
    instruction: it powers off through PSCI and QEMU exits 0. `make run` must fail."""
    require_kernel_tools()
    build = tmp_path / "nosemi"
    status, log = boot(build, "SEMIHOSTING=")
    assert SUCCESS_LINE in log.splitlines() and status == 0, log
    assert log.splitlines()[-1].endswith("PSCI SYSTEM_OFF"), log
    verdict = run(["make", "-s", "-C", str(KERNEL_DIR), f"GLUE={GLUE}", f"BUILD={build}", "SEMIHOSTING=", "run"],
                  check=False)  # fmt: skip
    assert verdict.returncode != 0 and "FAILED (exit status 0, want 42)" in verdict.stdout, verdict.stdout


def test_glue_in_a_no_execute_section_faults_and_never_passes(tmp_path: Path) -> None:
    require_kernel_tools()
    build = tmp_path / "misplaced"
    qlog = build / "qemu-int.log"
    # the vector fetch faults forever (a fault to the same vector): timeout ends the run
    status, log = boot(build, "MISPLACE_ISR=1", "TIMEOUT=3", f"QEMU_EXTRA=-d int -D {qlog}")
    assert status != SUCCESS_STATUS and SUCCESS_LINE not in log, log
    assert "FAIL vectors-executable" in log and "ok kernel-data-abort" not in log, log
    elf = build / "kernel.elf"
    vectors = symbol_address(elf, "isr_vectors")
    # the glue sits in .rodata: a read-only segment, mapped execute-never by the kernel
    assert symbol_address(elf, "__rodata_start") <= vectors < symbol_address(elf, "__rodata_end")
    assert not segment_flags(elf, vectors) & 1, "the negative build did not misplace the glue"
    # QEMU's interrupt log: the first test's data abort goes to VBAR + 0x200, whose fetch
    # is a permission fault (prefetch abort) at that very address
    with qlog.open("rb") as fh:
        head = fh.read(4096).decode(errors="replace")
    qlog.unlink()
    events = re.findall(r"Taking exception \d+ \[([^\]]+)\].*?with ESR 0x[0-9a-f]+/0x([0-9a-f]+)\n"
                        r"(?:\.\.\.with FAR 0x([0-9a-f]+)\n)?.*?to EL1 PC 0x([0-9a-f]+)", head, re.S)  # fmt: skip
    assert len(events) >= 2, head
    assert events[0][0] == "Data Abort" and int(events[0][3], 16) == vectors + VECTOR_EL1H_SYNC, events[0]
    kind, esr, far, pc = events[1]
    assert kind == "Prefetch Abort" and int(esr, 16) == ESR_IABT_EL1_PERMISSION_L3, events[1]
    assert int(far, 16) == vectors + VECTOR_EL1H_SYNC == int(pc, 16), events[1]


def monitor_read(sock: socket.socket) -> str:
    """Read the QEMU monitor's output up to its next prompt."""
    answer = b""
    deadline = time.monotonic() + 10
    while not answer.rstrip().endswith(b"(qemu)") and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer.decode(errors="replace")


def test_the_halted_cpu_has_cleared_registers_and_never_passes(tmp_path: Path) -> None:
    """HALT=1 ends in isr_halt instead of exiting; QEMU's own register dump (monitor
    ``info registers``) shows the CPU there with x0-x30 zero and D, A, I, F masked."""
    require_kernel_tools()
    build = tmp_path / "halt"
    make(build, "kernel", "HALT=1")
    log_file, sock_path = build / "serial.log", build / "monitor.sock"
    qemu = subprocess.Popen(
        ["qemu-system-aarch64", "-M", "virt", "-accel", "tcg", "-cpu", "cortex-a57", "-m", "128M",
         "-display", "none", "-serial", f"file:{log_file}", "-monitor", f"unix:{sock_path},server=on,wait=off",
         "-semihosting-config", "enable=on,target=native", "-kernel", str(build / "kernel.elf")],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while "halting in isr_halt" not in (log_file.read_text(errors="replace") if log_file.exists() else ""):
            assert qemu.poll() is None and time.monotonic() < deadline, "the kernel never reached isr_halt"
            time.sleep(0.1)
        time.sleep(0.2)  # the last instructions before wfi
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(sock_path))
            sock.settimeout(10)
            monitor_read(sock)  # the banner
            sock.sendall(b"info registers\n")
            dump = monitor_read(sock)
            sock.sendall(b"quit\n")
            status = qemu.wait(timeout=20)
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
    log = log_file.read_text(errors="replace")
    assert "0 checks failed; halting in isr_halt" in log and SUCCESS_LINE not in log, log
    assert status != SUCCESS_STATUS
    regs = {int(n): int(v, 16) for n, v in re.findall(r"\bX(\d\d)=([0-9a-f]{16})\b", dump)}
    assert sorted(regs) == list(range(31)) and not any(regs.values()), dump
    pstate = re.search(r"PSTATE=([0-9a-f]+) \S+ EL1h", dump)
    assert pstate and int(pstate.group(1), 16) & 0x3C0 == 0x3C0, dump  # D, A, I, F masked
    pc = re.search(r"\bPC=([0-9a-f]{16})", dump)
    halt = symbol_address(build / "kernel.elf", "isr_halt")
    assert pc and halt <= int(pc.group(1), 16) < halt + 0x100, (hex(halt), dump)


#: stand-in edits that break one guarantee each, and the check that must then fail
BROKEN_STANDINS = {
    # interrupts never restore q0-q31: a task resumes with the other task's values (fields 40-103)
    "no-fp-restore": (
        r"\n    ldp q\d+, q\d+, \[x1, #\d+\]",
        "",
        r"FAIL regs-task-[ab]: .*first: round \d+ field (4\d|[5-9]\d|10[0-3]) ",
    ),
    # the syscall path restores x1-x30 from the frame, where the handler left kernel values
    "syscall-restores-the-frame": (
        r"bl isr_syscall\n    b \.Lsyscall_return",
        "bl isr_syscall\n    mov x0, sp\n    b isr_return",
        r"FAIL svc-task-[ab]: .*nonzero x1-x30 after svc: mask 0x7ffffffe,",
    ),
}


@STANDIN_ONLY
@pytest.mark.parametrize("broken", sorted(BROKEN_STANDINS))
def test_a_glue_without_the_guarantee_fails_its_check(broken: str, tmp_path: Path) -> None:
    require_kernel_tools()
    pattern, replacement, failure = BROKEN_STANDINS[broken]
    standin = tmp_path / "standin"
    shutil.copytree(KERNEL_DIR / "standin", standin)
    text = (standin / "isr.S").read_text()
    mutated, count = re.subn(pattern, replacement, text)
    assert count, f"standin/isr.S no longer matches {pattern!r}"
    (standin / "isr.S").write_text(mutated)
    status, log = boot(tmp_path / "build", f"STANDIN={standin}", glue="standin")
    assert status != SUCCESS_STATUS and SUCCESS_LINE not in log, log
    assert re.search(failure, log), f"expected a line matching {failure!r}\n--- log\n{log}"


#: kernel.yaml edits that break one guarantee each, and the check that must then fail
BROKEN_SPECS = {
    # no FP/SIMD area in the frame: q0-q31, FPCR and FPSR leak between the tasks (fields 33-103)
    "no-fpsimd": (
        "           fpsimd]",
        "           ]",
        r"FAIL regs-task-[ab]: .*first: round \d+ field (3[34]|4\d|[5-9]\d|10[0-3]) ",
    ),
    # x1 restored from the frame after a system call: the handler's kernel value reaches EL0
    "syscall-restores-x1": (
        "  restored: [x0]",
        "  restored: [x0, x1]",
        r"FAIL svc-task-[ab]: .*nonzero x1-x30 after svc: mask 0x2,",
    ),
}


@NOT_INTEGRATED
@pytest.mark.parametrize("broken", sorted(BROKEN_SPECS))
def test_a_spec_without_the_guarantee_fails_its_check(broken: str, tmp_path: Path) -> None:
    require_kernel_tools()
    old, new, failure = BROKEN_SPECS[broken]
    text = (KERNEL_DIR / "kernel.yaml").read_text()
    assert text.count(old) == 1, f"kernel.yaml no longer contains {old!r} once"
    spec = tmp_path / "broken.yaml"
    spec.write_text(text.replace(old, new))
    status, log = boot(tmp_path / "build", f"SPEC={spec}", glue="isrgen")
    assert status != SUCCESS_STATUS and SUCCESS_LINE not in log, log
    assert re.search(failure, log), f"expected a line matching {failure!r}\n--- log\n{log}"


def test_the_default_build_generates_the_glue_with_isrgen(tmp_path: Path) -> None:
    """Without GLUE=..., the Makefile runs isrgen on the spec (gas + c, with a depfile)."""
    require_tool("make")
    spec = tmp_path / "kernel.yaml"
    spec.write_text("isrgen: 1\n")
    dry = run(["make", "-n", "-C", str(KERNEL_DIR), f"BUILD={tmp_path / 'b'}", f"SPEC={spec}", "kernel"]).stdout
    m = re.search(r"-m isrgen build (\S+) -o (\S+) -b gas -b c --depfile (\S+)", dry)
    assert m, dry
    assert m.group(1) == str(spec) and m.group(2) == f"{tmp_path / 'b'}/gen" and m.group(3).endswith("/gen/isr.d")
    assert "standin/isr" not in dry, dry


@NOT_INTEGRATED
def test_build_regenerates_the_glue_from_the_spec(tmp_path: Path) -> None:
    require_kernel_tools()
    build = tmp_path / "regen"
    make(build, "kernel", glue="isrgen")
    generated = build / "gen" / "isr.S"
    assert "generated by isrgen" in generated.read_text().splitlines()[0]
    tracked = run(["git", "ls-files", "examples/kernel-aarch64"], cwd=ROOT).stdout.split()
    assert not [t for t in tracked if Path(t).name in {"isr.S", "isr.h"}], tracked
    depfile = (build / "gen" / "isr.d").read_text()
    assert "kernel.yaml" in depfile


@NOT_INTEGRATED
def test_isrgen_verify_accepts_the_kernel_and_rejects_the_misplaced_glue(tmp_path: Path) -> None:
    require_kernel_tools()
    spec = str(KERNEL_DIR / "kernel.yaml")
    make(tmp_path / "good", "kernel", glue="isrgen")
    run(isrgen_cmd("verify", "-s", spec, str(tmp_path / "good" / "kernel.elf")))
    make(tmp_path / "misplaced", "kernel", "MISPLACE_ISR=1", glue="isrgen")
    verify = run(isrgen_cmd("verify", "-s", spec, str(tmp_path / "misplaced" / "kernel.elf")), check=False)
    assert verify.returncode != 0 and "isr_vectors" in verify.stdout + verify.stderr, verify.stdout + verify.stderr
