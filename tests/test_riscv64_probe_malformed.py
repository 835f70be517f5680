"""Malformed riscv64 specs, by hand and generated: each one is refused with ``file:line:col:
error:`` on the line of the key that causes it (every problem at once), and through the CLI with
a non-zero exit, no traceback and nothing written.  The cases are what a probe of the package
found to slip through to an assembler, compiler or linker error before."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from riscv64_tools import ROOT, SPECS

from isrgen.arch.riscv64.resolve import load_riscv64_spec
from isrgen.arch.riscv64.symbol_names import symbol_reason
from isrgen.diagnostics import SpecError

BASE = SPECS[0].read_text()
XV6 = (ROOT / "specs" / "examples" / "riscv64_xv6_trampoline.yaml").read_text()
VECTORED = "mode: vectored\n  interrupts: {5: %s} #"


def _errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_riscv64_spec(text, "bad.yaml")
    return [d.headline() for d in info.value.diagnostics]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


#: (case, base, old, new, text on the line the error must point at, what the message says)
CASES = [
    # generated or called symbols that name two things (the assembler: "already defined";
    # the header: "conflicting types")
    ("entry is exit", BASE, 'exit: "{prefix}return"', 'exit: "{prefix}entry"', "exit:", "names both the entry"),
    (
        "handler is entry",
        BASE,
        "symbol: trap_handler ",
        "symbol: trap_entry ",
        "symbol: trap_entry",
        "names both the entry",
    ),
    (
        "syscall handler is handler",
        BASE,
        "handler: syscall_handler",
        "handler: trap_handler",
        "handler: trap_handler",
        "names both the handler",
    ),
    ("userret is entry", XV6, "userret: userret", "userret: uservec", "userret: uservec", "and userret"),
    ("kernel entry is entry", XV6, "symbol: kernelvec", "symbol: uservec", "symbol: uservec", "the kernel entry"),
    ("timer is entry", XV6, "symbol: timervec", "symbol: uservec", "symbol: uservec", "machine timer"),
    (
        "the same table twice",
        BASE,
        "args: [frame, cause]",
        "args: [frame, cause]\n  dispatch: {interrupts: 4, exceptions: 4, interrupt_table: t, exception_table: t}",
        "dispatch:",
        "names both the interrupt table",
    ),
    (
        "a slot jumps to the exit",
        BASE,
        "mode: direct ",
        VECTORED % "trap_return",
        "interrupts:",
        "a vector slot jumps to an entry point",
    ),
    ("the prover's own name", BASE, "symbol: trap_handler ", "symbol: isrgen_h ", "symbol: isrgen_h", "reserved"),
    # names the C header, C++ or Rust cannot take
    ("one struct twice", XV6, "struct: kernel_regs", "struct: trapframe", "    struct: trapframe", "both struct"),
    ("one Rust type twice", XV6, "struct: kernel_regs", "struct: trapframe_", "struct: trapframe_", "in Rust"),
    ("Self", BASE, 'struct: "{prefix}frame"', "struct: _self", "struct: _self", "'Self'"),
    ("the FP array's name", BASE, "orig_a0]", "orig_a0, {name: f, pad: 8}]", "orig_a0, {name: f,", "adds itself"),
    ("the tail's name", BASE, "orig_a0]", "orig_a0, {name: _isrgen_tail, pad: 8}]", "_isrgen_tail", "adds itself"),
    ("a pad named by a keyword", BASE, "orig_a0]", "orig_a0, {name: int, pad: 8}]", "{name: int", "C keyword"),
    (
        "a header macro",
        BASE,
        "orig_a0]",
        "orig_a0, {name: TRAP_TVEC_MODE, holds: pad}]",
        "TRAP_TVEC_MODE",
        "predefines",
    ),
    ("Rust's _", BASE, "orig_a0]", "orig_a0, {name: _, holds: pad}]", "{name: _,", "Rust"),
    ("a predefined macro's form", BASE, "symbol: trap_handler ", "symbol: _LP64 ", "symbol: _LP64", "_LP64"),
    ("a struct in C's reserved names", BASE, 'struct: "{prefix}frame"', "struct: _Frame", "struct: _Frame", "reserves"),
    ("a prefix with a dot", BASE, "prefix: trap_", "prefix: trap.", "prefix: trap.", "not the start of a C ident"),
    (
        "an index in a pattern",
        BASE,
        "symbol: trap_handler ",
        "symbol: '{prefix[0]}' ",
        "symbol: '{prefix[0]}'",
        "only {prefix} may be used",
    ),
    ("a register as a slot target", BASE, "mode: direct ", VECTORED % "a0", "interrupts:", "register name"),
    ("a keyword as a slot target", BASE, "mode: direct ", VECTORED % "int", "interrupts:", "C keyword"),
    ("a register as gp symbol", BASE, "gp_reload: true ", "gp_reload: sp ", "gp_reload: sp", "register name"),
    ("an empty gp symbol", BASE, "gp_reload: true ", "gp_reload: '' ", "gp_reload: ''", "not a symbol"),
    # sections with a meaning of their own
    ("code in .data", BASE, "code: .text.trap", "code: .data", "code: .data", "data flags"),
    ("code in .bss", BASE, "code: .text.trap", "code: .bss.trap", "code: .bss.trap", "data flags"),
    ("code in .eh_frame", BASE, "code: .text.trap", "code: .eh_frame", "code: .eh_frame", "unwinder"),
    ("code in a note", BASE, "code: .text.trap", "code: .note.GNU-stack", "code: .note", "notes"),
    ("code in .init", BASE, "code: .text.trap", "code: .init", "code: .init", "start-up"),
    ("code in debug info", BASE, "code: .text.trap", "code: .debug_info", "code: .debug_info", "debugger"),
    (
        "trampoline in .rodata",
        XV6,
        "section: trampsec",
        "section: .rodata\n  link_check: false",
        "section: .rodata",
        "data flags",
    ),
    (
        "trampoline in the code section",
        XV6,
        "section: trampsec",
        "section: .text.trap\n  link_check: false",
        "section: .text.trap",
        "a section of its own",
    ),
    # sizes, alignments, duplicates
    ("align past a page", BASE, "align: 4 ", "align: 8192 ", "align: 8192", "to 4096"),
    ("align not a power of two", BASE, "align: 4 ", "align: 12 ", "align: 12", "not a power of two"),
    ("a huge pad", BASE, "orig_a0]", "orig_a0, {pad: 100000000000}]", "layout: [ra", "at most 2048"),
    (
        "an empty dispatch table",
        BASE,
        "args: [frame, cause]",
        "args: [frame, cause]\n  dispatch: {interrupts: 0, exceptions: 4}",
        "dispatch:",
        "empty table",
    ),
    ("a status bit twice", BASE, "[SUM, FS, VS]", "[SUM, FS, SUM]", "clear_status: [SUM, FS, SUM]", "twice"),
    ("a restored register twice", BASE, "restore: [a0, a1,", "restore: [a0, a1, a0,", "restore: [a0, a1, a0", "twice"),
    ("a kept register twice", XV6, "no_restore: [tp]", "no_restore: [tp, tp]", "no_restore: [tp, tp]", "twice"),
    (
        "the kernel entry keeps sp",
        XV6,
        "no_restore: [tp]",
        "no_restore: [sp]",
        "no_restore: [sp]",
        "sp is always restored",
    ),
    (
        "userret without satp",
        XV6,
        "userret: userret",
        "userret: userret\n  userret_args: [frame]",
        "userret_args",
        "must name satp",
    ),
    (
        "userret args twice",
        XV6,
        "userret: userret",
        "userret: userret\n  userret_args: [satp, satp]",
        "userret_args",
        "must name satp once",
    ),
    # output files
    ("two backends, one file", BASE, "c: trap.h", "c: trap.S", "c: trap.S", "also written by backend 'gas'"),
    ("an empty file name", BASE, "c: trap.h", "c: ''", "c: ''", "names no file"),
    # privilege: CSRs of the other mode
    ("mepc in supervisor mode", BASE, "sepc, sstatus", "mepc, sstatus", "mepc, sstatus", "machine-mode CSR"),
    (
        "a supervisor frame in machine mode",
        BASE,
        "mode: supervisor",
        "mode: machine",
        "sepc, sstatus",
        "supervisor-mode CSR",
    ),
    ("an M-mode status bit", BASE, "[SUM, FS, VS]", "[SUM, MPRV]", "clear_status", "is not one of"),
    ("a trampoline in machine mode", XV6, "mode: supervisor", "mode: machine", "trampoline:", "supervisor mode"),
]


@pytest.mark.parametrize(("base", "old", "new", "needle", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_at_the_key(base: str, old: str, new: str, needle: str, message: str) -> None:
    assert old in base
    text = base.replace(old, new, 1)
    errors = _errors(text)
    line = _line_of(text, needle)
    assert any(e.startswith(f"bad.yaml:{line}:") and ": error: " in e and message in e for e in errors), errors


def test_every_error_at_once_through_the_cli(tmp_path: Path) -> None:
    """Several of the cases in one file: all reported, exit 1, no traceback, no output."""
    text = BASE
    picked = ["entry is exit", "code in .data", "a status bit twice", "two backends, one file", "align past a page"]
    for name in picked:
        _, base, old, new, _, _ = next(c for c in CASES if c[0] == name)
        assert base is BASE
        text = text.replace(old, new, 1)
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "isrgen", "build", str(spec), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
    located = [line for line in proc.stderr.splitlines() if line.startswith(f"{spec}:") and ": error: " in line]
    assert len(located) == len(picked), proc.stderr


#: GCC's predefined macros without trailing underscores on the ISAs here (``gcc -dM -E``), the
#: linker's section symbols, GCC built-ins: never a symbol; the names kernels do give their glue
#: (rCore-Tutorial's __alltraps/__restore, Linux's __switch_to) are
@pytest.mark.parametrize(
    "name",
    [
        "__linux",
        "__unix",
        "__riscv",
        "__riscv_xlen",
        "__x86_64",
        "__amd64",
        "__k8",
        "__INT8_C",
        "__GNUC__",
        "__stop_trampsec",
        "__start_trampsec",
        "__builtin_trap",
        "__int128",
        "__global_pointer",
        "__ELF__",
        "__attribute__",
    ],
)
def test_implementation_names_refused(name: str) -> None:
    assert symbol_reason(name, frozenset()) is not None


@pytest.mark.parametrize("name", ["__alltraps", "__restore", "__switch_to", "__trap_from_kernel"])
def test_kernel_names_in_the_implementation_namespace(name: str) -> None:
    assert symbol_reason(name, frozenset()) is None


def test_predefined_macros_of_the_compilers_are_refused() -> None:
    """Every macro riscv64-linux-gnu-gcc and the host gcc predefine is refused as a symbol."""
    from conftest import require_tool

    require_tool("riscv64-linux-gnu-gcc", "gcc")
    names: set[str] = set()
    for cc in ("riscv64-linux-gnu-gcc", "gcc"):
        out = subprocess.run([cc, "-dM", "-E", "-x", "c", "-"], input="", capture_output=True, text=True).stdout
        names |= {line.split()[1].split("(")[0] for line in out.splitlines() if line.startswith("#define")}
    accepted = sorted(n for n in names if symbol_reason(n, frozenset()) is None)
    assert not accepted


#: values of the wrong type at every key of the default spec: refused at that key
WRONG: list[object] = [None, 1.5, "x", [], {}, True]


def _scalar_keys(text: str) -> list[tuple[str, str]]:
    """(key line, key) for each 'key: value' line under a mapping (not list items)."""
    out = []
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        value = stripped.split(":", 1)[-1]
        if value.count("[") != value.count("]"):  # a flow list that goes on over the next lines
            continue
        if ":" in stripped and not stripped.lstrip().startswith("-") and not stripped.endswith(":"):
            key = stripped.split(":", 1)[0]
            if key.strip() and not key.strip().startswith(("[", "{")) and key.startswith((" ", "i", "a", "m")):
                out.append((line, key))
    return out


def test_wrong_types_everywhere() -> None:
    """Each scalar key of the default spec given each wrong-typed value (derandomized: all of
    them, in order): refused, and an error on that key's line."""
    checked = 0
    for (line, key), value in itertools.product(_scalar_keys(BASE), WRONG):
        spelled = "~" if value is None else "true" if value is True else repr(value) if value != [] else "[]"
        text = BASE.replace(line, f"{key}: {spelled}", 1)
        try:
            load_riscv64_spec(text, "bad.yaml")
        except SpecError as exc:
            n = _line_of(text, f"{key}: {spelled}")
            assert any(d.headline().startswith(f"bad.yaml:{n}:") for d in exc.diagnostics), (key, value, exc)
            checked += 1
            continue
        # accepted: the value was of a type the key takes (e.g. a string symbol name)
        was_list = line.split(":", 1)[1].strip().startswith("[")
        assert isinstance(value, (str, bool)) or (value == [] and was_list), (key, value)
    assert checked > 60
