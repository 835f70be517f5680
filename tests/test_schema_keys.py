"""The JSON Schema ``isrgen schema`` prints, key by key: every property has a
description; every default it states is the one the loader applies (checked by
loading specs that leave the key out, so the schema cannot drift from the model);
register and slot names are enums, so that an editor flags a typo in one; every
shipped spec validates."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from operator import attrgetter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import SPECS, isrgen_cmd, run
from ruamel.yaml import YAML

import isrgen
from isrgen.arch import get_isa

Walked = tuple[tuple[str, ...], dict[str, Any]]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run(isrgen_cmd("schema")).stdout)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def _properties(node: Any, path: tuple[str, ...] = ()) -> Iterator[Walked]:
    """Every property schema under ``node`` with its key path (``[]`` for a list item,
    ``*`` for a mapping value); the ``if`` conditions that pick an arch are skipped."""
    if not isinstance(node, dict):
        return
    for key, sub in node.get("properties", {}).items():
        yield (*path, key), sub
        yield from _properties(sub, (*path, key))
    for key in ("then", "else"):
        yield from _properties(node.get(key), path)
    yield from _properties(node.get("items"), (*path, "[]"))
    if isinstance(node.get("additionalProperties"), dict):
        yield from _properties(node["additionalProperties"], (*path, "*"))
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in node.get(key, []):
            yield from _properties(sub, path)


def _branch(schema: dict[str, Any], arch: str) -> dict[str, Any]:
    """The part of the joined schema that applies to ``arch``."""
    node = schema
    while "if" in node:
        if node["if"]["properties"]["arch"]["const"] == arch:
            return node["then"]  # type: ignore[no-any-return]
        node = node["else"]
    return node


def test_every_property_has_a_description(schema: dict[str, Any]) -> None:
    walked = list(_properties(schema))
    assert len(walked) > 250  # x86, aarch64 and riscv64 keys, nested ones included
    missing = [".".join(path) for path, sub in walked if not sub.get("description", "").strip()]
    assert missing == []


# -- defaults --------------------------------------------------------------------------

X86 = """\
isrgen: 1
arch: x86_64
handler: {symbol: h}
vectors:
  - {vector: 0}
  - {vector: 3, class: software}
  - {vector: 32}
  - {vector: 39, class: spurious}
"""
X86_SYSCALL = X86 + "entry: {swapgs: true}\nsyscall: {handler: s}\n"

A64_REGS = ", ".join(f"x{i}" for i in range(31))
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

RV_REGS = ", ".join(
    [
        "ra",
        "sp",
        "gp",
        "tp",
        "t0",
        "t1",
        "t2",
        "s0",
        "s1",
        *(f"a{i}" for i in range(8)),
        *(f"s{i}" for i in range(2, 12)),
    ]
    + ["t3", "t4", "t5", "t6"]
)
RISCV64 = f"""\
isrgen: 1
arch: riscv64
stack: {{protocol: scratch_sp}}
frame:
  layout: [{RV_REGS}, sepc]
handler:
  symbol: h
  dispatch: {{interrupts: 4, exceptions: 16}}
syscall: {{handler: s}}
machine_timer: {{}}
"""
RISCV64_SWITCH = f"""\
isrgen: 1
arch: riscv64
stack: {{protocol: kernel_switch}}
trampoline: {{address: 0x3ffffff000, frame_address: 0x3fffffe000}}
frame:
  layout: [kernel_satp, kernel_sp, kernel_trap, sepc, kernel_hartid, {RV_REGS}]
handler: {{symbol: usertrap, returns: noreturn, args: []}}
kernel_entry:
  symbol: kernelvec
  frame: {{layout: [{RV_REGS}, sepc, sstatus]}}
  handler: {{symbol: kerneltrap}}
"""


def _vector(spec: Any, n: int) -> Any:
    return next(v for v in spec.vectors if v.number == n)


def _vector_attr(n: int, key: str) -> Callable[[Any], Any]:
    """Reads ``key`` of vector ``n``."""

    def read(spec: Any) -> Any:
        return getattr(_vector(spec, n), key)

    return read


def _class_vector(name: str) -> int:
    return {"exception": 0, "software": 3, "irq": 32, "spurious": 39}[name]


def _class_rules() -> dict[tuple[str, ...], tuple[str, Callable[[Any], Any]]]:
    rules: dict[tuple[str, ...], tuple[str, Callable[[Any], Any]]] = {}
    for cls in ("exception", "irq", "spurious", "software"):
        n = _class_vector(cls)
        for key in ("ist", "gate", "dpl", "paranoid", "simd"):
            rules[("classes", cls, key)] = (X86, _vector_attr(n, key))
    return rules


#: schema key -> (a spec that leaves it out, where the loaded spec holds the value)
RULES: dict[str, dict[tuple[str, ...], tuple[str, Callable[[Any], Any]]]] = {
    "x86_64": {
        ("symbols", "prefix"): (X86, lambda s: s.symbols.prefix),
        ("symbols", "stub"): (X86, lambda s: s.symbols.stub_pattern),
        ("symbols", "table"): (X86, lambda s: s.symbols.table),
        ("symbols", "entry"): (X86, lambda s: s.symbols.entry),
        ("symbols", "gates"): (X86, lambda s: s.symbols.gates),
        ("symbols", "exit"): (X86, lambda s: s.symbols.exit),
        **{
            ("symbols", "visibility", k): (X86, attrgetter(f"symbols.visibility.{k}"))
            for k in ("stubs", "table", "entry", "exit")
        },
        ("sections", "code"): (X86, lambda s: s.sections.code),
        ("sections", "table"): (X86, lambda s: s.sections.table),
        ("sections", "code_align"): (X86, lambda s: s.sections.code_align),
        ("sections", "stub_align"): (X86, lambda s: s.sections.stub_align),
        ("handler", "returns"): (X86, lambda s: s.handler.returns),
        ("handler", "align_stack"): (X86, lambda s: s.handler.align_stack),
        ("handler", "frame_arg"): (X86, lambda s: s.handler.frame_arg),
        ("handler", "args"): (X86, lambda s: s.handler.args),
        ("frame", "struct"): (X86, lambda s: s.frame.struct_name),
        ("frame", "synthetic_error_code"): (X86, lambda s: s.frame.synthetic_error_code),
        ("frame", "cpu_fields"): (X86, lambda s: dict(s.frame.cpu_names)),
        ("frame", "vector_in_error_slot"): (X86, lambda s: s.frame.vector_in_error_slot),
        **{
            ("entry", k): (X86, attrgetter(f"entry.{k}"))
            for k in (
                "swapgs",
                "clear_registers",
                "endbr64",
                "kernel_fault",
                "halt",
                "exit_loads_cr3",
                "data_segments",
                "data_selector",
                "segments_from_ds",
                "exit_frame",
                "exit_args",
                "fsgsbase",
            )
        },
        ("simd", "xsave_mask"): (X86, lambda s: s.simd.xsave_mask),
        ("paranoid_gs", "method"): (X86, lambda s: s.paranoid_gs.method),
        ("stubs", "style"): (X86, lambda s: s.stub_style),
        ("stubs", "cli"): (X86, lambda s: s.stubs.cli),
        ("stubs", "error_code_filler"): (X86, lambda s: s.stubs.error_code_filler),
        **_class_rules(),
        **{
            ("syscall", k): (X86_SYSCALL, attrgetter(f"syscall.{k}"))
            for k in ("entry", "marker", "kernel_stack_gs", "user_stack_gs", "user_cs", "user_ss")
        },
        ("outputs",): (X86, lambda s: {o.backend: o.filename for o in s.outputs}),
        **{("vectors", "[]", k): (X86, _vector_attr(0, k)) for k in ("ist", "gate", "dpl", "paranoid", "simd")},
        ("vectors", "[]", "error_code_override"): (X86, lambda s: _vector(s, 0).error_code_overridden),
        ("table", "contents"): (X86, lambda s: s.table.contents),
        ("debug", "cfi"): (X86, lambda s: s.debug.cfi),
        ("debug", "cfi_sections"): (X86, lambda s: s.debug.cfi_sections),
    },
    "aarch64": {
        ("symbols", "prefix"): (AARCH64, lambda s: s.options.symbols.prefix),
        ("symbols", "table"): (AARCH64, lambda s: s.options.symbols.table),
        ("symbols", "entry"): (AARCH64, lambda s: s.options.symbols.entry),
        ("symbols", "exit"): (AARCH64, lambda s: s.options.symbols.exit),
        ("symbols", "halt"): (AARCH64, lambda s: s.options.symbols.halt),
        **{
            ("symbols", "visibility", k): (AARCH64, attrgetter(f"options.symbols.{k}_visibility"))
            for k in ("table", "entry", "exit")
        },
        ("sections", "code"): (AARCH64, lambda s: s.options.sections.code),
        ("sections", "table"): (AARCH64, lambda s: s.options.sections.table),
        ("sections", "code_align"): (AARCH64, lambda s: s.options.sections.code_align),
        ("table", "style"): (AARCH64, lambda s: s.options.style),
        ("frame", "struct"): (AARCH64, lambda s: s.options.frame.struct_name),
        # (the layout's last item is a {name, holds} mapping, not a rename)
        ("frame", "renames"): (
            AARCH64,
            lambda s: {f.role: f.name for f in s.options.frame.slots[:-1] if f.name != f.role},
        ),
        ("frame", "layout", "[]", "size"): (AARCH64, lambda s: s.options.frame.slots[-1].size),
        ("stack", "source"): (AARCH64, lambda s: s.options.stack.source),
        ("stack", "sp_el0"): (AARCH64, lambda s: s.options.stack.kernel_sp_el0 or "user"),
        ("handler", "returns"): (AARCH64, lambda s: _a64_route(s, "el0_64_sync").handler.returns),
        ("handler", "args"): (AARCH64, lambda s: _a64_route(s, "el0_64_sync").handler.args),
        ("kernel_handler", "returns"): (AARCH64, lambda s: _a64_route(s, "el1h_sync").handler.returns),
        ("kernel_handler", "args"): (AARCH64, lambda s: _a64_route(s, "el1h_sync").handler.args),
        ("bad_mode", "args"): (AARCH64, lambda s: _a64_route(s, "el1t_sync").handler.args),
        ("slots", "[]", "use"): (AARCH64, lambda s: _a64_route(s, "el0_64_sync").use),
        ("slots", "[]", "fpsimd"): (AARCH64, lambda s: _a64_route(s, "el0_64_sync").fpsimd),
        ("syscall", "args"): (AARCH64, lambda s: s.options.syscall.handler.args),
        ("syscall", "slot"): (AARCH64, lambda s: s.options.syscall.slot.name),
        ("syscall", "restored"): (AARCH64, lambda s: s.options.syscall.restored),
        **{
            ("hardening", k): (AARCH64, attrgetter(f"options.hardening.{k}"))
            for k in ("clear_registers", "unmask_daif", "exit_barrier", "frame_record", "cfi")
        },
        ("outputs",): (AARCH64, lambda s: {o.backend: o.filename for o in s.outputs}),
    },
    "riscv64": {
        ("mode",): (RISCV64, lambda s: s.options.mode),
        ("symbols", "prefix"): (RISCV64, lambda s: s.options.symbols.prefix),
        ("symbols", "entry"): (RISCV64, lambda s: s.options.symbols.entry),
        ("symbols", "exit"): (RISCV64, lambda s: s.options.symbols.exit),
        ("symbols", "vector"): (RISCV64, lambda s: s.options.symbols.vector),
        ("sections", "code"): (RISCV64, lambda s: s.options.code_section),
        ("sections", "align"): (RISCV64, lambda s: s.options.vector.align),
        ("vector", "mode"): (RISCV64, lambda s: s.options.vector.mode.name.lower()),
        ("vector", "slots"): (RISCV64, lambda s: s.options.vector.slots),
        ("vector", "interrupts"): (RISCV64, lambda s: dict(s.options.vector.targets)),
        ("frame", "struct"): (RISCV64, lambda s: s.options.frame.struct),
        ("frame", "fp"): (RISCV64, lambda s: s.options.frame.fp is not None),
        ("handler", "returns"): (RISCV64, lambda s: s.options.handler.returns),
        ("handler", "args"): (RISCV64, lambda s: s.options.handler.args),
        ("handler", "dispatch", "interrupt_table"): (RISCV64, lambda s: s.options.handler.dispatch.interrupt_table),
        ("handler", "dispatch", "exception_table"): (RISCV64, lambda s: s.options.handler.dispatch.exception_table),
        ("syscall", "restore"): (RISCV64, lambda s: s.options.syscall.restore),
        ("entry", "clear_registers"): (RISCV64, lambda s: s.options.hardening.clear_registers),
        ("entry", "gp_reload"): (RISCV64, lambda s: s.options.hardening.gp_reload or False),
        ("entry", "clear_status"): (RISCV64, lambda s: s.options.hardening.clear_status),
        ("entry", "clear_reservation"): (RISCV64, lambda s: s.options.hardening.clear_reservation),
        ("entry", "no_restore"): (RISCV64, lambda s: s.options.hardening.no_restore),
        ("entry", "cfi"): (RISCV64, lambda s: s.options.hardening.cfi),
        ("entry", "compressed"): (RISCV64, lambda s: s.options.hardening.compressed),
        ("machine_timer", "symbol"): (RISCV64, lambda s: s.options.machine_timer.symbol),
        ("machine_timer", "mtimecmp_offset"): (RISCV64, lambda s: s.options.machine_timer.mtimecmp_offset),
        ("machine_timer", "interval_offset"): (RISCV64, lambda s: s.options.machine_timer.interval_offset),
        # priv 4.1.3: SSIP is sip bit 1
        ("machine_timer", "forward"): (RISCV64, lambda s: {2: "ssip", 32: "stip"}[s.options.machine_timer.forward_bit]),
        ("outputs",): (RISCV64, lambda s: {o.backend: o.filename for o in s.outputs}),
        ("trampoline", "section"): (RISCV64_SWITCH, lambda s: s.options.trampoline.section),
        ("trampoline", "page_size"): (RISCV64_SWITCH, lambda s: s.options.trampoline.page_size),
        ("trampoline", "userret"): (RISCV64_SWITCH, lambda s: s.options.trampoline.userret),
        ("trampoline", "link_check"): (RISCV64_SWITCH, lambda s: s.options.trampoline.link_check),
        ("trampoline", "userret_args"): (RISCV64_SWITCH, lambda s: s.options.trampoline.userret_args),
        ("kernel_entry", "frame", "struct"): (RISCV64_SWITCH, lambda s: s.options.kernel_entry.frame.struct),
        ("kernel_entry", "frame", "fp"): (RISCV64_SWITCH, lambda s: s.options.kernel_entry.frame.fp is not None),
        ("kernel_entry", "handler", "returns"): (RISCV64_SWITCH, lambda s: s.options.kernel_entry.handler.returns),
        ("kernel_entry", "handler", "args"): (RISCV64_SWITCH, lambda s: s.options.kernel_entry.handler.args),
        ("kernel_entry", "no_restore"): (RISCV64_SWITCH, lambda s: s.options.kernel_entry.no_restore),
    },
}


def _a64_route(spec: Any, name: str) -> Any:
    return next(r for r in spec.options.routes if r.slot.name == name)


def _plain(value: Any, prefix: str) -> Any:
    """A model value as the schema writes it: enums by value, tuples as lists."""
    if isinstance(value, tuple):
        return [_plain(v, prefix) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, prefix) for k, v in value.items()}
    if hasattr(value, "value") and not isinstance(value, bool | int):
        return value.value
    return value


_LOADED: dict[str, Any] = {}


def _load(text: str, tmp: Path) -> Any:
    if text not in _LOADED:
        path = tmp / f"spec{len(_LOADED)}.yaml"
        path.write_text(text)
        _LOADED[text] = isrgen.load_spec(path)
    return _LOADED[text]


@pytest.mark.parametrize("arch", sorted(RULES))
def test_every_schema_default_is_the_loaders(schema: dict[str, Any], arch: str, tmp_path: Path) -> None:
    defaults = {path: sub["default"] for path, sub in _properties(_branch(schema, arch)) if "default" in sub}
    # every default the schema states is checked, and every checked key states one
    assert sorted(defaults) == sorted(RULES[arch])
    for path, (text, where) in RULES[arch].items():
        spec = _load(text, tmp_path)
        prefix = spec.symbols.prefix if hasattr(spec, "symbols") else spec.options.symbols.prefix
        expected = defaults[path]
        if isinstance(expected, str):
            expected_values = {expected, expected.replace("{prefix}", prefix)}
        else:
            expected_values = {json.dumps(expected, sort_keys=True)}
        got = _plain(where(spec), prefix)
        assert (got if isinstance(expected, str) else json.dumps(got, sort_keys=True)) in expected_values, (
            path,
            got,
            expected,
        )


#: x86 model defaults that stand for "depends on the spec": the schema states none and
#: its description says what the default is
CONTEXT_DEFAULTS = {
    ("handler", "convention"),  # sysv on x86_64, cdecl on i386
    ("syscall", "restored"),  # the return and callee-saved registers the frame holds
    ("simd", "area_size"),  # computed from xsave_mask
    ("table", "width"),  # the word size
    ("table", "align"),  # the entry width
    ("vectors", "[]", "irq_stack"),  # true for class irq once an irq_stack block is given
}


def test_every_x86_model_default_is_in_the_schema(schema: dict[str, Any]) -> None:
    import attrs

    from isrgen.arch.x86 import model as x86model
    from isrgen.model import spec as model

    blocks = [
        (x86model.X86Entry, ("entry",), {}),
        (x86model.Syscall, ("syscall",), {}),
        (model.Sections, ("sections",), {}),
        (x86model.Stubs, ("stubs",), {}),
        (model.Debug, ("debug",), {}),
        (x86model.Simd, ("simd",), {}),
        (model.Table, ("table",), {}),
        (model.Handler, ("handler",), {}),
        (model.Visibilities, ("symbols", "visibility"), {}),
        (model.Frame, ("frame",), {"cpu_names": "cpu_fields"}),
        (model.Vector, ("vectors", "[]"), {"error_code_overridden": "error_code_override"}),
    ]
    nodes = dict(_properties(_branch(schema, "x86_64")))
    checked = 0
    for cls, where, renamed in blocks:
        for field in attrs.fields(cls):
            key = (*where, renamed.get(field.name, field.name))
            if field.default is attrs.NOTHING or key not in nodes:
                continue  # required, or not a spec key (source locations, derived flags)
            node = nodes[key]
            if key in CONTEXT_DEFAULTS:
                assert "default" not in node and "default" in node["description"].lower(), key
                continue
            if field.default is None and "null" not in str(node.get("type")):
                continue  # None: the key is simply absent (a kernel_handler nobody names)
            stated = node.get("default", "<none>")
            # a mapping the model keeps as (key, value) pairs (cpu_fields)
            pairs = isinstance(stated, dict) and isinstance(field.default, tuple)
            expected = dict(field.default) if pairs else _plain(field.default, "isr_")
            assert expected in (stated, stated.replace("{prefix}", "isr_") if isinstance(stated, str) else stated), key
            checked += 1
    assert checked >= 35


def _model_default(cls: type, name: str) -> Any:
    import attrs

    value = attrs.fields_dict(cls)[name].default
    assert value is not attrs.NOTHING, (cls, name)
    return value


def test_the_isa_package_model_defaults_are_the_schemas(schema: dict[str, Any]) -> None:
    from isrgen.arch.aarch64 import options as a64
    from isrgen.arch.riscv64 import options as rv

    pairs: dict[str, list[tuple[tuple[str, ...], Any]]] = {
        "aarch64": [
            (("sections", "code"), _model_default(a64.Sections, "code")),
            (("sections", "table"), _model_default(a64.Sections, "table")),
            (("sections", "code_align"), _model_default(a64.Sections, "code_align")),
            (("stack", "source"), _model_default(a64.Stack, "source")),
            (("syscall", "restored"), _model_default(a64.Syscall, "restored")),
            (("handler", "returns"), _model_default(a64.Handler, "returns")),
            (("handler", "args"), _model_default(a64.Handler, "args")),
            (("frame", "layout", "[]", "size"), _model_default(a64.FrameSlot, "size")),
            *(
                (("symbols", "visibility", k), _model_default(a64.Symbols, f"{k}_visibility"))
                for k in ("table", "entry", "exit")
            ),
            *(
                (("hardening", k), _model_default(a64.Hardening, k))
                for k in ("clear_registers", "unmask_daif", "exit_barrier", "frame_record", "cfi")
            ),
        ],
        "riscv64": [
            (("vector", "slots"), _model_default(rv.Vector, "slots")),
            (("vector", "mode"), _model_default(rv.Vector, "mode").name.lower()),
            (("vector", "interrupts"), dict(_model_default(rv.Vector, "targets"))),
            (("sections", "align"), _model_default(rv.Vector, "align")),
            (("syscall", "restore"), _model_default(rv.Syscall, "restore")),
            (("handler", "returns"), _model_default(rv.Handler, "returns")),
            (("handler", "args"), _model_default(rv.Handler, "args")),
            (("trampoline", "link_check"), _model_default(rv.Trampoline, "link_check")),
            # None: gp is left alone, which the spec says with false
            (("entry", "gp_reload"), _model_default(rv.Hardening, "gp_reload") or False),
            *(
                (("entry", k), _model_default(rv.Hardening, k))
                for k in ("clear_registers", "clear_status", "clear_reservation", "no_restore", "cfi", "compressed")
            ),
        ],
    }
    for arch, items in pairs.items():
        nodes = dict(_properties(_branch(schema, arch)))
        for path, value in items:
            assert nodes[path].get("default") == _plain(value, ""), (arch, path)


# -- register and slot names -----------------------------------------------------------


def _enum_of(node: dict[str, Any]) -> set[str]:
    return set(node["then"]["enum"]) if "then" in node else set(node["enum"])


def test_x86_slot_names_are_the_isa_facts(schema: dict[str, Any]) -> None:
    props = _branch(schema, "x86_64")["properties"]
    names: set[str] = {"pushal", "pad", "simd_area", "vector", "error_code", "frame_pointer", "frame_shift"}
    names |= {"fs_base", "gs_base"}  # x86_64 slots the entry fills from the FS/GS base (SDM Vol. 3A 3.4.4)
    gprs: set[str] = set()
    for arch in ("x86_64", "i386"):
        isa = get_isa(arch)
        assert isa is not None
        f = isa.facts
        gprs |= set(f.gprs)
        names |= set(f.gprs) | set(f.segment_registers) | set(f.cpu_frame) | {f.stack_pointer}
    assert _enum_of(props["frame"]["properties"]["layout"]["items"]) == names
    assert set(props["syscall"]["properties"]["restored"]["items"]["enum"]) == gprs


def test_aarch64_names_are_the_isa_facts(schema: dict[str, Any]) -> None:

    props = _branch(schema, "aarch64")["properties"]
    # Arm ARM C1.2.5: x0-x30 (x31 is sp or xzr by context)
    gprs = {f"x{i}" for i in range(31)}
    roles = gprs | {"sp", "elr", "spsr", "esr", "far", "kind", "pad", "reserved", "fpsimd", "record"}
    layout = props["frame"]["properties"]["layout"]["items"]
    assert _enum_of(layout) == roles and set(layout["else"]["properties"]["holds"]["enum"]) == roles
    assert set(props["syscall"]["properties"]["restored"]["items"]["enum"]) == gprs


YAML_SAFE = YAML(typ="safe")


def _errors(validator: Any, text: str) -> list[Any]:
    return list(validator.iter_errors(YAML_SAFE.load(text)))


@pytest.mark.parametrize(
    ("spec", "good", "typo", "where"),
    [
        ("x86_64.yaml", "rcx, rbx", "rcxx, rbx", ["frame", "layout", 12]),
        ("i386.yaml", "layout: [pushal", "layout: [pushall", ["frame", "layout", 0]),
        ("aarch64.yaml", "x28, x29, x30,", "x28, x29, x31,", ["frame", "layout", 30]),
        ("aarch64.yaml", "restored: [x0]", "restored: [w0]", ["syscall", "restored", 0]),
        ("riscv64.yaml", "sepc, sstatus", "sepcc, sstatus", ["frame", "layout", 31]),
        ("riscv64.yaml", "restore: [a0, a1,", "restore: [a0, a11,", ["syscall", "restore", 1]),
    ],
)
def test_the_schema_flags_a_misspelt_register(
    schema: dict[str, Any], spec: str, good: str, typo: str, where: list[Any]
) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    text = (SPECS / spec).read_text()
    assert good in text
    assert _errors(validator, text) == []
    errors = _errors(validator, text.replace(good, typo, 1))
    assert errors, typo
    paths = [list(e.absolute_path) for e in errors]
    assert any(p[: len(where)] == where for p in paths), paths


@pytest.mark.parametrize("path", sorted(SPECS.rglob("*.yaml")), ids=lambda p: p.relative_to(SPECS).as_posix())
def test_every_shipped_spec_validates(schema: dict[str, Any], path: Path) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in _errors(validator, path.read_text())] == []


def test_the_loader_reports_a_misspelt_slot_at_its_place(tmp_path: Path) -> None:
    spec = tmp_path / "typo.yaml"
    spec.write_text(
        "isrgen: 1\narch: x86_64\nhandler: {symbol: h}\n"
        "frame:\n  layout: [rax, raxx, {rbxx: b}, vector, error_code]\n"
        "vectors:\n  - {vector: 0}\n"
    )
    proc = run(isrgen_cmd("check-spec", str(spec)), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"{spec}:5:17: error: $.frame.layout[1]:" in proc.stderr and "did you mean 'rax'?" in proc.stderr
    assert f"{spec}:5:24: error: $.frame.layout[2].rbxx: unknown key 'rbxx'; did you mean 'rbx'?" in proc.stderr
