"""Real riscv64 kernels' trap conventions, each against a C struct written from that kernel's
public source (not from isrgen's output), compiled with riscv64-linux-gnu-gcc and checked with
_Static_assert; then ``isrgen prove`` on the spec (assemblers, compilers, unicorn)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_module, require_tool
from riscv64_probe_tools import check_c, check_rust
from riscv64_tools import ROOT, load

#: the integer registers x1..x31 by their psABI names ("Integer Register Convention")
X = [
    "ra",
    "sp",
    "gp",
    "tp",
    "t0",
    "t1",
    "t2",
    "s0",
    "s1",
    "a0",
    "a1",
    "a2",
    "a3",
    "a4",
    "a5",
    "a6",
    "a7",
    "s2",
    "s3",
    "s4",
    "s5",
    "s6",
    "s7",
    "s8",
    "s9",
    "s10",
    "s11",
    "t3",
    "t4",
    "t5",
    "t6",
]
EXAMPLES = ROOT / "specs" / "examples"
#: machine-mode conventions live here: benchmarks/ tabulates S-mode paths only
MACHINE = ROOT / "tests" / "riscv64_specs"


def _spec(name: str) -> Path:
    return next(p for p in (EXAMPLES / f"{name}.yaml", MACHINE / f"{name}.yaml") if p.exists())


def _eq(hand: str, generated: str) -> str:
    return f'_Static_assert(offsetof({hand}) == offsetof({generated}), "{hand}");\n'


#: rCore-Tutorial-v3 os/src/trap/context.rs: #[repr(C)] struct TrapContext { x: [usize; 32],
#: sstatus, sepc } (chapters 2-3), plus kernel_satp, kernel_sp, trap_handler (chapter 4 on)
RCORE = "struct hand {{ uint64_t x[32]; uint64_t sstatus; uint64_t sepc;{more} }};\n"
RCORE_TRAMPOLINE_WORDS = " uint64_t kernel_satp; uint64_t kernel_sp; uint64_t trap_handler;"


def _rcore_body(trampoline: bool) -> str:
    body = RCORE.format(more=RCORE_TRAMPOLINE_WORDS if trampoline else "")
    body += "".join(_eq(f"struct hand, x[{n}]", f"struct TrapContext, {r}") for n, r in enumerate(X, 1))
    body += _eq("struct hand, sstatus", "struct TrapContext, sstatus")
    body += _eq("struct hand, sepc", "struct TrapContext, sepc")
    body += '_Static_assert(offsetof(struct hand, sstatus) == 32 * 8, "sstatus after x[32]");\n'
    if trampoline:
        for f in ("kernel_satp", "kernel_sp", "trap_handler"):
            body += _eq(f"struct hand, {f}", f"struct TrapContext, {f}")
        body += '_Static_assert(sizeof(struct TrapContext) == 37 * 8, "37 words");\n'
    else:
        body += '_Static_assert(sizeof(struct TrapContext) == 34 * 8, "34 words");\n'
    return body + '_Static_assert(sizeof(struct hand) == sizeof(struct TrapContext), "size");\n'


#: FreeBSD sys/riscv/include/frame.h
FREEBSD = """struct hand {
    uint64_t tf_ra; uint64_t tf_sp; uint64_t tf_gp; uint64_t tf_tp;
    uint64_t tf_t[7]; uint64_t tf_s[12]; uint64_t tf_a[8];
    uint64_t tf_sepc; uint64_t tf_sstatus; uint64_t tf_stval; uint64_t tf_scause;
};
#define STACKALIGNBYTES 15
#define TF_SIZE ((sizeof(struct hand) + STACKALIGNBYTES) & ~(size_t)STACKALIGNBYTES)
"""


def _freebsd_body() -> str:
    body = FREEBSD
    for f in ("ra", "sp", "gp", "tp", "sepc", "sstatus", "stval", "scause"):
        body += _eq(f"struct hand, tf_{f}", f"struct trapframe, tf_{f}")
    for group, n in (("t", 7), ("s", 12), ("a", 8)):
        body += "".join(_eq(f"struct hand, tf_{group}[{i}]", f"struct trapframe, tf_{group}{i}") for i in range(n))
    body += '_Static_assert(sizeof(struct hand) == 35 * 8, "280 bytes");\n'
    return body + '_Static_assert(sizeof(struct trapframe) == TF_SIZE, "pushed as TF_SIZE (288)");\n'


#: NuttX arch/risc-v/include/irq.h: register indices into the saved context
NUTTX = "#define REG_EPC 0\n#define REG_INT_CTX 32\n#define XCPTCONTEXT_REGS 33\n" + "".join(
    f"#define REG_X{n} {n}\n" for n in range(1, 32)
)


def _nuttx_body() -> str:
    body = NUTTX
    body += '_Static_assert(offsetof(struct xcpt_regs, epc) == REG_EPC * 8, "epc");\n'
    body += '_Static_assert(offsetof(struct xcpt_regs, int_ctx) == REG_INT_CTX * 8, "mstatus");\n'
    body += "".join(
        f'_Static_assert(offsetof(struct xcpt_regs, {r}) == REG_X{n} * 8, "x{n}");\n' for n, r in enumerate(X, 1)
    )
    return body + '_Static_assert(sizeof(struct xcpt_regs) == (XCPTCONTEXT_REGS * 8 + 15) / 16 * 16, "size");\n'


CASES = {
    "riscv64_rcore_batch": lambda: _rcore_body(False),
    "riscv64_rcore_trampoline": lambda: _rcore_body(True),
    "riscv64_freebsd_trapframe": _freebsd_body,
    "riscv64_nuttx_machine": _nuttx_body,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layout_matches_the_kernels_struct(name: str, tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-gcc")
    options = load(_spec(name))
    check_c(options, tmp_path, CASES[name]())


@pytest.mark.parametrize("name", sorted(CASES))
def test_isrgen_prove_passes(name: str, tmp_path: Path) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld", "riscv64-linux-gnu-gcc", "rustc")
    require_module("unicorn")
    proc = subprocess.run(
        [sys.executable, "-m", "isrgen", "prove", str(_spec(name))], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all properties hold" in proc.stdout
    check_rust(load(_spec(name)), tmp_path)


def test_rcore_names_in_the_implementation_namespace() -> None:
    """rCore names its glue __alltraps/__restore: a symbol may start with '__' ..."""
    options = load(EXAMPLES / "riscv64_rcore_trampoline.yaml")
    assert (options.symbols.entry, options.trampoline and options.trampoline.userret) == ("__alltraps", "__restore")


def test_upper_case_field_names_compile_without_warnings(tmp_path: Path) -> None:
    """A kernel's own spelling of its fields (seL4-like ``FaultIP``) stays as written: the C
    header compiles and the Rust structs compile under ``#![deny(warnings)]``."""
    require_tool("riscv64-linux-gnu-gcc", "rustc")
    from isrgen.arch.riscv64.resolve import load_riscv64_spec

    text = (
        (EXAMPLES / "riscv64_rcore_batch.yaml")
        .read_text()
        .replace("sstatus, sepc]", "sstatus, {name: FaultIP, holds: sepc}]")
    )
    options = load_riscv64_spec(text, "upper.yaml")
    check_c(options, tmp_path, '_Static_assert(offsetof(struct TrapContext, FaultIP) == 33 * 8, "sepc");\n')
    check_rust(options, tmp_path)
