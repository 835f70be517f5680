"""The riscv64 ISA: trap facts, spec options, code generation, printing, proof and verification.

Pipeline for an ``arch: riscv64`` spec::

    options = resolve.load_riscv64_spec(text, filename)    # or resolve.resolve_document(doc)
    program = codegen.build_program(options)              # RvProgram (shared IR + AsmOption)
    text    = gas.render_gas(program)                     # GNU as / llvm-mc source
    header  = c_view.render_c_header(options)             # frame structs, static asserts, stvec value
    module  = rust_view.render_rust(options)              # repr(C) structs, extern "C", global_asm!(.., options(raw))
    files   = outputs.render_outputs(options)             # file name -> text, per the spec's outputs
    report  = prove.prove(options)                        # unicorn, every cause from U, S (and M for M-mode)
    passed  = verify.verify_elf(options, elf_bytes)       # a linked kernel image

Modules: :mod:`.facts` (cause codes, CSRs, status bits, ABI names, DWARF numbers, psABI),
:mod:`.options` (the frozen model), :mod:`.schema` (JSON schema with descriptions),
:mod:`.resolve` (located YAML to options, every error at file:line:col), :mod:`.codegen`,
:mod:`.gas`, :mod:`.interface` (what the header and the module both declare), :mod:`.c_view`,
:mod:`.rust_view`, :mod:`.emulate` (a hart taking traps as the
privileged spec says), :mod:`.prove`, :mod:`.prove_trampoline` (kernel_switch designs, Sv39),
:mod:`.verify`.
"""

from __future__ import annotations

from isrgen.arch.riscv64.pipeline import PIPELINES

__all__ = ["PIPELINES"]
