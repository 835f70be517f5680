"""aarch64 and riscv64 specs through the ordinary CLI: check-spec, build, prove, errors.

The ISA packages test their own stages; these tests check the way in that users take
(``isrgen build``/``check-spec``/``prove``) and read the results with the real tools.
Oracles: Arm ARM D1.10.2 (VBAR_EL1 is 2 KiB aligned, bits [10:0] RES0; 16 slots of
0x80 bytes), the RISC-V privileged spec 4.1.2 (stvec BASE is 4-byte aligned, MODE in
bits [1:0]), the ELF gABI section flags, and the spec file's own sha256.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import ROOT, SPECS, isrgen_cmd, require_tool, run
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

AARCH64_SPECS = sorted([SPECS / "aarch64.yaml", *(SPECS / "examples").glob("aarch64_*.yaml")])
RISCV64_SPECS = sorted([SPECS / "riscv64.yaml", *(SPECS / "examples").glob("riscv64_*.yaml")])


def _build(spec: Path, out: Path, *backends: str) -> list[Path]:
    flags = [a for b in backends for a in ("-b", b)]
    proc = run(isrgen_cmd("build", str(spec), "-o", str(out), *flags))
    return [Path(line) for line in proc.stdout.split()]


def _symbols(obj: Path) -> dict[str, tuple[int, int, str, int]]:
    """name -> (value, size, section name, section flags)."""
    with obj.open("rb") as fh:
        elf = ELFFile(fh)
        symtab = elf.get_section_by_name(".symtab")
        out = {}
        for sym in symtab.iter_symbols():  # type: ignore[union-attr]
            index = sym["st_shndx"]
            if sym.name and isinstance(index, int):
                sec = elf.get_section(index)
                out[sym.name] = (int(sym["st_value"]), int(sym["st_size"]), sec.name, int(sec["sh_flags"]))
        return out


@pytest.mark.parametrize("spec", AARCH64_SPECS, ids=lambda p: p.stem)
def test_aarch64_build_assembles_with_gnu_as_and_llvm_mc(spec: Path, tmp_path: Path) -> None:
    require_tool("aarch64-linux-gnu-as", "llvm-mc")
    paths = _build(spec, tmp_path, "gas", "c", "rust", "gdb")
    asm = next(p for p in paths if p.suffix == ".S")
    gnu = tmp_path / "gnu.o"
    llvm = tmp_path / "llvm.o"
    run(["aarch64-linux-gnu-as", "-o", str(gnu), str(asm)])
    run(["llvm-mc", "-triple=aarch64", "-filetype=obj", "-o", str(llvm), str(asm)])
    for obj in (gnu, llvm):
        symbols = _symbols(obj)
        tables = [s for s in symbols.values() if s[1] == 16 * 0x80]
        assert tables, f"no 2 KiB vector table symbol in {obj.name}"
        for _, _, _, flags in tables:
            assert flags & SH_FLAGS.SHF_ALLOC and flags & SH_FLAGS.SHF_EXECINSTR
        with obj.open("rb") as fh:
            elf = ELFFile(fh)
            section = elf.get_section_by_name(tables[0][2])
            assert section is not None
            assert section["sh_addralign"] % 2048 == 0, "VBAR_EL1 bits [10:0] are RES0: the table is 2 KiB aligned"
            assert tables[0][0] % 2048 == 0


@pytest.mark.parametrize("spec", AARCH64_SPECS + RISCV64_SPECS, ids=lambda p: p.stem)
def test_first_line_names_the_spec_and_its_sha256(spec: Path, tmp_path: Path) -> None:
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()
    for path in _build(spec, tmp_path):
        first = path.read_text().splitlines()[0]
        assert f"from {spec.name} (sha256 {digest})" in first
        assert "DO NOT EDIT" in first


@pytest.mark.parametrize("spec", RISCV64_SPECS, ids=lambda p: p.stem)
def test_riscv64_build_assembles_with_gnu_as_and_llvm_mc(spec: Path, tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as", "llvm-mc")
    paths = _build(spec, tmp_path, "gas", "c", "rust")
    asm = next(p for p in paths if p.suffix == ".S")
    gnu = tmp_path / "gnu.o"
    llvm = tmp_path / "llvm.o"
    run(["riscv64-linux-gnu-as", "-march=rv64gc", "-o", str(gnu), str(asm)])
    run(["llvm-mc", "-triple=riscv64", "-mattr=+m,+a,+f,+d,+c", "-filetype=obj", "-o", str(llvm), str(asm)])
    for obj in (gnu, llvm):
        code = [s for s in _symbols(obj).values() if s[3] & SH_FLAGS.SHF_EXECINSTR]
        assert code, "no symbol in an executable section"
        assert all(s[3] & SH_FLAGS.SHF_ALLOC for s in code)


def test_riscv64_entry_is_a_valid_stvec_base(tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as")
    asm = next(p for p in _build(SPECS / "riscv64.yaml", tmp_path, "gas") if p.suffix == ".S")
    obj = tmp_path / "trap.o"
    run(["riscv64-linux-gnu-as", "-march=rv64gc", "-o", str(obj), str(asm)])
    value, _, section, _ = _symbols(obj)["trap_entry"]
    with obj.open("rb") as fh:
        found = ELFFile(fh).get_section_by_name(section)
        assert found is not None
        align = found["sh_addralign"]
    assert value % 4 == 0 and align % 4 == 0, "stvec BASE[63:2]: the entry is 4-byte aligned"


def test_aarch64_c_header_compiles_as_c_and_cxx(tmp_path: Path) -> None:
    require_tool("aarch64-linux-gnu-gcc")
    header = next(p for p in _build(SPECS / "aarch64.yaml", tmp_path, "c") if p.suffix == ".h")
    src = tmp_path / "use.c"
    src.write_text(f'#include "{header.name}"\n_Static_assert(sizeof(struct isr_frame) % 16 == 0, "aapcs64");\n')
    run(["aarch64-linux-gnu-gcc", "-std=c11", "-ffreestanding", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c",
         "-I", str(tmp_path), "-o", str(tmp_path / "use.o"), str(src)])  # fmt: skip


@pytest.mark.parametrize("spec", [SPECS / "aarch64.yaml", SPECS / "riscv64.yaml"], ids=lambda p: p.stem)
def test_nasm_is_a_clear_usage_error(spec: Path, tmp_path: Path) -> None:
    proc = run(isrgen_cmd("build", str(spec), "-o", str(tmp_path / "out"), "-b", "nasm"), check=False)
    assert proc.returncode == 2
    assert "nasm" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_aarch64_errors_are_located_all_at_once_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "isrgen: 1\narch: aarch64\nframe: {layout: [x0, x99]}\nhandler: {symbol: 3}\nbad_mode: {symbol: halt}\n"
    )
    proc = run(isrgen_cmd("build", str(bad), "-o", str(tmp_path / "out")), check=False)
    assert proc.returncode == 1
    assert f"{bad}:3:22: error:" in proc.stderr  # x99, the unknown register
    assert f"{bad}:4:19: error:" in proc.stderr  # the symbol that is a number
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_architecture_names_the_known_ones(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("isrgen: 1\narch: mips\n")
    proc = run(isrgen_cmd("check-spec", str(bad)), check=False)
    assert proc.returncode == 1
    assert f"{bad}:2:7: error:" in proc.stderr
    for known in ("x86_64", "i386", "aarch64", "riscv64"):
        assert known in proc.stderr


@pytest.mark.parametrize("spec", [SPECS / "aarch64.yaml", SPECS / "riscv64.yaml"], ids=lambda p: p.stem)
def test_prove_through_the_cli(spec: Path) -> None:
    require_tool("llvm-mc" if spec.stem == "aarch64" else "riscv64-linux-gnu-as")
    proc = run(isrgen_cmd("prove", str(spec)))
    assert proc.stdout.rstrip().endswith("all properties hold")
    assert "proven" in proc.stdout


def test_check_spec_accepts_every_shipped_spec() -> None:
    for spec in AARCH64_SPECS + RISCV64_SPECS:
        proc = run(isrgen_cmd("check-spec", str(spec)))
        assert proc.stdout.startswith(f"{spec}: ok"), proc.stdout
    assert ROOT.is_dir()


#: specs/aarch64.yaml's frame, as AARCH64_CONTRACT-style C: x0-x30, sp, elr, spsr, esr,
#: far, kind, pad (8 bytes each, offsets 0-296), then q0-q31 (16 each) + fpcr, fpsr = 832 bytes
GOOD_FRAME = """
struct isr_frame {
    unsigned long x[31]; unsigned long sp, elr, spsr, esr, far, kind, pad;
    __uint128_t q[32]; unsigned long fpcr, fpsr;
};
"""
#: the same with spsr and elr swapped: what a kernel whose struct drifted from the glue has
BAD_FRAME = GOOD_FRAME.replace("sp, elr, spsr,", "sp, spsr, elr,")


@pytest.mark.parametrize("frame", ["good", "bad"])
def test_aarch64_verify_compares_the_frame_struct_with_dwarf(frame: str, tmp_path: Path) -> None:
    require_tool("aarch64-linux-gnu-as", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ld")
    paths = _build(SPECS / "aarch64.yaml", tmp_path / "gen", "gas")
    asm = next(p for p in paths if p.suffix == ".S")
    run(["aarch64-linux-gnu-as", "-o", str(tmp_path / "isr.o"), str(asm)])
    handlers = "".join(
        f"void {h}(struct isr_frame *f) {{ (void)f; for (;;) {{}} }}\n"
        for h in ("isr_dispatch", "isr_kernel_fault", "isr_syscall", "isr_bad_mode")
    )
    src = tmp_path / "kernel.c"
    src.write_text((GOOD_FRAME if frame == "good" else BAD_FRAME) + handlers + "void _start(void) { for (;;) {} }\n")
    cc = ["aarch64-linux-gnu-gcc", "-g", "-O1", "-ffreestanding", "-nostdlib", "-c"]
    run([*cc, "-o", str(tmp_path / "k.o"), str(src)])
    elf = tmp_path / "kernel.elf"
    run(["aarch64-linux-gnu-ld", "-Ttext=0x40080000", "-e", "_start", "-o", str(elf), str(tmp_path / "k.o"),
         str(tmp_path / "isr.o")])  # fmt: skip
    proc = run(isrgen_cmd("verify", str(elf), "-s", str(SPECS / "aarch64.yaml")), check=False)
    if frame == "good":
        assert proc.returncode == 0, proc.stderr
        assert "struct isr_frame size 832 and offsets (DWARF)" in proc.stdout
    else:
        assert proc.returncode == 4, proc.stdout + proc.stderr
        assert "member elr is at offset 264 in the kernel, spec says 256" in proc.stderr
