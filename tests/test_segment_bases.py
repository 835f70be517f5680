"""fs_base / gs_base frame slots, run under unicorn with distinctive values.

Expected values come from the SDM, not from isrgen: IA32_FS_BASE is 0xC0000100,
IA32_GS_BASE 0xC0000101, IA32_KERNEL_GS_BASE 0xC0000102 (Vol. 4, table 2-2); SWAPGS
exchanges IA32_GS_BASE and IA32_KERNEL_GS_BASE (Vol. 2B).  So with entry.swapgs the
user GS base sits in IA32_KERNEL_GS_BASE once the entry has swapped, whichever ring was
interrupted, and it is live again after the exit's swapgs to ring 3.  The "handler"
rewrites both slots (a scheduler resuming another thread) and scribbles over the live
FS base: after iretq the CPU must hold the slots' values.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from conftest import SPECS, isrgen_cmd, load_x86, loads_x86, require_module, require_tool, run

import isrgen
from isrgen.arch.x86.model import X86Spec

EXAMPLE = SPECS / "examples" / "segment_bases.yaml"
MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE = 0xC0000100, 0xC0000101, 0xC0000102
FS, USER_GS, KERNEL_GS = 0x0000_7F12_3456_7000, 0x0000_7E00_1111_2000, 0xFFFF_8880_0000_3000
NEW_FS, NEW_GS = 0x0000_7D00_AAAA_0000, 0x0000_7C00_BBBB_0000
VARIANTS = {  # name -> (entry.swapgs, entry.fsgsbase)
    "fsgsbase-swapgs": (True, True),
    "msr-swapgs": (True, False),
    "fsgsbase-shared-gs": (False, True),
    "msr-shared-gs": (False, False),
}


@functools.cache
def _glue(workdir: str, name: str) -> tuple[X86Spec, Any]:
    from isrgen.arch.x86.emulation import long_mode as emulate
    from isrgen.proof import toolchain

    swapgs, fsgsbase = VARIANTS[name]
    text = EXAMPLE.read_text().replace("swapgs: true", f"swapgs: {str(swapgs).lower()}")
    spec = loads_x86(text.replace("fsgsbase: true", f"fsgsbase: {str(fsgsbase).lower()}"), f"{name}.yaml")
    out = Path(workdir) / name
    obj = toolchain.assemble_gas(isrgen.build(spec, out, ["gas"])[0])
    emu = emulate.Emulator(emulate.link_for_emulation([obj], out), table_symbol=spec.symbols.table)
    if fsgsbase:
        emu.enable_fsgsbase()
    return spec, emu


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_tool("as", "ld")
    require_module("unicorn")
    return str(tmp_path_factory.mktemp("bases"))


@pytest.mark.parametrize("ring", [0, 3])
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_bases_saved_and_restored(workdir: str, name: str, ring: int) -> None:
    from isrgen.arch.x86.emulation import long_mode as emulate

    spec, emu = _glue(workdir, name)
    swapgs = spec.entry.swapgs
    layout = isrgen.compute_layout(spec)
    # ring 3 runs with the user GS base live; ring 0 with the kernel's (the user's in KERNEL_GS_BASE)
    gs, kgs = (USER_GS, KERNEL_GS) if ring == 3 or not swapgs else (KERNEL_GS, USER_GS)
    emu.uc.msr_write(MSR_FS_BASE, FS)
    cs = emulate.USER_CS if ring == 3 else emulate.KERNEL_CS
    stop = emu.interrupt(
        33, cs=cs, rsp=emulate.DEFAULT_STACK_TOP - 0x3000, gs_base=gs, kernel_gs_base=kgs,
        stack=emulate.DEFAULT_STACK_TOP if ring == 3 else None,
    )  # fmt: skip
    assert stop.symbol == "isr_dispatch"
    frame = stop.first_argument
    assert stop.u64(frame + layout.offset("fs_base")) == FS
    # the user GS base with swapgs (whichever ring), the one shared base without
    assert stop.u64(frame + layout.offset("gs_base")) == (USER_GS if swapgs else gs)
    assert emu.uc.msr_read(MSR_GS_BASE) == (KERNEL_GS if swapgs else gs)  # the handler's GS
    # the scheduler resumes this frame with another thread's bases
    emu.write_u64(frame + layout.offset("fs_base"), NEW_FS)
    emu.write_u64(frame + layout.offset("gs_base"), NEW_GS)
    emu.uc.msr_write(MSR_FS_BASE, 0x1000)  # the kernel used FS meanwhile
    back = emu.return_from_handler(return_value=frame)
    assert back.resumed
    assert emu.uc.msr_read(MSR_FS_BASE) == NEW_FS
    if not swapgs:
        assert emu.uc.msr_read(MSR_GS_BASE) == NEW_GS
    elif ring == 3:  # the exit's swapgs made the restored user base live
        assert (emu.uc.msr_read(MSR_GS_BASE), emu.uc.msr_read(MSR_KERNEL_GS_BASE)) == (NEW_GS, KERNEL_GS)
    else:  # back in ring 0: kernel base live, the restored user base kept for later
        assert (emu.uc.msr_read(MSR_GS_BASE), emu.uc.msr_read(MSR_KERNEL_GS_BASE)) == (KERNEL_GS, NEW_GS)


def test_instructions_follow_entry_fsgsbase(workdir: str) -> None:
    """RDFSBASE/WRFSBASE with CR4.FSGSBASE; otherwise RDMSR/WRMSR with ecx = the MSR."""
    from capstone import CS_ARCH_X86, CS_MODE_64, Cs

    md = Cs(CS_ARCH_X86, CS_MODE_64)
    for name, (swapgs, fsgsbase) in VARIANTS.items():
        spec, emu = _glue(workdir, name)
        entry = emu.image.symbols[spec.symbols.entry]
        code = emu.read(entry, 400)
        text = [f"{i.mnemonic} {i.op_str}".strip() for i in md.disasm(code, entry)]
        if fsgsbase:
            assert "rdfsbase rax" in text and "rdgsbase rax" in text
            if swapgs:  # the inactive base, between two swapgs
                i = text.index("rdgsbase rax")
                assert text[i - 1] == "swapgs" and text[i + 1] == "swapgs"
        else:
            assert "rdmsr" in text and "rdfsbase rax" not in text
            assert f"mov ecx, {MSR_FS_BASE:#x}" in text
            assert f"mov ecx, {MSR_KERNEL_GS_BASE if swapgs else MSR_GS_BASE:#x}" in text


def test_prove_accepts_the_example() -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    proc = run(isrgen_cmd("prove", str(EXAMPLE)))
    assert proc.stdout.splitlines()[-1] == "all properties hold", proc.stdout + proc.stderr


def test_dump_loads_back_equal() -> None:
    from isrgen.arch.x86.dump import dump_spec

    spec = load_x86(EXAMPLE)
    assert isrgen.loads_spec(dump_spec(spec), "again.yaml") == spec


def test_i386_has_no_segment_bases() -> None:
    text = """\
isrgen: 1
arch: i386
handler: {symbol: h, convention: cdecl}
frame: {layout: [pushal, fs_base, gs, fs, es, ds, vector, error_code]}
entry: {fsgsbase: true}
vectors: [{range: [0, 31]}]
"""
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "bad.yaml")
    messages = [(d.source.line, d.message) for d in info.value.diagnostics]
    assert any(line == 4 and "unknown frame slot 'fs_base'" in m for line, m in messages), messages
    assert any(line == 5 and "fsgsbase is not available on i386" in m for line, m in messages), messages


@pytest.mark.parametrize(
    ("fsgsbase", "line"),
    [(True, "    wrfsbase rax\n"), (False, "    wrmsr\n")],
)
def test_prove_catches_a_missing_restore(fsgsbase: bool, line: str) -> None:
    """Drop the exit's first write of a base: prove must report the MSR left as the handler had it."""
    require_tool("as", "ld", "gcc")
    require_module("unicorn")
    from isrgen.proof.prove import prove

    text = EXAMPLE.read_text().replace("fsgsbase: true", f"fsgsbase: {str(fsgsbase).lower()}")
    spec = loads_x86(text.replace("swapgs: true", "swapgs: false"), "m.yaml")

    def transform(backend: str, out: str) -> str:
        assert line in out
        return out.replace(line, "", 1) if backend == "gas" else out

    report = prove(spec, ["gas"], transform=transform)
    assert not report.ok
    assert any("(exit restore)" in f for f in report.failures), report.failures[:3]
