"""The gdb script of a riscv64 spec: ``PREFIX-frame EXPR`` prints a saved frame by ABI
register name with the trap CSRs decoded (scause, the previous privilege in sstatus);
``PREFIX-restore EXPR`` loads the saved registers and pc so ``bt`` walks the trapped code.
A kernel-entry frame (``kernel_switch``) gets ``PREFIX-kernel-frame`` / ``-kernel-restore``.

Every table the script reads (fields by the register or role they hold, cause names,
status bits) is computed here; the script text only loops over those tables.  The script
defines commands only, so it loads in any gdb with Python, whatever the target.
"""

from __future__ import annotations

import pprint

from .facts import CAUSE_INTERRUPT_BIT, CSRS, EXCEPTIONS, FPRS, GPRS, INTERRUPTS, PRIV_M, PRIV_S, PRIV_U, WORD
from .options import Frame, Riscv64Options, Role

#: the order CSR slots print in, and how each is decoded
_CSR_KINDS = ((Role.EPC, "epc"), (Role.STATUS, "status"), (Role.TVAL, "tval"), (Role.CAUSE, "cause"))
#: words that are neither a register nor a trap CSR, printed under their role
_WORD_ROLES = (Role.ORIG_A0, Role.KERNEL_SATP, Role.KERNEL_SP, Role.KERNEL_TRAP, Role.KERNEL_HARTID)

#: words of the privileged spec's cause names (priv 4.1.9, table 4.2) that the short
#: names in facts abbreviate
_CAUSE_WORDS = {"ecall": "environment call", "store": "store/AMO", "u": "U-mode", "s": "S-mode", "m": "M-mode"}


def cause_text(name: str, interrupt: bool) -> str:
    """A cause's description as table 4.2 of the privileged spec words it, from its short name
    in facts: ``supervisor_timer`` -> ``supervisor timer interrupt``, ``ecall_from_u`` ->
    ``environment call from U-mode``."""
    words = [_CAUSE_WORDS.get(word, word) for word in name.split("_")]
    return " ".join(words + (["interrupt"] if interrupt else []))


def _fields(frame: Frame, options: Riscv64Options) -> list[tuple[str, str, int, str]]:
    """(label, field name, offset, kind) of every word the frame holds, registers in x-number
    order, then the CSRs, then other words, then the FP area; the label is the register or
    CSR the slot holds (never the field's name)."""
    csr = CSRS[options.mode]
    out = []
    for register in GPRS:
        slot = frame.slot_of_register(register)
        if slot is not None:
            out.append((register, slot.name, slot.offset, "gpr"))
    for role, kind in _CSR_KINDS:
        slot = frame.slot_of_role(role)
        if slot is not None:
            out.append((getattr(csr, kind), slot.name, slot.offset, kind))
    for role in _WORD_ROLES:
        slot = frame.slot_of_role(role)
        if slot is not None:
            out.append((str(role), slot.name, slot.offset, "word"))
    if frame.fp is not None:
        out += [(f, f"f[{i}]", frame.fp.offset + WORD * i, "fpr") for i, f in enumerate(FPRS)]
        out.append(("fcsr", "fcsr", frame.fp.fcsr_offset, "word"))
    return out


def _restore(frame: Frame, epc_name: str) -> list[tuple[str, str]]:
    """(gdb register, label) pairs: every saved GPR, and pc from the saved epc."""
    pairs = [(r, r) for r in GPRS if frame.slot_of_register(r) is not None]
    if frame.slot_of_role(Role.EPC) is not None:
        pairs.append(("pc", epc_name))
    return pairs


def _frames(options: Riscv64Options) -> list[tuple[str, Frame]]:
    """(command infix, frame) of the main frame and the kernel-entry frame, if any."""
    frames = [("", options.frame)]
    if options.kernel_entry is not None:
        frames.append(("kernel-", options.kernel_entry.frame))
    return frames


def frame_tables(options: Riscv64Options) -> list[dict[str, object]]:
    """One table per frame struct: its commands, size, fields and restore list."""
    stem = options.symbols.prefix.replace("_", "-").rstrip("-") or "isr"
    return [
        {
            "struct": frame.struct,
            "size": frame.size,
            "frame_command": f"{stem}-{infix}frame",
            "restore_command": f"{stem}-{infix}restore",
            "fields": _fields(frame, options),
            "restore": _restore(frame, CSRS[options.mode].epc),
        }
        for infix, frame in _frames(options)
    ]


_SCRIPT = '''
"""gdb commands for the riscv64 trap frames (load with `source FILE`).

{usage}
"""

import struct

try:
    import gdb
except ImportError:  # imported outside gdb (to test the decoders)
    gdb = None

FRAMES = {frames}
INTERRUPT_BIT = {interrupt_bit:#x}
INTERRUPTS = {interrupts}
EXCEPTIONS = {exceptions}
#: {status}: interrupt-enable, previous interrupt-enable and previous-privilege bits
STATUS_IE = {status_ie:#x}
STATUS_PIE = {status_pie:#x}
STATUS_PP = {status_pp:#x}
PRIVILEGES = {privileges}


def decode_cause(value):
    """{cause} as interrupt or exception and its cause code (priv 4.1.9, table 4.2)."""
    code = value & ~INTERRUPT_BIT
    if value & INTERRUPT_BIT:
        return "interrupt %d: %s" % (code, INTERRUPTS.get(code, "reserved or platform interrupt"))
    return "exception %d: %s" % (code, EXCEPTIONS.get(code, "reserved or custom exception"))


def decode_status(value):
    """The previous privilege and the interrupt-enable bits of {status}."""
    shift = (STATUS_PP & -STATUS_PP).bit_length() - 1
    pp = (value & STATUS_PP) >> shift
    return "%s=%s, %s=%d, %s=%d" % (
        "{pp_name}", PRIVILEGES.get(pp, "reserved"),
        "{pie_name}", int(bool(value & STATUS_PIE)),
        "{ie_name}", int(bool(value & STATUS_IE)),
    )


DECODERS = {{"cause": decode_cause, "status": decode_status}}


def frame_values(table, read, address):
    """label -> value of the frame described by ``table`` at ``address``; ``read(address, size)``
    returns the bytes of memory there."""
    memory = bytes(read(address, table["size"]))
    return {{label: struct.unpack_from("<Q", memory, offset)[0] for label, _, offset, _ in table["fields"]}}


def describe(table, values):
    """Lines describing a frame: label, value, the field's name when it differs, decoded CSRs."""
    lines = []
    for label, name, _, kind in table["fields"]:
        line = "%-8s %#018x" % (label, values[label])
        if name != label:
            line += "  .%s" % name
        if kind in DECODERS:
            line += "  " + DECODERS[kind](values[label])
        lines.append(line)
    return lines


def restore_commands(table, values):
    """The gdb `set` commands that load the frame's registers (pc from the saved epc)."""
    return ["set $%s = %#x" % (register, values[label]) for register, label in table["restore"]]


if gdb is not None:

    def _read(address, size):
        return gdb.selected_inferior().read_memory(address, size)

    class FrameCommand(gdb.Command):
        """Print a trap frame at address EXPR."""

        def __init__(self, table):
            super().__init__(table["frame_command"], gdb.COMMAND_DATA)
            self.table = table

        def invoke(self, arg, from_tty):
            values = frame_values(self.table, _read, int(gdb.parse_and_eval(arg)))
            for line in describe(self.table, values):
                gdb.write(line + "\\n")

    class RestoreCommand(gdb.Command):
        """Load the registers saved in the trap frame at EXPR (pc from its saved epc)."""

        def __init__(self, table):
            super().__init__(table["restore_command"], gdb.COMMAND_DATA)
            self.table = table

        def invoke(self, arg, from_tty):
            values = frame_values(self.table, _read, int(gdb.parse_and_eval(arg)))
            for command in restore_commands(self.table, values):
                gdb.execute(command, to_string=True)

    for _table in FRAMES:
        FrameCommand(_table)
        RestoreCommand(_table)
'''


def _usage(tables: list[dict[str, object]], options: Riscv64Options) -> str:
    lines = []
    for table, (_, frame) in zip(tables, _frames(options), strict=True):
        epc = CSRS[options.mode].epc
        what = "its registers (no epc: pc stays)"
        if frame.slot_of_role(Role.EPC) is not None:
            what = f"its registers and pc (from {epc})"
        lines.append(f"  {table['frame_command']} EXPR  print the struct {frame.struct} at address EXPR")
        lines.append(f"  {table['restore_command']} EXPR  load {what} so `bt` shows the trapped code")
    return "\n".join(lines)


def render_gdb_script(options: Riscv64Options) -> str:
    """The gdb Python script for ``options``' frame struct(s)."""
    csr = CSRS[options.mode]
    tables = frame_tables(options)
    body = _SCRIPT.format(
        usage=_usage(tables, options),
        frames=pprint.pformat(tables, width=110, sort_dicts=False),
        interrupt_bit=CAUSE_INTERRUPT_BIT,
        interrupts=repr({code: cause_text(name, True) for code, name in sorted(INTERRUPTS.items())}),
        exceptions=repr({code: cause_text(name, False) for code, name in sorted(EXCEPTIONS.items())}),
        status=csr.status,
        cause=csr.cause,
        status_ie=csr.status_ie,
        status_pie=csr.status_pie,
        status_pp=csr.status_pp,
        privileges=repr({PRIV_U: "U", PRIV_S: "S", PRIV_M: "M"}),
        pp_name=f"{csr.status[0].upper()}PP",
        pie_name=f"{csr.status[0].upper()}PIE",
        ie_name=f"{csr.status[0].upper()}IE",
    )
    return "# generated by isrgen: do not edit" + body
