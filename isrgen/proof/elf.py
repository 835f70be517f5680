"""Read an ELF object or executable into plain, comparable values (with pyelftools).

Used to prove that the assembly backends produce the same program and that
code lands in executable memory.  Everything is read eagerly, so the returned
:class:`ElfObject` does not keep the file open.

Typical use::

    from isrgen.proof.elf import read_elf
    obj = read_elf("isr.o")
    text = obj.section(".text.isr")
    assert text.executable
    code = obj.masked_bytes(".text.isr")        # relocated bytes zeroed
    stubs = obj.defined_symbols(".text.isr")    # name -> ElfSymbol
"""

from __future__ import annotations

import os

import attrs
from elftools.elf.constants import P_FLAGS, SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from isrgen.diagnostics import UsageError

#: bytes patched by each x86_64 relocation type (System V AMD64 psABI, table 4.10)
X86_64_RELOC_SIZES = {
    1: 8,  # R_X86_64_64
    2: 4,  # R_X86_64_PC32
    3: 4,  # R_X86_64_GOT32
    4: 4,  # R_X86_64_PLT32
    9: 4,  # R_X86_64_GOTPCREL
    10: 4,  # R_X86_64_32
    11: 4,  # R_X86_64_32S
    12: 2,  # R_X86_64_16
    13: 2,  # R_X86_64_PC16
    14: 1,  # R_X86_64_8
    15: 1,  # R_X86_64_PC8
    24: 8,  # R_X86_64_PC64
    26: 4,  # R_X86_64_GOTPC32
    41: 4,  # R_X86_64_GOTPCRELX
    42: 4,  # R_X86_64_REX_GOTPCRELX
}


@attrs.frozen
class ElfSection:
    """A section header: name, index, flags, address, size."""

    name: str
    index: int
    type: str
    flags: int
    addr: int
    size: int
    addralign: int

    @property
    def alloc(self) -> bool:
        """Loaded into memory (SHF_ALLOC)."""
        return bool(self.flags & SH_FLAGS.SHF_ALLOC)

    @property
    def executable(self) -> bool:
        """Holds instructions (SHF_EXECINSTR)."""
        return bool(self.flags & SH_FLAGS.SHF_EXECINSTR)

    @property
    def writable(self) -> bool:
        """Writable at run time (SHF_WRITE)."""
        return bool(self.flags & SH_FLAGS.SHF_WRITE)


@attrs.frozen
class ElfSymbol:
    """A symbol table entry; ``section`` is None for undefined/absolute symbols."""

    name: str
    section: str | None
    value: int
    size: int
    binding: str  # "STB_GLOBAL", "STB_LOCAL", "STB_WEAK"
    type: str  # "STT_FUNC", "STT_OBJECT", "STT_NOTYPE", ...

    @property
    def is_global(self) -> bool:
        """Visible to the linker from other objects (global or weak)."""
        return self.binding in ("STB_GLOBAL", "STB_WEAK")


@attrs.frozen
class ElfRelocation:
    """One relocation applied to a section: where, how many bytes, against what."""

    offset: int
    size: int
    type: int
    #: the symbol named in the relocation ("" for a section symbol)
    symbol: str
    addend: int
    #: what it resolves to, independent of how the assembler named it: (section,
    #: offset in it) for a defined target, (symbol, addend) for an undefined one
    target: tuple[str, int] = ("", 0)


@attrs.frozen
class ElfSegment:
    """A program header (executables only)."""

    type: str
    vaddr: int
    memsz: int
    flags: int

    @property
    def executable(self) -> bool:
        """Mapped executable (PF_X)."""
        return bool(self.flags & P_FLAGS.PF_X)

    @property
    def writable(self) -> bool:
        """Mapped writable (PF_W)."""
        return bool(self.flags & P_FLAGS.PF_W)

    def contains(self, addr: int) -> bool:
        """Whether ``addr`` lies in [vaddr, vaddr + memsz)."""
        return self.vaddr <= addr < self.vaddr + self.memsz


@attrs.frozen
class ElfObject:
    """Everything isrgen checks in an ELF file."""

    path: str
    sections: tuple[ElfSection, ...]
    symbols: tuple[ElfSymbol, ...]
    segments: tuple[ElfSegment, ...]
    #: section name -> its contents (NOBITS sections are absent)
    contents: dict[str, bytes] = attrs.field(repr=False)
    #: section name -> relocations applied to it
    relocations: dict[str, tuple[ElfRelocation, ...]] = attrs.field(repr=False)

    def section(self, name: str) -> ElfSection:
        """The section called ``name``; KeyError if there is none."""
        for s in self.sections:
            if s.name == name:
                return s
        raise KeyError(name)

    def has_section(self, name: str) -> bool:
        """Whether a section called ``name`` exists."""
        return any(s.name == name for s in self.sections)

    def symbol(self, name: str) -> ElfSymbol:
        """The (first) symbol called ``name``; KeyError if there is none."""
        for s in self.symbols:
            if s.name == name:
                return s
        raise KeyError(name)

    def defined_symbols(self, section: str | None = None, *, only_global: bool = True) -> dict[str, ElfSymbol]:
        """Named symbols defined in a section (any section when None), by name."""
        return {
            s.name: s
            for s in self.symbols
            if s.name
            and s.section is not None
            and (section is None or s.section == section)
            and (s.is_global or not only_global)
            and s.type not in ("STT_SECTION", "STT_FILE")
        }

    def undefined_symbols(self) -> frozenset[str]:
        """Names the object references but does not define."""
        return frozenset(s.name for s in self.symbols if s.name and s.section is None and s.binding != "STB_LOCAL")

    def masked_bytes(self, section: str, fill: int = 0) -> bytes:
        """The section's contents with every relocated byte replaced by ``fill``."""
        data = bytearray(self.contents[section])
        for r in self.relocations.get(section, ()):
            data[r.offset : r.offset + r.size] = bytes([fill]) * r.size
        return bytes(data)

    def segment_for(self, addr: int) -> ElfSegment | None:
        """The PT_LOAD segment that maps ``addr``, if any."""
        for seg in self.segments:
            if seg.type == "PT_LOAD" and seg.contains(addr):
                return seg
        return None


def _symbols(elf: ELFFile, names: dict[int, str]) -> tuple[ElfSymbol, ...]:
    symtab = elf.get_section_by_name(".symtab")
    if not isinstance(symtab, SymbolTableSection):
        return ()
    out = []
    for sym in symtab.iter_symbols():
        shndx = sym["st_shndx"]
        section = names.get(shndx) if isinstance(shndx, int) else None
        out.append(
            ElfSymbol(
                name=sym.name,
                section=section,
                value=int(sym["st_value"]),
                size=int(sym["st_size"]),
                binding=str(sym["st_info"]["bind"]),
                type=str(sym["st_info"]["type"]),
            )
        )
    return tuple(out)


#: bytes patched by each i386 relocation type (System V i386 psABI, table 4.3)
I386_RELOC_SIZES = {
    1: 4,  # R_386_32
    2: 4,  # R_386_PC32
    20: 2,  # R_386_16
    21: 2,  # R_386_PC16
    22: 1,  # R_386_8
    23: 1,  # R_386_PC8
}


def _relocations(elf: ELFFile, names: dict[int, str], path: str) -> dict[str, tuple[ElfRelocation, ...]]:
    out: dict[str, tuple[ElfRelocation, ...]] = {}
    sizes = I386_RELOC_SIZES if elf["e_machine"] == "EM_386" else X86_64_RELOC_SIZES
    for sec in elf.iter_sections():
        if not isinstance(sec, RelocationSection) or sec["sh_info"] not in names:
            continue
        symtab = elf.get_section(sec["sh_link"])
        patched = elf.get_section(sec["sh_info"])
        relocs = []
        for rel in sec.iter_relocations():
            rtype = int(rel["r_info_type"])
            if rtype not in sizes:
                raise UsageError(f"{path}: relocation type {rtype} in {sec.name} is not known to isrgen")
            if not isinstance(symtab, SymbolTableSection):
                raise UsageError(f"{path}: {sec.name} does not link to a symbol table")
            sym = symtab.get_symbol(int(rel["r_info_sym"]))
            if rel.is_RELA():
                addend = int(rel["r_addend"])
            else:
                # REL (i386): the addend is what the patched field holds (psABI 4.4)
                at = int(rel["r_offset"])
                field = patched.data()[at : at + sizes[rtype]] if patched["sh_type"] != "SHT_NOBITS" else b""
                addend = int.from_bytes(field, "little", signed=True) if field else 0
            shndx = sym["st_shndx"]
            if isinstance(shndx, int) and shndx in names:
                target = (names[shndx], int(sym["st_value"]) + addend)
            else:
                target = (sym.name, addend)
            relocs.append(
                ElfRelocation(
                    offset=int(rel["r_offset"]),
                    size=sizes[rtype],
                    type=rtype,
                    symbol=sym.name,
                    addend=addend,
                    target=target,
                )
            )
        applied_to = names[sec["sh_info"]]
        out[applied_to] = out.get(applied_to, ()) + tuple(relocs)
    return out


def read_elf(path: str | os.PathLike[str]) -> ElfObject:
    """Read the ELF file at ``path``; :class:`UsageError` if it is missing or not ELF."""
    name = os.fspath(path)
    try:
        fh = open(name, "rb")  # closed by the with-block below
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    with fh:
        try:
            elf = ELFFile(fh)
        except Exception as exc:  # pyelftools raises its own ELFError and struct errors
            raise UsageError(f"{name} is not an ELF file: {exc}") from None
        sections = tuple(
            ElfSection(
                name=s.name,
                index=i,
                type=str(s["sh_type"]),
                flags=int(s["sh_flags"]),
                addr=int(s["sh_addr"]),
                size=int(s["sh_size"]),
                addralign=int(s["sh_addralign"]),
            )
            for i, s in enumerate(elf.iter_sections())
        )
        names = {s.index: s.name for s in sections}
        contents = {
            s.name: bytes(elf.get_section(s.index).data()) for s in sections if s.type not in ("SHT_NOBITS", "SHT_NULL")
        }
        segments = tuple(
            ElfSegment(str(p["p_type"]), int(p["p_vaddr"]), int(p["p_memsz"]), int(p["p_flags"]))
            for p in elf.iter_segments()
        )
        return ElfObject(
            path=name,
            sections=sections,
            symbols=_symbols(elf, names),
            segments=segments,
            contents=contents,
            relocations=_relocations(elf, names, name),
        )
