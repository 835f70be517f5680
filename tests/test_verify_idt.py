"""``isrgen verify --idt SYMBOL``: a statically initialised IDT image, checked gate by gate.

tests/minikernel is linked with an IDT image that the linker script builds from
the stub symbols (``SHORT``/``BYTE``/``LONG`` data commands, the only place a
stub address can be split into the gate's three offset fields statically).
The good image passes; each damage real kernels get wrong (IST index off by one,
DPL 0 on the int3 gate, interrupt vs trap gate, a gate pointing at the next
stub, a missing present bit, a selector with RPL 3) is one exact finding; an IDT
in ``.bss`` (filled at run time) is reported as unreadable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, expected_gate_attr, isrgen_cmd, load_x86, run
from elftools.elf.elffile import ELFFile
from minikernel_build import KERNEL_SRC, build_kernel

from isrgen.arch.x86.model import X86Spec
from isrgen.proof.verify import verify_kernel

EXIT_VERIFY_FAILED = 4
IDT = "idt_image"
KERNEL_CS = 0x08


def _gate(stub: str, selector: int, ist: int, type_attr: int) -> str:
    """One 16-byte long-mode gate (SDM Vol. 3A 6.14.1) as linker-script data commands."""
    return (
        f"SHORT({stub} & 0xFFFF) SHORT({selector:#x}) BYTE({ist}) BYTE({type_attr:#x}) "
        f"SHORT(({stub} >> 16) & 0xFFFF) LONG({stub} >> 32) LONG(0)"
    )


def _linker_script(spec: X86Spec, edits: dict[int, dict[str, object]] | None = None, *, bss: bool = False) -> str:
    """The minikernel's linker script plus an IDT image; ``edits`` overrides a vector's gate fields."""
    gates = []
    for n in range(spec.arch.vector_count):
        v = spec.vector(n)
        fields: dict[str, object] = (
            {"stub": v.stub_symbol, "selector": KERNEL_CS, "ist": v.ist or 0, "type_attr": expected_gate_attr(spec, v)}
            if v
            else {"stub": "0", "selector": 0, "ist": 0, "type_attr": 0}
        )
        fields.update((edits or {}).get(n, {}))
        gates.append("        " + _gate(**fields))  # type: ignore[arg-type]
    section = (
        f"    .idt (NOLOAD) : ALIGN(16) {{ {IDT} = .; . += {16 * spec.arch.vector_count}; }} :data\n"
        if bss
        else f"    .idt : ALIGN(16) {{\n        {IDT} = .;\n" + "\n".join(gates) + "\n    } :rodata\n"
    )
    script = (KERNEL_SRC / "kernel.ld").read_text()
    anchor = "    .rodata : ALIGN(4096) { *(.rodata .rodata.*) } :rodata\n"
    assert anchor in script
    return script.replace(anchor, anchor + section)


@pytest.fixture(scope="module")
def spec() -> X86Spec:
    return load_x86(DEFAULT_SPEC)


@pytest.fixture(scope="module")
def good_kernel(spec: X86Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kernel(spec, tmp_path_factory.mktemp("idt"), linker_script=_linker_script(spec))


def _raw_gate(kernel: Path, n: int) -> bytes:
    with kernel.open("rb") as fh:
        elf = ELFFile(fh)
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name(IDT)[0]  # type: ignore[union-attr]
        sec = elf.get_section(sym["st_shndx"])
        start = sym["st_value"] - sec["sh_addr"] + 16 * n
        return bytes(sec.data()[start : start + 16])


def _symbol(kernel: Path, name: str) -> int:
    with kernel.open("rb") as fh:
        return int(ELFFile(fh).get_section_by_name(".symtab").get_symbol_by_name(name)[0]["st_value"])  # type: ignore[union-attr]


def test_good_static_idt_passes(spec: X86Spec, good_kernel: Path) -> None:
    # The image holds what the SDM says these gates are, independently of verify's decoder:
    # #PF an interrupt gate (0x8E), #BP a DPL-3 trap gate (0xEF), #DF on IST 1.
    stub14 = _symbol(good_kernel, "isr_stub_14").to_bytes(8, "little")
    assert _raw_gate(good_kernel, 14) == stub14[0:2] + b"\x08\x00\x00\x8e" + stub14[2:4] + stub14[4:8] + bytes(4)
    assert _raw_gate(good_kernel, 3)[4:6] == b"\x00\xef"
    assert _raw_gate(good_kernel, 8)[4:6] == b"\x01\x8e"
    report = verify_kernel(spec, good_kernel, IDT)
    assert report.ok, "\n".join(f.describe() for f in report.findings)
    assert any(c.startswith(f"IDT image {IDT} (256 gates") for c in report.checked)
    proc = run(isrgen_cmd("verify", str(good_kernel), "--spec", str(DEFAULT_SPEC), "--idt", IDT))
    assert proc.stdout.startswith(f"{good_kernel}: ok") and f"checked: IDT image {IDT}" in proc.stdout


# (vector, damaged gate fields, the one finding's message)
DAMAGE = [
    pytest.param(8, {"ist": 0}, "IST byte is 0x0, expected 1 (ist: 1)", id="ist-off-by-one"),
    pytest.param(
        3,
        {"type_attr": 0x8F},
        "type/attributes 0x8f (present, DPL 0, trap gate), expected 0xef (present, DPL 3, trap gate)",
        id="int3-dpl0",
    ),
    pytest.param(
        128,
        {"type_attr": 0xEE},
        "type/attributes 0xee (present, DPL 3, interrupt gate), expected 0xef (present, DPL 3, trap gate)",
        id="interrupt-vs-trap",
    ),
    pytest.param(40, {"stub": "isr_stub_41"}, "(isr_stub_41), expected isr_stub_40", id="next-stub"),
    pytest.param(
        14,
        {"type_attr": 0x0E},
        "gate is not present: 0x0e (not present, DPL 0, interrupt gate), expected "
        "0x8e (present, DPL 0, interrupt gate)",
        id="not-present",
    ),
    pytest.param(13, {"selector": KERNEL_CS | 3}, "selector 0xb is not a ring-0 GDT selector", id="selector-rpl3"),
]


@pytest.mark.parametrize(("vector", "edit", "message"), DAMAGE)
def test_damaged_gate_is_one_finding(
    spec: X86Spec, tmp_path: Path, vector: int, edit: dict[str, object], message: str
) -> None:
    kernel = build_kernel(spec, tmp_path, linker_script=_linker_script(spec, {vector: edit}))
    findings = verify_kernel(spec, kernel, IDT).findings
    gates = [f for f in findings if f.symbol != IDT]
    assert [(f.check, f.symbol) for f in gates] == [("idt", f"{IDT}[{vector}]")], findings
    assert message in gates[0].message
    assert gates[0].address == _symbol(kernel, IDT) + 16 * vector
    assert gates[0].section == ".idt" and "PT_LOAD R--" in (gates[0].segment or "")
    # the whole image: one gate with another selector means it mixes two
    whole = [f.message for f in findings if f.symbol == IDT]
    assert whole == (["present gates use 2 different selectors: 0x8, 0xb"] if "selector" in edit else [])


def test_damage_fails_the_cli(spec: X86Spec, tmp_path: Path) -> None:
    kernel = build_kernel(spec, tmp_path, linker_script=_linker_script(spec, {8: {"ist": 0}}))
    args = ["verify", str(kernel), "--spec", str(DEFAULT_SPEC)]
    assert run(isrgen_cmd(*args)).returncode == 0  # without --idt the image is not looked at
    proc = run(isrgen_cmd(*args, "--idt", IDT), check=False)
    assert proc.returncode == EXIT_VERIFY_FAILED and "Traceback" not in proc.stderr
    line = next(ln for ln in proc.stderr.splitlines() if "[idt]" in ln)
    assert f"{IDT}[8] at {_symbol(kernel, IDT) + 128:#x} in section .idt" in line and "IST byte is 0x0" in line


def test_runtime_filled_idt_and_missing_symbol(spec: X86Spec, tmp_path: Path, good_kernel: Path) -> None:
    kernel = build_kernel(spec, tmp_path, linker_script=_linker_script(spec, bss=True))
    (finding,) = verify_kernel(spec, kernel, IDT).findings
    assert finding.check == "idt" and "cannot read 256 gates of 16 bytes" in finding.message
    (missing,) = verify_kernel(spec, good_kernel, "no_such_idt").findings
    assert (missing.check, missing.symbol) == ("missing-symbol", "no_such_idt")
