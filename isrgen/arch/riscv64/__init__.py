"""The riscv64 ISA: trap facts, spec options, code generation, printing and proof."""
