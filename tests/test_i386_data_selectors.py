"""i386 ``entry.data_selectors``: each data segment register gets its own selector on
entry, as Linux i386 does (arch/x86/entry/entry_32.S SAVE_ALL loads __USER_DS into
ds and es and __KERNEL_PERCPU into fs; SET_KERNEL_GS the stack-canary selector into
gs; asm/segment.h: __USER_DS = 15 * 8 + 3 = 0x7b, __KERNEL_PERCPU = 27 * 8 = 0xd8,
__KERNEL_STACK_CANARY = 28 * 8 = 0xe0), each register saved and restored in the frame.

The bytes are checked against the SDM's encodings (Vol. 2B MOV): ``mov ax, imm16`` is
66 B8 iw in 32-bit code, ``mov Sreg, r/m16`` is 8E /r with the segment register in
ModRM.reg (ES 0, DS 3, FS 4, GS 5) and AX (0) in ModRM.rm, mod 11.  The glue then
runs under unicorn with a GDT built from the spec's selectors.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import loads_x86, require_module, require_tool, run
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

import isrgen
from isrgen.arch.x86.model import X86Spec

LINUX = {"ds": 0x7B, "es": 0x7B, "fs": 0xD8, "gs": 0xE0}

SPEC = """\
isrgen: 1
arch: i386
handler: {{symbol: isr_dispatch, convention: cdecl}}
frame:
  layout: [pushal, gs, fs, es, ds, vector, error_code]
entry:
  data_selectors: {selectors}
vectors:
  - {{range: [0, 31]}}
  - {{range: [32, 47], class: irq}}
"""


def _spec(selectors: str = "{ds: 0x7b, es: 0x7b, fs: 0xd8, gs: 0xe0}") -> X86Spec:
    return loads_x86(SPEC.format(selectors=selectors), "sel.yaml")


def _modrm(sreg: int) -> int:
    return 0b11_000_000 | sreg << 3  # mod 11, reg = Sreg, rm = AX


#: SDM Vol. 2B MOV: mov ax, 0x7b; mov ds, ax; mov es, ax; mov ax, 0xd8; mov fs, ax; mov ax, 0xe0; mov gs, ax
EXPECTED = bytes(
    [0x66, 0xB8, 0x7B, 0x00, 0x8E, _modrm(3), 0x8E, _modrm(0)]
    + [0x66, 0xB8, 0xD8, 0x00, 0x8E, _modrm(4)]
    + [0x66, 0xB8, 0xE0, 0x00, 0x8E, _modrm(5)]
)
PUSHAD = b"\x60"


def _entry_bytes(obj: Path, spec: isrgen.Spec) -> bytes:
    with open(obj, "rb") as fh:
        elf = ELFFile(fh)
        code = elf.get_section_by_name(spec.sections.code)
        symtab = elf.get_section_by_name(".symtab")
        assert code is not None and isinstance(symtab, SymbolTableSection)
        found = symtab.get_symbol_by_name(spec.symbols.entry)
        assert found is not None
        (entry,) = found
        data = code.data()
        return data[entry["st_value"] : entry["st_value"] + entry["st_size"]]


@pytest.mark.parametrize("backend", ["gas", "nasm"])
def test_each_register_gets_its_selector_in_the_sdm_encoding(tmp_path: Path, backend: str) -> None:
    spec = _spec()
    (source,) = isrgen.build(spec, tmp_path, [backend])
    obj = tmp_path / "isr.o"
    if backend == "gas":
        require_tool("as")
        run(["as", "--32", "-o", str(obj), str(source)])
    else:
        require_tool("nasm")
        run(["nasm", "-f", "elf32", "-o", str(obj), str(source)])
    code = _entry_bytes(obj, spec)
    # the segment registers are pushed first, then pushad; the loads follow the saves
    at = code.index(PUSHAD) + 1
    assert code[at : at + len(EXPECTED)] == EXPECTED, code[at : at + len(EXPECTED)].hex()


def test_one_selector_for_all_keeps_the_single_load(tmp_path: Path) -> None:
    """Without data_selectors the entry is what it always was: one selector, one load."""
    require_tool("as")
    one = "  data_segments: [ds, es]\n  data_selector: 0x10\n"
    text = SPEC.format(selectors="X").replace("  data_selectors: X\n", one)
    spec = loads_x86(text, "one.yaml")
    (source,) = isrgen.build(spec, tmp_path, ["gas"])
    run(["as", "--32", "-o", str(tmp_path / "isr.o"), str(source)])
    code = _entry_bytes(tmp_path / "isr.o", spec)
    at = code.index(PUSHAD) + 1
    assert code[at : at + 8] == bytes([0x66, 0xB8, 0x10, 0x00, 0x8E, _modrm(3), 0x8E, _modrm(0)])


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> tuple[isrgen.Spec, object]:
    require_tool("as", "ld")
    require_module("unicorn")
    from isrgen.arch.x86.emulation import protected_mode as e32
    from isrgen.proof import toolchain

    work = tmp_path_factory.mktemp("sel")
    spec = _spec()
    (source,) = isrgen.build(spec, work, ["gas"])
    image = e32.link32([toolchain.assemble_gas(source, bits=32)], work)
    # the kernel's GDT: a data descriptor at each selector the spec names (DPL = RPL)
    emu = e32.emulator_with_selectors([0x7B, 0xD8, 0xE0])(image, table_symbol=spec.symbols.table)
    return spec, emu


@pytest.mark.parametrize("ring", [0, 3])
def test_the_handler_runs_on_the_linux_selectors_and_the_exit_restores(
    emulator: tuple[isrgen.Spec, object], ring: int
) -> None:
    from isrgen.arch.x86.emulation import protected_mode as e32

    _, emu = emulator
    assert isinstance(emu, e32.Emulator32)
    interrupted = {"ds": e32.USER_DS, "es": e32.USER_DS, "fs": e32.USER_TLS, "gs": 0} if ring == 3 else None
    cs = e32.USER_CS if ring == 3 else e32.KERNEL_CS
    regs = {r: 0x1000 + i for i, r in enumerate(e32.GPRS32)}
    stop = emu.interrupt(33, regs=regs, segments=interrupted, cs=cs)
    assert stop.symbol == "isr_dispatch"
    assert dict(stop.state.segments) == LINUX
    # the frame holds what the interrupted code had: gs fs es ds above the pushad block
    frame = emu.read_word(stop.state.esp + 4)
    before = interrupted or {s: e32.KERNEL_DS for s in e32.SEGMENTS}
    for i, seg in enumerate(("gs", "fs", "es", "ds")):
        assert emu.read_word(frame + 32 + 4 * i) & 0xFFFF == before[seg], seg
    back = emu.return_from_handler()
    assert back.resumed and dict(back.state.segments) == before and back.state.gprs == regs


def test_prove_checks_each_register_against_its_selector() -> None:
    require_tool("as", "ld", "nasm", "gcc")
    require_module("unicorn")
    from isrgen.proof.prove import prove

    report = prove(_spec(), ["gas", "nasm", "c"], seed=5)
    assert report.ok, report.failures
    machine = next(r for r in report.rows if r.name == "machine code").detail
    assert "data_segments x96" in machine


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            SPEC.format(selectors="{ds: 0x7b}").replace("entry:\n", "entry:\n  data_selector: 0x10\n"),
            (8, 3),
            "give either data_selectors (each register its selector) or data_selector, not both",
        ),
        (
            SPEC.format(selectors="{ds: 0x7b, fs: 0xd8}").replace("pushal, gs, fs, es, ds", "pushal, es, ds"),
            (7, 34),
            "fs is loaded but not saved",
        ),
        (SPEC.format(selectors="{ss: 0x10}"), (7, 20), "ss"),
        (SPEC.format(selectors="{ds: 70000}"), (7, 24), "70000"),
    ],
)
def test_bad_selector_maps_are_refused_at_the_key(text: str, where: tuple[int, int], message: str) -> None:
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(text, "bad.yaml")
    diags = info.value.diagnostics
    assert any((d.source.line, d.source.col) == where and message in d.message for d in diags), [
        d.headline() for d in diags
    ]


def test_long_mode_has_no_data_selectors() -> None:
    text = "isrgen: 1\narch: x86_64\nhandler: {symbol: h}\nentry:\n  data_selectors: {ds: 0x10}\n"
    text += "vectors:\n  - {vector: 0}\n"
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(text, "x.yaml")
    (diag,) = info.value.diagnostics
    assert (diag.source.line, diag.source.col) == (5, 3) and "do not load data segments" in diag.message


def test_the_dump_round_trips() -> None:
    from isrgen.arch.x86.dump import dump_spec

    spec = _spec("{gs: 0xe0, ds: 0x7b}")  # any order in; the architecture's order out
    assert spec.entry.segment_selectors == (("ds", 0x7B), ("gs", 0xE0))
    again = isrgen.loads_spec(dump_spec(spec), "again.yaml")
    assert again == spec
