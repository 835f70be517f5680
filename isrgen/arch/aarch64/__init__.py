"""AArch64 (Armv8-A, exceptions taken to EL1): everything isrgen knows and generates for it.

The pipeline, one module per stage::

    spec text --resolve.load_aarch64_spec--> options.Aarch64Spec
              --layout.compute_layout-->     layout.FrameLayout
              --codegen.build_program-->     isrgen.codegen.ir.Program
              --syntax.render_gas-->         the .S file
    interface.declarations                   what the C header and the Rust module both declare
    cview.render_c_header / cview.c_view     the C header (frame struct, prototypes, VBAR helper)
    rustview.render_rust_module              the Rust module (#[repr(C)] struct, extern "C", global_asm!)
    gdbview.render_gdb_script                the gdb script (frame printer, ESR decoding, restore)
    outputs.render_outputs                   every file the spec's ``outputs`` names
    prove.prove / prove.prove_program        run the glue under unicorn and check it
    verify.verify_image                      check a linked kernel image

:mod:`~isrgen.arch.aarch64.facts` holds the architecture's numbers (vector offsets,
ESR classes, SPSR modes, DWARF numbers, AAPCS64 registers), each written once.
"""

from __future__ import annotations

from isrgen.arch.aarch64.pipeline import PIPELINES

__all__ = ["PIPELINES"]
