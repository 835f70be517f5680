"""Hypothesis strategies that draw valid isrgen specs (needs the ``hypothesis`` package).

Use them to test your own tooling around isrgen, or to fuzz isrgen itself::

    from hypothesis import given
    from isrgen.testing import specs

    @given(specs())
    def test_frame_is_aligned(spec):
        assert isrgen.compute_layout(spec).size % 8 == 0

:func:`specs` draws finished :class:`~isrgen.model.Spec` models: register save
orders, padding slots, vector sets and classes, per-vector handlers, IST/gate/DPL,
error-code overrides (recorded as such), sections and alignments, symbol
prefixes and patterns, handler return models and outputs.  Every drawn model is
one the loader accepts: written out with :func:`isrgen.dump.dump_spec` it loads
back equal.  :func:`spec_texts` draws that YAML text directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from .arch import get_arch
from .arch.base import ArchFacts
from .dump import dump_spec
from .identifiers import reserved_reason
from .loader import loads_spec
from .model import (
    Frame,
    GateType,
    Handler,
    Output,
    ReturnModel,
    Sections,
    Slot,
    SlotKind,
    Spec,
    StubStyle,
    Symbols,
    Vector,
    VectorClass,
)

#: backends whose output a drawn spec may list (filtered by what is installed)
DEFAULT_FILENAMES = {"gas": "isr.S", "c": "isr.h", "nasm": "isr.asm", "rust": "isr.rs"}

_STUB_PATTERNS = ("{prefix}stub_{n}", "{prefix}isr{n}", "{prefix}v{n:03d}", "{prefix}{name}", "{prefix}{name}_entry")
_NAME_BASES = ("irq", "dev", "sw", "vec_", "line")
_HANDLER_NAMES = ("dispatch_handler", "fault_handler", "irq_handler", "timer_handler", "soft_handler")
_CODE_SECTIONS = (".text.isr", ".text", ".text.irq_glue", ".isr_text", "isr_code")
_TABLE_SECTIONS = (".rodata.isr", ".rodata", ".isr_table", "isr_vectors")
_POW2 = (1, 2, 4, 8, 16, 32, 64)
_CODE_ALIGN = (*_POW2, 256, 4096)


def _arch(name: str) -> ArchFacts:
    arch = get_arch(name)
    if arch is None:
        raise ValueError(f"unknown architecture {name!r}")
    return arch


def _valid(arch: ArchFacts, *names: str) -> bool:
    return all(reserved_reason(n, arch.register_aliases) is None for n in names)


@st.composite
def frames(draw: st.DrawFn, arch_name: str = "x86_64", struct_prefix: str = "isr_") -> Frame:
    """A frame layout: all general-purpose registers in a random order, 0-3 pad slots
    anywhere among them, then ``vector`` and ``error_code`` (where the CPU needs them)."""
    arch = _arch(arch_name)
    regs = draw(st.permutations(arch.gprs))
    body: list[Slot] = [Slot(SlotKind.GPR, r) for r in regs]
    pads = draw(st.integers(0, 3))
    for _ in range(pads):
        at = draw(st.integers(0, len(body)))
        body.insert(at, Slot(SlotKind.PAD, "pad"))
    # pad names are numbered in layout order, as the loader does
    numbered: list[Slot] = []
    count = 0
    for slot in body:
        if slot.kind is SlotKind.PAD:
            numbered.append(Slot(SlotKind.PAD, f"_pad{count}"))
            count += 1
        else:
            numbered.append(slot)
    numbered += [Slot(SlotKind.VECTOR, "vector"), Slot(SlotKind.ERROR_CODE, "error_code")]
    struct = draw(st.sampled_from(("frame", "regs", "trap_frame", "int_ctx")))
    synthetic = draw(st.one_of(st.just(0), st.integers(-(2**31), 2**31 - 1)))
    return Frame(f"{struct_prefix}{struct}", tuple(numbered), synthetic)


@st.composite
def vector_sets(draw: st.DrawFn, max_vectors: int = 256) -> list[int]:
    """A non-empty, sorted set of vector numbers: sometimes all 256, sometimes a few."""
    everything = draw(st.integers(0, 4)) == 0 and max_vectors >= 256
    if everything:
        return list(range(256))
    # always include a few architectural exceptions with and without error codes
    picked = set(draw(st.lists(st.integers(0, 255), min_size=1, max_size=max(1, min(max_vectors, 40)))))
    return sorted(picked)[:max_vectors]


@st.composite
def specs(
    draw: st.DrawFn,
    backends: Sequence[str] = ("gas", "c"),
    max_vectors: int = 256,
    arch_name: str = "x86_64",
) -> Spec:
    """A valid spec (see the module docstring); its outputs are drawn from ``backends``."""
    arch = _arch(arch_name)
    prefix = draw(st.from_regex(r"[a-z]{1,4}_", fullmatch=True).filter(lambda p: _valid(arch, p + "x")))
    names = {
        "table": draw(st.sampled_from(("table", "vectors", "stub_table"))),
        "entry": draw(st.sampled_from(("common", "entry", "isr_common"))),
        "exit": draw(st.sampled_from(("return", "resume", "exit_frame"))),
        "gates": draw(st.sampled_from(("gate_attrs", "gates", "idt_attrs"))),
    }
    symbols = Symbols(
        prefix,
        draw(st.sampled_from(_STUB_PATTERNS)),
        f"{prefix}{names['table']}",
        f"{prefix}{names['entry']}",
        f"{prefix}{names['exit']}",
        f"{prefix}{names['gates']}",
    )
    code = draw(st.sampled_from(_CODE_SECTIONS))
    sections = Sections(
        code,
        draw(st.sampled_from(_TABLE_SECTIONS)),
        draw(st.sampled_from(_CODE_ALIGN)),
        draw(st.sampled_from(_POW2)),
    )
    default_handler = draw(st.sampled_from(_HANDLER_NAMES))
    handler = Handler(default_handler, "sysv", draw(st.sampled_from(tuple(ReturnModel))))
    frame = draw(frames(arch_name, prefix))
    handler_pool = draw(st.lists(st.sampled_from(_HANDLER_NAMES), min_size=1, max_size=3, unique=True))
    vectors: list[Vector] = []
    for n in draw(vector_sets(max_vectors)):
        info = arch.exception(n)
        base = draw(st.sampled_from((None, *_NAME_BASES)))
        name = (info.name if info else f"vector_{n}") if base is None else f"{base}{n}"
        fact = arch.pushes_error_code(n)
        override = draw(st.integers(0, 15)) == 0
        stub = symbols.stub_pattern.format(prefix=prefix, n=n, name=name)
        vectors.append(
            Vector(
                number=n,
                name=name,
                vector_class=draw(st.sampled_from(tuple(VectorClass))),
                handler=draw(st.sampled_from((default_handler, *handler_pool))),
                stub_symbol=stub,
                error_code=fact != override,
                error_code_overridden=override,
                ist=draw(st.one_of(st.none(), st.integers(1, 7))),
                gate=draw(st.sampled_from(tuple(GateType))),
                dpl=draw(st.integers(0, 3)),
            )
        )
    chosen = draw(st.lists(st.sampled_from(tuple(backends)), min_size=1, unique=True))
    outputs = tuple(Output(b, DEFAULT_FILENAMES.get(b, f"isr.{b}")) for b in chosen)
    drawn = Spec(
        arch_name=arch.name,
        symbols=symbols,
        sections=sections,
        handler=handler,
        frame=frame,
        vectors=tuple(vectors),
        outputs=outputs,
        stub_style=StubStyle.CLASSIC,
    )
    # the loader resolves what the model derives (defaults of newer options included)
    return loads_spec(dump_spec(drawn), "<drawn>")


def spec_texts(backends: Sequence[str] = ("gas", "c"), max_vectors: int = 256) -> st.SearchStrategy[str]:
    """YAML spec texts of :func:`specs` models."""
    return specs(backends, max_vectors).map(dump_spec)
