"""Which names a riscv64 spec may give its global symbols (entry, exit, handlers, tables).

Kernels name their trap glue in the implementation's namespace (rCore-Tutorial's
``__alltraps``/``__restore``, Linux's ``__switch_to``): a freestanding kernel *is* the
implementation, so a symbol may start with ``__`` as long as it cannot collide with what the
compilers and the linker define there.  Struct and field names keep the stricter C rule.
"""

from __future__ import annotations

from ...spec.identifiers import identifier_reason, reserved_reason

#: GCC/Clang keywords and built-in types spelled with two leading underscores and no trailing
#: ones (GCC manual "Alternate Keywords", "Extended Floating Types"), and the predefined
#: lower-case macros without trailing underscores on riscv64, x86_64, i386 and aarch64 Linux
#: (``gcc -dM -E``)
_IMPLEMENTATION_NAMES = frozenset(
    """__int128 __int128_t __uint128_t __thread __restrict __inline __const __signed __volatile
    __typeof __auto_type __alignof __real __imag __complex __attribute __asm __label __extension
    __float128 __float80 __ibm128 __fp16 __bf16 __seg_fs __seg_gs __func __null __has_include
    __has_attribute __has_builtin __has_feature __declspec __cdecl __stdcall __fastcall
    __linux __unix __gnu_linux __x86_64 __amd64 __k8 __i386 __i686 __aarch64 __arm64""".split()
)
#: prefixes the compilers' built-ins, the ISA's predefined macros and the linker's symbols use
#: (``__start_SEC``/``__stop_SEC`` are defined by GNU ld for each C-identifier section)
_IMPLEMENTATION_PREFIXES = (
    "__builtin",
    "__sync_",
    "__atomic_",
    "__riscv",
    "__start_",
    "__stop_",
    "__global_pointer",
    "__gnu_",
    "__cxa_",
    "__stack_chk",
    "__sanitizer",
    "__asan",
    "__tsan",
    "__ubsan",
    "__gcov",
    "__llvm",
)


def underscore_upper_reason(name: str) -> str | None:
    """C reserves ``_Upper`` names (C11 7.1.3): GCC predefines macros there (``_LP64``)."""
    if name[:1] == "_" and name[1:2].isupper():
        return f"{name!r} starts with '_' and an upper-case letter, which C reserves (GCC predefines _LP64)"
    return None


def symbol_reason(name: str, registers: frozenset[str]) -> str | None:
    """Why ``name`` cannot name a generated global symbol, or None when it can."""
    if not name.startswith("__"):
        return reserved_reason(name, registers) or underscore_upper_reason(name)
    reason = identifier_reason(name)
    if reason:
        return reason
    if name.endswith("__") or name[2:3].isupper():
        return f"{name!r} has the form of a compiler-predefined macro (__name__, __UPPER)"
    if name in _IMPLEMENTATION_NAMES or name.startswith(_IMPLEMENTATION_PREFIXES):
        return f"{name!r} is a name the compiler or linker defines"
    return None
