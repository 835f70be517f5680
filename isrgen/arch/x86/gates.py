"""The IDT gate descriptor, written once: its layout, its type/attribute byte, encoding and decoding.

The C header's and Rust module's gate structs and fill helpers, ``isrgen verify``'s
IDT-image check and the gate attributes table the glue exports all come from here.

- Long mode (Intel SDM Vol. 3A 6.14.1, figure 6-8): 16 bytes; the handler
  address split 16/16/32, the code selector, the IST index, the type/attribute
  byte and a reserved dword.
- Protected mode (SDM Vol. 3A 6.11, figure 6-2): 8 bytes; the address split
  16/16, the selector, a zero byte and the type/attribute byte.

The type/attribute byte is P (bit 7), DPL (bits 5-6) and the gate type in bits
0-3: 0xE for an interrupt gate, 0xF for a trap gate (32-bit and 64-bit alike).
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

from isrgen.arch.isa import HelperField, TableHelper
from isrgen.arch.x86.model import GateType, X86Spec, X86Vector
from isrgen.model.spec import SymbolVisibility
from isrgen.spec.identifiers import rust_type_name

PRESENT = 0x80
INTERRUPT_GATE = 0xE
TRAP_GATE = 0xF


def gate_type(spec: X86Spec, v: X86Vector) -> GateType:
    """The gate type ``v``'s IDT entry must have: with ``entry.swapgs`` always an
    interrupt gate (a trap gate could take an interrupt before the swapgs)."""
    return GateType.INTERRUPT if spec.entry.swapgs else v.gate


def type_attr(spec: X86Spec, v: X86Vector) -> int:
    """The type/attribute byte of ``v``'s gate: present, DPL, :func:`gate_type`."""
    kind = INTERRUPT_GATE if gate_type(spec, v) is GateType.INTERRUPT else TRAP_GATE
    return PRESENT | (v.dpl << 5) | kind


def type_attr_text(value: int) -> str:
    """``0x8e (present, DPL 0, interrupt gate)`` for a gate's type/attribute byte."""
    kinds = {INTERRUPT_GATE: "interrupt gate", TRAP_GATE: "trap gate"}
    kind = kinds.get(value & 0xF, f"type {value & 0xF:#x}")
    return f"{value:#04x} ({'present' if value & PRESENT else 'not present'}, DPL {(value >> 5) & 3}, {kind})"


def _field(name: str, offset: int, size: int, c_comment: str, rust_doc: str) -> HelperField:
    return HelperField(name, f"uint{size * 8}_t", f"u{size * 8}", offset, size, c_comment, rust_doc)


LONG_MODE_GATE: tuple[HelperField, ...] = (
    _field("offset_low", 0, 2, "", "Bits 0-15 of the stub's address."),
    _field("selector", 2, 2, "", "Code segment selector (0 in a gate that is not present)."),
    _field(
        "ist",
        4,
        1,
        "1-7 selects the TSS's ist[n - 1]; 0 = no stack switch",
        "1-7 selects the TSS's ist[n - 1]; 0 = no stack switch.",
    ),
    _field(
        "type_attr",
        5,
        1,
        "present, DPL, interrupt (0xE) or trap (0xF) gate",
        "Present, DPL, interrupt (0xE) or trap (0xF) gate.",
    ),
    _field("offset_mid", 6, 2, "", "Bits 16-31 of the stub's address."),
    _field("offset_high", 8, 4, "", "Bits 32-63 of the stub's address."),
    _field("reserved", 12, 4, "", "Must be zero."),
)

PROTECTED_MODE_GATE: tuple[HelperField, ...] = (
    _field("offset_low", 0, 2, "", "Bits 0-15 of the stub's address."),
    _field("selector", 2, 2, "", "Code segment selector (0 in a gate that is not present)."),
    _field("zero", 4, 1, "", "Must be zero."),
    _field(
        "type_attr",
        5,
        1,
        "present, DPL, 32-bit interrupt (0xE) or trap (0xF) gate",
        "Present, DPL, 32-bit interrupt (0xE) or trap (0xF) gate.",
    ),
    _field("offset_high", 6, 2, "", "Bits 16-31 of the stub's address."),
)


def gate_fields(size: int) -> tuple[HelperField, ...]:
    """The gate layout for a ``size``-byte descriptor (16: long mode, 8: protected mode)."""
    return LONG_MODE_GATE if size == 16 else PROTECTED_MODE_GATE


#: address bits each offset field holds: (field, first bit)
_OFFSET_BITS = {"offset_low": 0, "offset_mid": 16, "offset_high": 0}


def _offset_shift(fields: tuple[HelperField, ...], name: str) -> int:
    # offset_high holds bits 16-31 in protected mode and bits 32-63 in long mode
    if name == "offset_high":
        return 32 if any(f.name == "offset_mid" for f in fields) else 16
    return _OFFSET_BITS[name]


@attrs.frozen
class Gate:
    """One IDT gate descriptor, decoded."""

    offset: int
    selector: int
    #: the IST byte (bits 0-2 the index; the rest must be zero); 0 in protected mode
    ist: int
    type_attr: int
    #: long mode's upper reserved dword, protected mode's zero byte
    reserved: int


def decode_gate(raw: bytes, order: Literal["little", "big"] = "little") -> Gate:
    """Decode a 16-byte (long mode) or 8-byte (protected mode) gate descriptor."""
    fields = gate_fields(len(raw))
    values = {f.name: int.from_bytes(raw[f.offset : f.offset + f.size], order) for f in fields}
    offset = 0
    for name in ("offset_low", "offset_mid", "offset_high"):
        if name in values:
            offset |= values[name] << _offset_shift(fields, name)
    reserved = values.get("reserved", values.get("zero", 0))
    return Gate(offset, values["selector"], values.get("ist", 0), values["type_attr"], reserved)


def encode_gate(size: int, address: int, selector: int, attr: int, ist: int = 0) -> bytes:
    """The ``size``-byte gate descriptor for a handler at ``address`` (little-endian)."""
    fields = gate_fields(size)
    raw = bytearray(size)
    values = {"selector": selector, "type_attr": attr, "ist": ist}
    for f in fields:
        if f.name.startswith("offset_"):
            value = (address >> _offset_shift(fields, f.name)) & ((1 << (f.size * 8)) - 1)
        else:
            value = values.get(f.name, 0)
        raw[f.offset : f.offset + f.size] = value.to_bytes(f.size, "little")
    return bytes(raw)


def _c_fill_statements(size: int, table: str, gates: str) -> tuple[str, ...]:
    """Statements filling ``idt[v]`` from the stub address ``addr`` and the gate attributes."""
    common = (
        f"uintptr_t addr = (uintptr_t){table}[v];",
        "idt[v].offset_low = (uint16_t)addr;",
        f"idt[v].selector = {gates}[v][0] ? code_selector : 0;",
        f"idt[v].type_attr = {gates}[v][0];",
    )
    if size == 16:
        return (
            *common,
            f"idt[v].ist = {gates}[v][1];",
            "idt[v].offset_mid = (uint16_t)(addr >> 16);",
            "idt[v].offset_high = (uint32_t)((uint64_t)addr >> 32);",
            "idt[v].reserved = 0;",
        )
    return (*common, "idt[v].zero = 0;", "idt[v].offset_high = (uint16_t)(addr >> 16);")


def _rust_fill_body(struct: str) -> tuple[str, ...]:
    return (
        "let addr = table[v] as u64;",
        "let [type_attr, ist] = gates[v];",
        f"idt[v] = {struct} {{",
        "    offset_low: addr as u16,",
        "    selector: if type_attr != 0 { code_selector } else { 0 },",
        "    ist,",
        "    type_attr,",
        "    offset_mid: (addr >> 16) as u16,",
        "    offset_high: (addr >> 32) as u32,",
        "    reserved: 0,",
        "};",
    )


def idt_helper(spec: X86Spec, size: int, has_ist: bool) -> TableHelper:
    """The IDT gate struct and fill helper the C header and Rust module print (the
    fill function only when the table is global: nothing outside the object can read it)."""
    prefix, table, gates = spec.symbols.prefix, spec.symbols.table, spec.symbols.gates
    struct = f"{prefix}idt_gate"
    rust_struct = rust_type_name(struct)
    macro = re.sub(r"[^A-Za-z0-9_]", "_", prefix).upper()
    constants: tuple[tuple[str, str], ...] = ()
    if has_ist:
        constants = ((f"{macro}TSS_IST_SLOT(ist)", "((ist) - 1) /* gate IST n is the TSS's ist[n - 1] */"),)
    exported = spec.symbols.visibility.table is SymbolVisibility.GLOBAL
    rust_signature = f"pub unsafe fn {prefix}idt_fill(idt: &mut [{rust_struct}; VECTOR_COUNT], code_selector: u16)"
    c_fill = (
        (
            "/* Fill a 256-entry IDT from the generated table and gate attributes. */",
            f"static inline void {prefix}idt_fill(struct {struct} *idt, uint16_t code_selector)",
            "{",
            f"    for (unsigned v = 0; v < {macro}VECTOR_COUNT; v++) {{",
            *(f"        {line}" for line in _c_fill_statements(size, table, gates)),
            "    }",
            "}",
        )
        if exported
        else ()
    )
    return TableHelper(
        struct=struct,
        c_comment="An IDT gate descriptor (Intel SDM Vol. 3A 6.11, 6.14.1).",
        rust_comment="An IDT gate descriptor (Intel SDM Vol. 3A 6.14.1).",
        fields=gate_fields(size),
        size=size,
        c_fill=c_fill,
        rust_fill_doc=(
            f"Fill a 256-entry IDT from the generated table (`{table}`) and gate",
            f"attributes (`{gates}`); vectors without a stub get a gate that is not present.",
            "",
            "# Safety",
            "",
            "Reads the generated statics: the glue's object must be linked in.",
        )
        if exported
        else (),
        rust_fill_signature=rust_signature if exported else "",
        rust_fill_setup=(
            f"let table = unsafe {{ core::ptr::addr_of!({table}).read() }};",
            f"let gates = unsafe {{ core::ptr::addr_of!({gates}).read() }};",
        ),
        rust_fill_body=_rust_fill_body(rust_struct),
        c_constants=constants,
    )
