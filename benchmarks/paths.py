"""Instructions executed per entry/exit path, counted under unicorn (isrgen.arch.x86.emulation.long_mode).

Entry: from the stub's first byte up to and including the ``call`` of the
handler.  Exit: from the handler's return up to and including the
``iretq``/``sysretq``.  Every executed instruction inside the linked glue's
executable segments is recorded by a unicorn code hook and disassembled with
capstone, so the report can say which instructions a path spends beyond the
unavoidable minimum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

import isrgen
from isrgen.arch.x86.emulation import long_mode as emulate
from isrgen.arch.x86.model import X86Spec
from isrgen.diagnostics import UsageError
from isrgen.model.spec import ReturnModel
from isrgen.proof import toolchain

from . import baseline
from .variants import Variant

#: the target: the plain ring-3 path within this many instructions of the minimum
SLACK = 4
#: per-CPU data the syscall path reads its kernel stack from (written before each syscall)
_PERCPU = emulate.STACK_BASE + 0x1000
_USER_GS = 0x0000_1111_2222_0000
_KERNEL_GS = 0xFFFF_8000_0000_1000


@attrs.frozen
class PathKind:
    """One way into the glue: a vector delivered from a ring, or SYSCALL."""

    key: str
    label: str
    vector: int | None
    ring: int


PATHS: tuple[PathKind, ...] = (
    PathKind("r0-irq", "ring 0, irq 32", 32, 0),
    PathKind("r3-irq", "ring 3, irq 32 (plain path)", 32, 3),
    PathKind("r3-synthetic", "ring 3, #UD 6 (synthetic error code)", 6, 3),
    PathKind("r3-error", "ring 3, #PF 14 (CPU error code)", 14, 3),
    PathKind("syscall", "syscall / sysretq", None, 3),
)
PLAIN = "r3-irq"


@attrs.frozen
class PathCount:
    """What one path executed."""

    path: str
    entry: tuple[str, ...]
    exit: tuple[str, ...]
    #: None when no minimum is defined for the path (syscall)
    minimum_entry: int | None
    minimum_exit: int | None
    #: mnemonics the path executes beyond the minimum, with counts
    beyond: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """Entry + exit instructions."""
        return len(self.entry) + len(self.exit)

    @property
    def minimum(self) -> int | None:
        """The unavoidable minimum of entry + exit (None when undefined)."""
        if self.minimum_entry is None or self.minimum_exit is None:
            return None
        return self.minimum_entry + self.minimum_exit


@attrs.frozen
class VariantPaths:
    """The counts of every path a variant has."""

    name: str
    options: str
    counts: tuple[PathCount, ...]

    def get(self, key: str) -> PathCount | None:
        """The count of path ``key``, if the variant has that path."""
        return next((c for c in self.counts if c.path == key), None)


class Tracer:
    """Records every instruction the emulator executes inside the image's code."""

    def __init__(self, emu: emulate.Emulator):
        """Attach to ``emu`` (re-attached if the emulator replaces its unicorn CPU)."""
        try:
            import capstone
        except ImportError:
            raise UsageError(
                "the benchmarks need capstone: pip install capstone (or bash scripts/setup.sh --test)"
            ) from None
        self.emu = emu
        self._cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        self._uc: Any = None
        self._trace: list[int] = []

    def _hook(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        self._trace.append(address)

    def _attach(self) -> None:
        if self.emu.uc is self._uc:
            return
        from unicorn import UC_HOOK_CODE

        for seg in self.emu.image.segments:
            if seg.executable:
                self.emu.uc.hook_add(UC_HOOK_CODE, self._hook, begin=seg.vaddr, end=seg.vaddr + seg.memsz - 1)
        self._uc = self.emu.uc

    def run(self, action: Callable[[], emulate.Stop], *, leaving: bool = False) -> tuple[emulate.Stop, tuple[str, ...]]:
        """Run ``action`` and return its stop and the mnemonics it executed, in order.

        ``leaving``: the action ends with a return to the interrupted code.  A return
        to ring 3 is carried out by the emulator in Python (``Emulator.last_return``)
        instead of being executed, so it is added to the trace here.
        """
        self._attach()
        self._trace = []
        self.emu.last_return = None
        stop = action()
        if self.emu.uc is not self._uc:
            raise emulate.EmulationError("the emulator replaced its CPU during a measurement")
        names: list[str] = []
        for address in self._trace:
            insn = next(self._cs.disasm(self.emu.read(address, 15), address, 1), None)
            names.append(insn.mnemonic if insn is not None else "(bad)")
        if leaving:
            if self.emu.last_return is None:
                raise emulate.EmulationError("the exit path reached no iretq/sysretq")
            if not names or names[-1] != self.emu.last_return:
                names.append(self.emu.last_return)
        return stop, tuple(names)


def _minimum(saved: int, has_vector: bool, cpu_error_code: bool) -> tuple[int, int, Counter[str]]:
    """The unavoidable minimum: a push of the synthetic error code (when the CPU pushes
    none) and of the vector, one save per register, the call; one restore per register,
    one ``add rsp`` dropping vector and error code, the ``iretq``."""
    pushes = saved + int(has_vector) + int(not cpu_error_code)
    entry = pushes + 1
    leave = saved + 1 + 1
    return entry, leave, Counter({"push": pushes, "call": 1, "pop": saved, "add": 1, "iretq": 1})


def _beyond(entry: Sequence[str], leave: Sequence[str], minimum: Counter[str] | None) -> tuple[tuple[str, int], ...]:
    executed = Counter([*entry, *leave])
    if minimum is not None:
        extra = executed - minimum
    else:
        extra = Counter({m: n for m, n in executed.items() if m not in ("push", "pop")})
    return tuple(sorted(extra.items(), key=lambda kv: (-kv[1], kv[0])))


def _interrupt(
    tracer: Tracer, path: PathKind, saved: int, has_vector: bool, error_code: bool, returns_frame: bool
) -> PathCount:
    emu = tracer.emu
    assert path.vector is not None
    user = path.ring == 3
    gs, kgs = (_USER_GS, _KERNEL_GS) if user else (_KERNEL_GS, _USER_GS)
    regs = {r: 0x1111 * (i + 1) for i, r in enumerate(emulate.GPRS)}
    stop, entry = tracer.run(
        lambda: emu.interrupt(
            path.vector or 0,
            regs=regs,
            cs=emulate.USER_CS if user else emulate.KERNEL_CS,
            rsp=emulate.DEFAULT_STACK_TOP - 0x2000,
            stack=emulate.DEFAULT_STACK_TOP if user else None,
            error_code=0x4 if error_code else None,
            gs_base=gs,
            kernel_gs_base=kgs,
        )
    )
    if stop.symbol is None:
        raise emulate.EmulationError(f"{path.label}: no handler was reached")
    back, leave = tracer.run(
        lambda: emu.return_from_handler(return_value=stop.first_argument if returns_frame else None), leaving=True
    )
    if not back.resumed or back.state.gprs != regs:
        raise emulate.EmulationError(f"{path.label}: the exit path did not resume the interrupted state")
    lo, hi, minimum = _minimum(saved, has_vector, error_code)
    return PathCount(path.key, entry, leave, lo, hi, _beyond(entry, leave, minimum))


def _syscall(tracer: Tracer, spec: X86Spec) -> PathCount:
    emu, sc = tracer.emu, spec.syscall
    assert sc is not None
    kstack = emulate.DEFAULT_STACK_TOP - 0x100
    emu.write_u64(_PERCPU + sc.kernel_stack_gs, kstack)
    stop, entry = tracer.run(
        lambda: emu.syscall(
            sc.entry,
            regs={r: i for i, r in enumerate(emulate.GPRS)},
            user_rsp=emulate.DEFAULT_STACK_TOP - 0x5000,
            kernel_gs_base=_PERCPU,
            user_gs_base=_USER_GS,
            kernel_stack_top=kstack,
            user_rflags=0x246,
        )
    )
    if stop.symbol != sc.handler:
        raise emulate.EmulationError(f"syscall: stopped at {stop.symbol}, not {sc.handler}")
    returns_frame = spec.handler.returns is ReturnModel.FRAME
    back, leave = tracer.run(
        lambda: emu.return_from_handler(return_value=stop.first_argument if returns_frame else None), leaving=True
    )
    if not back.resumed or emu.last_return != "sysretq":
        raise emulate.EmulationError("syscall: the exit path did not return with sysretq")
    return PathCount("syscall", entry, leave, None, None, _beyond(entry, leave, None))


def _emulator(objects: Sequence[Path], workdir: Path, table: str) -> Tracer:
    image = emulate.link_for_emulation(list(objects), workdir)
    emu = emulate.Emulator(image, table_symbol=table)
    emu.enable_simd(0x3)
    return Tracer(emu)


def measure_variant(variant: Variant, workdir: Path) -> VariantPaths:
    """Generate, assemble, link and run every path of ``variant``."""
    spec = variant.load()
    out = workdir / variant.name
    (source,) = isrgen.build(spec, out, ["gas"])
    tracer = _emulator([toolchain.assemble_gas(source)], out, spec.symbols.table)
    saved = len(spec.frame.saved_registers)
    frame_returns = spec.handler.returns is ReturnModel.FRAME
    counts: list[PathCount] = []
    for path in PATHS:
        if path.vector is None:
            if spec.syscall is not None:
                counts.append(_syscall(tracer, spec))
            continue
        vec = spec.vector(path.vector)
        if vec is None:
            continue
        counts.append(_interrupt(tracer, path, saved, spec.frame.has_vector, vec.error_code, frame_returns))
    return VariantPaths(variant.name, variant.options, tuple(counts))


def measure_baseline(workdir: Path) -> VariantPaths:
    """The mittos64-style baseline's interrupt paths (its handler returns the frame)."""
    objects = baseline.assemble(workdir / "mittos64-paths")
    tracer = _emulator(objects, workdir / "mittos64-paths", baseline.TABLE)
    saved = len(baseline.PUSH_ORDER)
    counts = [
        _interrupt(tracer, p, saved, True, p.vector in baseline.ERROR_CODE_VECTORS, True)
        for p in PATHS
        if p.vector is not None
    ]
    return VariantPaths("mittos64 baseline", "mittos64 stubs + isr_common", tuple(counts))
