"""The aarch64 and riscv64 packages write every default once, in their ``defaults`` table.

Their schemas' ``default`` keywords must be the table's, every table key must be a
key of the schema, a spec that leaves the keys out must resolve to the defaults the
package's documentation (the commented ``specs/<isa>.yaml``, the schema's
descriptions), the Arm ARM and the RISC-V privileged spec give (written here, not read
from the table), the resolver must follow the table when an entry changes, and the
resolvers' source may pass no default of its own.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any, cast

import pytest
from conftest import ROOT
from ruamel.yaml import YAML

import isrgen
from isrgen.arch.aarch64 import defaults as a64_defaults
from isrgen.arch.aarch64 import schema as a64_schema
from isrgen.arch.aarch64.facts import SLOT_BY_NAME
from isrgen.arch.riscv64 import defaults as rv_defaults
from isrgen.arch.riscv64 import schema as rv_schema
from isrgen.diagnostics import SpecError

Key = tuple[str | int, ...]

TABLES: dict[str, Any] = {"aarch64": a64_defaults.DEFAULTS, "riscv64": rv_defaults.DEFAULTS}
SCHEMAS: dict[str, dict[str, Any]] = {"aarch64": a64_schema.SCHEMA, "riscv64": rv_schema.SCHEMA}
RESOLVERS: dict[str, Path] = {isa: ROOT / "isrgen" / "arch" / isa / "resolve.py" for isa in TABLES}


def _properties(node: Any, path: Key = ()) -> Iterator[tuple[Key, dict[str, Any]]]:
    """Every property schema under ``node`` with its key path; a list's items and the
    branches of ``if``/``oneOf`` add no key (as the defaults tables spell paths)."""
    if not isinstance(node, dict):
        return
    for key, sub in (node.get("properties") or {}).items():
        if isinstance(sub, dict):
            yield (*path, key), sub
            yield from _properties(sub, (*path, key))
    for key in ("items", "then", "else"):
        yield from _properties(node.get(key), path)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in node.get(key, []):
            yield from _properties(sub, path)


# -- the schema and the table ---------------------------------------------------------


@pytest.mark.parametrize("isa", sorted(TABLES))
def test_every_schema_default_keyword_is_the_tables(isa: str) -> None:
    table = TABLES[isa]
    stated = [(path, sub["default"]) for path, sub in _properties(SCHEMAS[isa]) if "default" in sub]
    assert len(stated) >= 30
    for path, value in stated:
        assert path in table, f"{isa} {'.'.join(map(str, path))}: the schema states a default the table lacks"
        assert value == table[path], f"{isa} {'.'.join(map(str, path))}: schema {value!r}, table {table[path]!r}"


#: table entries the schema states no default for: what stands in for a required key once
#: it is reported missing (riscv64: RV_STAND_INS below), the protocol of a spec without a
#: stack block (the key is required inside one) and the name pattern of an unnamed pad
UNSTATED: dict[str, set[Key]] = {
    "aarch64": set(),
    "riscv64": {("stack", "protocol"), ("frame", "layout", "name"), ("kernel_entry", "frame", "layout", "name")},
}


@pytest.mark.parametrize("isa", sorted(TABLES))
def test_the_schema_states_every_other_default(isa: str) -> None:
    stated = {path for path, sub in _properties(SCHEMAS[isa]) if "default" in sub}
    stand_ins = RV_STAND_INS if isa == "riscv64" else set()
    assert set(TABLES[isa]) - stated == UNSTATED[isa] | stand_ins


@pytest.mark.parametrize("isa", sorted(TABLES))
def test_every_table_key_is_a_schema_key(isa: str) -> None:
    keys = {path for path, _ in _properties(SCHEMAS[isa])}
    missing = [".".join(map(str, path)) for path in TABLES[isa] if path not in keys]
    assert missing == []


def test_a_table_default_is_a_fresh_copy() -> None:
    for table, default in ((a64_defaults.DEFAULTS, a64_defaults.default), (rv_defaults.DEFAULTS, rv_defaults.default)):
        for path, value in table.items():
            got = default(path)
            assert got == value
            if isinstance(value, list | dict):
                assert got is not value, path


#: ``key: value`` (the default), as the packages' pages name a default
_DOC_DEFAULT = re.compile(r"``(\w+): ([^`]+)`` \(the default\)")


def test_the_docs_name_the_table_defaults() -> None:
    """``key: value`` (the default) in a package's page says what its table says."""
    checked = 0
    for isa in TABLES:
        text = (ROOT / "docs" / f"{isa}.rst").read_text()
        for key, value in _DOC_DEFAULT.findall(text):
            paths = [p for p in TABLES[isa] if p[-1] == key]
            assert paths, f"docs/{isa}.rst names a default of {key}, which has none"
            named = YAML(typ="safe").load(value)
            assert all(TABLES[isa][p] == named for p in paths), (isa, key, named)
            checked += 1
    assert checked >= 1  # riscv64: link_check


# -- what a spec that leaves the keys out resolves to ---------------------------------

A64_REGS = ", ".join(f"x{i}" for i in range(31))
#: the frame's last item is a named pad without a size, the syscall slot is listed
#: without a use, el1h_sync names its use and nothing else
AARCH64 = f"""\
isrgen: 1
arch: aarch64
frame:
  layout: [{A64_REGS}, sp, elr, spsr, esr, far, kind, {{name: filler, holds: pad}}]
handler: {{symbol: h}}
kernel_handler: {{symbol: k}}
bad_mode: {{symbol: b}}
slots:
  - {{slot: el1h_sync, use: kernel_handler}}
  - {{slot: el0_64_sync}}
syscall: {{handler: s}}
"""


def _a64_route(o: Any, name: str) -> Any:
    return o.routes[SLOT_BY_NAME[name].number]


def _a64_renamed(o: Any) -> dict[str, str]:
    return {s.role: s.name for s in o.frame.slots[:-1] if s.name != s.role}


#: key -> where the resolved aarch64 model holds it (plain values: enum members by value)
A64_RESOLVED: dict[Key, Callable[[Any], Any]] = {
    ("symbols", "prefix"): lambda o: o.symbols.prefix,
    ("symbols", "table"): lambda o: o.symbols.table,
    ("symbols", "entry"): lambda o: o.symbols.entry_symbol(SLOT_BY_NAME["el1h_sync"]),
    ("symbols", "exit"): lambda o: o.symbols.exit,
    ("symbols", "halt"): lambda o: o.symbols.halt,
    ("symbols", "visibility", "table"): lambda o: o.symbols.table_visibility.value,
    ("symbols", "visibility", "entry"): lambda o: o.symbols.entry_visibility.value,
    ("symbols", "visibility", "exit"): lambda o: o.symbols.exit_visibility.value,
    ("sections", "code"): lambda o: o.sections.code,
    ("sections", "table"): lambda o: o.sections.table,
    ("sections", "code_align"): lambda o: o.sections.code_align,
    ("table", "style"): lambda o: o.style.value,
    ("frame", "struct"): lambda o: o.frame.struct_name,
    ("frame", "layout", "size"): lambda o: o.frame.slots[-1].size,
    ("frame", "renames"): _a64_renamed,
    ("stack", "source"): lambda o: o.stack.source,
    ("stack", "sp_el0"): lambda o: o.stack.kernel_sp_el0,
    ("handler", "returns"): lambda o: _a64_route(o, "el0_64_sync").handler.returns.value,
    ("handler", "args"): lambda o: [a.value for a in _a64_route(o, "el0_64_sync").handler.args],
    ("kernel_handler", "returns"): lambda o: _a64_route(o, "el1h_sync").handler.returns.value,
    ("kernel_handler", "args"): lambda o: [a.value for a in _a64_route(o, "el1h_sync").handler.args],
    ("bad_mode", "args"): lambda o: [a.value for a in _a64_route(o, "el1t_sync").handler.args],
    ("slots", "use"): lambda o: _a64_route(o, "el0_64_sync").use.value,
    ("slots", "fpsimd"): lambda o: _a64_route(o, "el0_64_sync").fpsimd,
    ("syscall", "args"): lambda o: [a.value for a in o.syscall.handler.args],
    ("syscall", "slot"): lambda o: o.syscall.slot.number,
    ("syscall", "restored"): lambda o: o.syscall.restored,
    ("hardening", "clear_registers"): lambda o: o.hardening.clear_registers,
    ("hardening", "unmask_daif"): lambda o: o.hardening.unmask_daif,
    ("hardening", "exit_barrier"): lambda o: o.hardening.exit_barrier.value,
    ("hardening", "frame_record"): lambda o: o.hardening.frame_record,
    ("hardening", "cfi"): lambda o: o.hardening.cfi,
    ("outputs",): lambda o: o.outputs,
}

#: what those keys are in a spec that leaves them out: the commented specs/aarch64.yaml,
#: docs/aarch64.rst and the schema's descriptions
A64_DOCUMENTED: dict[Key, Any] = {
    ("symbols", "prefix"): "isr_",
    ("symbols", "table"): "isr_vectors",
    ("symbols", "entry"): "isr_entry_el1h_sync",
    ("symbols", "exit"): "isr_return",
    ("symbols", "halt"): "isr_halt",
    ("symbols", "visibility", "table"): "global",
    ("symbols", "visibility", "entry"): "local",
    ("symbols", "visibility", "exit"): "global",
    ("sections", "code"): ".text.isr",
    ("sections", "table"): ".text.isr.vectors",
    ("sections", "code_align"): 16,
    ("table", "style"): "branch",
    ("frame", "struct"): "isr_frame",
    ("frame", "layout", "size"): 8,  # one 64-bit word
    ("frame", "renames"): {},
    ("stack", "source"): "sp_el1",
    ("stack", "sp_el0"): None,  # SP_EL0 keeps the user SP
    ("handler", "returns"): "void",
    ("handler", "args"): ["frame"],  # AAPCS64: the frame's address in x0
    ("kernel_handler", "returns"): "void",
    ("kernel_handler", "args"): ["frame"],
    ("bad_mode", "args"): ["frame"],
    ("slots", "use"): "handler",
    ("slots", "fpsimd"): True,
    ("syscall", "args"): ["frame"],
    # Arm ARM D1.10.2: SVC from AArch64 EL0 is taken at VBAR_EL1 + 0x400, slot 8
    ("syscall", "slot"): 8,
    ("syscall", "restored"): ("x0",),  # AAPCS64: a result comes back in x0
    ("hardening", "clear_registers"): False,
    ("hardening", "unmask_daif"): (),
    ("hardening", "exit_barrier"): "none",
    ("hardening", "frame_record"): False,
    ("hardening", "cfi"): False,
    ("outputs",): (("gas", "isr.S"), ("c", "isr.h")),
}

RV_REGS = ", ".join(["ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", *(f"a{i}" for i in range(8))]
                    + [f"s{i}" for i in range(2, 12)] + ["t3", "t4", "t5", "t6"])
#: no stack block; the frame's last item is a pad without a name, at offset 31 * 8 + 8
RISCV64 = f"""\
isrgen: 1
arch: riscv64
frame:
  layout: [{RV_REGS}, sepc, {{pad: 8}}]
handler:
  symbol: h
  dispatch: {{interrupts: 4, exceptions: 16}}
syscall: {{handler: s}}
machine_timer: {{}}
"""
#: the kernel frame's last item is a pad without a name, at offset 33 * 8
RISCV64_SWITCH = f"""\
isrgen: 1
arch: riscv64
stack: {{protocol: kernel_switch}}
trampoline: {{address: 0x3fffffe000, frame_address: 0x3fffffc000}}
frame:
  layout: [kernel_satp, kernel_sp, kernel_trap, sepc, kernel_hartid, {RV_REGS}]
handler: {{symbol: usertrap, returns: noreturn, args: []}}
kernel_entry:
  symbol: kernelvec
  frame: {{layout: [{RV_REGS}, sepc, sstatus, {{pad: 8}}]}}
  handler: {{symbol: kerneltrap}}
"""

#: key -> (the spec that leaves it out, where the resolved riscv64 model holds it)
RV_RESOLVED: dict[Key, tuple[str, Callable[[Any], Any]]] = {
    ("mode",): (RISCV64, lambda o: o.mode.value),
    ("symbols", "prefix"): (RISCV64, lambda o: o.symbols.prefix),
    ("symbols", "entry"): (RISCV64, lambda o: o.symbols.entry),
    ("symbols", "exit"): (RISCV64, lambda o: o.symbols.exit),
    ("symbols", "vector"): (RISCV64, lambda o: o.symbols.vector),
    ("sections", "code"): (RISCV64, lambda o: o.code_section),
    ("sections", "align"): (RISCV64, lambda o: o.vector.align),
    ("vector", "mode"): (RISCV64, lambda o: int(o.vector.mode)),
    ("vector", "slots"): (RISCV64, lambda o: o.vector.slots),
    ("vector", "interrupts"): (RISCV64, lambda o: o.vector.targets),
    ("stack", "protocol"): (RISCV64, lambda o: o.protocol.value),
    ("frame", "struct"): (RISCV64, lambda o: o.frame.struct),
    ("frame", "layout", "name"): (RISCV64, lambda o: o.frame.slots[-1].name),
    ("frame", "fp"): (RISCV64, lambda o: o.frame.fp is not None),
    ("handler", "returns"): (RISCV64, lambda o: o.handler.returns.value),
    ("handler", "args"): (RISCV64, lambda o: o.handler.args),
    ("handler", "dispatch", "interrupt_table"): (RISCV64, lambda o: o.handler.dispatch.interrupt_table),
    ("handler", "dispatch", "exception_table"): (RISCV64, lambda o: o.handler.dispatch.exception_table),
    ("syscall", "restore"): (RISCV64, lambda o: o.syscall.restore),
    ("entry", "clear_registers"): (RISCV64, lambda o: o.hardening.clear_registers),
    ("entry", "gp_reload"): (RISCV64, lambda o: o.hardening.gp_reload),
    ("entry", "clear_status"): (RISCV64, lambda o: o.hardening.clear_status),
    ("entry", "clear_reservation"): (RISCV64, lambda o: o.hardening.clear_reservation),
    ("entry", "no_restore"): (RISCV64, lambda o: o.hardening.no_restore),
    ("entry", "cfi"): (RISCV64, lambda o: o.hardening.cfi),
    ("entry", "compressed"): (RISCV64, lambda o: o.hardening.compressed),
    ("machine_timer", "symbol"): (RISCV64, lambda o: o.machine_timer.symbol),
    ("machine_timer", "mtimecmp_offset"): (RISCV64, lambda o: o.machine_timer.mtimecmp_offset),
    ("machine_timer", "interval_offset"): (RISCV64, lambda o: o.machine_timer.interval_offset),
    ("machine_timer", "forward"): (RISCV64, lambda o: o.machine_timer.forward_bit),
    ("outputs",): (RISCV64, lambda o: o.outputs),
    ("trampoline", "section"): (RISCV64_SWITCH, lambda o: o.trampoline.section),
    ("trampoline", "page_size"): (RISCV64_SWITCH, lambda o: o.trampoline.page_size),
    ("trampoline", "userret"): (RISCV64_SWITCH, lambda o: o.trampoline.userret),
    ("trampoline", "userret_args"): (RISCV64_SWITCH, lambda o: o.trampoline.userret_args),
    ("trampoline", "link_check"): (RISCV64_SWITCH, lambda o: o.trampoline.link_check),
    ("kernel_entry", "frame", "struct"): (RISCV64_SWITCH, lambda o: o.kernel_entry.frame.struct),
    ("kernel_entry", "frame", "layout", "name"): (RISCV64_SWITCH, lambda o: o.kernel_entry.frame.slots[-1].name),
    ("kernel_entry", "frame", "fp"): (RISCV64_SWITCH, lambda o: o.kernel_entry.frame.fp is not None),
    ("kernel_entry", "handler", "returns"): (RISCV64_SWITCH, lambda o: o.kernel_entry.handler.returns.value),
    ("kernel_entry", "handler", "args"): (RISCV64_SWITCH, lambda o: o.kernel_entry.handler.args),
    ("kernel_entry", "no_restore"): (RISCV64_SWITCH, lambda o: o.kernel_entry.no_restore),
}

#: what those keys are in a spec that leaves them out: the commented specs/riscv64.yaml,
#: docs/riscv64.rst, the schema's descriptions and the privileged spec
RV_DOCUMENTED: dict[Key, Any] = {
    ("mode",): "supervisor",
    ("symbols", "prefix"): "trap_",
    ("symbols", "entry"): "trap_entry",
    ("symbols", "exit"): "trap_return",
    ("symbols", "vector"): "trap_vector",
    ("sections", "code"): ".text.trap",
    ("sections", "align"): 4,  # priv 4.1.2: stvec BASE is 4-byte aligned (its low two bits are MODE)
    ("vector", "mode"): 0,  # priv 4.1.2: stvec MODE 0 is Direct
    ("vector", "slots"): 16,
    ("vector", "interrupts"): (),
    ("stack", "protocol"): "scratch_sp",
    ("frame", "struct"): "trap_frame",
    ("frame", "layout", "name"): "pad256",
    ("frame", "fp"): False,
    ("handler", "returns"): "void",
    ("handler", "args"): ("frame",),  # psABI: the frame's address in a0
    ("handler", "dispatch", "interrupt_table"): "trap_interrupt_handlers",
    ("handler", "dispatch", "exception_table"): "trap_exception_handlers",
    ("syscall", "restore"): ("a0",),  # psABI: a result comes back in a0
    ("entry", "clear_registers"): False,
    ("entry", "gp_reload"): None,
    ("entry", "clear_status"): (),
    ("entry", "clear_reservation"): False,
    ("entry", "no_restore"): (),
    ("entry", "cfi"): True,
    ("entry", "compressed"): False,
    ("machine_timer", "symbol"): "trap_timervec",
    ("machine_timer", "mtimecmp_offset"): 24,  # after the three words a1-a3 are saved in
    ("machine_timer", "interval_offset"): 32,
    ("machine_timer", "forward"): 1 << 1,  # priv 4.1.3: sip.SSIP is bit 1
    ("outputs",): (("c", "trap.h"), ("gas", "trap.S")),
    ("trampoline", "section"): "trampsec",
    ("trampoline", "page_size"): 4096,  # priv 4.4.1: Sv39 pages are 4 KiB
    ("trampoline", "userret"): "trap_userret",
    ("trampoline", "userret_args"): ("satp",),
    ("trampoline", "link_check"): True,
    ("kernel_entry", "frame", "struct"): "trap_kernel_frame",
    ("kernel_entry", "frame", "layout", "name"): "pad264",
    ("kernel_entry", "frame", "fp"): False,
    ("kernel_entry", "handler", "returns"): "void",
    ("kernel_entry", "handler", "args"): ("frame",),
    ("kernel_entry", "no_restore"): (),
}

#: riscv64 entries that stand in for a required key once it is reported missing: no
#: valid spec leaves them out (test_a_missing_required_key_is_reported_not_raised)
RV_STAND_INS = {
    ("handler", "symbol"),
    ("handler", "dispatch", "interrupts"),
    ("handler", "dispatch", "exceptions"),
    ("frame", "layout"),
    ("kernel_entry", "symbol"),
    ("kernel_entry", "frame", "layout"),
    ("kernel_entry", "handler", "symbol"),
    ("stack", "kernel_sp_offset"),
    ("stack", "user_sp_offset"),
    ("trampoline", "address"),
    ("trampoline", "frame_address"),
    ("syscall", "handler"),
}


def _options(text: str, isa: str) -> Any:
    spec = isrgen.loads_spec(text, f"{isa}.yaml")
    assert isinstance(spec, isrgen.PackageSpec) and spec.arch_name == isa
    return spec.options


def _a64_resolved() -> dict[Key, Any]:
    options = _options(AARCH64, "aarch64")
    return {path: where(options) for path, where in A64_RESOLVED.items()}


def _rv_resolved() -> dict[Key, Any]:
    loaded = {text: _options(text, "riscv64") for text in (RISCV64, RISCV64_SWITCH)}
    return {path: where(loaded[text]) for path, (text, where) in RV_RESOLVED.items()}


def test_every_table_entry_is_checked_here() -> None:
    assert set(A64_RESOLVED) == set(A64_DOCUMENTED) == set(a64_defaults.DEFAULTS)
    assert set(RV_RESOLVED) == set(RV_DOCUMENTED)
    assert set(RV_RESOLVED) | RV_STAND_INS == set(rv_defaults.DEFAULTS)
    assert not set(RV_RESOLVED) & RV_STAND_INS


def test_an_aarch64_spec_without_the_keys_resolves_to_the_documented_defaults() -> None:
    assert _a64_resolved() == A64_DOCUMENTED


def test_a_riscv64_spec_without_the_keys_resolves_to_the_documented_defaults() -> None:
    assert _rv_resolved() == RV_DOCUMENTED


# -- the resolver reads the table -----------------------------------------------------

#: key -> (another default the table could hold, what the spec then resolves to)
A64_CHANGED: dict[Key, tuple[Any, Any]] = {
    ("symbols", "prefix"): ("k_", "k_"),
    ("symbols", "table"): ("{prefix}vbar", "isr_vbar"),
    ("symbols", "entry"): ("{prefix}e{n}", "isr_e4"),  # Arm ARM D1.10.2: el1h_sync at 0x200, slot 4
    ("symbols", "exit"): ("{prefix}out", "isr_out"),
    ("symbols", "halt"): ("{prefix}stop", "isr_stop"),
    ("symbols", "visibility", "table"): ("local", "local"),
    ("symbols", "visibility", "entry"): ("global", "global"),
    ("symbols", "visibility", "exit"): ("local", "local"),
    ("sections", "code"): (".text.other", ".text.other"),
    ("sections", "table"): (".text.other.vectors", ".text.other.vectors"),
    ("sections", "code_align"): (64, 64),
    ("table", "style"): ("linux", "linux"),
    ("frame", "struct"): ("{prefix}regs", "isr_regs"),
    ("frame", "layout", "size"): (24, 24),
    ("frame", "renames"): ({"elr": "pc"}, {"elr": "pc"}),
    ("stack", "source"): ("tpidr_el1", "tpidr_el1"),
    ("stack", "sp_el0"): ("tpidr_el1", "tpidr_el1"),
    ("handler", "returns"): ("frame", "frame"),
    ("handler", "args"): (["frame", "esr"], ["frame", "esr"]),
    ("kernel_handler", "returns"): ("noreturn", "noreturn"),
    ("kernel_handler", "args"): (["frame", "kind"], ["frame", "kind"]),
    ("bad_mode", "args"): (["frame", "kind", "esr"], ["frame", "kind", "esr"]),
    ("slots", "use"): ("kernel_handler", "kernel_handler"),
    ("syscall", "args"): (["frame", "esr"], ["frame", "esr"]),
    ("syscall", "restored"): (["x0", "x1"], ("x0", "x1")),
    ("hardening", "clear_registers"): (True, True),
    ("hardening", "unmask_daif"): (["d", "a"], ("d", "a")),
    ("hardening", "exit_barrier"): ("sb", "sb"),
    ("hardening", "frame_record"): (True, True),
    ("hardening", "cfi"): (True, True),
    ("outputs",): ({"rust": "isr.rs"}, (("rust", "isr.rs"),)),
}
#: key -> (another default, the error the test spec then has): no other value is valid there
A64_REFUSED: dict[Key, tuple[Any, str]] = {
    ("slots", "fpsimd"): (False, "the frame has no fpsimd area to skip"),
    ("syscall", "slot"): ("el1h_sync", "SVC from AArch64 EL0 arrives at el0_64_sync, not el1h_sync"),
}

RV_CHANGED: dict[Key, tuple[Any, Any]] = {
    ("mode",): ("machine", "machine"),
    ("symbols", "prefix"): ("k_", "k_"),
    ("symbols", "entry"): ("{prefix}in", "trap_in"),
    ("symbols", "exit"): ("{prefix}out", "trap_out"),
    ("symbols", "vector"): ("{prefix}table", "trap_table"),
    ("sections", "code"): (".text.other", ".text.other"),
    ("sections", "align"): (64, 64),
    ("vector", "mode"): ("vectored", 1),
    ("vector", "slots"): (8, 8),
    ("frame", "struct"): ("{prefix}regs", "trap_regs"),
    ("frame", "layout", "name"): ("gap_at_{offset}", "gap_at_256"),
    ("frame", "fp"): (True, True),
    ("handler", "returns"): ("frame", "frame"),
    ("handler", "args"): (["frame", "cause"], ("frame", "cause")),
    ("handler", "dispatch", "interrupt_table"): ("{prefix}irqs", "trap_irqs"),
    ("handler", "dispatch", "exception_table"): ("{prefix}faults", "trap_faults"),
    ("syscall", "restore"): (["a0", "a1"], ("a0", "a1")),
    ("entry", "clear_registers"): (True, True),
    ("entry", "gp_reload"): (True, "__global_pointer$"),
    ("entry", "clear_status"): (["SUM"], ("SUM",)),
    ("entry", "clear_reservation"): (True, True),
    ("entry", "no_restore"): (["tp"], ("tp",)),
    ("entry", "cfi"): (False, False),
    ("entry", "compressed"): (True, True),
    ("machine_timer", "symbol"): ("{prefix}mtimer", "trap_mtimer"),
    ("machine_timer", "mtimecmp_offset"): (40, 40),
    ("machine_timer", "interval_offset"): (48, 48),
    ("machine_timer", "forward"): ("stip", 1 << 5),  # priv 4.1.3: mip.STIP is bit 5
    ("outputs",): ({"rust": "trap.rs"}, (("rust", "trap.rs"),)),
    ("trampoline", "section"): ("tramp2", "tramp2"),
    ("trampoline", "page_size"): (8192, 8192),
    ("trampoline", "userret"): ("{prefix}back", "trap_back"),
    ("trampoline", "userret_args"): (["frame", "satp"], ("frame", "satp")),
    ("trampoline", "link_check"): (False, False),
    ("kernel_entry", "frame", "struct"): ("{prefix}kregs", "trap_kregs"),
    ("kernel_entry", "frame", "layout", "name"): ("kgap{offset}", "kgap264"),
    ("kernel_entry", "frame", "fp"): (True, True),
    ("kernel_entry", "handler", "returns"): ("frame", "frame"),
    ("kernel_entry", "handler", "args"): (["frame", "cause"], ("frame", "cause")),
    ("kernel_entry", "no_restore"): (["tp"], ("tp",)),
}
RV_REFUSED: dict[Key, tuple[Any, str]] = {
    ("vector", "interrupts"): ({"3": "{prefix}soft"}, "per-interrupt slots need vector.mode: vectored"),
    ("stack", "protocol"): ("thread_pointer", "the thread_pointer protocol needs stack.kernel_sp_offset"),
}


def test_every_table_entry_is_changed_here() -> None:
    assert set(A64_CHANGED) | set(A64_REFUSED) == set(a64_defaults.DEFAULTS)
    assert set(RV_CHANGED) | set(RV_REFUSED) == set(RV_RESOLVED)
    assert not set(A64_CHANGED) & set(A64_REFUSED) and not set(RV_CHANGED) & set(RV_REFUSED)


def _table(module: Any) -> MutableMapping[Key, Any]:
    return cast(MutableMapping[Key, Any], module.DEFAULTS)


@pytest.mark.parametrize("path", sorted(A64_CHANGED), ids=lambda p: ".".join(p))
def test_the_aarch64_resolver_fills_a_key_from_the_table(path: Key, monkeypatch: pytest.MonkeyPatch) -> None:
    other, resolved = A64_CHANGED[path]
    assert a64_defaults.DEFAULTS[path] != other
    monkeypatch.setitem(_table(a64_defaults), path, other)
    got = A64_RESOLVED[path](_options(AARCH64, "aarch64"))
    assert got == resolved


@pytest.mark.parametrize("path", sorted(RV_CHANGED), ids=lambda p: ".".join(p))
def test_the_riscv64_resolver_fills_a_key_from_the_table(path: Key, monkeypatch: pytest.MonkeyPatch) -> None:
    other, resolved = RV_CHANGED[path]
    assert rv_defaults.DEFAULTS[path] != other
    monkeypatch.setitem(_table(rv_defaults), path, other)
    text, where = RV_RESOLVED[path]
    if path == ("mode",):  # machine mode: the frame holds mepc, and there is no machine_timer
        text = text.replace("sepc", "mepc").replace("machine_timer: {}\n", "")
    assert where(_options(text, "riscv64")) == resolved


@pytest.mark.parametrize(
    ("isa", "path"), [*(("aarch64", p) for p in A64_REFUSED), *(("riscv64", p) for p in RV_REFUSED)], ids=str
)
def test_the_resolver_checks_a_default_from_the_table(isa: str, path: Key, monkeypatch: pytest.MonkeyPatch) -> None:
    other, message = {"aarch64": A64_REFUSED, "riscv64": RV_REFUSED}[isa][path]
    module, text = (a64_defaults, AARCH64) if isa == "aarch64" else (rv_defaults, RV_RESOLVED[path][0])
    assert module.DEFAULTS[path] != other
    _options(text, isa)  # valid with the table's default
    monkeypatch.setitem(_table(module), path, other)
    with pytest.raises(SpecError, match=message):
        _options(text, isa)


def test_a_missing_required_key_is_reported_not_raised() -> None:
    """The stand-ins carry resolution past a key the schema requires."""
    cases = {
        ("handler", "symbol"): RISCV64.replace("  symbol: h\n", ""),
        ("handler", "dispatch", "interrupts"): RISCV64.replace("interrupts: 4, ", ""),
        ("frame", "layout"): RISCV64.replace(f"  layout: [{RV_REGS}, sepc, {{pad: 8}}]\n", "  struct: f\n"),
        ("kernel_entry", "symbol"): RISCV64_SWITCH.replace("  symbol: kernelvec\n", ""),
        ("kernel_entry", "handler", "symbol"): RISCV64_SWITCH.replace("{symbol: kerneltrap}", "{returns: void}"),
        ("trampoline", "address"): RISCV64_SWITCH.replace("address: 0x3fffffe000, ", ""),
        ("stack", "kernel_sp_offset"): RISCV64.replace("frame:\n", "stack: {protocol: thread_pointer}\nframe:\n"),
    }
    for path, text in cases.items():
        assert text not in (RISCV64, RISCV64_SWITCH), path
        with pytest.raises(SpecError) as caught:
            _options(text, "riscv64")
        assert all(d.source.line >= 1 for d in caught.value.diagnostics), path


# -- the resolvers write no default of their own ----------------------------------------


def _schema_keys(schema: dict[str, Any]) -> set[str]:
    return {str(path[-1]) for path, _ in _properties(schema)}


def _literal(node: ast.expr) -> bool:
    """A default written in place: a literal, or a choice between values one of which is."""
    if isinstance(node, ast.Constant):
        return node.value is not None
    if isinstance(node, ast.List | ast.Tuple | ast.Dict | ast.Set | ast.JoinedStr):
        return True
    if isinstance(node, ast.IfExp):
        return _literal(node.body) or _literal(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(_literal(v) for v in node.values)
    return False


def _reads_spec(node: ast.expr) -> bool:
    """A call of the resolver's ``get``/``given``/``find`` or of a mapping's ``get``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("get", "given", "find")
    )


def literal_defaults(source: str, keys: set[str]) -> list[str]:
    """``self.get(path, DEFAULT)``, ``item.get("key", DEFAULT)`` (``key`` a spec key) and
    ``self.given(path) or DEFAULT`` with ``DEFAULT`` written in place, and functions taking
    a ``default...`` parameter: a resolver that writes or passes on a default of its own."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            if any(_reads_spec(v) for v in node.values) and any(_literal(v) for v in node.values):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
            continue
        if isinstance(node, ast.FunctionDef):
            names = [a.arg for a in (*node.args.args, *node.args.kwonlyargs)]
            found += [f"{node.lineno}: {node.name}({n})" for n in names if n.startswith("default")]
            continue
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"):
            continue
        owner, args = node.func.value, node.args
        if isinstance(owner, ast.Name) and owner.id == "self":
            written = args[1:]
        elif args and isinstance(args[0], ast.Constant) and args[0].value in keys:
            written = args[1:]
        else:
            continue
        if any(_literal(a) for a in written):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("isa", sorted(RESOLVERS))
def test_the_resolver_passes_no_default_of_its_own(isa: str) -> None:
    assert literal_defaults(RESOLVERS[isa].read_text(), _schema_keys(SCHEMAS[isa])) == []


def test_the_source_check_sees_a_default_written_in_place() -> None:
    keys = {"size", "use", "returns", "name"}
    bad = [
        'self.get(("sections", "code_align"), 16)',
        'item.get("size", 8)',
        'item.get("use", "handler") if ok else x',
        'item.get("returns", base.returns if base else "void")',
        'raw.get("name", f"pad{offset}")',
        'self.get(path, [])',
        'self.get(path, x or ())',
        'self.given(("vector", "slots")) or 16',
        'item.get("use") or "handler"',
    ]
    for line in bad:
        assert len(literal_defaults(line, keys)) == 1, line
    assert literal_defaults("def symbol(self, path, default_struct):\n    pass\n", keys) != []
    good = [
        'self.get(("sections", "code_align"))',
        'item.get("size", default(("frame", "layout", "size")))',
        'self.given(("symbols", "exit_sp"))',
        'error.schema.get("properties", {})',
        'uses.get(slot.number, Use.BAD_MODE)',
        'self.get(path, None)',
        'self.get(("a",)) or self.get(("b",))',
        'x or "text"',
    ]
    for line in good:
        assert literal_defaults(line, keys) == [], line
