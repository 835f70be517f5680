"""x86: everything isrgen knows about x86_64 (long mode) and i386 (protected mode).

``facts`` (registers, exceptions, frame), ``gates`` (the IDT gate, once),
``codegen`` (instruction selection, by concern), ``syntax`` (the GAS and NASM
printers), ``cfi``, ``emulation`` (the unicorn harness), ``prover`` (property 3
of ``isrgen prove``), ``verify_idt`` and ``strategies`` (Hypothesis specs).
"""

from isrgen.arch.x86.isa import ISAS

__all__ = ["ISAS"]
