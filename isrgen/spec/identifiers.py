"""Which names may become symbols, struct fields and constants.

A generated name ends up in GNU as (Intel syntax), NASM, C and Rust, so it must
be a plain identifier there and must not collide with a keyword, a register or
an operator of any of those languages.  Checking here, at load time, turns a
confusing assembler or compiler error into a located spec error.
"""

from __future__ import annotations

import re

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: longer names are refused: NASM cuts labels short (4095 bytes), and no kernel needs them
MAX_IDENTIFIER = 255

C_KEYWORDS = frozenset(
    """auto break case char const continue default do double else enum extern float for goto
    if inline int long register restrict return short signed sizeof static struct switch typedef
    union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic
    _Imaginary _Noreturn _Static_assert _Thread_local alignas alignof bool constexpr false
    nullptr static_assert thread_local true typeof typeof_unqual _BitInt _Decimal32 _Decimal64
    _Decimal128 asm __asm__ __attribute__""".split()
)

# ISO C++17 [lex.key] and the alternative tokens of [lex.digraph]: the C header is also
# compiled as C++, so these cannot name a function, struct or field there.
CXX_KEYWORDS = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t
    char16_t char32_t class compl concept const consteval constexpr constinit const_cast continue
    co_await co_return co_yield decltype default delete do double dynamic_cast else enum explicit
    export extern false float for friend goto if inline int long mutable namespace new noexcept not
    not_eq nullptr operator or or_eq private protected public register reinterpret_cast requires
    return short signed sizeof static static_assert static_cast struct switch template this
    thread_local throw true try typedef typeid typename union unsigned using virtual void volatile
    wchar_t while xor xor_eq""".split()
)

# Names the C header's own includes define (C11 7.19 <stddef.h>, 7.20 <stdint.h>, 7.18
# <stdbool.h>): a symbol or field spelled like one is replaced by the preprocessor or
# redeclares a type.
C_LIBRARY_NAMES = frozenset(
    """NULL offsetof size_t ptrdiff_t wchar_t max_align_t intptr_t uintptr_t intmax_t uintmax_t
    bool true false PTRDIFF_MIN PTRDIFF_MAX SIZE_MAX WCHAR_MIN WCHAR_MAX WINT_MIN WINT_MAX
    SIG_ATOMIC_MIN SIG_ATOMIC_MAX INTPTR_MIN INTPTR_MAX UINTPTR_MAX INTMAX_MIN INTMAX_MAX
    UINTMAX_MAX INTMAX_C UINTMAX_C""".split()
)
#: the <stdint.h> exact-, least- and fast-width types and their limit and constant macros
C_STDINT_NAME = re.compile(r"u?int(_least|_fast)?(8|16|32|64)_t|U?INT(_LEAST|_FAST)?(8|16|32|64)_(MIN|MAX|C)")
#: macros GCC predefines in its GNU dialects (-std=gnu11) outside the reserved namespace on
#: every Linux target; an ISA's own ones are its ``ArchFacts.c_predefined_macros``
GNU_PREDEFINED = frozenset("linux unix".split())

RUST_KEYWORDS = frozenset(
    """as break const continue crate else enum extern false fn for if impl in let loop match mod
    move mut pub ref return self Self static struct super trait true type unsafe use where while
    async await dyn abstract become box do final macro override priv typeof unsized virtual
    yield try gen union""".split()
)


def identifier_reason(name: str) -> str | None:
    """Why ``name`` is not an identifier at all (bad characters, too long), or None.

    A vector name only ever appears as the upper-cased tail of a constant
    (``ISR_VEC_DB``), so this is all it must satisfy: ``db``, ``bp`` and ``ss`` are fine."""
    if not IDENTIFIER.match(name):
        shown = name if len(name) <= 60 else name[:60] + "..."
        return f"{shown!r} is not a valid identifier (letters, digits and '_', not starting with a digit)"
    if len(name) > MAX_IDENTIFIER:
        return f"{name[:40]!r}... is {len(name)} characters long (at most {MAX_IDENTIFIER})"
    return None


def reserved_reason(
    name: str,
    registers: frozenset[str],
    macros: frozenset[str] = frozenset(),
    assembler_words: tuple[tuple[str, frozenset[str]], ...] = (),
) -> str | None:
    """Why ``name`` cannot be used as a generated identifier, or None when it can.

    ``registers`` are the ISA's register names, ``macros`` the ones its C compilers
    predefine, ``assembler_words`` the words its assemblers read otherwise (what they
    are, lower-case words): ``ArchFacts.assembler_words``."""
    if not IDENTIFIER.match(name):
        shown = name if len(name) <= 60 else name[:60] + "..."
        return f"{shown!r} is not a valid identifier (letters, digits and '_', not starting with a digit)"
    if len(name) > MAX_IDENTIFIER:
        return f"{name[:40]!r}... is {len(name)} characters long (at most {MAX_IDENTIFIER})"
    lower = name.lower()
    if lower in registers:
        return f"{name!r} is a register name in assembly"
    if name in C_KEYWORDS:
        return f"{name!r} is a C keyword"
    if name in CXX_KEYWORDS:
        return f"{name!r} is a C++ keyword (the C header is also compiled as C++)"
    if name in C_LIBRARY_NAMES or C_STDINT_NAME.fullmatch(name):
        return f"{name!r} is defined by the C header's standard includes (<stddef.h>, <stdint.h>, <stdbool.h>)"
    if name in GNU_PREDEFINED or name in macros:
        return f"{name!r} is a macro GCC predefines in its GNU dialects (-std=gnu11)"
    if name in RUST_KEYWORDS:
        return f"{name!r} is a Rust keyword"
    for what, words in assembler_words:
        if lower in words:
            return f"{name!r} {what}"
    if name.startswith("__"):
        return f"{name!r} starts with '__', which C reserves"
    if name.startswith("..") or name.startswith(".L"):
        return f"{name!r} is an assembler-local label form"
    return None


def rust_type_name(name: str) -> str:
    """``isr_frame`` -> ``IsrFrame`` (Rust's convention for type names)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or name
