"""Instructions per path of the aarch64 and riscv64 glue, executed under unicorn.

Every shipped aarch64 and riscv64 spec is generated, assembled, linked and run by
its ISA package's prover (:mod:`isrgen.arch.aarch64.prove`,
:mod:`isrgen.arch.riscv64.prove`), which delivers each exception the way the
hardware does and checks the frame and the return.  A path has two counts:
from the vector slot (aarch64) or the ``stvec`` target (riscv64) to the
handler's first instruction (the ``bl``/``call`` included), and from the
handler's return to the ``eret``/``sret`` (included).

The riscv64 prover reports path costs for the stack protocols; for a
``kernel_switch`` design (a trampoline, or a frame in ``sscratch``) it reports
none, so those cases run here under the same proof with a code hook added.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .variants import ROOT

if TYPE_CHECKING:
    from isrgen.arch.riscv64.options import Frame, Riscv64Options
    from isrgen.arch.riscv64.prove import Case

#: riscv64: the synchronous cause measured, load page fault (RISC-V privileged spec 4.1.8, table 4.2)
RV_SYNC_CAUSE = 13
#: riscv64: f0-f31 stored one by one, plus fcsr read and stored (RISC-V unprivileged spec 13.2)
RV_FP_AREA = 32 + 2


@attrs.frozen
class IsaPath:
    """One measured path with the minimum its frame forces."""

    path: str
    to_handler: int
    minimum_to_handler: int
    #: None: the handler does not return (noreturn), there is no way back
    back: int | None
    minimum_back: int | None


@attrs.frozen
class IsaSpecPaths:
    """The measured paths of one spec."""

    isa: str
    spec: str
    paths: tuple[IsaPath, ...]

    def get(self, label: str) -> IsaPath | None:
        """The path labelled ``label``, if the spec has it."""
        return next((p for p in self.paths if p.path == label), None)


#: aarch64 paths: (label, vector slot number: Arm ARM D1.10.2 table D1-7)
A64_PATHS: tuple[tuple[str, int], ...] = (
    ("EL1h sync", 4),
    ("EL1h irq", 5),
    ("EL0 sync", 8),
    ("EL0 irq", 9),
)
A64_SVC = "EL0 svc"
A64_LABELS = (*(label for label, _ in A64_PATHS), A64_SVC)
RV_LABELS = ("S sync", "S irq", "U sync", "U irq", "U ecall")


def spec_files(isa: str) -> tuple[Path, ...]:
    """The shipped specs of ``isa``: ``specs/<isa>.yaml`` and ``specs/examples/<isa>_*.yaml``."""
    specs = ROOT / "specs"
    return (specs / f"{isa}.yaml", *sorted((specs / "examples").glob(f"{isa}_*.yaml")))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# -- aarch64 ------------------------------------------------------------------------------------


def measure_aarch64(path: Path) -> IsaSpecPaths:
    """Run the aarch64 prover on the spec at ``path`` and keep the paths of :data:`A64_LABELS`."""
    from isrgen.arch.aarch64.bench import minimum_back, minimum_to_handler
    from isrgen.arch.aarch64.layout import compute_layout
    from isrgen.arch.aarch64.prove import prove
    from isrgen.arch.aarch64.resolve import load_aarch64_spec

    spec = load_aarch64_spec(path.read_text(encoding="utf-8"), str(path))
    report = prove(spec, seed=0, rounds=1)
    if not report.ok:
        raise ValueError(f"{_name(path)}: the aarch64 proof failed: {report.findings[0]}")
    layout = compute_layout(spec.frame)
    costs = {c.case: c for c in report.costs}
    out: list[IsaPath] = []
    for label, number in A64_PATHS:
        cost = next(c for case, c in costs.items() if case.startswith(f"slot {number} (") and not case.endswith("svc"))
        handler = spec.routes[number].handler
        back_min = None if cost.back is None else minimum_back(layout)
        out.append(IsaPath(label, cost.to_handler, minimum_to_handler(layout, handler), cost.back, back_min))
    if spec.syscall is not None:
        sc = spec.syscall
        cost = next(c for case, c in costs.items() if case.endswith("svc"))
        back_min = None if cost.back is None else minimum_back(layout, sc.restored)
        out.append(IsaPath(A64_SVC, cost.to_handler, minimum_to_handler(layout, sc.handler), cost.back, back_min))
    return IsaSpecPaths("aarch64", _name(path), tuple(out))


# -- riscv64 ------------------------------------------------------------------------------------


@attrs.frozen
class RvFrameCost:
    """What a riscv64 frame forces on a path: stores/loads and CSR accesses (see :func:`rv_minimum`)."""

    to_handler: int
    back: int


def rv_minimum(
    frame: Frame, args: int, *, no_restore: Iterable[str] = (), glue_restores_csrs: bool = True
) -> RvFrameCost:
    """The least a riscv64 path can execute for ``frame``.

    To the handler: one instruction locating the frame, one ``sd`` per register slot
    (RV64 has no store-pair), one ``csrr`` + ``sd`` per trap-CSR slot (epc, status,
    cause, tval), one ``sd`` for orig_a0, one ``ld`` per kernel word of a trampoline
    frame (plus the ``csrw satp``), the FP area, one instruction per handler argument
    and the jump to the handler.  Back: one ``ld`` per register the path restores,
    ``ld`` + ``csrw`` for epc and status (when the glue restores them), the FP area and
    the ``sret``.
    """
    from isrgen.arch.riscv64.options import Role

    csrs = (Role.EPC, Role.STATUS, Role.CAUSE, Role.TVAL)
    kernel_words = (Role.KERNEL_SATP, Role.KERNEL_SP, Role.KERNEL_TRAP, Role.KERNEL_HARTID)
    registers = [s.register for s in frame.slots if s.register is not None]
    roles = [s.role for s in frame.slots if s.register is None]
    fp = RV_FP_AREA if frame.fp is not None else 0
    entry = 1 + len(registers) + 2 * sum(r in csrs for r in roles) + int(Role.ORIG_A0 in roles)
    entry += sum(r in kernel_words for r in roles) + int(Role.KERNEL_SATP in roles) + fp + args + 1
    skipped = set(no_restore)
    back = sum(r not in skipped for r in registers) + fp + 1
    if glue_restores_csrs:
        back += 2 * sum(r in (Role.EPC, Role.STATUS) for r in roles)
    return RvFrameCost(entry, back)


def _rv_cases(options: Riscv64Options) -> dict[str, Case]:
    """The cases measured, by label: a load page fault and the timer from each origin, the ecall."""
    from isrgen.arch.riscv64.facts import CAUSE_INTERRUPT_BIT, ECALL_FROM_U, MTI, STI, Mode
    from isrgen.arch.riscv64.prove import Case, cases

    supervisor = options.mode is Mode.SUPERVISOR
    timer = CAUSE_INTERRUPT_BIT | (STI if supervisor else MTI)
    kernel = "S" if supervisor else "M"
    present = {(c.cause, c.origin) for c in cases(options)}
    wanted = {
        f"{kernel} sync": (RV_SYNC_CAUSE, 1 if supervisor else 3),
        f"{kernel} irq": (timer, 1 if supervisor else 3),
        "U sync": (RV_SYNC_CAUSE, 0),
        "U irq": (timer, 0),
    }
    if options.syscall is not None:
        wanted["U ecall"] = (ECALL_FROM_U, 0)
    return {label: Case(cause, origin) for label, (cause, origin) in wanted.items() if (cause, origin) in present}


def _rv_stack(options: Riscv64Options) -> tuple[IsaPath, ...]:
    from isrgen.arch.riscv64.prove import prove

    report = prove(options, seed=0)
    costs = {c.case: c for c in report.costs}
    out = []
    for label, case in _rv_cases(options).items():
        cost = costs[str(case)]
        from_user = case.origin == 0
        syscall = label == "U ecall"
        args = 1 if syscall else len(options.handler.args)
        skipped = () if from_user else options.hardening.no_restore
        low = rv_minimum(options.frame, args, no_restore=skipped)
        out.append(IsaPath(label, cost.entry, low.to_handler, cost.exit, low.back))
    return tuple(out)


class _Trace:
    """Records the address of every instruction a hart executes, and ``ra`` at ``handler``."""

    def __init__(self, hart: Any, handler: int):
        self.addresses: list[int] = []
        self.handler = handler
        self.ra: int | None = None
        hart.uc.hook_add(hart.unicorn.UC_HOOK_CODE, self._hook)
        self._hart = hart

    def _hook(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        if address == self.handler and self.ra is None:
            self.ra = self._hart.reg("ra")
        self.addresses.append(address)

    def split(self, resume: int) -> tuple[int, int]:
        """(instructions before the handler or ``resume``, instructions from ``resume`` on)."""
        trace = self.addresses
        entry = next(i for i, a in enumerate(trace) if a in (self.handler, resume))
        back = next(i for i in range(entry, len(trace)) if trace[i] == resume)
        return entry, len(trace) - back


def _rv_kernel_switch(options: Riscv64Options, path: Path) -> tuple[IsaPath, ...]:
    from isrgen.arch.riscv64.prove import build_image
    from isrgen.arch.riscv64.prove_trampoline import _TrampolineProof

    image = build_image(options)
    out = []
    for label, case in _rv_cases(options).items():
        proof = _TrampolineProof(options, image, case, random.Random(f"isa-paths/{label}"))
        if case.origin == 0:
            t = options.trampoline
            trace = _Trace(proof.hart, image.symbols[options.handler.symbol])
            proof.run_user()
            # the kernel leaves through userret(satp) (trampoline) or the exit routine(frame)
            entry, back = trace.split(proof.alias(t.userret if t is not None else options.symbols.exit))
            low = rv_minimum(options.frame, len(options.handler.args), glue_restores_csrs=t is None)
            if t is not None:
                low = RvFrameCost(low.to_handler, low.back + 1)  # csrw satp on the way back
        else:
            k = options.kernel_entry
            if k is None:
                raise ValueError(f"{_name(path)}: a kernel_switch design without a kernel entry")
            trace = _Trace(proof.hart, image.symbols[k.handler.symbol])
            proof.run_kernel()
            if trace.ra is None:
                raise ValueError(f"{_name(path)}: {case}: the kernel handler was not reached")
            entry, back = trace.split(trace.ra)
            low = rv_minimum(k.frame, len(k.handler.args), no_restore=k.no_restore)
        out.append(IsaPath(label, entry, low.to_handler, back, low.back))
    return tuple(out)


def measure_riscv64(path: Path) -> IsaSpecPaths:
    """Run the riscv64 proof on the spec at ``path`` and count the paths of :data:`RV_LABELS`."""
    from isrgen.arch.riscv64.options import StackProtocol
    from isrgen.arch.riscv64.resolve import load_riscv64_spec

    options = load_riscv64_spec(path.read_text(encoding="utf-8"), str(path))
    if options.protocol is StackProtocol.KERNEL_SWITCH:
        paths = _rv_kernel_switch(options, path)
    else:
        paths = _rv_stack(options)
    return IsaSpecPaths("riscv64", _name(path), paths)


def measure() -> tuple[IsaSpecPaths, ...]:
    """Every shipped aarch64 and riscv64 spec."""
    return (
        *(measure_aarch64(p) for p in spec_files("aarch64")),
        *(measure_riscv64(p) for p in spec_files("riscv64")),
    )
