"""gdb backend: a Python script (``source isr-gdb.py``) that knows the frame layout.

It defines three commands, named after the spec's symbol prefix (``isr_`` gives
``isr-frame``, ``isr-restore``, ``isr-unrestore``):

- ``isr-frame EXPR``: print the frame at address EXPR with named fields, the
  vector's name and the error code decoded (page-fault bits, selector error codes);
- ``isr-restore EXPR``: load the registers saved in the frame into the CPU, so
  ``bt``, ``frame`` and ``info locals`` show the interrupted context; the
  handler's registers are kept;
- ``isr-unrestore``: put the handler's registers back.

Every value is decided here; the template only prints them.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from isrgen.arch.isa import Isa
from isrgen.backends.base import GenerationContext, render_template
from isrgen.diagnostics import UsageError
from isrgen.model.layout import FieldKind
from isrgen.spec.defaults import DEFAULT_PREFIX


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
    #: the ISA's error-code decoders and the constants they read (Python source lines)
    decoder_constants: tuple[str, ...]
    decoders: tuple[str, ...]
    #: repr of [(frame field, gdb register), ...]
    restore: str
    vector_field: str
    #: repr of the name of the field holding the interrupted privilege level / program counter
    privilege_field: str
    pc_field: str
    #: the ISA's Python expression decoding that field's ``value`` (x86: the ring in CS)
    privilege_note: str
    error_field: str
    cmd_frame: str
    cmd_restore: str
    cmd_unrestore: str


def gdb_view(ctx: GenerationContext) -> GdbView:
    """The view model of the gdb script for ``ctx``."""
    spec, layout = ctx.spec, ctx.layout
    gdb = ctx.isa.gdb
    if gdb is None:  # pragma: no cover - build refuses the backend for such an ISA (see supports)
        raise UsageError(f"backend 'gdb' does not generate for {ctx.isa.name}")
    fields = [(f.name, f.offset, f.size, str(f.kind)) for f in layout.fields]
    # keyed on each slot's role: a renamed field (pt_regs' ``bx`` for rbx) still restores
    # the full register, never gdb's 16-bit pseudo-register of the same name
    restore = [
        (f.name, gdb.restore_registers[f.role])
        for f in layout.fields
        if (f.kind is FieldKind.GPR or (f.kind is FieldKind.CPU and f.role in gdb.restored_cpu_roles))
        and f.role in gdb.restore_registers
    ]
    by_role = {f.role: f.name for f in layout.fields}
    vector_field = next((f.name for f in layout.fields if f.kind is FieldKind.VECTOR), None)
    error_field = next((f.name for f in layout.fields if f.kind is FieldKind.ERROR_CODE), None)
    # an empty prefix: the gdb commands take the stem of the default prefix
    stem = spec.symbols.prefix.rstrip("_") or DEFAULT_PREFIX.rstrip("_")
    return GdbView(
        banner=ctx.banner(),
        struct=spec.frame.struct_name,
        frame_size=layout.size,
        fields=repr(fields),
        vector_names=repr({v.number: v.name for v in spec.vectors}),
        cpu_error_vectors=repr(sorted(v.number for v in spec.vectors if v.error_code)),
        decoder_constants=gdb.decoder_constants,
        decoders=gdb.decoders,
        restore=repr(restore),
        vector_field=repr(vector_field),
        privilege_field=repr(by_role.get(gdb.privilege_role)),
        pc_field=repr(by_role.get(gdb.pc_role)),
        privilege_note=gdb.privilege_note,
        error_field=repr(error_field),
        cmd_frame=f"{stem}-frame",
        cmd_restore=f"{stem}-restore",
        cmd_unrestore=f"{stem}-unrestore",
    )


class GdbBackend:
    """A gdb Python script with frame-printing and register-restoring commands."""

    name: ClassVar[str] = "gdb"
    description: ClassVar[str] = "gdb Python script: print a frame, restore the interrupted registers"
    default_filename: ClassVar[str] = "isr-gdb.py"

    def supports(self, isa: Isa) -> bool:
        """Whether this backend generates for ``isa``."""
        return isa.gdb is not None

    def render(self, ctx: GenerationContext, filename: str) -> str:
        return render_template("gdb.py.tmpl", view=gdb_view(ctx))
