"""Instructions of the paranoid GS methods and of the IRQ-stack path, counted under unicorn.

The paranoid rows deliver the NMI (vector 2, on IST 2) of the default spec with every
exception paranoid, once per ``paranoid_gs.method``: from ring 3 and from ring 0 with
the user GS base live (the case ``msr_sign`` exists for).  With an FSGSBASE method the
user GS base is negative, as ring 3 may make it once CR4.FSGSBASE is set.  The IRQ rows
deliver irq 32 with ``entry.swapgs`` without and with ``irq_stack``, and once nested
(while a handler already runs on the IRQ stack).  Entry and exit are counted as in
:mod:`benchmarks.paths` (stub's first byte to the ``call``, the handler's return to
``iretq``).  RDPID, which unicorn 2.1.4 does not decode, is carried out by the emulator
and counted like any other instruction.
"""

from __future__ import annotations

from pathlib import Path

import attrs

import isrgen
from isrgen.arch.x86.emulation import long_mode as emulate
from isrgen.arch.x86.model import X86Spec
from isrgen.proof import toolchain

from .paths import Tracer
from .variants import Variant

_KERNEL_GS = 0xFFFF_8000_0000_1000
_USER_GS = 0x0000_1111_2222_0000
_NEGATIVE_USER_GS = 0xFFFF_C0DE_0000_0000
#: (node << 12) | cpu, where RDPID/RDTSCP/LSL find it; the table's entry for cpu 3 is the kernel's
_CPU, _NODE = 3, 1
_IRQ_STACK_TOP = emulate.STACK_BASE + 0xA000
_PARANOID = "entry: {swapgs: true}\nclasses: {exception: {paranoid: true}}\n"
_IRQ = "entry: {swapgs: true}\n"
_IRQ_STACK = "irq_stack: {top_gs: 24, depth_gs: 32}\n"

METHODS: tuple[tuple[str, str], ...] = (
    ("msr_sign", ""),
    ("rdpid", "paranoid_gs: {method: rdpid, offsets: per_cpu_offset}\n"),
    ("rdtscp", "paranoid_gs: {method: rdtscp, offsets: per_cpu_offset}\n"),
    ("lsl", "paranoid_gs: {method: lsl, offsets: per_cpu_offset, cpunode_selector: 0x7b}\n"),
)


@attrs.frozen
class PercpuPath:
    """Entry and exit instructions of one delivery."""

    variant: str
    path: str
    entry: int
    exit: int
    #: the instructions the entry runs other than push/pop, in order of first use
    notable: tuple[str, ...]

    @property
    def total(self) -> int:
        """Entry + exit."""
        return self.entry + self.exit


def _setup(emu: emulate.Emulator, spec: X86Spec) -> None:
    """What the kernel does before the first interrupt: CR4.FSGSBASE and the CPU number
    for the paranoid methods, the per-CPU words of the IRQ stack."""
    pg = spec.paranoid_gs
    if pg.reads_gs_base:
        emu.enable_fsgsbase()
        emu.set_cpu_number(_NODE << 12 | _CPU, pg.cpunode_selector if pg.method.value == "lsl" else None)
        table = emu.image.symbols[pg.offsets]
        for cpu in range(4):
            emu.write_u64(table + 8 * cpu, _KERNEL_GS if cpu == _CPU else _KERNEL_GS + ((cpu + 1) << 32))
    if spec.irq_stack is not None:
        for offset in (spec.irq_stack.top_gs, spec.irq_stack.depth_gs):
            emu.map_data(_KERNEL_GS + offset, 8)
        emu.write_u64(emu.physical(_KERNEL_GS + spec.irq_stack.top_gs), _IRQ_STACK_TOP)


def _deliver(tracer: Tracer, spec: X86Spec, vector: int, *, user: bool, user_gs_live: bool, rsp: int) -> PercpuPath:
    emu = tracer.emu
    user_gs = _NEGATIVE_USER_GS if spec.paranoid_gs.reads_gs_base else _USER_GS
    gs, kgs = (user_gs, _KERNEL_GS) if user or user_gs_live else (_KERNEL_GS, user_gs)
    regs = {r: 0x1111 * (i + 1) for i, r in enumerate(emulate.GPRS)}
    stop, entry = tracer.run(
        lambda: emu.interrupt(
            vector,
            regs=regs,
            cs=emulate.USER_CS if user else emulate.KERNEL_CS,
            rsp=rsp,
            stack=emulate.DEFAULT_STACK_TOP if user else None,
            gs_base=gs,
            kernel_gs_base=kgs,
        )
    )
    if stop.symbol is None or stop.state.gs_base != _KERNEL_GS:
        raise emulate.EmulationError(f"vector {vector}: the handler was not reached with the kernel GS base")
    back, leave = tracer.run(emu.return_from_handler, leaving=True)
    if not back.resumed or back.state.gprs != regs or back.state.gs_base != gs:
        raise emulate.EmulationError(f"vector {vector}: the exit path did not resume the interrupted state")
    notable = tuple(dict.fromkeys(m for m in entry if m not in ("push", "pop")))
    where = "ring 3" if user else "ring 0, user GS live" if user_gs_live else "ring 0"
    return PercpuPath("", where, len(entry), len(leave), notable)


def _build(variant: Variant, workdir: Path) -> tuple[X86Spec, Tracer]:
    spec = variant.load()
    out = workdir / variant.name
    (source,) = isrgen.build(spec, out, ["gas"])
    image = emulate.link_for_emulation([toolchain.assemble_gas(source)], out)
    emu = emulate.Emulator(image, table_symbol=spec.symbols.table)
    _setup(emu, spec)
    return spec, Tracer(emu)


def measure(workdir: Path) -> tuple[PercpuPath, ...]:
    """Every paranoid method's NMI paths and the plain / IRQ-stack irq paths."""
    rows: list[PercpuPath] = []
    for method, block in METHODS:
        name = f"paranoid {method}"
        spec, tracer = _build(Variant(name, name, _PARANOID + block), workdir)
        for user, live in ((True, False), (False, True)):
            path = _deliver(tracer, spec, 2, user=user, user_gs_live=live, rsp=emulate.DEFAULT_STACK_TOP - 0x2000)
            rows.append(attrs.evolve(path, variant=name))
    for name, extra in (("irq", _IRQ), ("irq on the IRQ stack", _IRQ + _IRQ_STACK)):
        spec, tracer = _build(Variant(name.replace(" ", "-"), name, extra), workdir)
        for user in (True, False):
            path = _deliver(tracer, spec, 32, user=user, user_gs_live=False, rsp=emulate.DEFAULT_STACK_TOP - 0x2000)
            rows.append(attrs.evolve(path, variant=name))
        if spec.irq_stack is not None:
            depth = emulate.Emulator.physical(_KERNEL_GS + spec.irq_stack.depth_gs)
            tracer.emu.write_u64(depth, 1)
            nested = _deliver(tracer, spec, 32, user=False, user_gs_live=False, rsp=_IRQ_STACK_TOP - 0x300)
            tracer.emu.write_u64(depth, 0)
            rows.append(attrs.evolve(nested, variant=name, path="ring 0, nested on the IRQ stack"))
    return tuple(rows)
