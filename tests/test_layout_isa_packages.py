"""``isrgen layout`` for aarch64 and riscv64 specs.  Expected offsets are written down
from the Arm ARM (D1.10.2, the VBAR_EL1 vector offsets), AAPCS64, the RISC-V
privileged spec (4.1.2 stvec, 4.1.9 scause) and the RISC-V psABI, and from the
kernels' own structs the example specs reproduce, never from the generator."""

from __future__ import annotations

import json
import os
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import SPECS, isrgen_cmd, require_tool, run

AARCH64 = SPECS / "aarch64.yaml"
RISCV64 = SPECS / "riscv64.yaml"

# Arm ARM D1.10.2, table "Vector offsets from vector table base address": four groups
# (current EL with SP_EL0, current EL with SP_ELx, lower EL AArch64, lower EL AArch32) of
# four types (synchronous, IRQ, FIQ, SError), 0x80 bytes apart
VBAR_OFFSETS = {
    "el1t_sync": 0x000, "el1t_irq": 0x080, "el1t_fiq": 0x100, "el1t_serror": 0x180,
    "el1h_sync": 0x200, "el1h_irq": 0x280, "el1h_fiq": 0x300, "el1h_serror": 0x380,
    "el0_64_sync": 0x400, "el0_64_irq": 0x480, "el0_64_fiq": 0x500, "el0_64_serror": 0x580,
    "el0_32_sync": 0x600, "el0_32_irq": 0x680, "el0_32_fiq": 0x700, "el0_32_serror": 0x780,
}  # fmt: skip

# Linux arch/arm64/include/asm/ptrace.h, struct pt_regs: u64 regs[31], sp, pc, pstate,
# orig_x0, then s32 syscallno + u32 unused; the example keeps the 16-byte stackframe
# record {x29, elr} right after (AAPCS64 6.4.6) and ends there: 304 bytes
ARM64_PT_REGS = {
    **{f"x{i}": 8 * i for i in range(31)},
    "sp": 248, "pc": 256, "pstate": 264, "orig_x0": 272, "syscallno": 280, "stackframe": 288,
}  # fmt: skip

# Linux arch/riscv/include/asm/ptrace.h, struct pt_regs: epc, then x1..x31 by ABI name,
# status, badaddr, cause, orig_a0: 36 unsigned longs
RV_ABI = ["ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
          "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"]  # fmt: skip
RV_PT_REGS = {"epc": 0, **{r: 8 * (i + 1) for i, r in enumerate(RV_ABI)}, "status": 256, "badaddr": 264,
              "cause": 272, "orig_a0": 280}  # fmt: skip

# priv 4.1.9, table 4.2: scause's interrupt bit is bit XLEN-1; supervisor interrupts
# 1 (software), 5 (timer), 9 (external); 8 is an environment call from U-mode
INTERRUPT = 1 << 63
SUPERVISOR_INTERRUPTS = {1: "supervisor_software", 5: "supervisor_timer", 9: "supervisor_external"}
EXCEPTION_CODES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 15}


def _json(spec: Path) -> Any:
    return json.loads(run(isrgen_cmd("layout", str(spec), "--format", "json")).stdout)


def test_aarch64_slots_sit_at_the_arm_arm_vector_offsets() -> None:
    data = _json(AARCH64)
    assert data["format"] == "isrgen-layout/1" and data["arch"] == "aarch64" and data["row_kind"] == "slot"
    rows = data["vectors"]
    assert {r["name"]: r["offset"] for r in rows} == VBAR_OFFSETS
    assert [r["vector"] for r in rows] == list(range(16))
    by_name = {r["name"]: r for r in rows}
    # specs/aarch64.yaml routes EL1 synchronous exceptions to the kernel handler, SVCs to
    # the syscall handler, FIQ/SError/AArch32 to bad_mode
    assert by_name["el1h_sync"]["handler"] == "isr_kernel_fault"
    assert by_name["el0_64_sync"]["syscall"] == "isr_syscall"
    assert by_name["el0_64_irq"]["handler"] == "isr_dispatch" and by_name["el0_64_irq"]["syscall"] is None
    assert {r["name"] for r in rows if r["use"] == "bad_mode"} == {
        n for n in VBAR_OFFSETS if n.endswith(("fiq", "serror")) or n.startswith("el0_32")
    }
    assert by_name["el1h_irq"]["entry"] == "isr_entry_el1h_irq"
    assert [e["vectors"] for e in data["entries"]] == [[n] for n in range(16)]


def test_aarch64_frame_of_the_default_spec() -> None:
    data = _json(AARCH64)
    frame = data["frame"]
    offsets = {s["field"]: s["offset"] for s in frame["slots"]}
    # x0-x30, sp, elr, spsr, esr, far, kind, pad: 8 bytes each; q0-q31 16 bytes each
    # from 38 * 8 = 304 (16-byte aligned); fpcr, fpsr after them; 832 = 52 * 16
    assert {f"x{i}": offsets[f"x{i}"] for i in range(31)} == {f"x{i}": 8 * i for i in range(31)}
    assert [offsets[f] for f in ("sp", "elr", "spsr", "esr", "far", "kind", "pad")] == list(range(248, 304, 8))
    assert [offsets[f"q{i}"] for i in range(32)] == list(range(304, 816, 16))
    assert (offsets["fpcr"], offsets["fpsr"], frame["size"]) == (816, 824, 832)
    by_field = {s["field"]: s for s in frame["slots"]}
    # the CPU pushes nothing: it sets ELR/SPSR/ESR/FAR_EL1 and the entry copies them
    assert all(s["writers"] == ["entry"] for s in frame["slots"])
    assert {f: by_field[f]["source"] for f in ("elr", "spsr", "esr", "far")} == {
        "elr": "ELR_EL1", "spsr": "SPSR_EL1", "esr": "ESR_EL1", "far": "FAR_EL1",
    }  # fmt: skip
    assert by_field["x0"]["source"] is None and by_field["x0"]["kind"] == "gpr"
    # AAPCS64 6.4.5.1: sp 16-byte aligned at the call; 832 needs nothing below the frame
    assert data["call"] == {"convention": "aapcs64", "alignment": 16, "adjust": 0, "dynamic": False, "aligned": True}


def test_aarch64_linux_pt_regs_example() -> None:
    data = _json(SPECS / "examples" / "aarch64_linux_pt_regs.yaml")
    frame = data["frame"]
    assert frame["struct"] == "pt_regs" and frame["size"] == 304
    assert {s["field"]: s["offset"] for s in frame["slots"]} == ARM64_PT_REGS
    by_field = {s["field"]: s for s in frame["slots"]}
    assert (by_field["pc"]["role"], by_field["pc"]["source"]) == ("elr", "ELR_EL1")
    assert (by_field["orig_x0"]["role"], by_field["orig_x0"]["source"]) == ("x0", "x0")
    assert by_field["stackframe"]["kind"] == "frame_pointer"
    # the record is inside the frame: nothing reserved below it
    assert data["call"]["adjust"] == 0
    # SP_EL0 holds the current task (tpidr_el1) but the stack is still SP_EL1's
    assert {r["stack"] for r in data["vectors"]} == {"SP_EL1", "SP_EL1 (the interrupted stack)"}


def test_aarch64_inline_slots_are_written_by_the_vector_slot() -> None:
    data = _json(SPECS / "examples" / "aarch64_teaching_trapframe.yaml")
    writers = {s["field"]: s["writers"] for s in data["frame"]["slots"]}
    # table.style inline: the GPR and system-register save sits in the 0x80-byte slot
    assert writers["x0"] == ["stub"] and writers["x30"] == ["stub"]


def test_aarch64_text_table() -> None:
    text = run(isrgen_cmd("layout", str(AARCH64))).stdout
    lines = text.splitlines()
    assert lines[0] == f"{AARCH64}: struct isr_frame, 832 bytes, aarch64 (8-byte words), low address first"
    assert "stack at the call (aapcs64): 16-byte aligned" in text
    header = next(i for i, line in enumerate(lines) if line.startswith("slot  offset"))
    rows = [line.split() for line in lines[header + 1 : header + 17]]
    assert [(int(r[0]), int(r[1], 16), r[2]) for r in rows] == [
        (n, off, name) for n, (name, off) in enumerate(VBAR_OFFSETS.items())
    ]


def test_riscv64_linux_pt_regs_example() -> None:
    data = _json(SPECS / "examples" / "riscv64_linux_pt_regs.yaml")
    frame = data["frame"]
    assert frame["struct"] == "pt_regs" and frame["size"] == 288
    assert {s["field"]: s["offset"] for s in frame["slots"]} == RV_PT_REGS
    by_field = {s["field"]: s for s in frame["slots"]}
    assert {f: by_field[f]["source"] for f in ("epc", "status", "badaddr", "cause")} == {
        "epc": "sepc", "status": "sstatus", "badaddr": "stval", "cause": "scause",
    }  # fmt: skip
    # psABI: sp 16-byte aligned at a call; 288 = 18 * 16
    assert data["call"]["convention"] == "lp64" and data["call"]["alignment"] == 16 and data["call"]["aligned"]
    rows = data["vectors"]
    assert all(r["user_stack"] == "kernel sp at tp + 16 (tp from sscratch)" for r in rows if r["user_stack"])


def test_riscv64_causes_of_the_default_spec() -> None:
    data = _json(RISCV64)
    assert data["row_kind"] == "cause"
    rows = data["vectors"]
    interrupts = {r["code"]: r for r in rows if r["interrupt"]}
    exceptions = {r["code"]: r for r in rows if not r["interrupt"]}
    assert {c: r["name"] for c, r in interrupts.items()} == SUPERVISOR_INTERRUPTS
    assert set(exceptions) == EXCEPTION_CODES
    assert all(r["vector"] == INTERRUPT | c for c, r in interrupts.items())
    assert all(r["vector"] == c for c, r in exceptions.items())
    # direct mode: every trap enters at BASE (priv 4.1.2)
    assert {r["offset"] for r in rows} == {0} and {r["user_entry"] for r in rows} == {"trap_entry", None}
    # an ecall from U-mode goes to the syscall handler and never comes from the kernel;
    # one from S-mode never comes from U-mode
    assert (exceptions[8]["user_handler"], exceptions[8]["kernel_entry"]) == ("syscall_handler", None)
    assert (exceptions[9]["user_entry"], exceptions[9]["kernel_handler"]) == (None, "trap_handler")
    assert exceptions[13]["user_handler"] == "trap_handler"
    assert interrupts[5]["user_stack"] == "kernel sp from sscratch"
    assert interrupts[5]["kernel_stack"] == "the interrupted sp"


def test_riscv64_vectored_offsets(tmp_path: Path) -> None:
    spec = tmp_path / "vectored.yaml"
    spec.write_text(RISCV64.read_text().replace("  mode: direct ", "  mode: vectored "))
    rows = _json(spec)["vectors"]
    # priv 4.1.2: in vectored mode an interrupt with cause n enters at BASE + 4n,
    # every exception at BASE
    assert {r["code"]: r["offset"] for r in rows if r["interrupt"]} == {1: 0x4, 5: 0x14, 9: 0x24}
    assert {r["offset"] for r in rows if not r["interrupt"]} == {0}


def test_riscv64_kernel_switch_has_two_frames() -> None:
    data = _json(SPECS / "examples" / "riscv64_xv6_trampoline.yaml")
    # xv6 kernel/proc.h, struct trapframe: kernel_satp, kernel_sp, kernel_trap, epc,
    # kernel_hartid, then ra..t6: 36 words
    offsets = {s["field"]: s["offset"] for s in data["frame"]["slots"]}
    assert [offsets[f] for f in ("kernel_satp", "kernel_sp", "kernel_trap", "epc", "kernel_hartid", "ra")] == [
        0, 8, 16, 24, 32, 40,
    ]  # fmt: skip
    assert offsets["t6"] == 280 and data["frame"]["size"] == 288
    writers = {s["field"]: s["writers"] for s in data["frame"]["slots"]}
    assert writers["kernel_sp"] == ["kernel"] and writers["epc"] == ["entry"]
    (kernel,) = data["other_frames"]
    assert kernel["struct"] == "kernel_regs" and kernel["size"] == 256
    rows = {(r["interrupt"], r["code"]): r for r in data["vectors"]}
    assert rows[(True, 5)]["kernel_entry"] == "kernelvec" and rows[(True, 5)]["user_entry"] == "uservec"
    assert [e["symbol"] for e in data["entries"]] == ["uservec", "kernelvec", "timervec"]
    # priv 3.1.9: the machine timer interrupt is cause 7; xv6's timervec takes it through mtvec
    timer = rows[(True, 7)]
    assert timer["vector"] == INTERRUPT | 7 and timer["user_entry"] == timer["kernel_entry"] == "timervec"
    assert "sip.SSIP" in timer["user_handler"]


@pytest.mark.parametrize(
    "spec", [AARCH64, RISCV64, SPECS / "examples" / "riscv64_sel4_like.yaml"], ids=lambda p: p.stem
)
def test_svg_diagram_renders(tmp_path: Path, spec: Path) -> None:
    svg = run(isrgen_cmd("layout", str(spec), "--format", "svg")).stdout
    root = ET.fromstring(svg.split("\n", 1)[1])
    ns = {"s": "http://www.w3.org/2000/svg"}
    texts = [t.text or "" for t in root.iterfind(".//s:text", ns)]
    main = _json(spec)["frame"]
    offsets = [int(t[1:]) for t in texts if t.startswith("+") and t[1:].isdigit()]
    # the main frame first, highest address on top
    assert offsets[: len(main["slots"])] == sorted((s["offset"] for s in main["slots"]), reverse=True)
    require_tool("rsvg-convert")
    (tmp_path / "frame.svg").write_text(svg)
    png = tmp_path / "frame.png"
    run(["rsvg-convert", "-o", str(png), str(tmp_path / "frame.svg")])
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    assert (width, height) == (int(root.get("width", "0")), int(root.get("height", "0")))


def test_layout_is_deterministic() -> None:
    outs = set()
    for seed in ("0", "7"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(
            tuple(run(isrgen_cmd("layout", str(s), "--format", "json"), env=env).stdout for s in (AARCH64, RISCV64))
        )
    assert len(outs) == 1


def test_bad_aarch64_spec_reports_at_the_key(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(AARCH64.read_text().replace("  style: branch", "  style: brnach"))
    proc = run(isrgen_cmd("layout", str(spec)), check=False)
    line = AARCH64.read_text().splitlines().index("  style: branch") + 1
    assert proc.returncode == 1 and proc.stdout == ""
    assert f"{spec}:{line}:" in proc.stderr and "Traceback" not in proc.stderr


def test_the_report_never_names_an_isa() -> None:
    # the renderers print whatever LayoutView an ISA describes: no branch on a name
    import ast

    from conftest import ROOT

    names = ("x86", "i386", "aarch64", "riscv")
    for path in sorted((ROOT / "isrgen" / "report").glob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and any(n in node.value for n in names)
        ]
        assert found == [], (path.name, found)
