"""Stub density and code size, read from objects assembled with ``as`` in this run."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

import attrs

import isrgen
from isrgen.proof import toolchain
from isrgen.proof.elf import ElfObject, read_elf

from . import baseline
from .variants import Variant

#: bytes per stub slot: Linux's IRQ stubs (push imm8 + jmp rel32, padded), 16 with ENDBR64
TARGET = 8.0
TARGET_IBT = 16.0


@attrs.frozen
class Density:
    """Code size figures of one assembled program."""

    name: str
    options: str
    stubs: int
    #: mean of the stubs' symbol sizes (instruction bytes only)
    code_per_stub: float
    #: stub region (first stub to the next code after the last) / number of stubs: padding included
    footprint_per_stub: float
    stub_bytes: int
    entry_exit_bytes: int
    total_bytes: int
    #: None for the baseline (no target applies)
    target: float | None

    @property
    def meets_target(self) -> bool | None:
        """Whether the footprint per stub is within the target (None: no target)."""
        return None if self.target is None else self.footprint_per_stub <= self.target


def _stub_region(obj: ElfObject, section: str, stub_names: Sequence[str]) -> tuple[float, int]:
    """(mean stub symbol size, bytes from the first stub to whatever follows the last one)."""
    syms = obj.defined_symbols(section, only_global=False)
    stubs = [syms[n] for n in stub_names]
    first = min(s.value for s in stubs)
    last = max(stubs, key=lambda s: s.value)
    later = [s.value for s in syms.values() if s.value > last.value]
    end = min(later) if later else obj.section(section).size
    return statistics.fmean(s.size for s in stubs), end - first


def measure_variant(variant: Variant, workdir: Path) -> Density:
    """Generate ``variant`` with the gas backend, assemble it and measure its code section."""
    spec = variant.load()
    out = workdir / variant.name
    (source,) = isrgen.build(spec, out, ["gas"])
    obj = read_elf(toolchain.assemble_gas(source))
    section = spec.sections.code
    names = [v.stub_symbol for v in spec.vectors]
    code, region = _stub_region(obj, section, names)
    total = obj.section(section).size
    return Density(
        name=variant.name,
        options=variant.options,
        stubs=len(names),
        code_per_stub=code,
        footprint_per_stub=region / len(names),
        stub_bytes=region,
        entry_exit_bytes=total - region,
        total_bytes=total,
        target=TARGET_IBT if spec.entry.endbr64 else TARGET,
    )


def measure_baseline(workdir: Path) -> Density:
    """The mittos64-style baseline (two files, as mittos64 builds them)."""
    stubs_obj, common_obj = (read_elf(p) for p in baseline.assemble(workdir / "mittos64"))
    names = [f"isr{n}" for n in range(256)]
    code, region = _stub_region(stubs_obj, baseline.STUB_SECTION, names)
    common = common_obj.section(baseline.STUB_SECTION).size
    return Density(
        name="mittos64 baseline",
        options="push 0 / push n / jmp isr_common, no alignment (mittos64)",
        stubs=len(names),
        code_per_stub=code,
        footprint_per_stub=region / len(names),
        stub_bytes=region,
        entry_exit_bytes=common,
        total_bytes=region + common,
        target=None,
    )
