"""A frame pad at the largest size the loader accepts (just under 2 GiB) is executed.

tests/test_encodable_values.py shows such a spec assembles with every tool; here the
x86_64 glue runs under unicorn with a stack whose pages are mapped only when touched
(unicorn maps only what it is asked to: an unmapped access calls a hook that maps the
page), so the 2 GiB frame costs a few pages.  The oracle is arithmetic written here
from the SDM, not the generator's layout:

- SDM Vol. 3A 6.14.2: the CPU pushes SS, RSP, RFLAGS, CS, RIP (and the error code),
  8 bytes each, below the 16-byte-aligned stack top;
- the layout [pad P, r15 ... rax, vector, error_code] puts r15 at P, rax at P + 112,
  the vector at P + 120, the error code at P + 128, so the frame the handler receives
  starts 40 + 16 + 120 + P bytes below the stack top;
- SDM Vol. 2A 2.1.3: ``[reg + disp32]`` and ``sub rsp, imm32`` take a signed 32-bit
  number, so every displacement and immediate in the disassembly must be one of the
  values computed here, below 2^31.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import loads_x86, require_module, require_tool

import isrgen

#: (2^31 - 1) - 64 (the loader's slack) - 176 (15 registers, vector, error code and 5 CPU
#: words of 8 bytes), rounded down to a word: the largest pad accepted (test_encodable_values)
PAD = (2**31 - 1 - 64 - 176) // 8 * 8
GPRS = ("r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8", "rbp", "rdi", "rsi", "rdx", "rcx", "rbx", "rax")
#: the stack top: 16 GiB, far above the image, so the whole frame lies in positive addresses
TOP = 0x4_0000_0000
PAGE = 0x1000

SPEC = f"""\
isrgen: 1
arch: x86_64
handler:
  symbol: isr_dispatch
  args: [frame, vector, error_code]
entry: {{swapgs: true}}
frame:
  layout: [{{pad: {PAD}}}, {", ".join(GPRS)}, vector, error_code]
vectors:
  - {{vector: 14, name: pf}}
  - {{vector: 32, name: irq0, class: irq}}
"""


@pytest.fixture(scope="module")
def glue(tmp_path_factory: pytest.TempPathFactory) -> tuple[isrgen.Spec, Path]:
    require_tool("as", "ld")
    require_module("unicorn")
    from isrgen.proof import toolchain

    work = tmp_path_factory.mktemp("pad")
    spec = loads_x86(SPEC, "pad.yaml")
    (source,) = isrgen.build(spec, work, ["gas"])
    return spec, toolchain.assemble_gas(source)


def _emulator(obj: Path, work: Path) -> tuple[Any, list[int]]:
    """The linked glue in unicorn, with lazily mapped memory: the pages touched."""
    from unicorn import UC_HOOK_MEM_READ_UNMAPPED, UC_HOOK_MEM_WRITE_UNMAPPED, UC_PROT_READ, UC_PROT_WRITE

    from isrgen.arch.x86.emulation import long_mode as emulate

    emu = emulate.Emulator(emulate.link_for_emulation([obj], work), table_symbol="isr_table")
    touched: list[int] = []

    def map_page(uc: Any, access: int, address: int, size: int, value: int, data: Any) -> bool:
        # only the stack the frame lies in, never a stray address
        if not TOP - 2**31 - PAGE <= address < TOP:
            return False
        page = address & ~(PAGE - 1)
        uc.mem_map(page, PAGE, UC_PROT_READ | UC_PROT_WRITE)
        touched.append(page)
        return True

    emu.uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED, map_page)
    # the page the test writes the CPU frame into (a host write does not call the hook)
    emu.uc.mem_map(TOP - PAGE, PAGE, UC_PROT_READ | UC_PROT_WRITE)
    return emu, touched


@pytest.mark.parametrize(("vector", "ring"), [(14, 0), (32, 0), (14, 3), (32, 3)])
def test_a_pad_just_under_2_gib_runs(glue: tuple[isrgen.Spec, Path], tmp_path: Path, vector: int, ring: int) -> None:
    from isrgen.arch.x86.emulation import long_mode as emulate

    _spec, obj = glue
    emu, touched = _emulator(obj, tmp_path)
    error_code = 0x6 if vector == 14 else None
    regs = {r: 0x0101_0101_0101_0101 * (i + 1) for i, r in enumerate(GPRS)}
    cs, ss = (emulate.KERNEL_CS, emulate.KERNEL_SS) if ring == 0 else (emulate.USER_CS, emulate.USER_SS)
    interrupted_rsp = TOP if ring == 0 else 0x7000_8000
    rflags = 0x202 | 0x85  # IF, CF, PF, SF
    cpu = [ss, interrupted_rsp, rflags, cs, emulate.MARKER_BASE] + ([error_code] if error_code is not None else [])
    sp = TOP
    for word in cpu:
        sp -= 8
        emu.write_word(sp, word)
    for name, value in regs.items():
        emu.uc.reg_write(getattr(emu._x, f"UC_X86_REG_{name.upper()}"), value)
    emu.uc.reg_write(emu._x.UC_X86_REG_RSP, sp)
    emu.uc.reg_write(emu._x.UC_X86_REG_RFLAGS, 0x2)  # delivered through an interrupt gate: IF clear
    emu.set_gs_bases(gs_base=0x1000 if ring == 3 else 0x2000, kernel_gs_base=0x2000 if ring == 3 else 0x1000)

    stop = emu.run(emu.stub_address(vector), emulate.MARKER_BASE)
    assert stop.symbol == "isr_dispatch" and stop.call_aligned
    frame = TOP - 40 - 16 - 8 * len(GPRS) - PAD
    got = stop.state.gprs
    assert got["rdi"] == frame
    assert (got["rsi"], got["rdx"]) == (vector, 0 if error_code is None else error_code)
    for i, name in enumerate(GPRS):
        assert emu.read_word(frame + PAD + 8 * i) == regs[name], name
    assert emu.read_word(frame + PAD + 120) == vector
    assert emu.read_word(frame + PAD + 136) == emulate.MARKER_BASE  # rip, just above the error code
    assert stop.state.gs_base == 0x2000  # the kernel's, from either ring
    # a 2 GiB frame costs the pages the glue touches: the CPU frame's and the call's
    assert len(set(touched)) <= 4, [hex(p) for p in touched]
    assert min(touched) <= frame < min(touched) + 2 * PAGE

    back = emu.return_from_handler(clobber={r: 0xBAD for r in emulate.CALLER_SAVED})
    assert back.resumed
    assert back.state.gprs == regs
    assert back.state.rsp == interrupted_rsp and back.state.cs == cs
    assert back.state.rflags & 0xFFF == rflags & 0xFFF
    assert back.state.gs_base == (0x1000 if ring == 3 else 0x2000)


def test_every_displacement_is_the_computed_one(glue: tuple[isrgen.Spec, Path]) -> None:
    """capstone's decoding of the assembled entry: each large immediate or displacement
    is the pad or a slot offset above it, as computed here."""
    require_module("capstone")
    import capstone
    from capstone import x86_const
    from elftools.elf.elffile import ELFFile

    spec, obj = glue
    with open(obj, "rb") as fh:
        section = ELFFile(fh).get_section_by_name(spec.sections.code)
        assert section is not None
        code = section.data()
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    md.detail = True
    large = []
    for insn in md.disasm(code, 0):
        for op in insn.operands:
            value = op.imm if op.type == x86_const.X86_OP_IMM else op.mem.disp if op.type == x86_const.X86_OP_MEM else 0
            if abs(value) > 0x1000:
                large.append((insn.mnemonic, value))
    # sub/add rsp, P around the call; the handler's vector and error-code arguments read at
    # [rdi + P + 120] and [rdi + P + 128]
    assert sorted(large) == sorted([("sub", PAD), ("add", PAD), ("mov", PAD + 120), ("mov", PAD + 128)])
    assert all(v < 2**31 for _, v in large)
