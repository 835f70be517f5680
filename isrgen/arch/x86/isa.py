"""The two x86 ISAs as the core sees them (:class:`isrgen.arch.isa.Isa`): long mode and protected mode.

Heavy parts (the unicorn harness, the prover, the verify table check) are imported
on first use, so loading a spec does not import unicorn.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from isrgen.arch.facts import ArchFacts
from isrgen.arch.isa import (
    AsmPrinter,
    ExportedConstant,
    GdbSupport,
    LayoutCell,
    RustAccessor,
    RustSupport,
    TableHelper,
)
from isrgen.arch.x86 import exports
from isrgen.arch.x86.facts import I386, X86_64
from isrgen.codegen.ir import Program
from isrgen.diagnostics import UsageError

#: Intel SDM Vol. 3A 6.15 (interrupt 14): page-fault error code bits, low first
PAGE_FAULT_BITS: tuple[tuple[int, str, str, str], ...] = (
    (0, "P", "protection violation", "page not present"),
    (1, "W", "write", "read"),
    (2, "U", "user mode", "supervisor mode"),
    (3, "R", "reserved bit set in a paging entry", ""),
    (4, "I", "instruction fetch", ""),
    (5, "PK", "protection key", ""),
    (6, "SS", "shadow-stack access", ""),
    (15, "SGX", "SGX access-control", ""),
)
#: SDM Vol. 3A 6.13: vectors whose error code is a segment selector index
SELECTOR_ERROR_VECTORS = (10, 11, 12, 13)
PAGE_FAULT_VECTOR = 14

#: what the C header says about each CPU-pushed (or stub-written) frame slot, by role
FIELD_NOTES = {
    "rip": "pushed by the CPU: interrupted instruction pointer",
    "cs": "pushed by the CPU: interrupted code segment (low 2 bits = privilege level)",
    "rflags": "pushed by the CPU",
    "rsp": "pushed by the CPU: interrupted stack pointer",
    "ss": "pushed by the CPU",
    "error_code": "CPU error code, or the synthetic value for vectors without one",
    "vector": "vector number, pushed by the stub",
    "frame_pointer": (
        "interrupted frame pointer (classic stubs store it, dense ones the common entry); "
        "the handler's frame pointer points here"
    ),
}

#: the gdb script's error-code decoders (Python source run inside gdb): page-fault bits
#: (SDM Vol. 3A 6.15, interrupt 14) and selector error codes (SDM Vol. 3A 6.13)
GDB_DECODERS = '''\
def decode_page_fault(code):
    """Page-fault error code (SDM Vol. 3A 6.15, interrupt 14) as flag names."""
    parts = []
    for bit, name, set_text, clear_text in PAGE_FAULT_BITS:
        on = (code >> bit) & 1
        text = set_text if on else clear_text
        if on or text:
            parts.append("%s=%d (%s)" % (name, on, text))
    return ", ".join(parts)


def decode_selector(code):
    """Selector error code (SDM Vol. 3A 6.13): EXT, IDT, TI and the index."""
    ext, idt, ti, index = code & 1, (code >> 1) & 1, (code >> 2) & 1, (code >> 3) & 0x1FFF
    if idt:
        where = "IDT vector %d" % index
    else:
        where = "%s index %d (selector %#x)" % ("LDT" if ti else "GDT", index, code & 0xFFFC)
    return "EXT=%d (%s), IDT=%d, TI=%d: %s" % (
        ext,
        "external event" if ext else "not external",
        idt,
        ti,
        where,
    )


def decode_error_code(vector, code):
    """The error code of `vector` in words; empty when it has no defined meaning."""
    if vector == PAGE_FAULT_VECTOR:
        return decode_page_fault(code)
    if vector in SELECTOR_ERROR_VECTORS:
        return "null selector / not selector related" if code == 0 else decode_selector(code)
    if vector not in CPU_ERROR_CODE_VECTORS:
        return "synthetic (the CPU pushes none for this vector)"
    return ""
'''

#: gdb's names for the 64-bit registers a frame slot restores, by role (gdb calls RFLAGS
#: ``eflags``; ``$ax``, ``$bx``... would be the 16-bit pseudo-registers)
_GDB_LONG_MODE = GdbSupport(
    restore_registers={**{r: r for r in (*X86_64.gprs, "rip", "rsp")}, "rflags": "eflags"},
    restored_cpu_roles=frozenset({"rip", "rsp", "rflags"}),
    decoder_constants=(
        f"SELECTOR_ERROR_VECTORS = frozenset({list(SELECTOR_ERROR_VECTORS)!r})",
        f"PAGE_FAULT_VECTOR = {PAGE_FAULT_VECTOR}",
        f"PAGE_FAULT_BITS = {list(PAGE_FAULT_BITS)!r}",
    ),
    decoders=tuple(GDB_DECODERS.splitlines()),
    privilege_role="cs",
    pc_role="rip",
    # the CPL is in bits 1:0 of the saved CS (SDM Vol. 3A 5.5)
    privilege_note='"ring %d" % (value & 3)',
)


class X86Isa:
    """x86 in one mode: long mode (``arch: x86_64``) or protected mode (``arch: i386``)."""

    dialects: tuple[str, ...] = ("gas", "nasm")

    def __init__(self, facts: ArchFacts, rust: RustSupport | None, gdb: GdbSupport | None, elf_machine: str):
        self.name = facts.name
        self.facts = facts
        self.rust = rust
        self.gdb = gdb
        self.elf_machine = (elf_machine, facts.bits)
        # the CFI pass (isrgen.arch.x86.cfi) describes both modes' frames
        self.emits_cfi = True
        self.wording = exports.WORDING
        self.simd_area_alignment = exports.SIMD_AREA_ALIGNMENT
        self.vector_columns = exports.VECTOR_COLUMNS

    @property
    def long_mode(self) -> bool:
        return self.facts.word_size == 8

    def resolve_spec(self, source: Any) -> tuple[Any, list[Any]]:
        from isrgen.arch.x86.resolve.spec import resolve_x86

        return resolve_x86(source)

    def build_program(self, spec: Any, layout: Any) -> Program:
        from isrgen.arch.x86.codegen.program import build_program

        return build_program(spec, layout)

    def printer(self, dialect: str, program: Program) -> AsmPrinter:
        from isrgen.arch.x86.syntax import GasSyntax, NasmSyntax, internal_labels, sized_symbols

        labels = internal_labels(program.sections)
        if dialect == "gas":
            return GasSyntax(labels)
        if dialect == "nasm":
            return NasmSyntax(labels, sized_symbols(program.sections))
        raise UsageError(f"{self.name} has no {dialect!r} assembly dialect (only {', '.join(self.dialects)})")

    def part_file_program(self, program: Program, parts: tuple[str, ...]) -> Program:
        from isrgen.arch.x86.split import part_file_program

        return part_file_program(program, parts)

    def gas_prologue(self) -> tuple[str, ...]:
        return ("    .intel_syntax noprefix",)

    def nasm_format(self) -> str:
        """NASM's ``-f`` output format."""
        return f"elf{self.facts.bits}"

    def field_note(self, role: str) -> str:
        return FIELD_NOTES.get(role, "")

    def table_helper(self, spec: Any) -> TableHelper | None:
        from isrgen.arch.x86.gates import idt_helper

        return idt_helper(spec, self.facts.gate_size, "ist" in self.facts.features)

    def vector_gate(self, spec: Any, vector: Any) -> str:
        from isrgen.arch.x86.gates import gate_type

        return str(gate_type(spec, vector))

    def stub_stride(self, spec: Any) -> int | None:
        from isrgen.arch.x86.codegen.base import stub_stride

        return stub_stride(spec)

    def assemble(self, dialect: str, source: Path) -> Path:
        from isrgen.proof import toolchain

        if dialect == "gas":
            return toolchain.assemble_gas(source, bits=self.facts.bits)
        if dialect == "nasm":
            return toolchain.assemble_nasm(source, bits=self.facts.bits)
        raise UsageError(f"{self.name} has no {dialect!r} assembly dialect (only {', '.join(self.dialects)})")

    def link_for_emulation(self, objects: Sequence[Path], workdir: Path, name: str) -> Any:
        if self.long_mode:
            from isrgen.arch.x86.emulation import long_mode

            return long_mode.link_for_emulation(list(objects), workdir, name=name)
        from isrgen.arch.x86.emulation import protected_mode

        return protected_mode.link32(list(objects), workdir, name=name)

    def join_objects(self, objects: Sequence[Path], out: Path) -> Path:
        from isrgen.proof import toolchain

        # GNU ld's emulation names for the two modes (ld -V lists them)
        return toolchain.combine_objects(objects, out, "elf_x86_64" if self.long_mode else "elf_i386")

    def require_emulator(self) -> None:
        from isrgen.arch.x86.emulation.cpu import require_unicorn

        require_unicorn()

    def emulator(self, spec: Any, image: Any) -> Any:
        if self.long_mode:
            from isrgen.arch.x86.emulation import long_mode

            return long_mode.Emulator(image, table_symbol=spec.symbols.table, table_width=spec.table_width)
        from isrgen.arch.x86.emulation import protected_mode

        # the kernel's GDT holds every data selector the entry loads (Linux i386: 0x7b, 0xd8, 0xe0)
        entry = spec.entry
        key = "entry.data_selectors" if entry.segment_selectors else "entry.data_selector"
        try:
            emulator = protected_mode.emulator_with_selectors(list(entry.selectors) or [entry.data_selector])
        except ValueError as exc:
            raise ValueError(f"{key} cannot be emulated: {exc}") from exc
        return emulator(image, table_symbol=spec.symbols.table)

    def machine_prover(
        self,
        spec: Any,
        layout: Any,
        emulator: Any,
        fail: Callable[[str], None],
        rng: random.Random,
        label: str,
    ) -> Any:
        if self.long_mode:
            from isrgen.arch.x86.prover.long_mode import MachineProver

            return MachineProver(spec, layout, emulator, fail, rng, label)
        from isrgen.arch.x86.prover.protected_mode import MachineProver32

        return MachineProver32(spec, layout, emulator, fail, rng, label)

    def verify_table_image(self, kernel: Any, spec: Any, name: str) -> Any:
        from isrgen.arch.x86.verify_idt import check_idt_image

        return check_idt_image(kernel, spec, name, self.facts.gate_size)

    def schema_fragment(self) -> Mapping[str, Any]:
        from isrgen.arch.x86.schema import FRAGMENT

        return FRAGMENT

    def exported_constants(self, spec: Any) -> tuple[ExportedConstant, ...]:
        return exports.exported_constants(spec, self.facts.word_size)

    def interface_functions(self, spec: Any) -> tuple[Any, ...]:
        return exports.interface_functions(spec)

    def interface_arrays(self, spec: Any) -> tuple[Any, ...]:
        return exports.interface_arrays(spec)

    def vector_cells(self, spec: Any, vector: Any) -> tuple[LayoutCell, ...]:
        return exports.vector_cells(vector, self.vector_gate(spec, vector))

    def slot_note(self, field: Any) -> str:
        return exports.slot_note(field, self.field_note(field.role))


X86_64_ISA = X86Isa(
    X86_64,
    rust=RustSupport(
        target="x86_64-unknown-linux-gnu",
        asm_note=(
            "The assembly is Intel syntax, rustc's default for `global_asm!` (the GAS and NASM",
            "outputs use Intel syntax too, so all three spell the same instructions).",
        ),
        # the interrupted code's CPL is in bits 1:0 of the CS it saved (SDM Vol. 3A 5.5)
        accessors=(
            RustAccessor(
                "cs",
                "Privilege level of the interrupted code (CS & 3; SDM Vol. 3A 5.5).",
                "privilege_level(&self) -> u8",
                "(self.{field} & 3) as u8",
            ),
            RustAccessor(
                "cs", "Whether the interrupted code ran in ring 3.", "from_user(&self) -> bool", "self.{field} & 3 == 3"
            ),
        ),
    ),
    gdb=_GDB_LONG_MODE,
    elf_machine="EM_X86_64",
)
I386_ISA = X86Isa(I386, rust=None, gdb=None, elf_machine="EM_386")

ISAS = (X86_64_ISA, I386_ISA)
