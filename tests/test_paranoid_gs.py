"""paranoid_gs: paranoid entries that do not trust the sign of IA32_GS_BASE.

With CR4.FSGSBASE ring 3 loads any canonical GS base with WRGSBASE, a negative one
too, so the ``msr_sign`` test (swapgs unless the base is negative) takes a user base
for the kernel's.  The ``rdpid``/``rdtscp``/``lsl`` methods save the interrupted base
with RDGSBASE, index the per-CPU offset table by CPU number and WRGSBASE the entry;
the exit writes the saved base back.  ``isrgen prove`` runs them under unicorn with a
negative user GS base (ring 3, and ring 0 before a swapgs), the CPU number published
with a NUMA node above it; mutations of the glue must make it fail.

The expected encodings are the SDM's (Vol. 2B RDFSBASE/RDGSBASE, RDPID, RDTSCP; Vol. 2A
LSL; Vol. 2C WRFSBASE/WRGSBASE), written here by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import loads_x86, require_module, require_tool

import isrgen
from isrgen.proof.prove import ProofReport, prove

LAYOUT = "[r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, vector, error_code]"


def spec_text(method: str, extra: str = "") -> str:
    block = {
        "msr_sign": "",
        "rdpid": "paranoid_gs: {method: rdpid, offsets: per_cpu_offset}\n",
        "rdtscp": "paranoid_gs: {method: rdtscp, offsets: per_cpu_offset}\n",
        "lsl": "paranoid_gs: {method: lsl, offsets: per_cpu_offset, cpunode_selector: 0x7b}\n",
    }[method]
    return f"""\
isrgen: 1
arch: x86_64
symbols: {{prefix: t_}}
handler: {{symbol: t_handler}}
frame: {{layout: {LAYOUT}}}
entry: {{swapgs: true, clear_registers: true}}
{block}{extra}vectors:
  - {{vector: 0, name: de}}
  - {{vector: 1, name: db, paranoid: true, ist: 3}}
  - {{vector: 2, name: nmi, paranoid: true, ist: 2}}
  - {{vector: 8, name: df, paranoid: true, ist: 1}}
  - {{vector: 14, name: pf}}
  - {{vector: 18, name: mc, paranoid: true, ist: 4}}
  - {{range: [32, 33], name: "irq_{{n}}", class: irq}}
"""


# -- encodings, from the SDM ------------------------------------------------------
#: F3 REX.W 0F AE /1, ModRM 11 001 011 (rbx)
RDGSBASE_RBX = "f3 48 0f ae cb"
#: F3 REX.W 0F AE /3, ModRM 11 011 000 (rax) and 11 011 011 (rbx)
WRGSBASE_RAX = "f3 48 0f ae d8"
WRGSBASE_RBX = "f3 48 0f ae db"
#: F3 0F C7 /7, ModRM 11 111 000 (rax)
RDPID_RAX = "f3 0f c7 f8"
#: 0F 01 F9
RDTSCP = "0f 01 f9"
#: B8+rd id (mov eax, 0x7b), then 0F 03 /r with ModRM 11 000 000 (lsl eax, eax)
LSL_EAX_7B = "b8 7b 00 00 00 0f 03 c0"
#: 25 id (and eax, imm32) / 81 /4 id with ModRM 11 100 001 (and ecx, imm32): 0xfff
AND_EAX_FFF = "25 ff 0f 00 00"
AND_ECX_FFF = "81 e1 ff 0f 00 00"
#: REX.W 8D /r, ModRM 00 010 101: lea rdx, [rip + disp32] (the disp32 is a relocation)
LEA_RDX_RIP = "48 8d 15 .. .. .. .."
#: REX.W 8B /r, ModRM 00 000 100, SIB scale 8 (11) index base rdx (010): mov rax, [rdx + idx*8]
MOV_RAX_RDX_RAX8 = "48 8b 04 c2"
MOV_RAX_RDX_RCX8 = "48 8b 04 ca"
#: swapgs 0F 01 F8, rdmsr 0F 32
SWAPGS = "0f 01 f8"
RDMSR = "0f 32"

SEQUENCES = {
    "rdpid": [RDGSBASE_RBX, RDPID_RAX, AND_EAX_FFF, LEA_RDX_RIP, MOV_RAX_RDX_RAX8, WRGSBASE_RAX],
    "rdtscp": [RDGSBASE_RBX, RDTSCP, AND_ECX_FFF, LEA_RDX_RIP, MOV_RAX_RDX_RCX8, WRGSBASE_RAX],
    "lsl": [RDGSBASE_RBX, LSL_EAX_7B, AND_EAX_FFF, LEA_RDX_RIP, MOV_RAX_RDX_RAX8, WRGSBASE_RAX],
}


def _paranoid_entry_bytes(spec_text_: str, tmp_path: Path) -> str:
    """The bytes of the paranoid vectors' common entry, as hex separated by spaces."""
    from elftools.elf.elffile import ELFFile

    from isrgen.proof import toolchain

    spec = loads_x86(spec_text_, "s.yaml")
    (path,) = isrgen.build(spec, tmp_path, ["gas"])
    obj = toolchain.assemble_gas(path)
    entry = next(g.symbol for g in spec.entry_groups if g.paranoid)
    with obj.open("rb") as fh:
        elf = ELFFile(fh)
        symtab = elf.get_section_by_name(".symtab")
        sym = next(s for s in symtab.iter_symbols() if s.name == entry)  # type: ignore[union-attr]
        data = elf.get_section(sym["st_shndx"]).data()
        code = data[sym["st_value"] : sym["st_value"] + sym["st_size"]]
    return code.hex(" ")


@pytest.mark.parametrize("method", ["rdpid", "rdtscp", "lsl"])
def test_paranoid_entry_encodes_the_sdm_sequence(method: str, tmp_path: Path) -> None:
    require_tool("as")
    require_module("elftools")
    code = _paranoid_entry_bytes(spec_text(method), tmp_path)
    pattern = r"\b" + r" (?:.. )*?".join(SEQUENCES[method]) + r"\b"
    assert re.search(pattern, code), code
    # the exit writes the saved base back; nothing on this path swaps or reads an MSR
    assert WRGSBASE_RBX in code
    assert SWAPGS not in code and not re.search(r"(^| )" + RDMSR + r"( |$)", code)


def test_msr_sign_entry_keeps_the_old_sequence(tmp_path: Path) -> None:
    require_tool("as")
    require_module("elftools")
    code = _paranoid_entry_bytes(spec_text("msr_sign"), tmp_path)
    # mov ecx, 0xc0000101 (B9 id); rdmsr; swapgs; no rdgsbase
    assert re.search(r"b9 01 01 00 c0 " + RDMSR, code), code
    assert SWAPGS in code and "f3 48 0f ae" not in code


# -- the proof ------------------------------------------------------------------------------
def _prove(text: str, transform: Callable[[str, str], str] | None = None) -> ProofReport:
    return prove(loads_x86(text, "paranoid.yaml"), ["gas"], transform=transform)


def _machine_row(report: ProofReport) -> str:
    return next(r.detail for r in report.rows if r.name == "machine code")


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tool("as", "ld")
    require_module("unicorn")


@pytest.mark.parametrize("method", ["rdpid", "rdtscp", "lsl"])
def test_prove_runs_each_method_with_a_negative_user_gs_base(method: str) -> None:
    """Four paranoid vectors, each from ring 3 (negative user GS base), from ring 0 with
    the kernel GS base and from ring 0 with the user base live: 12 entries that must reach
    the handler with GS base = table[cpu] and return with the interrupted base."""
    report = _prove(spec_text(method))
    assert report.ok, report.failures
    assert f"paranoid gs base from {method} x12" in _machine_row(report)


def _gas(edit: Callable[[str], str]) -> Callable[[str, str], str]:
    def transform(backend: str, text: str) -> str:
        changed = edit(text) if backend == "gas" else text
        assert changed != text or backend != "gas", "the mutation did not apply"
        return changed

    return transform


def _old_sign_test(text: str) -> str:
    """The msr_sign entry and exit in place of the FSGSBASE ones (what a kernel that turns
    on CR4.FSGSBASE but keeps the old paranoid entry runs).  A no-op rdgsbase/wrgsbase pair
    comes first, so that only the sign test itself can be what the proof catches."""
    entry = re.compile(r"    rdgsbase rbx\n(?:.*\n)*?    wrgsbase rax\n")
    sign = (
        "    rdgsbase rax\n    wrgsbase rax\n"
        "    mov ecx, 3221225729\n    rdmsr\n    xor ebx, ebx\n    test edx, edx\n    js 1f\n"
        "    swapgs\n    mov ebx, 1\n1:\n    lfence\n"
    )
    text = entry.sub(sign, text)
    return text.replace("    wrgsbase rbx\n", "    test ebx, ebx\n    jz 2f\n    swapgs\n2:\n")


def _no_restore(text: str) -> str:
    return text.replace("    wrgsbase rbx\n", "")


def _no_mask(text: str) -> str:
    return text.replace("    and eax, 4095\n", "")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            _old_sign_test,
            r"vector 1 from ring 3: swapgs: the GS base at the handler is 0xffffc0de00000000, not the kernel's",
        ),
        (
            _no_restore,
            r"vector 1 from ring 3, returning: swapgs: the GS base is 0xffff800000001000, "
            r"not the interrupted 0xffffc0de00000000",
        ),
        (_no_mask, r"vector 1 from ring 0: (CPU fault|swapgs: the GS base at the handler)"),
    ],
    ids=["msr-sign-with-negative-user-gs", "missing-restore", "cpu-number-unmasked"],
)
def test_prove_fails_on_a_broken_paranoid_entry(edit: Callable[[str], str], expected: str) -> None:
    report = _prove(spec_text("lsl"), _gas(edit))
    assert not report.ok
    assert any(re.search(expected, f) for f in report.failures), report.failures


def test_the_old_sign_test_passes_only_without_negative_user_gs() -> None:
    """Control for the first mutation: the same msr_sign code is proven when the kernel
    keeps CR4.FSGSBASE off (user GS bases stay in the low half)."""
    report = _prove(spec_text("msr_sign"))
    assert report.ok, report.failures
    assert "paranoid gs base" not in _machine_row(report)


_NMI_VECTORS = """\
outputs: {gas: isr.S}
vectors:
  - {range: [0, 1]}
  - {vector: 2, name: nmi, paranoid: true}
  - {range: [3, 31]}
"""


def test_fsgsbase_refuses_the_sign_test() -> None:
    """CR4.FSGSBASE lets ring 3 write any GS base (SDM Vol. 3A 2.5, Vol. 2A RDFSBASE/RDGSBASE):
    the sign of IA32_GS_BASE no longer tells a kernel base from a user one."""
    text = "isrgen: 1\narch: x86_64\nhandler: {symbol: isr_dispatch}\nentry: {swapgs: true, fsgsbase: true}\n"
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(text + _NMI_VECTORS, "s.yaml")
    (diag,) = info.value.diagnostics
    assert (diag.source.line, diag.source.col) == (4, 23)
    assert "paranoid vectors (2) need paranoid_gs.method rdpid, rdtscp or lsl" in diag.message
    # the same with a method that does not trust the sign loads
    fixed = text + "paranoid_gs: {method: rdtscp, offsets: per_cpu_offset}\n"
    assert loads_x86(fixed + _NMI_VECTORS, "s.yaml").paranoid_gs.reads_gs_base


def test_a_gs_base_slot_refuses_a_wrgsbase_paranoid_entry() -> None:
    """The gs_base slot reads the user base from IA32_KERNEL_GS_BASE after swapgs (SDM Vol. 2B
    SWAPGS); a wrgsbase paranoid entry never swaps, so that MSR holds the kernel's base."""
    text = """\
isrgen: 1
arch: x86_64
handler: {symbol: isr_dispatch}
entry: {swapgs: true}
paranoid_gs: {method: rdpid, offsets: per_cpu_offset}
frame:
  layout: [r15, gs_base, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code]
"""
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(text + _NMI_VECTORS, "s.yaml")
    (diag,) = info.value.diagnostics
    assert (diag.source.line, diag.source.col) == (7, 17)
    assert "never swapgs, so the slot would hold the kernel's base" in diag.message
    # without paranoid vectors the slot is fine
    plain = _NMI_VECTORS.replace(", paranoid: true", "")
    assert loads_x86(text + plain, "s.yaml").frame.slots[1].role == "gs_base"
