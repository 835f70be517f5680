"""x86 architecture facts: x86_64 (Intel SDM Vol. 3A ch. 6, AMD APM Vol. 2 ch. 8) and
i386 / IA-32 protected mode (Intel SDM Vol. 3A ch. 6)."""

from __future__ import annotations

from isrgen.arch.facts import ArchFacts, ExceptionInfo
from isrgen.arch.x86.assembler_words import ASSEMBLER_WORDS
from isrgen.arch.x86.codegen.registers import (
    CDECL_FRAME_REGISTER,
    PARANOID_FLAG_REGISTER,
    SIMD_FRAME_REGISTER,
    SYSCALL_RESTORED,
    SYSRET_REGISTERS,
)

_E = ExceptionInfo

# SDM Vol. 3A 6.3.1 table 6-1 and AMD APM Vol. 2 8.2: vectors 21 (#CP), 29 (#VC) and
# 30 (#SX) push an error code too; many kernels forget them.
EXCEPTIONS = (
    _E(0, "DE", "divide_error", False),
    _E(1, "DB", "debug", False),
    _E(2, "NMI", "nmi", False),
    _E(3, "BP", "breakpoint", False),
    _E(4, "OF", "overflow", False),
    _E(5, "BR", "bound_range", False),
    _E(6, "UD", "invalid_opcode", False),
    _E(7, "NM", "device_not_available", False),
    _E(8, "DF", "double_fault", True),
    _E(9, "CSO", "coprocessor_segment_overrun", False),
    _E(10, "TS", "invalid_tss", True),
    _E(11, "NP", "segment_not_present", True),
    _E(12, "SS", "stack_segment_fault", True),
    _E(13, "GP", "general_protection", True),
    _E(14, "PF", "page_fault", True),
    _E(15, "RES15", "reserved_15", False),
    _E(16, "MF", "x87_floating_point", False),
    _E(17, "AC", "alignment_check", True),
    _E(18, "MC", "machine_check", False),
    _E(19, "XM", "simd_floating_point", False),
    _E(20, "VE", "virtualization", False),
    _E(21, "CP", "control_protection", True),
    _E(22, "RES22", "reserved_22", False),
    _E(23, "RES23", "reserved_23", False),
    _E(24, "RES24", "reserved_24", False),
    _E(25, "RES25", "reserved_25", False),
    _E(26, "RES26", "reserved_26", False),
    _E(27, "RES27", "reserved_27", False),
    _E(28, "HV", "hypervisor_injection", False),
    _E(29, "VC", "vmm_communication", True),
    _E(30, "SX", "security", True),
    _E(31, "RES31", "reserved_31", False),
)

_GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")

# gcc predefines ``i386`` for 32-bit x86 targets in GNU dialects (``gcc -m32 -std=gnu11 -dM -E``);
# x86 kernels often compile one header in both modes, so neither mode may use the name
_GNU_MACROS = frozenset({"i386"})

_ALIASES = frozenset(
    "rax eax ax al ah rbx ebx bx bl bh rcx ecx cx cl ch rdx edx dx dl dh "
    "rsi esi si sil rdi edi di dil rbp ebp bp bpl rsp esp sp spl rip eip ip "
    "cs ds es fs gs ss cr0 cr2 cr3 cr4 cr8 dr0 dr1 dr2 dr3 dr6 dr7 st "
    "rflags eflags flags".split()
    + [f"r{i}{s}" for i in range(8, 16) for s in ("", "d", "w", "b", "l")]
    + [f"{k}mm{i}" for k in ("x", "y", "z") for i in range(32)]
    + [f"mm{i}" for i in range(8)]
    + [f"k{i}" for i in range(8)]
    + [f"st{i}" for i in range(8)]
    # control, debug, test, bound and tile registers and the pseudo index registers the
    # assemblers accept (SDM Vol. 3A 2.5, 18.2; Vol. 1 17.3; AMX) even where the mode lacks them
    + [f"{k}{i}" for k in ("cr", "dr") for i in range(16)]
    + [f"tr{i}" for i in range(8)]
    + [f"bnd{i}" for i in range(4)]
    + [f"tmm{i}" for i in range(8)]
    + ["riz", "eiz", "mxcsr"]
)

X86_64 = ArchFacts(
    name="x86_64",
    word_size=8,
    gprs=_GPRS,
    stack_pointer="rsp",
    # SDM Vol. 3A 6.14.2: in 64-bit mode the CPU aligns RSP to 16 bytes, then pushes
    # SS, RSP, RFLAGS, CS, RIP (and the error code), 8 bytes each.
    cpu_frame=("rip", "cs", "rflags", "rsp", "ss"),
    selector_fields=("cs", "ss"),
    exceptions=EXCEPTIONS,
    vector_count=256,
    call_alignment=16,
    interrupt_return="iretq",
    register_aliases=_ALIASES,
    # SysV AMD64 ABI 3.2.1: all but rbx, rbp, r12-r15 (and rsp) may be clobbered
    caller_saved=("rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"),
    conventions=("sysv",),
    return_register="rax",
    frame_pointer="rbp",
    features=frozenset({"swapgs", "syscall", "ist", "simd", "paranoid", "segment_bases"}),
    gate_size=16,
    reserved_registers=(("simd_frame", SIMD_FRAME_REGISTER), ("paranoid_flag", PARANOID_FLAG_REGISTER)),
    syscall_clobbered=SYSRET_REGISTERS,
    syscall_restored=SYSCALL_RESTORED,
    c_predefined_macros=_GNU_MACROS,
    assembler_words=ASSEMBLER_WORDS,
)

I386 = ArchFacts(
    name="i386",
    word_size=4,
    gprs=("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"),
    stack_pointer="esp",
    # SDM Vol. 3A 6.12.1 figure 6-4: EFLAGS, CS, EIP (and the error code) are pushed;
    # SS and ESP first, only when the interrupt changes the privilege level.
    cpu_frame=("eip", "cs", "eflags", "esp", "ss"),
    selector_fields=("cs", "ss"),
    # Which vectors push an error code is the same in protected mode (SDM table 6-1).
    exceptions=EXCEPTIONS,
    vector_count=256,
    # i386 SysV ABI as gcc uses it: 16-byte alignment at calls; the CPU does not align.
    call_alignment=16,
    interrupt_return="iretd",
    register_aliases=X86_64.register_aliases,
    caller_saved=("eax", "ecx", "edx"),
    conventions=("cdecl",),
    return_register="eax",
    frame_pointer="ebp",
    segment_registers=("ds", "es", "fs", "gs"),
    ring_change_only=("esp", "ss"),
    # pushad pushes EAX, ECX, EDX, EBX, the original ESP, EBP, ESI, EDI (SDM Vol. 2B PUSHA).
    pushal_order=("edi", "esi", "ebp", "esp", "ebx", "edx", "ecx", "eax"),
    cpu_aligns_stack=False,
    features=frozenset(),
    gate_size=8,
    reserved_registers=(("cdecl_frame", CDECL_FRAME_REGISTER),),
    c_predefined_macros=_GNU_MACROS,
    assembler_words=ASSEMBLER_WORDS,
)
