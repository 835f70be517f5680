"""Property tests: drawn specs round-trip through YAML and the schema, and their generated
glue is proven with the real tools (C offsets, machine code under unicorn, backends agree).

The example count is small by default; set ISRGEN_PROOF_EXAMPLES for a longer run.
"""

from __future__ import annotations

import contextlib
import os

import jsonschema
from conftest import DEFAULT_SPEC, load_x86, loads_x86, require_module, require_tool
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from ruamel.yaml import YAML

import isrgen
from isrgen.arch.x86.dump import dump_spec
from isrgen.arch.x86.model import ErrorCodeFiller, ParanoidGsMethod, SimdPolicy, StubCli, X86Spec
from isrgen.model.layout import FieldKind
from isrgen.model.spec import ExitFrame, KernelFault, ReturnModel, SlotKind, StubStyle, SymbolVisibility
from isrgen.proof.prove import prove
from isrgen.spec.schema_check import spec_schema
from isrgen.testing import WIDE_PAD_WORDS, specs

EXAMPLES = int(os.environ.get("ISRGEN_PROOF_EXAMPLES", "12"))
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=_QUIET)


@_settings(max(50, EXAMPLES))
@given(specs(("gas", "c", "nasm", "rust"), 64, None, WIDE_PAD_WORDS), st.booleans())
def test_drawn_specs_validate_against_the_schema_and_load_back_equal(spec: X86Spec, classes: bool) -> None:
    text = dump_spec(spec, classes=classes)
    jsonschema.validate(YAML(typ="safe", pure=True).load(text), spec_schema())
    assert loads_x86(text, "drawn.yaml") == spec


@_settings(max(50, EXAMPLES))
@given(specs(arch_name=None, max_vectors=64, pad_words=WIDE_PAD_WORDS))
def test_layouts_of_drawn_specs_are_contiguous_and_aligned_at_the_call(spec: X86Spec) -> None:
    layout = isrgen.compute_layout(spec)
    assert [f.offset for f in layout.fields] == [
        sum(g.size for g in layout.fields[:i]) for i in range(len(layout.fields))
    ]
    if not layout.dynamic_align:
        assert (layout.size + layout.call_adjust) % 16 == 0
    assert [f.role for f in layout.fields if f.kind is FieldKind.CPU] == list(spec.arch.cpu_frame)


def _options_of(spec: X86Spec) -> dict[str, bool]:
    e = spec.entry
    paranoid = any(v.paranoid for v in spec.vectors)
    bases = {s.role for s in spec.frame.slots if s.kind is SlotKind.SEGMENT_BASE}
    fixed = spec.syscall is not None and spec.syscall.fixed_stack_slots
    stack_slots = (spec.syscall.kernel_stack, spec.syscall.user_stack) if spec.syscall is not None else ()
    return {
        "swapgs": e.swapgs,
        "clear_registers": e.clear_registers,
        "endbr64": e.endbr64,
        "kernel_fault halt": e.kernel_fault is KernelFault.HALT,
        "exit_loads_cr3": e.exit_loads_cr3,
        "data_segments": bool(e.data_segments),
        "syscall": spec.syscall is not None,
        "dense": spec.stub_style is StubStyle.DENSE,
        "noreturn": spec.handler.returns is ReturnModel.NORETURN,
        "frame": spec.handler.returns is ReturnModel.FRAME,
        "fxsave": any(v.simd is SimdPolicy.FXSAVE for v in spec.vectors),
        "xsave": any(v.simd is SimdPolicy.XSAVE for v in spec.vectors),
        "paranoid": paranoid,
        "kernel_handler": any(v.kernel_handler for v in spec.vectors),
        "pushal": any(s.block == "pushal" for s in spec.frame.slots),
        "segment": any(s.kind is SlotKind.SEGMENT for s in spec.frame.slots),
        "renamed cpu field": bool(spec.frame.cpu_names),
        "wide pad": any(s.kind is SlotKind.PAD and s.size > spec.arch.word_size for s in spec.frame.slots),
        "no align_stack": not spec.handler.align_stack,
        "local symbol": any(
            getattr(spec.symbols.visibility, k) is SymbolVisibility.LOCAL for k in ("stubs", "table", "entry", "exit")
        ),
        "4-byte table": spec.table_width == 4 and spec.arch.word_size == 8,
        "writable table": spec.table.writable,
        "table align": spec.table_align > spec.table_width,
        "stub cli": spec.stubs.cli is not StubCli.NEVER,
        "nop filler": spec.stubs.error_code_filler is ErrorCodeFiller.NOP,
        "vector_in_error_slot": bool(spec.frame.vector_in_error_slot),
        "no vector slot": not spec.frame.has_vector,
        "frame_pointer": spec.frame.has_frame_pointer,
        "segments_from_ds": spec.entry.segments_from_ds,
        "trap gate with swapgs": any(spec.reenables_interrupts(v) for v in spec.vectors),
        "exit_frame stack": spec.entry.exit_frame is ExitFrame.STACK,
        "no cfi": not spec.debug.cfi,
        "debug_frame": spec.debug.cfi_sections == "debug_frame",
        "split outputs": any(len(spec.outputs_for(o.backend)) > 1 for o in spec.outputs),
        "split syscall": any(o.parts and "syscall" in o.parts for o in spec.outputs),
        "data_selectors": bool(spec.entry.segment_selectors),
        "paranoid_gs rdpid": paranoid and spec.paranoid_gs.method is ParanoidGsMethod.RDPID,
        "paranoid_gs rdtscp": paranoid and spec.paranoid_gs.method is ParanoidGsMethod.RDTSCP,
        "paranoid_gs lsl": paranoid and spec.paranoid_gs.method is ParanoidGsMethod.LSL,
        "irq_stack": any(v.irq_stack for v in spec.vectors),
        "irq_stack with syscall": spec.irq_stack is not None and spec.syscall is not None,
        "narrow cpu field": bool(spec.frame.cpu_narrow),
        "narrow segment": any(s.narrow is not None for s in spec.frame.slots),
        "simd_state fxsave": spec.frame.simd_inline and any(v.simd is SimdPolicy.FXSAVE for v in spec.vectors),
        "simd_state xsave": spec.frame.simd_inline and any(v.simd is SimdPolicy.XSAVE for v in spec.vectors),
        "fs_base": "fs_base" in bases,
        "gs_base": "gs_base" in bases,
        "segment bases with fsgsbase": bool(bases) and e.fsgsbase,
        "segment bases with rdmsr": bool(bases) and not e.fsgsbase,
        "gs_base with swapgs": "gs_base" in bases and e.swapgs,
        "gs_base without swapgs": "gs_base" in bases and not e.swapgs,
        "renamed segment base": any(s.kind is SlotKind.SEGMENT_BASE and s.name != s.role for s in spec.frame.slots),
        "fsgsbase without segment bases": e.fsgsbase and not bases,
        "syscall stack at a symbol": fixed and any(isinstance(s, str) for s in stack_slots),
        "syscall stack at an address": fixed and any(isinstance(s, int) for s in stack_slots),
        "syscall stack in the top 2 GiB": fixed and any(isinstance(s, int) and s < 0 for s in stack_slots),
        "fixed syscall stack without swapgs": fixed and not e.swapgs,
        "fixed syscall stack with swapgs": fixed and e.swapgs,
        "segment bases with syscall": bool(bases) and spec.syscall is not None,
    }


def test_the_strategies_reach_every_entry_option() -> None:
    """Drawn specs cover each option family (so no option silently stops being drawn):
    derandomized, generation only, the same examples on every run; the search stops at the
    first example by which every option was seen."""
    wanted = {"x86_64", "i386", *_options_of(load_x86(DEFAULT_SPEC))}
    seen: set[str] = set()

    def everything_seen(spec: X86Spec) -> bool:
        seen.add(spec.arch_name)
        seen.update(k for k, on in _options_of(spec).items() if on)
        return wanted <= seen

    reach = settings(
        max_examples=3000,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
        phases=[Phase.generate],
    )
    with contextlib.suppress(NoSuchExample):
        find(specs(arch_name=None, max_vectors=24, pad_words=WIDE_PAD_WORDS), everything_seen, settings=reach)
    assert wanted <= seen, sorted(wanted - seen)


@_settings(EXAMPLES)
@given(specs(backends=("gas", "c"), max_vectors=48))
def test_drawn_specs_are_proven_with_gas_and_c(spec: X86Spec) -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    report = prove(spec, ["gas", "c"])
    assert report.ok, "\n".join(report.failures) + "\n" + dump_spec(spec)


@_settings(max(2, EXAMPLES // 4))
@given(specs(backends=("gas", "nasm", "rust"), max_vectors=16))
def test_drawn_specs_are_proven_across_backends(spec: X86Spec) -> None:
    require_tool("as", "ld", "nasm", "rustc")
    require_module("unicorn")
    report = prove(spec, ["gas", "nasm", "rust"])
    assert report.ok, "\n".join(report.failures) + "\n" + dump_spec(spec)
    assert [r.outcome for r in report.rows] == ["skipped", "proven", "proven", "proven"]


@_settings(max(3, EXAMPLES // 3))
@given(specs(backends=("gas", "nasm", "c"), max_vectors=32, arch_name="i386"))
def test_drawn_i386_specs_are_proven_with_gcc_m32_gas_and_nasm(spec: X86Spec) -> None:
    require_tool("as", "ld", "nasm", "gcc")
    require_module("unicorn")
    report = prove(spec, ["gas", "nasm", "c"])
    assert report.ok, "\n".join(report.failures) + "\n" + dump_spec(spec)
    outcomes = {r.name: r.outcome for r in report.rows}
    assert outcomes == {
        "C layout": "proven",
        "Rust layout": "skipped",
        "machine code": "proven",
        "backends agree": "proven",
    }
