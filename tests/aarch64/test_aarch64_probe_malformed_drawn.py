"""Drawn malformed aarch64 specs: hypothesis (derandomized) puts one to three known-bad values
into specs/aarch64.yaml at unrelated keys; the load must fail with a SpecError holding, for
every bad value, a diagnostic at that value, its key or inside it (where the edited
document's own parse puts them), and nothing else may escape."""

from __future__ import annotations

import copy
import io
from typing import Any

from a64_helpers import BASE_SPEC
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.diagnostics import SpecError
from isrgen.spec.yamlsource import parse_yaml

BASE = parse_yaml(BASE_SPEC.read_text(), str(BASE_SPEC)).data

#: path -> values that are wrong there whatever else the spec says
BAD: dict[tuple[Any, ...], list[Any]] = {
    ("symbols", "prefix"): [1, "9x", "a b", "", "p" * 300],
    ("symbols", "table"): ["x0", "a.b", "{nope}", "return", "{prefix"],
    ("symbols", "entry"): ["{prefix}same", "x{n}", "{prefix}{name}.e"],
    ("symbols", "exit"): ["lsl", "int", []],
    ("symbols", "bogus"): [1],
    ("sections", "code"): [".data", ".init", ".init_array.x", "a b", ".rodata.isr"],
    ("sections", "table"): [".eh_frame", ".bss", 5],
    ("sections", "code_align"): [3, 8192, "16", 24],
    ("table", "style"): ["fast", None],
    ("frame", "layout", 3): ["x31", "w3", "", 5, {"name": "a"}, {"name": "b", "holds": "fpsimd"}],
    ("frame", "layout", 33): ["sp_el0", {"name": "q", "holds": "spsr", "size": 16}],
    ("frame", "renames"): [{"elr": "class"}, {"nope": "x"}, {"elr": "x3"}, {"spsr": "NULLX1", "esr": "size_t"}],
    ("frame", "struct"): ["self", "a-b", "__", "struct"],
    ("frame", "colour"): ["blue"],
    ("stack", "source"): ["sp_el0", "x0", True],
    ("stack", "sp_el0"): ["tpidr_el0"],
    ("handler", "symbol"): ["sp", "return", "a.b", 7, "isr_return", "isr_install_vbar", "isr_halt_wfi"],
    ("handler", "returns"): ["maybe", 0],
    ("handler", "args"): [["esr"], ["frame", "frame"], "frame", [], ["frame", "kind", "esr", "kind"]],
    ("bad_mode", "returns"): ["void"],
    ("slots", 1, "slot"): ["el2_sync", 16, -1, True, "el0_32_irq"],
    ("slots", 1, "use"): ["other", "kernel"],
    ("slots", 1, "fpsimd"): ["no"],
    ("syscall", "restored"): [["sp"], ["x31"], ["x0", "x0"], "x0"],
    ("syscall", "slot"): ["el1h_sync", 0, "el0_64_irq"],
    ("hardening", "exit_barrier"): ["isb"],
    ("hardening", "unmask_daif"): [["x"], ["d", "d"]],
    ("hardening", "cfi"): ["yes"],
    ("outputs",): [{"nasm": "x.asm"}, {"gas": ".."}, {"gas": "a", "c": "a"}, {"gas": "a/b"}],
}
PATHS = sorted(BAD, key=repr)


def _independent(paths: list[tuple[Any, ...]]) -> bool:
    """No path inside another, and at most one edit per ``slots`` item (a refused ``use`` leaves
    open whether an AArch32 slot was meant for bad_mode)."""
    items = [p[:2] for p in paths if p[0] == "slots"]
    nested = any(a[: len(b)] == b or b[: len(a)] == a for i, a in enumerate(paths) for b in paths[i + 1 :])
    return not nested and len(items) == len(set(items))


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[tuple[Any, ...], Any]]:
    paths = draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3, unique=True).filter(_independent))
    return [(p, draw(st.sampled_from(BAD[p]))) for p in paths]


def _put(data: Any, path: tuple[Any, ...], value: Any) -> None:
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = copy.deepcopy(value)


@settings(derandomize=True, max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutations())
def test_every_bad_value_is_reported_where_it_stands(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    data = copy.deepcopy(BASE)
    for path, value in edits:
        _put(data, path, value)
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    buf = io.StringIO()
    yaml.dump(data, buf)
    text = buf.getvalue()
    loc = parse_yaml(text, "m.yaml").locations
    try:
        load_aarch64_spec(text, "m.yaml")
    except SpecError as exc:
        got = {(d.source.line, d.source.col) for d in exc.diagnostics}
        assert all(d.source.file == "m.yaml" and d.message for d in exc.diagnostics)
    else:
        raise AssertionError(f"accepted: {edits}")
    for path, value in edits:
        inside = [p for p in loc.values if tuple(p[: len(path)]) == path] + [
            p for p in loc.keys if tuple(p[: len(path)]) == path
        ]
        places = {(loc.of(p).line, loc.of(p).col) for p in inside} | {
            (loc.of_key(p).line, loc.of_key(p).col) for p in inside
        }
        assert got & places, f"{path} = {value!r}: no error there; got {sorted(got)}, places {sorted(places)}"
