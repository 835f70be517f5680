"""The i386 glue, assembled with the real 32-bit tools and linked with
``ld -m elf_i386``, runs under unicorn in 32-bit protected mode with real segment
descriptors.  Hypothesis draws the interrupted registers, segment selectors,
privilege level, stack position and flags; every vector class is delivered to
classic and dense stubs, with and without run-time stack alignment."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SPECS, loads_x86, require_module, require_tool, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import isrgen
from isrgen.arch.x86.emulation import protected_mode as e32
from isrgen.arch.x86.emulation.long_mode import EmulationError
from isrgen.arch.x86.model import X86Spec
from isrgen.model.layout import Field, FieldKind, FrameLayout
from isrgen.proof import toolchain

I386_SPEC = SPECS / "i386.yaml"

#: variant name -> (backend, text inserted before ``outputs:``, replacements)
VARIANTS: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "classic-gas": ("gas", "", ()),
    "classic-nasm": ("nasm", "", ()),
    "unaligned": ("gas", "", (("  returns: void\n", "  returns: void\n  align_stack: false\n"),)),
    "dense": ("gas", "stubs: {style: dense}\n", ()),
    "frame-return": ("gas", "", (("  returns: void\n", "  returns: frame\n"),)),
    # no data segments loaded, a different synthetic error code, the unaligned call
    "bare": (
        "gas",
        "",
        (
            ("  data_segments: [ds, es]   # load the kernel data selector after saving the user's\n", ""),
            ("  returns: void\n", "  returns: void\n  align_stack: false\n"),
            ("  layout: [pushal, gs, fs, es, ds, vector, error_code]\n",
             "  layout: [pushal, gs, fs, es, ds, vector, error_code]\n  synthetic_error_code: 0xdead\n"),
        ),
    ),
}  # fmt: skip


class Glue:
    """One variant's spec, layout and a ready emulator."""

    def __init__(self, spec: X86Spec, emu: e32.Emulator32):
        self.spec = spec
        self.layout: FrameLayout = isrgen.compute_layout(spec)
        self.emu = emu
        self.vectors = {v.number: v for v in spec.vectors}


def _spec_text(variant: str) -> str:
    _, extra, replacements = VARIANTS[variant]
    text = I386_SPEC.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.replace("outputs:\n", extra + "outputs:\n", 1)


def _build(variant: str, work: Path, *extra_objects: Path) -> tuple[X86Spec, Path]:
    backend = VARIANTS[variant][0]
    spec = loads_x86(_spec_text(variant), f"{variant}.yaml")
    out = {p.suffix: p for p in isrgen.build(spec, work, [backend, "c"])}
    if backend == "nasm":
        return spec, toolchain.assemble_nasm(out[".asm"], work / "isr.o", bits=32)
    return spec, toolchain.assemble_gas(out[".S"], work / "isr.o", bits=32)


@pytest.fixture(scope="module")
def glue(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Glue]:
    require_tool("as", "ld", "nasm")
    require_module("unicorn")
    cache: dict[str, Glue] = {}

    def get(variant: str) -> Glue:
        if variant not in cache:
            work = tmp_path_factory.mktemp(variant)
            spec, obj = _build(variant, work)
            image = e32.link32([obj], work)
            cache[variant] = Glue(spec, e32.Emulator32(image, table_symbol=spec.symbols.table))
        return cache[variant]

    return get


u32 = st.integers(0, 2**32 - 1)
gprs = st.fixed_dictionaries({r: u32 for r in e32.GPRS32})


def _segments(choices: tuple[int, ...]) -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries({s: st.sampled_from(choices) for s in e32.SEGMENTS})


# EFLAGS the interrupted code may hold: bit 1 set; IF, DF, and arithmetic flags drawn.
eflags_st = st.builds(
    lambda arith, i, d: e32.EFLAGS_FIXED | arith | (e32.EFLAGS_IF if i else 0) | (e32.EFLAGS_DF if d else 0),
    st.sampled_from([0, 0x1, 0x4, 0x10, 0x40, 0x80, 0x8D5]),
    st.booleans(),
    st.booleans(),
)


@st.composite
def deliveries(draw: st.DrawFn, numbers: list[int]) -> dict[str, object]:
    """An interrupt as the CPU delivers it: vector, who was interrupted, with what state."""
    user = draw(st.booleans())
    return {
        "vector": draw(st.sampled_from(numbers)),
        "user": user,
        "regs": draw(gprs),
        "segments": draw(_segments(e32.USER_LOADABLE if user else e32.KERNEL_LOADABLE)),
        "eflags": draw(eflags_st),
        # the CPU does not align the stack on i386: any dword position
        "esp": draw(st.integers(0, 15)) * 4 + e32.DEFAULT_STACK_TOP - 0x400,
        "user_esp": draw(u32.map(lambda v: v & ~3)),
        "error": draw(u32),
        "clobber": draw(st.fixed_dictionaries({r: u32 for r in e32.CALLER_SAVED32})),
        "handler_segments": draw(
            st.fixed_dictionaries(
                {"fs": st.sampled_from(e32.KERNEL_LOADABLE), "gs": st.sampled_from(e32.KERNEL_LOADABLE)}
            )
        ),
    }


def _named(layout: FrameLayout, name: str) -> Field:
    # by name: the pushal block's oesp slot has the role "esp" too
    return next(f for f in layout.fields if f.name == name)


def _slot(stop: e32.Stop32, frame: int, layout: FrameLayout, name: str) -> int:
    f = _named(layout, name)
    value = stop.u32(frame + f.offset)
    return value & 0xFFFF if f.value_size == 2 else value


def _deliver(g: Glue, d: dict[str, object]) -> e32.Stop32:
    v = g.vectors[d["vector"]]  # type: ignore[index]
    user = bool(d["user"])
    return g.emu.interrupt(
        v.number,
        regs=d["regs"],  # type: ignore[arg-type]
        segments=d["segments"],  # type: ignore[arg-type]
        cs=e32.USER_CS if user else e32.KERNEL_CS,
        eflags=d["eflags"],  # type: ignore[arg-type]
        esp=d["user_esp"] if user else d["esp"],  # type: ignore[arg-type]
        stack=d["esp"] if user else None,  # type: ignore[arg-type]
        error_code=d["error"] if v.error_code else None,  # type: ignore[arg-type]
    )


def _check_frame_at_handler(g: Glue, d: dict[str, object], stop: e32.Stop32) -> int:
    """Everything the handler sees; returns the frame address."""
    spec, layout = g.spec, g.layout
    v = g.vectors[d["vector"]]  # type: ignore[index]
    user = bool(d["user"])
    regs: dict[str, int] = d["regs"]  # type: ignore[assignment]
    segs: dict[str, int] = d["segments"]  # type: ignore[assignment]
    assert stop.symbol == spec.handler.symbol
    frame = stop.first_argument  # [esp+4] at the handler is the frame
    cpu_part = sum(f.size for f in layout.fields if f.kind is FieldKind.CPU and (user or not f.ring_change_only))
    software = sum(f.size for f in layout.fields if f.kind is not FieldKind.CPU)
    assert frame + software + cpu_part == stop.frame_top == d["esp"]
    if spec.handler.align_stack:
        assert stop.call_aligned, f"esp {stop.state.esp:#x} not 16-byte aligned at the call"
    else:
        assert stop.state.esp + 8 == frame, "push esp; call: the frame sits right above the argument"
    assert not stop.state.df
    for r in e32.GPRS32:
        assert _slot(stop, frame, layout, r) == regs[r], r
    # pushad stores the esp it found: the address just above its own block
    assert _slot(stop, frame, layout, "oesp") == frame + 32
    for s in e32.SEGMENTS:
        assert _slot(stop, frame, layout, s) == segs[s], s
    assert _slot(stop, frame, layout, "vector") == v.number
    expected_error = d["error"] if v.error_code else spec.frame.synthetic_error_code
    assert _slot(stop, frame, layout, "error_code") == expected_error
    assert _slot(stop, frame, layout, "eip") == e32.MARKER_BASE
    assert _slot(stop, frame, layout, "cs") == (e32.USER_CS if user else e32.KERNEL_CS)
    assert _slot(stop, frame, layout, "eflags") == d["eflags"]
    if user:
        assert _slot(stop, frame, layout, "esp") == d["user_esp"]
        assert _slot(stop, frame, layout, "ss") == e32.USER_DS
    loaded = set(spec.entry.data_segments)
    for s in e32.SEGMENTS:
        want = spec.entry.data_selector if s in loaded else segs[s]
        assert stop.state.segments[s] == want, f"{s} at the handler"
    assert (stop.state.cs, stop.state.ss) == (e32.KERNEL_CS, e32.KERNEL_DS)
    return frame


def _check_resumed(d: dict[str, object], back: e32.Stop32) -> None:
    user = bool(d["user"])
    assert back.resumed
    assert dict(back.state.gprs) == d["regs"]
    assert dict(back.state.segments) == d["segments"]
    assert back.state.eflags == d["eflags"]
    assert back.state.eip == e32.MARKER_BASE
    assert back.state.cs == (e32.USER_CS if user else e32.KERNEL_CS)
    assert back.state.esp == (d["user_esp"] if user else d["esp"])
    assert back.state.ss == (e32.USER_DS if user else e32.KERNEL_DS)


#: a different selector in each segment register, so a swapped push or pop shows
KERNEL_SEGS = (e32.KERNEL_DS, e32.KERNEL_PERCPU, e32.USER_DS & ~3, e32.USER_TLS)
USER_SEGS = (e32.USER_DS, e32.USER_TLS, 3, 0)

EMULATED = ["classic-gas", "classic-nasm", "unaligned", "dense", "bare"]


@pytest.mark.parametrize("variant", EMULATED)
def test_drawn_interrupts_build_the_frame_and_the_exit_path_restores_everything(
    variant: str, glue: Callable[[str], Glue]
) -> None:
    g = glue(variant)
    numbers = sorted(g.vectors)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(deliveries(numbers))
    def prop(d: dict[str, object]) -> None:
        stop = _deliver(g, d)
        _check_frame_at_handler(g, d, stop)
        back = g.emu.return_from_handler(
            clobber=d["clobber"],  # type: ignore[arg-type]
            segments=d["handler_segments"],  # type: ignore[arg-type]
        )
        _check_resumed(d, back)

    prop()


@pytest.mark.parametrize("variant", EMULATED)
def test_every_vector_class_reaches_the_handler(variant: str, glue: Callable[[str], Glue]) -> None:
    """Each of the 256 vectors once, from ring 0 and from ring 3 alternately."""
    g = glue(variant)
    for n in sorted(g.vectors):
        user = n % 2 == 1
        d: dict[str, object] = {
            "vector": n,
            "user": user,
            "regs": {r: (n * 0x01000193 + i * 0x9E3779B9) % 2**32 for i, r in enumerate(e32.GPRS32)},
            "segments": dict(zip(e32.SEGMENTS, USER_SEGS if user else KERNEL_SEGS, strict=True)),
            "eflags": e32.EFLAGS_FIXED | e32.EFLAGS_IF | (e32.EFLAGS_DF if n % 3 == 0 else 0),
            "esp": e32.DEFAULT_STACK_TOP - 4 * (n % 4),
            "user_esp": 0xBFFF_F000 - 4 * n,
            "error": 0x1000 + n,
        }
        _check_frame_at_handler(g, d, _deliver(g, d))
        _check_resumed(d, g.emu.return_from_handler(clobber=dict.fromkeys(e32.CALLER_SAVED32, 0xBAD)))


def test_dense_stub_vectors_above_127_are_not_sign_extended(glue: Callable[[str], Glue]) -> None:
    g = glue("dense")
    stubs = [g.emu.stub_address(n) for n in range(256)]
    assert all(b - a == 8 for a, b in itertools.pairwise(stubs)), "dense stubs are 8 bytes apart"
    stop = g.emu.interrupt(200)
    assert stop.u32(stop.first_argument + _named(g.layout, "vector").offset) == 200
    g.emu.return_from_handler()


def _frame_bytes(layout: FrameLayout, values: dict[str, int], user: bool) -> bytes:
    out = bytearray(layout.size)
    for f in layout.fields:
        if f.kind is FieldKind.PAD or (f.ring_change_only and not user) or f.name not in values:
            continue
        out[f.offset : f.offset + 4] = values[f.name].to_bytes(4, "little")
    return bytes(out if user else out[: layout.size - 8])


def _task_frame(n: int) -> dict[str, int]:
    values = {r: 0x7A5C0000 + n * 0x100 + i for i, r in enumerate(e32.GPRS32)}
    values.update(gs=0, fs=e32.USER_TLS, es=e32.USER_DS, ds=e32.USER_DS, vector=32, error_code=0)
    values.update(eip=e32.MARKER_BASE, cs=e32.USER_CS, eflags=e32.EFLAGS_FIXED | e32.EFLAGS_IF)
    values.update(esp=0xBFFF_0000 - 16 * n, ss=e32.USER_DS)
    return values


def test_a_handler_returning_another_frame_switches_to_it(glue: Callable[[str], Glue]) -> None:
    """returns: frame: ``mov esp, eax`` resumes the frame the handler returned (a user task)."""
    g = glue("frame-return")
    stop = g.emu.interrupt(32, regs=dict.fromkeys(e32.GPRS32, 1))
    assert stop.symbol == "isr_dispatch" and stop.call_aligned
    task = _task_frame(3)
    other = e32.DEFAULT_STACK_TOP - 0x2000
    g.emu.write(other, _frame_bytes(g.layout, task, user=True))
    back = g.emu.return_from_handler(other)
    assert back.resumed and g.emu.last_outer_return == "iretd"
    assert dict(back.state.gprs) == {r: task[r] for r in e32.GPRS32}
    assert dict(back.state.segments) == {s: task[s] for s in e32.SEGMENTS}
    assert (back.state.cs, back.state.ss, back.state.esp) == (e32.USER_CS, e32.USER_DS, task["esp"])
    # returning the frame it was given resumes the interrupted kernel code unchanged
    stop = g.emu.interrupt(33, regs=dict.fromkeys(e32.GPRS32, 7), segments={"gs": e32.KERNEL_PERCPU})
    back = g.emu.return_from_handler(stop.first_argument)
    assert back.resumed and dict(back.state.gprs) == dict.fromkeys(e32.GPRS32, 7)
    assert back.state.segments["gs"] == e32.KERNEL_PERCPU


def test_the_exit_routine_takes_the_frame_as_its_stack_argument(glue: Callable[[str], Glue]) -> None:
    g = glue("classic-gas")
    task = _task_frame(5)
    where = e32.DEFAULT_STACK_TOP - 0x3000
    g.emu.write(where, _frame_bytes(g.layout, task, user=True))
    back = g.emu.call(g.emu.symbol(g.spec.symbols.exit), args=[where])
    assert back.resumed
    assert dict(back.state.gprs) == {r: task[r] for r in e32.GPRS32}
    assert (back.state.eip, back.state.cs, back.state.esp) == (e32.MARKER_BASE, e32.USER_CS, task["esp"])


def test_return_to_ring_3_nulls_kernel_data_segments(glue: Callable[[str], Glue]) -> None:
    """SDM IRET: a data segment the outer level cannot use is loaded with null."""
    g = glue("classic-gas")
    g.emu.interrupt(128, cs=e32.USER_CS, esp=0xBFFF_0000, segments={"gs": e32.USER_TLS})
    back = g.emu.return_from_handler(segments={"gs": e32.KERNEL_PERCPU})
    # gs is restored from the frame (the user's TLS selector), so nothing is nulled
    assert back.state.segments["gs"] == e32.USER_TLS
    stop = g.emu.interrupt(128, cs=e32.USER_CS, esp=0xBFFF_0000)
    g.emu.write_u32(stop.first_argument + _named(g.layout, "fs").offset, e32.KERNEL_PERCPU)
    back = g.emu.return_from_handler()
    assert back.resumed and back.state.segments["fs"] == 0 and back.state.segments["ds"] == e32.USER_DS


def test_a_missing_error_code_is_seen_as_a_corrupt_return(glue: Callable[[str], Glue]) -> None:
    # #GP delivered without the CPU's error code: iretd pops EIP from the CS slot.
    g = glue("classic-gas")
    g.emu.interrupt(13)
    with pytest.raises(EmulationError, match=r"CPU fault|no handler reached"):
        g.emu.return_from_handler()


def test_a_bad_selector_in_the_frame_faults_on_the_exit_path(glue: Callable[[str], Glue]) -> None:
    """The GDT is real: popping a selector whose RPL exceeds its DPL is #GP."""
    g = glue("classic-gas")
    stop = g.emu.interrupt(32)
    g.emu.write_u32(stop.first_argument + _named(g.layout, "ds").offset, e32.KERNEL_DS | 3)
    with pytest.raises(EmulationError, match=r"CPU fault at 0x[0-9a-f]+ \(isr_common\+0x[0-9a-f]+\)"):
        g.emu.return_from_handler()


def test_usage_errors_are_one_line(glue: Callable[[str], Glue]) -> None:
    g = glue("classic-gas")
    with pytest.raises(isrgen.UsageError, match="vector table symbol 'nope'"):
        e32.Emulator32(g.emu.image, table_symbol="nope")
    with pytest.raises(isrgen.UsageError, match="not loadable in ring 0"):
        g.emu.interrupt(3, segments={"ds": 0x13})
    g.emu.interrupt(3)
    with pytest.raises(isrgen.UsageError, match="must preserve ebx"):
        g.emu.return_from_handler(clobber={"ebx": 1})
    g.emu.return_from_handler()


C_HANDLER = r"""
#include "isr.h"
/* Compiled by gcc -m32 against the generated header: reads every field through
   the struct and changes some, so the C offsets are checked by running them. */
uint32_t seen[32];
unsigned seen_esp_align;
void isr_dispatch(struct isr_frame *f)
{
    unsigned i = 0;
    seen[i++] = f->eax; seen[i++] = f->ecx; seen[i++] = f->edx; seen[i++] = f->ebx;
    seen[i++] = f->ebp; seen[i++] = f->esi; seen[i++] = f->edi; seen[i++] = f->oesp;
    seen[i++] = f->ds; seen[i++] = f->es; seen[i++] = f->fs; seen[i++] = f->gs;
    seen[i++] = f->vector; seen[i++] = f->error_code;
    seen[i++] = f->eip; seen[i++] = f->cs; seen[i++] = f->eflags;
    if (f->cs & 3) { seen[i++] = f->esp; seen[i++] = f->ss; }
    seen_esp_align = (unsigned)(uintptr_t)__builtin_frame_address(0) & 15;
    f->eax = ~f->eax;
    f->ebx += f->vector;
    f->gs = 0;
}
"""


def test_a_real_c_handler_reads_and_writes_the_frame_through_the_struct(tmp_path: Path) -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    spec, obj = _build("classic-gas", tmp_path)
    (tmp_path / "h.c").write_text(C_HANDLER)
    run(["gcc", "-m32", "-O2", "-ffreestanding", "-fno-pic", "-fno-stack-protector", "-mgeneral-regs-only",
         "-fno-asynchronous-unwind-tables", "-Wall", "-Werror", "-I", str(tmp_path), "-c", str(tmp_path / "h.c"),
         "-o", str(tmp_path / "h.o")])  # fmt: skip
    emu = e32.Emulator32(e32.link32([obj, tmp_path / "h.o"], tmp_path), table_symbol=spec.symbols.table)
    seen = emu.symbol("seen")
    for n, user in ((14, False), (32, True), (8, False), (128, True)):
        regs = {r: 0x10203040 * (i + 1) + n for i, r in enumerate(e32.GPRS32)}
        segs = {"ds": e32.USER_DS, "es": e32.USER_DS, "fs": e32.USER_TLS, "gs": e32.USER_TLS}
        error = 0xE0 + n if n in (8, 14) else None
        back = emu.interrupt(
            n, regs=regs, segments=segs, cs=e32.USER_CS if user else e32.KERNEL_CS, esp=0xBFFF_0000 if user else None,
            eflags=0x246, error_code=error,
        )  # fmt: skip
        assert back.resumed, "a defined handler runs and returns through iretd"
        got = [emu.read_u32(seen + 4 * i) for i in range(19 if user else 17)]
        want = [*(regs[r] for r in e32.GPRS32), 0, *(segs[s] for s in e32.SEGMENTS), n, error or 0, e32.MARKER_BASE]
        want += [e32.USER_CS if user else e32.KERNEL_CS, 0x246] + ([0xBFFF_0000, e32.USER_DS] if user else [])
        want[7] = got[7]  # oesp: the kernel stack address, checked below
        assert got == want
        assert got[7] % 4 == 0 and e32.STACK_BASE < got[7] < e32.DEFAULT_STACK_TOP
        assert back.state.gprs["eax"] == regs["eax"] ^ 0xFFFFFFFF
        assert back.state.gprs["ebx"] == (regs["ebx"] + n) % 2**32
        assert back.state.segments["gs"] == 0 and back.state.segments["fs"] == e32.USER_TLS
        assert {r: back.state.gprs[r] for r in ("ecx", "edx", "esi", "edi", "ebp")} == {
            r: regs[r] for r in ("ecx", "edx", "esi", "edi", "ebp")
        }
        # the handler's frame address: call at esp % 16 == 0, push ebp -> ebp % 16 == 8
        assert emu.read_u32(emu.symbol("seen_esp_align")) == 8
