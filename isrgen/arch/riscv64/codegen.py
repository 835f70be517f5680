"""riscv64 options -> assembly IR: the vector, the trap entry and exit, the trampoline.

Every instruction is a real 4-byte instruction or a pseudo-instruction with one fixed
expansion (mv, csrr, csrw, bnez, j, jr, call, lla), so GNU as and LLVM produce the same
bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...codegen.ir import (
    Align,
    Cfi,
    Comment,
    EndSymbol,
    Imm,
    Insn,
    Label,
    Mem,
    PadTo,
    Reg,
    SectionKind,
    Sym,
    Visibility,
)
from .facts import (
    CSRS,
    DWARF_ALT_RETURN_COLUMN,
    ECALL_SIZE,
    EXCEPTIONS,
    FPRS,
    GPRS,
    PCREL_HI_REACH,
    SATP,
    SIP_SSIP,
    SSTATUS_FS_INITIAL,
    STATUS_BITS,
    SYSCALL_CAUSES,
    TVEC_BASE_ALIGN,
    TVEC_SLOT_SIZE,
    CsrSet,
    TvecMode,
    dwarf_number,
)
from .options import Frame, Handler, Returns, Riscv64Options, Role, StackProtocol, Trampoline
from .rvir import AsmOption, RvItem, RvProgram, RvSection

_INSN_SIZE = 4
_CSR_OF_ROLE = {Role.EPC: "epc", Role.STATUS: "status", Role.TVAL: "tval", Role.CAUSE: "cause"}


def _i(op: str, *operands: str | int | Mem | Sym) -> Insn:
    ops = tuple(Reg(o) if isinstance(o, str) else Imm(o) if isinstance(o, int) else o for o in operands)
    return Insn(op, ops)


def load_immediate(reg: str, value: int) -> list[Insn]:
    """``li reg, value`` spelled as explicit lui/addiw/slli/addi (the assemblers' own ``li`` differ)."""
    value = value - (1 << 64) if value >= 1 << 63 else value
    if -2048 <= value < 2048:
        return [_i("addi", reg, "zero", value)]
    if -(1 << 31) <= value < 1 << 31:
        # lui sets bits 31:12 (sign-extended), addiw adds a sign-extended 12-bit value in 32 bits
        lo = ((value & 0xFFF) ^ 0x800) - 0x800
        hi = ((value - lo) >> 12) & 0xFFFFF
        out = [_i("lui", reg, hi)]
        return out + ([_i("addiw", reg, reg, lo)] if lo else [])
    lo12 = ((value & 0xFFF) ^ 0x800) - 0x800
    upper = (value - lo12) >> 12
    shift = 12
    while upper % 2 == 0:
        upper >>= 1
        shift += 1
    out = load_immediate(reg, upper) + [_i("slli", reg, reg, shift)]
    return out + ([_i("addi", reg, reg, lo12)] if lo12 else [])


class _Builder:
    def __init__(self, options: Riscv64Options):
        self.o = options
        self.csr: CsrSet = CSRS[options.mode]
        self.items: list[RvItem] = []
        self.externs: set[str] = set()
        self.weak: set[str] = set()

    def emit(self, *items: RvItem) -> None:
        self.items.extend(items)

    def local(self, name: str) -> str:
        return f".L{self.o.symbols.prefix}{name}"

    # --- frame saves -------------------------------------------------------------------

    def save_regs(self, frame: Frame, base: str, skip: Iterable[str]) -> None:
        skipped = set(skip)
        for slot in frame.slots:
            if slot.register is not None and slot.register not in skipped:
                self.emit(_i("sd", slot.register, Mem(base, slot.offset)))
            elif slot.role is Role.ORIG_A0 and "a0" not in skipped:
                self.emit(_i("sd", "a0", Mem(base, slot.offset)))

    def save_csrs(self, frame: Frame, base: str, *, status_in_t1: bool = False) -> None:
        """Each trap CSR into its slot; ``status_in_t1``: leave sstatus in t1 (to test SPP)."""
        for slot in frame.slots:
            if slot.role in _CSR_OF_ROLE:
                reg = "t1" if slot.role is Role.STATUS else "t0"
                csr = getattr(self.csr, _CSR_OF_ROLE[slot.role])
                self.emit(_i("csrr", reg, csr), _i("sd", reg, Mem(base, slot.offset)))
        if status_in_t1 and frame.slot_of_role(Role.STATUS) is None:
            self.emit(_i("csrr", "t1", self.csr.status))

    def save_fp(self, frame: Frame, base: str) -> None:
        if frame.fp is None:
            return
        self.emit(*load_immediate("t0", SSTATUS_FS_INITIAL), _i("csrs", self.csr.status, "t0"))
        for i, f in enumerate(FPRS):
            self.emit(_i("fsd", f, Mem(base, frame.fp.offset + 8 * i)))
        self.emit(_i("csrr", "t0", "fcsr"), _i("sd", "t0", Mem(base, frame.fp.fcsr_offset)))

    def restore_fp(self, frame: Frame, base: str) -> None:
        if frame.fp is None:
            return
        self.emit(*load_immediate("t0", SSTATUS_FS_INITIAL), _i("csrs", self.csr.status, "t0"))
        for i, f in enumerate(FPRS):
            self.emit(_i("fld", f, Mem(base, frame.fp.offset + 8 * i)))
        self.emit(_i("ld", "t0", Mem(base, frame.fp.fcsr_offset)), _i("csrw", "fcsr", "t0"))

    def clear_status(self) -> None:
        mask = 0
        for bit in self.o.hardening.clear_status:
            mask |= STATUS_BITS[bit]
        if mask:
            self.emit(*load_immediate("t0", mask), _i("csrc", self.csr.status, "t0"))

    def restore_csrs(self, frame: Frame, base: str, *, status_in_t0: bool = False) -> None:
        """sepc (then the reservation clear on its slot) and sstatus; ``status_in_t0``: leave it in t0."""
        epc = frame.slot_of_role(Role.EPC)
        if epc is not None:
            self.emit(_i("ld", "t0", Mem(base, epc.offset)), _i("csrw", self.csr.epc, "t0"))
            if self.o.hardening.clear_reservation:
                self.reservation_clear(base, epc.offset)
        status = frame.slot_of_role(Role.STATUS)
        if status is not None:
            self.emit(_i("ld", "t0", Mem(base, status.offset)), _i("csrw", self.csr.status, "t0"))
        elif status_in_t0:
            self.emit(_i("csrr", "t0", self.csr.status))

    def reservation_clear(self, base: str, offset: int) -> None:
        # An sc to memory the entry owns fails or rewrites the value just read: either way no
        # LR reservation of the interrupted code survives into the code returned to
        # (unprivileged spec 8.2, "Load-Reserved/Store-Conditional Instructions").
        self.emit(Comment("clear any load reservation: sc to a slot already read"))
        addr = base
        if offset:
            self.emit(_i("addi", "t1", base, offset))
            addr = "t1"
        self.emit(_i("sc.d", "zero", "t0", Mem(addr, 0)))

    def previous_privilege(self, src: str, dst: str) -> None:
        """``dst`` = 0 for a trap from a lower privilege, 1 from the handling mode itself."""
        self.emit(_i("srli", dst, src, self.csr.status_pp_top), _i("andi", dst, dst, 1))

    def branch_unless_syscall(self, cause: str, scratch: str, target: str) -> None:
        """Branch to ``target`` unless ``cause`` is one of the mode's ecall causes (a contiguous run)."""
        causes = SYSCALL_CAUSES[self.o.mode]
        if len(causes) == 1:
            self.emit(_i("addi", scratch, "zero", causes[0]), _i("bne", cause, scratch, Sym(target)))
            return
        self.emit(
            _i("addi", cause, cause, -causes[0]),
            _i("addi", scratch, "zero", len(causes)),
            _i("bgeu", cause, scratch, Sym(target)),
        )

    def syscall_return(self, frame: Frame, base: str) -> None:
        """Only the declared registers come back (and sp); every other GPR is zeroed."""
        o = self.o
        assert o.syscall is not None
        self.emit(Comment("only the declared registers come back; the others are zeroed"))
        for r in GPRS:
            if r in ("sp", base):
                continue
            slot = frame.slot_of_register(r)
            if r in o.syscall.restore and slot is not None:
                self.emit(_i("ld", r, Mem(base, slot.offset)))
            else:
                self.emit(_i("li", r, 0))

    def cfi_frame(self, frame: Frame) -> None:
        if not self.o.hardening.cfi:
            return
        self.emit(Cfi("def_cfa", ("sp", 0)))
        for slot in frame.slots:
            if slot.register is not None:
                self.emit(Cfi("offset", (dwarf_number(slot.register), slot.offset)))
        epc = frame.slot_of_role(Role.EPC)
        if epc is not None:
            self.emit(Cfi("offset", (DWARF_ALT_RETURN_COLUMN, epc.offset)))

    def cfi_start(self) -> None:
        if self.o.hardening.cfi:
            # The trapped pc (sepc) is the return address: the psABI's alternate return column.
            self.emit(
                Cfi("startproc"),
                Cfi("signal_frame"),
                Cfi("return_column", (DWARF_ALT_RETURN_COLUMN,)),
                Cfi("undefined", (DWARF_ALT_RETURN_COLUMN,)),
            )

    def cfi_end(self) -> None:
        if self.o.hardening.cfi:
            self.emit(Cfi("endproc"))

    def call(self, symbol: str, args: tuple[str, ...], frame_reg: str) -> None:
        self.arguments(args, frame_reg)
        self.externs.add(symbol)
        self.emit(_i("call", Sym(symbol)))

    def dispatch(self, handler: Handler, frame_reg: str) -> None:
        """Call through the cause's table entry; a cause past its table calls ``handler.symbol``."""
        d = handler.dispatch
        assert d is not None
        irq, index, fallback, done = (self.local(n) for n in ("irq", "index", "no_entry", "dispatched"))
        self.externs.update((d.interrupt_table, d.exception_table))
        self.emit(
            Comment(f"{self.csr.cause}: the sign bit is set for interrupts (priv 4.1.9)"),
            _i("csrr", "t0", self.csr.cause),
            _i("bltz", "t0", Sym(irq)),
            _i("addi", "t1", "zero", d.exceptions),
            _i("bgeu", "t0", "t1", Sym(fallback)),
            _i("lla", "t2", Sym(d.exception_table)),
            _i("j", Sym(index)),
            Label(irq),
            _i("slli", "t0", "t0", 1),
            _i("srli", "t0", "t0", 1),
            _i("addi", "t1", "zero", d.interrupts),
            _i("bgeu", "t0", "t1", Sym(fallback)),
            _i("lla", "t2", Sym(d.interrupt_table)),
            Label(index),
            _i("slli", "t0", "t0", 3),
            _i("add", "t2", "t2", "t0"),
            _i("ld", "t2", Mem("t2", 0)),
        )
        self.arguments(handler.args, frame_reg)
        self.emit(_i("jalr", "t2"), _i("j", Sym(done)), Label(fallback))
        self.call(handler.symbol, handler.args, frame_reg)
        self.emit(Label(done))

    def arguments(self, args: tuple[str, ...], frame_reg: str) -> None:
        for reg, arg in zip(("a0", "a1", "a2"), args, strict=False):
            if arg == "frame":
                self.emit(_i("mv", reg, frame_reg))
            else:
                self.emit(_i("csrr", reg, self.csr.cause))

    # --- the stack-protocol entry (scratch_sp, thread_pointer) ---------------------------

    def find_stack(self) -> None:
        o = self.o
        done = self.local("on_kernel_stack")
        if o.protocol is StackProtocol.SCRATCH_SP:
            self.emit(
                Comment(f"{self.csr.scratch} = kernel sp in U-mode, 0 in the kernel"),
                _i("csrrw", "sp", self.csr.scratch, "sp"),
                _i("bnez", "sp", Sym(done)),
                _i("csrrw", "sp", self.csr.scratch, "sp"),
                Label(done),
            )
            return
        assert o.tp_offsets is not None
        kernel_origin = self.local("from_kernel")
        self.emit(
            Comment(f"{self.csr.scratch} = thread pointer in U-mode, 0 in the kernel"),
            _i("csrrw", "tp", self.csr.scratch, "tp"),
            _i("bnez", "tp", Sym(done)),
            Label(kernel_origin),
            _i("csrr", "tp", self.csr.scratch),
            _i("sd", "sp", Mem("tp", o.tp_offsets.kernel_sp)),
            Label(done),
            _i("sd", "sp", Mem("tp", o.tp_offsets.user_sp)),
            _i("ld", "sp", Mem("tp", o.tp_offsets.kernel_sp)),
        )

    def save_sp_and_tp(self, frame: Frame) -> None:
        o = self.o
        sp_slot = frame.slot_of_register("sp")
        tp_slot = frame.slot_of_register("tp")
        assert sp_slot is not None and tp_slot is not None
        if o.protocol is StackProtocol.SCRATCH_SP:
            have_sp = self.local("have_sp")
            self.emit(
                _i("csrrw", "t0", self.csr.scratch, "zero"),
                _i("bnez", "t0", Sym(have_sp)),
                _i("addi", "t0", "sp", frame.size),
                Label(have_sp),
                _i("sd", "t0", Mem("sp", sp_slot.offset)),
            )
            return
        assert o.tp_offsets is not None
        self.emit(
            _i("ld", "t0", Mem("tp", o.tp_offsets.user_sp)),
            _i("sd", "t0", Mem("sp", sp_slot.offset)),
            _i("csrrw", "t0", self.csr.scratch, "zero"),
            _i("sd", "t0", Mem("sp", tp_slot.offset)),
        )

    def user_only(self, frame: Frame) -> None:
        """gp reload, system-call dispatch and register clearing for traps from U-mode."""
        o = self.o
        h = o.hardening
        if not (h.gp_reload or h.clear_registers or o.syscall):
            return
        kernel = self.local("from_s_mode")
        self.previous_privilege("t1", "t0")
        self.emit(_i("bnez", "t0", Sym(kernel)))
        if h.gp_reload:
            self.emit(AsmOption("push"), AsmOption("norelax"), _i("lla", "gp", Sym(h.gp_reload)), AsmOption("pop"))
        if o.syscall is not None:
            not_sys = self.local("not_syscall")
            self.emit(_i("csrr", "t0", self.csr.cause))
            self.branch_unless_syscall("t0", "t1", not_sys)
            self.syscall_path(frame)
            self.emit(Label(not_sys))
        self.clear_registers()
        self.emit(Label(kernel))

    def clear_registers(self) -> None:
        if not self.o.hardening.clear_registers:
            return
        self.emit(Comment("no user value reaches the kernel in a register"))
        for r in GPRS:
            if r not in ("sp", "gp", "tp"):
                self.emit(_i("li", r, 0))

    def syscall_path(self, frame: Frame) -> None:
        o = self.o
        assert o.syscall is not None
        assert o.syscall.handler is not None
        self.skip_ecall(frame, "sp")
        self.clear_registers()
        self.call(o.syscall.handler, ("frame",), "sp")
        self.emit(_i("csrci", self.csr.status, self.csr.status_ie))
        self.restore_fp(frame, "sp")
        self.restore_csrs(frame, "sp")
        self.to_user(frame)
        self.syscall_return(frame, "sp")
        self.restore_sp(frame)

    def skip_ecall(self, frame: Frame, base: str) -> None:
        """Advance the frame's epc past the ecall (priv 3.3.1: epc holds the ecall's own address)."""
        epc = frame.slot_of_role(Role.EPC)
        assert epc is not None
        whence = " or ".join(EXCEPTIONS[c].rsplit("_", 1)[1].upper() for c in SYSCALL_CAUSES[self.o.mode])
        self.emit(
            Comment(f"ecall from {whence}-mode: resume after it ({self.csr.epc} += {ECALL_SIZE})"),
            _i("ld", "t0", Mem(base, epc.offset)),
            _i("addi", "t0", "t0", ECALL_SIZE),
            _i("sd", "t0", Mem(base, epc.offset)),
        )

    def to_user(self, frame: Frame) -> None:
        """Re-arm the scratch register for the next trap from U-mode."""
        o = self.o
        self.emit(_i("addi", "t0", "sp", frame.size))
        if o.protocol is StackProtocol.SCRATCH_SP:
            self.emit(_i("csrw", self.csr.scratch, "t0"))
        else:
            assert o.tp_offsets is not None
            self.emit(_i("sd", "t0", Mem("tp", o.tp_offsets.kernel_sp)), _i("csrw", self.csr.scratch, "tp"))

    def restore_sp(self, frame: Frame) -> None:
        sp_slot = frame.slot_of_register("sp")
        assert sp_slot is not None
        self.emit(_i("ld", "sp", Mem("sp", sp_slot.offset)), _i(self.csr.ret))

    def stack_entry(self) -> None:
        o = self.o
        frame = o.frame
        s = o.symbols
        self.emit(Label(s.entry, Visibility.GLOBAL, "function"))
        self.cfi_start()
        self.find_stack()
        self.emit(_i("addi", "sp", "sp", -frame.size))
        skip = ("sp", "tp") if o.protocol is StackProtocol.THREAD_POINTER else ("sp",)
        self.save_regs(frame, "sp", skip)
        self.save_sp_and_tp(frame)
        self.save_csrs(frame, "sp", status_in_t1=True)
        self.cfi_frame(frame)
        self.save_fp(frame, "sp")
        self.clear_status()
        self.user_only(frame)
        if o.handler.dispatch is not None:
            self.dispatch(o.handler, "sp")
        else:
            self.call(o.handler.symbol, o.handler.args, "sp")
        # One more instruction of the entry after the call: the return address a debugger unwinds
        # from must lie inside the entry's CFI (a signal frame's pc is looked up unadjusted).
        if o.handler.returns is Returns.NORETURN:
            self.emit(_i("unimp"))
        elif o.handler.returns is Returns.VOID:
            self.emit(_i("mv", "a0", "sp"))
        else:
            self.emit(Comment(f"a0 = the frame to resume: on to {s.exit}"), _i("j", Sym(s.exit)))
        self.cfi_end()
        self.emit(EndSymbol(s.entry))

    def stack_exit(self) -> None:
        o = self.o
        frame = o.frame
        s = o.symbols
        to_kernel = self.local("to_kernel")
        self.emit(Label(s.exit, Visibility.GLOBAL, "function"))
        self.cfi_start()
        self.emit(_i("mv", "sp", "a0"))
        self.cfi_frame(frame)
        self.emit(_i("csrci", self.csr.status, self.csr.status_ie))
        self.restore_fp(frame, "sp")
        self.restore_csrs(frame, "sp", status_in_t0=True)
        self.previous_privilege("t0", "t0")
        self.emit(_i("bnez", "t0", Sym(to_kernel)))
        self.to_user(frame)
        for r in o.hardening.no_restore:
            slot = frame.slot_of_register(r)
            assert slot is not None
            self.emit(_i("ld", r, Mem("sp", slot.offset)))
        self.emit(Label(to_kernel))
        for slot in frame.slots:
            if slot.register not in (None, "sp") and slot.register not in o.hardening.no_restore:
                self.emit(_i("ld", slot.register, Mem("sp", slot.offset)))
        self.restore_sp(frame)
        self.cfi_end()
        self.emit(EndSymbol(s.exit))

    def vector_table(self) -> None:
        o = self.o
        v = o.vector
        targets = dict(v.targets)
        self.emit(
            Comment(f"{self.csr.tvec} = {o.symbols.vector} | 1: interrupt n enters at +{TVEC_SLOT_SIZE}n"),
            AsmOption("push"),
            AsmOption("norvc"),
            Align(v.align, 0),
            Label(o.symbols.vector, Visibility.GLOBAL, "function"),
        )
        if o.trampoline is not None:
            self.emit(Comment("every slot jumps within the trampoline page (pc-relative, so the alias works)"))
        for n in range(v.slots):
            target = targets.get(n, o.symbols.entry)
            if target != o.symbols.entry:
                self.externs.add(target)
            self.emit(_i("j", Sym(target)))
        self.emit(EndSymbol(o.symbols.vector), AsmOption("pop"))

    # --- kernel_switch: the kernel entry and the trampoline -----------------------------

    def kernel_entry(self) -> None:
        k = self.o.kernel_entry
        assert k is not None
        frame = k.frame
        sp_slot = frame.slot_of_register("sp")
        assert sp_slot is not None
        self.emit(Align(self.o.vector.align, 0), Label(k.symbol, Visibility.GLOBAL, "function"))
        self.cfi_start()
        self.emit(_i("addi", "sp", "sp", -frame.size))
        self.save_regs(frame, "sp", ("sp",))
        self.emit(_i("addi", "t0", "sp", frame.size), _i("sd", "t0", Mem("sp", sp_slot.offset)))
        self.save_csrs(frame, "sp")
        self.cfi_frame(frame)
        self.save_fp(frame, "sp")
        self.call(k.handler.symbol, k.handler.args, "sp")
        if k.handler.returns is Returns.FRAME:
            self.emit(_i("mv", "sp", "a0"))
        self.emit(_i("csrci", self.csr.status, self.csr.status_ie))
        self.restore_fp(frame, "sp")
        self.restore_csrs(frame, "sp")
        for slot in frame.slots:
            if slot.register not in (None, "sp") and slot.register not in k.no_restore:
                self.emit(_i("ld", slot.register, Mem("sp", slot.offset)))
        self.restore_sp(frame)
        self.cfi_end()
        self.emit(EndSymbol(k.symbol))

    def user_entry(self, t: Trampoline | None) -> list[RvItem]:
        """kernel_switch: the U-mode entry and ``userret``.  With a trampoline they live in its
        page (returned as that section's items), find the frame at its fixed address and switch
        satp; without one the frame's address is in sscratch (and ``userret`` takes it in a0).
        A vectored table comes first; the entry saves the FP area and skips an ecall in the
        frame; after an ecall (the frame's cause) ``userret`` brings back the restore list only."""
        o = self.o
        frame = o.frame
        start = f"{o.symbols.prefix}trampoline"
        items: list[RvItem] = []
        a0 = frame.slot_of_register("a0")
        ksp, ktrap = frame.slot_of_role(Role.KERNEL_SP), frame.slot_of_role(Role.KERNEL_TRAP)
        khart, ksatp = frame.slot_of_role(Role.KERNEL_HARTID), frame.slot_of_role(Role.KERNEL_SATP)
        assert a0 is not None and ksp is not None and ktrap is not None
        saved = self.items
        vectored = o.vector.mode is TvecMode.VECTORED
        if t is not None:
            self.items = items
            self.emit(
                AsmOption("push"),
                AsmOption("norvc"),
                AsmOption("norelax"),
                Align(t.page_size, 0),
                Label(start, Visibility.GLOBAL),
                Comment(f"mapped at {t.address:#x} in every address space; the frame at {t.frame_address:#x}"),
            )
            if vectored:
                self.vector_table()
            self.emit(
                Label(o.symbols.entry, Visibility.GLOBAL, "function"),
                _i("csrw", self.csr.scratch, "a0"),
                *load_immediate("a0", t.frame_address),
            )
        else:
            if vectored:
                self.vector_table()
            self.emit(
                Align(o.vector.align, 0),
                Label(o.symbols.entry, Visibility.GLOBAL, "function"),
                Comment(f"{self.csr.scratch} = this thread's frame while U-mode runs"),
                _i("csrrw", "a0", self.csr.scratch, "a0"),
            )
        self.save_regs(frame, "a0", ("a0",))
        self.emit(_i("csrr", "t0", self.csr.scratch), _i("sd", "t0", Mem("a0", a0.offset)))
        self.save_csrs(frame, "a0")
        if o.syscall is not None:
            not_sys = self.local("not_syscall")
            self.emit(_i("csrr", "t0", self.csr.cause))
            self.branch_unless_syscall("t0", "t1", not_sys)
            self.skip_ecall(frame, "a0")
            self.emit(Label(not_sys))
        self.save_fp(frame, "a0")
        self.emit(_i("ld", "sp", Mem("a0", ksp.offset)))
        if khart is not None:
            self.emit(_i("ld", "tp", Mem("a0", khart.offset)))
        self.emit(_i("ld", "t0", Mem("a0", ktrap.offset)))
        self.clear_status_with("t2")
        if t is not None:
            assert ksatp is not None
            self.emit(
                _i("ld", "t1", Mem("a0", ksatp.offset)),
                Comment("the kernel page table; the trampoline is mapped at the same address there"),
                _i("sfence.vma", "zero", "zero"),
                _i("csrw", SATP, "t1"),
                _i("sfence.vma", "zero", "zero"),
            )
        if o.hardening.clear_registers:
            for r in GPRS:
                if r not in ("sp", "tp", "t0"):
                    self.emit(_i("li", r, 0))
        userret = t.userret if t is not None else o.symbols.exit
        self.emit(
            Comment("absolute jump: no pc-relative reference survives the alias"),
            _i("jr", "t0"),
            EndSymbol(o.symbols.entry),
            Label(userret, Visibility.GLOBAL, "function"),
        )
        if t is not None:
            satp_reg, frame_reg = t.userret_register("satp"), t.userret_register("frame")
            assert satp_reg is not None
            self.emit(
                Comment(f"{t.userret}({', '.join(t.userret_args)}): {satp_reg} = the user page table"),
                _i("sfence.vma", "zero", "zero"),
                _i("csrw", SATP, satp_reg),
                _i("sfence.vma", "zero", "zero"),
            )
            if frame_reg is None:
                self.emit(*load_immediate("a0", t.frame_address))
            elif frame_reg != "a0":
                self.emit(_i("mv", "a0", frame_reg))
        else:
            self.emit(
                Comment(f"{userret}(frame): a0 = the frame to resume"), _i("csrci", self.csr.status, self.csr.status_ie)
            )
        self.restore_fp(frame, "a0")
        self.restore_csrs(frame, "a0")
        syscall_return = self.local("syscall_return")
        if o.syscall is not None:
            cause = frame.slot_of_role(Role.CAUSE)
            assert cause is not None
            self.emit(
                Comment(f"the frame's {self.csr.cause} says whether a system call returns"),
                _i("ld", "t0", Mem("a0", cause.offset)),
            )
            self.branch_unless_syscall("t0", "t1", self.local("full_return"))
            self.emit(_i("j", Sym(syscall_return)), Label(self.local("full_return")))
        for slot in frame.slots:
            if slot.register not in (None, "a0"):
                self.emit(_i("ld", slot.register, Mem("a0", slot.offset)))
        self.user_return_tail(t, _i("ld", "a0", Mem("a0", a0.offset)))
        if o.syscall is not None:
            self.emit(Label(syscall_return))
            self.syscall_return(frame, "a0")
            sp = frame.slot_of_register("sp")
            assert sp is not None
            self.emit(_i("ld", "sp", Mem("a0", sp.offset)))
            keep = "a0" in o.syscall.restore
            self.user_return_tail(t, _i("ld", "a0", Mem("a0", a0.offset)) if keep else _i("li", "a0", 0))
        self.emit(EndSymbol(userret))
        if t is None:
            return items
        # The assembly-time check: pad to the page's end (less the link check's word); .org
        # fails ("attempt to move .org backwards") once the code is larger.  (An .if on
        # ". - start" is no check here: after a jump or branch to a label GNU as no longer
        # knows the offset of "." while it reads the file.)
        tail = _INSN_SIZE if t.link_check else 0
        self.emit(
            Comment(f"{t.section} fills its {t.page_size}-byte page: assembling fails if it is larger"),
            PadTo(start, t.page_size - tail, 0),
        )
        if t.link_check:
            # Dead code: auipc reaches pc + 0x7ffff7ff at most (the 20-bit %pcrel_hi rounds its
            # low 12 bits, psABI "PC-relative symbol addresses").  Aimed at the end of the linked
            # output section, shifted by its own offset and the page size, it overflows (ld:
            # "relocation truncated to fit: R_RISCV_PCREL_HI20") once the section outgrows the page.
            # (LLVM 14 takes no addend on a branch relocation; on %pcrel_hi it does.)
            offset = t.page_size - tail
            target = f"%pcrel_hi(__stop_{t.section} + {offset + PCREL_HI_REACH - t.page_size:#x})"
            # Weak: a linker script that places the section inside another output section
            # (xv6's kernel.ld puts trampsec in .text) defines no __stop_ symbol; the reference
            # then resolves to 0 and the check is off, where that script has its own ASSERT.
            self.weak.add(f"__stop_{t.section}")
            self.emit(
                Comment(f"link-time check: {t.section} fits in {t.page_size} bytes (never executed)"),
                _i("auipc", "t0", Sym(target)),
            )
        self.emit(AsmOption("pop"))
        self.items = saved
        return items

    def user_return_tail(self, t: Trampoline | None, last: Insn) -> None:
        """Re-arm sscratch with the frame (no trampoline), load a0 with ``last``, return."""
        if t is None:
            self.emit(_i("csrw", self.csr.scratch, "a0"))
        self.emit(last, _i(self.csr.ret))

    def machine_timer(self) -> None:
        t = self.o.machine_timer
        assert t is not None
        pending = "sip" if t.forward_bit == SIP_SSIP else "mip"
        self.emit(
            Align(TVEC_BASE_ALIGN, 0),
            Label(t.symbol, Visibility.GLOBAL, "function"),
            Comment("mscratch = this hart's scratch area: a1-a3, &mtimecmp, interval"),
            _i("csrrw", "a0", "mscratch", "a0"),
            _i("sd", "a1", Mem("a0", 0)),
            _i("sd", "a2", Mem("a0", 8)),
            _i("sd", "a3", Mem("a0", 16)),
            _i("ld", "a1", Mem("a0", t.mtimecmp_offset)),
            _i("ld", "a2", Mem("a0", t.interval_offset)),
            _i("ld", "a3", Mem("a1", 0)),
            _i("add", "a3", "a3", "a2"),
            _i("sd", "a3", Mem("a1", 0)),
            Comment(f"forward the tick: a pending supervisor interrupt in {pending}"),
            _i("addi", "a1", "zero", t.forward_bit),
            _i("csrs", pending, "a1"),
            _i("ld", "a3", Mem("a0", 16)),
            _i("ld", "a2", Mem("a0", 8)),
            _i("ld", "a1", Mem("a0", 0)),
            _i("csrrw", "a0", "mscratch", "a0"),
            _i("mret"),
            EndSymbol(t.symbol),
        )

    def clear_status_with(self, reg: str) -> None:
        mask = 0
        for bit in self.o.hardening.clear_status:
            mask |= STATUS_BITS[bit]
        if mask:
            self.emit(*load_immediate(reg, mask), _i("csrc", self.csr.status, reg))


def build_program(options: Riscv64Options) -> RvProgram:
    """The whole riscv64 program for ``options``: code section, plus the trampoline's own section."""
    b = _Builder(options)
    o = options
    # norelax before any .balign: with relaxation on, GNU as turns an alignment into nops plus
    # R_RISCV_ALIGN for the linker to trim, and the code's size is no longer known here.
    b.emit(AsmOption("push"), AsmOption("norelax"))
    if not o.hardening.compressed:
        b.emit(AsmOption("norvc"))
    sections: list[RvSection] = []
    if o.protocol is StackProtocol.KERNEL_SWITCH:
        trampoline_items = b.user_entry(o.trampoline)
        b.kernel_entry()
    else:
        trampoline_items = []
        if o.vector.mode is TvecMode.VECTORED:
            b.vector_table()
        b.emit(Align(o.vector.align, 0))
        b.stack_entry()
        b.stack_exit()
    if o.machine_timer is not None:
        b.machine_timer()
    b.emit(AsmOption("pop"))
    sections.append(RvSection(o.code_section, SectionKind.CODE, o.vector.align, tuple(b.items)))
    if o.trampoline is not None:
        sections.append(
            RvSection(o.trampoline.section, SectionKind.CODE, o.trampoline.page_size, tuple(trampoline_items))
        )
    return RvProgram(tuple(sections), tuple(sorted(b.externs)), tuple(sorted(b.weak)))
