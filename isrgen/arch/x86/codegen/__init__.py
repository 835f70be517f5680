"""x86 instruction selection: a spec and its frame layout -> the glue program as IR,
split by concern (stubs, common entry, exit, syscall, halt, tables)."""

from isrgen.arch.x86.codegen.base import DENSE_STRIDE, DENSE_STRIDE_IBT, stub_stride
from isrgen.arch.x86.codegen.program import build_program

__all__ = ["DENSE_STRIDE", "DENSE_STRIDE_IBT", "build_program", "stub_stride"]
