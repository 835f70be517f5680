"""The spec keys only x86 has: the x86 package's part of the shared pipeline's JSON Schema.

The core schema (``isrgen/spec/schema/spec.schema.json``) declares what every ISA on
the shared pipeline has; :data:`FRAGMENT` adds to the objects it names the keys that
mean something only on x86:

- a vector's IDT gate and how its entry treats GS and the stack: ``ist``, ``gate``,
  ``dpl`` (Intel SDM Vol. 3A 6.14.1), ``paranoid``, ``irq_stack``, ``simd``
  (:data:`VECTOR_OPTIONS`, for a vector entry and for each class's defaults), the
  gate attribute table's symbol (``symbols.gates``) and the table's entry width and
  format (``table.width``, ``table.contents``);
- the entry options of x86 hardware: ``swapgs``, ``endbr64``, ``fsgsbase``, CR3 on exit
  (``exit_loads_cr3``, ``exit_args``), the i386 data segments; stubs that start with
  ``cli`` or pad with a nop (``stubs.cli``, ``stubs.error_code_filler``);
- whole blocks: ``simd`` (XSAVE), ``syscall`` (SYSCALL/SYSRET), ``paranoid_gs``,
  ``irq_stack`` (per-CPU words reached through the kernel GS base);
- the frame layout (its slots are x86 register names), the calling conventions
  (``handler.convention``, ``align_stack``, ``frame_arg``: SysV and cdecl) and the
  call-frame information of the GAS and Rust outputs (``debug``).

:func:`isrgen.spec.schema.merge.merge_fragment` joins fragment and core;
:meth:`isrgen.arch.x86.isa.X86Isa.schema_fragment` hands this one to the core.
"""

from __future__ import annotations

from typing import Any

from isrgen.model.spec import VectorClass

#: frame slot names a layout item may be, in the order the schema lists them: the x86_64
#: and i386 general-purpose registers, the i386 segment registers, the software slots and
#: the CPU-pushed fields (named only so that the loader can say that the CPU saves them)
_LONG_MODE_GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", *(f"r{n}" for n in range(8, 16)))
_PROTECTED_MODE_GPRS = ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp")
_SEGMENT_REGISTERS = ("ds", "es", "fs", "gs")
_SOFTWARE_SLOTS = ("simd_area", "vector", "error_code", "frame_pointer", "frame_shift", "fs_base", "gs_base")
_CPU_PUSHED = ("rip", "cs", "rflags", "rsp", "ss", "eip", "eflags", "esp")
_LAYOUT_NAMES = (
    *_LONG_MODE_GPRS,
    *_PROTECTED_MODE_GPRS,
    *_SEGMENT_REGISTERS,
    "pushal",
    "pad",
    *_SOFTWARE_SLOTS,
    *_CPU_PUSHED,
)

#: the keys of a one-key layout item ``{slot: field_name}`` (the loader checks the value)
_LAYOUT_ITEM_KEYS: dict[str, Any] = {
    **{
        name: {"description": f"The struct field name of the {name} slot."}
        for name in (*_LONG_MODE_GPRS, *_PROTECTED_MODE_GPRS, *_SEGMENT_REGISTERS)
    },
    "pushal": {
        "description": (
            "i386: the PUSHAD block, named by a list of 8 struct field names, low address "
            "first (edi, esi, ebp, the original esp, ebx, edx, ecx, eax; Intel SDM Vol. 2B "
            "PUSHA)."
        ),
    },
    "pad": {"description": "A pad of N bytes (a multiple of the word size)."},
    "simd_state": {
        "description": (
            "x86_64: the SIMD save area inside the frame, {simd_state: N bytes}; the entry "
            "aligns the frame to 64 (XSAVE, Intel SDM Vol. 1 13.4)."
        ),
    },
    **{name: {"description": f"The struct field name of the {name} slot."} for name in _SOFTWARE_SLOTS},
    **{
        name: {
            "description": f"Listed so that isrgen can say that the CPU saves {name}; use frame.cpu_fields to name it."
        }
        for name in _CPU_PUSHED
    },
}

#: the per-vector keys a vector entry and each class default under ``classes`` take
VECTOR_OPTIONS: dict[str, Any] = {
    "ist": {
        "description": "Interrupt stack table index 1-7, or null for none.",
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": 7,
        "default": None,
    },
    "gate": {
        "enum": ["interrupt", "trap"],
        "description": (
            "IDT gate type: interrupt (IF cleared on entry) or trap (IF kept) (Intel SDM Vol. 3A 6.12.1.3)."
        ),
        "default": "interrupt",
    },
    "dpl": {
        "description": "Gate DPL: 3 lets ring-3 code raise the vector with int n.",
        "type": "integer",
        "minimum": 0,
        "maximum": 3,
        "default": 0,
    },
    "paranoid": {
        "type": "boolean",
        "description": "Decide swapgs from the GS base MSR instead of CS (NMI, #MC, #DB, #DF).",
        "default": False,
    },
    "irq_stack": {
        "type": "boolean",
        "description": (
            "Run the handler on the per-CPU IRQ stack (the spec-level irq_stack block); default: true "
            "for class irq when that block is given, false otherwise."
        ),
    },
    "simd": {
        "enum": ["none", "fxsave", "xsave"],
        "description": "SIMD state policy.",
        "default": "none",
    },
}

_SYMBOLS = {
    "properties": {
        "gates": {
            "description": (
                "Gate attribute table symbol (256 x [type_attr, ist] bytes for the IDT initialiser); may use {prefix}."
            ),
            "type": "string",
            "minLength": 1,
            "default": "{prefix}gate_attrs",
        },
    },
}

_HANDLER = {
    "properties": {
        "convention": {
            "description": (
                "How the handler receives the frame: sysv = frame pointer in rdi (x86_64); cdecl = frame "
                "pointer pushed on the stack (i386). Default: sysv on x86_64, cdecl on i386."
            ),
            "enum": ["sysv", "cdecl"],
        },
        "align_stack": {
            "type": "boolean",
            "description": (
                "cdecl: align the stack to 16 bytes at the call (default true); false pushes the frame pointer "
                "on the unaligned stack like xv6."
            ),
            "default": True,
        },
        "frame_arg": {
            "enum": ["pointer", "value"],
            "description": (
                "cdecl: pass a pointer to the frame (default), or call with the stack pointer at the frame so "
                "that the frame is the handler's by-value struct argument (e.g. void isr_handler(registers_t "
                "regs)); value needs align_stack: false (its default then)."
            ),
            "default": "pointer",
        },
    },
}

_FRAME = {
    "properties": {
        "layout": {
            "description": (
                "Software-saved slots, low address first: register names, segment registers and 'pushal' "
                "(i386), 'pad', 'simd_area' (address of the SIMD save area), then 'vector' (optional: without "
                "it every vector whose number does not land in the error-code slot needs its own handler) and "
                "'error_code', {simd_state: N} first with a 'frame_shift' slot (x86_64: the SIMD save area "
                "inside the frame; the entry moves the frame down to a 64-byte boundary and records the "
                "distance in frame_shift; every vector must save SIMD state; the frame size must be a multiple "
                "of 64), 'fs_base' and 'gs_base' (x86_64: the entry saves the FS base and the GS base into them "
                "and the exit writes them back; with entry.swapgs gs_base is the user GS base, "
                "IA32_KERNEL_GS_BASE after the entry's swapgs), optionally followed by 'frame_pointer' (classic "
                "or dense stubs; classic stubs store the interrupted rbp/ebp there, above the error code, and "
                "the entry points rbp/ebp at it: a frame-pointer backtrace then crosses the interrupt). An item "
                "may be a one-key mapping {slot: struct_field_name}; {pad: N} pads N bytes; a segment register "
                "(i386) may take a declaration {gs: {name: gs, width: 16, padding: [{__gsh: 16}]}} (see "
                "cpu_fields). The CPU-pushed part follows implicitly. Default: every general-purpose register "
                "(x86_64: r15 down to rax; i386: pushal, gs, fs, es, ds), then vector and error_code, with "
                "simd_area first when a vector saves SIMD state."
            ),
            "type": "array",
            "minItems": 1,
            "items": {
                "if": {"type": "string"},
                "then": {
                    "description": (
                        "A frame slot: a general-purpose register (x86_64: rax-r15; i386: eax-ebp), a segment "
                        "register (i386), pushal (i386), pad, simd_area, vector, error_code, frame_pointer, "
                        "frame_shift (with simd_state), fs_base or gs_base (x86_64). The names of CPU-pushed "
                        "fields are listed so that isrgen can say that the CPU saves them."
                    ),
                    "enum": list(_LAYOUT_NAMES),
                },
                "else": {
                    "type": "object",
                    "description": (
                        "{slot: field_name}, {pushal: [8 field names]}, {pad: bytes}, {simd_state: bytes} or, "
                        "for an i386 segment register, a declaration {gs: {name, width, padding}} (exactly one "
                        "key: the loader says so at the item)"
                    ),
                    "properties": _LAYOUT_ITEM_KEYS,
                    "additionalProperties": False,
                },
            },
        },
    },
}

_ENTRY = {
    "properties": {
        "swapgs": {
            "type": "boolean",
            "description": (
                "Conditional swapgs + lfence when the saved CS says ring 3 (CVE-2019-1125), and symmetrically "
                "on exit (with interrupts disabled). A trap-gate vector then gets an interrupt gate whose entry "
                "sets IF again after the swapgs (a real trap gate could take an interrupt before the swapgs)."
            ),
            "default": False,
        },
        "endbr64": {
            "type": "boolean",
            "description": "Start each stub and exported entry point with ENDBR64 (IBT).",
            "default": False,
        },
        "exit_loads_cr3": {
            "type": "boolean",
            "default": False,
            "description": (
                "The exit routine takes a page-table root in its second argument and loads CR3 when it is "
                "non-zero (the same as exit_args: [frame, cr3])."
            ),
        },
        "fsgsbase": {
            "type": "boolean",
            "default": False,
            "description": (
                "CR4.FSGSBASE is enabled: fs_base/gs_base frame slots are read with RDFSBASE/RDGSBASE and "
                "written back with WRFSBASE/WRGSBASE instead of RDMSR/WRMSR (x86_64)."
            ),
        },
        "exit_args": {
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {"enum": ["frame", "cr3"]},
            "default": ["frame"],
            "description": (
                "The exit routine's arguments by role, in calling-convention order (SysV: rdi, rsi; cdecl: the "
                "first and second stack argument): 'frame' is the frame to resume, 'cr3' a page-table root "
                "loaded into CR3 when it is non-zero. [cr3, frame] models a kernel whose trapret(cr3, frame) "
                "takes the root first."
            ),
        },
        "data_segments": {
            "type": "array",
            "items": {"enum": ["ds", "es", "fs", "gs"]},
            "uniqueItems": True,
            "description": "i386: segment registers loaded with data_selector after saving.",
            "default": [],
        },
        "data_selector": {
            "type": "integer",
            "minimum": 0,
            "maximum": 65535,
            "description": "i386: the kernel data segment selector (default 0x10).",
            "default": 16,
        },
        "data_selectors": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "ds": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 65535,
                    "description": (
                        "i386: the selector the entry loads into ds (saved in the frame first; SDM Vol. 3A 3.4.2)."
                    ),
                },
                "es": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 65535,
                    "description": (
                        "i386: the selector the entry loads into es (saved in the frame first; SDM Vol. 3A 3.4.2)."
                    ),
                },
                "fs": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 65535,
                    "description": (
                        "i386: the selector the entry loads into fs (saved in the frame first; SDM Vol. 3A 3.4.2)."
                    ),
                },
                "gs": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 65535,
                    "description": (
                        "i386: the selector the entry loads into gs (saved in the frame first; SDM Vol. 3A 3.4.2)."
                    ),
                },
            },
            "description": (
                "i386: each listed segment register gets its own selector after saving, instead of "
                "data_segments/data_selector (Linux i386: ds and es __USER_DS 0x7b, fs __KERNEL_PERCPU 0xd8, gs "
                "the stack-canary selector 0xe0). Every listed register must be saved in the frame. Default: "
                "none (data_segments/data_selector apply)."
            ),
        },
        "segments_from_ds": {
            "type": "boolean",
            "description": (
                "i386: only ds is saved in the layout; on exit the other data_segments get the saved ds value "
                "too (JamesM's tutorial kernel: pop ds, then copy it to es, fs and gs)."
            ),
            "default": False,
        },
    },
}

_SIMD = {
    "type": "object",
    "additionalProperties": False,
    "description": "SIMD save-area parameters.",
    "properties": {
        "xsave_mask": {
            "type": "integer",
            "minimum": 1,
            "maximum": 18446744073709551615,
            "description": "XCR0 components saved by xsave (x87=1, SSE=2, AVX=4).",
            "default": 3,
        },
        "area_size": {
            "type": "integer",
            "minimum": 512,
            "maximum": 65536,
            "description": (
                "Size of the xsave area. Default: computed for masks within x87|SSE|AVX (576 for the default "
                "mask); required otherwise."
            ),
        },
    },
}

_STUBS = {
    "properties": {
        "cli": {
            "enum": ["never", "trap_gates", "always"],
            "description": (
                "Start stubs with cli: never (default), only the stubs of trap gates (which keep IF set), or "
                "every stub (mittos64)."
            ),
            "default": "never",
        },
        "error_code_filler": {
            "enum": ["none", "nop"],
            "description": (
                "Classic stubs of vectors with a CPU error code: emit nothing (default) or a nop where the "
                "other stubs push the synthetic code (as mittos64's isr.S.py does)."
            ),
            "default": "none",
        },
    },
}

_SYSCALL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["handler"],
    "description": "A SYSCALL/SYSRET entry building the same frame, with the vector slot set to a marker.",
    "properties": {
        "entry": {
            "type": "string",
            "minLength": 1,
            "description": "Entry symbol (for MSR_LSTAR); may use {prefix}.",
            "default": "{prefix}syscall_entry",
        },
        "handler": {"type": "string", "description": "Handler symbol."},
        "marker": {
            "type": "integer",
            "minimum": -2147483648,
            "maximum": 18446744073709551615,
            "default": -1,
            "description": (
                "Value of the frame's vector slot for system calls, a sign-extended 32-bit immediate: "
                "-2147483648..2147483647, or the same 64-bit value written unsigned (0xFFFFFFFFFFFFFFFF is -1)."
            ),
        },
        "kernel_stack_gs": {
            "type": "integer",
            "minimum": 0,
            "maximum": 2147483647,
            "description": "GS-relative offset (kernel GS) of the kernel stack top.",
            "default": 8,
        },
        "user_stack_gs": {
            "type": "integer",
            "minimum": 0,
            "maximum": 2147483647,
            "description": "GS-relative offset (kernel GS) of a scratch slot for the user RSP.",
            "default": 16,
        },
        "user_cs": {
            "type": "integer",
            "minimum": 0,
            "maximum": 65535,
            "default": 35,
            "description": (
                "User code selector SYSRET loads into CS (default 0x23): IA32_STAR[63:48] + 16 with RPL forced "
                "to 3 (Intel SDM Vol. 2B, SYSRET)."
            ),
        },
        "user_ss": {
            "type": "integer",
            "minimum": 0,
            "maximum": 65535,
            "default": 27,
            "description": (
                "User stack selector SYSRET loads into SS (default 0x1B): IA32_STAR[63:48] + 8 with RPL 3, so "
                "it must be user_cs - 8 (Intel SDM Vol. 2B, SYSRET)."
            ),
        },
        "kernel_stack": {
            "type": ["string", "integer"],
            "minimum": -2147483648,
            "maximum": 18446744073709551615,
            "description": (
                "Instead of kernel_stack_gs: a data symbol (read RIP-relative) or an absolute address holding "
                "the kernel stack top, for a kernel without per-CPU GS data (a single CPU). Needs user_stack; "
                "then entry.swapgs is not required and the entry does not swap GS unless entry.swapgs is set."
            ),
        },
        "user_stack": {
            "type": ["string", "integer"],
            "minimum": -2147483648,
            "maximum": 18446744073709551615,
            "description": (
                "Instead of user_stack_gs: a data symbol or an absolute address of a scratch word where the "
                "entry stores the user RSP (mov %rsp, user_rsp_save(%rip))."
            ),
        },
        "restored": {
            "type": "array",
            "items": {
                "description": "A general-purpose register (x86_64: rax-r15; i386: eax-ebp).",
                "enum": [
                    "rax",
                    "rbx",
                    "rcx",
                    "rdx",
                    "rsi",
                    "rdi",
                    "rbp",
                    "r8",
                    "r9",
                    "r10",
                    "r11",
                    "r12",
                    "r13",
                    "r14",
                    "r15",
                    "eax",
                    "ebx",
                    "ecx",
                    "edx",
                    "esi",
                    "edi",
                    "ebp",
                ],
            },
            "description": (
                "Registers restored from the frame on sysretq; every other saved GPR is zeroed. Default: those "
                "of rax, rdx, rbx, rbp, r12-r15 (the SysV return and callee-saved registers) that the frame "
                "holds."
            ),
        },
    },
}

_PARANOID_GS = {
    "type": "object",
    "additionalProperties": False,
    "description": (
        "How paranoid vectors (NMI, #MC, #DB, #DF) make the kernel GS base live. msr_sign decides swapgs from "
        "the sign of IA32_GS_BASE, which is wrong once CR4.FSGSBASE lets ring 3 load a negative GS base with "
        "wrgsbase; the other methods save the interrupted GS base with rdgsbase, load this CPU's entry of the "
        "per-CPU offset table with wrgsbase and write the saved base back on exit (no swapgs), as Linux does "
        "with FSGSBASE."
    ),
    "properties": {
        "method": {
            "enum": ["msr_sign", "rdpid", "rdtscp", "lsl"],
            "default": "msr_sign",
            "description": (
                "msr_sign (default): rdmsr IA32_GS_BASE, swapgs unless negative. rdpid: CPU number from RDPID "
                "(IA32_TSC_AUX). rdtscp: from RDTSCP (ecx = IA32_TSC_AUX; clobbers eax/edx). lsl: from the "
                "segment limit of the GDT descriptor cpunode_selector. The CPU number is bits 11:0 of that "
                "value (Linux's CPUNODE layout: the node above). Every method but msr_sign needs CR4.FSGSBASE."
            ),
        },
        "offsets": {
            "type": "string",
            "minLength": 1,
            "description": (
                "Symbol of the per-CPU offset table: an array of u64, indexed by CPU number, each the GS base "
                "of that CPU's per-CPU block (Linux __per_cpu_offset). Required by every method but msr_sign."
            ),
        },
        "cpunode_selector": {
            "type": "integer",
            "minimum": 0,
            "maximum": 65535,
            "description": (
                "lsl only, and required there: the GDT selector whose segment limit holds (node << 12) | cpu "
                "(Linux __CPUNODE_SEG, 0x7b)."
            ),
        },
    },
}

_IRQ_STACK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["top_gs", "depth_gs"],
    "description": (
        "A per-CPU IRQ stack: the entry of an irq_stack vector (class irq by default) moves to it unless it is "
        "already on it, and back after the handler. Needs entry.swapgs (the offsets are relative to the kernel "
        "GS base)."
    ),
    "properties": {
        "top_gs": {
            "type": "integer",
            "minimum": 0,
            "maximum": 2147483647,
            "description": (
                "GS-relative offset (kernel GS) of the per-CPU word holding the IRQ stack top (16-byte aligned)."
            ),
        },
        "depth_gs": {
            "type": "integer",
            "minimum": 0,
            "maximum": 2147483647,
            "description": (
                "GS-relative offset (kernel GS) of the per-CPU in-use counter: 0 when the CPU is not on the IRQ "
                "stack; the entry increments it and switches only when it was 0, the exit decrements it after "
                "leaving the stack."
            ),
        },
    },
}

_TABLE = {
    "properties": {
        "width": {
            "enum": [4, 8],
            "description": (
                "Bytes per entry (default: the word size). 4 on x86_64 needs a kernel linked below 4 GiB "
                "(R_X86_64_32 relocations); i386 tables are 4 bytes."
            ),
        },
        "contents": {
            "enum": ["stubs", "idt"],
            "description": (
                "stubs: one stub address per vector. idt (a ready IDT image) is rejected: ELF cannot split a "
                "relocatable address into the gate's 16/16/32-bit pieces at assembly time; fill the IDT at boot "
                "from the stub table (the C header's isr_idt_fill)."
            ),
            "default": "stubs",
        },
    },
}

_DEBUG = {
    "properties": {
        "cfi": {
            "type": "boolean",
            "description": (
                "Call-frame information in the GAS and Rust outputs, x86_64 and i386 (default true); false to "
                "reproduce a kernel's glue that has none (the mittos64 drop-in, whose stub bytes are compared "
                "with its script's)."
            ),
            "default": True,
        },
        "cfi_sections": {
            "enum": ["eh_frame", "debug_frame"],
            "description": (
                "Section of the GAS output's call-frame information: eh_frame (default) or debug_frame, which "
                "survives a linker script that discards .eh_frame (the Rust output always uses rustc's choice)."
            ),
            "default": "eh_frame",
        },
    },
}

#: what x86 adds to the core spec schema: a partial schema whose objects deepen the core's
#: objects of the same path (see :func:`isrgen.spec.schema.merge.merge_fragment`)
FRAGMENT: dict[str, Any] = {
    "properties": {
        "symbols": _SYMBOLS,
        "handler": _HANDLER,
        "frame": _FRAME,
        "entry": _ENTRY,
        "simd": _SIMD,
        "stubs": _STUBS,
        "classes": {"properties": {c.value: {"properties": VECTOR_OPTIONS} for c in VectorClass}},
        "syscall": _SYSCALL,
        "paranoid_gs": _PARANOID_GS,
        "irq_stack": _IRQ_STACK,
        "vectors": {"items": {"properties": VECTOR_OPTIONS}},
        "table": _TABLE,
        "debug": _DEBUG,
    },
}
