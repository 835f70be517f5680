"""Every aarch64 spec the loader accepts gives glue that every tool takes and the proof passes.

Hypothesis (derandomized, a few examples) draws specs across the options: names and prefixes,
frame orders with copies, pads and reserved words, an FP/SIMD area and a frame record, renames, table styles,
stack sources, handler signatures (per slot too), system calls and hardening.  The frame's
expected offsets are computed here from the drawn layout (8 bytes a register, a pad its size,
q0-q31 16 bytes each then fpcr/fpsr, a record 16), not asked of the generator.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from a64_probe_tools import TOOLS, check_every_tool
from conftest import require_module, require_tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.diagnostics import SpecError

GPRS = [f"x{i}" for i in range(31)]
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
SLOT_NAMES = [f"{o}_{t}" for o in ("el1t", "el1h", "el0_64") for t in ("sync", "irq", "fiq", "serror")]
ARGS = st.sampled_from(
    [["frame"], ["frame", "kind"], ["frame", "esr"], ["frame", "kind", "esr"], ["frame", "esr", "kind"]]
)


@st.composite
def layouts(draw: st.DrawFn) -> tuple[list[Any], dict[str, str], dict[str, int], int, bool]:
    """(layout, renames, expected field offsets, expected size, has a record)."""
    items: list[Any] = [*GPRS, "sp", "elr", "spsr"]
    items += draw(st.lists(st.sampled_from(["esr", "far", "kind"]), unique=True))
    copies = draw(st.lists(st.sampled_from(GPRS), unique=True, max_size=2))
    items += [{"name": f"orig_{r}", "holds": r} for r in copies]
    pads = draw(st.lists(st.tuples(st.sampled_from(["pad", "reserved"]), st.sampled_from([8, 16, 24, 64])), max_size=2))
    items += [{"name": f"spare{i}", "holds": role, "size": s} for i, (role, s) in enumerate(pads)]
    record = draw(st.booleans())
    if record:
        items.append("record")
    items = draw(st.permutations(items))
    renamable = [r for r in ("elr", "spsr", "sp", "x30", "x29", "esr") if r in items]
    renames = {r: f"{r}_{draw(NAMES)}" for r in draw(st.lists(st.sampled_from(renamable), unique=True, max_size=3))}
    offsets: dict[str, int] = {}
    offset = 0

    def put(name: str, size: int) -> None:
        nonlocal offset
        offsets[name] = offset
        offset += size

    for item in items:
        if isinstance(item, dict):
            put(item["name"], item.get("size", 8))
        else:
            put(renames.get(item, item), 16 if item == "record" else 8)
    if draw(st.booleans()):
        if offset % 16:
            items.append({"name": "fp_align", "holds": "pad"})
            put("fp_align", 8)
        items.append("fpsimd")
        for q in range(32):
            put(f"q{q}", 16)
        put("fpcr", 8)
        put("fpsr", 8)
    if offset % 16:
        items.append({"name": "tail", "holds": "pad"})
        put("tail", 8)
    return items, renames, offsets, offset, record


@st.composite
def specs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, int], int]:
    layout, renames, offsets, size, record = draw(layouts())
    prefix = draw(NAMES) + "_"
    handler_returns = draw(st.sampled_from(["void", "frame", "noreturn"]))
    data: dict[str, Any] = {
        "isrgen": 1,
        "arch": "aarch64",
        "symbols": {
            "prefix": prefix,
            "table": draw(st.sampled_from(["{prefix}vectors", "vectors", "{prefix}vbar_table"])),
            "entry": draw(st.sampled_from(["{prefix}entry_{name}", "{prefix}e{n}", "{name}_{prefix}in"])),
            "exit": draw(st.sampled_from(["{prefix}return", "{prefix}eret_frame"])),
            "visibility": {"table": draw(st.sampled_from(["global", "local"])), "exit": "global"},
        },
        "sections": {
            "code": draw(st.sampled_from([".text", ".text.isr", ".entry.text", "kernel_entry"])),
            "table": draw(st.sampled_from([".text.vectors", ".vectors", ".text"])),
            "code_align": draw(st.sampled_from([4, 16, 64, 2048])),
        },
        "table": {"style": draw(st.sampled_from(["branch", "linux", "inline"]))},
        "frame": {"struct": draw(st.sampled_from(["{prefix}frame", "trap_frame", "pt_regs"])), "layout": layout},
        "stack": {
            "source": draw(st.sampled_from(["sp_el1", "tpidr_el1", "tpidrro_el0"])),
            "sp_el0": draw(st.sampled_from(["user", "tpidr_el1", "tpidrro_el0"])),
        },
        "handler": {"symbol": "on_trap", "returns": handler_returns, "args": draw(ARGS)},
        "bad_mode": {"symbol": "on_bad", "args": draw(ARGS)},
        "hardening": {
            "clear_registers": draw(st.booleans()),
            "unmask_daif": draw(st.lists(st.sampled_from(["d", "a", "i", "f"]), unique=True, max_size=2)),
            "exit_barrier": draw(st.sampled_from(["none", "sb", "dsb_isb"])),
            "frame_record": record or draw(st.booleans()),
            "cfi": draw(st.booleans()),
        },
        "outputs": {"gas": "isr.S", "c": "isr.h", "rust": "isr.rs"},
    }
    if renames:
        data["frame"]["renames"] = renames
    if draw(st.booleans()):
        data["symbols"]["exit_sp"] = "{prefix}trapret"
    if draw(st.booleans()):
        data["kernel_handler"] = {"symbol": "on_kernel_fault", "returns": draw(st.sampled_from(["void", "noreturn"]))}
    used = draw(st.lists(st.sampled_from(SLOT_NAMES), unique=True, min_size=1, max_size=6))
    slots: list[dict[str, Any]] = []
    for name in used:
        item: dict[str, Any] = {"slot": name if draw(st.booleans()) else SLOT_NAMES.index(name)}
        if "kernel_handler" in data and name.startswith("el1") and draw(st.booleans()):
            item["use"] = "kernel_handler"
        if draw(st.integers(0, 3)) == 0:
            item["symbol"] = f"on_{name}"
            item["args"] = draw(ARGS)
        slots.append(item)
    if draw(st.booleans()):
        slots.append({"slot": "el0_32_sync", "use": "bad_mode", "symbol": "on_aarch32"})
    data["slots"] = slots
    if "el0_64_sync" in used and draw(st.booleans()):
        data["syscall"] = {
            "handler": "on_svc",
            "args": draw(ARGS),
            "restored": draw(st.lists(st.sampled_from(GPRS[:8]), unique=True, max_size=3)),
        }
    return data, offsets, size


def dump(data: dict[str, Any]) -> str:
    yaml = YAML(typ="safe")
    yaml.default_flow_style = None
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def test_every_accepted_spec_passes_every_tool(tmp_path_factory: Any) -> None:
    require_tool(*TOOLS)
    require_module("unicorn")
    accepted: list[str] = []
    refused: list[str] = []

    @settings(derandomize=True, max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(specs())
    def one(drawn: tuple[dict[str, Any], dict[str, int], int]) -> None:
        data, offsets, size = drawn
        text = dump(data)
        try:
            spec = load_aarch64_spec(text, "drawn.yaml")
        except SpecError as exc:
            # a refusal is located and says why (an inline slot that overflows, ...)
            assert all(d.source.file == "drawn.yaml" and d.source.line >= 1 for d in exc.diagnostics)
            refused.append(str(exc))
            return
        accepted.append(text)
        check_every_tool(spec, offsets, size, Path(tmp_path_factory.mktemp("drawn")))

    one()
    # the strategy must reach the tools, not only the loader's refusals
    assert len(accepted) >= 15, "\n".join(refused)


def test_the_largest_frame_passes_every_tool(tmp_path: Path) -> None:
    """32768 bytes: the last 8-byte field at [sp, #32760], STR's largest scaled offset
    (Arm ARM C6.2, STR (immediate)); FP/SIMD area at the top, stack from TPIDR_EL1."""
    require_tool(*TOOLS)
    require_module("unicorn")
    layout: list[Any] = [*GPRS, "sp", "elr", "spsr", "esr"]  # 35 words: 280 bytes
    offsets = {r: 8 * i for i, r in enumerate(layout)}
    fill = 32768 - 280 - 8 - 528  # then one 8-byte pad, the FP/SIMD area (528 bytes)
    at = 280
    while fill:
        size = min(4096, fill)
        layout.append({"name": f"big{at}", "holds": "pad", "size": size})
        offsets[f"big{at}"] = at
        at += size
        fill -= size
    layout += [{"name": "align", "holds": "pad"}, "fpsimd"]
    offsets.update({"align": at, "q0": at + 8, "q31": at + 8 + 31 * 16, "fpcr": at + 8 + 512, "fpsr": at + 8 + 520})
    assert offsets["fpsr"] == 32760
    data = {
        "isrgen": 1, "arch": "aarch64", "table": {"style": "linux"}, "frame": {"layout": layout},
        "stack": {"source": "tpidr_el1", "sp_el0": "tpidrro_el0"},
        "handler": {"symbol": "on_trap", "returns": "frame"}, "bad_mode": {"symbol": "on_bad"},
        "slots": [{"slot": "el1h_irq"}, {"slot": "el0_64_sync"}], "hardening": {"frame_record": True, "cfi": True},
    }  # fmt: skip
    spec = load_aarch64_spec(dump(data), "largest.yaml")
    check_every_tool(spec, offsets, 32768, tmp_path)
