"""The JSON-schema of a riscv64 spec (every property described, unknown keys rejected)."""

from __future__ import annotations

from typing import Any

from .facts import GPRS, STATUS_BITS

_SYMBOL = {"type": "string", "minLength": 1, "description": "a symbol name or pattern using {prefix}"}
_REG = {"enum": list(GPRS), "description": "an ABI register name (ra, sp, gp, tp, t0-t6, s0-s11, a0-a7)"}
_ROLES = ["epc", "status", "tval", "cause", "orig_a0", "kernel_satp", "kernel_sp", "kernel_trap", "kernel_hartid"]
_CSR_ALIASES = ["sepc", "sstatus", "stval", "scause", "mepc", "mstatus", "mtval", "mcause"]

_SLOT = {
    "description": "a frame slot, low address first: a register or CSR name, or a mapping",
    "oneOf": [
        {"type": "string", "description": "an ABI register name, sepc/sstatus/stval/scause, orig_a0 or pad"},
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

_FRAME = {
    "type": "object",
    "additionalProperties": False,
    "required": ["layout"],
    "properties": {
        "struct": {"type": "string", "description": "the C/Rust struct name (pattern using {prefix})"},
        "layout": {"type": "array", "minItems": 1, "items": _SLOT, "description": "slots, low address first"},
        "size": {"type": "integer", "minimum": 8, "description": "total size in bytes (default: slots rounded to 16)"},
        "fp": {"type": "boolean", "description": "append f0-f31 and fcsr (8 bytes each) after the layout"},
    },
}

_HANDLER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["symbol"],
    "properties": {
        "symbol": _SYMBOL,
        "dispatch": {
            "type": "object",
            "additionalProperties": False,
            "required": ["interrupts", "exceptions"],
            "description": "call through handler tables indexed by the cause (bounds-checked); "
            "causes past a table go to symbol",
            "properties": {
                "interrupt_table": _SYMBOL | {"description": "array of handler pointers for interrupts"},
                "exception_table": _SYMBOL | {"description": "array of handler pointers for exceptions"},
                "interrupts": {"type": "integer", "minimum": 0, "maximum": 2047, "description": "entries"},
                "exceptions": {"type": "integer", "minimum": 0, "maximum": 2047, "description": "entries"},
            },
        },
        "returns": {
            "enum": ["void", "frame", "noreturn"],
            "description": "void: the entry restores its frame; frame: it restores the frame returned in a0; "
            "noreturn: the handler never returns (it leaves through the exit routine)",
        },
        "args": {
            "type": "array",
            "items": {"enum": ["frame", "cause"]},
            "description": "what a0, a1, ... hold at the call (the frame address, the cause register)",
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
        "arch": {"const": "riscv64"},
        "mode": {
            "enum": ["supervisor", "machine"],
            "description": "trap into S-mode (s-CSRs, sret) or M-mode (m-CSRs, mret)",
        },
        "symbols": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "prefix": {"type": "string", "description": "prefix of every generated symbol"},
                "entry": _SYMBOL | {"description": "the trap entry (stvec target in direct mode)"},
                "exit": _SYMBOL | {"description": "restores a frame (a0 = frame) and returns from the trap"},
                "vector": _SYMBOL | {"description": "the vector table (stvec base in vectored mode)"},
            },
        },
        "sections": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "section of the entry code, emitted as \"ax\""},
                "align": {"type": "integer", "minimum": 4, "description": "alignment of the stvec base"},
            },
        },
        "vector": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "mode": {"enum": ["direct", "vectored"], "description": "stvec MODE (priv 4.1.2)"},
                "slots": {"type": "integer", "minimum": 1, "maximum": 64,
                          "description": "vectored: 4-byte jump slots, one per interrupt cause"},
                "interrupts": {
                    "type": "object",
                    "description": "vectored: interrupt cause number -> symbol its slot jumps to "
                    "(not with kernel_switch: every slot jumps to the user entry)",
                    "additionalProperties": {"type": "string"},
                },
            },
        },
        "stack": {
            "type": "object",
            "additionalProperties": False,
            "required": ["protocol"],
            "properties": {
                "protocol": {
                    "enum": ["scratch_sp", "thread_pointer", "kernel_switch"],
                    "description": "scratch_sp: sscratch = kernel sp in U-mode, 0 in S-mode; thread_pointer: "
                    "sscratch = tp in U-mode, 0 in S-mode, stacks at offsets from tp; kernel_switch: the "
                    "kernel switches stvec between a user entry and a kernel entry itself",
                },
                "kernel_sp_offset": {"type": "integer", "minimum": 0, "maximum": 2040,
                                     "description": "thread_pointer: kernel sp at tp+n"},
                "user_sp_offset": {"type": "integer", "minimum": 0, "maximum": 2040,
                                   "description": "thread_pointer: user sp parked at tp+n"},
            },
        },
        "trampoline": {
            "type": "object",
            "additionalProperties": False,
            "required": ["address", "frame_address"],
            "description": "kernel_switch: user entry/exit in one page mapped at the same address everywhere",
            "properties": {
                "section": {"type": "string", "description": "the trampoline's own section"},
                "address": {"type": "integer", "minimum": 0, "description": "virtual address of the page"},
                "frame_address": {"type": "integer", "minimum": 0,
                                  "description": "fixed virtual address of the per-process frame"},
                "page_size": {"type": "integer", "description": "the page the section must fit in"},
                "userret": _SYMBOL | {"description": "userret(satp): switch to the user space and sret"},
                "userret_args": {
                    "type": "array", "items": {"enum": ["satp", "frame"]}, "minItems": 1, "maxItems": 2,
                    "default": ["satp"],
                    "description": "what a0, a1 hold when the kernel calls userret: the user satp and, "
                    "optionally, the frame's address (rCore-Tutorial's __restore(cx, satp): [frame, satp])",
                },
                "link_check": {"type": "boolean", "description": "a relocation that fails the link if "
                               "the output section outgrows its page"},
            },
        },
        "kernel_entry": {
            "type": "object",
            "additionalProperties": False,
            "required": ["symbol", "frame", "handler"],
            "description": "kernel_switch: the entry used while the kernel runs",
            "properties": {
                "symbol": _SYMBOL,
                "frame": _FRAME,
                "handler": _HANDLER,
                "no_restore": {"type": "array", "items": _REG, "description": "saved but not restored"},
            },
        },
        "frame": _FRAME,
        "handler": _HANDLER,
        "syscall": {
            "type": "object",
            "additionalProperties": False,
            "description": "ecall from U-mode (and S-mode, in machine mode): epc += 4, then only the restore "
            "list comes back",
            "properties": {
                "handler": _SYMBOL | {"description": "called (a0 = frame) for an ecall; required by scratch_sp "
                                      "and thread_pointer, refused by kernel_switch (its handler reads scause)"},
                "restore": {"type": "array", "items": _REG, "default": ["a0"],
                            "description": "registers restored on the return from an ecall; every other one "
                            "but sp is zeroed"},
            },
        },
        "entry": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "clear_registers": {"type": "boolean", "description": "zero user values after saving them"},
                "gp_reload": {"type": ["string", "boolean"],
                              "description": "reload gp from this symbol (true: __global_pointer$) on U entry"},
                "clear_status": {"type": "array", "items": {"enum": list(STATUS_BITS)},
                                 "description": "status bits cleared on entry, after saving it"},
                "clear_reservation": {"type": "boolean", "description": "sc to a dummy slot before returning"},
                "no_restore": {"type": "array", "items": _REG,
                               "description": "saved, not restored on a return to the kernel (tp = hart id)"},
                "cfi": {"type": "boolean", "description": "emit CFI so debuggers unwind into the trapped code"},
                "compressed": {"type": "boolean", "description": "allow RVC instructions in the entry"},
            },
        },
        "machine_timer": {
            "type": "object",
            "additionalProperties": False,
            "description": "an M-mode timer entry that re-arms mtimecmp and forwards the tick to S-mode",
            "properties": {
                "symbol": _SYMBOL | {"description": "the entry (mtvec, direct mode)"},
                "mtimecmp_offset": {"type": "integer", "minimum": 24, "maximum": 2040,
                                    "description": "where the scratch area (at mscratch) holds mtimecmp's address"},
                "interval_offset": {"type": "integer", "minimum": 24, "maximum": 2040,
                                    "description": "where the scratch area holds the interval in timer ticks"},
                "forward": {"enum": ["ssip", "stip"],
                            "description": "raise a supervisor software (sip.SSIP) or timer (mip.STIP) interrupt"},
            },
        },
        "outputs": {
            "type": "object",
            "additionalProperties": False,
            "description": "backend -> file name",
            "properties": {"gas": {"type": "string"}, "c": {"type": "string"}, "rust": {"type": "string"},
                           "gdb": {"type": "string"}},
        },
    },
}
