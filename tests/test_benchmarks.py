"""The benchmark command runs and its table holds real measurements.

A correctness smoke test only: ``benchmarks/run.py --quick`` must finish, print
the report it writes, produce well-formed Markdown tables, and its figures must
agree with what this test measures independently (object sizes, stub strides,
the instructions the stubs contain).  No timing is asserted.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, load_x86, loads_x86, require_module, require_tool, run

import isrgen
from isrgen.proof import toolchain
from isrgen.proof.elf import read_elf

SECTIONS = (
    "## Targets",
    "## Stub density and code size",
    "## Instructions per path",
    "### What the plain ring-3 path spends beyond the minimum",
    "## Generator speed",
    "### Where a cold build's time goes",
    "### Warm build time by number of vectors and backends",
    "## Instructions per path, aarch64 and riscv64",
    "### aarch64",
    "### riscv64",
    "## Paranoid GS methods and the IRQ stack",
)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict[str, Any]]:
    require_tool("as", "ld")
    require_tool("aarch64-linux-gnu-as", "aarch64-linux-gnu-ld", "riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    require_module("capstone")
    tmp = tmp_path_factory.mktemp("bench")
    out, js = tmp / "results.md", tmp / "results.json"
    proc = run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out), "--json", str(js)])
    return proc.stdout, out.read_text(encoding="utf-8"), json.loads(js.read_text(encoding="utf-8"))


def _tables(text: str) -> Iterator[list[list[str]]]:
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            yield [[c.strip() for c in row.strip().strip("|").split("|")] for row in block]
            block = []


def _by_name(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in rows if r["name"] == name)


def test_prints_what_it_writes_and_tables_are_well_formed(bench: tuple[str, str, dict[str, Any]]) -> None:
    stdout, written, _ = bench
    assert stdout == written
    for heading in SECTIONS:
        assert any(line.startswith(heading) for line in written.splitlines()), heading
    tables = list(_tables(written))
    assert len(tables) >= 6
    for table in tables:
        header, rule, *rows = table
        assert rows, header
        assert all(set(c) == {"-"} for c in rule) and len(rule) == len(header)
        for row in rows:
            assert len(row) == len(header), row


def test_density_matches_an_independent_measurement(bench: tuple[str, str, dict[str, Any]], tmp_path: Path) -> None:
    _, _, data = bench
    text = (ROOT / "specs" / "x86_64.yaml").read_text(encoding="utf-8")
    for name, style in (("default", "dense"), ("classic", "classic")):
        spec = loads_x86(text.replace("  style: dense", f"  style: {style}", 1), f"{name}.yaml")
        (source,) = isrgen.build(spec, tmp_path / name, ["gas"])
        obj = read_elf(toolchain.assemble_gas(source))
        addrs = sorted(obj.symbol(v.stub_symbol).value for v in spec.vectors)
        row = _by_name(data["density"], name)
        assert row["total_bytes"] == obj.section(spec.sections.code).size
        assert row["stubs"] == len(spec.vectors) == 256
        # the stubs of both styles sit at a fixed stride, so the mean slot is that stride
        assert row["footprint_per_stub"] == pytest.approx(addrs[1] - addrs[0])
    base = _by_name(data["density"], "mittos64 baseline")
    # push 0 (2 bytes) + push imm8/imm32 + jmp rel32 (5), no padding: between 7 and 12 bytes per stub
    assert 7 < base["code_per_stub"] == base["footprint_per_stub"] < 12


def test_instruction_counts_follow_the_code(bench: tuple[str, str, dict[str, Any]], tmp_path: Path) -> None:
    import capstone

    _, written, data = bench
    spec = load_x86(ROOT / "specs" / "x86_64.yaml")
    (source,) = isrgen.build(spec, tmp_path, ["gas"])
    obj = read_elf(toolchain.assemble_gas(source))
    default = _by_name(data["paths"], "default")
    plain = next(c for c in default["counts"] if c["path"] == "r3-irq")
    entry, leave = plain["entry"], plain["exit"]
    # the trace starts with exactly the instructions of vector 32's stub
    stub = obj.symbol(spec.vectors[32].stub_symbol)
    code = obj.contents[spec.sections.code][stub.value : stub.value + stub.size]
    cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    in_stub = [i.mnemonic for i in cs.disasm(code, stub.value) if i.mnemonic not in ("int3", "nop")]
    assert entry[: len(in_stub)] == in_stub and in_stub[-1] == "jmp"
    # one save per register, the call last; one restore per register, iretq last
    saved = len(spec.frame.saved_registers)
    assert entry[-1] == "call" and leave[-1] == "iretq"
    assert entry.count("push") >= saved + 2 and leave.count("pop") == saved
    minimum = (saved + 2 + 1) + (saved + 1 + 1)
    assert plain["minimum_entry"] + plain["minimum_exit"] == minimum
    assert f"{len(entry) + len(leave)} (minimum {minimum})" in written
    syscall = _by_name(data["paths"], "syscall")
    sc = next(c for c in syscall["counts"] if c["path"] == "syscall")
    assert "swapgs" in sc["entry"] and sc["entry"][-1] == "call" and sc["exit"][-1] == "sysretq"


def test_paranoid_methods_and_the_irq_stack_are_measured(bench: tuple[str, str, dict[str, Any]]) -> None:
    _, written, data = bench
    rows = {(r["variant"], r["path"]): r for r in data["percpu"]}
    for method in ("rdpid", "rdtscp", "lsl"):
        for path in ("ring 3", "ring 0, user GS live"):
            notable = rows[(f"paranoid {method}", path)]["notable"]
            # save the interrupted base, read the CPU number, load the table's entry; never swapgs
            assert notable.index("rdgsbase") < notable.index(method) < notable.index("wrgsbase")
            assert "swapgs" not in notable and "rdmsr" not in notable
    assert {"rdmsr", "swapgs", "lfence"} <= set(rows[("paranoid msr_sign", "ring 3")]["notable"])
    # the switch to the IRQ stack: cmp, cmove, add, and, and two pushes of the frame address
    plain, stacked = rows[("irq", "ring 0")], rows[("irq on the IRQ stack", "ring 0")]
    assert stacked["entry"] - plain["entry"] == 6
    assert {"cmp", "cmove", "add", "and"} <= set(stacked["notable"]) - set(plain["notable"])
    nested = rows[("irq on the IRQ stack", "ring 0, nested on the IRQ stack")]
    assert (nested["entry"], nested["exit"]) == (stacked["entry"], stacked["exit"])
    assert f"| paranoid lsl | ring 3 | {rows[('paranoid lsl', 'ring 3')]['entry']} |" in written


def test_verdicts_are_not_fudged(bench: tuple[str, str, dict[str, Any]]) -> None:
    _, written, data = bench
    for v in data["verdicts"]:
        number = float(v["measured"].split()[0].rstrip("x"))
        limit = float(v["target"].split()[1].rstrip("x"))
        assert v["met"] == (number <= limit), v
        assert f"| {v['figure']} | {v['measured']} | {v['target']} | {'met' if v['met'] else '**MISSED**'} |" in written
    speed = data["speed"]
    times = [speed["bare_ms"], speed["cold_ms"], speed["warm_default_ms"], speed["warm_all_ms"]]
    times += [g["build_ms"] for g in speed["growth"]]
    assert all(math.isfinite(t) and t > 0 for t in times)
    assert {g["vectors"] for g in speed["growth"]} == {32, 64, 128, 256}
    assert "isrgen" in {i["package"] for i in speed["imports"]}


def test_readme_block_is_replaced_between_the_markers() -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.main import BEGIN, END, ReadmeError, replace_block

    text = f"# x\n\n{BEGIN}\nold table\n{END}\n\n## next\n"
    new = replace_block(text, "| a |\n|---|\n| 1 |\n")
    assert new == f"# x\n\n{BEGIN}\n| a |\n|---|\n| 1 |\n{END}\n\n## next\n"
    assert replace_block(new, "| a |\n|---|\n| 1 |\n") == new
    with pytest.raises(ReadmeError):
        replace_block("# no markers\n", "| a |\n")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index(BEGIN) + len(BEGIN) : readme.index(END)]
    assert "| plain ring-3 path (default spec)" in block


def _a64_bounds(path: Path, label: str) -> tuple[int, int]:
    """Lower bounds from the frame alone: an stp stores two 8-byte fields or two q registers,
    an ldp loads two GPRs (Arm ARM C6.2 STP/LDP); plus the ``bl`` and the ``eret``.  A system
    call loads or zeroes every GPR x0-x30, at best two at a time."""
    from isrgen.arch.aarch64.layout import compute_layout
    from isrgen.arch.aarch64.resolve import load_aarch64_spec

    layout = compute_layout(load_aarch64_spec(path.read_text(encoding="utf-8"), str(path)).frame)
    qs = sum(1 for f in layout.fields if f.role.startswith("q") and f.role[1:].isdigit())
    words = sum(f.size // 8 for f in layout.fields) - 2 * qs
    gprs = 31 if label.endswith("svc") else sum(1 for f in layout.fields if f.role in {f"x{i}" for i in range(31)})
    return math.ceil(words / 2) + math.ceil(qs / 2) + 1, math.ceil(gprs / 2) + 1


def _rv_bounds(path: Path, label: str) -> tuple[int, int]:
    """Lower bounds from the frame alone: RV64 stores and loads one register per ``sd``/``ld``
    (no store pair); plus the jump to the handler and the ``sret``.  Registers a kernel path
    declares not restored (``no_restore``) are not counted back."""
    from isrgen.arch.riscv64.resolve import load_riscv64_spec

    options = load_riscv64_spec(path.read_text(encoding="utf-8"), str(path))
    frame, skipped = options.frame, set(options.hardening.no_restore)
    if label.startswith("S") and options.kernel_entry is not None:
        frame, skipped = options.kernel_entry.frame, set(options.kernel_entry.no_restore)
    if label.startswith("U"):
        skipped = set()
    registers = [s.register for s in frame.slots if s.register is not None]
    return len(registers) + 1, sum(r not in skipped for r in registers) + 1


def test_aarch64_and_riscv64_paths_are_measured_above_their_minimum(bench: tuple[str, str, dict[str, Any]]) -> None:
    _, written, data = bench
    section = written[written.index("## Instructions per path, aarch64 and riscv64") :]
    measured = {s["spec"]: s for s in data["isa_paths"]}
    for isa, bounds in (("aarch64", _a64_bounds), ("riscv64", _rv_bounds)):
        files = [ROOT / "specs" / f"{isa}.yaml", *sorted((ROOT / "specs" / "examples").glob(f"{isa}_*.yaml"))]
        assert len(files) >= 3
        table = next(t for t in _tables(section[section.index(f"### {isa}") :]))
        assert [row[0] for row in table[2:]] == [f"`{f.relative_to(ROOT).as_posix()}`" for f in files]
        for f in files:
            spec = measured[f.relative_to(ROOT).as_posix()]
            assert spec["isa"] == isa
            labels = [p["path"] for p in spec["paths"]]
            has_syscall = "\nsyscall:" in f.read_text(encoding="utf-8")
            kernel, user = ("EL1h", "EL0") if isa == "aarch64" else ("S", "U")
            call = "EL0 svc" if isa == "aarch64" else "U ecall"
            assert {f"{kernel} sync", f"{kernel} irq", f"{user} sync", f"{user} irq"} <= set(labels), labels
            assert (call in labels) == has_syscall, (f.name, labels)
            for p in spec["paths"]:
                low_to, low_back = bounds(f, p["path"])
                assert p["to_handler"] >= p["minimum_to_handler"] >= low_to, (f.name, p)
                row = next(r for r in table[2:] if r[0] == f"`{spec['spec']}`")
                cell = row[table[0].index(p["path"])]
                if p["back"] is None:
                    assert cell == f"{p['to_handler']} + noreturn (min {p['minimum_to_handler']})"
                    continue
                assert p["back"] >= p["minimum_back"] >= low_back, (f.name, p)
                total = p["to_handler"] + p["back"]
                minimum = f"(min {p['minimum_to_handler']} + {p['minimum_back']})"
                assert cell == f"{p['to_handler']} + {p['back']} = {total} {minimum}"


def test_straight_line_riscv64_path_is_counted_exactly(bench: tuple[str, str, dict[str, Any]], tmp_path: Path) -> None:
    """xv6's kernelvec has no branch: saves, ``call kerneltrap`` (auipc + jalr), restores, ``sret``.
    Its disassembly (objdump) gives both counts of the S-mode paths without running anything."""
    from isrgen.arch.riscv64.codegen import build_program
    from isrgen.arch.riscv64.gas import render_gas
    from isrgen.arch.riscv64.resolve import load_riscv64_spec

    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-objdump")
    _, _, data = bench
    path = ROOT / "specs" / "examples" / "riscv64_xv6_trampoline.yaml"
    source = tmp_path / "xv6.S"
    source.write_text(render_gas(build_program(load_riscv64_spec(path.read_text(encoding="utf-8"), str(path)))))
    run(["riscv64-linux-gnu-as", "-march=rv64gc", "-mabi=lp64d", "-o", str(tmp_path / "xv6.o"), str(source)])
    listing = run(["riscv64-linux-gnu-objdump", "-d", "--no-show-raw-insn", str(tmp_path / "xv6.o")]).stdout
    body = listing[listing.index("<kernelvec>:") :].split("\n\n")[0].splitlines()[1:]
    mnemonics = [line.split("\t")[1] for line in body if "\t" in line]
    call = mnemonics.index("jalr") + 1
    sret = mnemonics.index("sret") + 1
    assert mnemonics[call - 2] == "auipc"
    assert not [m for m in mnemonics[:sret] if m.startswith("b") or m in ("j", "jr", "jal")], mnemonics
    spec = _by_name([{"name": s["spec"], **s} for s in data["isa_paths"]], path.relative_to(ROOT).as_posix())
    for label in ("S sync", "S irq"):
        p = next(p for p in spec["paths"] if p["path"] == label)
        assert (p["to_handler"], p["back"]) == (call, sret - call), p
