"""Helpers shared by the aarch64 tests: spec variants, assembling, reading objects."""

from __future__ import annotations

from pathlib import Path

import attrs
from conftest import ROOT
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from isrgen.arch.aarch64.codegen import build_program
from isrgen.arch.aarch64.options import Aarch64Spec
from isrgen.arch.aarch64.resolve import load_aarch64_spec
from isrgen.arch.aarch64.syntax import render_gas
from isrgen.arch.aarch64.toolchain import assemble

BASE_SPEC = ROOT / "specs" / "aarch64.yaml"
KERNEL_SPEC = ROOT / "examples" / "kernel-aarch64" / "kernel.yaml"

#: variants of specs/aarch64.yaml: (old line, new line) replacements
NO_FPSIMD = ("           fpsimd]", "           ]")
VARIANTS: dict[str, tuple[tuple[str, str], ...]] = {
    "base": (),
    "linux": (("  style: branch", "  style: linux"),),
    "inline": (("  style: branch", "  style: inline"), NO_FPSIMD),
    "inline_fp": (("  style: branch", "  style: inline"),),
    "tpidr": (
        ("  source: sp_el1 ", "  source: tpidr_el1 "),
        ("  sp_el0: user ", "  sp_el0: tpidr_el1 "),
    ),
    "kernel_task": (("  sp_el0: user ", "  sp_el0: tpidr_el1 "),),
    "record_in_frame": (
        (
            "           sp, elr, spsr, esr, far, kind, pad,\n",
            "           sp, elr, spsr, esr, far, kind, pad, record,\n",
        ),
        ("  frame_record: false", "  frame_record: true"),
    ),
    "irq_no_fpsimd": (
        ("  - {slot: el1t_sync, use: kernel_handler}", "  - {slot: el1t_sync, use: kernel_handler, fpsimd: false}"),
        ("  - {slot: el1h_sync, use: kernel_handler}", "  - {slot: el1h_sync, use: kernel_handler, fpsimd: false}"),
        ("  - {slot: el0_64_irq}", "  - {slot: el0_64_irq, fpsimd: false}"),
        ("  returns: frame ", "  returns: void "),
    ),
    "tpidrro": (
        ("  source: sp_el1 ", "  source: tpidrro_el0 "),
        ("  sp_el0: user ", "  sp_el0: tpidr_el1 "),
        ("  style: branch", "  style: linux"),
    ),
    "hardened": (
        ("  clear_registers: false", "  clear_registers: true"),
        ("  unmask_daif: []", "  unmask_daif: [d, a]"),
        ("  exit_barrier: none", "  exit_barrier: dsb_isb"),
        ("  frame_record: false", "  frame_record: true"),
    ),
    "sb": (("  exit_barrier: none", "  exit_barrier: sb"),),
    "args": (
        ("  args: [frame] ", "  args: [frame, kind, esr] "),
        ("  returns: frame ", "  returns: void "),
    ),
    "void_linux_nofp": (("  returns: frame ", "  returns: void "), ("  style: branch", "  style: linux"), NO_FPSIMD),
}


def variant_text(name: str) -> str:
    """The text of specs/aarch64.yaml with variant ``name``'s replacements applied."""
    text = BASE_SPEC.read_text()
    for old, new in VARIANTS[name]:
        assert text.count(old) == 1, f"variant {name}: {old!r} must occur once in {BASE_SPEC}"
        text = text.replace(old, new)
    return text


def variant(name: str) -> Aarch64Spec:
    return load_aarch64_spec(variant_text(name), f"{name}.yaml")


def kernel_spec() -> Aarch64Spec:
    return load_aarch64_spec(KERNEL_SPEC.read_text(), str(KERNEL_SPEC))


def assemble_spec(spec: Aarch64Spec, tmp: Path, assembler: str, stem: str = "isr") -> Path:
    src = tmp / f"{stem}.S"
    src.write_text(render_gas(build_program(spec)))
    return assemble(src, tmp / f"{stem}.{assembler}.o", assembler)


@attrs.frozen
class ObjSection:
    name: str
    flags: int
    align: int
    data: bytes


@attrs.frozen
class Obj:
    sections: dict[str, ObjSection]
    #: section -> sorted (offset, type, (target section or symbol, offset or addend))
    relocations: dict[str, tuple[tuple[int, int, tuple[str, int]], ...]]
    #: name -> (section or None, value, size, binding, type)
    symbols: dict[str, tuple[str | None, int, int, str, str]]

    def masked(self, section: str) -> bytes:
        """Contents with every relocated instruction word zeroed."""
        data = bytearray(self.sections[section].data)
        for off, _, _ in self.relocations.get(section, ()):
            data[off : off + 4] = bytes(4)
        return bytes(data)


def read_obj(path: Path) -> Obj:
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        names = {i: s.name for i, s in enumerate(elf.iter_sections())}
        sections = {
            s.name: ObjSection(s.name, int(s["sh_flags"]), int(s["sh_addralign"]), bytes(s.data()))
            for s in elf.iter_sections()
            if s["sh_type"] == "SHT_PROGBITS"
        }
        symbols: dict[str, tuple[str | None, int, int, str, str]] = {}
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        for sym in symtab.iter_symbols():
            shndx = sym["st_shndx"]
            sec = names.get(shndx) if isinstance(shndx, int) else None
            if sym.name and not sym.name.startswith("$"):
                symbols[sym.name] = (
                    sec,
                    int(sym["st_value"]),
                    int(sym["st_size"]),
                    sym["st_info"]["bind"],
                    sym["st_info"]["type"],
                )
        relocations: dict[str, tuple[tuple[int, int, tuple[str, int]], ...]] = {}
        for relsec in elf.iter_sections():
            if not isinstance(relsec, RelocationSection):
                continue
            table = elf.get_section(relsec["sh_link"])
            assert isinstance(table, SymbolTableSection)
            rows = []
            for rel in relsec.iter_relocations():
                sym = table.get_symbol(rel["r_info_sym"])
                shndx = sym["st_shndx"]
                if isinstance(shndx, int) and shndx in names:
                    target = (names[shndx], int(sym["st_value"]) + int(rel["r_addend"]))
                else:
                    target = (sym.name, int(rel["r_addend"]))
                rows.append((int(rel["r_offset"]), int(rel["r_info_type"]), target))
            relocations[names[relsec["sh_info"]]] = tuple(sorted(rows))
    return Obj(sections, relocations, symbols)
