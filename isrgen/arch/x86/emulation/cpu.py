"""The unicorn CPU harness that :mod:`.long_mode` and :mod:`.protected_mode` build on.

:class:`EmulatorBase` loads a :class:`~isrgen.proof.image.LinkedImage` into one
unicorn ``Uc``: each ``PT_LOAD`` segment with the permissions its program header
gives (code placed in a read-only segment faults exactly as it would on hardware
with NX enabled), the page of marker slots (reaching one stops emulation), a GDT
and a stack.  It runs code to a marker, a ``hlt`` or the interrupted code, pushes
words, and emulates a handler's ``ret``.  An architecture module supplies what
really differs: the mode and word size, the general-purpose registers, the GDT,
the register state it reports, how the CPU pushes its frame, and the return to an
outer privilege level (which unicorn cannot come back from, so the architecture
carries it out in Python).
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import attrs

from isrgen.diagnostics import IsrgenError, UsageError
from isrgen.proof.image import MARKER_BASE, PAGE, LinkedImage

#: the :attr:`StopBase.symbol` of a CPU that executed ``hlt``
HALTED = "<halted>"
GDT_BASE = 0x10000
STACK_BASE = 0x7000_0000
STACK_SIZE = 0x10000
#: where the CPU pushes its frame by default: near the top of the emulator's stack
DEFAULT_STACK_TOP = STACK_BASE + STACK_SIZE - 0x100

#: selectors both emulators' GDTs share: kernel code/data, then user data/code with RPL 3
KERNEL_CS = 0x08
KERNEL_DATA = 0x10
USER_DATA = 0x1B
USER_CS = 0x23

# EFLAGS bits; RFLAGS[31:0] is EFLAGS (SDM Vol. 1 3.4.3).
EFLAGS_FIXED = 0x2  # bit 1 always reads as 1
EFLAGS_TF = 0x100
EFLAGS_IF = 0x200
EFLAGS_DF = 0x400
EFLAGS_NT = 0x4000
EFLAGS_RF = 0x10000
EFLAGS_VM = 0x20000

_UD2_PAGE = b"\x0f\x0b" * (PAGE // 2)
#: the encoding of swapgs (SDM Vol. 2B)
_SWAPGS = b"\x0f\x01\xf8"

StateT = TypeVar("StateT")
StopT = TypeVar("StopT")


class EmulationError(IsrgenError):
    """The glue did something a CPU would not survive (fault, runaway code)."""


def require_unicorn() -> Any:
    """The unicorn module; :class:`UsageError` saying how to install it when it is missing."""
    try:
        import unicorn
    except ImportError:
        raise UsageError("the unicorn Python package is not installed (pip install unicorn)") from None
    return unicorn


@attrs.frozen
class StopBase(Generic[StateT]):
    """Where emulation stopped: at a marker (a handler), or back in the interrupted code."""

    #: the marker reached (a handler symbol), or None when the interrupted code resumed
    symbol: str | None
    state: StateT
    #: the stack from the stack pointer up to the top of the CPU frame of the current interrupt
    stack: bytes
    #: one past the CPU frame of the current interrupt
    frame_top: int

    @property
    def resumed(self) -> bool:
        """Whether the interrupted code was resumed (the interrupt return completed)."""
        return self.symbol is None

    @property
    def halted(self) -> bool:
        """Whether the CPU stopped at a ``hlt`` instruction."""
        return self.symbol == HALTED

    def _word(self, sp: int, address: int, size: int) -> int:
        """The ``size``-byte word at ``address`` of the stack captured from ``sp``."""
        off = address - sp
        if off < 0 or off + size > len(self.stack):
            raise EmulationError(f"{address:#x} is outside the captured stack [{sp:#x}, {self.frame_top:#x})")
        return int.from_bytes(self.stack[off : off + size], "little")


@attrs.frozen
class Interrupted:
    """What an interrupt interrupted (defaults filled in), and the stub the CPU runs."""

    #: whether the interrupted code ran in ring 0
    kernel: bool
    ip: int
    sp: int
    ss: int
    #: where the CPU starts pushing its frame (before any alignment)
    stack: int
    #: the stub address the vector table holds
    stub: int


class EmulatorBase(ABC, Generic[StateT, StopT]):
    """One unicorn CPU with a linked image loaded; an architecture subclass delivers interrupts."""

    #: bytes in a word: a pushed value, a stack slot, a register
    WORD: ClassVar[int]
    #: the general-purpose registers a frame can save, in encoding order; the first holds return values
    GPRS: ClassVar[tuple[str, ...]]
    #: registers a called handler may change under the ABI
    CALLER_SAVED: ClassVar[tuple[str, ...]]
    #: the UsageError for a clobber of a register the ABI preserves (``{}``: the registers)
    CLOBBER_RULE: ClassVar[str]
    #: the emulator's GDT descriptors, from selector 0
    GDT: ClassVar[tuple[int, ...]]

    def __init__(
        self, image: LinkedImage, *, table_symbol: str, instruction_limit: int = 100_000, table_width: int = 8
    ):
        """``table_symbol`` names the vector table (256 stub addresses, ``table_width`` bytes
        each) in ``image``; each run stops after ``instruction_limit`` instructions."""
        if table_symbol not in image.symbols:
            raise UsageError(f"the linked image has no vector table symbol {table_symbol!r}")
        if table_width not in (4, 8):
            raise UsageError(f"a vector table entry is 4 or 8 bytes, not {table_width}")
        self.image = image
        self.table = image.symbols[table_symbol]
        self.table_width = table_width
        self.instruction_limit = instruction_limit
        self._u = require_unicorn()
        from unicorn import x86_const

        self._x = x86_const
        self._reg = {n: getattr(x86_const, f"UC_X86_REG_{n.upper()}") for n in self.GPRS}
        wide = "R" if self.WORD == 8 else "E"
        self._ip, self._sp, self._flags = (getattr(x86_const, f"UC_X86_REG_{wide}{r}") for r in ("IP", "SP", "FLAGS"))
        self._mask = (1 << 8 * self.WORD) - 1
        self._marker_at = {addr: name for name, addr in image.markers.items()}
        self._stopped_at: str | None = None
        self._halt_at: int | None = None
        self._frame_top = DEFAULT_STACK_TOP
        self._resume_at = MARKER_BASE
        #: when a list: (address, first bytes) of every instruction executed in the image
        self.trace: list[tuple[int, bytes]] | None = None
        #: when a list: for every swapgs executed, whether interrupts were enabled (IF set)
        self.swapgs_with_if: list[bool] | None = None
        #: when a list: for every instruction executed in the image, whether IF was set before it
        self.if_trace: list[bool] | None = None
        self.uc = self._u.Uc(self._u.UC_ARCH_X86, self._u.UC_MODE_64 if self.WORD == 8 else self._u.UC_MODE_32)
        self._load()

    # -- set up ----------------------------------------------------------------
    def _load(self) -> None:
        u, uc = self._u, self.uc
        pages: dict[int, int] = {}
        for seg in self.image.segments:
            perms = (
                (u.UC_PROT_READ if seg.flags & 4 else 0)
                | (u.UC_PROT_WRITE if seg.flags & 2 else 0)
                | (u.UC_PROT_EXEC if seg.flags & 1 else 0)
            )
            for page in range(seg.vaddr & ~(PAGE - 1), seg.vaddr + seg.memsz, PAGE):
                pages[page] = pages.get(page, 0) | perms
        for page, perms in sorted(pages.items()):
            uc.mem_map(page, PAGE, perms)
        for seg in self.image.segments:
            uc.mem_write(seg.vaddr, seg.data)
        uc.mem_map(MARKER_BASE, PAGE, u.UC_PROT_READ | u.UC_PROT_EXEC)
        uc.mem_write(MARKER_BASE, _UD2_PAGE)
        uc.mem_map(GDT_BASE, PAGE, u.UC_PROT_READ | u.UC_PROT_WRITE)
        uc.mem_write(GDT_BASE, b"".join(struct.pack("<Q", d) for d in self.GDT))
        uc.reg_write(self._x.UC_X86_REG_GDTR, (0, GDT_BASE, len(self.GDT) * 8 - 1, 0))
        uc.mem_map(STACK_BASE, STACK_SIZE, u.UC_PROT_READ | u.UC_PROT_WRITE)
        self._enter_kernel()
        uc.hook_add(u.UC_HOOK_CODE, self._on_marker, begin=MARKER_BASE, end=MARKER_BASE + PAGE - 1)
        for seg in self.image.segments:
            if seg.executable:
                uc.hook_add(u.UC_HOOK_CODE, self._on_code, begin=seg.vaddr, end=seg.vaddr + seg.memsz - 1)

    def _on_marker(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        self._stopped_at = self._marker_at.get(address, f"<marker page {address:#x}>")
        uc.emu_stop()

    def _on_code(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        """Before each instruction of the image: record the trace and where a ``hlt``
        ran (unicorn ends emulation after it), then let the architecture carry out a
        return to an outer privilege level."""
        code = bytes(uc.mem_read(address, min(size, 4)))
        if self.trace is not None:
            self.trace.append((address, code))
        if self.swapgs_with_if is not None and code[:3] == _SWAPGS:
            self.swapgs_with_if.append(bool(uc.reg_read(self._flags) & EFLAGS_IF))
        if self.if_trace is not None:
            self.if_trace.append(bool(uc.reg_read(self._flags) & EFLAGS_IF))
        if code[:1] == b"\xf4":  # hlt
            self._halt_at = address + 1
        self._on_return(uc, code)

    @abstractmethod
    def _on_return(self, uc: Any, code: bytes) -> None:
        """Carry out the return instruction whose first bytes are ``code`` if it leaves
        ring 0: remember the outer state and stop emulation."""

    @abstractmethod
    def reset_cpu(self) -> None:
        """Forget the previous run's return to an outer privilege level."""

    # -- memory ----------------------------------------------------------------
    def read(self, address: int, size: int) -> bytes:
        """Bytes of emulated memory."""
        return bytes(self.uc.mem_read(address, size))

    def write(self, address: int, data: bytes) -> None:
        """Store bytes in emulated memory."""
        self.uc.mem_write(address, data)

    def read_word(self, address: int) -> int:
        """A little-endian word (:attr:`WORD` bytes) of emulated memory."""
        return int.from_bytes(self.read(address, self.WORD), "little")

    def write_word(self, address: int, value: int) -> None:
        """Store a word (e.g. a handler changing a frame slot)."""
        self.write(address, (value & self._mask).to_bytes(self.WORD, "little"))

    def stub_address(self, vector: int) -> int:
        """The stub address the vector table holds for ``vector`` (0 if none)."""
        raw = self.read(self.table + self.table_width * vector, self.table_width)
        return int.from_bytes(raw, "little")

    def symbol(self, name: str) -> int:
        """The address of a symbol of the linked image."""
        if name not in self.image.symbols:
            raise UsageError(f"the linked image has no symbol {name!r}")
        return self.image.symbols[name]

    def _push(self, sp: int, values: Iterable[int]) -> int:
        """Push ``values`` in order below ``sp``, a word each; the new stack pointer."""
        for value in values:
            sp -= self.WORD
            self.write_word(sp, value)
        return sp

    # -- registers -------------------------------------------------------------
    def _set_gprs(self, regs: Mapping[str, int]) -> None:
        for name, value in regs.items():
            if name not in self._reg:
                raise UsageError(f"unknown register {name!r} (one of: {', '.join(self.GPRS)})")
            self.uc.reg_write(self._reg[name], value & self._mask)

    def _check_clobber(self, clobber: Mapping[str, int] | None) -> None:
        bad = sorted(set(clobber or ()) - set(self.CALLER_SAVED))
        if bad:
            raise UsageError(self.CLOBBER_RULE.format(", ".join(bad)))

    @abstractmethod
    def state(self) -> StateT:
        """The current register state."""

    # -- running ---------------------------------------------------------------
    def _enter_kernel(self) -> None:
        """Load the kernel's code and stack selectors (SDM Vol. 3A 6.12.1).  The CPU
        never leaves ring 0: returns to an outer level are carried out in Python."""
        self.uc.reg_write(self._x.UC_X86_REG_CS, KERNEL_CS)
        self.uc.reg_write(self._x.UC_X86_REG_SS, KERNEL_DATA)

    @staticmethod
    def _gate_flags(flags: int, interrupt_gate: bool) -> int:
        """EFLAGS as delivery through a gate leaves them (SDM Vol. 3A 6.12.1.3): TF,
        NT, RF and VM clear, and IF too through an interrupt gate."""
        live = (flags | EFLAGS_FIXED) & ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM)
        return live & ~EFLAGS_IF if interrupt_gate else live

    def _interrupted(
        self, vector: int, *, cs: int, ip: int | None, sp: int | None, ss: int | None, stack: int | None
    ) -> Interrupted:
        """The interrupted context of ``vector`` with its defaults: ``ip`` the marker
        :data:`~isrgen.proof.image.INTERRUPTED`, ``sp`` :data:`DEFAULT_STACK_TOP`,
        ``ss`` the data selector of the interrupted level, and ``stack`` (where the CPU
        pushes) ``sp`` from ring 0, :data:`DEFAULT_STACK_TOP` (the TSS's) otherwise."""
        kernel = (cs & 3) == 0
        sp = DEFAULT_STACK_TOP if sp is None else sp
        ss = (KERNEL_DATA if kernel else USER_DATA) if ss is None else ss
        ip = MARKER_BASE if ip is None else ip
        if stack is None:
            stack = sp if kernel else DEFAULT_STACK_TOP
        if not STACK_BASE + 0x1000 <= stack <= STACK_BASE + STACK_SIZE:
            raise UsageError(f"stack {stack:#x} is outside the emulator's stack area")
        stub = self.stub_address(vector)
        if stub == 0:
            raise UsageError(f"vector {vector} has no stub in the vector table")
        return Interrupted(kernel, ip, sp, ss, stack, stub)

    def _jump(
        self,
        address: int,
        *,
        sp: int,
        flags: int,
        frame_top: int,
        resume_at: int,
        regs: Mapping[str, int] | None = None,
    ) -> StopT:
        """Set ``regs``, the stack pointer and the flags, and run from ``address``."""
        if regs:
            self._set_gprs(regs)
        self.uc.reg_write(self._sp, sp)
        self.uc.reg_write(self._flags, flags)
        self._frame_top = frame_top
        self._resume_at = resume_at
        return self.run(address, resume_at)

    @abstractmethod
    def _final_state(self) -> tuple[StateT, int, int]:
        """After a run: the state (the outer one after a return carried out in Python),
        its instruction pointer and its stack pointer."""

    @abstractmethod
    def _stop(self, symbol: str | None, state: StateT, stack: bytes, frame_top: int) -> StopT:
        """The architecture's stop record."""

    def run(self, begin: int, resume_at: int) -> StopT:
        """Run from ``begin`` until a marker, ``resume_at`` (the interrupted instruction
        pointer) or a ``hlt``."""
        self._stopped_at = None
        self.reset_cpu()
        self._halt_at = None
        try:
            self.uc.emu_start(begin, resume_at, count=self.instruction_limit)
        except self._u.UcError as exc:
            ip = self.uc.reg_read(self._ip)
            raise EmulationError(f"CPU fault at {self.image.describe(ip)}: {exc}") from None
        st, ip, sp = self._final_state()
        symbol = self._stopped_at
        if symbol is None and self._halt_at is not None and ip == self._halt_at:
            symbol = HALTED
        if symbol is None and ip != resume_at:
            raise EmulationError(
                f"no handler reached and no return within {self.instruction_limit} instructions "
                f"(stopped at {self.image.describe(ip)})"
            )
        if ip == resume_at:
            symbol = None
        in_stack = STACK_BASE <= sp <= self._frame_top <= STACK_BASE + STACK_SIZE
        stack = self.read(sp, self._frame_top - sp) if symbol is not None and in_stack else b""
        return self._stop(symbol, st, stack, self._frame_top)

    def return_from_handler(
        self,
        return_value: int | None = None,
        *,
        clobber: Mapping[str, int] | None = None,
        interrupts_enabled: bool = False,
    ) -> StopT:
        """Emulate the handler's ``ret`` and run on (normally through the interrupt return).

        ``return_value`` goes to the first register of :attr:`GPRS` (``rax``/``eax``:
        the frame to resume for ``returns: frame`` handlers); ``clobber`` sets
        registers the ABI lets a handler change, to prove the exit path restores
        them from the frame; ``interrupts_enabled`` returns with IF set, as a handler
        that enabled interrupts does.
        """
        sp = self.uc.reg_read(self._sp)
        target = self.read_word(sp)
        if clobber:
            self._check_clobber(clobber)
            self._set_gprs(clobber)
        if return_value is not None:
            self._set_gprs({self.GPRS[0]: return_value})
        self.uc.reg_write(self._sp, sp + self.WORD)
        flags = self.uc.reg_read(self._flags) & ~EFLAGS_DF  # the ABI: DF clear on return
        if interrupts_enabled:
            flags |= EFLAGS_IF
        self.uc.reg_write(self._flags, flags)
        return self.run(target, self._resume_at)
