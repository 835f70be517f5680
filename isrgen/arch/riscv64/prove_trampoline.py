"""Prove a kernel_switch design under unicorn; a trampoline with real Sv39 translation.

Two address spaces are built (priv 4.3-4.4, Sv39): the kernel's (its image identity-mapped)
and a process's (its code, the frame page, no kernel), both mapping the trampoline page at
the same virtual address and without the U bit.  A trap from U-mode enters the trampoline
under the process's satp; the proof stops at the kernel handler (reached through the
frame's kernel_trap word after the satp switch), checks the frame, then calls
``userret(user satp)`` at the trampoline's alias and checks the process resumes with every
register.  Traps from S-mode go through the kernel entry with paging on.  Without a
trampoline the frame's address is in sscratch, paging stays off and userret takes the frame.
"""

from __future__ import annotations

import random

from .emulate import PAGE, Hart, Image
from .facts import (
    CAUSE_INTERRUPT_BIT,
    CSRS,
    ECALL_SIZE,
    FPRS,
    GPRS,
    PRIV_S,
    PRIV_U,
    SATP,
    SATP_MODE_SV39,
    SSTATUS_FS,
    SSTATUS_SUM,
    STACK_ALIGN,
    STATUS_BITS,
    SYSCALL_CAUSES,
    TVEC_SLOT_SIZE,
    Mode,
    TvecMode,
)
from .options import Frame, Riscv64Options, Role
from .prove import (
    KSTACK_BASE,
    KSTACK_SIZE,
    KSTACK_TOP,
    Case,
    ProofError,
    ProofReport,
    build_image,
    cases,
    clobber,
    prove_machine_timer,
)

#: Sv39 PTE bits (priv 4.3.1, figure 4.18)
PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_A, PTE_D = 1, 2, 4, 8, 16, 64, 128
PT_REGION = 0x8B00_0000
PT_PAGES = 32
FRAME_PHYS = 0x8C00_0000
USER_CODE_PHYS = 0x8D00_0000
USER_CODE_VA = 0x1000


class _PageTables:
    """Sv39 tables in the hart's memory (priv 4.4.1: three levels of 512 PTEs)."""

    def __init__(self, hart: Hart):
        self.hart = hart
        self.next = PT_REGION

    def new_table(self) -> int:
        if self.next >= PT_REGION + PT_PAGES * PAGE:
            raise ProofError("the proof ran out of page-table pages")
        table = self.next
        self.next += PAGE
        self.hart.uc.mem_write(table, bytes(PAGE))
        return table

    def map(self, root: int, va: int, pa: int, flags: int) -> None:
        table = root
        for level in (2, 1):
            index = (va >> (12 + 9 * level)) & 0x1FF
            pte = self.hart.read64(table + 8 * index)
            if not pte & PTE_V:
                child = self.new_table()
                self.hart.write64(table + 8 * index, (child >> 12) << 10 | PTE_V)
                table = child
            else:
                table = (pte >> 10) << 12
        index = (va >> 12) & 0x1FF
        self.hart.write64(table + 8 * index, (pa >> 12) << 10 | flags | PTE_V | PTE_A | PTE_D)


def _satp(root: int) -> int:
    return SATP_MODE_SV39 | root >> 12


class _TrampolineProof:
    def __init__(self, options: Riscv64Options, image: Image, case: Case, rng: random.Random):
        assert options.kernel_entry is not None
        self.o = options
        self.t = options.trampoline
        self.case = case
        self.rng = rng
        self.csr = CSRS[Mode.SUPERVISOR]
        self.syms = image.symbols
        self.hart = Hart(
            image,
            ((KSTACK_BASE, KSTACK_SIZE), (PT_REGION, PT_PAGES * PAGE), (FRAME_PHYS, PAGE), (USER_CODE_PHYS, PAGE)),
        )
        self.regs = {r: rng.getrandbits(64) for r in GPRS}
        self.fprs = {f: rng.getrandbits(64) for f in FPRS}
        #: fflags (bits 4:0) and a valid rounding mode (bits 7:5, 0-4: unprivileged spec 11.2)
        self.fcsr = rng.randrange(5) << 5 | rng.getrandbits(5)
        self.tval = rng.getrandbits(64)
        self.user_code = USER_CODE_VA
        if self.t is None:
            self.user_code = USER_CODE_PHYS
            return
        self.trampoline_phys = self.syms[f"{options.symbols.prefix}trampoline"]
        pts = _PageTables(self.hart)
        self.kernel_root = pts.new_table()
        self.user_root = pts.new_table()
        for addr, data, size in image.segments:
            for page in range(addr // PAGE * PAGE, addr + max(size, len(data)), PAGE):
                pts.map(self.kernel_root, page, page, PTE_R | PTE_W | PTE_X)
        for page in range(KSTACK_BASE, KSTACK_TOP, PAGE):
            pts.map(self.kernel_root, page, page, PTE_R | PTE_W)
        for root in (self.kernel_root, self.user_root):
            pts.map(root, self.t.address, self.trampoline_phys, PTE_R | PTE_X)
        pts.map(self.user_root, self.t.frame_address, FRAME_PHYS, PTE_R | PTE_W)
        pts.map(self.user_root, USER_CODE_VA, USER_CODE_PHYS, PTE_R | PTE_X | PTE_U)

    def fail(self, message: str) -> ProofError:
        return ProofError(f"{self.case}: {message}")

    def expect(self, what: str, got: int, want: int) -> None:
        if got != want:
            raise self.fail(f"{what} is {got:#x}, expected {want:#x}")

    def alias(self, symbol: str) -> int:
        """A trampoline symbol's address in the alias every address space maps."""
        if self.t is None:
            return self.syms[symbol]
        return self.t.address + self.syms[symbol] - self.trampoline_phys

    def satp(self, root: str) -> int:
        """The satp value of an address space (0: bare, without a trampoline)."""
        if self.t is None:
            return 0
        return _satp(self.kernel_root if root == "kernel" else self.user_root)

    def check_frame(self, frame: Frame, base: int, want: dict[Role, int], sp: int) -> None:
        for slot in frame.slots:
            got = self.hart.read64(base + slot.offset)
            if slot.register == "sp":
                self.expect(f"frame.{slot.name} (sp)", got, sp)
            elif slot.register is not None:
                self.expect(f"frame.{slot.name} ({slot.register})", got, self.regs[slot.register])
            elif slot.role in want:
                self.expect(f"frame.{slot.name} ({slot.role})", got, want[slot.role])

    def cleared_status(self) -> None:
        mask = 0
        for bit in self.o.hardening.clear_status:
            mask |= STATUS_BITS[bit]
        if self.hart.csr(self.csr.status) & mask:
            raise self.fail(f"sstatus bits {', '.join(self.o.hardening.clear_status)} are not clear")

    @property
    def is_syscall(self) -> bool:
        return self.o.syscall is not None and self.case.cause in SYSCALL_CAUSES[Mode.SUPERVISOR]

    def user_tvec(self) -> int:
        """stvec for U-mode: the entry, or the vector table with MODE = vectored (priv 4.1.2)."""
        o = self.o
        if o.vector.mode is TvecMode.VECTORED:
            return self.alias(o.symbols.vector) | int(TvecMode.VECTORED)
        return self.alias(o.symbols.entry)

    def expected_target(self) -> int:
        """Where the hart must enter: BASE + 4 * cause for an interrupt in vectored mode."""
        o = self.o
        if o.vector.mode is not TvecMode.VECTORED:
            return self.alias(o.symbols.entry)
        base = self.alias(o.symbols.vector)
        if self.case.cause & CAUSE_INTERRUPT_BIT:
            return base + TVEC_SLOT_SIZE * (self.case.cause & ~CAUSE_INTERRUPT_BIT)
        return base

    def set_fp(self, fprs: dict[str, int], fcsr: int) -> None:
        """The FP registers and fcsr, written with the FP unit on whatever sstatus.FS is."""
        status = self.hart.csr(self.csr.status)
        self.hart.set_csr(self.csr.status, status | SSTATUS_FS)
        for f, v in fprs.items():
            self.hart.set_fpr(f, v)
        self.hart.set_csr("fcsr", fcsr)
        self.hart.set_csr(self.csr.status, status)

    def check_fp_area(self, frame: Frame, base: int) -> None:
        if frame.fp is None:
            return
        for i, f in enumerate(FPRS):
            self.expect(f"frame {f}", self.hart.read64(base + frame.fp.offset + 8 * i), self.fprs[f])
        self.expect("frame fcsr", self.hart.read64(base + frame.fp.fcsr_offset), self.fcsr)

    def check_fp_restored(self, frame: Frame, when: str = "after userret") -> None:
        if frame.fp is None:
            return
        for f in FPRS:
            self.expect(f"{f} {when}", self.hart.fpr(f), self.fprs[f])
        status = self.hart.csr(self.csr.status)
        self.hart.set_csr(self.csr.status, status | SSTATUS_FS)
        self.expect(f"fcsr {when}", self.hart.csr("fcsr"), self.fcsr)
        self.hart.set_csr(self.csr.status, status)

    def run_user(self) -> None:
        h, o = self.hart, self.o
        frame = o.frame
        hartid = self.rng.randrange(8)
        kernel_words = {
            Role.KERNEL_SATP: self.satp("kernel"),
            Role.KERNEL_SP: KSTACK_TOP,
            Role.KERNEL_TRAP: self.syms[o.handler.symbol],
            Role.KERNEL_HARTID: hartid,
        }
        for role, value in kernel_words.items():
            slot = frame.slot_of_role(role)
            if slot is not None:
                h.write64(FRAME_PHYS + slot.offset, value)
        h.set_csr(self.csr.tvec, self.user_tvec())
        h.set_csr(SATP, self.satp("user"))
        if self.t is None:
            h.set_csr(self.csr.scratch, FRAME_PHYS)
        # FS Off, Initial, Clean or Dirty (priv 3.1.6.6): the entry must turn the FP unit on
        # itself before it saves the registers
        fs = self.rng.randrange(4) * (SSTATUS_FS & -SSTATUS_FS)
        h.set_csr(self.csr.status, SSTATUS_SUM | fs)
        self.set_fp(self.fprs, self.fcsr)
        h.set_priv(PRIV_U)
        for r, v in self.regs.items():
            h.set_reg(r, v)
        pc = self.user_code + 4 * self.rng.randrange(PAGE // 4 - 1)
        self.expect(
            "the entry point", h.take_trap(Mode.SUPERVISOR, self.case.cause, self.tval, pc), self.expected_target()
        )
        status_at_trap = h.csr(self.csr.status)
        h.run(self.syms[o.handler.symbol])
        self.expect("satp in the handler", h.csr(SATP), self.satp("kernel"))
        self.expect("sp in the handler", h.reg("sp"), KSTACK_TOP)
        if frame.slot_of_role(Role.KERNEL_HARTID) is not None:
            self.expect("tp in the handler (hart id)", h.reg("tp"), hartid)
        resume = pc + (ECALL_SIZE if self.is_syscall else 0)
        want = {
            Role.EPC: resume,
            Role.STATUS: status_at_trap,
            Role.TVAL: self.tval,
            Role.CAUSE: self.case.cause,
            **kernel_words,
        }
        self.check_frame(frame, FRAME_PHYS, want, self.regs["sp"])
        self.check_fp_area(frame, FRAME_PHYS)
        self.cleared_status()
        # the kernel runs (and may use the FP registers), then calls userret(user satp) at its
        # alias (or userret(frame))
        clobber(h, self.rng, ())
        self.set_fp({f: self.rng.getrandbits(64) for f in FPRS}, self.rng.getrandbits(5))
        h.set_csr(self.csr.scratch, self.rng.getrandbits(64))
        if self.t is None:
            h.set_reg("a0", FRAME_PHYS)
        else:
            for i, arg in enumerate(self.t.userret_args):
                h.set_reg(f"a{i}", self.satp("user") if arg == "satp" else self.t.frame_address)
        h.run(resume, start=self.alias(self.t.userret if self.t is not None else o.symbols.exit))
        self.expect("the privilege after userret", h.priv, PRIV_U)
        self.expect("satp after userret", h.csr(SATP), self.satp("user"))
        if self.t is None:
            self.expect("sscratch after userret (the frame)", h.csr(self.csr.scratch), FRAME_PHYS)
        for r in GPRS:
            if self.is_syscall:
                assert o.syscall is not None
                kept = r == "sp" or r in o.syscall.restore
                self.expect(f"{r} after the system call", h.reg(r), self.regs[r] if kept else 0)
            else:
                self.expect(f"{r} after userret", h.reg(r), self.regs[r])
        self.check_fp_restored(frame)

    def run_kernel(self) -> None:
        h, o = self.hart, self.o
        k = o.kernel_entry
        assert k is not None
        h.set_csr(self.csr.tvec, self.syms[k.symbol])
        h.set_csr(SATP, self.satp("kernel"))
        h.set_priv(PRIV_S)
        self.regs["sp"] = KSTACK_TOP - 0x400 - STACK_ALIGN * self.rng.randrange(16)
        for r, v in self.regs.items():
            h.set_reg(r, v)
        if k.frame.fp is not None:
            self.set_fp(self.fprs, self.fcsr)
        pc = self.syms["_start"]
        h.take_trap(Mode.SUPERVISOR, self.case.cause, self.tval, pc)
        status_at_trap = h.csr(self.csr.status)
        h.run(self.syms[k.handler.symbol])
        base = h.reg("sp")
        self.expect("the kernel frame address", base, self.regs["sp"] - k.frame.size)
        want = {Role.EPC: pc, Role.STATUS: status_at_trap, Role.TVAL: self.tval, Role.CAUSE: self.case.cause}
        self.check_frame(k.frame, base, want, self.regs["sp"])
        self.check_fp_area(k.frame, base)
        if "frame" in k.handler.args:
            self.expect("a0 (frame)", h.reg("a0"), base)
        clobber(h, self.rng, ("sp", "ra", "tp"))
        if k.frame.fp is not None:
            self.set_fp({f: self.rng.getrandbits(64) for f in FPRS}, self.rng.getrandbits(5))
        h.run(pc)
        self.expect("the privilege after the return", h.priv, PRIV_S)
        for r in GPRS:
            if r not in k.no_restore:
                self.expect(f"{r} after the return", h.reg(r), self.regs[r])
        self.check_fp_restored(k.frame, "after the kernel entry's return")


def prove_trampoline(options: Riscv64Options, glue: str | None = None, *, seed: int = 0) -> ProofReport:
    """Every cause from U-mode through the trampoline and from S-mode through the kernel entry."""
    image = build_image(options, glue)
    rng = random.Random(seed)
    done = []
    for case in cases(options):
        proof = _TrampolineProof(options, image, case, rng)
        if case.origin == PRIV_U:
            proof.run_user()
        else:
            proof.run_kernel()
        done.append(str(case))
    if options.machine_timer is not None:
        done += prove_machine_timer(options, image, rng)
    return ProofReport(tuple(done))
