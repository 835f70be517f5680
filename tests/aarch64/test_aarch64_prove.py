"""The aarch64 prover runs the real glue under unicorn for every slot and option, and
notices when one generated instruction is broken."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from a64_helpers import VARIANTS, assemble_spec, kernel_spec, read_obj, variant
from conftest import ROOT, require_module, require_tool

from isrgen.arch.aarch64.codegen import build_program
from isrgen.arch.aarch64.options import Aarch64Spec
from isrgen.arch.aarch64.prove import prove, prove_program
from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.arch.aarch64.toolchain import GNU_AS, GNU_LD
from isrgen.codegen.ir import Imm, Insn, Item, Label, Mem, Program, Reg, Section, Sym


def _tools() -> None:
    require_tool(GNU_AS, GNU_LD)
    require_module("unicorn")


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_proves(name: str) -> None:
    _tools()
    report = prove(variant(name), seed=1, rounds=2)
    assert report.cases >= 2 * 18
    assert report.ok, "\n".join(map(str, report.findings[:20]))


def test_kernel_spec_proves() -> None:
    _tools()
    report = prove(kernel_spec(), seed=2, rounds=3)
    assert report.ok, "\n".join(map(str, report.findings[:20]))
    lines = report.summary()
    assert lines[0] == f"aarch64 proof: {report.cases} cases, all promises hold"
    assert any(line.startswith("  slot 8 (el0_64_sync) svc: ") for line in lines)


# -- mutations: each breaks one generated instruction; the prover must say so -------------

Rewrite = Callable[[Insn], Insn | None]


def mutate(program: Program, match: Callable[[Insn], bool], rewrite: Rewrite, *, occurrence: int = 0) -> Program:
    """Replace (or drop, when ``rewrite`` gives None) the ``occurrence``-th instruction ``match`` selects."""
    seen = 0
    done = False
    sections = []
    for sec in program.sections:
        items: list[Item] = []
        for item in sec.items:
            if not done and isinstance(item, Insn) and match(item):
                if seen == occurrence:
                    done = True
                    new = rewrite(item)
                    if new is not None:
                        items.append(new)
                    continue
                seen += 1
            items.append(item)
        sections.append(attrs.evolve(sec, items=tuple(items)))
    assert done, "the mutation matched no instruction"
    return attrs.evolve(program, sections=tuple(Section(s.name, s.kind, s.align, s.items) for s in sections))


def op(name: str, *regs: str) -> Callable[[Insn], bool]:
    def match(i: Insn) -> bool:
        return i.op == name and all(Reg(r) in i.operands for r in regs)

    return match


def drop(_: Insn) -> None:
    return None


def bump_offset(i: Insn) -> Insn:
    return Insn(i.op, tuple(Mem(o.base, o.disp + 8) if isinstance(o, Mem) else o for o in i.operands))


def bump_imm(i: Insn) -> Insn:
    return Insn(i.op, tuple(Imm(o.value + 1) if isinstance(o, Imm) else o for o in i.operands))


def stores_to(disp: int) -> Callable[[Insn], bool]:
    return lambda i: i.op in ("stp", "str") and any(isinstance(o, Mem) and o.disp == disp for o in i.operands)


MUTATIONS: dict[str, tuple[str, Callable[[Insn], bool], Rewrite, int]] = {
    # (variant, which instruction, what to do with it, occurrence)
    "save of x2/x3 at the wrong offset": ("base", stores_to(16), bump_offset, 0),
    "x30 not saved": ("base", op("str", "x30"), drop, 0),
    "ELR not read": ("base", op("mrs", "x1", "elr_el1"), drop, 8),
    "SP_EL0 not saved": ("base", op("mrs", "x0", "sp_el0"), drop, 8),
    "wrong slot number": ("base", op("mov", "x5"), bump_imm, 5),
    "frame one word smaller": ("base", op("sub", "sp", "sp"), bump_imm, 3),
    "q registers not saved": ("base", op("stp", "q0", "q1"), drop, 9),
    "fpcr not restored": ("base", op("msr", "fpcr"), drop, 0),
    "SP_EL0 not restored": ("base", op("msr", "sp_el0", "x1"), drop, 0),
    "SPSR not restored": ("base", op("msr", "spsr_el1"), drop, 0),
    "EL1h stack rule inverted": ("base", op("b.eq"), lambda i: Insn("b.ne", i.operands), 1),
    "x0 of an EL1h frame not reloaded": ("base", op("ldr", "x0"), drop, 0),
    "SVC not recognised": ("base", op("cmp", "x0"), bump_imm, 0),
    "syscall exit leaks x19": ("base", op("mov", "x19", "xzr"), drop, 0),
    "syscall result not restored": ("base", op("ldr", "x0"), drop, 1),
    "halt keeps x7": ("base", op("mov", "x7", "xzr"), drop, 1),
    "exit does not mask DAIF before writing ELR/SPSR": ("base", op("msr", "daifset"), drop, 0),
    "halt does not mask DAIF": ("base", op("msr", "daifset"), drop, 1),
    "pad not zeroed": ("base", op("str", "xzr"), drop, 0),
    "stack top not taken from TPIDR_EL1": ("tpidr", op("mrs", "x0", "tpidr_el1"), drop, 0),
    "kernel SP_EL0 not loaded": ("kernel_task", op("msr", "sp_el0", "x0"), drop, 0),
    "frame record x29 not set": ("hardened", op("mov", "x29", "sp"), drop, 0),
    "in-frame record x29 not set": ("record_in_frame", op("add", "x29", "sp"), drop, 0),
    "in-frame record without elr": ("record_in_frame", op("mrs", "x0", "elr_el1"), drop, 0),
    "register x12 not cleared on EL0 entry": ("hardened", op("mov", "x12", "xzr"), drop, 0),
    "DAIF not unmasked": ("hardened", op("msr", "daifclr"), drop, 0),
    # (dropping the mask right after the handler is benign now: the exit masks DAIF before
    # it writes ELR/SPSR; "exit does not mask DAIF ..." covers that one)
    "kind argument wrong": ("args", op("mov", "x1"), bump_imm, 0),
    "esr argument missing": ("args", op("mrs", "x2", "esr_el1"), drop, 0),
    "linux slot prologue too small": ("linux", op("sub", "sp", "sp"), bump_imm, 0),
    "slot without FP/SIMD resumes through the full exit": (
        "irq_no_fpsimd",
        lambda i: i.op == "b" and i.operands == (Sym("isr_return_no_fpsimd"),),
        lambda i: Insn("b", (Sym("isr_return"),)),
        0,
    ),
}


@functools.cache
def baseline_ok(which: str) -> bool:
    spec = variant(which)
    return prove_program(spec, build_program(spec), seed=3, rounds=1).ok


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_is_noticed(name: str) -> None:
    _tools()
    which, match, rewrite, occurrence = MUTATIONS[name]
    spec: Aarch64Spec = variant(which)
    program = build_program(spec)
    assert baseline_ok(which)  # the unmutated program proves
    report = prove_program(spec, mutate(program, match, rewrite, occurrence=occurrence), seed=3, rounds=1)
    assert not report.ok, f"mutation '{name}' went unnoticed"


EXAMPLE_SPECS = sorted((ROOT / "specs" / "examples").glob("aarch64_*.yaml"))


@pytest.mark.parametrize("path", EXAMPLE_SPECS, ids=lambda p: p.name)
def test_example_convention_proves(path: Path) -> None:
    _tools()
    spec = load_aarch64_spec(path.read_text(), str(path))
    report = prove(spec, seed=4, rounds=2)
    assert report.ok, "\n".join(map(str, report.findings[:20]))


def test_exit_with_the_frame_in_sp_is_proven() -> None:
    """The teaching kernel's ``mov sp, x0; b trapret``: dropping the `mov` before it is harmless,
    misplacing the label after the first restore is not."""
    _tools()
    path = ROOT / "specs" / "examples" / "aarch64_teaching_trapframe.yaml"
    spec = load_aarch64_spec(path.read_text(), str(path))
    program = build_program(spec)
    sections = []
    for sec in program.sections:
        items = list(sec.items)
        for i, item in enumerate(items):
            if isinstance(item, Label) and item.name == "trapret":
                items.insert(i + 2, items.pop(i))  # one instruction later
                break
        sections.append(attrs.evolve(sec, items=tuple(items)))
    report = prove_program(spec, attrs.evolve(program, sections=tuple(sections)), seed=5, rounds=1)
    assert any("frame in sp" in f.case for f in report.findings), report.findings


def _exit_words(spec: Aarch64Spec, tmp: Path) -> list[int]:
    """The instruction words of the exit routine, as GNU as assembled them."""
    obj = read_obj(assemble_spec(spec, tmp, "gnu"))
    section, value, size, _, _ = obj.symbols[spec.symbols.exit]
    assert section is not None and size > 0
    code = obj.sections[section].data[value : value + size]
    return [int.from_bytes(code[i : i + 4], "little") for i in range(0, len(code), 4)]


def test_exit_masks_daif_before_it_writes_elr_and_spsr(tmp_path: Path) -> None:
    """The bytes of the exit routine: MSR DAIFSet, #0xF (Arm ARM C6.2.249, MSR (immediate):
    0xD503401F | CRm << 8 | op2 << 5 with op1 = 3, op2 = 6: 0xD5034FDF) comes before the
    first MSR ELR_EL1 (0xD5184020 | Rt, op0 = 3, op1 = 0, CRn = 4, CRm = 0, op2 = 1)."""
    _tools()
    spec = variant("base")
    words = _exit_words(spec, tmp_path)
    daifset = words.index(0xD5034FDF)
    elr = next(i for i, w in enumerate(words) if w & ~0x1F == 0xD5184020)
    assert daifset < elr
