"""The default of every ``arch: aarch64`` spec key, written once.

Where the model (:mod:`.options`) has the same value as an attrs default
(``Sections.code``, ``Handler.args``, ``Hardening.cfi``, ...), the table reads it from
the model; symbol patterns, which the model stores expanded, and the defaults the
model has no field default for are written here.  The schema's ``default`` keywords
(:mod:`.schema`) and the resolver (:mod:`.resolve`) take every default from this
table; tests/test_package_defaults.py checks both.

Keys are paths of spec keys; the keys of a list's items (``slots``, ``frame.layout``)
follow the list's key, as in :data:`isrgen.arch.x86.defaults.SPEC_DEFAULTS`.  Values are
spelled as a spec writes them (enum members as their strings, tuples as lists).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ...spec.defaults import DEFAULT_PREFIX
from ...spec.defaults import model_default as _model
from .options import FrameSlot, Handler, Hardening, Route, Sections, Stack, Symbols, Syscall, TableStyle, Use

#: what every handler block (handler, kernel_handler, bad_mode, syscall) defaults to
_HANDLER_RETURNS = _model(Handler, "returns")
_HANDLER_ARGS = _model(Handler, "args")

#: key path (as the resolver's located paths spell it) -> the value an absent key has,
#: as a spec would write it
DEFAULTS: Mapping[tuple[str | int, ...], Any] = {
    ("symbols", "prefix"): DEFAULT_PREFIX,
    ("symbols", "table"): "{prefix}vectors",
    ("symbols", "entry"): "{prefix}entry_{name}",
    ("symbols", "exit"): "{prefix}return",
    ("symbols", "halt"): "{prefix}halt",
    **{("symbols", "visibility", k): _model(Symbols, f"{k}_visibility") for k in ("table", "entry", "exit")},
    ("sections", "code"): _model(Sections, "code"),
    ("sections", "table"): _model(Sections, "table"),
    ("sections", "code_align"): _model(Sections, "code_align"),
    ("table", "style"): TableStyle.BRANCH.value,
    ("frame", "struct"): "{prefix}frame",
    ("frame", "layout", "size"): _model(FrameSlot, "size"),
    ("frame", "renames"): {},
    ("stack", "source"): _model(Stack, "source"),
    # the model's kernel_sp_el0 is None for this: SP_EL0 keeps the user SP
    ("stack", "sp_el0"): "user",
    ("handler", "returns"): _HANDLER_RETURNS,
    ("handler", "args"): _HANDLER_ARGS,
    ("kernel_handler", "returns"): _HANDLER_RETURNS,
    ("kernel_handler", "args"): _HANDLER_ARGS,
    ("bad_mode", "args"): _HANDLER_ARGS,
    ("slots", "use"): Use.HANDLER.value,
    ("slots", "fpsimd"): _model(Route, "fpsimd"),
    ("syscall", "args"): _HANDLER_ARGS,
    # SVC from AArch64 EL0 is a synchronous exception from a lower EL using AArch64
    # (Arm ARM D1.10.2: VBAR_EL1 + 0x400)
    ("syscall", "slot"): "el0_64_sync",
    ("syscall", "restored"): _model(Syscall, "restored"),
    **{
        ("hardening", k): _model(Hardening, k)
        for k in ("clear_registers", "unmask_daif", "exit_barrier", "frame_record", "cfi")
    },
    ("outputs",): {"gas": "isr.S", "c": "isr.h"},
}


def default(path: tuple[str | int, ...]) -> Any:
    """The default of the key at ``path`` (a fresh copy of a list or mapping)."""
    return copy.deepcopy(DEFAULTS[path])


__all__ = ["DEFAULTS", "default"]
