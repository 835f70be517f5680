"""The registers x86 instruction selection reserves for its own use.

The spec checks read these (through :class:`isrgen.arch.facts.ArchFacts`) so that a
layout must save every register the generated code relies on; they are written here
once, next to the code that uses them.
"""

from __future__ import annotations

#: cdecl: the entry keeps the frame address in ebx across the call (callee-saved in the
#: i386 System V ABI, so the handler preserves it)
CDECL_FRAME_REGISTER = "ebx"
#: SIMD saving keeps the frame address in r12 while rsp points into the save area
#: (callee-saved in the System V AMD64 ABI 3.2.1)
SIMD_FRAME_REGISTER = "r12"
#: paranoid entries keep the swapgs decision in rbx (callee-saved)
PARANOID_FLAG_REGISTER = "rbx"
PARANOID_FLAG_REGISTER32 = "ebx"
#: sysretq loads RIP from rcx and RFLAGS from r11 (Intel SDM Vol. 2B SYSRET)
SYSRET_REGISTERS = ("rcx", "r11")
#: the registers a syscall entry restores when the spec lists none
SYSCALL_RESTORED = ("rax", "rdx", "rbx", "rbp", "r12", "r13", "r14", "r15")
