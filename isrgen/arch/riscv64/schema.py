"""The JSON-schema of a riscv64 spec (every property described, unknown keys rejected).

:data:`SCHEMA` checks a spec's structure; a frame slot written as a string is a plain
string there, so that the resolver reports a wrong one with its own message (a CSR of
the other mode, a trampoline word outside a kernel_switch frame).
:data:`EDITOR_SCHEMA`, the one ``isrgen schema`` prints, lists the slot names as an
enum: an editor completes them and flags a typo as it is typed.
"""

from __future__ import annotations

import copy
from typing import Any

from .defaults import default
from .facts import GPRS, STATUS_BITS

_SYMBOL = {"type": "string", "minLength": 1, "description": "a symbol name or pattern using {prefix}"}
_REG = {"enum": list(GPRS), "description": "an ABI register name (ra, sp, gp, tp, t0-t6, s0-s11, a0-a7)"}
_ROLES = ["epc", "status", "tval", "cause", "orig_a0", "kernel_satp", "kernel_sp", "kernel_trap", "kernel_hartid"]
_CSR_ALIASES = ["sepc", "sstatus", "stval", "scause", "mepc", "mstatus", "mtval", "mcause"]

#: what a frame slot written as a string may name
_SLOT_NAMES = [*GPRS, *_ROLES, *_CSR_ALIASES, "pad"]
_SLOT_TEXT = (
    "an ABI register name, sepc/sstatus/stval/scause (mepc/... in machine mode), orig_a0, pad or a trampoline word"
)

_SLOT = {
    "description": "a frame slot, low address first: a register or CSR name, or a mapping",
    "oneOf": [
        {"type": "string", "description": _SLOT_TEXT},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "description": "the field name in the C/Rust struct"},
                "holds": {
                    "enum": list(GPRS) + _ROLES + _CSR_ALIASES,
                    "description": "what the slot holds (a register, a trap CSR, orig_a0 or a trampoline word)",
                },
                "pad": {"type": "integer", "minimum": 8, "description": "a pad of this many bytes (multiple of 8)"},
            },
        },
    ],
}


def _frame(path: tuple[str, ...], description: str) -> dict[str, Any]:
    """The frame block at ``path`` (``frame``, ``kernel_entry.frame``)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["layout"],
        "description": description,
        "properties": {
            "struct": {
                "type": "string",
                "description": "the C/Rust struct name (pattern using {prefix})",
                "default": default((*path, "struct")),
            },
            "layout": {"type": "array", "minItems": 1, "items": _SLOT, "description": "slots, low address first"},
            "size": {
                "type": "integer",
                "minimum": 8,
                "description": "total size in bytes (default: the slots, rounded up to 16 for a frame on a stack)",
            },
            "fp": {
                "type": "boolean",
                "description": "append f0-f31 and fcsr (8 bytes each) after the layout",
                "default": default((*path, "fp")),
            },
        },
    }


def _handler(path: tuple[str, ...], description: str, *, tables: bool = True) -> dict[str, Any]:
    """The handler block at ``path``; ``tables``: the handler may dispatch through tables (the main entry's)."""

    def table(what: str, key: str) -> dict[str, Any]:
        node = _SYMBOL | {"description": f"array of handler pointers for {what}"}
        return node | {"default": default((*path, "dispatch", key))} if tables else node

    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["symbol"],
        "description": description,
        "properties": {
            "symbol": _SYMBOL | {"description": "the handler's symbol"},
            "dispatch": {
                "type": "object",
                "additionalProperties": False,
                "required": ["interrupts", "exceptions"],
                "description": "call through handler tables indexed by the cause (bounds-checked); "
                "causes past a table go to symbol",
                "properties": {
                    "interrupt_table": table("interrupts", "interrupt_table"),
                    "exception_table": table("exceptions", "exception_table"),
                    "interrupts": {"type": "integer", "minimum": 0, "maximum": 2047, "description": "entries"},
                    "exceptions": {"type": "integer", "minimum": 0, "maximum": 2047, "description": "entries"},
                },
            },
            "returns": {
                "enum": ["void", "frame", "noreturn"],
                "description": "void: the entry restores its frame; frame: it restores the frame returned in a0; "
                "noreturn: the handler never returns (it leaves through the exit routine)",
                "default": default((*path, "returns")),
            },
            "args": {
                "type": "array",
                "items": {"enum": ["frame", "cause"]},
                "description": "what a0, a1, ... hold at the call (the frame address, the cause register)",
                "default": default((*path, "args")),
            },
        },
    }


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "isrgen riscv64 spec",
    "type": "object",
    "additionalProperties": False,
    "required": ["isrgen", "arch", "frame", "handler"],
    "properties": {
        "$schema": {"type": "string", "description": "URL or path of this JSON Schema, for editors; ignored."},
        "isrgen": {"const": 1, "description": "spec format version"},
        "arch": {"const": "riscv64", "description": "target architecture: RV64 with the privileged architecture"},
        "mode": {
            "enum": ["supervisor", "machine"],
            "description": "trap into S-mode (s-CSRs, sret) or M-mode (m-CSRs, mret)",
            "default": default(("mode",)),
        },
        "symbols": {
            "type": "object",
            "additionalProperties": False,
            "description": "names of the generated symbols; patterns may use {prefix}",
            "properties": {
                "prefix": {
                    "type": "string",
                    "description": "prefix of every generated symbol",
                    "default": default(("symbols", "prefix")),
                },
                "entry": _SYMBOL
                | {
                    "description": "the trap entry (stvec target in direct mode)",
                    "default": default(("symbols", "entry")),
                },
                "exit": _SYMBOL
                | {
                    "description": "restores a frame (a0 = frame) and returns from the trap",
                    "default": default(("symbols", "exit")),
                },
                "vector": _SYMBOL
                | {
                    "description": "the vector table (stvec base in vectored mode)",
                    "default": default(("symbols", "vector")),
                },
            },
        },
        "sections": {
            "type": "object",
            "additionalProperties": False,
            "description": "where the entry code goes",
            "properties": {
                "code": {
                    "type": "string",
                    "description": 'section of the entry code, emitted as "ax"',
                    "default": default(("sections", "code")),
                },
                "align": {
                    "type": "integer",
                    "minimum": 4,
                    "description": "alignment of the stvec base (priv 4.1.2: at least 4)",
                    "default": default(("sections", "align")),
                },
            },
        },
        "vector": {
            "type": "object",
            "additionalProperties": False,
            "description": "stvec MODE and, in vectored mode, the interrupt slots",
            "properties": {
                "mode": {
                    "enum": ["direct", "vectored"],
                    "description": "stvec MODE (priv 4.1.2)",
                    "default": default(("vector", "mode")),
                },
                "slots": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 64,
                    "description": "vectored: 4-byte jump slots, one per interrupt cause",
                    "default": default(("vector", "slots")),
                },
                "interrupts": {
                    "type": "object",
                    "description": "vectored: interrupt cause number -> symbol its slot jumps to "
                    "(not with kernel_switch: every slot jumps to the user entry)",
                    "additionalProperties": {"type": "string"},
                    "default": default(("vector", "interrupts")),
                },
            },
        },
        "stack": {
            "type": "object",
            "additionalProperties": False,
            "required": ["protocol"],
            "description": "how the trap entry finds a kernel stack (or frame)",
            "properties": {
                "protocol": {
                    "enum": ["scratch_sp", "thread_pointer", "kernel_switch"],
                    "description": "scratch_sp: sscratch = kernel sp in U-mode, 0 in S-mode; thread_pointer: "
                    "sscratch = tp in U-mode, 0 in S-mode, stacks at offsets from tp; kernel_switch: the "
                    "kernel switches stvec between a user entry and a kernel entry itself",
                },
                "kernel_sp_offset": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 2040,
                    "description": "thread_pointer: kernel sp at tp+n",
                },
                "user_sp_offset": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 2040,
                    "description": "thread_pointer: user sp parked at tp+n",
                },
            },
        },
        "trampoline": {
            "type": "object",
            "additionalProperties": False,
            "required": ["address", "frame_address"],
            "description": "kernel_switch: user entry/exit in one page mapped at the same address everywhere",
            "properties": {
                "section": {
                    "type": "string",
                    "description": "the trampoline's own section",
                    "default": default(("trampoline", "section")),
                },
                "address": {"type": "integer", "minimum": 0, "description": "virtual address of the page"},
                "frame_address": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "fixed virtual address of the per-process frame",
                },
                "page_size": {
                    "type": "integer",
                    "description": "the page the section must fit in",
                    "default": default(("trampoline", "page_size")),
                },
                "userret": _SYMBOL
                | {
                    "description": "userret(satp): switch to the user space and sret",
                    "default": default(("trampoline", "userret")),
                },
                "userret_args": {
                    "type": "array",
                    "items": {"enum": ["satp", "frame"]},
                    "minItems": 1,
                    "maxItems": 2,
                    "default": default(("trampoline", "userret_args")),
                    "description": "what a0, a1 hold when the kernel calls userret: the user satp and, "
                    "optionally, the frame's address (rCore-Tutorial's __restore(cx, satp): [frame, satp])",
                },
                "link_check": {
                    "type": "boolean",
                    "description": "a relocation that fails the link if the output section outgrows its page",
                    "default": default(("trampoline", "link_check")),
                },
            },
        },
        "kernel_entry": {
            "type": "object",
            "additionalProperties": False,
            "required": ["symbol", "frame", "handler"],
            "description": "kernel_switch: the entry used while the kernel runs",
            "properties": {
                "symbol": _SYMBOL | {"description": "the entry stvec points at while the kernel runs"},
                "frame": _frame(("kernel_entry", "frame"), "the frame of a trap taken in the kernel"),
                "handler": _handler(
                    ("kernel_entry", "handler"),
                    "the C function the kernel entry calls (no handler tables)",
                    tables=False,
                ),
                "no_restore": {
                    "type": "array",
                    "items": _REG,
                    "description": "saved but not restored",
                    "default": default(("kernel_entry", "no_restore")),
                },
            },
        },
        "frame": _frame(("frame",), "the frame the trap entry stores"),
        "handler": _handler(
            ("handler",),
            "the C function the trap entry calls (kernel_switch: the one the user entry jumps to; its args "
            "default to none there)",
        ),
        "syscall": {
            "type": "object",
            "additionalProperties": False,
            "description": "ecall from U-mode (and S-mode, in machine mode): epc += 4, then only the restore "
            "list comes back",
            "properties": {
                "handler": _SYMBOL
                | {
                    "description": "called (a0 = frame) for an ecall; required by scratch_sp "
                    "and thread_pointer, refused by kernel_switch (its handler reads scause)"
                },
                "restore": {
                    "type": "array",
                    "items": _REG,
                    "default": default(("syscall", "restore")),
                    "description": "registers restored on the return from an ecall; every other one but sp is zeroed",
                },
            },
        },
        "entry": {
            "type": "object",
            "additionalProperties": False,
            "description": "what the entry does besides saving and restoring",
            "properties": {
                "clear_registers": {
                    "type": "boolean",
                    "description": "zero user values after saving them",
                    "default": default(("entry", "clear_registers")),
                },
                "gp_reload": {
                    "type": ["string", "boolean"],
                    "description": "reload gp from this symbol (true: __global_pointer$) on U entry",
                    "default": default(("entry", "gp_reload")),
                },
                "clear_status": {
                    "type": "array",
                    "items": {"enum": list(STATUS_BITS)},
                    "description": "status bits cleared on entry, after saving it",
                    "default": default(("entry", "clear_status")),
                },
                "clear_reservation": {
                    "type": "boolean",
                    "description": "sc to a dummy slot before returning",
                    "default": default(("entry", "clear_reservation")),
                },
                "no_restore": {
                    "type": "array",
                    "items": _REG,
                    "description": "saved, not restored on a return to the kernel (tp = hart id)",
                    "default": default(("entry", "no_restore")),
                },
                "cfi": {
                    "type": "boolean",
                    "description": "emit CFI so debuggers unwind into the trapped code",
                    "default": default(("entry", "cfi")),
                },
                "compressed": {
                    "type": "boolean",
                    "description": "allow RVC instructions in the entry",
                    "default": default(("entry", "compressed")),
                },
            },
        },
        "machine_timer": {
            "type": "object",
            "additionalProperties": False,
            "description": "an M-mode timer entry that re-arms mtimecmp and forwards the tick to S-mode",
            "properties": {
                "symbol": _SYMBOL
                | {"description": "the entry (mtvec, direct mode)", "default": default(("machine_timer", "symbol"))},
                "mtimecmp_offset": {
                    "type": "integer",
                    "minimum": 24,
                    "maximum": 2040,
                    "description": "where the scratch area (at mscratch) holds mtimecmp's address",
                    "default": default(("machine_timer", "mtimecmp_offset")),
                },
                "interval_offset": {
                    "type": "integer",
                    "minimum": 24,
                    "maximum": 2040,
                    "description": "where the scratch area holds the interval in timer ticks",
                    "default": default(("machine_timer", "interval_offset")),
                },
                "forward": {
                    "enum": ["ssip", "stip"],
                    "description": "raise a supervisor software (sip.SSIP) or timer (mip.STIP) interrupt",
                    "default": default(("machine_timer", "forward")),
                },
            },
        },
        "outputs": {
            "type": "object",
            "additionalProperties": False,
            "description": "backend -> file name",
            "default": default(("outputs",)),
            "properties": {
                "gas": {"type": "string", "description": "the assembly (GNU as)"},
                "c": {"type": "string", "description": "the C header: frame structs, stvec value, prototypes"},
                "rust": {"type": "string", "description": "the Rust module: global_asm! and #[repr(C)] structs"},
                "gdb": {"type": "string", "description": "the gdb Python script: frame printer and unwinder"},
            },
        },
    },
}


def _editor_schema() -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMA)
    frames = [schema["properties"]["frame"], schema["properties"]["kernel_entry"]["properties"]["frame"]]
    for frame in frames:
        frame["properties"]["layout"]["items"]["oneOf"][0] = {"enum": _SLOT_NAMES, "description": _SLOT_TEXT}
    return schema


#: :data:`SCHEMA` with the frame slots' names as an enum (what ``isrgen schema`` prints)
EDITOR_SCHEMA: dict[str, Any] = _editor_schema()
