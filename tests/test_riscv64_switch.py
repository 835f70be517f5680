"""kernel_switch with a syscall: block, an FP area and a vectored stvec, and machine-mode
system calls: proven under unicorn (the trampoline across a real Sv39 satp switch), with
mutations of the glue the proof must catch, and the trampoline's vector table read back
from the linked image and decoded by hand."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_module, require_tool
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from riscv64_tools import GNU_AS, LLVM_MC, ROOT, SPECS, assemble, assembly, load

from isrgen.arch.riscv64.emulate import EmulationError
from isrgen.arch.riscv64.facts import TvecMode
from isrgen.arch.riscv64.prove import ProofError, build_image, prove
from isrgen.arch.riscv64.resolve import load_riscv64_spec
from isrgen.diagnostics import SpecError

VECTORED = ROOT / "specs" / "examples" / "riscv64_switch_vectored_syscall.yaml"
EXAMPLE_KERNEL = ROOT / "examples" / "kernel-riscv64" / "kernel-trampoline.yaml"
SEL4 = next(s for s in SPECS if "sel4" in s.name)
BASE = SPECS[0].read_text()


def _tools() -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")


def _sel4_with_syscall_and_fp() -> str:
    text = SEL4.read_text()
    text = text.replace(
        "{name: trap_handler, holds: kernel_trap}]", "{name: trap_handler, holds: kernel_trap}]\n  fp: true"
    )
    return text.replace("kernel_entry:", "syscall:\n  restore: [a0, sp, s0]\n\nkernel_entry:")


#: what was only the kernel's job before: the proof sees the trapframe's FP area and the
#: system call's epc and zeroed registers through the glue alone
SWITCH_SPECS = {
    "vectored trampoline": VECTORED.read_text(),
    "example kernel trampoline": EXAMPLE_KERNEL.read_text(),
    "no trampoline (sscratch = frame)": _sel4_with_syscall_and_fp(),
    "no trampoline, vectored": _sel4_with_syscall_and_fp().replace("stack:\n", "vector:\n  mode: vectored\n\nstack:\n"),
}


KERNEL_FP = VECTORED.read_text().replace(
    "{name: epc, holds: sepc}, {name: status, holds: sstatus}]",
    "{name: epc, holds: sepc}, {name: status, holds: sstatus}]\n    fp: true",
)


def test_kernel_entry_fp_area_proven() -> None:
    """kernel_entry.frame.fp: the kernel entry saves f0-f31/fcsr on the kernel stack and
    restores them; without an fld the proof fails."""
    _tools()
    options = load_riscv64_spec(KERNEL_FP, "kernel_fp.yaml")
    assert options.kernel_entry is not None and options.kernel_entry.frame.fp is not None
    assert "exception 13 from S" in prove(options).cases
    glue = _nop_nth(assembly(options), r"    fld f7, \d+\(sp\)\n", 0, "")
    with pytest.raises(ProofError, match="f7 after the kernel entry's return"):
        prove(options, glue)


@pytest.mark.parametrize("name", sorted(SWITCH_SPECS))
def test_kernel_switch_syscall_and_fp_proven(name: str) -> None:
    _tools()
    options = load_riscv64_spec(SWITCH_SPECS[name], f"{name}.yaml")
    assert options.syscall is not None and options.frame.fp is not None
    assert (options.vector.mode is TvecMode.VECTORED) == ("vectored" in name or "vector:" in SWITCH_SPECS[name])
    report = prove(options)
    # 14 exceptions + the 3 supervisor interrupts, from U (the trampoline) and S (kernel entry)
    assert len(report.cases) >= 2 * (14 + 3)
    assert "exception 8 from U" in report.cases


def _nop_nth(text: str, pattern: str, n: int = 0, replacement: str = "    nop\n") -> str:
    """Replace the ``n``-th match of ``pattern`` (a nop keeps the trampoline's offsets)."""
    matches = list(re.finditer(pattern, text))
    assert len(matches) > n, f"{pattern!r} matched {len(matches)} times"
    m = matches[n]
    return text[: m.start()] + replacement + text[m.end() :]


#: (pattern, which match, replacement) per thing the trampoline must do
TRAMPOLINE_MUTATIONS = {
    "sepc += 4": (r"    addi t0, t0, 4\n", 0, "    nop\n"),
    "system-call zeroing": (r"    li a2, 0\n", 1, "    nop\n"),
    "the system-call test in userret": (r"    j \.Lsw_syscall_return\n", 0, "    nop\n"),
    "sp after a system call": (r"    ld sp, 72\(a0\)\n", 1, "    nop\n"),
    "an FP save": (r"    fsd f5, \d+\(a0\)\n", 0, "    nop\n"),
    "the fcsr save": (r"    csrr t0, fcsr\n", 0, "    nop\n"),
    "an FP restore": (r"    fld f5, \d+\(a0\)\n", 0, "    nop\n"),
    "the fcsr restore": (r"    csrw fcsr, t0\n", 0, "    nop\n"),
    "FS on before the saves": (r"    csrs sstatus, t0\n", 0, "    nop\n"),
    "FS on before the restores": (r"    csrs sstatus, t0\n", 1, "    nop\n"),
    "the supervisor timer slot": (r"    j uservec\n", 5, "    j userret\n"),
    "the satp switch": (r"    csrw satp, t1\n", 0, "    nop\n"),
}


@pytest.mark.parametrize("what", sorted(TRAMPOLINE_MUTATIONS))
def test_trampoline_mutations_are_caught(what: str) -> None:
    _tools()
    options = load(VECTORED)
    pattern, n, replacement = TRAMPOLINE_MUTATIONS[what]
    glue = _nop_nth(assembly(options), pattern, n, replacement)
    with pytest.raises((ProofError, EmulationError)):
        prove(options, glue)


def _jal_offset(word: int) -> int:
    """The offset of a JAL (unprivileged spec 2.5, J-type: imm[20|10:1|11|19:12], rd, 0x6f)."""
    assert word & 0x7F == 0x6F, f"{word:#010x} is not a JAL"
    imm = ((word >> 31) & 1) << 20 | ((word >> 21) & 0x3FF) << 1
    imm |= ((word >> 20) & 1) << 11 | ((word >> 12) & 0xFF) << 12
    return imm - (1 << 21) if imm & (1 << 20) else imm


def test_vector_table_in_the_trampoline_page() -> None:
    """Linked: the table is the first thing in the page, slot n at +4n is ``jal zero`` to the
    user entry (rd = x0, the offset pc-relative inside the page, so the alias works)."""
    _tools()
    options = load(VECTORED)
    image = build_image(options)
    syms = image.symbols
    start, table, entry = syms["sw_trampoline"], syms["uservec_table"], syms["uservec"]
    assert table == start and start % 4096 == 0
    data = next(d for addr, d, _ in image.segments if addr <= table < addr + len(d))
    base = next(addr for addr, d, _ in image.segments if addr <= table < addr + len(d))
    for n in range(options.vector.slots):
        word = int.from_bytes(data[table - base + 4 * n : table - base + 4 * n + 4], "little")
        assert (word >> 7) & 0x1F == 0, f"slot {n} links a register"
        assert table + 4 * n + _jal_offset(word) == entry, f"slot {n}"
    assert start <= syms["userret"] < start + 4096


@pytest.mark.parametrize("tool", [GNU_AS, LLVM_MC], ids=["gnu", "llvm"])
def test_trampoline_refers_to_nothing_outside_it(tool: list[str], tmp_path: Path) -> None:
    """Every relocation in the trampoline section names a symbol defined in that section,
    except the link-time page check's (never executed) reference to ``__stop_trampsec``."""
    require_tool(tool[0])
    obj = assemble(assembly(load(VECTORED)), tmp_path / "t.o", tool)
    elf = ELFFile(obj.open("rb"))
    tramp = next(i for i, s in enumerate(elf.iter_sections()) if s.name == "trampsec")
    symtab = elf.get_section_by_name(".symtab")
    outside = set()
    for rel in elf.iter_sections():
        if isinstance(rel, RelocationSection) and rel["sh_info"] == tramp:
            for r in rel.iter_relocations():
                sym = symtab.get_symbol(r["r_info_sym"])  # type: ignore[union-attr]
                if sym.name and sym["st_shndx"] != tramp:
                    outside.add(sym.name)
    assert outside <= {"__stop_trampsec"}, outside
    elf.stream.close()


def test_example_kernel_trampoline_code_is_gone() -> None:
    """The example kernel's trampoline variant leaves FP saving, the ecall skip and the
    register zeroing to the glue."""
    kernel = ROOT / "examples" / "kernel-riscv64"
    code = "".join((kernel / name).read_text() for name in ("trap_trampoline.c", "kernel.h", "start.S"))
    for gone in ("fp_save", "fp_restore", "SYSCALL_ZERO", "epc += 4"):
        assert gone not in code, gone


# --- machine mode: ecall from U (mcause 8) and from S (mcause 9) ---------------------

MACHINE = BASE.replace("mode: supervisor ", "mode: machine #").replace(
    "sepc, sstatus, stval, scause", "mepc, mstatus, mtval, mcause"
)


def test_machine_mode_system_calls_proven() -> None:
    """An M-mode entry (SBI-like): ecall from U and S resume at mepc + 4 with the restore list
    and zeros, through mret; every other cause from U, S and M restores everything."""
    _tools()
    report = prove(load_riscv64_spec(MACHINE, "machine.yaml"))
    assert {"exception 8 from U", "exception 9 from S", "exception 11 from M"} <= set(report.cases)
    assert len(report.cases) == 3 * (14 + 3)


MACHINE_MUTATIONS = {
    "mepc += 4": (r"    addi t0, t0, 4\n", ""),
    "system-call zeroing": (r"    li a2, 0\n", ""),
    "the ecall cause range": (r"    bgeu t0, t1, \.Ltrap_not_syscall\n", ""),
    # MPP's low bit (S = 1) instead of its top bit (M = 3): a trap from S would look like M's own
    "S-mode as a lower privilege": (r"    srli t0, t1, 12\n", "    srli t0, t1, 11\n"),
    "re-arming mscratch": (r"    csrw mscratch, t0\n", ""),
}


@pytest.mark.parametrize("what", sorted(MACHINE_MUTATIONS))
def test_machine_mode_mutations_are_caught(what: str) -> None:
    _tools()
    options = load_riscv64_spec(MACHINE, "machine.yaml")
    pattern, replacement = MACHINE_MUTATIONS[what]
    glue, n = re.subn(pattern, replacement, assembly(options))
    assert n, f"the mutation of {what} matched nothing"
    with pytest.raises((ProofError, EmulationError)):
        prove(options, glue)


# --- rejected specs, each at its key ---------------------------------------------------


def _errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_riscv64_spec(text, "bad.yaml")
    return [d.headline() for d in info.value.diagnostics]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("spec", "old", "new", "needle", "message"),
    [
        (
            VECTORED,
            "syscall:\n",
            "syscall:\n  handler: do_syscall\n",
            "handler: do_syscall",
            "reaches the frame's kernel_trap",
        ),
        (VECTORED, "{name: cause, holds: scause}, ", "", "syscall:", "needs scause in the frame"),
        (
            VECTORED,
            "  slots: 16\n",
            "  slots: 16\n  interrupts: {5: timer}\n",
            "interrupts: {5",
            "every slot jumps to the user entry",
        ),
        (SPECS[0], "  handler: syscall_handler\n", "", "syscall:", "needs a handler"),
    ],
)
def test_rejected(spec: Path, old: str, new: str, needle: str, message: str) -> None:
    text = spec.read_text()
    assert old in text
    text = text.replace(old, new)
    errors = _errors(text)
    line = _line_of(text, needle)
    assert any(e.startswith(f"bad.yaml:{line}:") and message in e for e in errors), errors


def test_rejected_by_the_cli(tmp_path: Path) -> None:
    """From the command line: located error, non-zero exit, no traceback, nothing written."""
    text = VECTORED.read_text().replace("syscall:\n", "syscall:\n  handler: do_syscall\n")
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    proc = subprocess.run(
        ["python3", "-m", "isrgen", "build", str(spec), "-o", str(out)], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode != 0
    assert f"bad.yaml:{_line_of(text, 'handler: do_syscall')}:" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
