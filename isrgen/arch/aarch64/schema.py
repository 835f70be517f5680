"""JSON Schema of the keys an ``arch: aarch64`` spec may use (editors complete from it)."""

from __future__ import annotations

from typing import Any

from .facts import SLOTS, STACK_SOURCE_REGISTERS

_IDENT = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}
_PATTERN = {"type": "string", "minLength": 1}
_SECTION = {"type": "string", "pattern": "^\\.?[A-Za-z_][A-Za-z0-9_.]*$"}
_VIS = {"enum": ["global", "local"]}
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


def _handler(description: str, *, returns: bool = True) -> dict[str, Any]:
    props: dict[str, Any] = {"symbol": {**_IDENT, "description": "The function's symbol."}, "args": _ARGS}
    if returns:
        props["returns"] = {
            "enum": ["void", "frame", "noreturn"],
            "description": "void: the glue resumes the (possibly modified) frame it saved; frame: the handler "
            "returns the frame to resume (another task's: a context switch); noreturn: never returns.",
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
        "arch": {"const": "aarch64"},
        "symbols": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "prefix": {**_IDENT, "description": "Prefix of every generated symbol and C macro."},
                "table": {**_PATTERN, "description": "The VBAR_EL1 table; may use {prefix}."},
                "entry": {**_PATTERN, "description": "Per-slot entry routine; may use {prefix}, {name}, {n}."},
                "exit": {**_PATTERN, "description": "Exit routine (x0 = frame; restores it and erets); {prefix}."},
                "exit_sp": {
                    **_PATTERN,
                    "description": "Optional second entry of the exit routine with the frame in sp, not x0 "
                    "(mov sp, x0; b trapret); may use {prefix}.",
                },
                "halt": {**_PATTERN, "description": "Halt routine (clears registers, masks DAIF, wfi loop)."},
                "visibility": {
                    "type": "object",
                    "additionalProperties": False,
                    "description": "global (.globl) or local (in the symbol table, not exported).",
                    "properties": {"table": _VIS, "entry": _VIS, "exit": _VIS},
                },
            },
        },
        "sections": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "code": {**_SECTION, "description": 'Section of the entry/exit code ("ax").'},
                "table": {**_SECTION, "description": 'Section of the vector table ("ax": the table is code).'},
                "code_align": {"type": "integer", "minimum": 4, "maximum": 4096, "description": "Power of two."},
            },
        },
        "table": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "style": {
                    "enum": ["branch", "inline", "linux"],
                    "description": "branch: one 'b' per slot; inline: the save sequence inside the slot (the "
                    "assembler fails if it outgrows 0x80 bytes); linux: stack switch + 'sub sp' in the slot, "
                    "then a branch.",
                }
            },
        },
        "frame": {
            "type": "object",
            "additionalProperties": False,
            "required": ["layout"],
            "properties": {
                "struct": {**_PATTERN, "description": "C struct name; may use {prefix}."},
                "layout": {
                    "type": "array",
                    "minItems": 1,
                    "description": "Slots low address first: x0..x30, sp (SP_EL0 for EL0/EL1t entries, the "
                    "interrupted SP_EL1 for EL1h ones), elr, spsr, esr, far, kind (slot number), pad, fpsimd "
                    "(q0-q31, fpcr, fpsr; 16-aligned), record (a 16-byte {x29, elr} frame record; needs "
                    "hardening.frame_record), or {name, holds, size} for a named slot or a second copy "
                    "of a register (Linux's orig_x0).",
                    "items": {
                        "oneOf": [
                            {"type": "string"},
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["name", "holds"],
                                "properties": {
                                    "name": _IDENT,
                                    "holds": {"type": "string"},
                                    "size": {"type": "integer", "minimum": 8, "maximum": 4096},
                                },
                            },
                        ]
                    },
                },
                "renames": {
                    "type": "object",
                    "additionalProperties": _IDENT,
                    "description": "Struct field names for roles, e.g. {elr: pc, spsr: pstate}.",
                },
            },
        },
        "stack": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "source": {
                    "enum": ["sp_el1", *STACK_SOURCE_REGISTERS],
                    "description": "Entries from EL0 build the frame below SP_EL1 (sp_el1), or below the address "
                    "held in this system register (a per-thread save block).",
                },
                "sp_el0": {
                    "enum": ["user", *STACK_SOURCE_REGISTERS],
                    "description": "What SP_EL0 holds in the kernel: the user SP (user), or the value of this "
                    "system register, loaded by entries from EL0 (a current-task pointer).",
                },
            },
        },
        "handler": _handler("The default handler of a used slot."),
        "kernel_handler": _handler("The handler of slots that 'use: kernel_handler' (EL1 synchronous faults)."),
        "bad_mode": _handler("Every slot not listed in 'slots' reaches it; it must not return.", returns=False),
        "slots": {
            "type": "array",
            "description": "The used slots; every other one goes to bad_mode.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["slot"],
                "properties": {
                    "slot": _SLOT,
                    "use": {"enum": ["handler", "kernel_handler", "bad_mode"], "description": "Default handler."},
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
                "args": _ARGS,
                "slot": _SLOT,
                "restored": {
                    "type": "array",
                    "items": {"type": "string"},
                    "uniqueItems": True,
                    "description": "GPRs restored from the frame before eret; every other GPR is zeroed.",
                },
            },
        },
        "hardening": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "clear_registers": {"type": "boolean", "description": "Zero x0-x30 after the save on EL0 entries."},
                "unmask_daif": {
                    "type": "array",
                    "items": {"enum": ["d", "a", "i", "f"]},
                    "uniqueItems": True,
                    "description": "DAIF bits unmasked after the save (masked again before the restore).",
                },
                "exit_barrier": {
                    "enum": ["none", "sb", "dsb_isb"],
                    "description": "Speculation barrier after eret: sb (FEAT_SB) or dsb nsh; isb.",
                },
                "frame_record": {
                    "type": "boolean",
                    "description": "A {x29, elr} frame record, x29 pointing at it: in the frame's 'record' slot "
                    "if the layout has one (Linux's stackframe), else just below the frame.",
                },
                "cfi": {"type": "boolean", "description": ".cfi directives: signal frame, return column ELR."},
            },
        },
        "outputs": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_-]*$"},
            "additionalProperties": {"type": "string", "pattern": "^[A-Za-z0-9_.+-]+$"},
            "description": "Backends to run by default, mapped to the file each writes.",
        },
    },
}
