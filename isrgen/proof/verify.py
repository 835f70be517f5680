"""Check a linked kernel against the spec its interrupt glue was generated from.

:func:`verify_kernel` reads the kernel ELF (:mod:`isrgen.proof.elf`) and checks that
every code symbol the spec generates is present and executable (section
ALLOC+EXECINSTR, inside a PT_LOAD segment with PF_X), that no loadable segment
is both writable and executable, that the vector table points at the right
stub for each vector, that the stubs sit at the spec's alignment and stride,
and, when the kernel has DWARF for the frame struct, that its size and member
offsets match the layout.  When the kernel keeps a statically initialised image
of the vector table the CPU reads (``idt=SYMBOL``), the ISA checks it entry by
entry against the stubs and the spec (:meth:`isrgen.arch.isa.Isa.verify_table_image`).  Each
problem is a :class:`Finding` naming the symbol, address, section and segment
involved.  A stub symbol without a size was not written by isrgen: it is checked
for what delivery needs (present, executable, not writable, in the table) and
extends to the next symbol or its section's end; its alignment and stride are
not isrgen's to check.

The expected symbols come from the same IR program the assembly backends
render, so whatever the generator emits is what gets checked.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

import attrs

from isrgen.arch.isa import FrameStruct
from isrgen.codegen.ir import Label, SectionKind, Visibility
from isrgen.diagnostics import UsageError
from isrgen.model.layout import FrameLayout, compute_layout
from isrgen.model.package_spec import PackageSpec
from isrgen.model.spec import Spec
from isrgen.proof.elf import ElfObject, ElfSection, ElfSegment, ElfSymbol, read_elf, read_elf_stream


@attrs.frozen
class Finding:
    """One property of the kernel that does not hold."""

    check: str
    message: str
    symbol: str | None = None
    address: int | None = None
    section: str | None = None
    segment: str | None = None

    def describe(self) -> str:
        """``symbol at 0xADDR in section S (segment N R-X): message`` with the known parts."""
        where = []
        if self.symbol:
            where.append(self.symbol)
        if self.address is not None:
            where.append(f"at {self.address:#x}")
        if self.section:
            where.append(f"in section {self.section}")
        if self.segment:
            where.append(f"({self.segment})")
        prefix = " ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


@attrs.frozen
class VerifyReport:
    """The outcome of :func:`verify_kernel`: findings plus what was checked."""

    kernel: str
    findings: tuple[Finding, ...]
    #: human-readable list of what was checked (for the success summary)
    checked: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every checked property holds."""
        return not self.findings


class Kernel:
    """The parts of a linked ELF the checks need: a view of the :class:`ElfObject` read once."""

    def __init__(self, obj: ElfObject):
        self.obj = obj
        self.little = obj.little_endian
        self.segments = obj.load_segments()
        self.sections = tuple(s for s in obj.sections if s.name)
        self.symbols: dict[str, ElfSymbol] = obj.symbol_table()

    def segment_at(self, addr: int) -> ElfSegment | None:
        return self.obj.segment_for(addr)

    def section_at(self, addr: int) -> ElfSection | None:
        return self.obj.section_at(addr)

    def read(self, addr: int, size: int) -> bytes | None:
        return self.obj.read(addr, size)

    def extent(self, sym: ElfSymbol) -> int:
        """``sym``'s size; for a symbol without ``st_size``, the bytes up to the next
        symbol of its section or the section's end."""
        if sym.size or sym.section is None:
            return sym.size
        section = self.obj.section(sym.section)
        end = section.addr + section.size
        following = (
            s.value
            for s in self.obj.symbols
            if s.section == sym.section and s.value > sym.value and s.type not in ("STT_SECTION", "STT_FILE")
        )
        return min(following, default=end) - sym.value

    def where(self, addr: int) -> tuple[str | None, str | None]:
        sec = self.section_at(addr)
        seg = self.segment_at(addr)
        return (sec.name if sec else None, seg.describe() if seg else "no PT_LOAD segment")


def _code_symbols(spec: Spec) -> tuple[list[str], list[str]]:
    """Global symbols the generated program defines: (in code sections, in data sections)."""
    program = spec.isa.build_program(spec, compute_layout(spec))
    code: list[str] = []
    data: list[str] = []
    for section in program.sections:
        target = code if section.kind is SectionKind.CODE else data
        for item in section.items:
            if isinstance(item, Label) and item.visibility is Visibility.GLOBAL:
                target.append(item.name)
    return code, data


def _check_segments(k: Kernel) -> Iterator[Finding]:
    for seg in k.segments:
        if seg.writable and seg.executable:
            sections = ", ".join(s.name for s in k.sections if s.alloc and seg.contains(s.addr))
            yield Finding(
                "wx-segment",
                f"segment is both writable and executable (holds {sections or 'no sections'})",
                address=seg.vaddr,
                segment=seg.describe(),
            )


def _check_code_symbol(k: Kernel, name: str) -> Iterator[Finding]:
    sym = k.symbols.get(name)
    if sym is None:
        yield Finding("missing-symbol", "generated code symbol is not in the kernel's symbol table", symbol=name)
        return
    sec = k.section_at(sym.value)
    seg = k.segment_at(sym.value)
    sec_name = sec.name if sec else None
    seg_text = seg.describe() if seg else "no PT_LOAD segment"

    def finding(check: str, message: str) -> Finding:
        return Finding(check, message, name, sym.value, sec_name, seg_text)

    if sec is None:
        yield finding("section", "not inside any allocated section")
    elif not (sec.alloc and sec.executable):
        yield finding("section", f"section flags are {sec.flag_text()}, need ALLOC+EXECINSTR (AX)")
    elif sec.writable:
        yield finding("section", f"section flags are {sec.flag_text()}: code must not be writable (AX without W)")
    if seg is None:
        yield finding("segment", "not inside any PT_LOAD segment: it is never loaded")
    elif not seg.executable:
        yield finding("segment", "segment is not executable (no PF_X): the first interrupt faults on fetch")


def _check_table(k: Kernel, spec: Spec) -> Iterator[Finding]:
    name = spec.symbols.table
    table = k.symbols.get(name)
    if table is None:
        yield Finding("missing-symbol", "vector table is not in the kernel's symbol table", symbol=name)
        return
    word = spec.table_width
    count = spec.arch.vector_count
    sec_name, seg_text = k.where(table.value)
    raw = k.read(table.value, word * count)
    if raw is None:
        yield Finding(
            "table",
            f"cannot read {count} entries of {word} bytes (section has no file contents there)",
            name,
            table.value,
            sec_name,
            seg_text,
        )
        return
    order: Literal["little", "big"] = "little" if k.little else "big"
    for n in range(count):
        got = int.from_bytes(raw[n * word : (n + 1) * word], order)
        v = spec.vector(n)
        stub = k.symbols.get(v.stub_symbol) if v else None
        want = stub.value if stub else 0
        if v is not None and stub is None:
            continue  # already reported as a missing symbol
        if got != want:
            expected = f"{v.stub_symbol} ({want:#x})" if v else "0 (vector not defined)"
            actual = next((s.name for s in k.symbols.values() if s.value == got and got), None)
            yield Finding(
                "table",
                f"entry {n} is {got:#x}{f' ({actual})' if actual else ''}, expected {expected}",
                f"{name}[{n}]",
                table.value + n * word,
                sec_name,
                seg_text,
            )


def _check_stub_placement(k: Kernel, spec: Spec) -> Iterator[Finding]:
    """Alignment and stride of the stubs isrgen made.  A stub symbol without ``st_size``
    was not made by isrgen (a hand-written ``isr0:`` label without ``.size``): where it
    sits is its author's choice, only :func:`_check_stub_extent` applies to it."""
    stride = spec.isa.stub_stride(spec)
    align = stride or spec.sections.stub_align
    present = [(v, k.symbols[v.stub_symbol]) for v in spec.vectors if v.stub_symbol in k.symbols]
    for v, sym in present:
        if sym.size and sym.value % align:
            sec, seg = k.where(sym.value)
            yield Finding("alignment", f"stub is not {align}-byte aligned", v.stub_symbol, sym.value, sec, seg)
    # Dense stubs sit at a fixed stride; classic stubs are emitted back to back, each aligned
    # to stub_align: the next starts at this one's start plus its size rounded up.
    for (v, sym), (nv, nsym) in itertools.pairwise(present):
        if not (sym.size and nsym.size):
            continue
        step = stride or -(-sym.size // align) * align
        if nsym.value != sym.value + step:
            sec, seg = k.where(nsym.value)
            yield Finding(
                "stride",
                f"stub follows {v.stub_symbol} at {nsym.value - sym.value:#x} bytes, expected stride {step:#x}",
                nv.stub_symbol,
                nsym.value,
                sec,
                seg,
            )


def _check_stub_extent(k: Kernel, spec: Spec) -> Iterator[Finding]:
    """Every byte of each stub (``st_size`` bytes, or up to the next symbol or the end of
    its section when the symbol has no size) lies in the executable section and segment
    its first byte is in.  Stubs whose first byte is misplaced are reported by
    :func:`_check_code_symbol` already."""
    for v in spec.vectors:
        sym = k.symbols.get(v.stub_symbol)
        if sym is None:
            continue
        sec, seg = k.section_at(sym.value), k.segment_at(sym.value)
        if sec is None or seg is None or not (sec.executable and seg.executable):
            continue
        size = k.extent(sym)

        def finding(message: str, sym: ElfSymbol = sym, sec: ElfSection = sec, seg: ElfSegment = seg) -> Finding:
            return Finding("stub-extent", message, sym.name, sym.value, sec.name, seg.describe())

        if size <= 0:
            yield finding("no code at the stub: it is the last symbol of its section, which ends there")
            continue
        last = sym.value + size - 1
        if not sec.contains(last):
            yield finding(f"stub is {size} bytes and runs past the end of section {sec.name}")
        elif not seg.contains(last):
            yield finding(f"stub is {size} bytes and runs past the end of its segment")


def _check_dwarf_frame(k: Kernel, spec: Spec, layout: FrameLayout) -> tuple[list[Finding], bool]:
    """(findings, whether a struct definition was found)."""
    offsets = tuple((f.name, f.offset) for f in layout.fields)
    return dwarf_struct_findings(k.obj, FrameStruct(spec.frame.struct_name, layout.size, offsets))


def dwarf_struct_findings(obj: ElfObject, frame: FrameStruct) -> tuple[list[Finding], bool]:
    """Compare every DWARF definition of ``frame`` in ``obj`` (read with ``structs``
    naming it) with its size and member offsets: (findings, whether a definition was
    found).  Members the struct does not list (a kernel's own additions after the
    frame) are not compared."""
    name = frame.name
    want = dict(frame.offsets)
    findings: list[Finding] = []
    definitions = obj.struct_definitions(name)
    for definition in definitions:
        where = f"DWARF of {definition.unit}"
        if definition.size != frame.size:
            findings.append(
                Finding(
                    "frame-size",
                    f"struct {name} is {definition.size} bytes in the kernel, spec says {frame.size} ({where})",
                )
            )
        for field, offset in definition.members:
            if field in want and want[field] != offset:
                findings.append(
                    Finding(
                        "frame-offset",
                        f"struct {name} member {field} is at offset {offset} in the kernel, "
                        f"spec says {want[field]} ({where})",
                    )
                )
    return findings, bool(definitions)


def _verify_package(spec: PackageSpec, path: Path) -> VerifyReport:
    """``verify`` for a spec whose ISA package owns its model: the package checks its table,
    the core checks the frame structs against the kernel's DWARF."""
    result = spec.pipeline.verify(spec.options, path)
    findings = [Finding(spec.arch_name, message) for message in result.failures]
    checked = list(result.checked)
    frames = spec.pipeline.frame_structs(spec.options)
    obj = read_elf(path, structs=[frame.name for frame in frames])
    for frame in frames:
        struct_findings, found = dwarf_struct_findings(obj, frame)
        findings += struct_findings
        if found:
            checked.append(f"struct {frame.name} size {frame.size} and offsets (DWARF)")
        else:
            checked.append(f"struct {frame.name}: no DWARF definition in the kernel, size not checked")
    return VerifyReport(os.fspath(path), tuple(findings), tuple(checked) if not findings else ())


def verify_elf(spec: Spec, stream: BinaryIO, name: str = "<kernel>", idt: str | None = None) -> VerifyReport:
    """Check the ELF read from ``stream`` against ``spec`` (and the table image ``idt``); see the module docstring."""
    obj = read_elf_stream(stream, name, structs=[spec.frame.struct_name])
    machine, bits = spec.isa.elf_machine
    if obj.machine != machine or obj.elfclass != bits:
        raise UsageError(
            f"{name}: a {obj.elfclass}-bit {obj.machine} ELF file, the spec is for {spec.arch_name} "
            f"({bits}-bit {machine})"
        )
    if obj.file_type == "ET_REL":
        raise UsageError(
            f"{name}: a relocatable object (ET_REL), not a linked kernel: verify checks where the linker "
            "put the glue (segments, addresses), so link the kernel first"
        )
    k = Kernel(obj)
    if not k.symbols:
        raise UsageError(f"{name}: has no symbol table (verify needs an unstripped kernel)")
    layout = compute_layout(spec)
    code, _data = _code_symbols(spec)
    findings: list[Finding] = list(_check_segments(k))
    for sym in code:
        findings += _check_code_symbol(k, sym)
    findings += _check_table(k, spec)
    findings += _check_stub_placement(k, spec)
    findings += _check_stub_extent(k, spec)
    dwarf_findings, dwarf_found = _check_dwarf_frame(k, spec, layout)
    findings += dwarf_findings
    if idt is not None:
        findings += list(spec.isa.verify_table_image(k, spec, idt))
    checked = [
        f"{len(k.segments)} PT_LOAD segments (none W+X)",
        f"{len(code)} code symbols (present, AX section, PF_X segment)",
        f"vector table {spec.symbols.table} ({spec.arch.vector_count} entries)",
        f"stub alignment {spec.sections.stub_align}",
        f"struct {spec.frame.struct_name} size {layout.size} and offsets (DWARF)"
        if dwarf_found
        else f"struct {spec.frame.struct_name}: no DWARF definition in the kernel, size not checked",
    ]
    unsized = sum(1 for v in spec.vectors if v.stub_symbol in k.symbols and not k.symbols[v.stub_symbol].size)
    if unsized:
        checked.append(
            f"{unsized} stubs without a symbol size (not made by isrgen): extent up to the next symbol, "
            "alignment and stride not checked"
        )
    if idt is not None:
        wording = spec.isa.wording
        checked.append(f"{wording.table} image {idt} ({spec.arch.vector_count} {wording.table_image_checks})")
    return VerifyReport(name, tuple(findings), tuple(checked))


def verify_kernel(spec: Spec | PackageSpec, kernel: str | os.PathLike[str], idt: str | None = None) -> VerifyReport:
    """Check the linked kernel ELF at ``kernel`` against ``spec``.

    ``idt`` names a statically initialised image of the vector table the CPU reads, for
    the ISA to check entry by entry (a table filled at run time has no contents in the ELF
    to check).
    Raises :class:`UsageError` when the file is missing or is not a usable ELF;
    problems with the kernel itself are returned as findings.
    """
    path = Path(kernel)
    if isinstance(spec, PackageSpec):
        if idt is not None:
            raise UsageError(f"--idt checks a table image of gate descriptors; a {spec.arch_name} kernel has none")
        if not path.is_file():
            raise UsageError(f"cannot read kernel {os.fspath(kernel)}: no such file")
        return _verify_package(spec, path)
    try:
        with path.open("rb") as fh:
            return verify_elf(spec, fh, os.fspath(kernel), idt)
    except OSError as exc:
        raise UsageError(f"cannot read kernel {os.fspath(kernel)}: {exc.strerror or exc}") from None
