"""The validated, frozen model of a spec.

The loader (:mod:`isrgen.spec.loader`) is the only producer of these objects; every
field has already been checked, every default resolved, every symbol name
expanded.  Source references are kept on each node but excluded from equality,
so two specs that say the same thing compare equal wherever they came from.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import Any

import attrs

from isrgen.arch import ArchFacts, Isa, get_isa
from isrgen.diagnostics import UNKNOWN_SOURCE, SourceRef
from isrgen.model.narrow import NarrowField

SPEC_VERSION = 1


class VectorClass(enum.StrEnum):
    """What delivers a vector."""

    EXCEPTION = "exception"
    IRQ = "irq"
    SPURIOUS = "spurious"
    SOFTWARE = "software"


class GateType(enum.StrEnum):
    """IDT gate type: an interrupt gate clears IF, a trap gate keeps it."""

    INTERRUPT = "interrupt"
    TRAP = "trap"


class SlotKind(enum.StrEnum):
    """What a software-saved frame slot holds."""

    GPR = "gpr"
    #: a segment register (i386): a 16-bit selector in a word-size slot
    SEGMENT = "segment"
    VECTOR = "vector"
    ERROR_CODE = "error_code"
    PAD = "pad"
    #: address of the SIMD save area below the frame (0 when none was saved)
    SIMD_AREA = "simd_area"
    #: the interrupted frame pointer (rbp/ebp), stored by the stub between the error
    #: code and the CPU frame; the entry points rbp/ebp at it, so that a frame-pointer
    #: backtrace walks from the handler into the interrupted code (Pintos' intr_frame)
    FRAME_POINTER = "frame_pointer"
    #: the interrupted context's FS or GS base (role ``fs_base`` / ``gs_base``): saved by
    #: the entry, written back by the exit (see :mod:`isrgen.arch.x86.codegen.segment_bases`)
    SEGMENT_BASE = "segment_base"
    #: the SIMD save area itself, inside the frame at a 64-byte aligned offset (``{simd_state: N}``)
    SIMD_STATE = "simd_state"
    #: with a ``simd_state`` slot: bytes the entry moved the frame down to align it to 64
    #: (the frame's end minus this is where the CPU pushed its frame; the original RSP)
    FRAME_SHIFT = "frame_shift"


class ReturnModel(enum.StrEnum):
    """How control gets back to the interrupted code."""

    #: the handler returns nothing; the entry restores the frame it saved
    VOID = "void"
    #: the handler returns the frame to resume (possibly another thread's)
    FRAME = "frame"
    #: the handler never returns (a "funnel"); the resume routine returns to a frame
    NORETURN = "noreturn"


class SimdPolicy(enum.StrEnum):
    """What the entry does with SIMD/FPU state."""

    #: nothing: handlers must not touch SIMD registers (the "novec" variant)
    NONE = "none"
    #: fxsave64/fxrstor64 into a 512-byte, 16-byte aligned area
    FXSAVE = "fxsave"
    #: xsave64/xrstor64 with the spec's mask into a 64-byte aligned area
    XSAVE = "xsave"


class KernelFault(enum.StrEnum):
    """What happens when a kernel-fault handler returns."""

    RESUME = "resume"
    HALT = "halt"


class SymbolVisibility(enum.StrEnum):
    """Whether a generated symbol is exported (``.globl``) or stays local to the object."""

    GLOBAL = "global"
    LOCAL = "local"


class TableContents(enum.StrEnum):
    """What the vector table holds."""

    #: one stub address per vector (the kernel builds its IDT from it at boot)
    STUBS = "stubs"


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


class ExitFrame(enum.StrEnum):
    """How the exit routine is told which frame to resume."""

    #: the first argument (rdi, or the first stack argument for cdecl)
    ARGUMENT = "argument"
    #: the stack pointer points at the frame (xv6's ``trapret``, reached by ``ret``)
    STACK = "stack"


class StubStyle(enum.StrEnum):
    """How the per-vector stubs are laid out."""

    #: ``push 0`` (when no CPU error code), ``push n``, ``jmp entry``; each stub aligned
    CLASSIC = "classic"
    #: ``push imm8``, ``jmp entry`` at a fixed stride (8 bytes, 16 with ENDBR64); the entry
    #: supplies the synthetic error code and widens the vector
    DENSE = "dense"


def _src() -> SourceRef:
    """A source reference field: kept on the node, ignored by equality."""
    field: SourceRef = attrs.field(default=UNKNOWN_SOURCE, eq=False, repr=False, order=False)
    return field


@attrs.frozen
class Slot:
    """One software-saved slot of the frame (the CPU-pushed part is implied by the arch)."""

    kind: SlotKind
    #: the struct field's name
    name: str
    size: int = 8
    #: what the slot holds: a register name, or the kind's name (vector, error_code, ...)
    role: str = ""
    #: bytes of the slot that hold the value (a segment selector: 2); 0 = the whole slot
    value_size: int = 0
    #: "pushal" for the eight slots one pushad stores
    block: str = ""
    source: SourceRef = _src()
    #: the C/Rust struct declares the value narrower, with explicit padding (``width:``)
    narrow: NarrowField | None = None


@attrs.frozen
class Frame:
    """The frame layout as the spec gives it, low address first."""

    struct_name: str
    slots: tuple[Slot, ...]
    synthetic_error_code: int = 0
    source: SourceRef = _src()

    #: renamed CPU-pushed fields: (cpu field, struct field name)
    cpu_names: tuple[tuple[str, str], ...] = ()
    #: classes whose stubs store the vector number in the error-code slot when the CPU
    #: pushes no error code (Linux's orig_ax for IRQs); other such vectors get
    #: ``synthetic_error_code``.  See :meth:`error_slot_value`.
    vector_in_error_slot: tuple[VectorClass, ...] = ()
    #: CPU-pushed fields the struct declares narrower: (cpu field, declaration)
    cpu_narrow: tuple[tuple[str, NarrowField], ...] = ()

    def error_slot_value(self, vector: Vector) -> int | None:
        """What the stub stores in the error-code slot for ``vector``: None when the CPU
        pushes the error code itself, else the vector number or the synthetic code."""
        if vector.error_code:
            return None
        if vector.vector_class in self.vector_in_error_slot:
            return vector.number
        return self.synthetic_error_code

    @property
    def saved_registers(self) -> tuple[str, ...]:
        """General-purpose registers saved (and restored) by the common entry, low address first."""
        return tuple(s.role for s in self.slots if s.kind is SlotKind.GPR)

    @property
    def has_vector(self) -> bool:
        """Whether the frame records the vector number."""
        return any(s.kind is SlotKind.VECTOR for s in self.slots)

    @property
    def simd_inline(self) -> bool:
        """Whether the SIMD save area is inside the frame (which the entry aligns to 64)."""
        return any(s.kind is SlotKind.SIMD_STATE for s in self.slots)

    @property
    def has_frame_pointer(self) -> bool:
        """Whether the stubs store the interrupted frame pointer above the error code."""
        return any(s.kind is SlotKind.FRAME_POINTER for s in self.slots)


@attrs.frozen
class Vector:
    """One IDT vector with everything resolved."""

    number: int
    name: str
    vector_class: VectorClass
    handler: str
    stub_symbol: str
    error_code: bool
    error_code_overridden: bool = False
    ist: int | None = None
    gate: GateType = GateType.INTERRUPT
    dpl: int = 0
    kernel_handler: str | None = None
    paranoid: bool = False
    simd: SimdPolicy = SimdPolicy.NONE
    source: SourceRef = _src()
    #: the entry runs the handler on the per-CPU IRQ stack (:class:`IrqStack`)
    irq_stack: bool = False


@attrs.frozen
class EntryGroup:
    """Vectors that share one common entry: same handlers, SIMD policy and swapgs mode."""

    index: int
    symbol: str
    handler: str
    kernel_handler: str | None
    simd: SimdPolicy
    paranoid: bool
    vectors: tuple[Vector, ...]
    #: the entry enables interrupts again once swapgs is done (see :func:`reenables_interrupts`)
    reenables_interrupts: bool = False
    #: the handler runs on the per-CPU IRQ stack (:class:`IrqStack`)
    irq_stack: bool = False


def reenables_interrupts(swapgs: bool, cli: StubCli, v: Vector) -> bool:
    """Whether ``v`` asks for a trap gate that, under ``entry.swapgs``, is delivered through
    an interrupt gate whose entry sets IF again, if the interrupted code had it set, after
    the swapgs.  A real trap gate would let an interrupt in before the swapgs: it would
    arrive from ring 0 with the user GS base live, and its entry would not swap (Linux
    uses interrupt gates only and enables interrupts in C, for this reason).  A vector on
    an IST stack keeps interrupts disabled: enabled, a nested interrupt could reuse the
    stack it runs on."""
    stub_cli = cli is StubCli.ALWAYS or cli is StubCli.TRAP_GATES
    return swapgs and v.gate is GateType.TRAP and not stub_cli and v.ist is None


def group_vectors(
    entry: str, vectors: tuple[Vector, ...], reenables: Callable[[Vector], bool] = lambda v: False
) -> tuple[EntryGroup, ...]:
    """Group vectors by what their entry code must do, in order of first vector.

    A single group's entry symbol is ``entry``; with several, ``{entry}_{index}``.
    """
    keys: dict[tuple[str, str | None, SimdPolicy, bool, bool, bool], list[Vector]] = {}
    for v in vectors:
        keys.setdefault((v.handler, v.kernel_handler, v.simd, v.paranoid, reenables(v), v.irq_stack), []).append(v)
    groups = []
    for i, ((handler, kernel, simd, paranoid, sti, irq_stack), vecs) in enumerate(keys.items()):
        symbol = entry if len(keys) == 1 else f"{entry}_{i}"
        groups.append(EntryGroup(i, symbol, handler, kernel, simd, paranoid, tuple(vecs), sti, irq_stack))
    return tuple(groups)


@attrs.frozen
class Visibilities:
    """Which generated symbols are exported: existing C code may reference the exit
    label (a new thread's first return address) or the table by name."""

    stubs: SymbolVisibility = SymbolVisibility.GLOBAL
    table: SymbolVisibility = SymbolVisibility.GLOBAL
    entry: SymbolVisibility = SymbolVisibility.GLOBAL
    exit: SymbolVisibility = SymbolVisibility.GLOBAL
    source: SourceRef = _src()


@attrs.frozen
class Symbols:
    """Names of the generated symbols that are not per vector."""

    prefix: str
    stub_pattern: str
    table: str
    entry: str
    exit: str
    gates: str
    source: SourceRef = _src()
    visibility: Visibilities = Visibilities()


@attrs.frozen
class Sections:
    """Where generated code and data go, and how they are aligned."""

    code: str
    table: str
    code_align: int = 16
    stub_align: int = 16
    source: SourceRef = _src()


@attrs.frozen
class Table:
    """The vector table's format (its section is :attr:`Sections.table`)."""

    #: bytes per entry (4 on x86_64 suits a kernel linked below 4 GiB); 0 = the word size
    width: int = 0
    #: alignment of the table in bytes; 0 = the entry width
    align: int = 0
    contents: TableContents = TableContents.STUBS
    #: the section is writable (``.data``, ``.data.rel.ro``): emitted with "aw" flags
    writable: bool = False
    source: SourceRef = _src()


@attrs.frozen
class Handler:
    """The default handler and the calling convention used to reach handlers."""

    symbol: str
    convention: str = "sysv"
    returns: ReturnModel = ReturnModel.VOID
    #: cdecl only: align the stack to 16 bytes at the call (the CPU does not on i386)
    align_stack: bool = True
    #: cdecl only: "pointer" (the handler gets a pointer to the frame) or "value" (the
    #: frame on the stack is the handler's by-value struct argument, as in JamesM's kernel)
    frame_arg: str = "pointer"
    #: what the handler receives, in order: the frame first, then optionally the
    #: vector and the error code (read from the frame: rsi/rdx, or pushed for cdecl)
    args: tuple[str, ...] = ("frame",)
    source: SourceRef = _src()


@attrs.frozen
class Entry:
    """Options of the entry and exit paths that apply to every vector."""

    #: conditional swapgs (+ lfence, CVE-2019-1125) on entry from ring 3, and on exit to it
    swapgs: bool = False
    #: zero the saved general-purpose registers before calling the handler
    clear_registers: bool = False
    #: start every stub and exported entry point with ENDBR64 (IBT)
    endbr64: bool = False
    kernel_fault: KernelFault = KernelFault.RESUME
    #: symbol of the generated halt routine (clears registers, then halts forever)
    halt: str = "isr_halt"
    #: the exit routine's arguments in calling-convention order, by role: "frame" (the
    #: frame to resume) and optionally "cr3" (a page-table root loaded when non-zero)
    exit_args: tuple[str, ...] = ("frame",)
    #: segment registers loaded after saving (i386 kernels), with ``data_selector`` unless
    #: ``segment_selectors`` gives the register its own
    data_segments: tuple[str, ...] = ()
    data_selector: int = 0x10
    #: i386 ``entry.data_selectors``: (register, selector) for each loaded register (Linux
    #: i386: ds = es = __USER_DS, fs = __KERNEL_PERCPU, gs = the stack canary's)
    segment_selectors: tuple[tuple[str, int], ...] = ()
    source: SourceRef = _src()
    #: how the exit routine finds the frame to resume
    exit_frame: ExitFrame = ExitFrame.ARGUMENT
    #: i386: the layout saves ds only; on exit every other register in ``data_segments``
    #: gets the saved ds value too (JamesM's tutorial kernel and its many descendants)
    segments_from_ds: bool = False
    #: CR4.FSGSBASE is set: fs_base/gs_base slots use rd/wr{fs,gs}base instead of rdmsr/wrmsr
    fsgsbase: bool = False

    @property
    def exit_loads_cr3(self) -> bool:
        """Whether the exit routine takes a page-table root (and loads CR3 when it is non-zero)."""
        return "cr3" in self.exit_args

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
    source: SourceRef = _src()


@attrs.frozen
class Debug:
    """Debugging aids isrgen adds to the assembly."""

    #: call-frame information (.cfi_* directives) in the GAS and Rust outputs
    cfi: bool = True
    #: where the GAS output puts it: "eh_frame" (the default) or "debug_frame"
    cfi_sections: str = "eh_frame"
    source: SourceRef = _src()


@attrs.frozen
class Simd:
    """SIMD save-area parameters (used by vectors whose policy is not ``none``)."""

    xsave_mask: int = 0x3
    area_size: int = 576
    source: SourceRef = _src()


def default(cls: type, name: str) -> Any:
    """The model's default for attribute ``name`` of ``cls``: the one place a default is
    written (the loader fills an absent key with it)."""
    value: Any = attrs.fields_dict(cls)[name].default
    return value.factory() if isinstance(value, attrs.Factory) else value  # type: ignore[arg-type]


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
    source: SourceRef = _src()
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
    source: SourceRef = _src()

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
    source: SourceRef = _src()


@attrs.frozen
class PercpuConstant:
    """A per-CPU fact a kernel lays its per-CPU block out by (C macro, Rust const): the
    name after the prefix, the value and what it is."""

    name: str
    value: int
    doc: str


#: the number each paranoid GS method has in the generated constants
PARANOID_GS_NUMBERS = {m: i for i, m in enumerate(ParanoidGsMethod)}


def percpu_constants(spec: Spec) -> tuple[PercpuConstant, ...]:
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


@attrs.frozen
class Output:
    """One output a spec asks for: a backend name and the file it writes."""

    backend: str
    filename: str
    source: SourceRef = _src()
    #: the parts of the glue this file holds when the spec splits an assembly backend's
    #: output into several files (``stubs``, ``table``, ``entry``, ``exit``, ``syscall``);
    #: empty: the whole output
    parts: tuple[str, ...] = ()


class NameRole(enum.Enum):
    """What a name the spec chooses stands for in the generated outputs."""

    #: a symbol the glue defines (a stub, the table, an entry, the exit routine, ...)
    DEFINED = "defined"
    #: a symbol the glue calls and the kernel defines (a handler)
    REFERENCED = "referenced"
    #: the frame struct's tag
    TYPE = "type"


@attrs.frozen
class ChosenName:
    """A name the spec chose (directly or through a pattern), with the key that chose it;
    :mod:`isrgen.output.declarations` checks it against every rendered output."""

    name: str
    role: NameRole
    #: the key's JSON-path-like locator (``$.handler.symbol``)
    path: str
    source: SourceRef = _src()


@attrs.frozen
class Spec:
    """A complete, validated isrgen spec."""

    arch_name: str
    symbols: Symbols
    sections: Sections
    handler: Handler
    frame: Frame
    vectors: tuple[Vector, ...]
    outputs: tuple[Output, ...]
    stub_style: StubStyle = StubStyle.CLASSIC
    entry: Entry = Entry()
    simd: Simd = Simd()
    syscall: Syscall | None = None
    table: Table = Table()
    stubs: Stubs = Stubs()
    debug: Debug = Debug()
    paranoid_gs: ParanoidGs = ParanoidGs()
    irq_stack: IrqStack | None = None
    source_file: str = attrs.field(default="<memory>", eq=False)
    source_sha256: str = attrs.field(default="", eq=False)
    #: the names the spec chose, with their keys (empty for a spec built in code)
    chosen_names: tuple[ChosenName, ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def isa(self) -> Isa:
        """The ISA the spec targets (its ``arch:`` value)."""
        isa = get_isa(self.arch_name)
        if isa is None:  # pragma: no cover - the loader rejects unknown arches
            raise LookupError(self.arch_name)
        return isa

    @property
    def arch(self) -> ArchFacts:
        """The architecture facts the spec targets."""
        return self.isa.facts

    @property
    def table_width(self) -> int:
        """Bytes per vector-table entry."""
        return self.table.width or self.arch.word_size

    @property
    def table_align(self) -> int:
        """Alignment of the vector table in bytes."""
        return self.table.align or self.table_width

    @functools.cached_property
    def _vectors_by_number(self) -> dict[int, Vector]:
        return {v.number: v for v in self.vectors}

    def vector(self, number: int) -> Vector | None:
        """The vector with that number, if the spec defines it."""
        return self._vectors_by_number.get(number)

    @property
    def handlers(self) -> tuple[str, ...]:
        """Distinct handler symbols (kernel-fault and syscall handlers included), in order of first use."""
        seen: dict[str, None] = {}
        for v in self.vectors:
            seen.setdefault(v.handler, None)
            if v.kernel_handler:
                seen.setdefault(v.kernel_handler, None)
        if self.syscall is not None:
            seen.setdefault(self.syscall.handler, None)
        return tuple(seen)

    def stub_clears_if(self, v: Vector) -> bool:
        """Whether ``v``'s stub starts with ``cli`` (``stubs.cli``; a trap gate leaves IF
        set on delivery, SDM Vol. 3A 6.12.1.3)."""
        cli = self.stubs.cli
        return cli is StubCli.ALWAYS or (cli is StubCli.TRAP_GATES and v.gate is GateType.TRAP)

    def reenables_interrupts(self, v: Vector) -> bool:
        """Whether ``v``'s trap gate becomes an interrupt gate whose entry sets IF again
        after swapgs (see :func:`reenables_interrupts`)."""
        return reenables_interrupts(self.entry.swapgs, self.stubs.cli, v)

    @property
    def entry_groups(self) -> tuple[EntryGroup, ...]:
        """The common entries the glue has, each with its vectors."""
        return group_vectors(self.symbols.entry, self.vectors, self.reenables_interrupts)

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

    def outputs_for(self, backend: str) -> tuple[Output, ...]:
        """Every file the spec's outputs give ``backend`` (several when it splits the glue)."""
        return tuple(o for o in self.outputs if o.backend == backend)

    def parts_in(self, backend: str, filename: str) -> tuple[str, ...]:
        """The parts file ``filename`` of ``backend`` holds (empty: the whole output)."""
        return next((o.parts for o in self.outputs if o.backend == backend and o.filename == filename), ())

    def output_for(self, backend: str) -> Output | None:
        """The spec's output entry for ``backend``."""
        for o in self.outputs:
            if o.backend == backend:
                return o
        return None
