"""The default of every ``arch: riscv64`` spec key, written once.

Where the model (:mod:`.options`) has the same value as an attrs default
(``Vector.slots``, ``Handler.args``, ``Hardening.cfi``, ...), the table reads it from
the model; symbol patterns, which the model stores expanded, and the defaults the
model has no field default for are written here.  The schema's ``default`` keywords
(:mod:`.schema`) and the resolver (:mod:`.resolve`) take every default from this
table; tests/test_package_defaults.py checks both.

Keys are paths of spec keys; the keys of a list's items (``frame.layout``) follow the
list's key, as in :data:`isrgen.arch.x86.defaults.SPEC_DEFAULTS`.  Values are spelled as
a spec writes them (enum members as their strings, tuples as lists).  A few entries
stand in for a key the schema requires: they are only what resolution goes on with
after reporting the key missing, and the schema states no default for them.

Two defaults depend on other keys and are computed where they are used: a frame's
``size`` (its slots, rounded up to 16 for a frame on a stack) and the main handler's
``args`` under ``stack.protocol: kernel_switch`` (none: the user entry jumps to it).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ...spec.defaults import field_default as _field_default
from ...spec.defaults import model_default as _model
from .facts import PAGE_SIZE, Mode
from .options import Handler, Hardening, KernelEntry, StackProtocol, Syscall, Trampoline, Vector

#: a handler block's keys (the main entry's and, under kernel_entry, the kernel entry's)
_HANDLER: Mapping[tuple[str, ...], Any] = {
    # required by the schema: a stand-in
    ("symbol",): "trap_handler",
    ("returns",): _model(Handler, "returns"),
    ("args",): _model(Handler, "args"),
}

#: a frame block's keys, but its struct name (the main entry's and the kernel entry's)
_FRAME: Mapping[tuple[str, ...], Any] = {
    # required by the schema: a stand-in
    ("layout",): [],
    # the field name of a pad the spec names not, {offset} its offset in the frame
    ("layout", "name"): "pad{offset}",
    ("fp",): False,
}

#: key path (as the resolver's located paths spell it) -> the value an absent key has,
#: as a spec would write it
DEFAULTS: Mapping[tuple[str | int, ...], Any] = {
    ("mode",): Mode.SUPERVISOR.value,
    ("symbols", "prefix"): "trap_",
    ("symbols", "entry"): "{prefix}entry",
    ("symbols", "exit"): "{prefix}return",
    ("symbols", "vector"): "{prefix}vector",
    ("sections", "code"): ".text.trap",
    ("sections", "align"): _model(Vector, "align"),
    # the model holds the stvec MODE field's value (priv 4.1.2: 0 direct, 1 vectored)
    ("vector", "mode"): _field_default(Vector, "mode").name.lower(),
    ("vector", "slots"): _model(Vector, "slots"),
    # the model keeps the cause -> symbol mapping as pairs
    ("vector", "interrupts"): dict(_field_default(Vector, "targets")),
    # a spec without a stack block
    ("stack", "protocol"): StackProtocol.SCRATCH_SP.value,
    # required by the thread_pointer protocol: stand-ins
    ("stack", "kernel_sp_offset"): 0,
    ("stack", "user_sp_offset"): 0,
    ("trampoline", "section"): "trampsec",
    # required by the schema: stand-ins
    ("trampoline", "address"): 0,
    ("trampoline", "frame_address"): 0,
    ("trampoline", "page_size"): PAGE_SIZE,
    ("trampoline", "userret"): "{prefix}userret",
    ("trampoline", "userret_args"): _model(Trampoline, "userret_args"),
    ("trampoline", "link_check"): _model(Trampoline, "link_check"),
    # required by the schema: a stand-in
    ("kernel_entry", "symbol"): "{prefix}kernelvec",
    ("kernel_entry", "frame", "struct"): "{prefix}kernel_frame",
    **{("kernel_entry", "frame", *k): v for k, v in _FRAME.items()},
    **{("kernel_entry", "handler", *k): v for k, v in _HANDLER.items()},
    ("kernel_entry", "no_restore"): _model(KernelEntry, "no_restore"),
    ("frame", "struct"): "{prefix}frame",
    **{("frame", *k): v for k, v in _FRAME.items()},
    **{("handler", *k): v for k, v in _HANDLER.items()},
    ("handler", "dispatch", "interrupt_table"): "{prefix}interrupt_handlers",
    ("handler", "dispatch", "exception_table"): "{prefix}exception_handlers",
    # required by the schema: stand-ins
    ("handler", "dispatch", "interrupts"): 0,
    ("handler", "dispatch", "exceptions"): 0,
    # required with a stack protocol: a stand-in
    ("syscall", "handler"): "syscall_handler",
    ("syscall", "restore"): _model(Syscall, "restore"),
    **{
        ("entry", k): _model(Hardening, k)
        for k in ("clear_registers", "clear_status", "clear_reservation", "no_restore", "cfi", "compressed")
    },
    # the model's gp_reload is None for this: gp is left alone
    ("entry", "gp_reload"): False,
    ("machine_timer", "symbol"): "{prefix}timervec",
    # the scratch area's first three words hold a1-a3 while the entry runs
    ("machine_timer", "mtimecmp_offset"): 24,
    ("machine_timer", "interval_offset"): 32,
    ("machine_timer", "forward"): "ssip",
    ("outputs",): {"gas": "trap.S", "c": "trap.h"},
}


def default(path: tuple[str | int, ...]) -> Any:
    """The default of the key at ``path`` (a fresh copy of a list or mapping)."""
    return copy.deepcopy(DEFAULTS[path])


__all__ = ["DEFAULTS", "default"]
