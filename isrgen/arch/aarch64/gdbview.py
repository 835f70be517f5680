"""The gdb script of an aarch64 spec: ``isr-frame EXPR`` prints a saved frame with its
slot, the decoded ESR_EL1 (EC and ISS) and FAR_EL1; ``isr-restore EXPR`` loads the
saved registers so ``bt`` shows the interrupted code.

Everything the script knows (field offsets, EC names, slot names) is computed here;
the script text only loops over those tables.
"""

from __future__ import annotations

from .facts import ESR_EC_SHIFT, FAR_VALID_CLASSES, SLOTS, Ec
from .layout import compute_layout
from .options import Aarch64Spec

#: short descriptions of the exception classes (Arm ARM D17.2, ESR_EL1, EC)
EC_TEXT = {
    Ec.UNKNOWN: "unknown reason (e.g. undefined instruction)",
    Ec.WFX: "WFI/WFE",
    Ec.FP_ACCESS: "FP/SIMD access trapped",
    Ec.ILLEGAL_STATE: "illegal execution state",
    Ec.SVC32: "SVC from AArch32",
    Ec.SVC64: "SVC from AArch64",
    Ec.MSR_MRS: "MSR/MRS/system instruction trapped",
    Ec.INSN_ABORT_LOWER: "instruction abort from a lower EL",
    Ec.INSN_ABORT_SAME: "instruction abort from the same EL",
    Ec.PC_ALIGNMENT: "PC alignment fault",
    Ec.DATA_ABORT_LOWER: "data abort from a lower EL",
    Ec.DATA_ABORT_SAME: "data abort from the same EL",
    Ec.SP_ALIGNMENT: "SP alignment fault",
    Ec.SERROR: "SError",
    Ec.BRK64: "BRK from AArch64",
}

_SCRIPT = '''
"""gdb commands for `struct {struct}` (load with `source FILE`).

  {prefix}frame EXPR     print the frame at address EXPR: fields, slot, decoded ESR and FAR
  {prefix}restore EXPR   load x0-x30, sp and pc from that frame so `bt` shows the interrupted code
"""

import struct

try:
    import gdb
except ImportError:  # imported outside gdb (to test the decoders)
    gdb = None

FRAME_SIZE = {size}
FIELDS = {fields}
SLOT_NAMES = {slots}
EC_TEXT = {ec_text}
FAR_VALID = frozenset({far_valid})
ABORT_CLASSES = frozenset({aborts})
RESTORE = {restore}


def decode_esr(esr):
    """ESR_EL1 as EC, IL and ISS (Arm ARM D17.2, ESR_EL1); WnR and xFSC for aborts."""
    ec = (esr >> {ec_shift}) & 0x3F
    il = (esr >> 25) & 1
    iss = esr & 0x1FFFFFF
    text = "EC=%#04x (%s), IL=%d, ISS=%#09x" % (ec, EC_TEXT.get(ec, "reserved or not decoded"), il, iss)
    if ec in ABORT_CLASSES:
        text += ", WnR=%d, FSC=%#04x" % ((iss >> 6) & 1, iss & 0x3F)
    if ec == 0x15:
        text += ", imm16=%#06x" % (iss & 0xFFFF)
    return text


def describe(values):
    """Lines describing a frame given as a dict field -> value (ints, or lists for q registers)."""
    lines = []
    for name, role, _, _ in FIELDS:
        value = values[name]
        if isinstance(value, list):
            lines.append("%-8s %#034x" % (name, value[0] | (value[1] << 64)))
        else:
            lines.append("%-8s %#018x" % (name, value))
        if role == "kind" and 0 <= value < len(SLOT_NAMES):
            lines[-1] += "  (%s)" % SLOT_NAMES[value]
        if role == "esr":
            lines[-1] += "  " + decode_esr(value)
    roles = {{role: name for name, role, _, _ in FIELDS}}
    if "esr" in roles and "far" in roles:
        ec = (values[roles["esr"]] >> {ec_shift}) & 0x3F
        valid = "valid" if ec in FAR_VALID else "not valid for this EC"
        lines.append("FAR %#018x (%s)" % (values[roles["far"]], valid))
    return lines


def read_frame(address):
    memory = bytes(gdb.selected_inferior().read_memory(address, FRAME_SIZE))
    values = {{}}
    for name, _, offset, size in FIELDS:
        words = struct.unpack_from("<%dQ" % (size // 8), memory, offset)
        values[name] = words[0] if size == 8 else list(words)
    return values


if gdb is not None:

    class FrameCommand(gdb.Command):
        """Print the frame at address EXPR."""

        def __init__(self):
            super().__init__("{prefix}frame", gdb.COMMAND_DATA)

        def invoke(self, arg, from_tty):
            address = int(gdb.parse_and_eval(arg))
            for line in describe(read_frame(address)):
                gdb.write(line + "\\n")

    class RestoreCommand(gdb.Command):
        """Load the registers saved in the frame at EXPR."""

        def __init__(self):
            super().__init__("{prefix}restore", gdb.COMMAND_DATA)

        def invoke(self, arg, from_tty):
            values = read_frame(int(gdb.parse_and_eval(arg)))
            for register, name in RESTORE:
                gdb.execute("set $%s = %#x" % (register, values[name]), to_string=True)

    FrameCommand()
    RestoreCommand()
'''


def render_gdb_script(spec: Aarch64Spec) -> str:
    """The gdb Python script for ``spec``'s frame."""
    lay = compute_layout(spec.frame)
    fields = [(f.name, f.role, f.offset, f.size) for f in lay.fields]
    restore = [(f.role, f.name) for f in lay.fields if not f.copy and (f.role.startswith("x") or f.role == "sp")]
    restore.append(("pc", lay.field("elr").name))
    aborts = sorted(int(e) for e in (Ec.DATA_ABORT_LOWER, Ec.DATA_ABORT_SAME, Ec.INSN_ABORT_LOWER, Ec.INSN_ABORT_SAME))
    body = _SCRIPT.format(
        struct=spec.frame.struct_name,
        prefix=spec.symbols.prefix.replace("_", "-"),
        size=lay.size,
        fields=repr(fields),
        slots=repr([s.name for s in SLOTS]),
        ec_text=repr({int(k): v for k, v in sorted(EC_TEXT.items())}),
        far_valid=repr(sorted(int(e) for e in FAR_VALID_CLASSES)),
        aborts=repr(aborts),
        restore=repr(restore),
        ec_shift=ESR_EC_SHIFT,
    )
    return "# generated by isrgen: do not edit" + body
