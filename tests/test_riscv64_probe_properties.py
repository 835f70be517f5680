"""Any riscv64 spec the loader accepts, drawn over modes, stack protocols, trampolines, frame
orders, renamed fields, pads, symbol names and entry options (derandomized), gives glue that GNU
as and llvm-mc assemble to the same bytes, a header riscv64-linux-gnu-gcc compiles (C11, -Wall
-Wextra -Werror -pedantic), a Rust module rustc compiles, and that proves under unicorn."""

from __future__ import annotations

import tempfile
from pathlib import Path

from conftest import require_module, require_tool
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from riscv64_probe_tools import TOOLS, check_everything

from isrgen.arch.riscv64.facts import GPRS
from isrgen.arch.riscv64.resolve import load_riscv64_spec
from isrgen.diagnostics import SpecError

_IDENT = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
_SYMBOL = st.one_of(_IDENT, _IDENT.map(lambda s: "__" + s), st.just("{prefix}x"))


def _slot(draw: st.DrawFn, holds: str, i: int) -> str:
    if draw(st.booleans()):
        return f"{{name: {draw(_IDENT)}_{i}, holds: {holds}}}"
    return holds


def _layout(draw: st.DrawFn, names: list[str]) -> str:
    out = []
    for i, holds in enumerate(draw(st.permutations(names))):
        if draw(st.integers(0, 9)) == 0:
            out.append(f"{{pad: {8 * draw(st.integers(1, 3))}}}")
        out.append(_slot(draw, holds, i))
    return "[" + ", ".join(out) + "]"


@st.composite
def specs(draw: st.DrawFn) -> str:
    mode = draw(st.sampled_from(["supervisor", "supervisor", "machine"]))
    c = "s" if mode == "supervisor" else "m"
    protocols = ["scratch_sp", "thread_pointer", "kernel_switch"] if mode == "supervisor" else ["scratch_sp"]
    protocol = draw(st.sampled_from(protocols))
    switch = protocol == "kernel_switch"
    trampoline = switch and draw(st.booleans())
    csrs = [f"{c}epc", f"{c}status"] + draw(st.lists(st.sampled_from([f"{c}tval", f"{c}cause"]), unique=True))
    syscall = draw(st.booleans())
    if switch and syscall and f"{c}cause" not in csrs:
        csrs.append(f"{c}cause")
    extra = ["kernel_sp", "kernel_trap"]
    if trampoline:
        extra.append("kernel_satp")
    if switch and draw(st.booleans()):
        extra.append("kernel_hartid")
    names = [*GPRS, *csrs, *(extra if switch else ["orig_a0"] * draw(st.booleans()))]
    text = [f"isrgen: 1\narch: riscv64\nmode: {mode}\n"]
    text.append(
        f'symbols:\n  prefix: {draw(_IDENT)}_\n  entry: "{draw(_SYMBOL)}_e"\n  exit: "{draw(_SYMBOL)}_r"\n'
        f'  vector: "{draw(_SYMBOL)}_v"\n'
    )
    vectored = draw(st.booleans())
    text.append(f"sections:\n  code: .text.{draw(_IDENT)}\n  align: {draw(st.sampled_from([4, 64, 256]))}\n")
    text.append(f"vector:\n  mode: {'vectored' if vectored else 'direct'}\n")
    if vectored and not switch and draw(st.booleans()):
        text.append(f"  interrupts: {{{draw(st.integers(1, 15))}: {draw(_IDENT)}_irq}}\n")
    text.append(f"stack:\n  protocol: {protocol}\n")
    if protocol == "thread_pointer":
        ksp = 8 * draw(st.integers(0, 8))
        text.append(f"  kernel_sp_offset: {ksp}\n  user_sp_offset: {ksp + 8 * draw(st.integers(1, 4))}\n")
    if trampoline:
        args = draw(st.sampled_from(["[satp]", "[frame, satp]", "[satp, frame]"]))
        text.append(
            f"trampoline:\n  section: {draw(_IDENT)}_tramp\n  address: 0x3ffffff000\n"
            f"  frame_address: 0x3fffffe000\n  userret: {draw(_IDENT)}_ret\n  userret_args: {args}\n"
            f"  link_check: {str(draw(st.booleans())).lower()}\n"
        )
    text.append(
        f"frame:\n  struct: {draw(_IDENT)}_frame\n  layout: {_layout(draw, names)}\n"
        f"  fp: {str(draw(st.booleans())).lower()}\n"
    )
    if switch:
        text.append(f"handler:\n  symbol: {draw(_IDENT)}_h\n  returns: noreturn\n  args: []\n")
        k_names = [*GPRS, *draw(st.lists(st.sampled_from(csrs), unique=True))]
        text.append(
            f"kernel_entry:\n  symbol: {draw(_IDENT)}_kvec\n  frame:\n    struct: {draw(_IDENT)}_kframe\n"
            f"    layout: {_layout(draw, k_names)}\n"
            f"  handler:\n    symbol: {draw(_IDENT)}_kh\n"
            f"    returns: {draw(st.sampled_from(['void', 'frame']))}\n    args: [frame]\n"
            f"  no_restore: [{', '.join(draw(st.lists(st.sampled_from(['tp', 'gp']), unique=True)))}]\n"
        )
    else:
        returns = draw(st.sampled_from(["void", "frame", "noreturn"]))
        args = draw(st.sampled_from(["[frame]", "[frame, cause]", "[cause, frame]"]))
        text.append(f"handler:\n  symbol: {draw(_IDENT)}_h\n  returns: {returns}\n  args: {args}\n")
        if draw(st.booleans()):
            text.append(
                f"  dispatch: {{interrupts: {draw(st.integers(1, 12))}, exceptions: {draw(st.integers(1, 16))}}}\n"
            )
    restore = draw(st.lists(st.sampled_from(GPRS), max_size=5, unique=True))
    if syscall:
        handler = "" if switch else f"handler: {draw(_IDENT)}_sys, "
        text.append(f"syscall: {{{handler}restore: [{', '.join(restore)}]}}\n")
    bits = draw(st.lists(st.sampled_from(["SUM", "FS", "VS", "MXR"]), unique=True))
    text.append(
        "entry:\n"
        + "".join(
            f"  {k}: {str(draw(st.booleans())).lower()}\n"
            for k in ("clear_registers", "clear_reservation", "cfi", "compressed")
        )
    )
    if not switch:
        text.append(f"  gp_reload: {str(draw(st.booleans())).lower()}\n")
    if mode == "supervisor":
        text.append(f"  clear_status: [{', '.join(bits)}]\n")
    text.append("outputs: {gas: glue.S, c: glue.h, rust: glue.rs}\n")
    return "".join(text)


SPEC_NORETURN_DISPATCH = """isrgen: 1
arch: riscv64
stack: {protocol: thread_pointer, kernel_sp_offset: 0, user_sp_offset: 8}
frame:
  layout: [ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7, s2, s3, s4, s5, s6, s7, s8,
           s9, s10, s11, t3, t4, t5, t6, sepc, sstatus]
handler: {symbol: h, returns: noreturn, args: [frame], dispatch: {interrupts: 1, exceptions: 1}}
outputs: {gas: glue.S, c: glue.h, rust: glue.rs}
"""


SPEC_SWITCH_ALIGNED = """isrgen: 1
arch: riscv64
sections: {align: 256}
stack: {protocol: kernel_switch}
frame:
  layout: [kernel_sp, kernel_trap, ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7, s2, s3,
           s4, s5, s6, s7, s8, s9, s10, s11, t3, t4, t5, t6, sepc, sstatus, scause]
handler: {symbol: h, returns: noreturn, args: []}
kernel_entry:
  frame:
    layout: [ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7, s2, s3, s4, s5, s6, s7, s8,
             s9, s10, s11, t3, t4, t5, t6, sepc, sstatus]
  symbol: kvec
  handler: {symbol: kh}
outputs: {gas: glue.S, c: glue.h, rust: glue.rs}
"""

#: compressed code before a 64-byte alignment may end on a 2-byte boundary: whole nop words
#: cannot fill that (GNU as: "alignment padding not a multiple of 4"); drawn by this test
SPEC_COMPRESSED_ALIGNED = """isrgen: 1
arch: riscv64
mode: supervisor
symbols:
  prefix: d_
  entry: "{prefix}x_e"
  exit: "{prefix}x_r"
  vector: "{prefix}x_v"
sections:
  code: .text.v1nfirj
  align: 64
vector:
  mode: direct
stack:
  protocol: kernel_switch
frame:
  struct: k2y_frame
  layout: [{name: khnqxk_0, holds: s8}, {name: z_1, holds: scause}, {name: yimb_2, holds: a5}, t4,
           {pad: 24}, s7, t6, {name: i7ycv6l_6, holds: s9}, t1, s3, sepc, a6, a1, {name: eatusp_12,
           holds: kernel_sp}, ra, {name: x_14, holds: t2}, s2, {name: a_16, holds: t3}, {name: opy9l_17,
           holds: a2}, {name: ugqicf_18, holds: s0}, a4, sstatus, gp, s5, sp, {name: f0_24, holds: s6},
           a7, {pad: 24}, a0, {name: no0u70g_27, holds: s1}, {name: mn_28, holds: tp}, {name: w2t5l9h_29,
           holds: t5}, {name: ej6_30, holds: s10}, {name: z_31, holds: s11}, {name: bxqkpp_32, holds: a3},
           s4, t0, {name: ih_35, holds: kernel_trap}]
  fp: true
handler:
  symbol: d8q6w6_h
  returns: noreturn
  args: []
kernel_entry:
  symbol: x0y_kvec
  frame:
    struct: cdib_kframe
    layout: [ra, {name: sedkh0_1, holds: s3}, {pad: 24}, {name: oi6ut_2, holds: a3}, {name: vn30_3,
             holds: a7}, {name: nah_4, holds: a2}, {name: ao_5, holds: s5}, s2, {name: yc_7, holds: t3},
             {name: a_8, holds: t2}, a5, {name: w9jlaw9_10, holds: gp}, s0, tp, {name: quhjzm_13,
             holds: s6}, {name: pji2j8_14, holds: t5}, {pad: 8}, s7, {name: fpt0_16, holds: sp}, {pad: 8},
             a4, t1, t4, t0, s10, {name: o30abmx_22, holds: s1}, {pad: 8}, s9, a0, s11, s4, s8,
             {name: q_28, holds: a6}, t6, {name: iw6_30, holds: a1}]
  handler:
    symbol: ujn_kh
    returns: frame
    args: [frame]
  no_restore: [gp, tp]
syscall: {restore: [s9, s8]}
entry:
  clear_registers: false
  clear_reservation: true
  cfi: false
  compressed: true
  clear_status: [SUM]
outputs: {gas: glue.S, c: glue.h, rust: glue.rs}
"""


@settings(
    max_examples=22,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(specs())
# found by this test: a dispatch table of noreturn handlers (the header put noreturn on a pointer)
@example(SPEC_NORETURN_DISPATCH)
# found by this test: the kernel entry's alignment padding, zeros from GNU as and nops from LLVM
@example(SPEC_SWITCH_ALIGNED)
# found by this test in CI: a 2-byte c.nop first where compressed code may precede the padding
@example(SPEC_COMPRESSED_ALIGNED)
def test_accepted_specs_assemble_compile_and_prove(text: str) -> None:
    require_tool(*TOOLS)
    require_module("unicorn")
    try:
        options = load_riscv64_spec(text, "drawn.yaml")
    except SpecError as exc:
        # a refusal must be located; the drawn names may be keywords or collide
        assert all(d.headline().startswith("drawn.yaml:") for d in exc.diagnostics)
        assume(False)
        return
    with tempfile.TemporaryDirectory() as tmp:
        assert check_everything(options, Path(tmp), seed=len(text)) > 0
