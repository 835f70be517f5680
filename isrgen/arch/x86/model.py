"""The x86 spec model: the options only x86_64 and i386 have, on top of the shared
pipeline's model (:mod:`isrgen.model.spec`).

:class:`X86Spec`, :class:`X86Vector` and :class:`X86Entry` subclass the shared nodes
with IDT gate options (``ist``, ``gate``, ``dpl``), the paranoid and SIMD entry
policies, swapgs, segment loading, the SYSCALL entry and the per-CPU options.  The
x86 loader builds them; everything in the shared pipeline reads only the fields of
the base classes.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import Any

import attrs

from isrgen.diagnostics import SourceRef
from isrgen.model.spec import Entry, EntryGroup, Spec, Vector, source_field


class GateType(enum.StrEnum):
    """IDT gate type: an interrupt gate clears IF, a trap gate keeps it."""

    INTERRUPT = "interrupt"
    TRAP = "trap"


class SimdPolicy(enum.StrEnum):
    """What the entry does with SIMD/FPU state."""

    #: nothing: handlers must not touch SIMD registers (the "novec" variant)
    NONE = "none"
    #: fxsave64/fxrstor64 into a 512-byte, 16-byte aligned area
    FXSAVE = "fxsave"
    #: xsave64/xrstor64 with the spec's mask into a 64-byte aligned area
    XSAVE = "xsave"


class StubCli(enum.StrEnum):
    """Which stubs start with ``cli``."""

    NEVER = "never"
    #: stubs of trap gates (which keep IF set on delivery, SDM Vol. 3A 6.12.1.3)
    TRAP_GATES = "trap_gates"
    #: every stub (mittos64 style)
    ALWAYS = "always"


class ErrorCodeFiller(enum.StrEnum):
    """What a classic stub emits where the CPU already pushed an error code."""

    #: nothing
    NONE = "none"
    #: a ``nop`` (as some tutorial kernels' stubs do), so every stub has the same instruction count
    NOP = "nop"


@attrs.frozen
class X86Vector(Vector):
    """One IDT vector: the shared fields and its gate and entry options."""

    ist: int | None = None
    gate: GateType = GateType.INTERRUPT
    dpl: int = 0
    paranoid: bool = False
    simd: SimdPolicy = SimdPolicy.NONE
    #: the entry runs the handler on the per-CPU IRQ stack (:class:`IrqStack`)
    irq_stack: bool = False

    def entry_key(self) -> tuple[Any, ...]:
        return (self.handler, self.kernel_handler, self.simd, self.paranoid, self.irq_stack)


@attrs.frozen(kw_only=True)
class X86EntryGroup(EntryGroup):
    """Vectors that share one common entry: same handlers, SIMD policy, paranoid and swapgs mode."""

    vectors: tuple[X86Vector, ...]
    simd: SimdPolicy = SimdPolicy.NONE
    paranoid: bool = False
    #: the entry enables interrupts again once swapgs is done (see :func:`reenables_interrupts`)
    reenables_interrupts: bool = False
    #: the handler runs on the per-CPU IRQ stack (:class:`IrqStack`)
    irq_stack: bool = False


def reenables_interrupts(swapgs: bool, cli: StubCli, v: X86Vector) -> bool:
    """Whether ``v`` asks for a trap gate that, under ``entry.swapgs``, is delivered through
    an interrupt gate whose entry sets IF again, if the interrupted code had it set, after
    the swapgs.  A real trap gate would let an interrupt in before the swapgs: it would
    arrive from ring 0 with the user GS base live, and its entry would not swap (Linux
    uses interrupt gates only and enables interrupts in C, for this reason).  A vector on
    an IST stack keeps interrupts disabled: enabled, a nested interrupt could reuse the
    stack it runs on."""
    stub_cli = cli is StubCli.ALWAYS or cli is StubCli.TRAP_GATES
    return swapgs and v.gate is GateType.TRAP and not stub_cli and v.ist is None


def group_x86_vectors(
    entry: str, vectors: tuple[X86Vector, ...], reenables: Callable[[X86Vector], bool] = lambda v: False
) -> tuple[X86EntryGroup, ...]:
    """Group vectors by what their entry code must do (their :meth:`X86Vector.entry_key`
    and whether the entry sets IF again), in order of first vector.

    A single group's entry symbol is ``entry``; with several, ``{entry}_{index}``.
    """
    keys: dict[tuple[Any, ...], list[X86Vector]] = {}
    for v in vectors:
        keys.setdefault((*v.entry_key(), reenables(v)), []).append(v)
    groups = []
    for i, vecs in enumerate(keys.values()):
        first = vecs[0]
        groups.append(
            X86EntryGroup(
                index=i,
                symbol=entry if len(keys) == 1 else f"{entry}_{i}",
                handler=first.handler,
                kernel_handler=first.kernel_handler,
                vectors=tuple(vecs),
                simd=first.simd,
                paranoid=first.paranoid,
                reenables_interrupts=reenables(first),
                irq_stack=first.irq_stack,
            )
        )
    return tuple(groups)


@attrs.frozen
class X86Entry(Entry):
    """The entry and exit options of the shared model, and those only x86 has."""

    #: conditional swapgs (+ lfence, CVE-2019-1125) on entry from ring 3, and on exit to it
    swapgs: bool = False
    #: start every stub and exported entry point with ENDBR64 (IBT)
    endbr64: bool = False
    #: segment registers loaded after saving (i386 kernels), with ``data_selector`` unless
    #: ``segment_selectors`` gives the register its own
    data_segments: tuple[str, ...] = ()
    data_selector: int = 0x10
    #: i386 ``entry.data_selectors``: (register, selector) for each loaded register (Linux
    #: i386: ds = es = __USER_DS, fs = __KERNEL_PERCPU, gs = the stack canary's)
    segment_selectors: tuple[tuple[str, int], ...] = ()
    #: i386: the layout saves ds only; on exit every other register in ``data_segments``
    #: gets the saved ds value too (JamesM's tutorial kernel and its many descendants)
    segments_from_ds: bool = False
    #: CR4.FSGSBASE is set: fs_base/gs_base slots use rd/wr{fs,gs}base instead of rdmsr/wrmsr
    fsgsbase: bool = False

    def selector_of(self, segment: str) -> int:
        """The selector the entry loads into ``segment`` (one of ``data_segments``)."""
        return dict(self.segment_selectors).get(segment, self.data_selector)

    @property
    def selectors(self) -> tuple[int, ...]:
        """Every selector the entry loads, each once, in the order first loaded."""
        return tuple(dict.fromkeys(self.selector_of(s) for s in self.data_segments))

    def restored_from_ds(self, saved: frozenset[str] | set[str]) -> tuple[str, ...]:
        """Data segments the exit path loads from the restored ds (those not saved themselves)."""
        if not self.segments_from_ds:
            return ()
        return tuple(s for s in self.data_segments if s != "ds" and s not in saved)


@attrs.frozen
class Stubs:
    """Details of the per-vector stubs beyond their style (byte-for-byte compatibility)."""

    cli: StubCli = StubCli.NEVER
    error_code_filler: ErrorCodeFiller = ErrorCodeFiller.NONE
    source: SourceRef = source_field()


@attrs.frozen
class Simd:
    """SIMD save-area parameters (used by vectors whose policy is not ``none``)."""

    xsave_mask: int = 0x3
    area_size: int = 576
    source: SourceRef = source_field()


@attrs.frozen
class Syscall:
    """A SYSCALL/SYSRET entry that builds the same frame as an interrupt."""

    entry: str
    handler: str
    #: value stored in the frame's vector slot
    marker: int = -1
    #: GS-relative offsets (after swapgs) of the kernel stack top and a scratch slot for the user RSP
    kernel_stack_gs: int = 8
    user_stack_gs: int = 16
    #: selectors recorded in the frame (what sysretq will load)
    user_cs: int = 0x23
    user_ss: int = 0x1B
    #: registers restored from the frame on sysret; every other saved GPR is zeroed
    #: (rcx and r11 always carry the return RIP and RFLAGS).  When a spec lists none, the
    #: loader picks the architecture's ``syscall_restored`` that the frame saves.
    restored: tuple[str, ...] = ()
    source: SourceRef = source_field()
    #: the kernel stack top and the user-RSP scratch slot at fixed addresses instead of
    #: GS-relative: each a data symbol (reached RIP-relative) or an absolute address.
    #: Both or neither; with them the entry needs no swapgs (a single-CPU kernel).
    kernel_stack: str | int | None = None
    user_stack: str | int | None = None

    @property
    def fixed_stack_slots(self) -> bool:
        """Whether the entry finds its stack at fixed addresses rather than through GS."""
        return self.kernel_stack is not None


class ParanoidGsMethod(enum.StrEnum):
    """How a paranoid entry (NMI, #MC, #DB, #DF) makes the kernel GS base live."""

    #: read IA32_GS_BASE and swapgs when it is not negative (a kernel base is in the high
    #: half); sound only while ring 3 cannot load a negative GS base (CR4.FSGSBASE clear)
    MSR_SIGN = "msr_sign"
    #: rdgsbase the interrupted GS base, take the CPU number from RDPID (IA32_TSC_AUX),
    #: wrgsbase the per-CPU table's entry; restore the saved base on exit (no swapgs)
    RDPID = "rdpid"
    #: as ``rdpid``, with the CPU number from RDTSCP (ecx = IA32_TSC_AUX)
    RDTSCP = "rdtscp"
    #: as ``rdpid``, with the CPU number from the segment limit of a GDT descriptor (LSL)
    LSL = "lsl"


#: the CPU number is the low 12 bits of IA32_TSC_AUX or of the CPUNODE segment limit; the
#: NUMA node sits above them (Linux ``vdso_encode_cpunode``, ``VDSO_CPUNODE_MASK``)
CPUNODE_CPU_MASK = 0xFFF
#: IA32_TSC_AUX, what RDPID and RDTSCP read (SDM Vol. 4 table 2-2)
MSR_TSC_AUX = 0xC0000103


@attrs.frozen
class ParanoidGs:
    """How paranoid entries find the kernel GS base (spec key ``paranoid_gs``)."""

    method: ParanoidGsMethod = ParanoidGsMethod.MSR_SIGN
    #: symbol of the kernel's per-CPU offset table: one u64 per CPU, the CPU's GS base
    offsets: str = ""
    #: ``lsl``: the GDT selector whose segment limit holds the CPU number in bits 11:0
    cpunode_selector: int = 0
    source: SourceRef = source_field()

    @property
    def reads_gs_base(self) -> bool:
        """Whether the entry saves and writes the GS base with rdgsbase/wrgsbase
        (CR4.FSGSBASE) instead of deciding a swapgs."""
        return self.method is not ParanoidGsMethod.MSR_SIGN


@attrs.frozen
class IrqStack:
    """The per-CPU IRQ stack (spec key ``irq_stack``): GS-relative offsets (kernel GS base)."""

    #: the per-CPU word holding the IRQ stack's top (16-byte aligned)
    top_gs: int
    #: the per-CPU word counting entries on the IRQ stack (0: not in use)
    depth_gs: int
    source: SourceRef = source_field()


@attrs.frozen
class PercpuConstant:
    """A per-CPU fact a kernel lays its per-CPU block out by (C macro, Rust const): the
    name after the prefix, the value and what it is."""

    name: str
    value: int
    doc: str


#: the number each paranoid GS method has in the generated constants
PARANOID_GS_NUMBERS = {m: i for i, m in enumerate(ParanoidGsMethod)}


def percpu_constants(spec: X86Spec) -> tuple[PercpuConstant, ...]:
    """The per-CPU offsets the glue reads through the kernel GS base, and what a kernel
    must set up for the paranoid GS method (none for ``msr_sign``)."""
    out = [
        PercpuConstant(f"GS_{name}", offset, f"GS-relative (kernel GS base): {doc}")
        for name, offset, doc in spec.gs_slots()
    ]
    pg = spec.paranoid_gs
    if not pg.reads_gs_base:
        return tuple(out)
    out += [
        PercpuConstant(f"PARANOID_GS_{m.name}", n, f"paranoid_gs.method {m.value}")
        for m, n in PARANOID_GS_NUMBERS.items()
    ]
    out += [
        PercpuConstant("PARANOID_GS_METHOD", PARANOID_GS_NUMBERS[pg.method], f"this glue's method: {pg.method.value}"),
        PercpuConstant("CR4_FSGSBASE", 1 << 16, "CR4 bit 16: the paranoid entries use rdgsbase/wrgsbase"),
        PercpuConstant("CPUNODE_CPU_MASK", CPUNODE_CPU_MASK, "the CPU number: bits 11:0 of (node << 12) | cpu"),
        PercpuConstant("CPUNODE_NODE_SHIFT", 12, "the NUMA node sits above the CPU number"),
    ]
    if pg.method is ParanoidGsMethod.LSL:
        out.append(
            PercpuConstant(
                "CPUNODE_SELECTOR", pg.cpunode_selector, "GDT selector whose segment limit is (node << 12) | cpu"
            )
        )
    else:
        out.append(PercpuConstant("MSR_TSC_AUX", MSR_TSC_AUX, "IA32_TSC_AUX: holds (node << 12) | cpu"))
    return tuple(out)


@attrs.frozen(kw_only=True)
class X86Spec(Spec):
    """A complete, validated x86_64 or i386 spec."""

    vectors: tuple[X86Vector, ...]
    entry: X86Entry = X86Entry()
    simd: Simd = Simd()
    syscall: Syscall | None = None
    stubs: Stubs = Stubs()
    paranoid_gs: ParanoidGs = ParanoidGs()
    irq_stack: IrqStack | None = None

    def vector(self, number: int) -> X86Vector | None:  # narrows the shared model's
        """The vector with that number, if the spec defines it."""
        found = super().vector(number)
        return found if isinstance(found, X86Vector) else None

    @property
    def other_handlers(self) -> tuple[str, ...]:
        """The SYSCALL entry's handler, when the spec has one."""
        return () if self.syscall is None else (self.syscall.handler,)

    def stub_clears_if(self, v: X86Vector) -> bool:
        """Whether ``v``'s stub starts with ``cli`` (``stubs.cli``; a trap gate leaves IF
        set on delivery, SDM Vol. 3A 6.12.1.3)."""
        cli = self.stubs.cli
        return cli is StubCli.ALWAYS or (cli is StubCli.TRAP_GATES and v.gate is GateType.TRAP)

    def reenables_interrupts(self, v: X86Vector) -> bool:
        """Whether ``v``'s trap gate becomes an interrupt gate whose entry sets IF again
        after swapgs (see :func:`reenables_interrupts`)."""
        return reenables_interrupts(self.entry.swapgs, self.stubs.cli, v)

    @functools.cached_property
    def entry_groups(self) -> tuple[X86EntryGroup, ...]:
        """The common entries the glue has, each with its vectors (computed once per spec)."""
        return group_x86_vectors(self.symbols.entry, self.vectors, self.reenables_interrupts)

    def gs_slots(self) -> tuple[tuple[str, int, str], ...]:
        """Every per-CPU word the glue reads or writes through the kernel GS base:
        (name, offset, what it holds), by offset."""
        slots: list[tuple[str, int, str]] = []
        # (a syscall entry with fixed-address stack slots reads nothing through GS)
        if self.syscall is not None and self.syscall.kernel_stack is None:
            slots.append(("KERNEL_STACK", self.syscall.kernel_stack_gs, "syscall: the kernel stack top"))
            slots.append(("USER_STACK", self.syscall.user_stack_gs, "syscall: scratch slot for the user rsp"))
        if self.irq_stack is not None:
            slots.append(("IRQ_STACK_TOP", self.irq_stack.top_gs, "the IRQ stack top (16-byte aligned)"))
            slots.append(("IRQ_STACK_DEPTH", self.irq_stack.depth_gs, "entries on the IRQ stack (0: not in use)"))
        return tuple(sorted(slots, key=lambda s: s[1]))
