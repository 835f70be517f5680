"""JSON Schema of the keys an ``arch: aarch64`` spec may use.

:data:`SCHEMA` checks a spec's structure; register and slot names in it are plain
strings, so that the resolver reports a wrong one with its own message (which
register, which role, a hint).  :data:`EDITOR_SCHEMA`, the one ``isrgen schema``
prints, is the same schema with those names as enums: an editor completes them and
flags a typo as it is typed.
"""

from __future__ import annotations

import copy
from typing import Any

from .defaults import default
from .facts import GPRS, SLOTS, STACK_SOURCE_REGISTERS

#: what a frame slot may hold besides x0..x30 (the resolver reads the same list)
SPECIAL_ROLES = ("sp", "elr", "spsr", "esr", "far", "kind", "pad", "reserved", "fpsimd", "record")

_IDENT = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}
_PATTERN = {"type": "string", "minLength": 1}
_SECTION = {"type": "string", "pattern": "^\\.?[A-Za-z_][A-Za-z0-9_.]*$"}
_VIS = {"enum": ["global", "local"]}
_GPR_TEXT = "A general-purpose register x0..x30."
_ROLE_TEXT = "A register x0..x30 or a slot role: " + ", ".join(SPECIAL_ROLES) + "."
_GPR_NAME = {"type": "string", "description": _GPR_TEXT}
_ROLE_NAME = {"type": "string", "description": _ROLE_TEXT}
_GPR = {"enum": list(GPRS), "description": _GPR_TEXT}
_ROLE = {"enum": [*GPRS, *SPECIAL_ROLES], "description": _ROLE_TEXT}
_SLOT = {
    "oneOf": [
        {"enum": [s.name for s in SLOTS]},
        {"type": "integer", "minimum": 0, "maximum": 15},
    ],
    "description": "A vector slot: its name (el1t_sync ... el0_32_serror) or number 0..15 (Arm ARM D1.10.2).",
}
_ARGS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 3,
    "items": {"enum": ["frame", "kind", "esr"]},
    "description": "Parameters in x0, x1, x2: 'frame' (always first), then 'kind' (slot number) and/or 'esr' "
    "(ESR_EL1), e.g. void handler(struct isr_frame *f, uint64_t kind, uint64_t esr).",
}


def _visibility(key: str, description: str) -> dict[str, Any]:
    return {**_VIS, "description": description, "default": default(("symbols", "visibility", key))}


def _handler(key: str, description: str, *, returns: bool = True) -> dict[str, Any]:
    """The block of handler ``key`` (``handler``, ``kernel_handler``, ``bad_mode``)."""
    props: dict[str, Any] = {
        "symbol": {**_IDENT, "description": "The function's symbol."},
        "args": {**_ARGS, "default": default((key, "args"))},
    }
    if returns:
        props["returns"] = {
            "enum": ["void", "frame", "noreturn"],
            "description": "void: the glue resumes the (possibly modified) frame it saved; frame: the handler "
            "returns the frame to resume (another task's: a context switch); noreturn: never returns.",
            "default": default((key, "returns")),
        }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["symbol"],
        "description": description,
        "properties": props,
    }


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "isrgen aarch64 spec",
    "type": "object",
    "additionalProperties": False,
    "required": ["isrgen", "arch", "frame", "handler", "bad_mode"],
    "properties": {
        "$schema": {"type": "string", "description": "URL or path of this JSON Schema, for editors; ignored."},
        "isrgen": {"const": 1, "description": "Spec format version."},
        "arch": {"const": "aarch64", "description": "Target architecture: Armv8-A, exceptions taken to EL1."},
        "symbols": {
            "type": "object",
            "additionalProperties": False,
            "description": "Names of the generated symbols; patterns may use {prefix}.",
            "properties": {
                "prefix": {
                    **_IDENT,
                    "description": "Prefix of every generated symbol and C macro.",
                    "default": default(("symbols", "prefix")),
                },
                "table": {
                    **_PATTERN,
                    "description": "The VBAR_EL1 table; may use {prefix}.",
                    "default": default(("symbols", "table")),
                },
                "entry": {
                    **_PATTERN,
                    "description": "Per-slot entry routine; may use {prefix}, {name}, {n}.",
                    "default": default(("symbols", "entry")),
                },
                "exit": {
                    **_PATTERN,
                    "description": "Exit routine (x0 = frame; restores it and erets); {prefix}.",
                    "default": default(("symbols", "exit")),
                },
                "exit_sp": {
                    **_PATTERN,
                    "description": "Optional second entry of the exit routine with the frame in sp, not x0 "
                    "(mov sp, x0; b trapret); may use {prefix}.",
                },
                "halt": {
                    **_PATTERN,
                    "description": "Halt routine (clears registers, masks DAIF, wfi loop).",
                    "default": default(("symbols", "halt")),
                },
                "visibility": {
                    "type": "object",
                    "additionalProperties": False,
                    "description": "global (.globl) or local (in the symbol table, not exported).",
                    "properties": {
                        "table": _visibility("table", "The vector table."),
                        "entry": _visibility("entry", "The per-slot entry routines."),
                        "exit": _visibility("exit", "The exit routine."),
                    },
                },
            },
        },
        "sections": {
            "type": "object",
            "additionalProperties": False,
            "description": "The sections the code and the vector table go to.",
            "properties": {
                "code": {
                    **_SECTION,
                    "description": 'Section of the entry/exit code ("ax").',
                    "default": default(("sections", "code")),
                },
                "table": {
                    **_SECTION,
                    "description": 'Section of the vector table ("ax": the table is code).',
                    "default": default(("sections", "table")),
                },
                "code_align": {
                    "type": "integer",
                    "minimum": 4,
                    "maximum": 4096,
                    "description": "Alignment of the code section in bytes (a power of two).",
                    "default": default(("sections", "code_align")),
                },
            },
        },
        "table": {
            "type": "object",
            "additionalProperties": False,
            "description": "The VBAR_EL1 table: 16 slots of 0x80 bytes (Arm ARM D1.10.2).",
            "properties": {
                "style": {
                    "enum": ["branch", "inline", "linux"],
                    "description": "branch: one 'b' per slot; inline: the save sequence inside the slot (the "
                    "assembler fails if it outgrows 0x80 bytes); linux: stack switch + 'sub sp' in the slot, "
                    "then a branch.",
                    "default": default(("table", "style")),
                }
            },
        },
        "frame": {
            "type": "object",
            "additionalProperties": False,
            "required": ["layout"],
            "description": "The frame the entries store, low address first, and its C struct.",
            "properties": {
                "struct": {
                    **_PATTERN,
                    "description": "C struct name; may use {prefix}.",
                    "default": default(("frame", "struct")),
                },
                "layout": {
                    "type": "array",
                    "minItems": 1,
                    "description": "Slots low address first: x0..x30, sp (SP_EL0 for EL0/EL1t entries, the "
                    "interrupted SP_EL1 for EL1h ones), elr, spsr, esr, far, kind (slot number), pad, fpsimd "
                    "(q0-q31, fpcr, fpsr; 16-aligned), record (a 16-byte {x29, elr} frame record; needs "
                    "hardening.frame_record), or {name, holds, size} for a named slot or a second copy "
                    "of a register (Linux's orig_x0).",
                    "items": {
                        "if": {"type": "string"},
                        "then": _ROLE_NAME,
                        "else": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name", "holds"],
                            "properties": {
                                "name": {**_IDENT, "description": "The struct field's name."},
                                "holds": _ROLE_NAME,
                                "size": {
                                    "type": "integer",
                                    "minimum": 8,
                                    "maximum": 4096,
                                    "description": "Bytes (a multiple of 8; only a pad may be larger than 8).",
                                    "default": default(("frame", "layout", "size")),
                                },
                            },
                        },
                    },
                },
                "renames": {
                    "type": "object",
                    "additionalProperties": _IDENT,
                    "description": "Struct field names for roles, e.g. {elr: pc, spsr: pstate}.",
                    "default": default(("frame", "renames")),
                },
            },
        },
        "stack": {
            "type": "object",
            "additionalProperties": False,
            "description": "Where entries from EL0 put the frame, and what SP_EL0 holds in the kernel.",
            "properties": {
                "source": {
                    "enum": ["sp_el1", *STACK_SOURCE_REGISTERS],
                    "description": "Entries from EL0 build the frame below SP_EL1 (sp_el1), or below the address "
                    "held in this system register (a per-thread save block).",
                    "default": default(("stack", "source")),
                },
                "sp_el0": {
                    "enum": ["user", *STACK_SOURCE_REGISTERS],
                    "description": "What SP_EL0 holds in the kernel: the user SP (user), or the value of this "
                    "system register, loaded by entries from EL0 (a current-task pointer).",
                    "default": default(("stack", "sp_el0")),
                },
            },
        },
        "handler": _handler("handler", "The default handler of a used slot."),
        "kernel_handler": _handler(
            "kernel_handler", "The handler of slots that 'use: kernel_handler' (EL1 synchronous faults)."
        ),
        "bad_mode": _handler(
            "bad_mode", "Every slot not listed in 'slots' reaches it; it must not return.", returns=False
        ),
        "slots": {
            "type": "array",
            "description": "The used slots; every other one goes to bad_mode.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["slot"],
                "properties": {
                    "slot": _SLOT,
                    "use": {
                        "enum": ["handler", "kernel_handler", "bad_mode"],
                        "description": "Which declared handler the slot reaches.",
                        "default": default(("slots", "use")),
                    },
                    "symbol": {
                        **_IDENT,
                        "description": "This slot's own handler symbol (a kernel with one function per vector, "
                        "e.g. lower_el_aarch64_sync); its returns and args default to those of 'use'.",
                    },
                    "returns": {"enum": ["void", "frame", "noreturn"], "description": "This slot's handler's returns."},
                    "args": _ARGS,
                    "fpsimd": {
                        "type": "boolean",
                        "description": "false: this slot neither saves nor restores the frame's FP/SIMD area "
                        "(its handler must not touch FP/SIMD registers; not for handlers returning a frame, "
                        "nor for the syscall slot).",
                        "default": default(("slots", "fpsimd")),
                    },
                },
            },
        },
        "syscall": {
            "type": "object",
            "additionalProperties": False,
            "required": ["handler"],
            "description": "SVC from AArch64 EL0 (ESR_EL1.EC 0x15) reaches this handler from 'slot'.",
            "properties": {
                "handler": {**_IDENT, "description": "void handler(frame...); x0 in the frame is the result."},
                "args": {**_ARGS, "default": default(("syscall", "args"))},
                "slot": {**_SLOT, "default": default(("syscall", "slot"))},
                "restored": {
                    "type": "array",
                    "items": _GPR_NAME,
                    "default": default(("syscall", "restored")),
                    "uniqueItems": True,
                    "description": "GPRs restored from the frame before eret; every other GPR is zeroed.",
                },
            },
        },
        "hardening": {
            "type": "object",
            "additionalProperties": False,
            "description": "Optional entry/exit hardening and debugging aids.",
            "properties": {
                "clear_registers": {
                    "type": "boolean",
                    "description": "Zero x0-x30 after the save on EL0 entries.",
                    "default": default(("hardening", "clear_registers")),
                },
                "unmask_daif": {
                    "type": "array",
                    "items": {"enum": ["d", "a", "i", "f"]},
                    "uniqueItems": True,
                    "description": "DAIF bits unmasked after the save (masked again before the restore).",
                    "default": default(("hardening", "unmask_daif")),
                },
                "exit_barrier": {
                    "enum": ["none", "sb", "dsb_isb"],
                    "description": "Speculation barrier after eret: sb (FEAT_SB) or dsb nsh; isb.",
                    "default": default(("hardening", "exit_barrier")),
                },
                "frame_record": {
                    "type": "boolean",
                    "description": "A {x29, elr} frame record, x29 pointing at it: in the frame's 'record' slot "
                    "if the layout has one (Linux's stackframe), else just below the frame.",
                    "default": default(("hardening", "frame_record")),
                },
                "cfi": {
                    "type": "boolean",
                    "description": ".cfi directives: signal frame, return column ELR.",
                    "default": default(("hardening", "cfi")),
                },
            },
        },
        "outputs": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_-]*$"},
            "additionalProperties": {"type": "string", "pattern": "^[A-Za-z0-9_.+-]+$"},
            "description": "Backends to run by default, mapped to the file each writes.",
            "default": default(("outputs",)),
        },
    },
}


def _editor_schema() -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMA)
    frame = schema["properties"]["frame"]["properties"]
    frame["layout"]["items"]["then"] = _ROLE
    frame["layout"]["items"]["else"]["properties"]["holds"] = _ROLE
    frame["renames"]["propertyNames"] = _ROLE
    schema["properties"]["syscall"]["properties"]["restored"]["items"] = _GPR
    return schema


#: :data:`SCHEMA` with register and slot names as enums (what ``isrgen schema`` prints)
EDITOR_SCHEMA: dict[str, Any] = _editor_schema()
