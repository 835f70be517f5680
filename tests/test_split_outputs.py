"""An assembly backend's output split into files, as kernels keep it (xv6: the stubs and
``vectors[]`` in vectors.S, ``alltraps``/``trapret`` in trapasm.S).

Each file is assembled on its own (``as``, ``nasm``), the objects are linked with
``ld`` at a fixed address, and the linked image is checked against offsets computed
here: stub ``n`` at the first stub + 16 * n (``stub_align: 16``, the stubs file
linked first), table word ``n`` holding stub ``n``'s address, every stub's ``jmp``
(decoded by capstone) landing on the entry label the other file defines.  Then
``isrgen prove`` runs the split glue, and the build's file list, depfile and
``--check`` name every file.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from conftest import isrgen_cmd, loads_x86, require_module, require_tool, run
from elftools.elf.elffile import ELFFile

import isrgen

TEXT = 0x100000
SPEC = """\
isrgen: 1
arch: {arch}
symbols: {{prefix: x_}}
sections: {{stub_align: 16}}
handler: {{symbol: trap{cdecl}}}
frame:
  layout: [{layout}, vector, error_code]
{extra}outputs:
  gas: {{stubs: vectors.S, table: vectors.S, entry: trapasm.S}}
  nasm: {{stubs: vectors.asm, table: vectors.asm, entry: trapasm.asm}}
  c: trapframe.h
vectors:
  - {{range: [0, 31]}}
  - {{range: [32, 47], class: irq}}
"""
ARCHES = {
    "i386": {"cdecl": ", convention: cdecl", "layout": "pushal, gs, fs, es, ds",
             "extra": "entry: {data_segments: [ds, es], data_selector: 0x10}\n"},
    "x86_64": {"cdecl": "", "layout": "r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax",
               "extra": ""},
}  # fmt: skip
BITS = {"i386": 32, "x86_64": 64}


def _spec(arch: str) -> isrgen.Spec:
    return loads_x86(SPEC.format(arch=arch, **ARCHES[arch]), "split.yaml")


def _symbols(elf_path: Path) -> dict[str, int]:
    out = run(["nm", str(elf_path)]).stdout
    return {m.group(2): int(m.group(1), 16) for m in re.finditer(r"^([0-9a-f]+) \w (\S+)$", out, re.M)}


@pytest.mark.parametrize("arch", ["i386", "x86_64"])
@pytest.mark.parametrize("backend", ["gas", "nasm"])
def test_files_assembled_alone_link_into_the_glue(tmp_path: Path, arch: str, backend: str) -> None:
    require_tool("as", "nasm", "ld", "nm")
    require_module("capstone")
    import capstone

    spec = _spec(arch)
    bits = BITS[arch]
    paths = isrgen.build(spec, tmp_path, [backend])
    suffix = ".S" if backend == "gas" else ".asm"
    assert [p.name for p in paths] == [f"vectors{suffix}", f"trapasm{suffix}"]
    objs = []
    for p in paths:
        obj = p.with_suffix(".o")
        if backend == "gas":
            run(["as", f"--{bits}", "--fatal-warnings", "-o", str(obj), str(p)])
        else:
            run(["nasm", "-f", f"elf{bits}", "-Werror", "-o", str(obj), str(p)])
        objs.append(str(obj))
    # the stubs' file defines no entry label and the entry's file no stub: each needs the other
    vectors_syms = _symbols(Path(objs[0]))
    assert "x_table" in vectors_syms and "x_common" not in vectors_syms
    assert "x_stub_0" not in _symbols(Path(objs[1])) and "x_common" in _symbols(Path(objs[1]))
    elf = tmp_path / "glue.elf"
    emulation = "elf_i386" if bits == 32 else "elf_x86_64"
    run(["ld", "-m", emulation, "-static", "-e", "0", f"-Ttext={TEXT:#x}", "--defsym=trap=0x9000",
         "-o", str(elf), *objs])  # fmt: skip
    syms = _symbols(elf)
    first = syms["x_stub_0"]
    assert first == TEXT  # the stubs' file is linked first and its code starts the section
    word = bits // 8
    with open(elf, "rb") as fh:
        image = ELFFile(fh)
        sections = [s for s in image.iter_sections() if s["sh_addr"]]

        def holding(address: int) -> bytes:
            sec = next(s for s in sections if s["sh_addr"] <= address < s["sh_addr"] + s["sh_size"])
            return bytes(sec.data()[address - sec["sh_addr"] :])

        table = holding(syms["x_table"])
        code = holding(TEXT)
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_32 if bits == 32 else capstone.CS_MODE_64)
    entry_labels = {syms[n] for n in syms if n.startswith("x_common")}
    for n in range(48):
        stub = syms[f"x_stub_{n}"]
        assert stub == first + 16 * n, n
        (entry,) = struct.unpack_from("<I" if word == 4 else "<Q", table, word * n)
        assert entry == stub, n
        jmp = next(i for i in md.disasm(code[stub - TEXT : stub - TEXT + 16], stub) if i.mnemonic == "jmp")
        assert int(jmp.op_str, 16) in entry_labels, (n, jmp.op_str)


@pytest.mark.parametrize("arch", ["i386", "x86_64"])
def test_prove_runs_the_split_glue(arch: str) -> None:
    require_tool("as", "nasm", "ld", "gcc")
    require_module("unicorn")
    from isrgen.proof.prove import prove

    report = prove(_spec(arch), None, seed=2)
    assert report.ok, report.failures
    assert [r.outcome for r in report.rows] == ["proven", "skipped", "proven", "proven"]
    assert "backends agree" in report.rows[-1].name and "gas == nasm" in report.rows[-1].detail


def test_list_outputs_depfile_and_check_name_every_file(tmp_path: Path) -> None:
    spec = tmp_path / "split.yaml"
    spec.write_text(SPEC.format(arch="i386", **ARCHES["i386"]))
    out = tmp_path / "gen"
    files = ["vectors.S", "trapasm.S", "vectors.asm", "trapasm.asm", "trapframe.h"]
    listed = run(isrgen_cmd("build", str(spec), "-o", str(out), "--list-outputs")).stdout.split()
    assert listed == [str(out / f) for f in files]
    run(isrgen_cmd("build", str(spec), "-o", str(out), "--depfile", str(out / "isr.d")))
    targets = (out / "isr.d").read_text().split(":", 1)[0].split()
    assert targets == [str(out / f) for f in files]
    assert run(isrgen_cmd("build", str(spec), "-o", str(out), "--check"), check=False).returncode == 0
    (out / "trapasm.S").write_text((out / "trapasm.S").read_text() + "\n")
    stale = run(isrgen_cmd("build", str(spec), "-o", str(out), "--check"), check=False)
    assert stale.returncode != 0 and "trapasm.S" in stale.stdout + stale.stderr


def test_one_file_is_still_the_whole_glue() -> None:
    """A split with every part in one file renders exactly the unsplit file's code and table."""
    text = SPEC.format(arch="i386", **ARCHES["i386"])
    whole = loads_x86(text.replace("{stubs: vectors.S, table: vectors.S, entry: trapasm.S}", "isr.S"), "w.yaml")
    one = loads_x86(text.replace("{stubs: vectors.S, table: vectors.S, entry: trapasm.S}",
                                 "{stubs: isr.S, table: isr.S, entry: isr.S}"), "w.yaml")  # fmt: skip
    a = isrgen.render_outputs(whole, ["gas"])[0].content.splitlines()[2:]
    b = isrgen.render_outputs(one, ["gas"])[0].content.splitlines()[2:]
    assert a == b


@pytest.mark.parametrize(
    ("outputs", "extra", "where", "message"),
    [
        ("rust: {stubs: a.rs, table: a.rs, entry: b.rs}", "", (8, 3), "only gas, nasm split their output"),
        ("gas: {stubs: v.S, table: v.S, entry: t.S, exit: v.S}", "", (8, 51), "exit must be 't.S'"),
        ("gas: {stubs: v.S, table: v.S, entry: t.S, syscall: s.S}", "", (8, 45), "there is no syscall entry"),
        ("gas: {stubs: v.S, table: t.S, entry: t.S}", "symbols: {visibility: {stubs: local}}\n", (9, 28),
         "put table in 'v.S' too"),
        ("gas: {stubs: v.S, table: v.S}", "", (8, 8), "a split output names a file for every part: missing 'entry'"),
        ("gas: {stubs: v.S, table: v.S, entry: e.S, exits: e.S}", "", (8, 8),
         "unknown part 'exits'; did you mean 'exit'? (the parts: stubs, table, entry, exit, syscall)"),
        ("gas: [v.S]", "", (8, 8), "expected a file name or a mapping of the parts"),
    ],
)  # fmt: skip
def test_bad_splits_are_refused_at_the_key(outputs: str, extra: str, where: tuple[int, int], message: str) -> None:
    text = SPEC.format(arch="x86_64", **ARCHES["x86_64"]).replace("symbols: {prefix: x_}\n", extra or "")
    text = re.sub(r"outputs:\n(  .*\n)+", f"outputs:\n  {outputs}\n", text)
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.loads_spec(text, "bad.yaml")
    diags = info.value.diagnostics
    assert any((d.source.line, d.source.col) == where and message in d.message for d in diags), [
        d.headline() for d in diags
    ]


def test_verify_checks_a_kernel_linked_from_the_split_files(tmp_path: Path) -> None:
    """``isrgen verify`` reads the linked kernel: it holds whatever files the glue came from."""
    require_tool("as", "ld")
    spec_path = tmp_path / "split.yaml"
    spec_path.write_text(SPEC.format(arch="i386", **ARCHES["i386"]))
    paths = isrgen.build(isrgen.load_spec(spec_path), tmp_path, ["gas"])
    (tmp_path / "kernel.S").write_text(
        '.globl trap\n.text\ntrap: ret\n.globl _start\n_start: hlt\n.section .note.GNU-stack,"",@progbits\n'
    )
    objs = []
    for p in [tmp_path / "kernel.S", *paths]:
        run(["as", "--32", "-o", str(p.with_suffix(".o")), str(p)])
        objs.append(str(p.with_suffix(".o")))
    kernel = tmp_path / "kernel.elf"
    run(["ld", "-m", "elf_i386", "-static", "-o", str(kernel), *objs])
    proc = run(isrgen_cmd("verify", "-s", str(spec_path), str(kernel)), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "vector table x_table (256 entries)" in proc.stdout


def test_prove_compares_the_backends_split_alike() -> None:
    """gas and nasm split the same way agree byte for byte; the one-file Rust module is not
    compared with them (a split turns the stubs' jumps into relocations)."""
    require_tool("as", "nasm", "ld", "rustc")
    require_module("unicorn")
    from isrgen.proof.prove import prove

    text = SPEC.format(arch="x86_64", **ARCHES["x86_64"]).replace("  c: trapframe.h\n", "  rust: isr.rs\n")
    report = prove(loads_x86(text, "split.yaml"), None, seed=3)
    assert report.ok, report.failures
    agree = next(r for r in report.rows if r.name == "backends agree")
    assert agree.detail.startswith("gas == nasm, rust: ")
    assert "split into files differently are not compared" in agree.detail
