"""riscv64 glue under unicorn: every cause from U-mode and from the kernel, every frame field,
the return; and mutations of the glue that the proof must catch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import require_module, require_tool
from riscv64_tools import SPECS, assembly, load

from isrgen.arch.riscv64.emulate import EmulationError
from isrgen.arch.riscv64.prove import ProofError, prove
from isrgen.arch.riscv64.resolve import load_riscv64_spec

BASE = SPECS[0].read_text()


def _variant(**replacements: str) -> str:
    text = BASE
    for old, new in replacements.items():
        old = old.replace("__", " ")
        assert old in text, old
        text = text.replace(old, new)
    return text


VARIANTS = {
    "default": BASE,
    "vectored": BASE.replace("  mode: direct ", "  mode: vectored\n  interrupts: {5: timer_entry}\n  #").replace(
        "  align: 4 ", "  align: 64 "
    ),
    "fp_and_frame_return": BASE.replace("  fp: false ", "  fp: true #").replace(
        "  returns: void ", "  returns: frame #"
    ),
    "noreturn_no_hardening": BASE.replace("  returns: void ", "  returns: noreturn #")
    .replace("clear_registers: true", "clear_registers: false")
    .replace("gp_reload: true", "gp_reload: false")
    .replace("clear_status: [SUM, FS, VS]", "clear_status: []")
    .replace("clear_reservation: true", "clear_reservation: false"),
    "tp_not_restored": BASE.replace("  cfi: true ", "  no_restore: [tp]\n  cfi: true "),
    "compressed": BASE.replace("compressed: false", "compressed: true"),
    "machine_mode": re.sub(r"syscall:\n(  .*\n)+", "", BASE.replace("mode: supervisor ", "mode: machine #")).replace(
        "sepc, sstatus, stval, scause", "mepc, mstatus, mtval, mcause"
    ),
    # an SBI-like firmware: ecall from U (mcause 8) and from S (mcause 9) are system calls
    "machine_mode_syscall": BASE.replace("mode: supervisor ", "mode: machine #").replace(
        "sepc, sstatus, stval, scause", "mepc, mstatus, mtval, mcause"
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_prove_variants(name: str) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    report = prove(load_riscv64_spec(VARIANTS[name], f"{name}.yaml"))
    machine = name.startswith("machine_mode")
    # 14 exceptions + 3 interrupts of the mode, from U and S (and M, for an M-mode entry)
    # (priv 4.1.9 / 3.1.15)
    assert len(report.cases) == (3 if machine else 2) * (14 + 3)
    assert ("exception 8 from U" in report.cases) and (("from M" in report.cases[-1]) == machine)


@pytest.mark.parametrize("spec", [s for s in SPECS if "trampoline" not in s.name], ids=lambda p: p.stem)
def test_prove_example_specs(spec: Path) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    assert prove(load(spec)).cases


#: (what is removed from the generated glue, a regex over its lines) per option it breaks
MUTATIONS = {
    "a register save": r"    sd s5, \d+\(sp\)\n",
    "a register restore": r"    ld s5, \d+\(sp\)\n",
    "the reservation clear": r"    sc\.d zero, t0, .*\n",
    "the sstatus clearing": r"    csrc sstatus, t0\n",
    "sepc += 4": r"    addi t0, t0, 4\n",
    "re-arming sscratch": r"    csrw sscratch, t0\n",
    "the gp reload": r"    lla gp, .*\n",
    "register clearing": r"    li t3, 0\n",
    "system-call zeroing": r"    li a2, 0\n",
    "the scause save": r"    csrr t0, scause\n    sd t0, \d+\(sp\)\n",
    "the sepc restore": r"    csrw sepc, t0\n",
    "the frame argument": r"    mv a0, sp\n(?=    csrr a1)",
}


@pytest.mark.parametrize("what", sorted(MUTATIONS))
def test_mutations_are_caught(what: str) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    options = load(SPECS[0])
    glue, n = re.subn(MUTATIONS[what], "", assembly(options))
    assert n, f"the mutation of {what} matched nothing"
    with pytest.raises((ProofError, EmulationError)):
        prove(options, glue)


TRAMPOLINE = next(s for s in SPECS if "xv6_trampoline" in s.name)


def test_prove_trampoline_across_sv39() -> None:
    """xv6-like: U-mode traps through the trampoline with a real satp switch, S-mode traps
    through the kernel entry with paging on."""
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    report = prove(load(TRAMPOLINE))
    assert len(report.cases) == 2 * (14 + 3) + 2  # + xv6's timervec from U and S


TRAMPOLINE_MUTATIONS = {
    "the satp switch": r"    csrw satp, t1\n",
    "a save into the trapframe": r"    sd s5, \d+\(a0\)\n",
    "a restore in userret": r"    ld s5, \d+\(a0\)\n",
    "the jump to the handler": r"    jr t0\n",
    "the user a0 save": r"    csrr t0, sscratch\n",
    "the kernel sp load": r"    ld sp, 8\(a0\)\n",
    "a kernel-entry restore": r"    ld s5, \d+\(sp\)\n",
    "the userret satp switch": r"    csrw satp, a0\n",
}


@pytest.mark.parametrize("what", sorted(TRAMPOLINE_MUTATIONS))
def test_trampoline_mutations_are_caught(what: str) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    options = load(TRAMPOLINE)
    # a nop in place of the instruction: the page check's offsets stay right
    glue, n = re.subn(TRAMPOLINE_MUTATIONS[what], "    nop\n", assembly(options))
    assert n, f"the mutation of {what} matched nothing"
    with pytest.raises((ProofError, EmulationError)):
        prove(options, glue)


DISPATCH = BASE.replace("  args: [frame, cause]", "  args: [frame, cause]\n  dispatch: {interrupts: 6, exceptions: 13}")


def test_prove_table_dispatch() -> None:
    """Interrupt causes 0-5 and exception causes 0-12 reach their table entries; 9 (SEI),
    13 and 15 are past the tables and reach the handler (the bounds check)."""
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    assert len(prove(load_riscv64_spec(DISPATCH, "dispatch.yaml")).cases) == 34


@pytest.mark.parametrize("what", ["the bounds check", "the interrupt bit strip"])
def test_dispatch_mutations_are_caught(what: str) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    options = load_riscv64_spec(DISPATCH, "dispatch.yaml")
    pattern = {"the bounds check": r"    bgeu t0, t1, .*\n", "the interrupt bit strip": r"    srli t0, t0, 1\n"}[what]
    glue, n = re.subn(pattern, "", assembly(options))
    assert n
    with pytest.raises((ProofError, EmulationError)):
        prove(options, glue)


TIMER = BASE.replace("outputs:", "machine_timer: {forward: ssip}\n\noutputs:")


def test_prove_machine_timer_forwarding() -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    report = prove(load_riscv64_spec(TIMER, "timer.yaml"))
    assert [c for c in report.cases if "machine timer" in c] == [
        "interrupt 7 from U (machine timer)",
        "interrupt 7 from S (machine timer)",
    ]


@pytest.mark.parametrize(
    "pattern",
    [r"    csrs sip, a1\n", r"    sd a3, 0\(a1\)\n", r"    ld a2, 8\(a0\)\n", r"    csrrw a0, mscratch, a0\n    mret"],
)
def test_machine_timer_mutations_are_caught(pattern: str) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    options = load_riscv64_spec(TIMER, "timer.yaml")
    glue, n = re.subn(pattern, "    mret" if "mret" in pattern else "", assembly(options))
    assert n
    with pytest.raises((ProofError, EmulationError)):
        prove(options, glue)


SEL4 = next(s for s in SPECS if "sel4" in s.name)


@pytest.mark.parametrize(
    "pattern",
    [r"    csrw sscratch, a0\n", r"    csrrw a0, sscratch, a0\n", r"    ld tp, \d+\(a0\)\n", r"    sd t0, 72\(a0\)\n"],
)
def test_scratch_frame_mutations_are_caught(pattern: str) -> None:
    """seL4-like (sscratch = the thread's frame): re-arming sscratch, finding the frame, loading
    the hart id, saving the user a0."""
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    options = load(SEL4)
    glue, n = re.subn(pattern, "", assembly(options))
    assert n
    with pytest.raises((ProofError, EmulationError)):
        prove(options, glue)


def test_path_costs_against_the_minimum() -> None:
    """Each path's instruction count against the least any entry could do for this frame:
    one store per slot, one read per trap CSR, the frame allocation, the call (auipc + jalr)
    and its two arguments; on the way out one load per register, ld + csrw for sepc and
    sstatus, and sret.  The default spec's extras (scratch swap and test, sstatus clearing,
    reservation clear, re-arming sscratch) stay within a dozen instructions per path; from
    U-mode the entry also zeroes 28 registers, reloads gp (2) and tests for ecall (3)."""
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    options = load(SPECS[0])
    slots = len(options.frame.slots)  # 31 registers, 4 CSRs, orig_a0
    csrs = 4
    entry_min = slots + csrs + 1 + 2 + 2
    exit_min = 31 + 2 * 2 + 1
    report = prove(options)
    assert len(report.costs) == len(report.cases) == 34
    for cost in report.costs:
        user_extras = 28 + 2 + 3 if cost.case.endswith("from U") else 0
        if cost.case == "exception 8 from U":
            continue  # the system call path: checked below
        assert entry_min <= cost.entry <= entry_min + 12 + user_extras, cost
        assert exit_min <= cost.exit <= exit_min + 12, cost
    syscall = next(c for c in report.costs if c.case == "exception 8 from U")
    # + sepc += 4 (3); the exit zeroes instead of loading, same count
    assert syscall.entry <= entry_min + 12 + 28 + 2 + 3 + 3 and syscall.exit <= exit_min + 12, syscall


#: an FP frame on the kernel stack: what a mutation removes from the glue
FP_MUTATIONS = {
    "FS on before the saves": r"    lui t0, 2\n    csrs sstatus, t0\n(?=    fsd)",
    "an FP save": r"    fsd f9, \d+\(sp\)\n",
    "the fcsr save": r"    csrr t0, fcsr\n",
    "an FP restore": r"    fld f9, \d+\(sp\)\n",
    "the fcsr restore": r"    csrw fcsr, t0\n",
}


@pytest.mark.parametrize("what", sorted(FP_MUTATIONS))
def test_fp_mutations_are_caught(what: str) -> None:
    """frame.fp on a stack protocol: the user's sstatus.FS takes every state (Off included),
    the handler changes the FP registers and fcsr; each save and restore shows."""
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    options = load_riscv64_spec(VARIANTS["fp_and_frame_return"], "fp.yaml")
    assert options.frame.fp is not None
    glue, n = re.subn(FP_MUTATIONS[what], "", assembly(options))
    assert n, f"the mutation of {what} matched nothing"
    with pytest.raises((ProofError, EmulationError)):
        prove(options, glue)
