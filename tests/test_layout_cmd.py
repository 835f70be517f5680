"""``isrgen layout``: the frame table, the call alignment and the vector table, checked
against offsets written down from the Intel SDM and the SysV AMD64 ABI, not from the
generator; the SVG diagram is rendered to PNG by a real SVG renderer."""

from __future__ import annotations

import itertools
import json
import os
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULT_SPEC, SPECS, isrgen_cmd, require_tool, run

# specs/x86_64.yaml: the spec's layout low-first, then what the CPU pushes in 64-bit mode,
# low address first: RIP, CS, RFLAGS, RSP, SS (SDM Vol. 3A 6.14.2, Figure 6-9), the error
# code directly below RIP.  8 bytes each.
X86_64_OFFSETS = {
    "r15": 0, "r14": 8, "r13": 16, "r12": 24, "r11": 32, "r10": 40, "r9": 48, "r8": 56,
    "rbp": 64, "rdi": 72, "rsi": 80, "rdx": 88, "rcx": 96, "rbx": 104, "rax": 112,
    "vector": 120, "error_code": 128,
    "rip": 136, "cs": 144, "rflags": 152, "rsp": 160, "ss": 168,
}  # fmt: skip
X86_64_SIZE = 176
# vectors for which the CPU pushes an error code (SDM Vol. 3A Table 6-1):
# #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30
CPU_ERROR_CODE = {8, 10, 11, 12, 13, 14, 17, 21, 29, 30}

# specs/i386.yaml: PUSHA pushes EAX, ECX, EDX, EBX, the original ESP, EBP, ESI, EDI
# (SDM Vol. 2B PUSHA), so memory low-first holds EDI first; then gs fs es ds, the vector,
# the error code, and the CPU's EIP, CS, EFLAGS, with ESP and SS only on a privilege
# change (SDM Vol. 3A 6.12.1, Figure 6-4).  4 bytes each.
I386_OFFSETS = {
    "edi": 0, "esi": 4, "ebp": 8, "oesp": 12, "ebx": 16, "edx": 20, "ecx": 24, "eax": 28,
    "gs": 32, "fs": 36, "es": 40, "ds": 44, "vector": 48, "error_code": 52,
    "eip": 56, "cs": 60, "eflags": 64, "esp": 68, "ss": 72,
}  # fmt: skip


def _json(spec: Path) -> Any:
    return json.loads(run(isrgen_cmd("layout", str(spec), "--format", "json")).stdout)


def test_json_frame_of_the_default_spec_matches_the_sdm() -> None:
    data = _json(DEFAULT_SPEC)
    assert data["format"] == "isrgen-layout/1"
    frame = data["frame"]
    assert frame["size"] == X86_64_SIZE and frame["struct"] == "isr_frame"
    slots = frame["slots"]
    assert {s["field"]: s["offset"] for s in slots} == X86_64_OFFSETS
    assert [s["field"] for s in slots] == list(X86_64_OFFSETS)  # low address first
    assert all(s["size"] == 8 for s in slots)
    by_field = {s["field"]: s for s in slots}
    for cpu in ("rip", "cs", "rflags", "rsp", "ss"):
        assert by_field[cpu]["writers"] == ["cpu"]
    for saved in ("r15", "rax", "rbp"):
        assert by_field[saved]["writers"] == ["entry"]
    # dense stubs: the CPU pushes some error codes, the entry stores the synthetic ones
    # and moves the stub's vector down for vectors without a CPU error code
    assert by_field["error_code"]["writers"] == ["cpu", "entry"]
    assert by_field["vector"]["writers"] == ["stub", "entry"]


def test_json_call_alignment_follows_sysv() -> None:
    # SysV AMD64 ABI 3.2.2: rsp is 16-byte aligned at the call; the CPU aligns rsp to 16
    # before pushing (SDM Vol. 3A 6.14.2) and 176 = 11 * 16, so nothing is reserved
    call = _json(DEFAULT_SPEC)["call"]
    assert call == {"convention": "sysv", "alignment": 16, "adjust": 0, "dynamic": False, "aligned": True}


def test_json_vector_table_of_the_default_spec() -> None:
    vectors = {v["vector"]: v for v in _json(DEFAULT_SPEC)["vectors"]}
    assert sorted(vectors) == list(range(256))
    assert {n for n, v in vectors.items() if v["error_code"] == "cpu"} == CPU_ERROR_CODE
    assert all(v["error_value"] is None for n, v in vectors.items() if n in CPU_ERROR_CODE)
    assert vectors[0]["error_code"] == "synthetic" and vectors[0]["error_value"] == 0
    assert vectors[8] | {} == {
        "vector": 8, "name": "double_fault", "stub": "isr_stub_8", "handler": "isr_dispatch",
        "kernel_handler": None, "ist": 1, "gate": "interrupt", "dpl": 0,
        "error_code": "cpu", "error_value": None, "entry": "isr_common",
    }  # fmt: skip
    assert (vectors[2]["ist"], vectors[1]["ist"], vectors[18]["ist"]) == (2, 3, 4)
    for trap in (3, 4, 128):
        assert (vectors[trap]["gate"], vectors[trap]["dpl"]) == ("trap", 3)
    assert vectors[255]["name"] == "spurious" and vectors[200]["stub"] == "isr_stub_200"


def test_json_frame_of_the_i386_spec() -> None:
    data = _json(SPECS / "i386.yaml")
    slots = data["frame"]["slots"]
    assert {s["field"]: s["offset"] for s in slots} == I386_OFFSETS
    assert data["frame"]["size"] == 76
    ring = {s["field"] for s in slots if s["ring_change_only"]}
    assert ring == {"esp", "ss"}
    # classic stubs push the filler and the vector themselves
    by_field = {s["field"]: s for s in slots}
    assert by_field["error_code"]["writers"] == ["cpu", "stub"]
    assert by_field["vector"]["writers"] == ["stub"]
    # the CPU does not align esp on i386: the entry aligns it at run time
    assert data["call"]["dynamic"] is True and data["call"]["aligned"] is True


def test_call_adjust_below_an_odd_frame(tmp_path: Path) -> None:
    spec = tmp_path / "odd.yaml"
    spec.write_text(
        "isrgen: 1\narch: x86_64\nhandler: {symbol: h}\n"
        "frame: {layout: [rax, rbx, rcx, rdx, rsi, rdi, r8, r9, r10, r11, vector, error_code]}\n"
        "vectors:\n  - {range: [0, 31], name: 'e{n}'}\n"
    )
    data = _json(spec)
    # 12 slots + 5 CPU words = 136 bytes; 136 % 16 == 8, so 8 bytes below the frame
    assert data["frame"]["size"] == 136
    assert data["call"]["adjust"] == 8
    text = run(isrgen_cmd("layout", str(spec))).stdout
    assert "the entry reserves 8 more below it" in text


def test_text_tables_of_the_default_spec() -> None:
    text = run(isrgen_cmd("layout", str(DEFAULT_SPEC))).stdout
    lines = text.splitlines()
    assert lines[0] == f"{DEFAULT_SPEC}: struct isr_frame, 176 bytes, x86_64 (8-byte words), low address first"
    header = lines.index("offset  size  field       role        written by")
    rows = [line.split() for line in lines[header + 1 : header + 1 + len(X86_64_OFFSETS)]]
    assert {r[2]: int(r[0]) for r in rows} == X86_64_OFFSETS
    assert {r[2]: r[4] for r in rows}["rip"] == "cpu"
    assert any(line.startswith("stack at the call (sysv): 16-byte aligned") for line in lines)
    vector_header = next(i for i, line in enumerate(lines) if line.startswith("vector  name"))
    assert lines[vector_header].split() == [
        "vector", "name", "stub", "handler", "kernel", "handler", "ist", "gate", "dpl", "error", "code", "entry",
    ]  # fmt: skip
    row8 = lines[vector_header + 1 + 8].split()
    assert row8 == ["8", "double_fault", "isr_stub_8", "isr_dispatch", "-", "1", "interrupt", "0", "cpu", "isr_common"]
    assert len(lines) == vector_header + 1 + 256


def test_layout_is_deterministic() -> None:
    outs = set()
    for seed in ("0", "1", "12345"):
        for fmt in ("text", "json", "svg"):
            env = {**os.environ, "PYTHONHASHSEED": seed}
            outs.add((fmt, run(isrgen_cmd("layout", str(DEFAULT_SPEC), "--format", fmt), env=env).stdout))
    assert len(outs) == 3


def test_bad_spec_reports_and_prints_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("isrgen: 1\narch: x86_64\nhandler: {symbol: h}\nvectors:\n  - {vector: 3, ist: 9}\n")
    proc = run(isrgen_cmd("layout", str(spec)), check=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert f"{spec}:5:" in proc.stderr and "Traceback" not in proc.stderr


def test_svg_diagram_renders(tmp_path: Path) -> None:
    svg = run(isrgen_cmd("layout", str(DEFAULT_SPEC), "--format", "svg")).stdout
    root = ET.fromstring(svg.split("\n", 1)[1])  # well-formed XML after the declaration
    ns = {"s": "http://www.w3.org/2000/svg"}
    texts = [t.text for t in root.iterfind(".//s:text", ns)]
    # one offset label per slot, highest address on top
    offsets = [int(t[1:]) for t in texts if t and t.startswith("+") and t[1:].isdigit()]
    assert offsets == sorted(X86_64_OFFSETS.values(), reverse=True)
    assert {"rip", "error_code", "r15"} <= set(texts)
    require_tool("rsvg-convert")
    (tmp_path / "frame.svg").write_text(svg)
    png = tmp_path / "frame.png"
    run(["rsvg-convert", "-o", str(png), str(tmp_path / "frame.svg")])
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    assert (width, height) == (int(root.get("width", "0")), int(root.get("height", "0")))
    assert height > 22 * len(X86_64_OFFSETS)  # a row per slot fits


@pytest.mark.parametrize("spec", sorted((SPECS / "examples").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_example_has_a_layout(spec: Path) -> None:
    data = _json(spec)
    for frame in [data["frame"], *data["other_frames"]]:
        slots = frame["slots"]
        # contiguous, low address first, ending at the frame's size
        assert slots[0]["offset"] == 0
        assert all(a["offset"] + a["size"] == b["offset"] for a, b in itertools.pairwise(slots))
        assert slots[-1]["offset"] + slots[-1]["size"] == frame["size"]
