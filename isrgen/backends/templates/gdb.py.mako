# ${view.banner}
"""gdb commands for the interrupt frame `struct ${view.struct}` (load with `source FILE`).

  ${view.cmd_frame} EXPR      print the frame at address EXPR: named fields, vector, decoded error code
  ${view.cmd_restore} EXPR    load the registers saved in that frame, so `bt` shows the interrupted code
  ${view.cmd_unrestore}       put back the registers ${view.cmd_restore} replaced
"""

import struct

try:
    import gdb
except ImportError:  # imported outside gdb (e.g. to test the decoders)
    gdb = None

FRAME_SIZE = ${view.frame_size}
FIELDS = ${view.fields}
VECTOR_NAMES = ${view.vector_names}
CPU_ERROR_CODE_VECTORS = frozenset(${view.cpu_error_vectors})
SELECTOR_ERROR_VECTORS = frozenset(${view.selector_vectors})
PAGE_FAULT_VECTOR = ${view.page_fault_vector}
PAGE_FAULT_BITS = ${view.page_fault_bits}
RESTORE = ${view.restore}
VECTOR_FIELD = ${view.vector_field}
ERROR_FIELD = ${view.error_field}
PRIVILEGE_FIELD = ${view.privilege_field}
PC_FIELD = ${view.pc_field}
_FORMATS = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}


def decode_page_fault(code):
    """Page-fault error code (SDM Vol. 3A 6.15, interrupt 14) as flag names."""
    parts = []
    for bit, name, set_text, clear_text in PAGE_FAULT_BITS:
        on = (code >> bit) & 1
        text = set_text if on else clear_text
        if on or text:
            parts.append("%s=%d (%s)" % (name, on, text))
    return ", ".join(parts)


def decode_selector(code):
    """Selector error code (SDM Vol. 3A 6.13): EXT, IDT, TI and the index."""
    ext, idt, ti, index = code & 1, (code >> 1) & 1, (code >> 2) & 1, (code >> 3) & 0x1FFF
    if idt:
        where = "IDT vector %d" % index
    else:
        where = "%s index %d (selector %#x)" % ("LDT" if ti else "GDT", index, code & 0xFFFC)
    return "EXT=%d (%s), IDT=%d, TI=%d: %s" % (
        ext,
        "external event" if ext else "not external",
        idt,
        ti,
        where,
    )


def decode_error_code(vector, code):
    """The error code of `vector` in words; empty when it has no defined meaning."""
    if vector == PAGE_FAULT_VECTOR:
        return decode_page_fault(code)
    if vector in SELECTOR_ERROR_VECTORS:
        return "null selector / not selector related" if code == 0 else decode_selector(code)
    if vector not in CPU_ERROR_CODE_VECTORS:
        return "synthetic (the CPU pushes none for this vector)"
    return ""


def parse_frame(raw):
    """{field: value} from the bytes of a frame."""
    values = {}
    for name, offset, size, _kind in FIELDS:
        if size in _FORMATS:
            values[name] = struct.unpack_from(_FORMATS[size], raw, offset)[0]
    return values


def format_frame(address, values, symbolize=lambda value: ""):
    """The lines `${view.cmd_frame}` prints."""
    lines = ["struct ${view.struct} at %#x (%d bytes):" % (address, FRAME_SIZE)]
    vector = values.get(VECTOR_FIELD) if VECTOR_FIELD else None
    for name, offset, size, kind in FIELDS:
        if name not in values:
            lines.append("  +%-4d %-10s (%d bytes, %s)" % (offset, name, size, kind))
            continue
        value = values[name]
        note = ""
        if name == VECTOR_FIELD:
            note = VECTOR_NAMES.get(value, "not in the spec")
        elif name == ERROR_FIELD and vector is not None:
            note = decode_error_code(vector, value)
        elif name == PRIVILEGE_FIELD:
            note = "ring %d" % (value & 3)
        elif name == PC_FIELD:
            note = symbolize(value)
        lines.append("  +%-4d %-10s %#018x%s" % (offset, name, value, "  " + note if note else ""))
    return lines


if gdb is not None:
    _saved_registers = []

    def _frame_address(arg):
        if not arg.strip():
            raise gdb.GdbError("usage: give the frame's address (an expression, e.g. `frame`)")
        return int(gdb.parse_and_eval(arg)) & 0xFFFFFFFFFFFFFFFF

    def _read_frame(address):
        raw = bytes(gdb.selected_inferior().read_memory(address, FRAME_SIZE))
        return parse_frame(raw)

    def _symbolize(value):
        text = gdb.execute("info symbol %#x" % value, to_string=True).strip()
        return "" if text.startswith("No symbol") else "<" + text.split(" in section")[0] + ">"

    class FrameCommand(gdb.Command):
        """Print the interrupt frame at an address: ${view.cmd_frame} EXPR."""

        def __init__(self):
            super().__init__("${view.cmd_frame}", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

        def invoke(self, arg, from_tty):
            address = _frame_address(arg)
            for line in format_frame(address, _read_frame(address), _symbolize):
                gdb.write(line + "\n")

    class RestoreCommand(gdb.Command):
        """Load the registers saved in the frame at EXPR: ${view.cmd_restore} EXPR."""

        def __init__(self):
            super().__init__("${view.cmd_restore}", gdb.COMMAND_RUNNING, gdb.COMPLETE_EXPRESSION)

        def invoke(self, arg, from_tty):
            address = _frame_address(arg)
            values = _read_frame(address)
            gdb.execute("frame 0", to_string=True)
            current = [(reg, int(gdb.parse_and_eval("$" + reg))) for _field, reg in RESTORE]
            if not _saved_registers:
                _saved_registers.extend(current)
            for field, reg in RESTORE:
                gdb.execute("set $%s = %#x" % (reg, values[field]), to_string=True)
            gdb.write("registers loaded from the frame at %#x (`${view.cmd_unrestore}` undoes)\n" % address)
            gdb.execute("frame 0")

    class UnrestoreCommand(gdb.Command):
        """Put back the registers `${view.cmd_restore}` replaced."""

        def __init__(self):
            super().__init__("${view.cmd_unrestore}", gdb.COMMAND_RUNNING)

        def invoke(self, arg, from_tty):
            if not _saved_registers:
                raise gdb.GdbError("nothing to undo: `${view.cmd_restore}` has not been used")
            for reg, value in _saved_registers:
                gdb.execute("set $%s = %#x" % (reg, value), to_string=True)
            del _saved_registers[:]
            gdb.execute("frame 0")

    FrameCommand()
    RestoreCommand()
    UnrestoreCommand()
