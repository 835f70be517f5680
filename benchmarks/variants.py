"""The specs the benchmarks measure: ``specs/x86_64.yaml`` and its main option variants.

Every variant is the default spec with a few top-level keys added (and, for the
SIMD policies, a ``simd_area`` slot in the frame), so the figures differ only by
the option named in the row.
"""

from __future__ import annotations

from pathlib import Path

import attrs

import isrgen
from isrgen.arch.x86.model import X86Spec

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "specs" / "x86_64.yaml"

#: the default frame's first slots, and the same frame with a SIMD save area in front
_LAYOUT = "layout: [r15,"
_SIMD_LAYOUT = "layout: [simd_area, pad, r15,"
#: the default spec's stub style line, and the classic alternative
_DENSE = "  style: dense"
_CLASSIC = "  style: classic"


@attrs.frozen
class Variant:
    """A named spec: the default spec plus ``extra`` YAML."""

    name: str
    #: what differs from the default spec, for the tables
    options: str
    extra: str = ""
    simd_area: bool = False
    #: use classic stubs (the default spec has dense ones)
    classic: bool = False

    def text(self) -> str:
        """The variant's spec as YAML text."""
        text = DEFAULT_SPEC.read_text(encoding="utf-8")
        if self.classic:
            if _DENSE not in text:
                raise ValueError(f"{DEFAULT_SPEC} no longer asks for dense stubs")
            text = text.replace(_DENSE, _CLASSIC, 1)
        if self.simd_area:
            if _LAYOUT not in text:
                raise ValueError(f"{DEFAULT_SPEC} no longer starts its frame layout with r15")
            text = text.replace(_LAYOUT, _SIMD_LAYOUT, 1)
        return text + ("\n" + self.extra + "\n" if self.extra else "")

    def load(self) -> X86Spec:
        """The variant's validated model."""
        spec = isrgen.loads_spec(self.text(), f"{self.name}.yaml")
        if not isinstance(spec, X86Spec):
            raise TypeError(f"variant {self.name} is not an x86-family spec")
        return spec


VARIANTS: tuple[Variant, ...] = (
    Variant("default", "specs/x86_64.yaml as shipped (dense stubs)"),
    Variant("classic", "stubs: classic", classic=True),
    Variant("dense+ibt", "endbr64", "entry: {endbr64: true}"),
    Variant("classic+ibt", "stubs: classic, endbr64", "entry: {endbr64: true}", classic=True),
    Variant("swapgs", "swapgs", "entry: {swapgs: true}"),
    Variant(
        "hardened",
        "swapgs, clear_registers, endbr64",
        "entry: {swapgs: true, clear_registers: true, endbr64: true}",
    ),
    Variant("paranoid", "swapgs, exceptions paranoid", "entry: {swapgs: true}\nclasses: {exception: {paranoid: true}}"),
    Variant("fxsave", "swapgs, irq simd: fxsave", "entry: {swapgs: true}\nclasses: {irq: {simd: fxsave}}", True),
    Variant(
        "xsave",
        "swapgs, irq simd: xsave (mask 3)",
        "entry: {swapgs: true}\nsimd: {xsave_mask: 3}\nclasses: {irq: {simd: xsave}}",
        True,
    ),
    Variant("syscall", "swapgs, syscall entry", "entry: {swapgs: true}\nsyscall: {handler: isr_syscall}"),
)

#: the variants ``--quick`` measures
QUICK: tuple[str, ...] = ("default", "classic", "dense+ibt", "swapgs", "syscall")


def select(quick: bool) -> tuple[Variant, ...]:
    """All variants, or the quick subset."""
    return tuple(v for v in VARIANTS if not quick or v.name in QUICK)


def with_vectors(count: int) -> str:
    """The default spec's text keeping only vectors ``0 .. count-1`` (for growth figures)."""
    text = DEFAULT_SPEC.read_text(encoding="utf-8")
    head, sep, _ = text.partition("\nvectors:\n")
    if not sep:
        raise ValueError(f"{DEFAULT_SPEC} has no top-level 'vectors:' list")
    lines = ['  - {range: [0, 31], name: "exc_{n}"}']
    if count > 32:
        lines.append(f'  - {{range: [32, {count - 1}], name: "irq_{{n}}", class: irq}}')
    return head + sep + "\n".join(lines) + "\n"
