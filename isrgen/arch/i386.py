"""i386 / IA-32 protected mode (Intel SDM Vol. 3A ch. 6)."""

from __future__ import annotations

from .base import ArchFacts
from .x86_64 import EXCEPTIONS, X86_64

I386 = ArchFacts(
    name="i386",
    word_size=4,
    gprs=("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"),
    stack_pointer="esp",
    # SDM Vol. 3A 6.12.1 figure 6-4: EFLAGS, CS, EIP (and the error code) are pushed;
    # SS and ESP first, only when the interrupt changes the privilege level.
    cpu_frame=("eip", "cs", "eflags", "esp", "ss"),
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
)
