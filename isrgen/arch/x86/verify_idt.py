"""``isrgen verify --idt NAME`` on x86: check a statically initialised IDT image gate by gate.

Each gate is decoded with :func:`isrgen.arch.x86.gates.decode_gate` and must point
at its vector's stub with the attributes the spec asks for (Intel SDM Vol. 3A 6.11,
6.14.1).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from isrgen.arch.x86.gates import PRESENT, Gate, decode_gate, type_attr, type_attr_text
from isrgen.arch.x86.model import X86Spec
from isrgen.proof.verify import Finding, Kernel


def _check_gate(k: Kernel, spec: X86Spec, n: int, gate: Gate) -> Iterator[str]:
    """Messages for what is wrong with gate ``n`` (the defined vector's stub and attributes)."""
    v = spec.vector(n)
    if v is None:
        if gate.type_attr & PRESENT:
            yield f"gate is present ({type_attr_text(gate.type_attr)}), but the spec defines no vector {n}"
        return
    want = type_attr(spec, v)
    if not gate.type_attr & PRESENT:
        yield f"gate is not present: {type_attr_text(gate.type_attr)}, expected {type_attr_text(want)}"
        return
    stub = k.symbols.get(v.stub_symbol)
    if stub is not None and gate.offset != stub.value:
        actual = next((s.name for s in k.symbols.values() if s.value == gate.offset and gate.offset), None)
        shown = f"{gate.offset:#x}{f' ({actual})' if actual else ''}"
        yield f"gate offset is {shown}, expected {v.stub_symbol} ({stub.value:#x})"
    if gate.type_attr != want:
        yield f"type/attributes {type_attr_text(gate.type_attr)}, expected {type_attr_text(want)}"
    if gate.ist != (v.ist or 0):
        yield f"IST byte is {gate.ist:#x}, expected {v.ist or 0} ({f'ist: {v.ist}' if v.ist else 'no IST'})"
    if gate.selector & 0x7 or gate.selector == 0:
        yield f"selector {gate.selector:#x} is not a ring-0 GDT selector (index != 0, TI = 0, RPL = 0)"
    if gate.reserved:
        yield f"reserved bits are {gate.reserved:#x}, must be zero"


def check_idt_image(k: Kernel, spec: X86Spec, name: str, size: int) -> Iterator[Finding]:
    """The statically initialised IDT image ``name`` of ``size``-byte gates: one finding per wrong gate."""
    idt = k.symbols.get(name)
    if idt is None:
        yield Finding("missing-symbol", "IDT image is not in the kernel's symbol table", symbol=name)
        return
    count = spec.arch.vector_count
    sec_name, seg_text = k.where(idt.value)
    raw = k.read(idt.value, size * count)
    if raw is None:
        yield Finding(
            "idt",
            f"cannot read {count} gates of {size} bytes: no file contents there "
            "(an IDT filled at run time cannot be checked in the ELF)",
            name,
            idt.value,
            sec_name,
            seg_text,
        )
        return
    order: Literal["little", "big"] = "little" if k.little else "big"
    gates = [decode_gate(raw[n * size : (n + 1) * size], order) for n in range(count)]
    for n, gate in enumerate(gates):
        for message in _check_gate(k, spec, n, gate):
            yield Finding("idt", message, f"{name}[{n}]", idt.value + n * size, sec_name, seg_text)
    selectors = sorted({g.selector for g in gates if g.type_attr & PRESENT})
    if len(selectors) > 1:
        yield Finding(
            "idt",
            f"present gates use {len(selectors)} different selectors: {', '.join(f'{s:#x}' for s in selectors)}",
            name,
            idt.value,
            sec_name,
            seg_text,
        )
