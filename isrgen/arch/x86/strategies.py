"""Hypothesis strategies that draw valid x86 isrgen specs (re-exported by :mod:`isrgen.testing`).

Use them to test your own tooling around isrgen, or to fuzz isrgen itself::

    from hypothesis import given
    from isrgen.testing import specs

    @given(specs())
    def test_frame_is_aligned(spec):
        assert isrgen.compute_layout(spec).size % 8 == 0

:func:`specs` draws finished :class:`~isrgen.model.spec.Spec` models for ``x86_64``
or ``i386``: register save orders (every register, or on x86_64 with ``returns:
void`` only those the ABI forces), padding slots of any size, renamed fields and
CPU fields, ``pushal`` blocks and segment registers (i386), selector fields
declared narrower than their slot (``width:``/``padding:`` on cs/ss in
``frame.cpu_fields`` and on i386 segment-register slots), vector sets and
classes, per-vector handlers, kernel handlers, IST/gate/DPL, paranoid vectors and
``paranoid_gs`` (every method, with ``offsets`` and, for ``lsl``,
``cpunode_selector``), SIMD policies with the area below the frame (``simd_area``)
or inside it (``{simd_state: N}`` first, ``frame_shift``, the frame padded to a
multiple of 64 bytes; every vector then saves SIMD state), error-code overrides
(recorded as such), sections and alignments, symbol prefixes and patterns, handler
return models, stub styles, the ``entry:`` options (``data_selector`` or, on i386,
``data_selectors``), ``simd:`` parameters, a ``syscall:`` entry, ``irq_stack``
(per-vector ``irq_stack`` flags: mostly the irq class, never with IST, paranoid
entries, ``simd_state`` or a handler that never returns), outputs whole or
(``gas``, ``nasm``) split into files by part (:func:`split_outputs`), and the
drop-in options (:func:`dropin_options`): symbol visibility, table width,
alignment and a writable ``.data*`` section, ``stubs.cli`` and
``error_code_filler``, ``frame.vector_in_error_slot`` and frames without a vector
slot (each vector then identified by its error-code slot or its own handler),
``entry.exit_frame`` and ``debug`` (``cfi``, ``cfi_sections``), a
``frame_pointer`` slot (classic stubs), ``entry.segments_from_ds`` (i386),
``fs_base``/``gs_base`` slots (x86_64, possibly renamed) read and written with
RDMSR/WRMSR or, with ``entry.fsgsbase``, RDFSBASE/WRFSBASE and RDGSBASE/WRGSBASE,
and a syscall entry with fixed-address stack slots (``syscall.kernel_stack`` and
``user_stack``, each a data symbol or an absolute address; with or without
``entry.swapgs``).  Every option is drawn, in combinations the loader accepts and
two it accepts but that are not drawn: ``entry.fsgsbase`` beside paranoid vectors
whose ``paranoid_gs`` method is ``msr_sign`` (which CR4.FSGSBASE makes unsound), and
a ``gs_base`` slot beside paranoid vectors whose method switches the GS base with
``wrgsbase`` (the slot then holds the kernel's GS base, not the user's, on an
interruption of ring 3 or of ring 0 with the user base live).
Models are drawn directly (not through the loader); every drawn model is one the
loader accepts: written out with :func:`isrgen.arch.x86.dump.dump_spec` it loads back
equal (a property test checks it).  :func:`spec_texts` draws
that YAML text directly (sometimes with ``classes:`` defaults).

Each option family has its own strategy (:func:`frames`, :func:`entry_options`,
:func:`simd_options`, :func:`syscalls`, :func:`vector_options`,
:func:`paranoid_gs_options`, :func:`irq_stacks`, :func:`split_outputs`); a new option
is added by drawing it in its family and writing it in :mod:`isrgen.arch.x86.dump`.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from hypothesis import strategies as st

from isrgen.arch import get_arch
from isrgen.arch.facts import ArchFacts
from isrgen.arch.x86.dump import dump_spec
from isrgen.arch.x86.model import (
    ErrorCodeFiller,
    GateType,
    IrqStack,
    ParanoidGs,
    ParanoidGsMethod,
    Simd,
    SimdPolicy,
    StubCli,
    Stubs,
    Syscall,
    X86Entry,
    X86Spec,
    X86Vector,
)
from isrgen.model.narrow import MEMBER_BITS, NarrowField, PadMember
from isrgen.model.spec import (
    Debug,
    ExitFrame,
    Frame,
    Handler,
    KernelFault,
    Output,
    ReturnModel,
    Sections,
    Slot,
    SlotKind,
    StubStyle,
    Symbols,
    SymbolVisibility,
    Table,
    VectorClass,
    Visibilities,
    default,
)
from isrgen.spec.identifiers import reserved_reason
from isrgen.spec.resolve.outputs import PARTS, SPLITTABLE_BACKENDS

#: backends whose output a drawn spec may list (filtered by what is installed)
DEFAULT_FILENAMES = {"gas": "isr.S", "c": "isr.h", "nasm": "isr.asm", "rust": "isr.rs"}
#: backends that generate for each architecture
ARCH_BACKENDS = {"x86_64": ("gas", "c", "nasm", "rust"), "i386": ("gas", "c", "nasm")}

_STUB_PATTERNS = ("{prefix}stub_{n}", "{prefix}isr{n}", "{prefix}v{n:03d}", "{prefix}{name}", "{prefix}{name}_entry")
_NAME_BASES = ("irq", "dev", "sw", "vec_", "line")
_HANDLER_NAMES = ("dispatch_handler", "fault_handler", "irq_handler", "timer_handler", "soft_handler")
_KERNEL_HANDLERS = ("kernel_fault_handler", "kfault", "oops_handler")
_SYSCALL_HANDLERS = ("syscall_handler", "sys_dispatch")
_CODE_SECTIONS = (".text.isr", ".text", ".text.irq_glue", ".isr_text", "isr_code")
_TABLE_SECTIONS = (".rodata.isr", ".rodata", ".isr_table", "isr_vectors", ".data", ".data.isr", ".data.rel.ro")
_FIELD_RENAMES = ("saved_{r}", "{r}_val", "u_{r}")
_POW2 = (1, 2, 4, 8, 16, 32, 64)
_CODE_ALIGN = (*_POW2, 256, 4096)
#: sizes (in words) of drawn pad slots.  Wider ``{pad: N}`` slots load and lay out
#: correctly, but the C header and Rust struct declare a wide pad as one word (a
#: known generator bug the proofs find): pass ``pad_words=WIDE_PAD_WORDS`` to draw them.
PAD_WORDS = (1,)
WIDE_PAD_WORDS = (1, 2, 3)
#: XCR0 masks the emulator's CPU supports (x87, SSE, AVX) and the area each needs
# XCR0 always has x87 and SSE set for a kernel that saves SIMD state (SDM Vol. 1 13.3)
_XSAVE_MASKS = {0x3: 576, 0x7: 832}
#: the FXSAVE area (SDM Vol. 1 table 10-2)
_FXSAVE_AREA = 512
#: a frame with the SIMD area inside it is aligned to (and a multiple of) 64 bytes (SDM Vol. 1 13.4)
_INLINE_ALIGN = 64
#: data selectors kernels load on entry: the tutorial kernels' 0x10, Linux i386's __USER_DS
#: 0x7b, __KERNEL_PERCPU 0xd8 and stack-canary 0xe0, and other data descriptors with a
#: DPL that allows their RPL (SDM Vol. 3A 5.6)
_DATA_SELECTORS = (0x10, 0x18, 0x28, 0x33, 0x7B, 0xD8, 0xE0)
#: symbols of the kernel's per-CPU offset table (``paranoid_gs.offsets``)
_PERCPU_TABLES = ("per_cpu_offset", "percpu_offsets", "cpu_gs_bases")
#: per-CPU words (GS-relative offsets) the IRQ stack block may use
_GS_OFFSETS = tuple(range(0, 264, 8))
#: names of the padding members of a narrow field ({f}: the field, {i}: the member's index);
#: Linux spells them ``__gsh``, ``__csh``
_PAD_MEMBERS = ("__{f}h{i}", "_{f}_pad{i}", "{f}_padding{i}")
#: files a split assembly output is written to (file name stems; the extension is the backend's)
_SPLIT_STEMS = ("vectors", "trapasm", "isr_entry", "sys_entry")
#: frame slots holding the interrupted FS and GS bases (x86_64), and names they are renamed to
_SEGMENT_BASES = ("fs_base", "gs_base")
_BASE_RENAMES = {"fs_base": "fsbase", "gs_base": "gsbase"}
#: data symbols a single-CPU kernel keeps its syscall stack words in (``syscall.kernel_stack``
#: / ``user_stack``), and absolute addresses of such words: low memory below the image (ld
#: links it at 0x400000) and the top 2 GiB, where a mov reaches them with a sign-extended
#: disp32 (SDM Vol. 2A 2.2.1.6)
_STACK_SYMBOLS = ("kernel_stack_top", "user_rsp_save", "cpu0_kstack", "saved_user_rsp")
#: absolute stack slots in low memory and in the top 2 GiB (sign-extended disp32)
_STACK_ADDRESSES = ((0x7000, 0x7008, 0x8FF8, 0x9_0000, 0x20_0000), (-0x7FFF_F000, -0x7FFF_EFF8, -0x7FFF_E000))


def _arch(name: str) -> ArchFacts:
    arch = get_arch(name)
    if arch is None:
        raise ValueError(f"unknown architecture {name!r}")
    return arch


def _valid(arch: ArchFacts, *names: str) -> bool:
    words = arch.assembler_words
    return all(reserved_reason(n, arch.register_aliases, arch.c_predefined_macros, words) is None for n in names)


@attrs.frozen
class FrameNeeds:
    """What the other drawn options require of the frame layout."""

    every_register: bool = False
    registers: frozenset[str] = frozenset()
    simd_area: bool = False
    #: a ``frame_pointer`` slot above the error code (classic stubs only)
    frame_pointer: bool = False
    #: bytes of a ``{simd_state: N}`` area inside the frame (0: none); the frame then
    #: starts with it, has a ``frame_shift`` slot and is padded to a multiple of 64 bytes
    simd_state: int = 0
    #: ``fs_base`` / ``gs_base`` slots (x86_64) the frame holds somewhere among the saved registers
    segment_bases: tuple[str, ...] = ()


def _gpr_slots(draw: st.DrawFn, arch: ArchFacts, needs: FrameNeeds) -> list[Slot]:
    """Saved registers in a random order: all of them, or (x86_64) the required ones and some others."""
    required = set(arch.caller_saved) | set(needs.registers)
    regs = [r for r in arch.gprs if needs.every_register or r in required or draw(st.integers(0, 3)) > 0]
    order = draw(st.permutations(regs))
    rename = draw(st.integers(0, 5)) == 0
    slots = []
    for r in order:
        name = r
        if rename and draw(st.booleans()):
            name = draw(st.sampled_from(_FIELD_RENAMES)).format(r=r)
        slots.append(Slot(SlotKind.GPR, name, arch.word_size, r))
    return slots


def _padding(draw: st.DrawFn, name: str, at: int, slot_size: int) -> tuple[PadMember, ...]:
    """Named padding members from byte ``at`` to the end of a slot, each a C type at an
    offset its alignment allows (so the compiler adds none of its own), some of them arrays."""
    style = draw(st.sampled_from(_PAD_MEMBERS))
    members: list[PadMember] = []
    while at < slot_size:
        fits = [b for b in MEMBER_BITS if at % (b // 8) == 0 and at + b // 8 <= slot_size]
        bits = draw(st.sampled_from(fits))
        count = draw(st.integers(1, (slot_size - at) // (bits // 8)))
        members.append(PadMember(style.format(f=name, i=len(members)), bits, count))
        at += bits // 8 * count
    return tuple(members)


def _narrow(draw: st.DrawFn, name: str, slot_size: int) -> NarrowField:
    """A selector field declared narrower than its slot (``width:`` + ``padding:``): 16 bits,
    or 32 in an 8-byte slot (a selector is 16 bits wide, SDM Vol. 3A 3.4.2)."""
    width = draw(st.sampled_from(tuple(b for b in (16, 32) if b < slot_size * 8)))
    return NarrowField(width, _padding(draw, name, width // 8, slot_size))


def _i386_slots(draw: st.DrawFn, arch: ArchFacts) -> list[Slot]:
    """pushal (default or renamed fields) or separate pushes, plus some segment registers
    (sometimes declared 16 bits wide with named padding)."""
    slots: list[Slot] = []
    if draw(st.booleans()):
        default = [("o" + r if r == arch.stack_pointer else r) for r in arch.pushal_order]
        names = default
        if draw(st.integers(0, 3)) == 0:
            names = [f"p_{r}" for r in arch.pushal_order]
        for reg, name in zip(arch.pushal_order, names, strict=True):
            if reg == arch.stack_pointer:  # pushad's copy of esp: popad skips it
                slots.append(Slot(SlotKind.PAD, name, arch.word_size, "pushal_esp", 0, "pushal"))
            else:
                slots.append(Slot(SlotKind.GPR, name, arch.word_size, reg, 0, "pushal"))
    else:
        slots += [Slot(SlotKind.GPR, r, arch.word_size, r) for r in draw(st.permutations(arch.gprs))]
    segments = draw(st.lists(st.sampled_from(arch.segment_registers), unique=True, max_size=4))
    for seg in segments:
        at = _keep_pushal_together(slots, draw(st.integers(0, len(slots))))
        narrow = _narrow(draw, seg, arch.word_size) if draw(st.integers(0, 5)) == 0 else None
        slots.insert(at, Slot(SlotKind.SEGMENT, seg, arch.word_size, seg, 2, narrow=narrow))
    return slots


def _keep_pushal_together(slots: list[Slot], at: int) -> int:
    """Move an insertion point out of a pushal block (its eight slots are one instruction)."""
    while 0 < at < len(slots) and slots[at].block == "pushal" and slots[at - 1].block == "pushal":
        at += 1
    return at


def _insert_pads(draw: st.DrawFn, body: list[Slot], sizes: Sequence[int], first: int) -> None:
    """Pad slots of ``sizes`` bytes at drawn places in ``body``, none before index ``first``."""
    for size in sizes:
        at = _keep_pushal_together(body, draw(st.integers(first, len(body))))
        body.insert(at, Slot(SlotKind.PAD, "pad", size, "pad"))


def _cpu_fields(
    draw: st.DrawFn, arch: ArchFacts
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, NarrowField], ...]]:
    """Renamed CPU-pushed fields, and selector fields (cs, ss) declared narrower; a narrow
    field is listed among the names even when it keeps its own (the loader does so)."""
    renamed: set[str] = set()
    if draw(st.integers(0, 4)) == 0:
        renamed = set(draw(st.lists(st.sampled_from(arch.cpu_frame), unique=True, min_size=1, max_size=3)))
    narrowed: set[str] = set()
    if draw(st.integers(0, 7)) == 0:
        narrowed = set(draw(st.lists(st.sampled_from(arch.selector_fields), unique=True, min_size=1)))
    names = tuple((cpu, f"cpu_{cpu}" if cpu in renamed else cpu) for cpu in arch.cpu_frame if cpu in renamed | narrowed)
    narrow = tuple((cpu, _narrow(draw, name, arch.word_size)) for cpu, name in names if cpu in narrowed)
    return names, narrow


@st.composite
def frames(
    draw: st.DrawFn,
    arch_name: str = "x86_64",
    struct_prefix: str = "isr_",
    needs: FrameNeeds = FrameNeeds(),
    pad_words: Sequence[int] = PAD_WORDS,
    vector_slot: bool = True,
    vector_in_error_slot: tuple[VectorClass, ...] = (),
) -> Frame:
    """A frame layout: saved registers in a random order (with i386 ``pushal`` and segment
    registers, some declared narrow), a ``simd_area`` slot where SIMD needs one, or the
    ``{simd_state: N}`` area first and a ``frame_shift`` slot where ``needs`` asks for the
    area inside the frame, the ``fs_base``/``gs_base`` slots ``needs`` asks for, 0-3 pad
    slots of any size anywhere among them (and as many one-word pads as make a frame with
    ``simd_state`` a multiple of 64 bytes), then
    ``vector`` and ``error_code`` (possibly renamed), a ``frame_pointer`` slot when
    ``needs`` asks for one, and sometimes renamed CPU-pushed fields or narrow cs/ss."""
    arch = _arch(arch_name)
    word = arch.word_size
    body = _i386_slots(draw, arch) if arch.pushal_order else _gpr_slots(draw, arch, needs)
    renamed = draw(st.integers(0, 4)) == 0
    if needs.simd_state:
        shift = "shift" if renamed and draw(st.booleans()) else "frame_shift"
        body.insert(draw(st.integers(0, len(body))), Slot(SlotKind.FRAME_SHIFT, shift, word, "frame_shift"))
    elif needs.simd_area or ("simd" in arch.features and draw(st.integers(0, 5)) == 0):
        body.insert(draw(st.integers(0, len(body))), Slot(SlotKind.SIMD_AREA, "simd_area", word, "simd_area"))
    for role in needs.segment_bases:
        name = _BASE_RENAMES[role] if renamed and draw(st.booleans()) else role
        at = _keep_pushal_together(body, draw(st.integers(0, len(body))))
        body.insert(at, Slot(SlotKind.SEGMENT_BASE, name, word, role))
    pads = draw(st.lists(st.sampled_from(tuple(pad_words)), max_size=3))
    _insert_pads(draw, body, [word * n for n in pads], 0)
    vector = "trapno" if renamed and draw(st.booleans()) else "vector"
    error = "err" if renamed and draw(st.booleans()) else "error_code"
    tail = [Slot(SlotKind.VECTOR, vector, word, "vector")] if vector_slot else []
    tail.append(Slot(SlotKind.ERROR_CODE, error, word, "error_code"))
    if needs.frame_pointer and arch.frame_pointer in {s.role for s in body if s.kind is SlotKind.GPR}:
        name = "fp" if renamed and draw(st.booleans()) else "frame_pointer"
        tail.append(Slot(SlotKind.FRAME_POINTER, name, word, "frame_pointer"))
    if needs.simd_state:
        body.insert(0, Slot(SlotKind.SIMD_STATE, "simd_state", needs.simd_state, "simd_state"))
        size = sum(s.size for s in body + tail) + word * len(arch.cpu_frame)
        _insert_pads(draw, body, [word] * ((-size % _INLINE_ALIGN) // word), 1)
    # pad names are numbered in layout order, as the loader does (pushal's esp slot is not a pad)
    numbered: list[Slot] = []
    count = 0
    for slot in body + tail:
        if slot.kind is SlotKind.PAD and slot.block != "pushal":
            slot = attrs.evolve(slot, name=f"_pad{count}")
            count += 1
        numbered.append(slot)
    cpu_names, cpu_narrow = _cpu_fields(draw, arch)
    struct = draw(st.sampled_from(("frame", "regs", "trap_frame", "int_ctx")))
    synthetic = draw(st.one_of(st.just(0), st.integers(-(2**31), 2**31 - 1)))
    return Frame(
        f"{struct_prefix}{struct}",
        tuple(numbered),
        synthetic,
        cpu_names=cpu_names,
        vector_in_error_slot=vector_in_error_slot,
        cpu_narrow=cpu_narrow,
    )


@st.composite
def vector_sets(draw: st.DrawFn, max_vectors: int = 256) -> list[int]:
    """A non-empty, sorted set of vector numbers: sometimes all 256, sometimes a few."""
    everything = draw(st.integers(0, 4)) == 0 and max_vectors >= 256
    if everything:
        return list(range(256))
    picked = set(draw(st.lists(st.integers(0, 255), min_size=1, max_size=max(1, min(max_vectors, 40)))))
    return sorted(picked)[:max_vectors]


@attrs.frozen
class VectorOptions:
    """Spec-wide choices the per-vector options depend on."""

    #: the SIMD save instruction vectors may use (one per spec), or NONE
    simd: SimdPolicy = SimdPolicy.NONE
    paranoid: bool = False
    kernel_handlers: tuple[str, ...] = ()
    #: the SIMD area is inside the frame (``{simd_state: N}``): every vector saves SIMD state
    simd_inline: bool = False


@st.composite
def vector_options(draw: st.DrawFn, arch_name: str = "x86_64", allow_swapgs: bool = True) -> VectorOptions:
    """Which entry features vectors may use: a SIMD save instruction (sometimes into an
    area inside the frame, which every vector then uses), paranoid entries, kernel handlers."""
    arch = _arch(arch_name)
    simd = SimdPolicy.NONE
    if "simd" in arch.features:
        simd = draw(st.sampled_from((SimdPolicy.FXSAVE, SimdPolicy.NONE, SimdPolicy.XSAVE)))
    paranoid = "paranoid" in arch.features and allow_swapgs and draw(st.integers(0, 3)) == 0
    kernel = draw(st.lists(st.sampled_from(_KERNEL_HANDLERS), max_size=2, unique=True))
    inline = simd is not SimdPolicy.NONE and draw(st.integers(0, 3)) == 0
    return VectorOptions(simd, paranoid, tuple(kernel), inline)


@st.composite
def entry_options(draw: st.DrawFn, arch_name: str, prefix: str, frame: Frame, fsgsbase_ok: bool = True) -> X86Entry:
    """The ``entry:`` block: swapgs (x86_64), clearing, ENDBR64, kernel-fault policy, the
    halt symbol, CR3 loading, ``fsgsbase`` (x86_64, where ``fsgsbase_ok``), and (i386) data
    segments loaded after saving, with one selector or each with its own (``data_selectors``)."""
    arch = _arch(arch_name)
    saved_segments = [s.role for s in frame.slots if s.kind is SlotKind.SEGMENT]
    data_segments: tuple[str, ...] = ()
    # JamesM's style: ds saved alone, every loaded segment restored from it
    from_ds = "ds" in saved_segments and draw(st.integers(0, 3)) == 0
    loadable = arch.segment_registers if from_ds else saved_segments
    if loadable:
        picked = draw(st.lists(st.sampled_from(loadable), unique=True, min_size=1 if from_ds else 0))
        data_segments = tuple(picked)
    selectors: tuple[tuple[str, int], ...] = ()
    if data_segments and draw(st.integers(0, 2)) == 0:
        # the loader lists them in the architecture's order, whatever order the mapping has
        selectors = tuple(
            (s, draw(st.sampled_from(_DATA_SELECTORS))) for s in arch.segment_registers if s in data_segments
        )
        data_segments = tuple(s for s, _ in selectors)
    data_selector = default(X86Entry, "data_selector")
    if arch.segment_registers and not selectors:
        data_selector = draw(st.sampled_from(_DATA_SELECTORS))
    return X86Entry(
        swapgs="swapgs" in arch.features and draw(st.booleans()),
        clear_registers=draw(st.booleans()),
        endbr64=arch.word_size == 8 and draw(st.booleans()),
        kernel_fault=draw(st.sampled_from(tuple(KernelFault))),
        halt=prefix + draw(st.sampled_from(("halt", "die", "panic_halt"))),
        exit_args=draw(st.sampled_from((("frame",), ("frame", "cr3"), ("cr3", "frame")))),
        data_segments=data_segments,
        data_selector=data_selector,
        segment_selectors=selectors,
        segments_from_ds=from_ds,
        fsgsbase=fsgsbase_ok and "segment_bases" in arch.features and draw(st.booleans()),
    )


@st.composite
def simd_options(draw: st.DrawFn) -> Simd:
    """``simd:``: an XCR0 mask within x87/SSE/AVX and an area at least as large as it needs."""
    mask = draw(st.sampled_from(tuple(_XSAVE_MASKS)))
    return Simd(mask, _XSAVE_MASKS[mask] + 64 * draw(st.sampled_from((0, 0, 1, 4))))


@st.composite
def _inline_area_sizes(draw: st.DrawFn, policy: SimdPolicy, simd: Simd) -> int:
    """The size of a ``{simd_state: N}`` area: at least what the save instruction stores, a
    multiple of 64 (the frame around it is 64-byte aligned)."""
    need = simd.area_size if policy is SimdPolicy.XSAVE else _FXSAVE_AREA
    return need + _INLINE_ALIGN * draw(st.sampled_from((0, 0, 1)))


@st.composite
def syscalls(draw: st.DrawFn, prefix: str, frame: Frame, vectors: Sequence[int], fixed_stack: bool = False) -> Syscall:
    """A ``syscall:`` entry whose marker is no vector number and which restores some saved
    registers; its stack words GS-relative or, with ``fixed_stack``, at fixed addresses
    (:func:`fixed_stack_slots`)."""
    saved = [r for r in frame.saved_registers if r not in ("rcx", "r11")]
    restored = draw(st.lists(st.sampled_from(saved), unique=True)) if saved else []
    marker = draw(st.sampled_from((-1, 0x80, 0x1000, 256)).filter(lambda m: m not in vectors))
    kernel_stack: str | int | None = None
    user_stack: str | int | None = None
    # the GS-relative offsets keep their defaults beside fixed slots (the loader's values)
    kernel_gs, user_gs = default(Syscall, "kernel_stack_gs"), default(Syscall, "user_stack_gs")
    if fixed_stack:
        kernel_stack, user_stack = draw(fixed_stack_slots())
    else:
        kernel_gs, user_gs = draw(st.sampled_from((8, 0, 24))), draw(st.sampled_from((16, 32)))
    return Syscall(
        entry=prefix + draw(st.sampled_from(("syscall_entry", "sys_enter"))),
        handler=draw(st.sampled_from(_SYSCALL_HANDLERS)),
        marker=marker,
        kernel_stack_gs=kernel_gs,
        user_stack_gs=user_gs,
        user_cs=0x23,
        user_ss=0x1B,
        restored=tuple(restored),
        kernel_stack=kernel_stack,
        user_stack=user_stack,
    )


@st.composite
def fixed_stack_slots(draw: st.DrawFn) -> tuple[str | int, str | int]:
    """``syscall.kernel_stack`` and ``user_stack``: two different words, each a data symbol
    or an absolute address (low memory or the top 2 GiB, sign-extended as the loader keeps it)."""
    addresses = st.sampled_from(_STACK_ADDRESSES).flatmap(st.sampled_from)
    slot = st.one_of(st.sampled_from(_STACK_SYMBOLS), addresses)
    kernel = draw(slot)
    user = draw(slot.filter(lambda s: s != kernel))
    return kernel, user


@st.composite
def paranoid_gs_options(draw: st.DrawFn) -> ParanoidGs:
    """``paranoid_gs``: the sign of IA32_GS_BASE (the default), or the per-CPU offset table
    indexed by the CPU number from RDPID, RDTSCP or the limit of a GDT descriptor of the
    kernel's own (LSL), past the code and data descriptors a GDT starts with."""
    method = draw(st.sampled_from(tuple(ParanoidGsMethod)))
    if method is ParanoidGsMethod.MSR_SIGN:
        return ParanoidGs()
    selector = 0
    if method is ParanoidGsMethod.LSL:
        # TI = 0 (the GDT) and a non-null index (SDM Vol. 3A 3.4.2); any RPL
        selector = draw(st.integers(5, 31)) << 3 | draw(st.integers(0, 3))
    return ParanoidGs(method, draw(st.sampled_from(_PERCPU_TABLES)), selector)


@st.composite
def irq_stacks(draw: st.DrawFn, syscall: Syscall | None) -> IrqStack:
    """``irq_stack``: two per-CPU words apart from each other and from the syscall entry's
    (when it reaches its stack through GS)."""
    taken = [] if syscall is None or syscall.fixed_stack_slots else [syscall.kernel_stack_gs, syscall.user_stack_gs]
    free = [o for o in _GS_OFFSETS if all(abs(o - t) >= 8 for t in taken)]
    top = draw(st.sampled_from(free))
    depth = draw(st.sampled_from([o for o in free if abs(o - top) >= 8]))
    return IrqStack(top, depth)


def _runs_on_irq_stack(draw: st.DrawFn, v: X86Vector, frame: Frame, handler: Handler) -> bool:
    """Whether ``v`` uses the IRQ stack: mostly its class's default (irq vectors do), never
    with an entry that has stack business of its own (IST, paranoid, a realigned frame) nor
    under a handler that never returns (it would never leave the stack)."""
    if v.ist is not None or v.paranoid or frame.simd_inline or handler.returns is ReturnModel.NORETURN:
        return False
    usual = v.vector_class is VectorClass.IRQ
    return usual != (draw(st.integers(0, 4)) == 0)


@st.composite
def split_outputs(draw: st.DrawFn, backend: str, filename: str, syscall: bool, local_stubs: bool) -> list[Output]:
    """A backend's output whole, or (gas, nasm; sometimes) split into files by part, with the
    parts each file holds in the loader's order: the exit routine with the entry, the table
    with the stubs when the stubs are local symbols."""
    if backend not in SPLITTABLE_BACKENDS or draw(st.integers(0, 3)) > 0:
        return [Output(backend, filename)]
    ext = filename[filename.rindex(".") :]
    files = [stem + ext for stem in _SPLIT_STEMS]
    where = {part: draw(st.sampled_from(files)) for part in ("stubs", "table", "entry", "syscall")}
    where["exit"] = where["entry"]
    if local_stubs:
        where["table"] = where["stubs"]
    by_file: dict[str, list[str]] = {}
    for part in PARTS:
        if part != "syscall" or syscall:
            by_file.setdefault(where[part], []).append(part)
    return [Output(backend, name, parts=tuple(held)) for name, held in by_file.items()]


@attrs.frozen
class DropIn:
    """The drop-in options of one drawn spec."""

    visibility: Visibilities
    table: Table
    stubs: Stubs
    debug: Debug
    #: classes whose stubs store the vector number in the error-code slot
    vector_in_error_slot: tuple[VectorClass, ...]
    #: the frame has a vector slot
    vector_slot: bool


@st.composite
def dropin_options(
    draw: st.DrawFn, arch_name: str, table_section: str, style: StubStyle, vectorless_ok: bool
) -> DropIn:
    """Valid drop-in options: ``error_code_filler`` and ``vector_in_error_slot`` with classic
    stubs only, a frame without a vector slot only where ``vectorless_ok`` (no syscall entry,
    few enough vectors for each to get its own handler), 4-byte tables (i386: always)."""
    arch = _arch(arch_name)
    vis = st.sampled_from((SymbolVisibility.GLOBAL, SymbolVisibility.GLOBAL, SymbolVisibility.LOCAL))
    visibility = Visibilities(draw(vis), draw(vis), draw(vis), draw(vis))
    width = arch.word_size if arch.word_size == 4 else draw(st.sampled_from((8, 8, 4)))
    align = draw(st.sampled_from((width, width, 16, 64)))
    writable = table_section == ".data" or table_section.startswith(".data.")
    classic = style is StubStyle.CLASSIC
    filler = draw(st.sampled_from(tuple(ErrorCodeFiller))) if classic else ErrorCodeFiller.NONE
    stubs = Stubs(draw(st.sampled_from(tuple(StubCli))), filler)
    debug = Debug(draw(st.booleans()), draw(st.sampled_from(("eh_frame", "debug_frame"))))
    in_slot: tuple[VectorClass, ...] = ()
    if classic and draw(st.integers(0, 2)) == 0:
        in_slot = tuple(draw(st.lists(st.sampled_from(tuple(VectorClass)), min_size=1, unique=True)))
    vector_slot = not (classic and vectorless_ok and draw(st.integers(0, 3)) == 0)
    return DropIn(visibility, Table(width, align, writable=writable), stubs, debug, in_slot, vector_slot)


def _identify_without_vector_slot(frame: Frame, vectors: list[X86Vector]) -> list[X86Vector]:
    """Without a vector slot, give each vector whose error-code slot does not carry its
    number a handler of its own (what the loader demands)."""
    if frame.has_vector:
        return vectors
    out = []
    for v in vectors:
        if frame.error_slot_value(v) == v.number and v.vector_class in frame.vector_in_error_slot:
            out.append(v)
        else:
            out.append(attrs.evolve(v, handler=f"vector_{v.number}_handler", kernel_handler=None))
    return out


def _symbols(draw: st.DrawFn, arch: ArchFacts) -> Symbols:
    prefix = draw(st.from_regex(r"[a-z]{1,4}_", fullmatch=True).filter(lambda p: _valid(arch, p + "x")))
    names = {
        "table": draw(st.sampled_from(("table", "vectors", "stub_table"))),
        "entry": draw(st.sampled_from(("common", "entry", "isr_common"))),
        "exit": draw(st.sampled_from(("return", "resume", "exit_frame"))),
        "gates": draw(st.sampled_from(("gate_attrs", "gates", "idt_attrs"))),
    }
    return Symbols(
        prefix,
        draw(st.sampled_from(_STUB_PATTERNS)),
        f"{prefix}{names['table']}",
        f"{prefix}{names['entry']}",
        f"{prefix}{names['exit']}",
        f"{prefix}{names['gates']}",
    )


def _vectors(
    draw: st.DrawFn,
    arch: ArchFacts,
    symbols: Symbols,
    default_handler: str,
    numbers: Sequence[int],
    options: VectorOptions,
) -> list[X86Vector]:
    handler_pool = draw(st.lists(st.sampled_from(_HANDLER_NAMES), min_size=1, max_size=3, unique=True))
    vectors: list[X86Vector] = []
    for n in numbers:
        info = arch.exception(n)
        base = draw(st.sampled_from((None, *_NAME_BASES)))
        name = (info.name if info else f"vector_{n}") if base is None else f"{base}{n}"
        fact = arch.pushes_error_code(n)
        override = draw(st.integers(0, 15)) == 0
        stub = symbols.stub_pattern.format(prefix=symbols.prefix, n=n, name=name)
        has_ist = "ist" in arch.features and draw(st.booleans())
        use_simd = options.simd_inline or (options.simd is not SimdPolicy.NONE and draw(st.integers(0, 2)) > 0)
        simd = options.simd if use_simd else SimdPolicy.NONE
        vectors.append(
            X86Vector(
                number=n,
                name=name,
                vector_class=draw(st.sampled_from(tuple(VectorClass))),
                handler=draw(st.sampled_from((default_handler, *handler_pool))),
                stub_symbol=stub,
                error_code=fact != override,
                error_code_overridden=override,
                ist=draw(st.integers(1, 7)) if has_ist else None,
                gate=draw(st.sampled_from(tuple(GateType))),
                dpl=draw(st.integers(0, 3)),
                kernel_handler=draw(st.sampled_from((None, *options.kernel_handlers))),
                paranoid=options.paranoid and draw(st.integers(0, 2)) == 0,
                simd=simd,
            )
        )
    return vectors


@st.composite
def specs(
    draw: st.DrawFn,
    backends: Sequence[str] = ("gas", "c"),
    max_vectors: int = 256,
    arch_name: str | None = "x86_64",
    pad_words: Sequence[int] = PAD_WORDS,
) -> X86Spec:
    """A valid spec (see the module docstring); its outputs are drawn from ``backends``
    (those that generate for the architecture).  ``arch_name=None`` draws the architecture;
    ``pad_words`` are the sizes of pad slots in words."""
    if arch_name is None:
        arch_name = draw(st.sampled_from(tuple(ARCH_BACKENDS)))
    arch = _arch(arch_name)
    symbols = _symbols(draw, arch)
    prefix = symbols.prefix
    style = draw(st.sampled_from(tuple(StubStyle)))
    sections = Sections(
        draw(st.sampled_from(_CODE_SECTIONS)),
        draw(st.sampled_from(_TABLE_SECTIONS)),
        draw(st.sampled_from(_CODE_ALIGN)),
        draw(st.sampled_from(_POW2)),
    )
    default_handler = draw(st.sampled_from(_HANDLER_NAMES))
    returns = draw(st.sampled_from(tuple(ReturnModel)))
    convention = arch.conventions[0]
    align_stack = convention != "cdecl" or draw(st.booleans())
    handler = Handler(default_handler, convention, returns, align_stack)
    swapgs_possible = "swapgs" in arch.features
    options = draw(vector_options(arch_name, swapgs_possible))
    simd = draw(simd_options()) if "simd" in arch.features else Simd()
    # a syscall entry saves no SIMD state, so it cannot build a frame with the area inside
    want_syscall = "syscall" in arch.features and not options.simd_inline and draw(st.integers(0, 3)) == 0
    # a single-CPU kernel's syscall entry: its stack words at fixed addresses, no swapgs needed
    fixed_stack = want_syscall and draw(st.integers(0, 2)) == 0
    paranoid_gs = draw(paranoid_gs_options()) if options.paranoid else ParanoidGs()
    bases: tuple[str, ...] = ()
    if "segment_bases" in arch.features and draw(st.integers(0, 3)) == 0:
        # a gs_base slot reads IA32_KERNEL_GS_BASE, which a paranoid entry that switches
        # the GS base with wrgsbase (no swapgs) leaves holding the kernel's base when it
        # interrupts ring 0 with the user GS base live: that slot then misses the user base
        roles = _SEGMENT_BASES if not paranoid_gs.reads_gs_base else ("fs_base",)
        bases = tuple(draw(st.lists(st.sampled_from(roles), min_size=1, unique=True)))
    frame_pointer = style is StubStyle.CLASSIC and draw(st.integers(0, 3)) == 0
    below = options.simd is not SimdPolicy.NONE and not options.simd_inline
    needs = FrameNeeds(
        every_register=returns is not ReturnModel.VOID,
        registers=frozenset(
            ({"r12"} if below else set())
            | ({"rbx"} if options.paranoid else set())
            | ({arch.frame_pointer} if frame_pointer else set())
        ),
        simd_area=below,
        frame_pointer=frame_pointer,
        simd_state=draw(_inline_area_sizes(options.simd, simd)) if options.simd_inline else 0,
        segment_bases=bases,
    )
    numbers = draw(vector_sets(max_vectors))
    dropin = draw(dropin_options(arch_name, sections.table, style, not want_syscall and len(numbers) <= 48))
    frame = draw(frames(arch_name, prefix, needs, pad_words, dropin.vector_slot, dropin.vector_in_error_slot))
    # CR4.FSGSBASE lets ring 3 load a negative GS base, which misleads msr_sign paranoid
    # entries (the schema's paranoid_gs): with paranoid vectors the GS method decides it
    fsgsbase_ok = not options.paranoid or paranoid_gs.reads_gs_base
    entry = draw(entry_options(arch_name, prefix, frame, fsgsbase_ok))
    if options.paranoid or (want_syscall and not fixed_stack):
        entry = attrs.evolve(entry, swapgs=True)
    if not entry.exit_loads_cr3 and draw(st.integers(0, 3)) == 0:
        entry = attrs.evolve(entry, exit_frame=ExitFrame.STACK)
    handler = draw(handler_arguments(handler, frame))
    vectors = _vectors(draw, arch, symbols, default_handler, numbers, options)
    vectors = _identify_without_vector_slot(frame, vectors)
    syscall = draw(syscalls(prefix, frame, numbers, fixed_stack)) if want_syscall else None
    irq_stack = None
    if entry.swapgs and draw(st.integers(0, 2)) == 0:
        irq_stack = draw(irq_stacks(syscall))
        vectors = [attrs.evolve(v, irq_stack=_runs_on_irq_stack(draw, v, frame, handler)) for v in vectors]
    usable = [b for b in backends if b in ARCH_BACKENDS[arch.name]] or [ARCH_BACKENDS[arch.name][0]]
    chosen = draw(st.lists(st.sampled_from(usable), min_size=1, unique=True))
    local_stubs = dropin.visibility.stubs is SymbolVisibility.LOCAL
    outputs = [
        o
        for b in chosen
        for o in draw(split_outputs(b, DEFAULT_FILENAMES.get(b, f"isr.{b}"), syscall is not None, local_stubs))
    ]
    drawn = X86Spec(
        arch_name=arch.name,
        symbols=attrs.evolve(symbols, visibility=dropin.visibility),
        sections=sections,
        handler=handler,
        frame=frame,
        vectors=tuple(vectors),
        outputs=tuple(outputs),
        stub_style=style,
        entry=entry,
        simd=simd,
        syscall=syscall,
        table=dropin.table,
        stubs=dropin.stubs,
        debug=dropin.debug,
        paranoid_gs=paranoid_gs,
        irq_stack=irq_stack,
    )
    return drawn


@st.composite
def handler_arguments(draw: st.DrawFn, handler: Handler, frame: Frame) -> Handler:
    """``handler.args`` (the vector and error code after the frame, when the frame has
    those slots) and, for cdecl without stack alignment, the frame passed by value."""
    roles = {s.role for s in frame.slots}
    extra = [a for a in ("vector", "error_code") if a in roles]
    args = ("frame", *draw(st.lists(st.sampled_from(extra), unique=True, max_size=2))) if extra else ("frame",)
    frame_arg = "pointer"
    if handler.convention == "cdecl" and not handler.align_stack and args == ("frame",) and draw(st.booleans()):
        frame_arg = "value"
    return attrs.evolve(handler, args=args, frame_arg=frame_arg)


def spec_texts(
    backends: Sequence[str] = ("gas", "c"), max_vectors: int = 256, arch_name: str | None = "x86_64"
) -> st.SearchStrategy[str]:
    """YAML spec texts of :func:`specs` models, with and without ``classes:`` defaults."""
    return st.tuples(specs(backends, max_vectors, arch_name), st.booleans()).map(
        lambda pair: dump_spec(pair[0], classes=pair[1])
    )
