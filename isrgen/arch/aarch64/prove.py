"""``isrgen prove`` for aarch64: run the real glue under unicorn and check every promise.

For every slot, from the exception level the slot belongs to, with random
registers: the frame holds each register and system register, x0 is the frame,
sp is 16-byte aligned at the call, DAIF is as configured, the right handler runs;
then through the handler's return model and the exit routine to ``eret``: the
right EL, SP_EL0/SP_EL1 by the exit routine's stack rule, every register restored
(or zeroed, for a system call), and the halt routine for handlers that must not
return.  Handlers are simulated: they clobber every caller-saved register
(AAPCS64 6.1.1) and modify the frame before returning.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import attrs
from unicorn import arm64_const as a64

from ...codegen.ir import Program
from .codegen import build_program
from .emulate import KERNEL_STACK, REGION, SCRATCH, TEXT_BASE, USER, CpuState, Image, Machine, load_image
from .facts import (
    CALLER_SAVED,
    DAIF_BITS,
    DAIF_SHIFT,
    ERET_ENCODING,
    ESR_EC_SHIFT,
    ESR_IL,
    GPRS,
    SLOTS,
    SPSR_M_MASK,
    Ec,
    ExceptionType,
    Mode,
    Origin,
    VectorSlot,
)
from .layout import FrameLayout, compute_layout
from .options import Aarch64Spec, Arg, ExitBarrier, Handler, Returns
from .syntax import render_gas
from .toolchain import assemble, link

KSTACK_TOP = KERNEL_STACK + REGION
#: a per-thread save block's top: the largest frame (32 KiB) and a frame record below it fit in
#: the randomized first 64 KiB of the scratch region
BLOCK_TOP = SCRATCH + 0x1_0000
#: another task's frame a handler may return, clear of the block and of the resume addresses
OTHER_FRAME = SCRATCH + 0x4_0000
_AARCH32_USR = 0x10
_FP_ROLES = frozenset({*(f"q{i}" for i in range(32)), "fpcr", "fpsr"})
#: PSTATE.IL, set by an illegal exception return (Arm ARM D1.11.5)
_IL_SHIFT = 20
#: FPCR bits unicorn keeps (AHP, DN, FZ, RMode: Arm ARM C5.2, FPCR) and FPSR's cumulative flags
_FPCR_BITS = 0x07C0_0000
_FPSR_BITS = 0xF800_009F
_FAULT_CLASSES = (
    Ec.UNKNOWN,
    Ec.DATA_ABORT_LOWER,
    Ec.DATA_ABORT_SAME,
    Ec.INSN_ABORT_LOWER,
    Ec.SP_ALIGNMENT,
    Ec.PC_ALIGNMENT,
    Ec.BRK64,
)


@attrs.frozen
class Finding:
    """One broken promise."""

    case: str
    message: str

    def __str__(self) -> str:
        return f"{self.case}: {self.message}"


@attrs.frozen
class PathCost:
    """Instructions one case executed: from the vector to the handler's first instruction,
    and from the handler's return to the ``eret`` (both included; None for noreturn)."""

    case: str
    to_handler: int
    back: int | None


@attrs.frozen
class ProofReport:
    """What was run and what failed."""

    cases: int
    findings: tuple[Finding, ...]
    costs: tuple[PathCost, ...] = ()

    @property
    def ok(self) -> bool:
        """No finding."""
        return not self.findings

    def summary(self) -> list[str]:
        """Human-readable lines: the verdict, each finding, the instruction count of each path."""
        verdict = "all promises hold" if self.ok else f"{len(self.findings)} broken promise(s)"
        lines = [f"aarch64 proof: {self.cases} cases, {verdict}"]
        lines += [f"  FAIL {f}" for f in self.findings]
        for c in self.costs:
            back = "noreturn" if c.back is None else f"{c.back} back to eret"
            lines.append(f"  {c.case}: {c.to_handler} instructions to the handler, {back}")
        return lines


def handler_stub_source(spec: Aarch64Spec) -> str:
    """GAS for stand-in handlers: each symbol is a branch-to-self the harness stops at."""
    lines = ["    .text"]
    for h in spec.handlers:
        lines += [f"    .globl {h.symbol}", "    .balign 4", f"{h.symbol}:", f"    b {h.symbol}"]
    return "\n".join(lines) + "\n"


def build_image(spec: Aarch64Spec, program: Program, workdir: Path) -> Image:
    """Assemble ``program`` and stand-in handlers with GNU as and link them at TEXT_BASE."""
    glue = workdir / "isr.S"
    glue.write_text(render_gas(program))
    stubs = workdir / "handlers.S"
    stubs.write_text(handler_stub_source(spec))
    objs = [assemble(glue, workdir / "isr.o"), assemble(stubs, workdir / "handlers.o")]
    return load_image(str(link(objs, workdir / "glue.elf", TEXT_BASE, spec.symbols.table)))


class _Case:
    """One delivery: build the interrupted state, run, check."""

    def __init__(self, prover: Prover, slot: VectorSlot, rng: random.Random, syscall: bool):
        self.p = prover
        self.spec = prover.spec
        self.lay = prover.layout
        self.slot = slot
        self.rng = rng
        self.syscall = syscall
        self.name = f"slot {slot.number} ({slot.name}){' svc' if syscall else ''}"
        self.findings: list[Finding] = []
        self.cost: PathCost | None = None
        #: whether this slot saves and restores the FP/SIMD area
        self.fpsimd = syscall or prover.spec.route(slot).fpsimd
        #: offset -> the value put in a reserved frame word before the exception
        self.reserved: dict[int, int] = {}

    def fail(self, message: str) -> None:
        self.findings.append(Finding(self.name, message))

    def check(self, what: str, got: int, want: int) -> None:
        if got != want:
            self.fail(f"{what} = {got:#x}, expected {want:#x}")

    # -- the interrupted context --------------------------------------------------------
    def esr(self) -> int:
        r = self.rng
        if self.syscall:
            return (Ec.SVC64 << ESR_EC_SHIFT) | ESR_IL | r.getrandbits(16)
        if self.slot.type is ExceptionType.SYNC:
            return (r.choice(_FAULT_CLASSES) << ESR_EC_SHIFT) | ESR_IL | r.getrandbits(25)
        return r.getrandbits(32)

    def interrupted(self) -> CpuState:
        r = self.rng
        origin = self.slot.origin
        mode = {Origin.EL1T: Mode.EL1T, Origin.EL1H: Mode.EL1H, Origin.EL0_64: Mode.EL0T}.get(origin)
        m = int(mode) if mode is not None else _AARCH32_USR
        lower = self.slot.from_lower_el
        sp_el1 = KSTACK_TOP - 0x1000 - 16 * r.randrange(64) if origin is Origin.EL1H else KSTACK_TOP
        if lower and self.spec.stack.source != "sp_el1":
            sp_el1 = r.getrandbits(64)  # whatever SP_EL1 holds: the entry must not use it
        return CpuState(
            x=[r.getrandbits(64) for _ in GPRS],
            q=[r.getrandbits(128) for _ in range(32)],
            fpcr=r.getrandbits(32) & _FPCR_BITS,
            fpsr=r.getrandbits(32) & _FPSR_BITS,
            sp_el0=r.getrandbits(64),
            sp_el1=sp_el1,
            elr=(USER if lower else SCRATCH) + 0x1_0000 + 4 * r.randrange(0x4000),
            spsr=m | (r.getrandbits(4) << 28),
            esr=self.esr(),
            far=r.getrandbits(64),
            tpidr_el1=self.sysreg("tpidr_el1"),
            tpidrro_el0=self.sysreg("tpidrro_el0"),
        )

    def sysreg(self, name: str) -> int:
        """A thread-pointer register: the block top when it is the stack source, else random."""
        return BLOCK_TOP if self.spec.stack.source == name else self.rng.getrandbits(64) & ~0xF

    def frame_address(self, s: CpuState) -> int:
        if self.slot.from_lower_el and self.spec.stack.source != "sp_el1":
            return BLOCK_TOP - self.lay.size
        return s.sp_el1 - self.lay.size

    def interrupted_sp(self, s: CpuState) -> int:
        return s.sp_el1 if self.slot.origin is Origin.EL1H else s.sp_el0

    # -- at the handler -----------------------------------------------------------------
    def expected_handler(self) -> Handler:
        if self.syscall:
            assert self.spec.syscall is not None
            return self.spec.syscall.handler
        return self.spec.route(self.slot).handler

    def check_frame(self, m: Machine, frame: int, s: CpuState) -> None:
        values = {
            "sp": self.interrupted_sp(s),
            "elr": s.elr,
            "spsr": s.spsr,
            "esr": s.esr,
            "far": s.far,
            "kind": self.slot.number,
            "pad": 0,
            "fpcr": s.fpcr,
            "fpsr": s.fpsr,
        }
        for f in self.lay.fields:
            if (f.role in _FP_ROLES and not self.fpsimd) or f.role == "record":
                continue  # not saved on this slot / checked with the hardening options
            if f.role in GPRS:
                self.check(f"frame.{f.name}", m.read64(frame + f.offset), s.x[int(f.role[1:])])
            elif f.role.startswith("q"):
                self.check(f"frame.{f.name}", m.read128(frame + f.offset), s.q[int(f.role[1:])])
            elif f.role == "pad":
                for i in range(0, f.size, 8):
                    self.check(f"frame.{f.name}+{i}", m.read64(frame + f.offset + i), 0)
            elif f.role == "reserved":
                for i in range(0, f.size, 8):
                    want = self.reserved[f.offset + i]
                    self.check(f"frame.{f.name}+{i} (reserved: untouched)", m.read64(frame + f.offset + i), want)
            else:
                self.check(f"frame.{f.name}", m.read64(frame + f.offset), values[f.role])

    def at_handler(self, m: Machine, s: CpuState, handler: Handler) -> int:
        frame = self.frame_address(s)
        hard = self.spec.hardening
        sp = m.reg("sp")
        self.check("x0 (the frame)", m.x(0), frame)
        below = self.lay.record_below if hard.frame_record else 0
        self.check("sp at the call", sp, frame - below)
        if sp % 16:
            self.fail(f"sp {sp:#x} is not 16-byte aligned at the call (AAPCS64 6.4.5.1)")
        pstate = m.reg("pstate")
        self.check("PSTATE.M at the handler", pstate & SPSR_M_MASK, int(Mode.EL1H))
        unmasked = sum(DAIF_BITS[b] for b in hard.unmask_daif)
        self.check("PSTATE.DAIF at the handler", (pstate >> DAIF_SHIFT) & 0xF, 0xF & ~unmasked)
        self.check_frame(m, frame, s)
        for i, arg in enumerate(handler.args):
            want = {Arg.FRAME: frame, Arg.KIND: self.slot.number, Arg.ESR: s.esr}[arg]
            self.check(f"argument {arg.value} in x{i}", m.x(i), want)
        if hard.frame_record:
            record = frame + self.lay.offset("record") if self.lay.has("record") else sp
            self.check("x29 (frame record)", m.x(29), record)
            self.check("frame record [0] (interrupted x29)", m.read64(record), s.x[29])
            self.check("frame record [8] (elr)", m.read64(record + 8), s.elr)
        if hard.clear_registers and self.slot.from_lower_el:
            keep = set(range(len(handler.args))) | {29 if hard.frame_record else -1, 30}
            for i in range(31):
                if i not in keep:
                    self.check(f"x{i} at the handler (cleared)", m.x(i), 0)
        if self.slot.from_lower_el and self.spec.stack.kernel_sp_el0:
            want = {"tpidr_el1": s.tpidr_el1, "tpidrro_el0": s.tpidrro_el0}[self.spec.stack.kernel_sp_el0]
            self.check("SP_EL0 in the kernel", m.reg("sp_el0"), want)
        return frame

    def clobber(self, m: Machine) -> None:
        """What any AAPCS64 function may do to caller-saved state."""
        for reg in CALLER_SAVED:
            m.set_x(int(reg[1:]), self.rng.getrandbits(64))
        if not self.fpsimd:
            return  # the slot's handler promises not to touch FP/SIMD registers
        for i in [*range(8), *range(16, 32)]:
            m.uc.reg_write(m_q(i), self.rng.getrandbits(128))

    # -- frames to resume ----------------------------------------------------------------
    def write_frame(self, m: Machine, frame: int, mode: int, sp: int) -> CpuState:
        """Fill the frame at ``frame`` with fresh values; return what resuming it must give."""
        r = self.rng
        lower = mode in (Mode.EL0T, _AARCH32_USR)
        s = CpuState(
            x=[r.getrandbits(64) for _ in GPRS],
            q=[r.getrandbits(128) for _ in range(32)],
            fpcr=r.getrandbits(32) & _FPCR_BITS,
            fpsr=r.getrandbits(32) & _FPSR_BITS,
            sp_el0=sp,
            sp_el1=sp,
            elr=(USER if lower else SCRATCH) + 0x2_0000 + 4 * r.randrange(0x4000),
            spsr=mode | (r.getrandbits(4) << 28),
            esr=0,
            far=0,
        )
        for f in self.lay.fields:
            addr = frame + f.offset
            if f.role in GPRS:
                m.write(addr, s.x[int(f.role[1:])])
            elif f.role.startswith("q"):
                m.write(addr, s.q[int(f.role[1:])], 16)
            elif f.role in ("sp", "elr", "spsr", "fpcr", "fpsr"):
                m.write(addr, {"sp": sp, "elr": s.elr, "spsr": s.spsr, "fpcr": s.fpcr, "fpsr": s.fpsr}[f.role])
        return s

    def resume_target(self, m: Machine, frame: int, s: CpuState, handler: Handler) -> tuple[int, CpuState, int]:
        """Simulate the handler's return: (x0 it returns, state expected after eret, frame resumed)."""
        r = self.rng
        mode = s.spsr & SPSR_M_MASK
        if self.syscall:
            result = r.getrandbits(64)
            after = self.write_frame(m, frame, int(Mode.EL0T), r.getrandbits(64))
            m.write(frame + self.lay.offset("x0"), result)
            assert self.spec.syscall is not None
            restored = {int(x[1:]) for x in self.spec.syscall.restored}
            after.x = [after.x[i] if i in restored else 0 for i in range(31)]
            after.x[0] = result if 0 in restored else 0
            return r.getrandbits(64), after, frame
        if handler.returns is Returns.FRAME and r.random() < 0.5:
            other_mode = r.choice([int(Mode.EL0T), int(Mode.EL1H)])
            other_sp = SCRATCH + 0xF000 - 16 * r.randrange(64) if other_mode == Mode.EL1H else r.getrandbits(64)
            return OTHER_FRAME, self.write_frame(m, OTHER_FRAME, other_mode, other_sp), OTHER_FRAME
        if mode == Mode.EL1H:
            new_sp = KSTACK_TOP - 0x1000 - 16 * r.randrange(64)
        else:
            new_sp = r.getrandbits(64)
        after = self.write_frame(m, frame, mode if mode != _AARCH32_USR else _AARCH32_USR, new_sp)
        ret = frame if handler.returns is Returns.FRAME else r.getrandbits(64)
        return ret, after, frame

    # -- after eret ------------------------------------------------------------------------
    def after_eret(self, m: Machine, want: CpuState, frame: int) -> None:
        pc = m.reg("pc")
        if pc != want.elr:
            self.fail(f"did not eret to ELR: pc = {pc:#x}, expected {want.elr:#x}")
            return
        if not m.seen:
            self.fail("returned without an eret of the glue")
        else:
            at_eret = m.seen[-1][1]
            self.check("PSTATE.DAIF at the eret (masked in the glue)", (at_eret >> DAIF_SHIFT) & 0xF, 0xF)
        pstate = m.reg("pstate")
        self.check("PSTATE.IL after eret (illegal exception return)", (pstate >> _IL_SHIFT) & 1, 0)
        self.check("PSTATE.M after eret", pstate & SPSR_M_MASK, want.spsr & SPSR_M_MASK)
        self.check("PSTATE.NZCV after eret", pstate >> 28, want.spsr >> 28)
        self.check("PSTATE.DAIF after eret", (pstate >> DAIF_SHIFT) & 0xF, (want.spsr >> DAIF_SHIFT) & 0xF)
        for i in range(31):
            self.check(f"x{i} after eret", m.x(i), want.x[i])
        if self.lay.has("q0"):
            for i in range(32):
                self.check(f"q{i} after eret", m.q(i), want.q[i])
            self.check("fpcr after eret", m.reg("fpcr"), want.fpcr)
            self.check("fpsr after eret", m.reg("fpsr"), want.fpsr)
        if want.spsr & SPSR_M_MASK == Mode.EL1H and want.spsr & _AARCH32_USR == 0:
            self.check("SP_EL1 after eret (EL1h: the frame's sp)", m.reg("sp"), want.sp_el1)
        else:
            self.check("SP_EL0 after eret (the frame's sp)", m.reg("sp_el0"), want.sp_el0)
            self.check("SP_EL1 after eret (just above the frame)", m.reg("sp_el1"), frame + self.lay.size)

    def check_halt(self, m: Machine) -> None:
        start, size = m.image.symbols[self.spec.symbols.halt]
        pc = m.reg("pc")
        if not start <= pc < start + size:
            self.fail(f"a noreturn handler returned and the glue went to {pc:#x}, not the halt routine")
            return
        for i in range(31):
            self.check(f"x{i} in the halt loop", m.x(i), 0)
        self.check("PSTATE.DAIF in the halt loop", (m.reg("pstate") >> DAIF_SHIFT) & 0xF, 0xF)

    # -- the run ------------------------------------------------------------------------
    def run(self) -> list[Finding]:
        m = self.p.machine()
        m.uc.mem_write(KSTACK_TOP - 0x2000, self.rng.randbytes(0x2000))
        m.uc.mem_write(SCRATCH, self.rng.randbytes(0x10000))
        s = self.interrupted()
        # reserved fields hold the kernel's own values: the entry must leave them as they are
        base = self.frame_address(s)
        for f in self.lay.fields:
            for i in range(0, f.size if f.role == "reserved" else 0, 8):
                self.reserved[f.offset + i] = self.rng.getrandbits(64)
                m.write(base + f.offset + i, self.reserved[f.offset + i])
        m.deliver(self.slot.number, s)
        handler = self.expected_handler()
        stops = self.p.handler_addresses
        m.run(m.reg("pc"), stops.values())
        want_at = stops[handler.symbol]
        if m.stopped_at != want_at:
            where = {v: k for k, v in stops.items()}.get(m.stopped_at or -1, f"{m.reg('pc'):#x}")
            self.fail(f"expected a call to {handler.symbol}, reached {where}")
            return self.findings
        to_handler = m.executed
        frame = self.at_handler(m, s, handler)
        if self.findings:
            return self.findings
        ret, want, resumed = self.resume_target(m, frame, s, handler)
        if not self.fpsimd:  # the interrupted FP/SIMD state stays in the registers
            want.q, want.fpcr, want.fpsr = s.q, s.fpcr, s.fpsr
        lr = m.x(30)
        self.clobber(m)
        m.set_x(0, ret)
        if handler.returns is Returns.NORETURN:
            self.cost = PathCost(self.name, to_handler, None)
            m.run(lr, (), limit=400)
            self.check_halt(m)
            return self.findings
        m.run(lr, stops.values(), until=want.elr)
        self.cost = PathCost(self.name, to_handler, m.executed)
        self.after_eret(m, want, resumed)
        return self.findings


def m_q(i: int) -> int:
    """unicorn's register id of q<i>."""
    return int(getattr(a64, f"UC_ARM64_REG_Q{i}"))


class Prover:
    """Runs cases against one linked image."""

    def __init__(self, spec: Aarch64Spec, layout: FrameLayout, image: Image):
        self.spec = spec
        self.layout = layout
        self.image = image
        self.handler_addresses = {h.symbol: image.address(h.symbol) for h in spec.handlers}
        self.cpu_max = spec.hardening.exit_barrier is ExitBarrier.SB
        self.erets = image.find_word(ERET_ENCODING)

    def machine(self) -> Machine:
        m = Machine(self.image, self.spec.symbols.table, cpu_max=self.cpu_max)
        m.watch = set(self.erets)
        return m

    def halt_case(self, rng: random.Random) -> list[Finding]:
        """Call the halt routine directly with random registers."""
        m = self.machine()
        for i in range(31):
            m.set_x(i, rng.getrandbits(64))
        m.uc.reg_write(a64.UC_ARM64_REG_PSTATE, int(Mode.EL1H))  # called with DAIF unmasked
        m.run(self.image.address(self.spec.symbols.halt), (), limit=200)
        case = _Case(self, SLOTS[4], rng, False)
        case.name = "halt routine"
        case.check_halt(m)
        return case.findings

    def start_task_case(self, rng: random.Random, *, frame_in_sp: bool = False) -> list[Finding]:
        """The exit routine entering an EL0 task for the first time (x0, or sp, = a prepared frame)."""
        m = self.machine()
        m.uc.reg_write(a64.UC_ARM64_REG_PSTATE, int(Mode.EL1H))  # called from C with DAIF unmasked
        case = _Case(self, SLOTS[8], rng, False)
        case.name = "exit routine starting an EL0 task" + (" (frame in sp)" if frame_in_sp else "")
        want = case.write_frame(m, OTHER_FRAME, int(Mode.EL0T), rng.getrandbits(64))
        if frame_in_sp:
            assert self.spec.symbols.exit_sp is not None
            m.uc.reg_write(_sp_id(), OTHER_FRAME)
            m.set_x(0, rng.getrandbits(64))
            start = self.image.address(self.spec.symbols.exit_sp)
        else:
            m.uc.reg_write(_sp_id(), KSTACK_TOP)
            m.set_x(0, OTHER_FRAME)
            start = self.image.address(self.spec.symbols.exit)
        m.run(start, (), until=want.elr)
        case.after_eret(m, want, OTHER_FRAME)
        return case.findings

    def prove(self, seed: int, rounds: int) -> ProofReport:
        findings: list[Finding] = []
        costs: list[PathCost] = []
        cases = 0
        for rnd in range(rounds):
            for slot in SLOTS:
                kinds = [False]
                if self.spec.syscall is not None and self.spec.syscall.slot == slot:
                    kinds.append(True)
                for svc in kinds:
                    rng = random.Random(f"{seed}/{rnd}/{slot.number}/{svc}")
                    case = _Case(self, slot, rng, svc)
                    findings += case.run()
                    cases += 1
                    if case.cost is not None and rnd == 0:
                        costs.append(case.cost)
            findings += self.halt_case(random.Random(f"{seed}/{rnd}/halt"))
            findings += self.start_task_case(random.Random(f"{seed}/{rnd}/start"))
            cases += 2
            if self.spec.symbols.exit_sp:
                findings += self.start_task_case(random.Random(f"{seed}/{rnd}/start-sp"), frame_in_sp=True)
                cases += 1
        return ProofReport(cases, tuple(findings), tuple(costs))


def _sp_id() -> int:
    return int(a64.UC_ARM64_REG_SP)


def prove_program(
    spec: Aarch64Spec, program: Program, *, seed: int = 0, rounds: int = 2, workdir: Path | None = None
) -> ProofReport:
    """Assemble, link and prove ``program`` (possibly a mutated one) against ``spec``."""
    layout = compute_layout(spec.frame)

    def go(d: Path) -> ProofReport:
        return Prover(spec, layout, build_image(spec, program, d)).prove(seed, rounds)

    if workdir is not None:
        return go(workdir)
    with tempfile.TemporaryDirectory(prefix="isrgen-a64-") as tmp:
        return go(Path(tmp))


def prove(spec: Aarch64Spec, *, seed: int = 0, rounds: int = 2) -> ProofReport:
    """Prove the glue :func:`~isrgen.arch.aarch64.codegen.build_program` makes for ``spec``."""
    return prove_program(spec, build_program(spec), seed=seed, rounds=rounds)
