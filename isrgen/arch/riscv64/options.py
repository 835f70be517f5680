"""The validated, frozen model of a riscv64 spec (built by :mod:`.resolve`)."""

from __future__ import annotations

import enum

import attrs

from ...diagnostics import UNKNOWN_SOURCE, SourceRef
from .facts import TVEC_BASE_ALIGN, WORD, Mode, TvecMode


class StackProtocol(enum.StrEnum):
    """How the trap entry finds a kernel stack (or frame)."""

    #: sscratch holds the kernel sp in U-mode and 0 in S-mode; the entry swaps it with sp
    SCRATCH_SP = "scratch_sp"
    #: sscratch holds the thread pointer in U-mode and 0 in S-mode; stacks sit at offsets from tp
    THREAD_POINTER = "thread_pointer"
    #: the kernel points stvec at a user entry before sret to U-mode and at a kernel entry after
    KERNEL_SWITCH = "kernel_switch"


class Returns(enum.StrEnum):
    """What a handler returns."""

    VOID = "void"
    FRAME = "frame"
    NORETURN = "noreturn"


class Role(enum.StrEnum):
    """What a frame slot holds besides a general-purpose register."""

    EPC = "epc"
    STATUS = "status"
    TVAL = "tval"
    CAUSE = "cause"
    #: a0 as it was on entry (kept when a system call overwrites a0)
    ORIG_A0 = "orig_a0"
    #: trampoline words the kernel fills in for the user entry
    KERNEL_SATP = "kernel_satp"
    KERNEL_SP = "kernel_sp"
    KERNEL_TRAP = "kernel_trap"
    KERNEL_HARTID = "kernel_hartid"
    PAD = "pad"


@attrs.frozen
class Slot:
    """One 8-byte (or, for a pad, n-byte) field of a frame.

    ``register`` is the ABI name of the GPR it holds, else ``role`` says what it is.
    """

    name: str
    offset: int
    size: int = WORD
    register: str | None = None
    role: Role | None = None
    source: SourceRef = attrs.field(default=UNKNOWN_SOURCE, eq=False)

    @property
    def holds(self) -> str:
        """The register name or the role."""
        return self.register if self.register is not None else str(self.role)


@attrs.frozen
class FpArea:
    """f0-f31 (8 bytes each) followed by fcsr (in an 8-byte slot)."""

    offset: int

    @property
    def fcsr_offset(self) -> int:
        return self.offset + 32 * WORD

    size = 33 * WORD


@attrs.frozen
class Frame:
    """A frame layout: slots low address first, the total size and an optional FP area."""

    struct: str
    slots: tuple[Slot, ...]
    size: int
    fp: FpArea | None = None

    def slot_of_register(self, reg: str) -> Slot | None:
        for s in self.slots:
            if s.register == reg:
                return s
        return None

    def slot_of_role(self, role: Role) -> Slot | None:
        for s in self.slots:
            if s.role is role:
                return s
        return None

    @property
    def registers(self) -> tuple[str, ...]:
        return tuple(s.register for s in self.slots if s.register is not None)


@attrs.frozen
class Dispatch:
    """Handler tables indexed by cause: the sign bit of scause picks the table, a cause past
    its table's length goes to the handler's ``symbol``."""

    interrupt_table: str
    interrupts: int
    exception_table: str
    exceptions: int


@attrs.frozen
class Handler:
    """The C function an entry calls (or, with ``dispatch``, the one for causes past the tables)."""

    symbol: str
    returns: Returns = Returns.VOID
    #: what goes in a0, a1, ...: "frame" (the frame address) or "cause"
    args: tuple[str, ...] = ("frame",)
    dispatch: Dispatch | None = None


@attrs.frozen
class Syscall:
    """``ecall`` from a lower privilege (cause 8, and 9 in machine mode) resumes after the
    ecall (epc += 4) with only the declared registers; a stack-protocol entry calls its own
    handler for it, a kernel_switch user entry leaves that to the kernel's trap handler."""

    #: the C function a stack-protocol entry calls (a0 = frame); None with kernel_switch
    handler: str | None
    #: registers the handler's result lands in (restored from the frame); every other GPR
    #: except sp is zeroed on the way back to the lower privilege
    restore: tuple[str, ...] = ("a0",)


@attrs.frozen
class Hardening:
    """What the entry does besides saving and restoring."""

    clear_registers: bool = False
    #: load gp with this symbol (under .option norelax) on entry from U-mode; None: leave gp
    gp_reload: str | None = None
    #: sstatus bits cleared after sstatus is saved
    clear_status: tuple[str, ...] = ()
    clear_reservation: bool = False
    #: registers saved but never restored on a return to the kernel (tp when it holds the hart id)
    no_restore: tuple[str, ...] = ()
    cfi: bool = True
    #: allow compressed instructions in the entry (vector slots and the trampoline never are)
    compressed: bool = False


@attrs.frozen
class ThreadPointerOffsets:
    """Where the thread-pointer protocol keeps the two stack pointers (bytes from tp)."""

    kernel_sp: int
    user_sp: int


@attrs.frozen
class Trampoline:
    """User entry and exit in their own page, mapped at ``address`` in every address space."""

    section: str
    address: int
    frame_address: int
    page_size: int
    userret: str
    #: also fail the link (not only the assembly) when the section outgrows its page
    link_check: bool = True
    #: what a0, a1, ... hold at the call of userret: "satp" (always) and optionally "frame"
    userret_args: tuple[str, ...] = ("satp",)

    def userret_register(self, arg: str) -> str | None:
        """The argument register userret receives ``arg`` in, or None."""
        return f"a{self.userret_args.index(arg)}" if arg in self.userret_args else None


@attrs.frozen
class KernelEntry:
    """The entry stvec points at while the kernel runs (kernel_switch protocol)."""

    symbol: str
    frame: Frame
    handler: Handler
    no_restore: tuple[str, ...] = ()


@attrs.frozen
class MachineTimer:
    """An M-mode timer entry (mtvec target) that re-arms mtimecmp and forwards the tick to
    S-mode as a pending supervisor interrupt, as small kernels running under no SBI do.

    mscratch holds the address of a per-hart scratch area: three words the entry saves a1-a3
    in, then the address of the hart's mtimecmp and the timer interval (bytes from the start).
    """

    symbol: str
    mtimecmp_offset: int
    interval_offset: int
    #: the sip/mip bit it sets: 1 << 1 (SSIP) or 1 << 5 (STIP)
    forward_bit: int


@attrs.frozen
class Vector:
    """stvec mode and, in vectored mode, which interrupt slots go where."""

    mode: TvecMode = TvecMode.DIRECT
    #: vectored mode: number of 4-byte slots (interrupt causes 0..slots-1)
    slots: int = 16
    #: vectored mode: interrupt cause -> symbol its slot jumps to (others go to the entry)
    targets: tuple[tuple[int, str], ...] = ()
    align: int = TVEC_BASE_ALIGN


@attrs.frozen
class Symbols:
    """Generated symbol names."""

    prefix: str
    entry: str
    exit: str
    vector: str


@attrs.frozen
class Riscv64Options:
    """Everything a riscv64 spec says, validated."""

    mode: Mode
    symbols: Symbols
    code_section: str
    vector: Vector
    protocol: StackProtocol
    frame: Frame
    handler: Handler
    hardening: Hardening
    tp_offsets: ThreadPointerOffsets | None = None
    syscall: Syscall | None = None
    trampoline: Trampoline | None = None
    kernel_entry: KernelEntry | None = None
    machine_timer: MachineTimer | None = None
    outputs: tuple[tuple[str, str], ...] = ()
