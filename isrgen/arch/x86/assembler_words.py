"""Words x86 assemblers read as something other than a symbol.

A generated symbol spelled like one would be misparsed, so the resolver refuses it
(:func:`isrgen.spec.identifiers.reserved_reason` with :data:`ASSEMBLER_WORDS`).
"""

from __future__ import annotations

NASM_KEYWORDS = frozenset(
    """section segment global extern common static bits use16 use32 use64 default rel abs absolute
    org align alignb times db dw dd dq dt do dy dz resb resw resd resq rest reso resy resz incbin
    equ struc endstruc istruc iend at seg wrt strict byte word dword qword tword oword yword zword
    near far short to nosplit cpu float warning map gotpc gotoff gottpoff got plt sym tlsie
    __sect__ __line__ __file__ __bits__ __output_format__ ptr""".split()
)

GAS_INTEL_KEYWORDS = frozenset(
    """offset ptr byte word dword qword tbyte xword oword xmmword ymmword zmmword fword
    flat short near far not and or xor mod shl shr eq ne lt le gt ge""".split()
)

# Mnemonics the generated code uses: a symbol with such a name would be misparsed.
# NASM parses an instruction prefix (and WAIT, which it treats as one) where a label may
# stand; GNU as Intel syntax takes some of them too (NASM manual 3.1, SDM Vol. 2A 2.1.1).
PREFIXES = frozenset(
    """lock rep repe repz repne repnz o16 o32 o64 a16 a32 a64 xacquire xrelease bnd nobnd wait
    rex rex64 data16 data32 addr16 addr32 notrack""".split()
)

MNEMONICS = frozenset(
    """push pop pushq popq mov movq lea call jmp ret iretq iretd iret sysretq sysret swapgs lfence
    mfence sfence cld std cli sti hlt int int3 test cmp and or xor add sub jz jnz je jne js jns
    nop endbr64 endbr32 fxsave fxsave64 fxrstor fxrstor64 xsave xsave64 xrstor xrstor64 rdmsr
    wrmsr pushal popal pusha popa pushad popad ud2 movzx bt shl shr sar""".split()
)

#: (what the assembler reads it as, the lower-case words), in the order they are checked
ASSEMBLER_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("is a NASM keyword", NASM_KEYWORDS),
    ("is reserved in GNU as Intel syntax", GAS_INTEL_KEYWORDS),
    ("is an instruction prefix in assembly", PREFIXES),
    ("is an instruction mnemonic", MNEMONICS),
)
