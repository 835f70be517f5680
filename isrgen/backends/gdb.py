"""gdb backend: a Python script (``source isr-gdb.py``) that knows the frame layout.

It defines three commands, named after the spec's symbol prefix (``isr_`` gives
``isr-frame``, ``isr-restore``, ``isr-unrestore``):

- ``isr-frame EXPR``: print the frame at address EXPR with named fields, the
  vector's name and the error code decoded (page-fault bits, selector error codes);
- ``isr-restore EXPR``: load the registers saved in the frame into the CPU, so
  ``bt``, ``frame`` and ``info locals`` show the interrupted context (seed 001's
  ``restore_env``); the handler's registers are kept;
- ``isr-unrestore``: put the handler's registers back.

Every value is decided here; the template only prints them.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from isrgen.backends.base import GenerationContext, render_template
from isrgen.model.layout import FieldKind

#: SDM Vol. 3A 6.15 (interrupt 14): page-fault error code bits, low first
PAGE_FAULT_BITS: tuple[tuple[int, str, str, str], ...] = (
    (0, "P", "protection violation", "page not present"),
    (1, "W", "write", "read"),
    (2, "U", "user mode", "supervisor mode"),
    (3, "R", "reserved bit set in a paging entry", ""),
    (4, "I", "instruction fetch", ""),
    (5, "PK", "protection key", ""),
    (6, "SS", "shadow-stack access", ""),
    (15, "SGX", "SGX access-control", ""),
)
#: SDM Vol. 3A 6.13: vectors whose error code is a segment selector index
SELECTOR_ERROR_VECTORS = (10, 11, 12, 13)
PAGE_FAULT_VECTOR = 14
#: frame field -> gdb register it restores (segment registers are left alone)
_GDB_REGISTER = {"rflags": "eflags"}


@attrs.frozen
class GdbView:
    """Everything the gdb script template prints, as Python literals."""

    banner: str
    struct: str
    frame_size: int
    #: repr of [(name, offset, size, kind), ...]
    fields: str
    #: repr of {vector: name}
    vector_names: str
    #: repr of the vectors whose CPU pushes an error code
    cpu_error_vectors: str
    selector_vectors: str
    page_fault_vector: int
    page_fault_bits: str
    #: repr of [(frame field, gdb register), ...]
    restore: str
    vector_field: str
    error_field: str
    cmd_frame: str
    cmd_restore: str
    cmd_unrestore: str


def gdb_view(ctx: GenerationContext) -> GdbView:
    """The view model of the gdb script for ``ctx``."""
    spec, layout = ctx.spec, ctx.layout
    fields = [(f.name, f.offset, f.size, str(f.kind)) for f in layout.fields]
    restorable = [f for f in layout.fields if f.kind in (FieldKind.GPR, FieldKind.CPU)]
    restore = [
        (f.name, _GDB_REGISTER.get(f.name, f.name))
        for f in restorable
        if f.kind is FieldKind.GPR or f.name in ("rip", "rsp", "rflags")
    ]
    vector_field = next((f.name for f in layout.fields if f.kind is FieldKind.VECTOR), None)
    error_field = next((f.name for f in layout.fields if f.kind is FieldKind.ERROR_CODE), None)
    stem = spec.symbols.prefix.rstrip("_") or "isr"
    return GdbView(
        banner=ctx.banner(),
        struct=spec.frame.struct_name,
        frame_size=layout.size,
        fields=repr(fields),
        vector_names=repr({v.number: v.name for v in spec.vectors}),
        cpu_error_vectors=repr(sorted(v.number for v in spec.vectors if v.error_code)),
        selector_vectors=repr(list(SELECTOR_ERROR_VECTORS)),
        page_fault_vector=PAGE_FAULT_VECTOR,
        page_fault_bits=repr(list(PAGE_FAULT_BITS)),
        restore=repr(restore),
        vector_field=repr(vector_field),
        error_field=repr(error_field),
        cmd_frame=f"{stem}-frame",
        cmd_restore=f"{stem}-restore",
        cmd_unrestore=f"{stem}-unrestore",
    )


class GdbBackend:
    """A gdb Python script with frame-printing and register-restoring commands."""

    #: architectures this backend can generate for
    architectures: ClassVar[tuple[str, ...]] = ("x86_64",)

    name: ClassVar[str] = "gdb"
    description: ClassVar[str] = "gdb Python script: print a frame, restore the interrupted registers"
    default_filename: ClassVar[str] = "isr-gdb.py"

    def render(self, ctx: GenerationContext, filename: str) -> str:
        return render_template("gdb.py.mako", view=gdb_view(ctx))
