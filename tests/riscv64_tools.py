"""riscv64 test helpers: generate from a spec, assemble with GNU as and llvm-mc, read sections."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from isrgen.arch.riscv64.codegen import build_program
from isrgen.arch.riscv64.gas import render_gas
from isrgen.arch.riscv64.options import Riscv64Options
from isrgen.arch.riscv64.resolve import load_riscv64_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = [ROOT / "specs" / "riscv64.yaml", *sorted((ROOT / "specs" / "examples").glob("riscv64_*.yaml"))]
GNU_AS = ["riscv64-linux-gnu-as", "-march=rv64gc", "-mabi=lp64d"]
LLVM_MC = ["llvm-mc", "-triple=riscv64", "-mattr=+m,+a,+f,+d,+c", "-target-abi=lp64d", "-filetype=obj"]


def load(path: Path) -> Riscv64Options:
    return load_riscv64_spec(path.read_text(), str(path))


def assembly(options: Riscv64Options) -> str:
    return render_gas(build_program(options))


def assemble(text: str, out: Path, tool: list[str]) -> Path:
    src = out.with_suffix(".S")
    src.write_text(text)
    proc = subprocess.run([*tool, "-o", str(out), str(src)], capture_output=True, text=True)
    if proc.returncode:
        raise AssertionError(f"{tool[0]} failed:\n{proc.stderr}")
    return out


def sections(obj: Path) -> dict[str, tuple[bytes, set[int]]]:
    """Allocated sections: contents and the offsets their relocations patch."""
    elf = ELFFile(io.BytesIO(obj.read_bytes()))
    out: dict[str, tuple[bytes, set[int]]] = {}
    for sec in elf.iter_sections():
        if sec["sh_flags"] & 2 and sec["sh_type"] == "SHT_PROGBITS":
            out[sec.name] = (sec.data(), set())
    for rel in elf.iter_sections():
        if isinstance(rel, RelocationSection):
            target = elf.get_section(rel["sh_info"]).name
            if target in out:
                for r in rel.iter_relocations():
                    out[target][1].add(r["r_offset"])
    return out


def symbols(obj: Path) -> dict[str, int]:
    elf = ELFFile(io.BytesIO(obj.read_bytes()))
    table = elf.get_section_by_name(".symtab")
    assert isinstance(table, SymbolTableSection), f"{obj} has no symbol table"
    return {s.name: s["st_value"] for s in table.iter_symbols() if s.name}
