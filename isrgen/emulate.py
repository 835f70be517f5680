"""Run linked interrupt glue under unicorn, as a CPU would deliver an interrupt.

The generated objects are linked for real with ``ld`` at a fixed address.  Every
symbol they leave undefined (the handlers, and anything else they call) is
defined with ``--defsym`` as a *marker*: a 16-byte slot in a page of ``ud2``
instructions that emulation never executes, because reaching a marker stops it.
The stack, a GDT (``iretq`` needs one) and the marker page are mapped next to
the image's ``PT_LOAD`` segments, each with the permissions its program header
gives, so code placed in a read-only segment faults exactly as it would on
hardware with NX enabled.

Typical use::

    image = link_for_emulation([obj], workdir)
    emu = Emulator(image, table_symbol="isr_table")
    stop = emu.interrupt(14, regs={"rax": 1}, error_code=0x11)
    assert stop.symbol == "isr_dispatch" and stop.call_aligned
    back = emu.return_from_handler()
    assert back.resumed and back.state.gprs["rax"] == 1

One :class:`Emulator` (one unicorn ``Uc``) is reused for any number of
interrupts; creating a ``Uc`` costs far more than running a stub.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from .diagnostics import IsrgenError, UsageError
from .toolchain import run_tool

#: the 15 general-purpose registers a frame can save, in encoding order
GPRS: tuple[str, ...] = (
    "rax",
    "rcx",
    "rdx",
    "rbx",
    "rbp",
    "rsi",
    "rdi",
    "r8",
    "r9",
    "r10",
    "r11",
    "r12",
    "r13",
    "r14",
    "r15",
)
#: SysV: registers a called function may change (rsp aside, the rest it must preserve)
CALLER_SAVED: tuple[str, ...] = ("rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11")

#: selectors of the emulator's GDT: kernel code/data, then user data/code with RPL 3
KERNEL_CS = 0x08
KERNEL_SS = 0x10
USER_SS = 0x1B
USER_CS = 0x23

RFLAGS_FIXED = 0x2  # bit 1 always reads as 1
RFLAGS_TF = 0x100
RFLAGS_IF = 0x200
RFLAGS_DF = 0x400
RFLAGS_NT = 0x4000
RFLAGS_RF = 0x10000
RFLAGS_VM = 0x20000

MSR_GS_BASE = 0xC0000101
MSR_KERNEL_GS_BASE = 0xC0000102

#: where ld places the image (the default for x86_64 executables)
IMAGE_BASE = 0x400000
#: the page of marker slots; the first slot is where interrupted code "was"
MARKER_BASE = 0x6000_0000
MARKER_SLOT = 16
#: name of the marker that stands for the interrupted code (the default RIP in the CPU frame)
INTERRUPTED = "<interrupted>"
#: name of the marker :meth:`Emulator.call` pushes as the return address
RETURNED = "<returned>"
#: the :attr:`Stop.symbol` of a CPU that executed ``hlt``
HALTED = "<halted>"
GDT_BASE = 0x10000
STACK_BASE = 0x7000_0000
STACK_SIZE = 0x10000
#: where the CPU pushes its frame by default: near the top of the emulator's stack
DEFAULT_STACK_TOP = STACK_BASE + STACK_SIZE - 0x100

_PAGE = 0x1000
_UD2_PAGE = b"\x0f\x0b" * (_PAGE // 2)

# Flat 64-bit descriptors (SDM Vol. 3A 3.4.5, 5.2.1).  The accessed bit is preset
# and the GDT page is writable, so loading a selector never faults on the write back.
_GDT = (
    0,
    0x00AF9B000000FFFF,  # 0x08 kernel code, L=1, DPL 0
    0x00CF93000000FFFF,  # 0x10 kernel data, DPL 0
    0x00CFF3000000FFFF,  # 0x18 user data, DPL 3
    0x00AFFB000000FFFF,  # 0x20 user code, L=1, DPL 3
)


class EmulationError(IsrgenError):
    """The glue did something a CPU would not survive (fault, runaway code)."""


@attrs.frozen
class Segment:
    """One ``PT_LOAD`` segment of the linked image."""

    vaddr: int
    memsz: int
    data: bytes
    #: ELF p_flags: 1 = executable, 2 = writable, 4 = readable
    flags: int

    @property
    def executable(self) -> bool:
        """Whether the segment is mapped executable."""
        return bool(self.flags & 1)

    def holds(self, address: int) -> bool:
        """Whether ``address`` lies inside the segment."""
        return self.vaddr <= address < self.vaddr + self.memsz


@attrs.frozen
class LinkedImage:
    """An executable linked by :func:`link_for_emulation`."""

    path: Path
    symbols: Mapping[str, int]
    segments: tuple[Segment, ...]
    #: marker name -> address; reaching one stops emulation
    markers: Mapping[str, int]

    def segment_of(self, address: int) -> Segment | None:
        """The loaded segment holding ``address``."""
        for seg in self.segments:
            if seg.holds(address):
                return seg
        return None

    def describe(self, address: int) -> str:
        """``0x401020 (isr_common+0x10)``: an address and the symbol it falls in."""
        for name, addr in self.markers.items():
            if addr == address:
                return f"{address:#x} ({name})"
        best: tuple[int, str] | None = None
        for name, addr in self.symbols.items():
            if addr <= address and (best is None or addr > best[0]):
                best = (addr, name)
        if best is None or self.segment_of(address) is None:
            return f"{address:#x}"
        off = address - best[0]
        return f"{address:#x} ({best[1]}{f'+{off:#x}' if off else ''})"


def _undefined_symbols(objects: Iterable[Path]) -> list[str]:
    names: dict[str, None] = {}
    defined: set[str] = set()
    for obj in objects:
        with obj.open("rb") as fh:
            elf = ELFFile(fh)
            for section in elf.iter_sections():
                if not isinstance(section, SymbolTableSection):
                    continue
                for sym in section.iter_symbols():
                    if not sym.name or sym["st_info"]["bind"] == "STB_LOCAL":
                        continue
                    if sym["st_shndx"] == "SHN_UNDEF":
                        names.setdefault(sym.name, None)
                    else:
                        defined.add(sym.name)
    return [n for n in names if n not in defined]


def link_for_emulation(
    objects: Sequence[str | os.PathLike[str]],
    workdir: str | os.PathLike[str],
    *,
    stop_symbols: Sequence[str] = (),
    name: str = "glue.elf",
    emulation: str | None = None,
) -> LinkedImage:
    """Link ``objects`` with ``ld`` into ``workdir/name``, defining every undefined symbol
    (and each of ``stop_symbols`` the objects do not define) as a marker.  ``emulation``
    is ld's ``-m`` target (``elf_i386`` for 32-bit objects; default: ld's own)."""
    objs = [Path(o) for o in objects]
    wanted = list(dict.fromkeys([*_undefined_symbols(objs), *stop_symbols]))
    markers = {INTERRUPTED: MARKER_BASE, RETURNED: MARKER_BASE + MARKER_SLOT}
    for i, sym in enumerate(wanted, start=len(markers)):
        markers[sym] = MARKER_BASE + i * MARKER_SLOT
    if len(markers) * MARKER_SLOT > _PAGE:
        raise UsageError(f"too many undefined symbols to emulate ({len(wanted)})")
    out = Path(workdir) / name
    argv = ["ld", "-static", "-nostdlib", "-z", "separate-code", "-z", "max-page-size=4096", "-z", "noexecstack"]
    if emulation is not None:
        argv += ["-m", emulation]
    argv += [f"--defsym={sym}={addr:#x}" for sym, addr in markers.items() if sym not in (INTERRUPTED, RETURNED)]
    argv += ["-e", f"{MARKER_BASE:#x}", "-o", str(out), *map(str, objs)]
    run_tool(argv)
    return read_image(out, markers)


def read_image(path: Path, markers: Mapping[str, int]) -> LinkedImage:
    """Load a linked executable's symbols and ``PT_LOAD`` segments."""
    symbols: dict[str, int] = {}
    segments: list[Segment] = []
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_memsz"]:
                segments.append(Segment(seg["p_vaddr"], seg["p_memsz"], seg.data(), seg["p_flags"]))
        symtab = elf.get_section_by_name(".symtab")
        if isinstance(symtab, SymbolTableSection):
            for sym in symtab.iter_symbols():
                if sym.name and sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE"):
                    symbols.setdefault(sym.name, sym["st_value"])
    return LinkedImage(path, symbols, tuple(segments), dict(markers))


@attrs.frozen
class CpuState:
    """The registers that matter to interrupt glue."""

    gprs: Mapping[str, int]
    rip: int
    rsp: int
    rflags: int
    cs: int
    ss: int
    gs_base: int
    kernel_gs_base: int

    @property
    def df(self) -> bool:
        """The direction flag."""
        return bool(self.rflags & RFLAGS_DF)


@attrs.frozen
class Stop:
    """Where emulation stopped: at a marker (a handler), or back in the interrupted code."""

    #: the marker reached (a handler symbol), or None when the interrupted code resumed
    symbol: str | None
    state: CpuState
    #: the stack from rsp up to the top of the CPU frame of the current interrupt
    stack: bytes
    #: one past the CPU frame of the current interrupt (its aligned stack top)
    frame_top: int

    @property
    def resumed(self) -> bool:
        """Whether the interrupted code was resumed (``iretq`` completed)."""
        return self.symbol is None

    @property
    def halted(self) -> bool:
        """Whether the CPU stopped at a ``hlt`` instruction."""
        return self.symbol == HALTED

    @property
    def call_aligned(self) -> bool:
        """At a marker reached by ``call``: whether rsp was 16-byte aligned at the call (SysV)."""
        return (self.state.rsp + 8) % 16 == 0

    @property
    def first_argument(self) -> int:
        """``rdi``: the frame pointer a SysV handler receives."""
        return self.state.gprs["rdi"]

    def u64(self, address: int) -> int:
        """The 8-byte word at ``address`` (inside the captured stack)."""
        off = address - self.state.rsp
        if off < 0 or off + 8 > len(self.stack):
            raise EmulationError(
                f"{address:#x} is outside the captured stack [{self.state.rsp:#x}, {self.frame_top:#x})"
            )
        value: int = struct.unpack_from("<Q", self.stack, off)[0]
        return value


def require_unicorn() -> Any:
    """The unicorn module; :class:`UsageError` saying how to install it when it is missing."""
    try:
        import unicorn
    except ImportError:
        raise UsageError("the unicorn Python package is not installed (pip install unicorn)") from None
    return unicorn


class Emulator:
    """One unicorn CPU with a linked image loaded; deliver interrupts to it one by one."""

    def __init__(
        self, image: LinkedImage, *, table_symbol: str, instruction_limit: int = 100_000, table_width: int = 8
    ):
        """``table_symbol`` names the vector table (256 stub addresses, ``table_width`` bytes
        each: 4 for a kernel linked below 4 GiB) in ``image``."""
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
        self._reg = {n: getattr(x86_const, f"UC_X86_REG_{n.upper()}") for n in GPRS}
        self._marker_at = {addr: name for name, addr in image.markers.items()}
        self._stopped_at: str | None = None
        self._frame_top = DEFAULT_STACK_TOP
        self._resume_at = MARKER_BASE
        self.uc = self._u.Uc(self._u.UC_ARCH_X86, self._u.UC_MODE_64)
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
            for page in range(seg.vaddr & ~(_PAGE - 1), seg.vaddr + seg.memsz, _PAGE):
                pages[page] = pages.get(page, 0) | perms
        for page, perms in sorted(pages.items()):
            uc.mem_map(page, _PAGE, perms)
        for seg in self.image.segments:
            uc.mem_write(seg.vaddr, seg.data)
        uc.mem_map(MARKER_BASE, _PAGE, u.UC_PROT_READ | u.UC_PROT_EXEC)
        uc.mem_write(MARKER_BASE, _UD2_PAGE)
        uc.mem_map(GDT_BASE, _PAGE, u.UC_PROT_READ | u.UC_PROT_WRITE)
        uc.mem_write(GDT_BASE, b"".join(struct.pack("<Q", d) for d in _GDT))
        uc.reg_write(self._x.UC_X86_REG_GDTR, (0, GDT_BASE, len(_GDT) * 8 - 1, 0))
        uc.mem_map(STACK_BASE, STACK_SIZE, u.UC_PROT_READ | u.UC_PROT_WRITE)
        uc.reg_write(self._x.UC_X86_REG_CS, KERNEL_CS)
        uc.reg_write(self._x.UC_X86_REG_SS, KERNEL_SS)
        uc.hook_add(u.UC_HOOK_CODE, self._on_marker, begin=MARKER_BASE, end=MARKER_BASE + _PAGE - 1)
        for seg in self.image.segments:
            if seg.executable:
                uc.hook_add(u.UC_HOOK_CODE, self._on_return, begin=seg.vaddr, end=seg.vaddr + seg.memsz - 1)
        self._ring3: tuple[int, int, int, int, int] | None = None
        self._halt_at: int | None = None
        #: the last return instruction reached ("iretq" or "sysretq")
        self.last_return: str | None = None
        #: when a list: (address, first bytes) of every instruction executed in the image
        self.trace: list[tuple[int, bytes]] | None = None

    def reset_cpu(self) -> None:
        """Forget the previous run's return; the CPU is always in ring 0 (see :meth:`_on_return`)."""
        self._ring3 = None

    def _on_return(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        """Carry out ``iretq``/``sysretq`` to ring 3 in Python instead of in unicorn.

        Once unicorn has dropped to CPL 3 it cannot be brought back (writing CS does
        not change its CPL, and register writes made at CPL 3 are not all kept), so a
        return to ring 3 is decoded here from the stack exactly as the CPU defines it
        (SDM Vol. 2A IRET, Vol. 2B SYSRET) and emulation stops there.  Also records
        the trace and where a ``hlt`` ran (unicorn ends emulation after it).
        """
        code = bytes(uc.mem_read(address, min(size, 4)))
        if self.trace is not None:
            self.trace.append((address, code))
        if code[:1] == b"\xf4":  # hlt
            self._halt_at = address + 1
        x = self._x
        sp = uc.reg_read(x.UC_X86_REG_RSP)
        if code[:2] == b"\x48\xcf":  # iretq
            rip, cs, rflags, rsp, ss = struct.unpack("<5Q", bytes(uc.mem_read(sp, 40)))
            self.last_return = "iretq"
            if cs & 3 == 0:
                return
        elif code[:3] == b"\x48\x0f\x07":  # sysretq
            self.last_return = "sysretq"
            star = uc.msr_read(0xC0000081) >> 48
            rip, rflags, rsp = uc.reg_read(x.UC_X86_REG_RCX), uc.reg_read(x.UC_X86_REG_R11), sp
            cs, ss = (star + 16) | 3, (star + 8) | 3
            rflags = (rflags & ~(RFLAGS_RF | RFLAGS_VM)) | RFLAGS_FIXED
        else:
            return
        self._ring3 = (rip, cs, rflags, rsp, ss)
        uc.emu_stop()

    def _scratch_page(self) -> int:
        scratch = MARKER_BASE + _PAGE
        if not self._scratch_mapped:
            self.uc.mem_map(scratch, _PAGE, self._u.UC_PROT_READ | self._u.UC_PROT_EXEC)
            self._scratch_mapped = True
        return scratch

    def _on_marker(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        self._stopped_at = self._marker_at.get(address, f"<marker page {address:#x}>")
        uc.emu_stop()

    # -- memory ----------------------------------------------------------------
    def read(self, address: int, size: int) -> bytes:
        """Bytes of emulated memory."""
        return bytes(self.uc.mem_read(address, size))

    def read_u64(self, address: int) -> int:
        """An 8-byte little-endian word of emulated memory."""
        value: int = struct.unpack("<Q", self.read(address, 8))[0]
        return value

    def write_u64(self, address: int, value: int) -> None:
        """Store an 8-byte word (e.g. a handler changing a frame slot)."""
        self.uc.mem_write(address, struct.pack("<Q", value & (2**64 - 1)))

    def stub_address(self, vector: int) -> int:
        """The stub address the vector table holds for ``vector`` (0 if none)."""
        raw = self.read(self.table + self.table_width * vector, self.table_width)
        return int.from_bytes(raw, "little")

    # -- registers -------------------------------------------------------------
    def _set_gprs(self, regs: Mapping[str, int]) -> None:
        for name, value in regs.items():
            if name not in self._reg:
                raise UsageError(f"unknown register {name!r} (one of: {', '.join(GPRS)})")
            self.uc.reg_write(self._reg[name], value & (2**64 - 1))

    def state(self) -> CpuState:
        """The current register state."""
        x, uc = self._x, self.uc
        return CpuState(
            gprs={n: uc.reg_read(r) for n, r in self._reg.items()},
            rip=uc.reg_read(x.UC_X86_REG_RIP),
            rsp=uc.reg_read(x.UC_X86_REG_RSP),
            rflags=uc.reg_read(x.UC_X86_REG_RFLAGS),
            cs=uc.reg_read(x.UC_X86_REG_CS),
            ss=uc.reg_read(x.UC_X86_REG_SS),
            gs_base=uc.msr_read(MSR_GS_BASE),
            kernel_gs_base=uc.msr_read(MSR_KERNEL_GS_BASE),
        )

    # -- running ---------------------------------------------------------------
    def _enter_kernel(self) -> None:
        """Load the gate's selectors (SDM Vol. 3A 6.14.2).  The CPU never left ring 0:
        returns to ring 3 are carried out in Python (:meth:`_on_return`)."""
        self.uc.reg_write(self._x.UC_X86_REG_CS, KERNEL_CS)
        self.uc.reg_write(self._x.UC_X86_REG_SS, KERNEL_SS)

    def run(self, begin: int, resume_at: int) -> Stop:
        """Run from ``begin`` until a marker, ``resume_at`` (the interrupted RIP) or a ``hlt``."""
        self._stopped_at = None
        self._ring3 = None
        self._halt_at = None
        try:
            self.uc.emu_start(begin, resume_at, count=self.instruction_limit)
        except self._u.UcError as exc:
            rip = self.uc.reg_read(self._x.UC_X86_REG_RIP)
            raise EmulationError(f"CPU fault at {self.image.describe(rip)}: {exc}") from None
        st = self.state()
        if self._ring3 is not None:
            rip, cs, rflags, rsp, ss = self._ring3
            self._ring3 = None
            st = attrs.evolve(st, rip=rip, cs=cs, rflags=rflags, rsp=rsp, ss=ss)
        symbol = self._stopped_at
        if symbol is None and self._halt_at is not None and st.rip == self._halt_at:
            symbol = HALTED
        if symbol is None and st.rip != resume_at:
            raise EmulationError(
                f"no handler reached and no return within {self.instruction_limit} instructions "
                f"(stopped at {self.image.describe(st.rip)})"
            )
        if st.rip == resume_at:
            symbol = None
        in_stack = STACK_BASE <= st.rsp <= self._frame_top <= STACK_BASE + STACK_SIZE
        stack = self.read(st.rsp, self._frame_top - st.rsp) if symbol is not None and in_stack else b""
        return Stop(symbol, st, stack, self._frame_top)

    def interrupt(
        self,
        vector: int,
        *,
        regs: Mapping[str, int] | None = None,
        rip: int | None = None,
        cs: int = KERNEL_CS,
        rflags: int = RFLAGS_FIXED | RFLAGS_IF,
        rsp: int | None = None,
        ss: int | None = None,
        error_code: int | None = None,
        stack: int | None = None,
        interrupt_gate: bool = True,
        gs_base: int | None = None,
        kernel_gs_base: int | None = None,
    ) -> Stop:
        """Deliver ``vector`` as the CPU would (SDM Vol. 3A 6.14.2) and run its stub.

        The CPU frame holds the interrupted ``rip`` (default: the marker
        :data:`INTERRUPTED`), ``cs``, ``rflags``, ``rsp`` and ``ss``, pushed on
        ``stack`` (the TSS/IST stack the CPU switches to; default: the interrupted
        ``rsp`` for a kernel-mode ``cs``, :data:`DEFAULT_STACK_TOP` otherwise)
        after aligning it down to 16; ``error_code`` is pushed below it when not
        None.  ``regs`` sets general-purpose registers.  Returns the stop at the
        first marker (normally the handler).
        """
        self._enter_kernel()
        kernel = (cs & 3) == 0
        if rsp is None:
            rsp = DEFAULT_STACK_TOP
        if ss is None:
            ss = KERNEL_SS if kernel else USER_SS
        if rip is None:
            rip = MARKER_BASE
        if stack is None:
            stack = rsp if kernel else DEFAULT_STACK_TOP
        if not STACK_BASE + 0x1000 <= stack <= STACK_BASE + STACK_SIZE:
            raise UsageError(f"stack {stack:#x} is outside the emulator's stack area")
        self.reset_cpu()
        stub = self.stub_address(vector)
        if stub == 0:
            raise UsageError(f"vector {vector} has no stub in the vector table")
        sp = stack & ~0xF
        self._frame_top = sp
        pushed = [ss, rsp, rflags | RFLAGS_FIXED, cs, rip]
        if error_code is not None:
            pushed.append(error_code)
        for value in pushed:
            sp -= 8
            self.write_u64(sp, value)
        if regs:
            self._set_gprs(regs)
        live = (rflags | RFLAGS_FIXED) & ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM)
        if interrupt_gate:
            live &= ~RFLAGS_IF
        x = self._x
        self.uc.reg_write(x.UC_X86_REG_RSP, sp)
        self.uc.reg_write(x.UC_X86_REG_RFLAGS, live)
        if gs_base is not None:
            self.uc.msr_write(MSR_GS_BASE, gs_base)
        if kernel_gs_base is not None:
            self.uc.msr_write(MSR_KERNEL_GS_BASE, kernel_gs_base)
        self._resume_at = rip
        return self.run(stub, rip)

    def call(
        self,
        address: int,
        *,
        regs: Mapping[str, int] | None = None,
        rsp: int = DEFAULT_STACK_TOP,
        rflags: int = RFLAGS_FIXED,
        frame_top: int | None = None,
        resume_at: int = MARKER_BASE,
        push_return: bool = True,
    ) -> Stop:
        """Call code at ``address`` (e.g. the exit routine with ``rdi`` = a frame) as a
        function: a return address is pushed below ``rsp``; runs until a marker or
        ``resume_at``.  ``frame_top`` bounds the stack captured at a marker stop.
        ``push_return=False`` jumps instead, with ``rsp`` as given (code entered by
        ``ret`` with the stack pointer at a frame, ``entry.exit_frame: stack``)."""
        self._enter_kernel()
        sp = rsp
        if push_return:
            sp -= 8
            self.write_u64(sp, self.image.markers[RETURNED])
        if regs:
            self._set_gprs(regs)
        self.uc.reg_write(self._x.UC_X86_REG_RSP, sp)
        self.uc.reg_write(self._x.UC_X86_REG_RFLAGS, rflags | RFLAGS_FIXED)
        self._frame_top = rsp if frame_top is None else frame_top
        self._resume_at = resume_at
        return self.run(address, resume_at)

    def return_from_handler(
        self,
        return_value: int | None = None,
        *,
        clobber: Mapping[str, int] | None = None,
    ) -> Stop:
        """Emulate the handler's ``ret`` and run on (normally through ``iretq``).

        ``return_value`` goes to ``rax`` (the frame to resume for
        ``returns: frame`` handlers); ``clobber`` sets registers a SysV function
        may change, to prove the exit path restores them from the frame.
        """
        x = self._x
        sp = self.uc.reg_read(x.UC_X86_REG_RSP)
        target = self.read_u64(sp)
        if clobber:
            bad = sorted(set(clobber) - set(CALLER_SAVED))
            if bad:
                raise UsageError(f"a SysV handler must preserve {', '.join(bad)}; only caller-saved registers clobber")
            self._set_gprs(clobber)
        if return_value is not None:
            self._set_gprs({"rax": return_value})
        self.uc.reg_write(x.UC_X86_REG_RSP, sp + 8)
        flags = self.uc.reg_read(x.UC_X86_REG_RFLAGS)
        self.uc.reg_write(x.UC_X86_REG_RFLAGS, flags & ~RFLAGS_DF)  # SysV: DF clear on return
        return self.run(target, self._resume_at)

    # -- entry paths beyond interrupts (issue 4) ----------------------------------
    def enable_simd(self, xcr0: int = 0x3) -> None:
        """Turn on SSE and XSAVE as a kernel would: CR0.MP, CR4.OSFXSR/OSXMMEXCPT/OSXSAVE, XCR0."""
        x, uc = self._x, self.uc
        cr0 = uc.reg_read(x.UC_X86_REG_CR0)
        uc.reg_write(x.UC_X86_REG_CR0, (cr0 | 0x2) & ~0x4)
        cr4 = uc.reg_read(x.UC_X86_REG_CR4)
        uc.reg_write(x.UC_X86_REG_CR4, cr4 | (1 << 9) | (1 << 10) | (1 << 18))
        # XCR0 has no unicorn register: execute xsetbv (SDM Vol. 2C) on a scratch page.
        scratch = self._scratch_page()
        uc.mem_write(scratch, b"\x0f\x01\xd1")  # xsetbv
        self._set_gprs({"rcx": 0, "rax": xcr0 & 0xFFFFFFFF, "rdx": xcr0 >> 32})
        uc.emu_start(scratch, scratch + 3)

    _scratch_mapped = False

    def xmm(self, index: int) -> int:
        """The 128-bit value of ``xmm<index>``."""
        value: int = self.uc.reg_read(getattr(self._x, f"UC_X86_REG_XMM{index}"))
        return value

    def set_xmm(self, index: int, value: int) -> None:
        """Set ``xmm<index>`` to a 128-bit value."""
        self.uc.reg_write(getattr(self._x, f"UC_X86_REG_XMM{index}"), value & (2**128 - 1))

    def syscall(
        self,
        entry_symbol: str,
        *,
        regs: Mapping[str, int] | None = None,
        user_rip: int = MARKER_BASE,
        user_rflags: int = RFLAGS_FIXED | RFLAGS_IF,
        user_rsp: int = DEFAULT_STACK_TOP - 0x800,
        kernel_gs_base: int,
        user_gs_base: int = 0,
        kernel_stack_top: int = DEFAULT_STACK_TOP,
        user_cs: int = USER_CS,
    ) -> Stop:
        """Execute SYSCALL as the CPU would (SDM Vol. 2B): RCX = user RIP, R11 = user
        RFLAGS, RSP unchanged, CS/SS from STAR; run the entry to the first marker.
        The kernel's per-CPU data at ``kernel_gs_base`` must already hold what the
        entry reads (the caller writes it with :meth:`write_u64`)."""
        if entry_symbol not in self.image.symbols:
            raise UsageError(f"the linked image has no syscall entry {entry_symbol!r}")
        self.reset_cpu()
        x, uc = self._x, self.uc
        # EFER.SCE on; STAR[63:48] + 16 | 3 is the user CS sysretq loads, + 8 | 3 its SS.
        uc.msr_write(0xC0000080, uc.msr_read(0xC0000080) | 1)
        uc.msr_write(0xC0000081, ((user_cs - 16) & ~3) << 48 | KERNEL_CS << 32)
        if regs:
            self._set_gprs(regs)
        self._set_gprs({"rcx": user_rip, "r11": user_rflags | RFLAGS_FIXED})
        uc.reg_write(x.UC_X86_REG_RSP, user_rsp)
        uc.reg_write(x.UC_X86_REG_RFLAGS, RFLAGS_FIXED)  # FMASK clears IF, DF, TF
        uc.msr_write(MSR_GS_BASE, user_gs_base)
        uc.msr_write(MSR_KERNEL_GS_BASE, kernel_gs_base)
        self._frame_top = kernel_stack_top
        self._resume_at = user_rip
        return self.run(self.image.symbols[entry_symbol], user_rip)
