"""Any frame order, renames, pads and option mix the spec accepts proves under unicorn."""

from __future__ import annotations

from conftest import require_module, require_tool
from hypothesis import given, settings
from hypothesis import strategies as st

from isrgen.arch.riscv64.facts import GPRS
from isrgen.arch.riscv64.prove import prove
from isrgen.arch.riscv64.resolve import load_riscv64_spec

_SLOTS = [*GPRS, "sepc", "sstatus", "stval", "scause", "orig_a0"]

# What an S-mode trap entry must survive, from the RISC-V privileged spec (1.12), written
# here rather than taken from isrgen's prover:
# - traps reaching S-mode come from U or S: sstatus.SPP records only those two (4.1.1);
SUPERVISOR_ORIGINS = ("U", "S")
# - the supervisor interrupts, scause codes 1 (software), 5 (timer), 9 (external) (4.1.9,
#   table 4.2); the machine-level 3, 7, 11 are not taken in S-mode;
SUPERVISOR_INTERRUPTS = (1, 5, 9)
# - every exception code the cause tables define: 0-9, 11, 12, 13, 15 (3.1.15 table 3.6;
#   10 and 14 reserved).  Each is run from both origins, also the ones a mode cannot raise
#   (an ecall from S while in U): the entry may not depend on the code to save and restore.
EXCEPTION_CODES = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15)
EXPECTED_CASES = {f"interrupt {n} from {o}" for n in SUPERVISOR_INTERRUPTS for o in SUPERVISOR_ORIGINS} | {
    f"exception {n} from {o}" for n in EXCEPTION_CODES for o in SUPERVISOR_ORIGINS
}


@st.composite
def specs(draw: st.DrawFn) -> str:
    order = draw(st.permutations(_SLOTS))
    layout = []
    for i, name in enumerate(order):
        if draw(st.booleans()) and i % 5 == 0:
            layout.append(f"{{pad: {8 * draw(st.integers(1, 2))}}}")
        layout.append(f"{{name: f_{name}, holds: {name}}}" if draw(st.booleans()) else name)
    protocol = draw(st.sampled_from(["scratch_sp", "thread_pointer"]))
    stack = f"  protocol: {protocol}\n"
    if protocol == "thread_pointer":
        stack += "  kernel_sp_offset: 8\n  user_sp_offset: 32\n"
    vectored = draw(st.booleans())
    flag = {k: draw(st.booleans()) for k in ("clear_registers", "gp_reload", "clear_reservation", "fp", "syscall")}
    restore = draw(st.lists(st.sampled_from(GPRS), max_size=6, unique=True))
    text = (
        "isrgen: 1\narch: riscv64\n"
        f"vector: {{mode: {'vectored' if vectored else 'direct'}}}\n"
        + ("sections: {align: 128}\n" if vectored else "")
        + f"stack:\n{stack}"
        + f"frame:\n  layout: [{', '.join(layout)}]\n  fp: {str(flag['fp']).lower()}\n"
        + f"handler:\n  symbol: h\n  returns: {draw(st.sampled_from(['void', 'frame', 'noreturn']))}\n"
        + "  args: [frame, cause]\n"
        + (f"syscall: {{handler: sys_h, restore: [{', '.join(restore)}]}}\n" if flag["syscall"] else "")
        + "entry:\n"
        + "".join(f"  {k}: {str(flag[k]).lower()}\n" for k in ("clear_registers", "gp_reload", "clear_reservation"))
        + f"  clear_status: [{', '.join(draw(st.lists(st.sampled_from(['SUM', 'FS', 'VS', 'MXR']), unique=True)))}]\n"
    )
    return text


@settings(max_examples=8, derandomize=True, deadline=None)
@given(specs())
def test_random_specs_prove(text: str) -> None:
    require_tool("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
    require_module("unicorn")
    options = load_riscv64_spec(text, "random.yaml")
    cases = prove(options, seed=len(text)).cases
    assert "mode: machine" not in text  # every drawn spec is an S-mode kernel's
    assert len(cases) == len(set(cases)) and set(cases) == EXPECTED_CASES  # 2 x (3 + 14) = 34
