"""The default of every spec key, written once.

Where the model has the same value as an attrs default (``Sections.code_align``,
``Entry.data_selector``, ``Syscall.user_cs``, ...), the table reads it from the model
(:func:`isrgen.model.spec.default`); symbol patterns, which the model stores
expanded, are written here.  The loader and the resolve passes fill an absent key
from this table, and tests/test_defaults_once.py checks that the schema's
``default`` keywords, the defaults its descriptions and the README name, and the
model's attrs defaults all agree with it.

A few defaults depend on the architecture or on other keys and are computed where
they are used: ``table.width`` (the word size), ``table.align`` (the entry width),
``handler.convention`` (the ISA's first calling convention), ``handler.align_stack``
(true unless the frame is passed by value), ``simd.area_size`` (from the mask),
``syscall.restored`` (the ISA's list) and ``frame.layout``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from isrgen.arch.x86.model import ParanoidGs, Simd, Stubs, Syscall, X86Entry, X86Spec, X86Vector
from isrgen.model.spec import Debug, Frame, Handler, Sections, Table, Visibilities, default
from isrgen.spec.defaults import DEFAULT_PREFIX
from isrgen.spec.defaults import model_default as _model

#: the backends a spec without ``outputs`` runs, and the file each writes
DEFAULT_OUTPUTS: Mapping[str, str] = {"gas": "isr.S", "c": "isr.h"}


#: key path -> the value an absent key has, as a spec would write it
SPEC_DEFAULTS: Mapping[tuple[str, ...], Any] = {
    ("symbols", "prefix"): DEFAULT_PREFIX,
    ("symbols", "stub"): "{prefix}stub_{n}",
    ("symbols", "table"): "{prefix}table",
    ("symbols", "entry"): "{prefix}common",
    ("symbols", "exit"): "{prefix}return",
    ("symbols", "gates"): "{prefix}gate_attrs",
    **{("symbols", "visibility", k): _model(Visibilities, k) for k in ("stubs", "table", "entry", "exit")},
    ("sections", "code"): ".text.isr",
    ("sections", "table"): ".rodata.isr",
    ("sections", "code_align"): _model(Sections, "code_align"),
    ("sections", "stub_align"): _model(Sections, "stub_align"),
    ("stubs", "style"): _model(X86Spec, "stub_style"),
    ("stubs", "cli"): _model(Stubs, "cli"),
    ("stubs", "error_code_filler"): _model(Stubs, "error_code_filler"),
    ("table", "contents"): _model(Table, "contents"),
    # required by the schema: this is only what resolution goes on with after reporting it missing
    ("handler", "symbol"): "isr_handler",
    ("handler", "returns"): _model(Handler, "returns"),
    ("handler", "frame_arg"): _model(Handler, "frame_arg"),
    # with frame_arg: value the resolver keeps the CPU's alignment instead (see the module doc)
    ("handler", "align_stack"): _model(Handler, "align_stack"),
    ("handler", "args"): _model(Handler, "args"),
    ("frame", "struct"): "{prefix}frame",
    ("frame", "synthetic_error_code"): _model(Frame, "synthetic_error_code"),
    ("frame", "vector_in_error_slot"): _model(Frame, "vector_in_error_slot"),
    ("frame", "cpu_fields"): {},
    ("outputs",): dict(DEFAULT_OUTPUTS),
    ("entry", "swapgs"): _model(X86Entry, "swapgs"),
    ("entry", "clear_registers"): _model(X86Entry, "clear_registers"),
    ("entry", "endbr64"): _model(X86Entry, "endbr64"),
    # the older spelling of exit_args: [frame, cr3]; the model keeps only exit_args
    ("entry", "exit_loads_cr3"): False,
    ("entry", "segments_from_ds"): _model(X86Entry, "segments_from_ds"),
    ("entry", "halt"): "{prefix}halt",
    ("entry", "kernel_fault"): _model(X86Entry, "kernel_fault"),
    ("entry", "data_segments"): _model(X86Entry, "data_segments"),
    ("entry", "data_selector"): _model(X86Entry, "data_selector"),
    ("entry", "data_selectors"): dict(default(X86Entry, "segment_selectors")),
    ("entry", "exit_frame"): _model(X86Entry, "exit_frame"),
    ("entry", "exit_args"): _model(X86Entry, "exit_args"),
    ("entry", "fsgsbase"): _model(X86Entry, "fsgsbase"),
    ("simd", "xsave_mask"): _model(Simd, "xsave_mask"),
    ("paranoid_gs", "method"): _model(ParanoidGs, "method"),
    ("syscall", "entry"): "{prefix}syscall_entry",
    ("syscall", "marker"): _model(Syscall, "marker"),
    ("syscall", "kernel_stack_gs"): _model(Syscall, "kernel_stack_gs"),
    ("syscall", "user_stack_gs"): _model(Syscall, "user_stack_gs"),
    ("syscall", "user_cs"): _model(Syscall, "user_cs"),
    ("syscall", "user_ss"): _model(Syscall, "user_ss"),
    # every vector entry (and class default) may set these
    ("vectors", "kernel_handler"): _model(X86Vector, "kernel_handler"),
    ("vectors", "ist"): _model(X86Vector, "ist"),
    ("vectors", "gate"): _model(X86Vector, "gate"),
    ("vectors", "dpl"): _model(X86Vector, "dpl"),
    ("vectors", "paranoid"): _model(X86Vector, "paranoid"),
    ("vectors", "simd"): _model(X86Vector, "simd"),
    ("vectors", "error_code_override"): False,
    ("debug", "cfi"): _model(Debug, "cfi"),
    ("debug", "cfi_sections"): _model(Debug, "cfi_sections"),
}


def spec_default(*path: str) -> Any:
    """The default of the key at ``path`` (a fresh list for a list default)."""
    value = SPEC_DEFAULTS[path]
    return list(value) if isinstance(value, list) else value


__all__ = ["DEFAULT_OUTPUTS", "DEFAULT_PREFIX", "SPEC_DEFAULTS", "spec_default"]
