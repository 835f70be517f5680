"""The arch-neutral core prints and decides no x86 fact: the words and spec fields only x86
has (the IDT, XSAVE, IA32_STAR, swapgs, the GS-relative per-CPU words, the gate attributes
IST/DPL, the paranoid entries, the IRQ stack, pushad, sysret, iret) appear nowhere in the core's folders, code,
comments and templates alike, except on the few lines listed below with the reason.  The
x86 package hands the core what it prints (:class:`isrgen.arch.isa.Isa` members), and an
ISA object saying other words makes the outputs say them.

Expected values: Intel SDM Vol. 2B SYSRET (SS = IA32_STAR[63:48] + 8, CS = + 16), SDM
Vol. 3A 2.5 (CR4.FSGSBASE is bit 16), SDM Vol. 1 13.4 (an XSAVE area is 64-byte aligned)."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, SPECS, load_x86, loads_x86

from isrgen.arch import get_isa
from isrgen.arch.isa import Isa, IsaWording
from isrgen.arch.x86.facts import X86_64
from isrgen.arch.x86.isa import X86_64_ISA, X86Isa
from isrgen.backends.base import GenerationContext
from isrgen.backends.c_header import c_header_view
from isrgen.backends.rust import rust_view
from isrgen.backends.templating import render_template
from isrgen.model.spec import Spec

#: the core's folders: everything there must hold for every ISA
CORE_DIRS = ("backends", "codegen", "output", "report", "proof", "cli")

#: x86-only words and spec-model fields, each with a pattern that does not catch a longer
#: word (``WIDTH``, ``START``, ``ARGS_``) or a neutral member (``spec.symbols.gates``,
#: the ISA's own ``isa.simd_area_alignment``)
X86_WORDS = {
    "IDT": r"(?<![A-Za-z])IDT(?![A-Za-z])",
    "XSAVE": r"XSAVE",
    "FXSAVE": r"FXSAVE",
    "STAR": r"(?<![A-Za-z])STAR(?![A-Za-z])",
    "swapgs": r"(?i:swapgs)",
    "GS_": r"(?<![A-Za-z])GS_",
    ".simd": r"\.simd(?:_inline)?\b",
    ".syscall": r"\.syscall\b",
    ".ist": r"\.ist\b",
    ".gate": r"\.gate\b",
    ".dpl": r"\.dpl\b",
    ".paranoid": r"\.paranoid\w*",
    "irq_stack": r"irq_stack",
    "gs_slots": r"gs_slots",
    "percpu_constants": r"percpu_constants",
    "pushad": r"(?i:\b(?:pusha|popa)[dl]?\b)",
    "sysret": r"(?i:\bsysret[lq]?\b)",
    "iret": r"(?i:\biret[dq]?\b)",
}
_PATTERN = re.compile("|".join(f"(?:{p})" for p in X86_WORDS.values()))

_VERIFY_IDT = (
    "the x86-only `verify --idt` option: its help says what it checks; the check itself is "
    "the ISA's (Isa.verify_table_image, isrgen/arch/x86/verify_idt.py)"
)
_STARTER = "the starter spec `isrgen init` writes is an x86_64 spec: its comments explain x86 keys"

#: (file, line with surrounding blanks stripped) -> why the core may say it
ALLOWED = {
    (
        "isrgen/cli/__init__.py",
        '@click.option("--idt", "idt", metavar="SYMBOL", help="Also check this statically initialised IDT image, '
        'gate by gate.")',
    ): _VERIFY_IDT,
    ("isrgen/cli/__init__.py", 'IDT image (offset, type, DPL, IST per gate). Exit 0 only if all hold."""'): _VERIFY_IDT,
    (
        "isrgen/cli/templates/init/isr.yaml",
        '# table: "{prefix}table"      # the stub addresses, for the code that fills the IDT',
    ): _STARTER,
    (
        "isrgen/cli/templates/init/isr.yaml",
        "#   swapgs: true                # conditional swapgs + lfence for ring-3 interrupts",
    ): _STARTER,
    (
        "isrgen/cli/templates/init/isr.yaml",
        "c: isr.h                      # struct isr_frame, vector numbers, IDT gate attributes",
    ): _STARTER,
}


def x86_words(line: str) -> list[str]:
    """The x86-only words and fields ``line`` holds."""
    return [m.group(0) for m in _PATTERN.finditer(line)]


def _core_lines() -> list[tuple[str, int, str]]:
    """Every text line of the core's folders: (file relative to the root, line number, line)."""
    lines = []
    for folder in CORE_DIRS:
        for path in sorted((ROOT / "isrgen" / folder).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            rel = path.relative_to(ROOT).as_posix()
            lines += [(rel, n, line) for n, line in enumerate(text.splitlines(), 1)]
    return lines


def test_the_scan_reads_code_and_templates() -> None:
    files = {rel for rel, _, _ in _core_lines()}
    assert "isrgen/backends/c_header.py" in files
    assert "isrgen/backends/templates/c_header.h.tmpl" in files
    assert "isrgen/backends/templates/rust.rs.tmpl" in files
    assert "isrgen/cli/templates/init/isr.yaml" in files


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ('"isrgen: IDT gate size"', ["IDT"]),
        ("struct isr_idt_gate  /* the gate */", []),
        ("SIMD save area (XSAVE/FXSAVE image)", ["XSAVE", "FXSAVE"]),
        ('f"{mp}STAR_SYSRET_BASE"', ["STAR"]),
        ("IA32_STAR bits 63:48", ["STAR"]),
        ("START, WIDTH, ARGS_", []),
        ("# conditional SWAPGS", ["SWAPGS"]),
        ('f"GS_{name}"', ["GS_"]),
        ("PARANOID_GS_METHOD", ["GS_"]),
        ("if spec.simd.xsave_mask and g.simd is not None", [".simd", ".simd"]),
        ('"C, align(64)" if spec.frame.simd_inline else "C"', [".simd_inline"]),
        ("isa.simd_area_alignment", []),
        ("if spec.syscall is not None:", [".syscall"]),
        ("v.ist, v.gate, v.dpl", [".ist", ".gate", ".dpl"]),
        ("gates=spec.symbols.gates, v.gates_x", []),
        ("spec.paranoid_gs.reads_gs_base or v.paranoid", [".paranoid_gs", ".paranoid"]),
        ("spec.irq_stack, spec.gs_slots(), percpu_constants(spec)", ["irq_stack", "gs_slots", "percpu_constants"]),
        ('f.block == "pushal": pushad found; popad skips it', ["pushal", "pushad", "popad"]),
        ("SYSRET loads SS, sysretq and iretq return", ["SYSRET", "sysretq", "iretq"]),
        ("pushable, irregular, sysreturn", []),
    ],
)
def test_the_scan_finds_each_word(line: str, found: list[str]) -> None:
    assert x86_words(line) == found


def test_the_core_says_no_x86_word() -> None:
    hits = [
        f"{rel}:{n}: {words}: {line.strip()}"
        for rel, n, line in _core_lines()
        if (words := x86_words(line)) and (rel, line.strip()) not in ALLOWED
    ]
    assert not hits, "x86 facts in the core (ask the ISA object instead):\n" + "\n".join(hits)


def test_every_allowed_line_is_still_there() -> None:
    present = {(rel, line.strip()) for rel, _, line in _core_lines() if x86_words(line)}
    stale = sorted(key for key in ALLOWED if key not in present)
    assert not stale, f"allow-list entries no longer needed: {stale}"


SPEC = """\
isrgen: 1
arch: x86_64
symbols: {prefix: k_}
handler: {symbol: k_dispatch}
frame:
  layout: [simd_area, pad, r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, vector, error_code]
entry: {swapgs: true}
simd: {xsave_mask: 0x3}
syscall: {handler: k_syscall, user_ss: 0x2b, user_cs: 0x33}
paranoid_gs: {method: lsl, offsets: kernel_percpu_offset, cpunode_selector: 0xe3}
vectors:
  - {vector: 2, name: nmi, paranoid: true, ist: 2}
  - {range: [32, 47], name: "irq_{n}", class: irq, simd: xsave}
"""


def _spec() -> Spec:
    return loads_x86(SPEC)


def test_x86_exports_the_manuals_values() -> None:
    constants = {c.name: c for c in X86_64_ISA.exported_constants(_spec())}
    # SDM Vol. 2B SYSRET: SS = base + 8 = 0x2b and CS = base + 16 = 0x33
    assert constants["STAR_SYSRET_BASE"].c_value == "0x23"
    # SDM Vol. 3A 2.5: CR4.FSGSBASE is bit 16
    assert constants["CR4_FSGSBASE"].c_value == "0x10000"
    assert constants["XSAVE_MASK"].c_value == "0x3ULL"
    # the syscall marker fills the 64-bit vector slot: -1 is all ones
    assert (constants["SYSCALL_MARKER"].rust_type, constants["SYSCALL_MARKER"].rust_value) == (
        "u64",
        "0xffffffffffffffff",
    )
    # the C header alone has the XSAVE mask and the IA32_STAR base
    assert not constants["XSAVE_MASK"].rust_type and not constants["STAR_SYSRET_BASE"].rust_type
    assert X86_64_ISA.simd_area_alignment == 64  # SDM Vol. 1 13.4
    assert [c.key for c in X86_64_ISA.vector_columns] == ["ist", "gate", "dpl"]


@pytest.mark.parametrize("name", ["x86_64", "i386"])
def test_both_x86_modes_answer_the_new_questions(name: str) -> None:
    isa = get_isa(name)
    assert isa is not None
    spec = load_x86(SPECS / f"{name}.yaml")
    assert isa.wording.table == "IDT" and isa.simd_area_alignment == 64
    constants = isa.exported_constants(spec)
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", c.name) for c in constants)
    # every generated per-vector array the ISA adds has one entry per IDT vector (SDM Vol. 3A 6.2: 256)
    arrays = isa.interface_arrays(spec)
    assert arrays and all(a.count == 256 for a in arrays if a.count)
    cells = isa.vector_cells(spec, spec.vectors[0])
    assert len(cells) == len(isa.vector_columns) == 3
    assert cells[1].value in {"interrupt", "trap"}


def test_the_outputs_print_what_the_isa_exports() -> None:
    ctx = GenerationContext.from_spec(_spec())
    header = render_template("c_header.h.tmpl", view=c_header_view(ctx, "isr.h"))
    module = render_template("rust.rs.tmpl", view=rust_view(ctx))
    exported = X86_64_ISA.exported_constants(ctx.spec)
    for c in exported:
        assert (f"#define K_{c.name} {c.c_value}" in header) == bool(c.c_value), c.name
        assert (f"pub const {c.name}: {c.rust_type} = {c.rust_value};" in module) == bool(c.rust_type), c.name
    assert {c.name for c in exported} >= {"XSAVE_MASK", "STAR_SYSRET_BASE", "GS_KERNEL_STACK", "PARANOID_GS_METHOD"}


class _RenamedContext(GenerationContext):
    """A build context whose ISA is x86_64 with other words and another SIMD-area alignment."""

    @property
    def isa(self) -> Isa:
        isa = X86Isa(X86_64, rust=X86_64_ISA.rust, gdb=X86_64_ISA.gdb, elf_machine="EM_X86_64")
        isa.wording = IsaWording("VECTAB", "saved vector state", "entries: everything", "narrow value")
        isa.simd_area_alignment = 128
        return isa


def test_the_backends_take_their_words_from_the_isa() -> None:
    spec = load_x86(SPECS / "examples" / "simd_in_frame.yaml")
    plain = GenerationContext.from_spec(spec)
    ctx = _RenamedContext(plain.spec, plain.layout, plain.program, plain.groups)
    header = render_template("c_header.h.tmpl", view=c_header_view(ctx, "isr.h"))
    module = render_template("rust.rs.tmpl", view=rust_view(ctx))
    assert '"isrgen: VECTAB gate size"' in header and "ISR_ALIGNAS(128) uint8_t" in header
    assert "/* saved vector state */" in header
    assert "/// Number of VECTAB vectors." in module and "#[repr(C, align(128))]" in module
    assert "/// saved vector state." in module
    assert "XSAVE/FXSAVE" not in header + module
    # the real ISA says the manuals' words
    real = get_isa("x86_64")
    assert real is not None and real.wording.table == "IDT"
