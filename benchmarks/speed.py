"""Generator speed: cold CLI runs against bare Python start-up, warm in-process builds.

All times are medians over several runs made in this process's run, so the
ratios compare like with like on whatever machine runs the benchmark.
"""

from __future__ import annotations

import compileall
import functools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

import isrgen
from isrgen.backends import builtin_names
from isrgen.model.package_spec import PackageSpec

from .variants import DEFAULT_SPEC, with_vectors

#: targets: cold start within this multiple of ``python3 -c pass``; warm build of all backends within this
COLD_RATIO_TARGET = 5.0
WARM_TARGET_MS = 20.0
VECTOR_COUNTS = (32, 64, 128, 256)
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


@attrs.frozen
class Growth:
    """Warm build time for one number of vectors and one set of backends."""

    vectors: int
    backends: tuple[str, ...]
    load_ms: float
    build_ms: float


@attrs.frozen
class ImportCost:
    """Import time of one top-level package during a cold build (``python -X importtime``)."""

    package: str
    #: sum of the self times of the package's modules
    ms: float


@attrs.frozen
class Phase:
    """One phase of a cold ``isrgen build`` timed inside a fresh interpreter."""

    name: str
    ms: float


@attrs.frozen
class Hotspot:
    """A function where a warm all-backends build spends its time (cProfile, own time)."""

    function: str
    calls: int
    ms: float


@attrs.frozen
class Speed:
    """Every generator-speed figure of one benchmark run."""

    runs: int
    #: the 1-minute load average when the timing started (None where the OS has none)
    load_average: float | None
    bare_ms: float
    cold_ms: float
    cold_command: str
    warm_default_ms: float
    warm_all_ms: float
    all_backends: tuple[str, ...]
    growth: tuple[Growth, ...]
    import_total_ms: float
    imports: tuple[ImportCost, ...]
    isrgen_imports: tuple[ImportCost, ...]
    phases: tuple[Phase, ...]
    hotspots: tuple[Hotspot, ...]

    @property
    def cold_ratio(self) -> float:
        """Cold ``isrgen build`` time as a multiple of bare Python start-up."""
        return self.cold_ms / self.bare_ms


def isrgen_command() -> list[str]:
    """The ``isrgen`` console script of this interpreter, or ``python -m isrgen``.

    The script next to ``sys.executable`` is used directly: a version manager's
    shim on PATH (pyenv) would add its own start-up to the figure.
    """
    script = Path(sys.executable).with_name("isrgen")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "isrgen"]


def _median_ms(action: Callable[[], object], runs: int) -> float:
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def _interleaved_medians_ms(actions: Sequence[Callable[[], object]], runs: int) -> list[float]:
    """Median time of each action, the actions taking turns (a change in the machine's
    load then affects them alike, which keeps their ratio honest)."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, samples in zip(actions, times, strict=True):
            start = time.perf_counter()
            action()
            samples.append((time.perf_counter() - start) * 1000.0)
    return [statistics.median(samples) for samples in times]


def _process(argv: Sequence[str]) -> Callable[[], object]:
    def go() -> object:
        return subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    return go


def _cold_build(workdir: Path) -> Callable[[], object]:
    command = isrgen_command()
    counter = iter(range(1_000_000))

    def go() -> object:
        out = workdir / f"cold{next(counter)}"  # a fresh folder: every output is written
        return subprocess.run(
            [*command, "build", str(DEFAULT_SPEC), "-o", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return go


def import_costs(workdir: Path) -> tuple[float, tuple[ImportCost, ...], tuple[ImportCost, ...]]:
    """Run one cold build under ``-X importtime``: total import time, the own import time per
    top-level package, and per isrgen module (each ranked, most expensive first)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "isrgen", "build", str(DEFAULT_SPEC), "-o", str(workdir / "imp")],
        check=True,
        capture_output=True,
        text=True,
    )
    total_us = 0
    per_package: dict[str, int] = defaultdict(int)
    own_modules: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m is None:
            continue
        self_us, cumulative_us, indent, name = int(m[1]), int(m[2]), m[3], m[4]
        if len(indent) == 1:  # a top-level import: its cumulative time holds everything below it
            total_us += cumulative_us
        per_package[name.split(".")[0]] += self_us
        if name.split(".")[0] == "isrgen":
            own_modules[name] = self_us
    return total_us / 1000.0, _ranked(per_package), _ranked(own_modules)


def _ranked(costs: dict[str, int]) -> tuple[ImportCost, ...]:
    ranked = sorted(costs.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(ImportCost(name, us / 1000.0) for name, us in ranked)


#: run in a fresh interpreter: the cold build's phases, printed as "name ms" lines
_PHASES = """
import sys, time
t0 = time.perf_counter()
import isrgen, isrgen.cli
t1 = time.perf_counter()
spec = isrgen.load_spec(sys.argv[1])
t2 = time.perf_counter()
isrgen.build(spec, sys.argv[2])
t3 = time.perf_counter()
isrgen.build(spec, sys.argv[2] + "-again")
t4 = time.perf_counter()
for name, a, b in (("import", t0, t1), ("load_spec", t1, t2), ("first build", t2, t3), ("second build", t3, t4)):
    print(name.replace(" ", "_"), (b - a) * 1000.0)
"""


def cold_phases(workdir: Path, runs: int) -> tuple[Phase, ...]:
    """Median time of each phase of a cold build (import, spec loading, first and second build)."""
    samples: dict[str, list[float]] = defaultdict(list)
    for i in range(runs):
        out = workdir / f"phases{i}"
        proc = subprocess.run(
            [sys.executable, "-c", _PHASES, str(DEFAULT_SPEC), str(out)], check=True, capture_output=True, text=True
        )
        for line in proc.stdout.splitlines():
            name, ms = line.split()
            samples[name.replace("_", " ")].append(float(ms))
    return tuple(Phase(name, statistics.median(values)) for name, values in samples.items())


def warm_hotspots(
    spec: isrgen.Spec | PackageSpec, out: Path, backends: Sequence[str], top: int = 8
) -> tuple[Hotspot, ...]:
    """The functions with the most own time in one warm build (cProfile)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(isrgen.build, spec, out, backends)
    stats = pstats.Stats(profiler)
    rows: list[Hotspot] = []
    for (filename, line, func), (_, calls, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(filename).name}:{line}({func})" if line else func
        rows.append(Hotspot(where, calls, own * 1000.0))
    rows.sort(key=lambda h: (-h.ms, h.function))
    return tuple(rows[:top])


def builtin_backends() -> tuple[str, ...]:
    """Every backend isrgen ships (plugins installed in the environment are left out)."""
    return builtin_names()


def ensure_bytecode() -> None:
    """Byte-compile isrgen's modules, as pip does when it installs a package.

    A source checkout installed in editable mode and run with PYTHONDONTWRITEBYTECODE
    set would otherwise compile every isrgen module again at each start, which a cold
    start of an installed isrgen never does.
    """
    compileall.compile_dir(str(Path(isrgen.__file__).parent), quiet=1)


def measure(runs: int, warm_runs: int) -> Speed:
    """Measure everything; ``runs`` process starts per figure, ``warm_runs`` in-process builds."""
    ensure_bytecode()
    every = builtin_backends()
    try:
        load: float | None = os.getloadavg()[0]
    except OSError:
        load = None
    with tempfile.TemporaryDirectory(prefix="isrgen-bench-") as tmp:
        workdir = Path(tmp)
        _cold_build(workdir)()  # warms the page cache; not counted
        bare, cold = _interleaved_medians_ms([_process([sys.executable, "-c", "pass"]), _cold_build(workdir)], runs)
        spec = isrgen.load_spec(DEFAULT_SPEC)
        isrgen.build(spec, workdir / "warm")  # first build in this process: imports, template compilation
        warm_default = _median_ms(lambda: isrgen.build(spec, workdir / "warm"), warm_runs)
        warm_all = _median_ms(lambda: isrgen.build(spec, workdir / "warm-all", every), warm_runs)
        growth: list[Growth] = []
        for count in VECTOR_COUNTS:
            text = with_vectors(count)
            loaded = isrgen.loads_spec(text, f"v{count}.yaml")
            load_ms = _median_ms(functools.partial(isrgen.loads_spec, text, f"v{count}.yaml"), warm_runs)
            for backends in (("gas",), ("gas", "c"), every):
                out = workdir / f"g{count}-{len(backends)}"
                isrgen.build(loaded, out, backends)
                ms = _median_ms(functools.partial(isrgen.build, loaded, out, backends), warm_runs)
                growth.append(Growth(count, backends, load_ms, ms))
        total, imports, own = import_costs(workdir)
        phases = cold_phases(workdir, runs)
        hotspots = warm_hotspots(spec, workdir / "warm-all", every)
    command = " ".join(Path(isrgen_command()[0]).name if i == 0 else a for i, a in enumerate(isrgen_command()))
    return Speed(
        runs=runs,
        load_average=load,
        bare_ms=bare,
        cold_ms=cold,
        cold_command=f"{command} build specs/x86_64.yaml -o DIR",
        warm_default_ms=warm_default,
        warm_all_ms=warm_all,
        all_backends=every,
        growth=tuple(growth),
        import_total_ms=total,
        imports=imports,
        isrgen_imports=own,
        phases=phases,
        hotspots=hotspots,
    )
