"""isrgen's one ELF reader: sections, segments, symbols, relocations and DWARF structs
of an object or a linked executable, read eagerly (with pyelftools) into plain,
comparable values.  ``prove`` (object comparison, emulation images), ``verify``
(kernel checks on every ISA) and the ISA packages' emulators all read ELF through it.

How many bytes a relocation patches depends on the machine: the ISA packages supply
that table (:func:`isrgen.arch.isa.relocation_sizes`), the reader only looks it up
by ``e_machine``.

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
import struct
from collections.abc import Collection, Iterator
from typing import Any, BinaryIO, Literal

import attrs
from elftools.common.exceptions import ELFError
from elftools.elf.constants import P_FLAGS, SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from isrgen.arch.isa import relocation_sizes
from isrgen.diagnostics import UsageError

#: what pyelftools raises on a truncated or damaged file (it reads lazily, so anywhere)
_DAMAGED = (ELFError, struct.error, ValueError, KeyError, IndexError, EOFError)


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

    def contains(self, addr: int) -> bool:
        """Whether ``addr`` lies in the section (an empty section holds its own address)."""
        return self.addr <= addr < self.addr + max(self.size, 1)

    def flag_text(self) -> str:
        """``WAX``-style flags as readelf prints them ("none" for none of the three)."""
        names = ((SH_FLAGS.SHF_WRITE, "W"), (SH_FLAGS.SHF_ALLOC, "A"), (SH_FLAGS.SHF_EXECINSTR, "X"))
        return "".join(c for bit, c in names if self.flags & bit) or "none"


@attrs.frozen
class ElfSymbol:
    """A symbol table entry; ``section`` is None for undefined/absolute symbols."""

    name: str
    section: str | None
    value: int
    size: int
    binding: str  # "STB_GLOBAL", "STB_LOCAL", "STB_WEAK"
    type: str  # "STT_FUNC", "STT_OBJECT", "STT_NOTYPE", ...
    #: False only for an undefined symbol (an absolute one is defined without a section)
    defined: bool = True

    @property
    def is_global(self) -> bool:
        """Visible to the linker from other objects (global or weak)."""
        return self.binding in ("STB_GLOBAL", "STB_WEAK")


@attrs.frozen
class ElfRelocation:
    """One relocation applied to a section: where, how many bytes, against what."""

    offset: int
    #: bytes patched, from the ISA package's table (0 when the type is not in it: see ``known``)
    size: int
    type: int
    #: the symbol named in the relocation ("" for a section symbol)
    symbol: str
    addend: int
    #: what it resolves to, independent of how the assembler named it: (section,
    #: offset in it) for a defined target, (symbol, addend) for an undefined one
    target: tuple[str, int] = ("", 0)
    #: whether the ISA package's table knows the type (and so ``size``)
    known: bool = True


@attrs.frozen
class ElfSegment:
    """A program header and the bytes the file holds for it."""

    type: str
    vaddr: int
    memsz: int
    flags: int
    #: position in the program header table
    index: int = 0
    paddr: int = 0
    data: bytes = attrs.field(default=b"", repr=False)

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

    def describe(self) -> str:
        """``segment 2 PT_LOAD R-X 0x401000-0x402000``."""
        r = "R" if self.flags & P_FLAGS.PF_R else "-"
        w = "W" if self.flags & P_FLAGS.PF_W else "-"
        x = "X" if self.flags & P_FLAGS.PF_X else "-"
        return f"segment {self.index} {self.type} {r}{w}{x} {self.vaddr:#x}-{self.vaddr + self.memsz:#x}"


@attrs.frozen
class DwarfStruct:
    """One DWARF definition (not a declaration) of a struct type."""

    name: str
    #: DW_AT_byte_size (None when absent)
    size: int | None
    #: (member, byte offset) of each member with a constant DW_AT_data_member_location
    members: tuple[tuple[str, int], ...]
    #: the compilation unit's path, to say where the definition comes from
    unit: str


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
    #: e_machine ("EM_X86_64"), ELF class (32/64), byte order and e_type ("ET_EXEC")
    machine: str = ""
    elfclass: int = 64
    little_endian: bool = True
    file_type: str = ""
    #: the DWARF struct definitions asked for by :func:`read_elf`'s ``structs``
    structs: tuple[DwarfStruct, ...] = ()
    #: whether the file has DWARF at all
    has_dwarf: bool = False

    @property
    def byte_order(self) -> Literal["little", "big"]:
        """The byte order for :meth:`int.from_bytes`."""
        return "little" if self.little_endian else "big"

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

    def symbol_table(self) -> dict[str, ElfSymbol]:
        """The first defined (or absolute) symbol of each name."""
        out: dict[str, ElfSymbol] = {}
        for s in self.symbols:
            if s.name and s.defined:
                out.setdefault(s.name, s)
        return out

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
        return frozenset(self.undefined_in_order())

    def undefined_in_order(self) -> tuple[str, ...]:
        """Names the object references but does not define, in symbol-table order."""
        names = (s.name for s in self.symbols if s.name and not s.defined and s.binding != "STB_LOCAL")
        return tuple(dict.fromkeys(names))

    def masked_bytes(self, section: str, fill: int = 0) -> bytes:
        """The section's contents with every relocated byte replaced by ``fill``."""
        data = bytearray(self.contents[section])
        for r in self.relocations.get(section, ()):
            if not r.known:
                raise UsageError(
                    f"{self.path}: relocation type {r.type} in {section} is not known to isrgen ({self.machine})"
                )
            data[r.offset : r.offset + r.size] = bytes([fill]) * r.size
        return bytes(data)

    def load_segments(self) -> tuple[ElfSegment, ...]:
        """The PT_LOAD segments."""
        return tuple(s for s in self.segments if s.type == "PT_LOAD")

    def segment_for(self, addr: int) -> ElfSegment | None:
        """The PT_LOAD segment that maps ``addr``, if any."""
        return next((s for s in self.load_segments() if s.contains(addr)), None)

    def alloc_sections(self) -> Iterator[ElfSection]:
        """Named sections loaded into memory (SHF_ALLOC)."""
        return (s for s in self.sections if s.name and s.alloc)

    def section_at(self, addr: int) -> ElfSection | None:
        """The first allocated section holding ``addr``."""
        return next((s for s in self.alloc_sections() if s.contains(addr)), None)

    def read(self, addr: int, size: int) -> bytes | None:
        """``size`` bytes the file holds at address ``addr`` (None when no allocated section has them)."""
        sec = self.section_at(addr)
        data = self.contents.get(sec.name, b"") if sec is not None else b""
        if sec is None or not data or addr + size > sec.addr + len(data):
            return None
        start = addr - sec.addr
        return data[start : start + size]

    def struct_definitions(self, name: str) -> tuple[DwarfStruct, ...]:
        """The DWARF definitions of ``name`` collected by :func:`read_elf`."""
        return tuple(s for s in self.structs if s.name == name)


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
                defined=shndx != "SHN_UNDEF",
            )
        )
    return tuple(out)


def _relocations(elf: ELFFile, names: dict[int, str], path: str) -> dict[str, tuple[ElfRelocation, ...]]:
    sizes = relocation_sizes(str(elf["e_machine"]))
    out: dict[str, tuple[ElfRelocation, ...]] = {}
    for sec in elf.iter_sections():
        if not isinstance(sec, RelocationSection) or sec["sh_info"] not in names:
            continue
        symtab = elf.get_section(sec["sh_link"])
        if not isinstance(symtab, SymbolTableSection):
            raise UsageError(f"{path}: {sec.name} does not link to a symbol table")
        patched = elf.get_section(sec["sh_info"])
        relocs = []
        for rel in sec.iter_relocations():
            rtype = int(rel["r_info_type"])
            sym = symtab.get_symbol(int(rel["r_info_sym"]))
            if rel.is_RELA():
                addend = int(rel["r_addend"])
            else:
                # REL (i386): the addend is what the patched field holds (psABI 4.4)
                at = int(rel["r_offset"])
                field = patched.data()[at : at + sizes.get(rtype, 0)] if patched["sh_type"] != "SHT_NOBITS" else b""
                addend = int.from_bytes(field, "little", signed=True) if field else 0
            shndx = sym["st_shndx"]
            if isinstance(shndx, int) and shndx in names:
                target = (names[shndx], int(sym["st_value"]) + addend)
            else:
                target = (sym.name, addend)
            relocs.append(
                ElfRelocation(
                    offset=int(rel["r_offset"]),
                    size=sizes.get(rtype, 0),
                    type=rtype,
                    symbol=sym.name,
                    addend=addend,
                    target=target,
                    known=rtype in sizes,
                )
            )
        applied_to = names[sec["sh_info"]]
        out[applied_to] = out.get(applied_to, ()) + tuple(relocs)
    return out


def _dwarf_structs(elf: ELFFile, wanted: Collection[str]) -> tuple[DwarfStruct, ...]:
    if not wanted or not elf.has_dwarf_info():
        return ()
    out = []
    for cu in elf.get_dwarf_info().iter_CUs():
        for die in cu.get_top_DIE().iter_children():
            if die.tag != "DW_TAG_structure_type" or "DW_AT_declaration" in die.attributes:
                continue
            attr = die.attributes.get("DW_AT_name")
            name = attr.value.decode("utf-8", "replace") if attr is not None else None
            if name is None or name not in wanted:
                continue
            size_attr = die.attributes.get("DW_AT_byte_size")
            members = []
            for member in die.iter_children():
                mname = member.attributes.get("DW_AT_name")
                loc = member.attributes.get("DW_AT_data_member_location")
                if member.tag != "DW_TAG_member" or mname is None or loc is None or not isinstance(loc.value, int):
                    continue
                members.append((mname.value.decode("utf-8", "replace"), loc.value))
            out.append(
                DwarfStruct(
                    name=name,
                    size=int(size_attr.value) if size_attr is not None else None,
                    members=tuple(members),
                    unit=str(die.cu.get_top_DIE().get_full_path()),
                )
            )
    return tuple(out)


def _read(elf: ELFFile, name: str, structs: Collection[str]) -> ElfObject:
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
        ElfSegment(
            type=str(p["p_type"]),
            vaddr=int(p["p_vaddr"]),
            memsz=int(p["p_memsz"]),
            flags=int(p["p_flags"]),
            index=i,
            paddr=int(p["p_paddr"]),
            data=bytes(p.data()),
        )
        for i, p in enumerate(elf.iter_segments())
    )
    return ElfObject(
        path=name,
        sections=sections,
        symbols=_symbols(elf, names),
        segments=segments,
        contents=contents,
        relocations=_relocations(elf, names, name),
        machine=str(elf["e_machine"]),
        elfclass=int(elf.elfclass),
        little_endian=bool(elf.little_endian),
        file_type=str(elf["e_type"]),
        structs=_dwarf_structs(elf, frozenset(structs)),
        has_dwarf=bool(elf.has_dwarf_info()),
    )


def read_elf_stream(stream: BinaryIO, name: str, *, structs: Collection[str] = ()) -> ElfObject:
    """Read the ELF file open as ``stream`` (called ``name`` in messages), collecting the
    DWARF definitions of the struct types named in ``structs``.  :class:`UsageError`
    when it is not ELF, or is truncated or damaged."""
    try:
        elf: Any = ELFFile(stream)
    except Exception as exc:  # pyelftools raises its own ELFError and struct errors
        raise UsageError(f"{name} is not an ELF file: {exc}") from None
    try:
        return _read(elf, name, structs)
    except _DAMAGED as exc:
        why = f"{type(exc).__name__}: {exc}"
        raise UsageError(f"{name}: not a readable ELF file, truncated or damaged? ({why})") from None


def read_elf(path: str | os.PathLike[str], *, structs: Collection[str] = ()) -> ElfObject:
    """Read the ELF file at ``path``; :class:`UsageError` if it is missing or not ELF
    (see :func:`read_elf_stream` for ``structs``)."""
    name = os.fspath(path)
    try:
        fh = open(name, "rb")  # closed by the with-block below
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    with fh:
        return read_elf_stream(fh, name, structs=structs)
