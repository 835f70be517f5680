"""Drop-in: a spec alone reproduces an existing kernel's interrupt glue conventions.

For each example in specs/examples/ the kernel's own header (tests/dropin/) is
compiled together with the generated one: gcc asserts identical offsets and size,
the kernel's C code links against the generated object, symbols have the
visibility the kernel expects, and under unicorn the frame lands where the
kernel's struct says.  mittos64's stubs are compared byte for byte with the ones
its own script (github.com/thomasloven/mittos64, src/kernel/cpu/isr.S.py) produces.
"""

from __future__ import annotations

import itertools
import re
import struct
from pathlib import Path

import pytest
from conftest import SPECS, load_x86, loads_x86, run

import isrgen
from isrgen.diagnostics import SpecError
from isrgen.model.layout import FieldKind
from isrgen.output.build import render_outputs
from isrgen.proof.elf import ElfObject, read_elf

EXAMPLES = SPECS / "examples"
DROPIN = Path(__file__).resolve().parent / "dropin"


class Kernel:
    """One example: its spec, its own header and C code, and how its struct is named."""

    def __init__(self, spec: str, header: str, c_file: str, token: str, ctype: str, bits: int, gen_h: str):
        self.spec_path = EXAMPLES / spec
        self.header = DROPIN / header
        self.c_file = DROPIN / c_file
        #: the identifier the kernel's header defines (renamed while both headers are included)
        self.token = token
        #: the kernel's struct type once renamed
        self.ctype = ctype
        self.bits = bits
        self.gen_h = gen_h

    @property
    def spec(self) -> isrgen.Spec:
        return load_x86(self.spec_path)


KERNELS = {
    "mittos64": Kernel("mittos64.yaml", "mittos64_registers.h", "mittos64_kernel.c", "registers",
                       "kernel_registers", 64, "isr.h"),
    "mittos64_compatible": Kernel("mittos64_compatible.yaml", "mittos64_registers.h", "mittos64_kernel.c",
                                  "registers", "kernel_registers", 64, "isr.h"),
    "linux": Kernel("linux_pt_regs.yaml", "linux_ptrace.h", "linux_idt.c", "pt_regs", "struct kernel_pt_regs",
                    64, "entry.h"),
    "xv6": Kernel("xv6_trapframe.yaml", "xv6_trapframe.h", "xv6_trap.c", "trapframe", "struct kernel_trapframe",
                  32, "trapframe.h"),
    "pintos": Kernel("pintos_intr_frame.yaml", "pintos_interrupt.h", "pintos_intr.c", "intr_frame",
                     "struct kernel_intr_frame", 32, "intr_frame.h"),
    "jamesm": Kernel("jamesm_registers.yaml", "jamesm_registers.h", "jamesm_isr.c", "registers",
                     "struct kernel_registers", 32, "registers.h"),
    "jos": Kernel("jos_trapframe.yaml", "jos_trap.h", "jos_trap.c", "Trapframe", "struct kernel_Trapframe", 32,
                  "trapframe.h"),
}  # fmt: skip


def struct_members(header: Path) -> list[str]:
    """The member names of the (one) struct in a kernel header, padding members excluded."""
    body = re.search(r"struct\s*\w*\s*\{(.*?)\}", header.read_text(), re.S)
    assert body, f"{header}: no struct"
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", body.group(1), flags=re.S)
    names: list[str] = []
    for decl in text.split(";"):
        if decl.strip():
            # "unsigned long a, b" -> a, b: the last word of each comma-separated declarator
            names += [part.split()[-1] for part in decl.split(",")]
    return [n for n in names if not n.startswith("padding")]


def gcc(kernel: Kernel) -> list[str]:
    return ["gcc", "-ffreestanding", "-fno-pic", "-O1", *(["-m32"] if kernel.bits == 32 else []), "-c"]


def build(kernel: Kernel, out: Path) -> Path:
    """Generate the GAS and C outputs and assemble the GAS one."""
    spec = kernel.spec
    isrgen.build(spec, out, ["gas", "c"])
    files = [out / o.filename for o in spec.outputs_for("gas")]
    assert files
    pieces = []
    for i, source in enumerate(files):
        pieces.append(out / f"glue{i}.o")
        run(["as", f"--{kernel.bits}", "-o", str(pieces[-1]), str(source)])
    if len(pieces) == 1:
        return pieces[0]
    # the kernel's own split (xv6: vectors.S and trapasm.S), joined as its link would
    obj = out / "glue.o"
    run(["ld", "-m", "elf_i386" if kernel.bits == 32 else "elf_x86_64", "-r", "-o", str(obj), *map(str, pieces)])
    return obj


def c_offsets(kernel: Kernel, out: Path) -> dict[str, int]:
    """Compile the kernel's header together with the generated one: gcc asserts that
    every member of the kernel's struct has the same offset in the generated struct and
    that the sizes agree; returns the kernel struct's offsets (and ``sizeof``) as gcc
    computed them, read back from the object."""
    members = struct_members(kernel.header)
    gen = f"struct {kernel.spec.frame.struct_name}"
    lines = [
        "#include <stddef.h>",
        f"#define {kernel.token} kernel_{kernel.token}",
        f'#include "{kernel.header}"',
        f"#undef {kernel.token}",
        f'#include "{out / kernel.gen_h}"',
        f'_Static_assert(sizeof({kernel.ctype}) == sizeof({gen}), "size");',
        f"const unsigned long long off__sizeof = sizeof({kernel.ctype});",
    ]
    for m in members:
        lines.append(f'_Static_assert(offsetof({kernel.ctype}, {m}) == offsetof({gen}, {m}), "offset of {m}");')
        lines.append(f"const unsigned long long off_{m} = offsetof({kernel.ctype}, {m});")
    src = out / "layout_check.c"
    src.write_text("\n".join(lines) + "\n")
    obj = out / "layout_check.o"
    run([*gcc(kernel), "-o", str(obj), str(src)])
    elf = read_elf(obj)
    data = elf.contents[".rodata"]
    values = {}
    for name, sym in elf.defined_symbols(".rodata").items():
        values[name.removeprefix("off_")] = struct.unpack_from("<Q", data, sym.value)[0]
    assert set(values) == {*members, "_sizeof"}
    return values


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_header_and_generated_header_agree(name: str, tmp_path: Path) -> None:
    kernel = KERNELS[name]
    build(kernel, tmp_path)
    offsets = c_offsets(kernel, tmp_path)
    layout = isrgen.compute_layout(kernel.spec)
    by_name = {f.name: f for f in layout.fields}
    assert offsets.pop("_sizeof") == layout.size
    assert offsets == {m: by_name[m].offset for m in offsets}
    # segment selectors are 16-bit members with padding in both structs
    for f in layout.fields:
        if f.value_size:
            assert f.name in offsets and f.value_size == 2


def link_kernel(kernel: Kernel, glue: Path, out: Path) -> ElfObject:
    """Compile the kernel's C code and link it with the glue: every symbol it uses must resolve."""
    obj = out / "kernel.o"
    run([*gcc(kernel), "-o", str(obj), str(kernel.c_file)])
    elf = out / "kernel.elf"
    emulation = ["-m", "elf_i386"] if kernel.bits == 32 else []
    run(["ld", *emulation, "-static", "-nostdlib", "-e", "kernel_entry", "-o", str(elf), str(obj), str(glue)])
    return read_elf(elf)


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_c_code_links_unchanged_against_the_glue(name: str, tmp_path: Path) -> None:
    kernel = KERNELS[name]
    glue = build(kernel, tmp_path)
    linked = link_kernel(kernel, glue, tmp_path)
    spec = kernel.spec
    obj = read_elf(glue)
    # the table the kernel reads its stub addresses from, in the section it expects
    table = linked.symbol(spec.symbols.table)
    assert table.size == 256 * spec.table_width and table.is_global
    assert obj.section(spec.sections.table).writable == spec.sections.table.startswith(".data")
    for v in spec.vectors:
        stub = obj.symbol(v.stub_symbol)
        assert stub.is_global == (spec.symbols.visibility.stubs.value == "global")
        assert obj.section(stub.section or "").executable
    for sym in (spec.symbols.exit, *(g.symbol for g in spec.entry_groups)):
        assert obj.symbol(sym).is_global


def test_visibility_is_what_each_kernel_expects() -> None:
    """mittos64's script emits file-local isrN; xv6's vectors.pl and Linux export theirs."""
    assert KERNELS["mittos64"].spec.symbols.visibility.stubs.value == "local"
    assert KERNELS["xv6"].spec.symbols.visibility.stubs.value == "global"
    spec = loads_x86(
        (EXAMPLES / "mittos64.yaml").read_text().replace("stubs: local", "stubs: local\n    exit: local"), "m.yaml"
    )
    assert spec.symbols.visibility.exit.value == "local"


# -- mittos64 byte for byte ------------------------------------------------------------------


def mittos64_script() -> str:
    """mittos64's src/kernel/cpu/isr.S.py, as its text gives it (python 3 print)."""
    num_isr = 256
    pushes_error = [8, 10, 11, 12, 13, 14, 17]
    out = ["", ".intel_syntax noprefix", ".extern isr_common", ""]
    out.append("// Interrupt Service Routines")
    for i in range(num_isr):
        out.append(
            """isr{0}:
    cli
    {1}
    push {0}
    jmp isr_common """.format(i, "push 0" if i not in pushes_error else "nop")
        )
    out.append("")
    out.append(
        """
// Vector table

.section .data
.global isr_table
isr_table:"""
    )
    for i in range(num_isr):
        out.append(f"  .quad isr{i}")
    return "\n".join(out) + "\n"


def test_mittos64_stubs_are_byte_identical_to_its_script(tmp_path: Path) -> None:
    script = tmp_path / "isr.S"
    script.write_text(mittos64_script())
    theirs_o = tmp_path / "theirs.o"
    # mittos64's Makefile: python isr.S.py | $(COMPILE.S) -x assembler-with-cpp - (cpp drops // comments)
    run(["gcc", "-c", "-x", "assembler-with-cpp", "-o", str(theirs_o), str(script)])
    ours_o = build(KERNELS["mittos64"], tmp_path / "ours")
    theirs, ours = read_elf(theirs_o), read_elf(ours_o)
    code = theirs.contents[".text"]
    assert len(code) > 256 * 9
    start = ours.symbol("isr0").value
    mine = ours.contents[".text"][start : start + len(code)]
    relocs = theirs.relocations[".text"]
    assert len(relocs) == 256 and {r.target[0] for r in relocs} == {"isr_common"}

    def masked(data: bytes, base: int) -> bytes:
        buf = bytearray(data)
        for r in relocs:
            buf[r.offset - base : r.offset - base + r.size] = b"\0" * r.size
        return bytes(buf)

    assert masked(mine, 0) == masked(code, 0)
    # our jumps are resolved in the object: no relocation in the stubs
    assert [r for r in ours.relocations[".text"] if start <= r.offset < start + len(code)] == []
    for i in range(256):
        assert ours.symbol(f"isr{i}").value - start == theirs.symbol(f"isr{i}").value, i
        assert not ours.symbol(f"isr{i}").is_global and not theirs.symbol(f"isr{i}").is_global
    # every masked jump of ours lands on isr_common
    common = ours.symbol("isr_common").value
    for r in relocs:
        disp = struct.unpack_from("<i", ours.contents[".text"], start + r.offset)[0]
        assert start + r.offset + 4 + disp == common
    # the table: .data, 256 quads pointing at the same stubs
    assert ours.section(".data").writable and theirs.section(".data").writable
    want = [r.target[1] for r in sorted(theirs.relocations[".data"], key=lambda r: r.offset)]
    got = [r.target[1] - start for r in sorted(ours.relocations[".data"], key=lambda r: r.offset)][:256]
    assert got == want


def test_mittos64_compatible_keeps_the_abi_with_isrgens_stubs(tmp_path: Path) -> None:
    exact, compat = KERNELS["mittos64"].spec, KERNELS["mittos64_compatible"].spec
    assert isrgen.compute_layout(exact) == isrgen.compute_layout(compat)
    assert (exact.symbols.table, exact.symbols.entry, exact.symbols.exit) == (
        compat.symbols.table,
        compat.symbols.entry,
        compat.symbols.exit,
    )
    assert [v.number for v in exact.vectors if v.error_code] == [8, 10, 11, 12, 13, 14, 17]
    assert [v.number for v in compat.vectors if v.error_code] == [8, 10, 11, 12, 13, 14, 17, 21, 29, 30]
    obj = read_elf(build(KERNELS["mittos64_compatible"], tmp_path))
    addrs = [obj.symbol(f"isr{i}").value for i in range(256)]
    assert {b - a for a, b in itertools.pairwise(addrs)} == {8}  # dense: 8 bytes a stub


# -- frames under unicorn ------------------------------------------------------------------


def _regs(seed: int) -> dict[str, int]:
    from isrgen.arch.x86.emulation import long_mode as emulate

    return {r: (seed * 0x1000193 + (i + 1) * 0x9E3779B97F4A7C15) % 2**64 for i, r in enumerate(emulate.GPRS)}


@pytest.mark.parametrize("name", ["mittos64", "linux"])
def test_frame_lands_where_the_kernel_struct_says(name: str, tmp_path: Path) -> None:
    from conftest import require_module

    require_module("unicorn")
    from isrgen.arch.x86.emulation import long_mode as emulate

    kernel = KERNELS[name]
    spec = kernel.spec
    glue = build(kernel, tmp_path)
    offsets = c_offsets(kernel, tmp_path)  # from the kernel's own header, as gcc lays it out
    offsets.pop("_sizeof")
    image = emulate.link_for_emulation([glue], tmp_path)
    emu = emulate.Emulator(image, table_symbol=spec.symbols.table)
    role = {f.name: f.role for f in isrgen.compute_layout(spec).fields}
    for v in spec.vectors:
        regs = _regs(v.number)
        error = 0x1000 + v.number if v.error_code else None
        stop = emu.interrupt(v.number, regs=regs, error_code=error, rsp=emulate.DEFAULT_STACK_TOP - 8 * (v.number % 3))
        assert stop.symbol == v.handler, v.number
        frame = stop.first_argument
        slot = spec.frame.error_slot_value(v)
        expected = {
            **regs,
            "vector": v.number,
            "error_code": (slot if slot is not None else _cpu_error(error)) % 2**64,
            "rip": emulate.MARKER_BASE,
            "cs": emulate.KERNEL_CS,
            "ss": emulate.KERNEL_SS,
        }
        for member, off in offsets.items():
            if role[member] in expected:
                assert stop.u64(frame + off) == expected[role[member]], (v.number, member)
        # the irq's number lands in orig_ax (linux); exceptions without a code get -1 there
        if name == "linux":
            orig = stop.u64(frame + offsets["orig_ax"])
            assert orig == (v.number if v.vector_class.value == "irq" else (error if error else 2**64 - 1))
        back = emu.return_from_handler(frame if spec.handler.returns.value == "frame" else None)
        assert back.resumed and dict(back.state.gprs) == regs


# -- located errors for the new options --------------------------------------------------------

BASE = """isrgen: 1
arch: x86_64
handler: {symbol: h}
vectors:
  - {range: [0, 31]}
  - {range: [32, 255], class: irq}
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("table: {contents: idt}\n", "a ready IDT image cannot be generated"),
        ("table: {align: 12}\n", "impossible alignment 12"),
        ("stubs: {style: dense, error_code_filler: nop}\n", "error_code_filler applies to classic stubs only"),
        ("entry: {exit_frame: stack, exit_loads_cr3: true}\n", "exit_frame: stack takes no arguments"),
        ("frame: {layout: [r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, error_code]}\n",
         "vector 0 cannot be told apart"),
        ("stubs: {style: dense}\nframe: {layout: [r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, "
         "rsi, rdi, error_code], vector_in_error_slot: [irq]}\n", "dense stubs need a 'vector' slot"),
        ("symbols: {visibility: {stubs: hidden}}\n", "hidden"),
    ],
)  # fmt: skip
def test_new_options_report_located_errors(extra: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        loads_x86(BASE + extra, "s.yaml")
    lines = [d.headline() for d in info.value.diagnostics]
    assert any(message in line and re.match(r"s\.yaml:\d+:\d+: error", line) for line in lines), lines


def test_i386_table_width_must_fit_an_address() -> None:
    with pytest.raises(SpecError, match="8-byte entry cannot hold a i386 address"):
        loads_x86((EXAMPLES / "xv6_trapframe.yaml").read_text() + "table: {width: 8}\n", "x.yaml")


def test_options_change_the_program() -> None:
    """Each option reaches the generated text (so a test that ignores one would fail)."""

    def gas(extra: str) -> str:
        (out,) = render_outputs(loads_x86(BASE + extra, "s.yaml"), ["gas"])
        return out.content

    plain = gas("")
    assert ".cfi_startproc" in plain and "cli" not in plain.split("common entries")[0]
    assert ".cfi_" not in gas("debug: {cfi: false}\n")
    assert gas("stubs: {cli: always}\n").split("common entries")[0].count("    cli") == 256
    trap = gas("stubs: {cli: trap_gates}\nclasses: {irq: {gate: trap}}\n")
    assert trap.split("common entries")[0].count("    cli") == 224
    assert gas("stubs: {error_code_filler: nop}\n").split("common entries")[0].count("    nop") == 10
    assert '.pushsection .data.rel.ro,"aw"' in gas("sections: {table: .data.rel.ro}\n")
    narrow = gas("table: {width: 4, align: 64}\n")
    assert "    .long isr_stub_0" in narrow and "    .balign 64, 0x00" in narrow
    local = gas("symbols: {visibility: {stubs: local, exit: local}}\n")
    assert ".globl isr_stub_0\n" not in local and ".globl isr_return\n" not in local
    assert ".globl isr_table\n" in local


def test_xv6_trapframe_lands_where_struct_trapframe_says(tmp_path: Path) -> None:
    """i386 under unicorn (isrgen.arch.x86.emulation.protected_mode): from ring 0 and ring 3, every member of
    xv6's struct trapframe holds what alltraps and the CPU stored."""
    from conftest import require_module

    require_module("unicorn")
    from isrgen.arch.x86.emulation import protected_mode as emulate32

    kernel = KERNELS["xv6"]
    spec = kernel.spec
    glue = build(kernel, tmp_path)
    offsets = c_offsets(kernel, tmp_path)
    offsets.pop("_sizeof")
    emu = emulate32.Emulator32(emulate32.link32([glue], tmp_path), table_symbol=spec.symbols.table)
    layout = isrgen.compute_layout(spec)
    # oesp is what pushad found in esp: not a value the frame promises
    role = {f.name: f.role for f in layout.fields if f.kind is not FieldKind.PAD}
    for v in spec.vectors:
        user = v.number % 5 == 0
        regs = {r: (0x1111 * (i + 1) + v.number) & 0xFFFFFFFF for i, r in enumerate(emulate32.GPRS32)}
        error = 0x100 + v.number if v.error_code else None
        esp = emulate32.DEFAULT_STACK_TOP - 0x40 - 4 * (v.number % 4)
        stop = emu.interrupt(
            v.number,
            regs=regs,
            error_code=error,
            cs=emulate32.USER_CS if user else emulate32.KERNEL_CS,
            esp=esp,
        )
        assert stop.symbol == "trap", v.number
        frame = stop.first_argument
        ds = emulate32.USER_DS if user else emulate32.KERNEL_DS
        expected = {
            **regs,
            **dict.fromkeys(emulate32.SEGMENTS, ds),
            "vector": v.number,
            "error_code": error if error is not None else spec.frame.synthetic_error_code,
            "eip": emulate32.MARKER_BASE,
            "cs": emulate32.USER_CS if user else emulate32.KERNEL_CS,
        }
        if user:
            expected |= {"esp": esp, "ss": emulate32.USER_DS}
        for member, off in offsets.items():
            want = expected.get(role.get(member, ""))
            if member in ("esp", "ss") and not user:
                continue  # only pushed when crossing rings
            if want is not None:
                size = 2 if member in ("gs", "fs", "es", "ds", "cs", "ss") else 4  # ushort members in xv6's struct
                assert stop.u32(frame + off) & (2 ** (8 * size) - 1) == want, (v.number, member)
        # alltraps loaded SEG_KDATA into ds and es before calling trap()
        assert stop.state.segments["ds"] == stop.state.segments["es"] == 0x10
        back = emu.return_from_handler()
        assert back.resumed and dict(back.state.gprs) == regs


def test_pintos_frame_pointer_makes_the_interrupt_a_call_frame(tmp_path: Path) -> None:
    """Pintos under unicorn: every vector, from ring 0 and ring 3, reaches intr_handler
    with ebp at the frame's frame_pointer member, which holds the interrupted ebp and is
    followed by the interrupted eip, so a frame-pointer backtrace continues into the
    interrupted code; ds and es hold SEL_KDSEG; intr_exit resumes every register."""
    from conftest import require_module

    require_module("unicorn")
    from isrgen.arch.x86.emulation import protected_mode as emulate32

    kernel = KERNELS["pintos"]
    spec = kernel.spec
    glue = build(kernel, tmp_path)
    offsets = c_offsets(kernel, tmp_path)
    emu = emulate32.Emulator32(emulate32.link32([glue], tmp_path), table_symbol=spec.symbols.table)
    for v in spec.vectors:
        user = v.number % 3 == 0
        regs = {r: (0x01010101 * (i + 1) + v.number) & 0xFFFFFFFF for i, r in enumerate(emulate32.GPRS32)}
        error = 0x200 + v.number if v.error_code else None
        stop = emu.interrupt(
            v.number,
            regs=regs,
            error_code=error,
            cs=emulate32.USER_CS if user else emulate32.KERNEL_CS,
            esp=emulate32.DEFAULT_STACK_TOP - 0x80 - 4 * (v.number % 4),
        )
        assert stop.symbol == "intr_handler", v.number
        frame = stop.first_argument
        ebp = stop.state.gprs["ebp"]
        assert ebp == frame + offsets["frame_pointer"], v.number
        assert stop.u32(ebp) == regs["ebp"], v.number  # the caller's saved ebp ...
        assert stop.u32(ebp + 4) == emulate32.MARKER_BASE, v.number  # ... and its return address
        assert stop.u32(frame + offsets["vec_no"]) == v.number
        assert stop.u32(frame + offsets["error_code"]) == (error if error is not None else 0)
        assert stop.state.segments["ds"] == stop.state.segments["es"] == 0x10
        back = emu.return_from_handler()
        assert back.resumed and dict(back.state.gprs) == regs, v.number


def _cpu_error(error: int | None) -> int:
    """The error code a vector without a synthetic slot value got from the CPU."""
    assert error is not None, "the CPU pushes an error code for this vector"
    return error
