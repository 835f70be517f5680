"""The ISA layer: everything the arch-neutral core asks of an instruction-set architecture.

Each ISA family is one package under ``isrgen/arch/<family>/`` (as LLVM's
``lib/Target/<Arch>/`` or Linux's ``arch/<arch>/``).  The package exports
``ISAS``: one :class:`Isa` object per spec ``arch:`` value it serves (the x86
package serves ``arch: x86_64`` and ``arch: i386``).  :data:`ISA_PACKAGES` lists
the known packages; :func:`get_isa` imports them on first use and looks an ISA
up by the spec's ``arch`` value.  Nothing outside an ISA package branches on an
ISA name: the loader, model, layout, IR, the backends' view models, ``build``,
``prove`` and ``verify``'s ELF checks ask the ISA object.

What an ISA answers (the members of :class:`Isa`):

- **facts** (:class:`~isrgen.arch.facts.ArchFacts`): word size, registers and
  their DWARF numbers, which vectors have an error code, the calling
  conventions, the part of the frame the CPU pushes (``cpu_frame``; empty on an
  ISA whose software saves everything, e.g. an exception-level or trap-mode
  entry that stores the return address and status from system registers such
  as ELR/SPSR/ESR/FAR or SEPC/SCAUSE/STVAL into ordinary frame slots).
- **instruction selection**: :meth:`Isa.build_program` turns a spec and its frame
  layout into the :class:`~isrgen.codegen.ir.Program` every assembly backend
  prints.  The vector table may be data (x86: addresses for an IDT initialiser)
  or code made of fixed-size slots (a table the CPU jumps into): both are IR
  sections, with :class:`~isrgen.codegen.ir.PadTo` keeping slots fixed-size.
- **assembly dialects**: :attr:`Isa.dialects` names the syntaxes the ISA's
  printers speak (x86: ``gas`` and ``nasm``; an ISA with ``gas`` only makes
  ``nasm`` a usage error); :meth:`Isa.printer` returns the printer for one.
- **backend extras**: :meth:`Isa.table_helper` describes the C/Rust helper
  that installs the table (x86: the IDT gate struct and a fill function; other
  ISAs: a helper writing the table base to its system register), or None;
  :attr:`Isa.rust` the Rust target, ``global_asm!`` options and frame accessors, or None when
  the Rust backend does not generate for the ISA; :attr:`Isa.gdb` the gdb
  register names by frame role and the error-code decoders, or None;
  :meth:`Isa.field_note` the comment a CPU- or system-register frame slot gets;
  :meth:`Isa.exported_constants` the constants the C header and Rust module define
  besides the frame's (x86: the XSAVE mask, the IA32_STAR SYSRET base, the per-CPU
  offsets); :meth:`Isa.interface_functions` and :meth:`Isa.interface_arrays` the
  declarations only the ISA's glue has; :attr:`Isa.wording` what comments and docs call
  the ISA's things (the vector table's name, the SIMD area's image) and
  :attr:`Isa.simd_area_alignment` the alignment that area needs in the frame.
- **reports**: :attr:`Isa.vector_columns` and :meth:`Isa.vector_cells`, the columns the
  ISA adds to ``isrgen layout``'s per-vector table (x86: IST, gate type, DPL).
- **checking**: :meth:`Isa.link_for_emulation`, :meth:`Isa.emulator` and
  :meth:`Isa.machine_prover` (the unicorn harness that delivers an interrupt as
  that CPU would, and property 3 of ``isrgen prove``); :attr:`Isa.elf_machine`
  and :meth:`Isa.verify_table_image` for ``isrgen verify``.
- **ELF relocations**: each package's ``relocations`` module maps its
  ``e_machine`` to the bytes each relocation type patches
  (``ELF_RELOCATION_SIZES``); :func:`relocation_sizes` looks one up for
  :mod:`isrgen.proof.elf`.

Spec keys only one ISA has are declared by its package (schema fragment and
resolution); the core passes them through untouched.
"""

from __future__ import annotations

import enum
import functools
import importlib
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from isrgen.arch.facts import ArchFacts
from isrgen.codegen.ir import Program, Section

#: every ISA package isrgen knows, by module name; each exports ``ISAS``
ISA_PACKAGES: tuple[str, ...] = ("isrgen.arch.x86", "isrgen.arch.aarch64", "isrgen.arch.riscv64")


@attrs.frozen
class SectionText:
    """One section as an assembler reads it: the directive opening it, its lines, and the closing directive."""

    open: str
    lines: tuple[str, ...]
    close: str = ""


class AsmPrinter(Protocol):
    """Prints IR sections in one assembly dialect."""

    def section(self, section: Section) -> SectionText:
        """The text of ``section``."""
        ...

    def note_gnu_stack(self) -> SectionText:
        """The empty ``.note.GNU-stack`` section that marks the stack non-executable."""
        ...


@attrs.frozen
class HelperField:
    """One member of a table-install helper's struct (x86: an IDT gate descriptor)."""

    name: str
    ctype: str
    rtype: str
    offset: int
    size: int
    #: the C header's comment and the Rust doc line
    c_comment: str
    rust_doc: str


@attrs.frozen
class TableHelper:
    """The struct and fill function the C header and Rust module offer to install the table
    (x86: an IDT gate descriptor and a function filling an IDT)."""

    #: struct name as the spec's prefix spells it (``isr_idt_gate``)
    struct: str
    #: one line describing the struct, with its manual reference, for C and for Rust
    c_comment: str
    rust_comment: str
    fields: tuple[HelperField, ...]
    size: int
    #: the C fill function, complete (comment, signature, body); empty when the table is local
    c_fill: tuple[str, ...]
    #: the Rust fill function's doc lines, signature line and loop-body statements
    rust_fill_doc: tuple[str, ...]
    rust_fill_signature: str
    #: statements run before the loop over the vectors
    rust_fill_setup: tuple[str, ...]
    rust_fill_body: tuple[str, ...]
    #: ``(name, value)`` C macros the helper adds to the header's constants
    c_constants: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class RustAccessor:
    """A ``const fn`` on the Rust frame struct that decodes the slot holding ``role``
    (an ISA fact, such as x86's privilege level in CS's low bits)."""

    #: the frame role the accessor reads; the method exists only when a slot holds it
    role: str
    #: the method's doc line and its signature after ``pub const fn``
    doc: str
    signature: str
    #: the body expression; ``{field}`` stands for the struct field holding ``role``
    body: str


@attrs.frozen
class RustSupport:
    """What the Rust backend needs of an ISA."""

    #: the rustc target triple the layout checker builds for
    target: str
    #: comment lines the module's header says about the assembly's syntax
    asm_note: tuple[str, ...] = ()
    #: the ``options(...)`` argument ``global_asm!`` ends with, or "" for none
    asm_options: str = ""
    #: accessors the frame struct gets besides ``vector()`` and ``error_code()``, in order
    accessors: tuple[RustAccessor, ...] = ()


@attrs.frozen
class GdbSupport:
    """What the gdb backend needs of an ISA."""

    #: frame role -> gdb register it restores (roles absent here are not restored)
    restore_registers: Mapping[str, str]
    #: the frame roles restored besides the saved general-purpose registers, in frame order
    restored_cpu_roles: frozenset[str]
    #: Python lines defining the constants the decoders read
    decoder_constants: tuple[str, ...]
    #: Python source lines defining ``decode_error_code(vector, code)`` (it may read
    #: ``CPU_ERROR_CODE_VECTORS``, the vectors whose CPU pushes an error code)
    decoders: tuple[str, ...]
    #: the frame role whose low bits give the interrupted privilege level, and the role
    #: holding the interrupted program counter (printed with its symbol)
    privilege_role: str
    pc_role: str
    #: a Python expression of ``value`` (the privilege role's slot) printed next to it
    privilege_note: str


@attrs.frozen
class ExportedConstant:
    """A constant the C header and the Rust module define for the kernel after the frame's own:
    an ISA fact or a spec value the kernel's setup code needs (x86: the XSAVE mask, the
    IA32_STAR SYSRET base, the per-CPU offsets)."""

    #: the name without the spec's macro prefix (the C header adds it, Rust does not)
    name: str
    #: the C macro's body, or "" when the C header leaves the constant out
    c_value: str
    #: the C comment after the value ("" for none)
    c_comment: str = ""
    #: the Rust constant's type and value, or "" when the Rust module leaves the constant out
    rust_type: str = ""
    rust_value: str = ""
    #: the Rust constant's doc line
    rust_doc: str = ""


@attrs.frozen
class IsaWording:
    """How the generated comments and docs, and the core's reports, name the ISA's things."""

    #: the vector table's name in the ISA's manuals
    table: str
    #: the comment on the frame's SIMD save area (what image the entry stores there)
    simd_area: str
    #: what ``verify`` checks of each entry of a statically initialised table image
    table_image_checks: str
    #: what a value narrower than its frame slot is (the C header's comment on it)
    narrow_value: str


class Tally(Protocol):
    """What a machine prover counted."""

    def summary(self) -> str:
        """One line for the report."""
        ...


class TableEmulator(Protocol):
    """An emulator loaded with a linked image: it can read the vector table."""

    def stub_address(self, vector: int) -> int:
        """The table's entry for ``vector``."""
        ...


class MachineProver(Protocol):
    """Property 3 of ``isrgen prove`` for one linked image."""

    def run_all(self) -> Tally:
        """Deliver every vector (and exercise every entry option); failures go to the callback."""
        ...


class Isa(Protocol):
    """One instruction-set architecture, as the arch-neutral core sees it (see the module docstring)."""

    #: the spec's ``arch:`` value
    name: str
    facts: ArchFacts
    #: assembly dialects, by backend name
    dialects: tuple[str, ...]
    rust: RustSupport | None
    gdb: GdbSupport | None
    #: ``(e_machine, ELF class)`` of objects and kernels for this ISA
    elf_machine: tuple[str, int]
    #: whether the generator writes call-frame information for this ISA's glue
    emits_cfi: bool

    def resolve_spec(self, source: Any) -> tuple[Any, list[Any]]:
        """The semantic pass: the spec model (or None) that ``source`` (an
        :class:`isrgen.spec.resolve.base.ResolveInput`) describes, and every problem found."""
        ...

    def build_program(self, spec: Any, layout: Any) -> Program:
        """Instruction selection: the glue for ``spec`` with frame ``layout``, as IR."""
        ...

    def printer(self, dialect: str, program: Program) -> AsmPrinter:
        """The printer for ``dialect`` (one of :attr:`dialects`)."""
        ...

    def part_file_program(self, program: Program, parts: tuple[str, ...]) -> Program:
        """The piece of ``program`` one output file holds when the spec splits the
        assembly into files (``outputs: {gas: {stubs: ..., entry: ...}}``)."""
        ...

    def gas_prologue(self) -> tuple[str, ...]:
        """Directives a GAS file starts with (never inside Rust's ``global_asm!``)."""
        ...

    def field_note(self, role: str) -> str:
        """The comment a frame slot with ``role`` gets in the C header ("" when none)."""
        ...

    def table_helper(self, spec: Any) -> TableHelper | None:
        """The table-install helper for the C header and Rust module, or None."""
        ...

    def vector_gate(self, spec: Any, vector: Any) -> str:
        """What the table entry of ``vector`` must say about its gate (x86: ``interrupt`` or
        ``trap``, as the IDT gate type); "" for an ISA without gates."""
        ...

    def stub_stride(self, spec: Any) -> int | None:
        """The fixed distance between stubs, or None when stubs are not at a fixed stride."""
        ...

    def assemble(self, dialect: str, source: Path) -> Path:
        """Assemble ``source`` written in ``dialect`` into an object next to it."""
        ...

    def join_objects(self, objects: Sequence[Path], out: Path) -> Path:
        """One relocatable object (``ld -r``) from the objects of a split output."""
        ...

    def require_emulator(self) -> None:
        """Raise a usage error naming what is missing when the emulator cannot run."""
        ...

    def link_for_emulation(self, objects: Sequence[Path], workdir: Path, name: str) -> Any:
        """Link ``objects`` into an image the emulator loads."""
        ...

    def emulator(self, spec: Any, image: Any) -> TableEmulator:
        """A unicorn harness loaded with ``image``.  Raises :class:`ValueError` when the
        spec asks for a machine the emulator cannot model (the message names the key)."""
        ...

    def machine_prover(
        self,
        spec: Any,
        layout: Any,
        emulator: Any,
        fail: Callable[[str], None],
        rng: random.Random,
        label: str,
    ) -> MachineProver:
        """Property 3 of ``isrgen prove`` on ``emulator``."""
        ...

    def verify_table_image(self, kernel: Any, spec: Any, name: str) -> Any:
        """``isrgen verify --idt NAME``: findings about the statically initialised table image ``name``."""
        ...

    def schema_fragment(self) -> Mapping[str, Any]:
        """The spec keys only this ISA's family has, as a partial JSON Schema that
        :func:`isrgen.spec.schema.merge.merge_fragment` adds to the core's; ``{}`` when none."""
        ...

    #: how the outputs' comments and docs and the reports name the ISA's things
    wording: IsaWording
    #: the alignment the frame's SIMD save area needs (the frame struct gets it when it holds one)
    simd_area_alignment: int
    #: the columns the ISA adds to ``isrgen layout``'s per-vector table (after the handlers)
    vector_columns: tuple[LayoutColumn, ...]

    def exported_constants(self, spec: Any) -> tuple[ExportedConstant, ...]:
        """The constants the C header and the Rust module define after the frame's, in order."""
        ...

    def interface_functions(self, spec: Any) -> tuple[Any, ...]:
        """The :class:`~isrgen.codegen.interface.Function` declarations the ISA's glue adds
        after the halt routine (entry points only the ISA has)."""
        ...

    def interface_arrays(self, spec: Any) -> tuple[Any, ...]:
        """The :class:`~isrgen.codegen.interface.Array` declarations the ISA's glue adds after
        the vector table (per-vector attributes, tables the kernel fills)."""
        ...

    def vector_cells(self, spec: Any, vector: Any) -> tuple[LayoutCell, ...]:
        """``vector``'s cells under :attr:`vector_columns`."""
        ...

    def slot_note(self, field: Any) -> str:
        """The C header's comment on frame slot ``field`` (a :class:`~isrgen.model.layout.Field`):
        what the ISA says of the slot itself, else its role's :meth:`field_note` ("" when none)."""
        ...


@attrs.frozen
class PipelineResult:
    """What a :class:`SpecPipeline` proved or verified: one line per property that held, one per failure."""

    checked: tuple[str, ...]
    failures: tuple[str, ...]


@attrs.frozen
class FrameStruct:
    """A frame struct as the generated header declares it: its size and member offsets."""

    name: str
    size: int
    offsets: tuple[tuple[str, int], ...]


class SlotWriter(enum.StrEnum):
    """Who stores a frame slot: the CPU on delivery, the per-vector stub (or vector-table
    slot), the common entry, or the kernel itself (a word the glue only reads)."""

    CPU = "cpu"
    STUB = "stub"
    ENTRY = "entry"
    KERNEL = "kernel"


@attrs.frozen
class LayoutSlot:
    """One frame slot as ``isrgen layout`` shows it."""

    offset: int
    size: int
    #: the struct field's name
    field: str
    #: what the slot holds (a register, ``vector``, ``error_code``, ``elr``, ``sepc``, ...)
    role: str
    #: the slot's class: ``gpr``, ``segment``, ``vector``, ``error_code``, ``pad``,
    #: ``simd_area``, ``frame_pointer``, ``cpu`` (pushed by the CPU), ``sysreg`` (a copy of a
    #: system register or CSR the CPU set when it took the exception), ``fp`` or ``kernel``
    kind: str
    #: who stores it, in the order they act
    writers: tuple[SlotWriter, ...]
    #: pushed by the CPU only on a privilege-level change
    ring_change_only: bool = False
    #: the system register or CSR the value is copied from ("" when the slot holds a register
    #: or a value the glue computes)
    source: str = ""


@attrs.frozen
class LayoutFrame:
    """A frame struct, slot by slot, low address first."""

    struct: str
    size: int
    slots: tuple[LayoutSlot, ...]
    #: what the frame is for, when a spec has several ("" for the main frame)
    title: str = ""


@attrs.frozen
class LayoutCall:
    """The stack at the call into the handler."""

    #: the calling convention's name (``sysv``, ``aapcs64``, ``lp64``, ...)
    convention: str
    #: the alignment the calling convention wants at the call, in bytes
    alignment: int
    #: bytes the entry reserves below the frame
    adjust: int
    #: the entry aligns the stack at run time
    dynamic: bool
    #: whether the stack is aligned to ``alignment`` at the call
    aligned: bool
    #: one sentence saying how the alignment comes about
    note: str


#: a value in the per-vector table (JSON: number, string, boolean or null)
LayoutValue = int | str | bool | None


@attrs.frozen
class LayoutColumn:
    """A column of the per-vector table: its JSON key, its heading in the text table."""

    key: str
    title: str
    numeric: bool = False
    #: shown in the text table (False: the JSON carries it, another column's text shows it)
    in_text: bool = True


@attrs.frozen
class LayoutCell:
    """One value of the per-vector table and how the text table prints it."""

    value: LayoutValue
    text: str


def cell(value: LayoutValue, text: str | None = None) -> LayoutCell:
    """A cell printing ``text``, by default the value itself (``-`` for None)."""
    if text is None:
        text = "-" if value is None else str(value)
    return LayoutCell(value, text)


@attrs.frozen
class LayoutEntry:
    """A common entry routine: its symbol, the handler it calls, the vectors reaching it."""

    symbol: str
    handler: str
    vectors: tuple[int, ...]


@attrs.frozen
class LayoutView:
    """Everything ``isrgen layout`` shows about a spec, with no ISA-specific shape: the frames,
    the stack at the call, and a table with a row per vector, vector-table slot or trap cause."""

    arch: str
    word_size: int
    #: the main frame first
    frames: tuple[LayoutFrame, ...]
    call: LayoutCall
    #: what a row of the vector table is (``vector``, ``slot``, ``cause``)
    row_kind: str
    columns: tuple[LayoutColumn, ...]
    rows: tuple[tuple[LayoutCell, ...], ...]
    entries: tuple[LayoutEntry, ...]


class SpecPipeline(Protocol):
    """An ISA package that owns its spec model end to end.

    The x86 package shares the core's spec model (vectors, gates, stubs), so the core
    resolves its specs and its backends render them.  An ISA whose glue has another
    shape (an exception table of fixed slots, trap vectors with scratch-register
    protocols) resolves its own keys into its own frozen model and builds that
    model's views; the core still reads the file, keeps the locations, owns
    ``outputs``, writes the files and runs ``prove``/``verify`` through it.
    """

    #: the spec's ``arch:`` value
    name: str
    #: built-in backends the package renders, in listing order (``nasm`` is not among them)
    backends: tuple[str, ...]

    def resolve(self, document: Any) -> Any:
        """The package's model of the parsed spec (an :class:`isrgen.spec.yamlsource.Document`);
        :class:`~isrgen.diagnostics.SpecError` with every problem, each at its key."""
        ...

    def outputs(self, options: Any) -> tuple[tuple[str, str], ...]:
        """``(backend, file name)`` pairs the spec's ``outputs`` section asks for."""
        ...

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of a spec for this ISA (``isrgen schema`` joins it to the others)."""
        ...

    def render(self, options: Any, backend: str, banner: str) -> str:
        """The text of ``backend``'s output; ``banner`` is the first-line notice."""
        ...

    def frame_structs(self, options: Any) -> tuple[FrameStruct, ...]:
        """The frame structs the generated header declares (``verify`` compares them with DWARF)."""
        ...

    def prove(self, options: Any, seed: int) -> PipelineResult:
        """Assemble the glue and run it under emulation (see ``isrgen prove``)."""
        ...

    def verify(self, options: Any, kernel: Path) -> PipelineResult:
        """Check a linked kernel ELF against the spec (see ``isrgen verify``)."""
        ...

    def layout(self, options: Any) -> LayoutView:
        """The frame, the call alignment and the vector routing (see ``isrgen layout``)."""
        ...


_REGISTRY: dict[str, Isa] = {}
_PIPELINES: dict[str, SpecPipeline] = {}


def _registry() -> dict[str, Isa]:
    if not _REGISTRY:
        for package in ISA_PACKAGES:
            module = importlib.import_module(package)
            for isa in getattr(module, "ISAS", ()):
                _REGISTRY[isa.name] = isa
            for pipeline in getattr(module, "PIPELINES", ()):
                _PIPELINES[pipeline.name] = pipeline
    return _REGISTRY


def pipelines() -> tuple[SpecPipeline, ...]:
    """Every ISA package that owns its spec model, in registration order."""
    _registry()
    return tuple(_PIPELINES.values())


def get_pipeline(name: str) -> SpecPipeline | None:
    """The pipeline of an ISA package that owns its spec model (see :class:`SpecPipeline`), or None."""
    _registry()
    return _PIPELINES.get(name)


def get_isa(name: str) -> Isa | None:
    """The ISA for a spec's ``arch:`` value, or None when isrgen does not know it."""
    return _registry().get(name)


@functools.cache
def relocation_sizes(machine: str) -> Mapping[int, int]:
    """Bytes patched by each relocation type of ELF ``e_machine`` ``machine``, from the ISA
    package that knows it (empty when none does)."""
    for package in ISA_PACKAGES:
        module = importlib.import_module(f"{package}.relocations")
        table: Mapping[str, Mapping[int, int]] = module.ELF_RELOCATION_SIZES
        if machine in table:
            return table[machine]
    return {}


def known_isas() -> tuple[str, ...]:
    """Every ``arch:`` value isrgen knows, in registration order."""
    return (*_registry(), *_PIPELINES)


__all__ = [
    "ISA_PACKAGES",
    "AsmPrinter",
    "ExportedConstant",
    "GdbSupport",
    "HelperField",
    "FrameStruct",
    "Isa",
    "IsaWording",
    "LayoutCall",
    "LayoutCell",
    "LayoutColumn",
    "LayoutEntry",
    "LayoutFrame",
    "LayoutSlot",
    "LayoutValue",
    "LayoutView",
    "MachineProver",
    "relocation_sizes",
    "PipelineResult",
    "RustAccessor",
    "RustSupport",
    "SectionText",
    "SlotWriter",
    "SpecPipeline",
    "TableEmulator",
    "TableHelper",
    "Tally",
    "cell",
    "get_isa",
    "get_pipeline",
    "pipelines",
    "known_isas",
]
