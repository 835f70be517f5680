"""Hypothesis strategies that draw valid isrgen specs (needs the ``hypothesis`` package).

Use them to test your own tooling around isrgen, or to fuzz isrgen itself::

    from hypothesis import given
    from isrgen.testing import specs

    @given(specs())
    def test_frame_is_aligned(spec):
        assert isrgen.compute_layout(spec).size % 8 == 0

The strategies draw every option of the ISAs isrgen knows in depth; each ISA's
strategies live in its package (x86: :mod:`isrgen.arch.x86.strategies`, where
the options drawn are listed).
"""

from isrgen.arch.x86.strategies import (
    ARCH_BACKENDS,
    DEFAULT_FILENAMES,
    PAD_WORDS,
    WIDE_PAD_WORDS,
    DropIn,
    FrameNeeds,
    VectorOptions,
    dropin_options,
    entry_options,
    fixed_stack_slots,
    frames,
    handler_arguments,
    irq_stacks,
    paranoid_gs_options,
    simd_options,
    spec_texts,
    specs,
    split_outputs,
    syscalls,
    vector_options,
    vector_sets,
)

__all__ = [
    "ARCH_BACKENDS",
    "DEFAULT_FILENAMES",
    "DropIn",
    "FrameNeeds",
    "PAD_WORDS",
    "VectorOptions",
    "WIDE_PAD_WORDS",
    "dropin_options",
    "entry_options",
    "fixed_stack_slots",
    "frames",
    "handler_arguments",
    "irq_stacks",
    "paranoid_gs_options",
    "simd_options",
    "spec_texts",
    "specs",
    "split_outputs",
    "syscalls",
    "vector_options",
    "vector_sets",
]
