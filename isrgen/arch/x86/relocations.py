"""How many bytes each x86 ELF relocation type patches, for comparing relocated code.

x86_64: System V AMD64 psABI, table 4.10 ("Relocation Types"); i386: System V
i386 ABI supplement, "Relocation Types" (R_386_16/PC16/8/PC8 are the GNU
extensions listed with them, R_386_GOT32X the 2015 psABI addition).
"""

from __future__ import annotations

from collections.abc import Mapping

X86_64_RELOCATION_SIZES: Mapping[int, int] = {
    1: 8,  # R_X86_64_64
    2: 4,  # R_X86_64_PC32
    3: 4,  # R_X86_64_GOT32
    4: 4,  # R_X86_64_PLT32
    9: 4,  # R_X86_64_GOTPCREL
    10: 4,  # R_X86_64_32
    11: 4,  # R_X86_64_32S
    12: 2,  # R_X86_64_16
    13: 2,  # R_X86_64_PC16
    14: 1,  # R_X86_64_8
    15: 1,  # R_X86_64_PC8
    24: 8,  # R_X86_64_PC64
    26: 4,  # R_X86_64_GOTPC32
    41: 4,  # R_X86_64_GOTPCRELX
    42: 4,  # R_X86_64_REX_GOTPCRELX
}

I386_RELOCATION_SIZES: Mapping[int, int] = {
    1: 4,  # R_386_32
    2: 4,  # R_386_PC32
    3: 4,  # R_386_GOT32
    4: 4,  # R_386_PLT32
    9: 4,  # R_386_GOTOFF
    10: 4,  # R_386_GOTPC
    20: 2,  # R_386_16
    21: 2,  # R_386_PC16
    22: 1,  # R_386_8
    23: 1,  # R_386_PC8
    43: 4,  # R_386_GOT32X
}

#: e_machine -> relocation type -> bytes patched (read by :func:`isrgen.arch.isa.relocation_sizes`)
ELF_RELOCATION_SIZES: Mapping[str, Mapping[int, int]] = {
    "EM_X86_64": X86_64_RELOCATION_SIZES,
    "EM_386": I386_RELOCATION_SIZES,
}
