"""Turn measured figures into the Markdown report (tables) and a JSON document."""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from typing import Any

import attrs

from .density import Density
from .isa_paths import A64_LABELS, RV_LABELS, IsaPath, IsaSpecPaths
from .paths import PATHS, PLAIN, SLACK, PathCount, VariantPaths
from .percpu_paths import PercpuPath
from .speed import COLD_RATIO_TARGET, WARM_TARGET_MS, Speed

MET = "met"
MISSED = "**MISSED**"


@attrs.frozen
class Results:
    """Everything one benchmark run measured."""

    quick: bool
    density: tuple[Density, ...]
    paths: tuple[VariantPaths, ...]
    speed: Speed
    #: aarch64 and riscv64 paths, one entry per shipped spec
    isa_paths: tuple[IsaSpecPaths, ...] = ()
    #: the paranoid GS methods' NMI paths and the IRQ-stack path
    percpu: tuple[PercpuPath, ...] = ()


@attrs.frozen
class Verdict:
    """One figure compared with its target."""

    figure: str
    measured: str
    target: str
    met: bool


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


def _verdict(met: bool) -> str:
    return MET if met else MISSED


def _plain(paths: Sequence[VariantPaths], variant: str) -> PathCount | None:
    for vp in paths:
        if vp.name == variant:
            return vp.get(PLAIN)
    return None


def verdicts(r: Results) -> list[Verdict]:
    """Every figure that has a target, with the verdict."""
    out: list[Verdict] = []
    for d in r.density:
        if d.target is not None and d.name in ("default", "dense+ibt", "classic+ibt"):
            out.append(
                Verdict(
                    f"stub bytes/vector incl. padding, {d.name}",
                    f"{d.footprint_per_stub:.2f}",
                    f"<= {d.target:.1f}",
                    d.footprint_per_stub <= d.target,
                )
            )
    plain = _plain(r.paths, "default")
    if plain is not None and plain.minimum is not None:
        out.append(
            Verdict(
                "plain ring-3 path (default spec), instructions stub -> handler + handler -> iretq",
                f"{plain.total} (minimum {plain.minimum})",
                f"<= {plain.minimum + SLACK}",
                plain.total <= plain.minimum + SLACK,
            )
        )
    s = r.speed
    out.append(
        Verdict(
            "cold `isrgen build` / `python3 -c pass`",
            f"{s.cold_ratio:.1f}x ({s.cold_ms:.0f} ms / {s.bare_ms:.0f} ms)",
            f"<= {COLD_RATIO_TARGET:.0f}x",
            s.cold_ratio <= COLD_RATIO_TARGET,
        )
    )
    out.append(
        Verdict(
            f"warm `isrgen.build()`, all {len(s.all_backends)} backends",
            f"{s.warm_all_ms:.1f} ms",
            f"<= {WARM_TARGET_MS:.0f} ms",
            s.warm_all_ms <= WARM_TARGET_MS,
        )
    )
    return out


def summary(r: Results) -> str:
    """The headline tables for the README: the targets, and what the plain path spends."""
    lines = _table(
        ["figure", "measured", "target", "verdict"],
        [(v.figure, v.measured, v.target, _verdict(v.met)) for v in verdicts(r)],
    )
    lines += _table(
        ["variant", "plain ring-3 path", "minimum", "beyond the minimum", "bytes/vector", "code section"],
        [
            (vp.name, c.total, c.minimum, _beyond(c), f"{d.footprint_per_stub:.2f}", d.total_bytes)
            for vp, d in zip(r.paths, r.density, strict=True)
            if (c := vp.get(PLAIN)) is not None
        ],
    )
    return "\n".join(lines).rstrip() + "\n"


def _path_cell(c: PathCount | None) -> str:
    if c is None:
        return "-"
    text = f"{len(c.entry)} + {len(c.exit)} = {c.total}"
    return text + (f" (min {c.minimum})" if c.minimum is not None else "")


def _beyond(c: PathCount) -> str:
    return ", ".join(f"{m}" + (f" x{n}" if n > 1 else "") for m, n in c.beyond) or "nothing"


def markdown(r: Results) -> str:
    """The full report."""
    s = r.speed
    load = "unknown" if s.load_average is None else f"{s.load_average:.1f}"
    lines = [
        "# isrgen benchmarks",
        "",
        f"`python3 benchmarks/run.py{' --quick' if r.quick else ''}` on Python {platform.python_version()}, "
        f"{platform.machine()}, {_cpus()} CPUs, load average {load} when the timing started. "
        f"Times are medians of {s.runs} process runs and depend on the machine and its load; "
        "instruction counts and sizes are exact (unicorn, `as`). isrgen's modules are byte-compiled "
        "before the cold runs, as pip does when it installs a package.",
        "",
        "## Targets",
        "",
    ]
    lines += _table(
        ["figure", "measured", "target", "verdict"],
        [(v.figure, v.measured, v.target, _verdict(v.met)) for v in verdicts(r)],
    )
    lines += [
        "## Stub density and code size",
        "",
        "Assembled with `as`; bytes/vector = stub region (first stub to the code after the last) / 256, "
        "padding included; code bytes = mean `.size` of the stubs. Total = the code section: stubs, "
        "common entries, exit and helper routines.",
        "",
    ]
    lines += _table(
        ["variant", "options", "code bytes/stub", "bytes/vector", "target", "verdict", "stubs", "entry+exit", "total"],
        [
            (
                d.name,
                d.options,
                f"{d.code_per_stub:.2f}",
                f"{d.footprint_per_stub:.2f}",
                "-" if d.target is None else f"<= {d.target:.1f}",
                "-" if d.target is None else _verdict(d.footprint_per_stub <= d.target),
                d.stub_bytes,
                d.entry_exit_bytes,
                d.total_bytes,
            )
            for d in r.density
        ],
    )
    lines += [
        "## Instructions per path",
        "",
        "Counted under unicorn: entry = stub's first byte to the `call` of the handler (included), "
        "exit = handler's return to the `iretq`/`sysretq` (included). Minimum = one save and one restore "
        "per saved register, the synthetic error-code push (when the CPU pushes none), the vector push, "
        "the `call`, one `add rsp` dropping vector and error code, the `iretq`.",
        "",
    ]
    lines += _table(
        ["variant", *(p.label for p in PATHS)],
        [(vp.name, *(_path_cell(vp.get(p.key)) for p in PATHS)) for vp in r.paths],
    )
    lines += ["### What the plain ring-3 path spends beyond the minimum", ""]
    lines += _table(
        ["variant", "measured", "minimum", "beyond", "instructions beyond the minimum"],
        [
            (vp.name, c.total, c.minimum, c.total - (c.minimum or 0), _beyond(c))
            for vp in r.paths
            if (c := vp.get(PLAIN)) is not None
        ],
    )
    syscalls = [(vp.name, c) for vp in r.paths if (c := vp.get("syscall")) is not None]
    if syscalls:
        lines += ["Syscall path, instructions other than push/pop:", ""]
        lines += _table(
            ["variant", "entry + exit", "other instructions"], [(n, c.total, _beyond(c)) for n, c in syscalls]
        )
    lines += percpu_section(r.percpu)
    lines += _speed(s)
    lines += isa_section(r.isa_paths)
    return "\n".join(lines).rstrip() + "\n"


ISA_HEADING = "## Instructions per path, aarch64 and riscv64"
PERCPU_HEADING = "## Paranoid GS methods and the IRQ stack"


def percpu_section(rows: Sequence[PercpuPath]) -> list[str]:
    """The NMI path per ``paranoid_gs.method`` and the irq path with and without ``irq_stack``."""
    if not rows:
        return []
    lines = [
        PERCPU_HEADING,
        "",
        "`benchmarks/percpu_paths.py`: the default spec with `entry.swapgs`. Paranoid rows: every exception "
        "paranoid, the NMI (IST 2) delivered from ring 3 and from ring 0 with the user GS base live; with an "
        "FSGSBASE method (`rdpid`, `rdtscp`, `lsl`) that base is negative. IRQ rows: irq 32 without and with "
        "`irq_stack`, and nested while a handler runs on the IRQ stack. Entry and exit are counted as above; "
        "RDPID (not decoded by unicorn 2.1.4) is carried out by the emulator and counted as one instruction.",
        "",
    ]
    lines += _table(
        ["variant", "delivered from", "entry", "exit", "total", "entry instructions other than push/pop"],
        [(p.variant, p.path, p.entry, p.exit, p.total, ", ".join(p.notable)) for p in rows],
    )
    return lines


def _isa_cell(p: IsaPath | None) -> str:
    if p is None:
        return "-"
    if p.back is None or p.minimum_back is None:
        return f"{p.to_handler} + noreturn (min {p.minimum_to_handler})"
    total = p.to_handler + p.back
    return f"{p.to_handler} + {p.back} = {total} (min {p.minimum_to_handler} + {p.minimum_back})"


def isa_section(specs: Sequence[IsaSpecPaths]) -> list[str]:
    """The aarch64/riscv64 path tables (empty when nothing was measured)."""
    if not specs:
        return []
    lines = [
        ISA_HEADING,
        "",
        "Executed under unicorn by the ISA packages' provers, one case per path: to the handler = from the "
        "vector slot (aarch64: VBAR_EL1 + 0x80 * slot) or the `stvec` target (riscv64) to the handler's "
        "first instruction, the `bl`/call included; back = from the handler's return to the `eret`/`sret` "
        "(included). A riscv64 trap from U-mode into a `kernel_switch` design is counted back from the exit "
        "routine the kernel calls (`userret`, or the routine taking the frame). Minimum = what the frame "
        "forces: aarch64 (`isrgen.arch.aarch64.bench`): one `stp`/`ldp` per two 8-byte fields and per two q "
        "registers, one instruction per system-register or constant field stored and one `msr` per system "
        "register restored, the stack adjustments, the handler arguments, the branch out of the 0x80-byte "
        "slot, `bl`, `eret`; riscv64 (`benchmarks/isa_paths.py`): one `sd`/`ld` per register slot (no store "
        "pair), `csrr` + `sd` per trap-CSR slot, `ld` + `csrw` for epc and status when the glue restores "
        "them, one `ld` per trampoline kernel word (and `csrw satp`), locating the frame, the handler "
        "arguments, the jump, `sret`. Cells: to the handler + back = total (min to the handler + min back).",
        "",
    ]
    for isa, labels in (("aarch64", A64_LABELS), ("riscv64", RV_LABELS)):
        rows = [s for s in specs if s.isa == isa]
        if rows:
            lines += [f"### {isa}", ""]
            cells = [(f"`{s.spec}`", *(_isa_cell(s.get(lb)) for lb in labels)) for s in rows]
            lines += _table(["spec", *labels], cells)
    return lines


def _speed(s: Speed) -> list[str]:
    lines = ["## Generator speed", ""]
    lines += _table(
        ["figure", "median", "target", "verdict"],
        [
            ("`python3 -c pass`", f"{s.bare_ms:.1f} ms", "", ""),
            (f"cold `{s.cold_command}`", f"{s.cold_ms:.1f} ms", "", ""),
            (
                "cold / bare",
                f"{s.cold_ratio:.1f}x",
                f"<= {COLD_RATIO_TARGET:.0f}x",
                _verdict(s.cold_ratio <= COLD_RATIO_TARGET),
            ),
            ("warm `isrgen.build()`, the spec's outputs", f"{s.warm_default_ms:.1f} ms", "", ""),
            (
                f"warm `isrgen.build()`, all backends ({', '.join(s.all_backends)})",
                f"{s.warm_all_ms:.1f} ms",
                f"<= {WARM_TARGET_MS:.0f} ms",
                _verdict(s.warm_all_ms <= WARM_TARGET_MS),
            ),
        ],
    )
    lines += ["### Where a cold build's time goes (fresh interpreter, medians)", ""]
    lines += _table(["phase", "ms"], [(p.name, f"{p.ms:.1f}") for p in s.phases])
    top = s.imports[:8]
    rest = sum(i.ms for i in s.imports[8:])
    lines += [f"Imports during a cold build (`python -X importtime`): {s.import_total_ms:.0f} ms in all.", ""]
    lines += _table(
        ["package", "own import ms"], [*((i.package, f"{i.ms:.1f}") for i in top), ("(other)", f"{rest:.1f}")]
    )
    lines += [
        "isrgen's own modules, most expensive first: "
        + ", ".join(f"`{i.package}` {i.ms:.1f}" for i in s.isrgen_imports[:6])
        + " ms.",
        "",
    ]
    lines += ["### Warm build time by number of vectors and backends (ms, medians)", ""]
    sets = list(dict.fromkeys(g.backends for g in s.growth))
    counts = list(dict.fromkeys(g.vectors for g in s.growth))
    by = {(g.vectors, g.backends): g for g in s.growth}
    lines += _table(
        ["vectors", "load spec", *("build " + "+".join(b) for b in sets)],
        [(n, f"{by[(n, sets[0])].load_ms:.1f}", *(f"{by[(n, b)].build_ms:.1f}" for b in sets)) for n in counts],
    )
    lines += ["### Warm all-backends build: functions with the most own time (cProfile)", ""]
    lines += _table(
        ["function", "calls", "own ms (profiled)"], [(f"`{h.function}`", h.calls, f"{h.ms:.1f}") for h in s.hotspots]
    )
    return lines


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


def as_json(r: Results) -> dict[str, Any]:
    """Every figure as plain data, with the verdicts."""
    data: dict[str, Any] = attrs.asdict(r, recurse=True)
    data["verdicts"] = [attrs.asdict(v) for v in verdicts(r)]
    data["python"] = sys.version.split()[0]
    return data
