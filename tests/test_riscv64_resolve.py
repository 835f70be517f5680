"""riscv64 specs: every problem reported at once, each at the file:line:col that causes it."""

from __future__ import annotations

import pytest
from riscv64_tools import SPECS, load

from isrgen.arch.riscv64.facts import Mode, TvecMode
from isrgen.arch.riscv64.options import Returns, Role, StackProtocol
from isrgen.arch.riscv64.resolve import load_riscv64_spec
from isrgen.diagnostics import SpecError

BASE = SPECS[0].read_text()


def _errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_riscv64_spec(text, "bad.yaml")
    return [d.headline() for d in info.value.diagnostics]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_specs_load() -> None:
    default = load(SPECS[0])
    assert default.mode is Mode.SUPERVISOR and default.vector.mode is TvecMode.DIRECT
    assert default.protocol is StackProtocol.SCRATCH_SP
    # 31 registers + sepc, sstatus, stval, scause, orig_a0 = 36 slots = 288 bytes (16-aligned)
    assert default.frame.size == 288
    assert default.frame.slot_of_role(Role.EPC) is not None
    assert default.handler.args == ("frame", "cause") and default.handler.returns is Returns.VOID
    linux = load(next(s for s in SPECS if "linux" in s.name))
    assert linux.tp_offsets is not None and (linux.tp_offsets.kernel_sp, linux.tp_offsets.user_sp) == (16, 24)
    epc = linux.frame.slot_of_role(Role.EPC)
    assert epc is not None and (epc.name, epc.offset) == ("epc", 0)
    xv6 = load(next(s for s in SPECS if "xv6" in s.name))
    assert xv6.trampoline is not None and xv6.trampoline.address == 0x3FFFFFF000
    assert xv6.kernel_entry is not None and xv6.kernel_entry.frame.size == 256
    assert xv6.kernel_entry.no_restore == ("tp",)


def test_all_errors_at_once_with_locations() -> None:
    text = (
        BASE.replace("  protocol: scratch_sp", "  protocol: scratch_sp\n  kernel_sp_offset: 8")
        .replace("  returns: void ", "  returns: sometimes #")
        .replace("  align: 4 ", "  align: 6 ")
        .replace("sepc, sstatus", "mepc, sstatus")
        .replace("  clear_registers: true", "  clear_registers: true\n  swapgs: true")
    )
    errors = _errors(text)
    expected = [
        (_line_of(text, "align: 6"), "not a power of two"),
        (_line_of(text, "kernel_sp_offset: 8"), "belongs to the thread_pointer protocol"),
        (_line_of(text, "mepc, sstatus"), "'mepc' is a machine-mode CSR"),
        (_line_of(text, "returns: sometimes"), "'sometimes' is not one of"),
        (_line_of(text, "swapgs"), "unknown key 'swapgs'"),
    ]
    for line, message in expected:
        assert any(e.startswith(f"bad.yaml:{line}:") and message in e for e in errors), (line, message, errors)
    # the schema error points at the value, the unknown key at the key (column 3)
    assert any(e.startswith(f"bad.yaml:{_line_of(text, 'swapgs')}:3: error:") for e in errors)


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("s10, s11, t3", "s10, t3", "layout: [ra", "missing: s11"),
        ("a1, a2, a3", "a1, a1, a3", "layout: [ra", "'a1' is saved twice"),
        ("  fp: false ", "  size: 100 #", "size: 100", "smaller than the 288 bytes"),
        ("  fp: false ", "  size: 296 #", "size: 296", "not a multiple of 16"),
        ("restore: [a0, a1,", "restore: [a0, f1,", "restore:", "is not one of"),
        ("  mode: direct ", "  mode: direct\n  interrupts: {5: t}\n  #", "interrupts: {5", "mode: vectored"),
        ("  protocol: scratch_sp", "  protocol: kernel_switch", "protocol: kernel_switch", "needs a kernel_entry"),
        ("gp_reload: true", "gp_reload: 'not a symbol'", "gp_reload", "is not a symbol"),
        ('  entry: "{prefix}entry"', '  entry: "{vector}entry"', "{vector}entry", "only {prefix}"),
    ],
)
def test_each_error_is_located(old: str, new: str, needle: str, message: str) -> None:
    assert old in BASE
    text = BASE.replace(old, new)
    errors = _errors(text)
    line = _line_of(text, needle)
    assert any(e.startswith(f"bad.yaml:{line}:") and message in e for e in errors), errors


def test_thread_pointer_needs_offsets() -> None:
    text = BASE.replace("  protocol: scratch_sp", "  protocol: thread_pointer")
    errors = _errors(text)
    line = _line_of(text, "protocol: thread_pointer")
    assert sum(f"bad.yaml:{line}:" in e and "needs stack." in e for e in errors) == 2


def test_trampoline_checks() -> None:
    xv6 = next(s for s in SPECS if "xv6" in s.name).read_text()
    text = (
        xv6.replace("0x3fffffe000", "0x3fffffe010")
        .replace("kernel_sp, kernel_trap", "kernel_trap")
        .replace("  returns: noreturn", "  returns: void")
    )
    errors = _errors(text)
    for needle, message in [
        ("0x3fffffe010", "not aligned to the 4096-byte page"),
        ("layout: [kernel_satp", "holds kernel_sp"),
        ("handler:", "returns: noreturn"),
    ]:
        line = _line_of(text, needle)
        assert any(f"bad.yaml:{line}:" in e and message in e for e in errors), (needle, message, errors)


def test_frame_too_large_for_immediates() -> None:
    text = BASE.replace("  fp: false ", "  size: 2064 #")
    assert any("at most 2048" in e for e in _errors(text))


def test_yaml_errors_are_located() -> None:
    errors = _errors(BASE.replace("arch: riscv64", "arch: riscv64\narch: riscv64"))
    assert any("duplicate key 'arch'" in e for e in errors)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  symbol: trap_handler ", "  symbol: sscratch #", "'sscratch' is a register name"),
        ('  struct: "{prefix}frame"', "  struct: int", "'int' is a C keyword"),
        ("sepc, sstatus", "{name: type, holds: sepc}, sstatus", "'type' is a Rust keyword"),
    ],
)
def test_reserved_names(old: str, new: str, message: str) -> None:
    assert old in BASE
    assert any(message in e for e in _errors(BASE.replace(old, new)))
