"""How many bytes each AArch64 ELF relocation type patches (ELF for the Arm 64-bit
Architecture, AAELF64 5.7 "Relocation"): data relocations patch their width, every
instruction relocation one 32-bit instruction word."""

from __future__ import annotations

from collections.abc import Mapping

_DATA = {
    257: 8,  # R_AARCH64_ABS64
    258: 4,  # R_AARCH64_ABS32
    259: 2,  # R_AARCH64_ABS16
    260: 8,  # R_AARCH64_PREL64
    261: 4,  # R_AARCH64_PREL32
    262: 2,  # R_AARCH64_PREL16
}
#: MOVW_UABS_G0 .. MOVW_SABS_G2 (263-272), LD_PREL_LO19 .. CALL26 (273-283, 281 unused),
#: LDST16/32/64_ABS_LO12_NC (284-286), LDST128_ABS_LO12_NC (299)
_INSTRUCTION = (*range(263, 281), 282, 283, 284, 285, 286, 299)

#: e_machine -> relocation type -> bytes patched (read by :func:`isrgen.arch.isa.relocation_sizes`)
ELF_RELOCATION_SIZES: Mapping[str, Mapping[int, int]] = {
    "EM_AARCH64": {**_DATA, **dict.fromkeys(_INSTRUCTION, 4)},
}
