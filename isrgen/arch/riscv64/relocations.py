"""How many bytes each RISC-V ELF relocation type patches (RISC-V ELF psABI,
"Relocations"): ALIGN and RELAX patch nothing themselves (they mark what the
linker may delete), CALL covers the auipc+jalr pair."""

from __future__ import annotations

from collections.abc import Mapping

_SIZES = {
    1: 4,  # R_RISCV_32
    2: 8,  # R_RISCV_64
    16: 4,  # R_RISCV_BRANCH
    17: 4,  # R_RISCV_JAL
    18: 8,  # R_RISCV_CALL
    19: 8,  # R_RISCV_CALL_PLT
    20: 4,  # R_RISCV_GOT_HI20
    23: 4,  # R_RISCV_PCREL_HI20
    24: 4,  # R_RISCV_PCREL_LO12_I
    25: 4,  # R_RISCV_PCREL_LO12_S
    26: 4,  # R_RISCV_HI20
    27: 4,  # R_RISCV_LO12_I
    28: 4,  # R_RISCV_LO12_S
    33: 1,  # R_RISCV_ADD8
    34: 2,  # R_RISCV_ADD16
    35: 4,  # R_RISCV_ADD32
    36: 8,  # R_RISCV_ADD64
    37: 1,  # R_RISCV_SUB8
    38: 2,  # R_RISCV_SUB16
    39: 4,  # R_RISCV_SUB32
    40: 8,  # R_RISCV_SUB64
    43: 0,  # R_RISCV_ALIGN
    44: 2,  # R_RISCV_RVC_BRANCH
    45: 2,  # R_RISCV_RVC_JUMP
    51: 0,  # R_RISCV_RELAX
    52: 1,  # R_RISCV_SUB6
    53: 1,  # R_RISCV_SET6
    54: 1,  # R_RISCV_SET8
    55: 2,  # R_RISCV_SET16
    56: 4,  # R_RISCV_SET32
    57: 4,  # R_RISCV_32_PCREL
}

#: e_machine -> relocation type -> bytes patched (read by :func:`isrgen.arch.isa.relocation_sizes`)
ELF_RELOCATION_SIZES: Mapping[str, Mapping[int, int]] = {"EM_RISCV": _SIZES}
