"""Prove riscv64 glue under unicorn: take every kind of trap from every origin with random
registers, stop in the handler and check the frame field by field, then return and check
that the trapped code resumes with its registers (or, after a system call, with the declared
registers and zeros).

The expected values come from the trap as the hart delivered it (:class:`.emulate.Hart`)
and from the spec's declarations, never from the generated code.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs

from ...diagnostics import IsrgenError
from ...proof.toolchain import run_tool
from .codegen import build_program
from .emulate import PAGE, Hart, Image
from .facts import (
    CAUSE_INTERRUPT_BIT,
    CSRS,
    ECALL_SIZE,
    EXCEPTIONS,
    FPRS,
    GPRS,
    INTERRUPTS,
    MODE_PRIV,
    MTI,
    PRIV_M,
    PRIV_S,
    PRIV_U,
    SEI,
    SSI,
    SSTATUS_FS,
    SSTATUS_SUM,
    STACK_ALIGN,
    STATUS_BITS,
    STI,
    SYSCALL_CAUSES,
    Mode,
    TvecMode,
)
from .gas import render_gas
from .options import Frame, Returns, Riscv64Options, Role, StackProtocol

LINK_ADDRESS = 0x8000_0000
KSTACK_BASE = 0x8800_0000
KSTACK_SIZE = 0x10000
KSTACK_TOP = KSTACK_BASE + KSTACK_SIZE
#: a task structure for the thread-pointer protocol
TASK = 0x8900_0000
#: where the trapped code runs
CODE_PAGE = 0x8A00_0000
#: sc.d: AMO opcode 0x2f, funct3 0b011, funct5 0b00011 (unprivileged spec 8.2, table 24.2)
_SC_D_MASK, _SC_D = 0xF800707F, 0x1800302F
ASFLAGS = ("riscv64-linux-gnu-as", "-march=rv64gc", "-mabi=lp64d")


class ProofError(IsrgenError):
    """The glue did not do what the spec declares."""


@attrs.frozen
class Case:
    """One trap: the cause (interrupt bit included) and the privilege it interrupts."""

    cause: int
    origin: int

    def __str__(self) -> str:
        kind = "interrupt" if self.cause & CAUSE_INTERRUPT_BIT else "exception"
        return f"{kind} {self.cause & ~CAUSE_INTERRUPT_BIT} from {'USM'[self.origin] if self.origin < 3 else 'M'}"


@attrs.frozen
class PathCost:
    """Instructions one trap took: from the trap to the handler's first instruction, and from
    the handler's return (its ``ret``) to the trapped code."""

    case: str
    entry: int
    exit: int


@attrs.frozen
class ProofReport:
    """What was proven: one line per case, and what each stack-protocol path cost."""

    cases: tuple[str, ...]
    costs: tuple[PathCost, ...] = ()


def harness_source(options: Riscv64Options) -> str:
    """The stand-in kernel: _start, and handlers that return (or leave through the exit)."""
    lines = ["    .text", "    .globl _start", "_start:", "    j _start"]

    def stub(symbol: str, returns: Returns, takes_frame: bool) -> None:
        lines.extend([f"    .globl {symbol}", f"{symbol}:"])
        if returns is Returns.NORETURN:
            switch = options.protocol is StackProtocol.KERNEL_SWITCH
            lines.append(f"    j {symbol}" if switch else f"    mv a0, sp\n    j {options.symbols.exit}")
        elif returns is Returns.FRAME:
            lines.extend(["    mv a0, sp", "    ret"])
        else:
            lines.append("    ret")

    stub(options.handler.symbol, options.handler.returns, "frame" in options.handler.args)
    d = options.handler.dispatch
    tables: list[str] = []
    if d is not None:
        for table, kind, count in ((d.interrupt_table, "irq", d.interrupts), (d.exception_table, "exc", d.exceptions)):
            tables.extend(["    .globl " + table, f"{table}:"])
            for n in range(count):
                stub(table_stub(kind, n), options.handler.returns, True)
                tables.append(f"    .8byte {table_stub(kind, n)}")
    if options.syscall is not None and options.syscall.handler is not None:
        stub(options.syscall.handler, Returns.VOID, True)
    if options.kernel_entry is not None:
        stub(options.kernel_entry.handler.symbol, options.kernel_entry.handler.returns, True)
    for _, target in options.vector.targets:
        lines.extend([f"    .globl {target}", f"{target}:", f"    j {options.symbols.entry}"])
    lines.extend(['    .section .sdata, "aw"', "    .8byte 0", '    .section .rodata, "a"', *tables])
    return "\n".join(lines) + "\n"


def table_stub(kind: str, n: int) -> str:
    """The harness's handler for table entry ``n`` ("irq" or "exc")."""
    return f"isrgen_{kind}_{n}"


def build_image(options: Riscv64Options, glue: str | None = None) -> Image:
    """Assemble ``glue`` (default: generated from ``options``) with the harness and link it."""
    text = glue if glue is not None else render_gas(build_program(options))
    with tempfile.TemporaryDirectory(prefix="isrgen-rv-") as tmp:
        d = Path(tmp)
        (d / "glue.S").write_text(text)
        (d / "harness.S").write_text(harness_source(options))
        for name in ("glue", "harness"):
            run_tool([*ASFLAGS, "-o", d / f"{name}.o", d / f"{name}.S"])
        run_tool(
            [
                "riscv64-linux-gnu-ld",
                "-static",
                "-nostdlib",
                "-e",
                "_start",
                f"-Ttext={LINK_ADDRESS:#x}",
                "-o",
                d / "image.elf",
                d / "glue.o",
                d / "harness.o",
            ]
        )
        return Image.from_elf((d / "image.elf").read_bytes())


def cases(options: Riscv64Options) -> Iterator[Case]:
    """Every architectural cause (interrupts the mode handles, all exceptions) from each origin."""
    origins = (PRIV_U, PRIV_S) if options.mode is Mode.SUPERVISOR else (PRIV_U, PRIV_S, PRIV_M)
    machine = options.mode is Mode.MACHINE
    interrupts = [n for n in INTERRUPTS if (n % 4 == 3) == machine]
    for origin in origins:
        for n in interrupts:
            yield Case(CAUSE_INTERRUPT_BIT | n, origin)
        for n in EXCEPTIONS:
            yield Case(n, origin)


def clobber(hart: Hart, rng: random.Random, keep: tuple[str, ...]) -> None:
    """What a handler may do to the registers: every GPR but ``keep`` gets a random value, so
    a register the glue forgets to restore shows."""
    for r in GPRS:
        if r not in keep:
            hart.set_reg(r, rng.getrandbits(64))


class _StackProof:
    """One trap through a stack-protocol entry (scratch_sp or thread_pointer)."""

    def __init__(self, options: Riscv64Options, image: Image, case: Case, rng: random.Random):
        self.o = options
        self.case = case
        self.csr = CSRS[options.mode]
        self.hart = Hart(image, ((KSTACK_BASE, KSTACK_SIZE), (TASK, PAGE), (CODE_PAGE, PAGE)))
        self.syms = image.symbols
        self.rng = rng
        self.regs = {r: rng.getrandbits(64) for r in GPRS}
        self.fprs = {f: rng.getrandbits(64) for f in FPRS}
        #: fflags (bits 4:0) and a valid rounding mode (bits 7:5, 0-4: unprivileged spec 11.2)
        self.fcsr_value = rng.randrange(5) << 5 | rng.getrandbits(5)
        self.tval = rng.getrandbits(64)

    def fail(self, message: str) -> ProofError:
        return ProofError(f"{self.case}: {message}")

    def expect(self, what: str, got: int, want: int) -> None:
        if got != want:
            raise self.fail(f"{what} is {got:#x}, expected {want:#x}")

    @property
    def is_syscall(self) -> bool:
        return self.o.syscall is not None and self.case.cause in SYSCALL_CAUSES[self.o.mode] and self.from_lower

    @property
    def from_lower(self) -> bool:
        """The trap came from a privilege below the handling mode (U, or S under M)."""
        return self.case.origin < MODE_PRIV[self.o.mode]

    def setup(self) -> None:
        o, h = self.o, self.hart
        vector = self.syms[o.symbols.vector] if o.vector.mode is TvecMode.VECTORED else self.syms[o.symbols.entry]
        h.set_csr(self.csr.tvec, vector | int(o.vector.mode))
        from_user = self.from_lower
        if from_user:
            h.set_csr(self.csr.scratch, KSTACK_TOP if o.protocol is StackProtocol.SCRATCH_SP else TASK)
        else:
            h.set_csr(self.csr.scratch, 0)
            self.regs["sp"] = KSTACK_TOP - 0x400 - STACK_ALIGN * self.rng.randrange(16)
            if o.protocol is StackProtocol.THREAD_POINTER:
                self.regs["tp"] = TASK
        if o.tp_offsets is not None:
            h.write64(TASK + o.tp_offsets.kernel_sp, KSTACK_TOP)
            h.write64(TASK + o.tp_offsets.user_sp, 0)
        ie = self.csr.status_ie * self.rng.randrange(2)
        fs = SSTATUS_FS
        if o.frame.fp is not None and o.frame.slot_of_role(Role.STATUS) is not None:
            # FS Off, Initial, Clean or Dirty (priv 3.1.6.6): the entry turns the FP unit on itself
            fs = self.rng.randrange(4) * (SSTATUS_FS & -SSTATUS_FS)
        self.set_fp(self.fprs, self.fcsr_value)
        h.set_csr(self.csr.status, ie | SSTATUS_SUM | fs)
        h.set_priv(self.case.origin)
        for r, v in self.regs.items():
            h.set_reg(r, v)

    def set_fp(self, fprs: dict[str, int], fcsr: int) -> None:
        """The FP registers and fcsr, written with the FP unit on whatever the status says."""
        status = self.hart.csr(self.csr.status)
        self.hart.set_csr(self.csr.status, status | SSTATUS_FS)
        for f, v in fprs.items():
            self.hart.set_fpr(f, v)
        self.hart.set_csr("fcsr", fcsr)
        self.hart.set_csr(self.csr.status, status)

    def fcsr(self) -> int:
        status = self.hart.csr(self.csr.status)
        self.hart.set_csr(self.csr.status, status | SSTATUS_FS)
        value = self.hart.csr("fcsr")
        self.hart.set_csr(self.csr.status, status)
        return value

    def handler_symbol(self) -> str:
        if self.is_syscall:
            assert self.o.syscall is not None and self.o.syscall.handler is not None
            return self.o.syscall.handler
        d = self.o.handler.dispatch
        if d is not None:
            n = self.case.cause & ~CAUSE_INTERRUPT_BIT
            interrupt = bool(self.case.cause & CAUSE_INTERRUPT_BIT)
            if n < (d.interrupts if interrupt else d.exceptions):
                return table_stub("irq" if interrupt else "exc", n)
        return self.o.handler.symbol

    def run(self) -> PathCost:
        o, h = self.o, self.hart
        frame: Frame = o.frame
        self.setup()
        pc = CODE_PAGE + 4
        entered = h.take_trap(o.mode, self.case.cause, self.tval, pc)
        status_at_trap = h.csr(self.csr.status)
        self.check_entry_point(entered)
        counted = [0]

        def count(uc: object, address: int, size: int, user: object) -> None:
            counted[0] += 1

        counter = h.uc.hook_add(h.unicorn.UC_HOOK_CODE, count)
        h.run(self.syms[self.handler_symbol()])
        entry_cost = counted[0]
        base = h.reg("sp")
        from_user = self.from_lower
        interrupted_sp = self.regs["sp"]
        want_base = (KSTACK_TOP if from_user else interrupted_sp) - frame.size
        self.expect("the frame address (sp in the handler)", base, want_base)
        if base % STACK_ALIGN:
            raise self.fail(f"sp {base:#x} is not {STACK_ALIGN}-byte aligned at the call")
        args = ("frame",) if self.is_syscall else o.handler.args
        for reg, arg in zip(("a0", "a1"), args, strict=False):
            self.expect(f"{reg} ({arg})", h.reg(reg), base if arg == "frame" else self.case.cause)
        want = {
            Role.EPC: pc + (ECALL_SIZE if self.is_syscall else 0),
            Role.STATUS: status_at_trap,
            Role.TVAL: self.tval,
            Role.CAUSE: self.case.cause,
            Role.ORIG_A0: self.regs["a0"],
        }
        for slot in frame.slots:
            got = h.read64(base + slot.offset)
            if slot.register is not None:
                self.expect(f"frame.{slot.name} ({slot.register})", got, self.regs[slot.register])
            elif slot.role in want:
                self.expect(f"frame.{slot.name} ({slot.role})", got, want[slot.role])
        if frame.fp is not None:
            for i, f in enumerate(FPRS):
                self.expect(f"frame {f}", h.read64(base + frame.fp.offset + 8 * i), self.fprs[f])
            self.expect("frame fcsr", h.read64(base + frame.fp.fcsr_offset), self.fcsr_value)
        self.check_kernel_state(from_user)
        clobber(h, self.rng, ("sp", "ra", "tp"))
        if frame.fp is not None:  # the handler may use the FP registers too
            self.set_fp({f: self.rng.getrandbits(64) for f in FPRS}, self.rng.getrandbits(5))
        resume = pc + (ECALL_SIZE if self.is_syscall else 0)
        # QEMU (so unicorn) drops every reservation on a privilege change, sret included, so a
        # surviving reservation cannot be observed: check that an sc.d runs on the way out.
        sc_seen: list[int] = []

        def on_insn(uc: object, address: int, size: int, user: object) -> None:
            if int.from_bytes(h.uc.mem_read(address, 4), "little") & _SC_D_MASK == _SC_D:
                sc_seen.append(address)

        hook = h.uc.hook_add(h.unicorn.UC_HOOK_CODE, on_insn)
        counted[0] = 0
        h.run(resume)
        h.uc.hook_del(hook)
        h.uc.hook_del(counter)
        # the harness's handler runs one instruction (ret) or two (mv a0, sp; ret / j exit)
        exit_cost = counted[0] - (1 if o.handler.returns is Returns.VOID or self.is_syscall else 2)
        if o.hardening.clear_reservation and not sc_seen:
            raise self.fail("no sc.d on the way back: an LR reservation of the kernel could survive the sret")
        self.check_resumed(from_user, status_at_trap)
        return PathCost(str(self.case), entry_cost, exit_cost)

    def check_entry_point(self, entered: int) -> None:
        o = self.o
        if o.vector.mode is TvecMode.VECTORED and self.case.cause & CAUSE_INTERRUPT_BIT:
            n = self.case.cause & ~CAUSE_INTERRUPT_BIT
            self.expect("the vectored entry point", entered, self.syms[o.symbols.vector] + 4 * n)

    def check_kernel_state(self, from_user: bool) -> None:
        o, h = self.o, self.hart
        self.expect(f"{self.csr.scratch} in the handler", h.csr(self.csr.scratch), 0)
        mask = 0
        for bit in o.hardening.clear_status:
            mask |= STATUS_BITS[bit]
        if h.csr(self.csr.status) & mask:
            raise self.fail(f"{self.csr.status} bits {', '.join(o.hardening.clear_status)} are not clear")
        if o.protocol is StackProtocol.THREAD_POINTER:
            self.expect("tp in the handler (the task)", h.reg("tp"), TASK)
        if not from_user:
            return
        if o.hardening.gp_reload:
            self.expect("gp in the handler", h.reg("gp"), self.syms[o.hardening.gp_reload])
        if o.hardening.clear_registers:
            args = ("frame",) if self.is_syscall else o.handler.args
            keep = {"sp", "gp", "tp", "ra", *("a0", "a1")[: len(args)]}
            if o.handler.dispatch is not None and not self.is_syscall:
                keep |= {"t0", "t1", "t2"}  # the dispatch's own index and entry address
            for r in GPRS:
                if r not in keep:
                    self.expect(f"{r} in the handler (cleared)", h.reg(r), 0)

    def check_resumed(self, from_user: bool, status_at_trap: int) -> None:
        o, h = self.o, self.hart
        self.expect("the privilege after the return", h.priv, self.case.origin)
        for r in GPRS:
            got = h.reg(r)
            if self.is_syscall:
                assert o.syscall is not None
                kept = r == "sp" or r in o.syscall.restore
                self.expect(f"{r} after the system call", got, self.regs[r] if kept else 0)
            elif not from_user and r in o.hardening.no_restore:
                continue
            else:
                self.expect(f"{r} after the return", got, self.regs[r])
        for f in FPRS:
            self.expect(f"{f} after the return", h.fpr(f), self.fprs[f])
        if o.frame.fp is not None:
            self.expect("fcsr after the return", self.fcsr(), self.fcsr_value)
        status = h.csr(self.csr.status)
        pie = 1 if status_at_trap & self.csr.status_pie else 0
        self.expect(f"{self.csr.status} IE after the return", (status & self.csr.status_ie) != 0, pie)
        self.expect(
            f"{self.csr.status} SUM|FS after the return",
            status & (SSTATUS_SUM | SSTATUS_FS),
            status_at_trap & (SSTATUS_SUM | SSTATUS_FS),
        )
        if from_user:
            want = KSTACK_TOP if o.protocol is StackProtocol.SCRATCH_SP else TASK
            self.expect(f"{self.csr.scratch} after the return to U-mode", h.csr(self.csr.scratch), want)
            if o.tp_offsets is not None:
                self.expect("task kernel_sp after the return", h.read64(TASK + o.tp_offsets.kernel_sp), KSTACK_TOP)
        else:
            self.expect(f"{self.csr.scratch} after the return to the kernel", h.csr(self.csr.scratch), 0)


def prove_machine_timer(options: Riscv64Options, image: Image, rng: random.Random) -> list[str]:
    """The M-mode timer entry from U- and S-mode: mtimecmp advanced by the interval, the
    supervisor interrupt pending, every register and mscratch as they were, back in the
    interrupted mode (priv 3.1.6.1, 3.1.9, 3.2.1)."""
    t = options.machine_timer
    assert t is not None
    done = []
    scratch, mtimecmp = TASK + 0x800, TASK + 0xF00
    for origin in (PRIV_U, PRIV_S):
        case = Case(CAUSE_INTERRUPT_BIT | MTI, origin)
        h = Hart(image, ((TASK, PAGE), (CODE_PAGE, PAGE)))
        regs = {r: rng.getrandbits(64) for r in GPRS}
        now, interval = rng.getrandbits(48), rng.getrandbits(24)
        h.write64(scratch + t.mtimecmp_offset, mtimecmp)
        h.write64(scratch + t.interval_offset, interval)
        h.write64(mtimecmp, now)
        h.set_csr("mtvec", image.symbols[t.symbol])
        h.set_csr("mscratch", scratch)
        # sip.SSIP is writable only while delegated (priv 4.1.3); boot code delegates S interrupts
        h.set_csr("mideleg", (1 << SSI) | (1 << STI) | (1 << SEI))
        h.set_priv(origin)
        for r, v in regs.items():
            h.set_reg(r, v)
        pc = CODE_PAGE + 4 * rng.randrange(PAGE // 4)
        h.take_trap(Mode.MACHINE, case.cause, 0, pc)
        h.run(pc)

        def expect(what: str, got: int, want: int, case: Case = case) -> None:
            if got != want:
                raise ProofError(f"{case} (machine timer): {what} is {got:#x}, expected {want:#x}")

        expect("the privilege after mret", h.priv, origin)
        for r in GPRS:
            expect(r, h.reg(r), regs[r])
        expect("mscratch", h.csr("mscratch"), scratch)
        expect("mtimecmp", h.read64(mtimecmp), now + interval)
        expect("the forwarded pending bit", h.csr("mip") & t.forward_bit, t.forward_bit)
        done.append(f"{case} (machine timer)")
    return done


def prove(options: Riscv64Options, glue: str | None = None, *, seed: int = 0) -> ProofReport:
    """Run every case against ``glue`` (default: generated); raise :class:`ProofError` on the first
    difference from what the spec declares."""
    if options.protocol is StackProtocol.KERNEL_SWITCH:
        from .prove_trampoline import prove_trampoline

        return prove_trampoline(options, glue, seed=seed)
    image = build_image(options, glue)
    rng = random.Random(seed)
    done = []
    costs = []
    for case in cases(options):
        costs.append(_StackProof(options, image, case, rng).run())
        done.append(str(case))
    if options.machine_timer is not None:
        done += prove_machine_timer(options, image, rng)
    return ProofReport(tuple(done), tuple(costs))
