"""Run linked i386 interrupt glue under unicorn in 32-bit protected mode.

The 32-bit counterpart of :mod:`isrgen.emulate`: objects are linked with
``ld -m elf_i386`` (:func:`link32`), undefined symbols become markers that stop
emulation, and one :class:`Emulator32` delivers any number of interrupts.

What differs from x86_64 (Intel SDM Vol. 3A 6.12.1, figure 6-4): the CPU does
not align the stack, pushes only EFLAGS, CS, EIP (and the error code) when the
privilege level does not change, and SS, ESP before them when it does (on the
stack the TSS names: ``stack=``).  Segment registers are real: the emulator
loads a GDT with flat 32-bit code and data descriptors, so ``push ds`` /
``pop ds`` / ``mov ds, ax`` check their selectors exactly as a CPU would.

Unicorn cannot be brought back from CPL 3, so an ``iretd`` to ring 3 is carried
out in Python (:meth:`Emulator32._on_iret`), including the rule that a return to
an outer level nulls data segment registers the new level may not use.

Typical use::

    image = link32([obj], workdir)
    emu = Emulator32(image, table_symbol="isr_table")
    stop = emu.interrupt(14, regs={"eax": 1}, error_code=0x2)
    assert stop.symbol == "isr_dispatch" and stop.call_aligned
    back = emu.return_from_handler()
    assert back.resumed and back.state.gprs["eax"] == 1
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .diagnostics import UsageError
from .emulate import (
    HALTED,
    INTERRUPTED,
    MARKER_BASE,
    RETURNED,
    STACK_BASE,
    STACK_SIZE,
    EmulationError,
    LinkedImage,
    link_for_emulation,
    require_unicorn,
)

#: the 7 general-purpose registers besides esp, in encoding order
GPRS32: tuple[str, ...] = ("eax", "ecx", "edx", "ebx", "ebp", "esi", "edi")
#: cdecl: registers a called function may change (the rest it must preserve)
CALLER_SAVED32: tuple[str, ...] = ("eax", "ecx", "edx")
#: the data segment registers, in the order the classic frame saves them
SEGMENTS: tuple[str, ...] = ("ds", "es", "fs", "gs")

#: selectors of the emulator's GDT
KERNEL_CS = 0x08
KERNEL_DS = 0x10
USER_DS = 0x1B
USER_CS = 0x23
#: a second kernel data segment (DPL 0), like a per-CPU segment in fs/gs
KERNEL_PERCPU = 0x28
#: a second user data segment (DPL 3), like a TLS segment in gs
USER_TLS = 0x33

#: selectors a data segment register may hold in ring 0 (null selectors included)
KERNEL_LOADABLE: tuple[int, ...] = (0, 3, KERNEL_DS, USER_DS & ~3, USER_DS, KERNEL_PERCPU, USER_TLS)
#: selectors a data segment register may hold in ring 3
USER_LOADABLE: tuple[int, ...] = (0, 3, USER_DS, USER_TLS)

EFLAGS_FIXED = 0x2
EFLAGS_TF = 0x100
EFLAGS_IF = 0x200
EFLAGS_DF = 0x400
EFLAGS_NT = 0x4000
EFLAGS_RF = 0x10000
EFLAGS_VM = 0x20000

GDT_BASE = 0x10000
#: the default stack top (where the CPU starts pushing)
DEFAULT_STACK_TOP = STACK_BASE + STACK_SIZE - 0x100

_PAGE = 0x1000
_UD2_PAGE = b"\x0f\x0b" * (_PAGE // 2)
_MASK32 = 2**32 - 1

# Flat 32-bit descriptors, G=1 D=1 (SDM Vol. 3A 3.4.5).  The accessed bit is preset
# so loading a selector never needs to write the descriptor back.
_GDT = (
    0,
    0x00CF9B000000FFFF,  # 0x08 kernel code, DPL 0, execute/read
    0x00CF93000000FFFF,  # 0x10 kernel data, DPL 0
    0x00CFF3000000FFFF,  # 0x18 user data, DPL 3
    0x00CFFB000000FFFF,  # 0x20 user code, DPL 3, execute/read
    0x00CF93000000FFFF,  # 0x28 kernel per-CPU data, DPL 0
    0x00CFF3000000FFFF,  # 0x30 user TLS data, DPL 3
)


def _descriptor_dpl(selector: int) -> int:
    return (_GDT[selector >> 3] >> 45) & 3


def link32(
    objects: Sequence[str | os.PathLike[str]],
    workdir: str | os.PathLike[str],
    *,
    stop_symbols: Sequence[str] = (),
    name: str = "glue32.elf",
) -> LinkedImage:
    """Link 32-bit ``objects`` with ``ld -m elf_i386`` (see :func:`isrgen.emulate.link_for_emulation`)."""
    return link_for_emulation(objects, workdir, stop_symbols=stop_symbols, name=name, emulation="elf_i386")


@attrs.frozen
class CpuState32:
    """The registers that matter to 32-bit interrupt glue."""

    gprs: Mapping[str, int]
    segments: Mapping[str, int]
    eip: int
    esp: int
    eflags: int
    cs: int
    ss: int

    @property
    def df(self) -> bool:
        """The direction flag."""
        return bool(self.eflags & EFLAGS_DF)


@attrs.frozen
class Stop32:
    """Where emulation stopped: at a marker (a handler), or back in the interrupted code."""

    #: the marker reached, or None when the interrupted code resumed
    symbol: str | None
    state: CpuState32
    #: the stack from esp up to the top of the current interrupt's CPU frame
    stack: bytes
    #: one past the CPU frame of the current interrupt
    frame_top: int

    @property
    def resumed(self) -> bool:
        """Whether the interrupted code was resumed (``iretd`` completed)."""
        return self.symbol is None

    @property
    def halted(self) -> bool:
        """Whether the CPU stopped at a ``hlt`` instruction."""
        return self.symbol == HALTED

    @property
    def call_aligned(self) -> bool:
        """At a marker reached by ``call``: whether esp was 16-byte aligned at the call."""
        return (self.state.esp + 4) % 16 == 0

    @property
    def first_argument(self) -> int:
        """``[esp+4]``: the first cdecl argument (the frame pointer)."""
        return self.u32(self.state.esp + 4)

    def u32(self, address: int) -> int:
        """The 4-byte word at ``address`` (inside the captured stack)."""
        off = address - self.state.esp
        if off < 0 or off + 4 > len(self.stack):
            raise EmulationError(
                f"{address:#x} is outside the captured stack [{self.state.esp:#x}, {self.frame_top:#x})"
            )
        value: int = struct.unpack_from("<I", self.stack, off)[0]
        return value


class Emulator32:
    """One unicorn CPU in 32-bit protected mode with a linked image loaded."""

    def __init__(self, image: LinkedImage, *, table_symbol: str, instruction_limit: int = 100_000):
        """``table_symbol`` names the vector table (256 4-byte stub addresses) in ``image``.

        A :class:`Stop32` whose symbol is :data:`isrgen.emulate.HALTED` ended at a ``hlt``."""
        if table_symbol not in image.symbols:
            raise UsageError(f"the linked image has no vector table symbol {table_symbol!r}")
        self.image = image
        self.table = image.symbols[table_symbol]
        self.instruction_limit = instruction_limit
        self._u = require_unicorn()
        from unicorn import x86_const

        self._x = x86_const
        self._reg = {n: getattr(x86_const, f"UC_X86_REG_{n.upper()}") for n in GPRS32}
        self._seg = {n: getattr(x86_const, f"UC_X86_REG_{n.upper()}") for n in SEGMENTS}
        self._marker_at = {addr: name for name, addr in image.markers.items()}
        self._stopped_at: str | None = None
        self._outer: CpuState32 | None = None
        self._frame_top = DEFAULT_STACK_TOP
        self._resume_at = MARKER_BASE
        #: the last return instruction carried out in Python (``iretd`` to ring 3), if any
        self.last_outer_return: str | None = None
        self._halt_at: int | None = None
        self.uc = self._u.Uc(self._u.UC_ARCH_X86, self._u.UC_MODE_32)
        self._load()

    def _load(self) -> None:
        u, uc, x = self._u, self.uc, self._x
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
        uc.reg_write(x.UC_X86_REG_GDTR, (0, GDT_BASE, len(_GDT) * 8 - 1, 0))
        uc.mem_map(STACK_BASE, STACK_SIZE, u.UC_PROT_READ | u.UC_PROT_WRITE)
        uc.reg_write(x.UC_X86_REG_CS, KERNEL_CS)
        uc.reg_write(x.UC_X86_REG_SS, KERNEL_DS)
        uc.hook_add(u.UC_HOOK_CODE, self._on_marker, begin=MARKER_BASE, end=MARKER_BASE + _PAGE - 1)
        for seg in self.image.segments:
            if seg.executable:
                uc.hook_add(u.UC_HOOK_CODE, self._on_iret, begin=seg.vaddr, end=seg.vaddr + seg.memsz - 1)

    def _on_marker(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        self._stopped_at = self._marker_at.get(address, f"<marker page {address:#x}>")
        uc.emu_stop()

    def _on_iret(self, uc: Any, address: int, size: int, user_data: Any) -> None:
        """Carry out an ``iretd`` to an outer privilege level in Python (SDM Vol. 2A IRET).

        Unicorn cannot return from CPL 3, so the return is decoded from the stack here
        and emulation stops; returns within ring 0 are left to unicorn.  Also records
        where a ``hlt`` ran (unicorn ends emulation after it).
        """
        if size != 1:
            return
        opcode = bytes(uc.mem_read(address, 1))
        if opcode == b"\xf4":  # hlt
            self._halt_at = address + 1
        if opcode != b"\xcf":
            return
        sp = uc.reg_read(self._x.UC_X86_REG_ESP)
        eip, cs, eflags = struct.unpack("<3I", bytes(uc.mem_read(sp, 12)))
        if cs & 3 == 0:
            return
        esp, ss = struct.unpack("<2I", bytes(uc.mem_read(sp + 12, 8)))
        new_cpl = cs & 3
        segments = {}
        for name, reg in self._seg.items():
            sel = uc.reg_read(reg) & 0xFFFF
            # A data segment the outer level may not use is nulled (SDM Vol. 2A IRET,
            # RETURN-TO-OUTER-PRIVILEGE-LEVEL).
            segments[name] = 0 if sel & ~3 and _descriptor_dpl(sel) < new_cpl else sel
        self._outer = CpuState32(
            gprs={n: uc.reg_read(r) for n, r in self._reg.items()},
            segments=segments,
            eip=eip,
            esp=esp,
            eflags=eflags | EFLAGS_FIXED,
            cs=cs & 0xFFFF,
            ss=ss & 0xFFFF,
        )
        self.last_outer_return = "iretd"
        uc.emu_stop()

    # -- memory ----------------------------------------------------------------
    def read(self, address: int, size: int) -> bytes:
        """Bytes of emulated memory."""
        return bytes(self.uc.mem_read(address, size))

    def read_u32(self, address: int) -> int:
        """A 4-byte little-endian word of emulated memory."""
        value: int = struct.unpack("<I", self.read(address, 4))[0]
        return value

    def write_u32(self, address: int, value: int) -> None:
        """Store a 4-byte word (e.g. a handler changing a frame slot)."""
        self.uc.mem_write(address, struct.pack("<I", value & _MASK32))

    def write(self, address: int, data: bytes) -> None:
        """Store bytes in emulated memory."""
        self.uc.mem_write(address, data)

    def stub_address(self, vector: int) -> int:
        """The stub address the vector table holds for ``vector`` (0 if none)."""
        return self.read_u32(self.table + 4 * vector)

    def symbol(self, name: str) -> int:
        """The address of a symbol of the linked image."""
        if name not in self.image.symbols:
            raise UsageError(f"the linked image has no symbol {name!r}")
        return self.image.symbols[name]

    # -- registers -------------------------------------------------------------
    def _set_gprs(self, regs: Mapping[str, int]) -> None:
        for name, value in regs.items():
            if name not in self._reg:
                raise UsageError(f"unknown register {name!r} (one of: {', '.join(GPRS32)})")
            self.uc.reg_write(self._reg[name], value & _MASK32)

    def _set_segments(self, segments: Mapping[str, int]) -> None:
        for name, sel in segments.items():
            if name not in self._seg:
                raise UsageError(f"unknown segment register {name!r} (one of: {', '.join(SEGMENTS)})")
            if sel not in KERNEL_LOADABLE:
                raise UsageError(f"{name} = {sel:#x} is not loadable in ring 0 (one of: {KERNEL_LOADABLE})")
            self.uc.reg_write(self._seg[name], sel)

    def state(self) -> CpuState32:
        """The current register state."""
        x, uc = self._x, self.uc
        return CpuState32(
            gprs={n: uc.reg_read(r) for n, r in self._reg.items()},
            segments={n: uc.reg_read(r) & 0xFFFF for n, r in self._seg.items()},
            eip=uc.reg_read(x.UC_X86_REG_EIP),
            esp=uc.reg_read(x.UC_X86_REG_ESP),
            eflags=uc.reg_read(x.UC_X86_REG_EFLAGS),
            cs=uc.reg_read(x.UC_X86_REG_CS) & 0xFFFF,
            ss=uc.reg_read(x.UC_X86_REG_SS) & 0xFFFF,
        )

    # -- running ---------------------------------------------------------------
    def run(self, begin: int, resume_at: int) -> Stop32:
        """Run from ``begin`` until a marker or ``resume_at`` (the interrupted EIP)."""
        self._stopped_at = None
        self._outer = None
        self._halt_at = None
        try:
            self.uc.emu_start(begin, resume_at, count=self.instruction_limit)
        except self._u.UcError as exc:
            eip = self.uc.reg_read(self._x.UC_X86_REG_EIP)
            raise EmulationError(f"CPU fault at {self.image.describe(eip)}: {exc}") from None
        st = self._outer if self._outer is not None else self.state()
        symbol = self._stopped_at
        if symbol is None and self._halt_at is not None and st.eip == self._halt_at:
            symbol = HALTED
        if symbol is None and st.eip != resume_at:
            raise EmulationError(
                f"no handler reached and no return within {self.instruction_limit} instructions "
                f"(stopped at {self.image.describe(st.eip)})"
            )
        if st.eip == resume_at:
            symbol = None
        in_stack = STACK_BASE <= st.esp <= self._frame_top <= STACK_BASE + STACK_SIZE
        stack = self.read(st.esp, self._frame_top - st.esp) if symbol is not None and in_stack else b""
        return Stop32(symbol, st, stack, self._frame_top)

    def interrupt(
        self,
        vector: int,
        *,
        regs: Mapping[str, int] | None = None,
        segments: Mapping[str, int] | None = None,
        eip: int | None = None,
        cs: int = KERNEL_CS,
        eflags: int = EFLAGS_FIXED | EFLAGS_IF,
        esp: int | None = None,
        ss: int | None = None,
        error_code: int | None = None,
        stack: int | None = None,
        interrupt_gate: bool = True,
    ) -> Stop32:
        """Deliver ``vector`` as a 32-bit CPU would (SDM Vol. 3A 6.12.1) and run its stub.

        From ring 0 (``cs`` & 3 == 0) EFLAGS, CS, EIP are pushed at ``esp`` (default
        :data:`DEFAULT_STACK_TOP`); from ring 3, SS, ESP, EFLAGS, CS, EIP are pushed
        on ``stack`` (the TSS's esp0; default :data:`DEFAULT_STACK_TOP`).  The error
        code goes below when not None.  ``regs`` and ``segments`` (ds, es, fs, gs;
        default: the data selector of the interrupted level) are what the
        interrupted code held.  Returns the stop at the first marker.
        """
        kernel = (cs & 3) == 0
        esp = DEFAULT_STACK_TOP if esp is None else esp
        ss = (KERNEL_DS if kernel else USER_DS) if ss is None else ss
        eip = MARKER_BASE if eip is None else eip
        if stack is None:
            stack = esp if kernel else DEFAULT_STACK_TOP
        if not STACK_BASE + 0x1000 <= stack <= STACK_BASE + STACK_SIZE:
            raise UsageError(f"stack {stack:#x} is outside the emulator's stack area")
        stub = self.stub_address(vector)
        if stub == 0:
            raise UsageError(f"vector {vector} has no stub in the vector table")
        pushed = [] if kernel else [ss, esp]
        pushed += [eflags | EFLAGS_FIXED, cs, eip]
        if error_code is not None:
            pushed.append(error_code)
        sp = stack
        for value in pushed:
            sp -= 4
            self.write_u32(sp, value)
        self._frame_top = stack
        default = KERNEL_DS if kernel else USER_DS
        self._set_segments({**dict.fromkeys(SEGMENTS, default), **(segments or {})})
        if regs:
            self._set_gprs(regs)
        live = (eflags | EFLAGS_FIXED) & ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM)
        if interrupt_gate:
            live &= ~EFLAGS_IF
        x = self._x
        self.uc.reg_write(x.UC_X86_REG_CS, KERNEL_CS)
        self.uc.reg_write(x.UC_X86_REG_SS, KERNEL_DS)
        self.uc.reg_write(x.UC_X86_REG_ESP, sp)
        self.uc.reg_write(x.UC_X86_REG_EFLAGS, live)
        self._resume_at = eip
        return self.run(stub, eip)

    def call(
        self,
        address: int,
        *,
        args: Sequence[int] = (),
        regs: Mapping[str, int] | None = None,
        esp: int = DEFAULT_STACK_TOP,
        eflags: int = EFLAGS_FIXED,
        frame_top: int | None = None,
        resume_at: int = MARKER_BASE,
        push_return: bool = True,
    ) -> Stop32:
        """Call ``address`` as a cdecl function: ``args`` pushed right to left below
        ``esp``, then a return address (:data:`isrgen.emulate.RETURNED`); runs until a
        marker or ``resume_at``.  ``frame_top`` bounds the stack captured at a stop.
        ``push_return=False`` jumps with ``esp`` as given (code entered by ``ret`` with
        the stack pointer at a frame: ``entry.exit_frame: stack``)."""
        sp = esp
        pushed = [*reversed(args), self.image.markers[RETURNED]] if push_return else list(reversed(args))
        for value in pushed:
            sp -= 4
            self.write_u32(sp, value)
        if regs:
            self._set_gprs(regs)
        x = self._x
        self.uc.reg_write(x.UC_X86_REG_CS, KERNEL_CS)
        self.uc.reg_write(x.UC_X86_REG_SS, KERNEL_DS)
        self.uc.reg_write(x.UC_X86_REG_ESP, sp)
        self.uc.reg_write(x.UC_X86_REG_EFLAGS, eflags | EFLAGS_FIXED)
        self._frame_top = esp if frame_top is None else frame_top
        self._resume_at = resume_at
        return self.run(address, resume_at)

    def return_from_handler(
        self,
        return_value: int | None = None,
        *,
        clobber: Mapping[str, int] | None = None,
        segments: Mapping[str, int] | None = None,
    ) -> Stop32:
        """Emulate the handler's ``ret`` and run on (normally through ``iretd``).

        ``return_value`` goes to ``eax`` (the frame to resume for ``returns: frame``
        handlers); ``clobber`` sets registers a cdecl function may change and
        ``segments`` segment registers the handler left changed, to prove the exit
        path restores them from the frame.
        """
        x = self._x
        sp = self.uc.reg_read(x.UC_X86_REG_ESP)
        target = self.read_u32(sp)
        if clobber:
            bad = sorted(set(clobber) - set(CALLER_SAVED32))
            if bad:
                raise UsageError(f"a cdecl handler must preserve {', '.join(bad)}; only eax, ecx, edx clobber")
            self._set_gprs(clobber)
        if segments:
            self._set_segments(segments)
        if return_value is not None:
            self._set_gprs({"eax": return_value})
        self.uc.reg_write(x.UC_X86_REG_ESP, sp + 4)
        flags = self.uc.reg_read(x.UC_X86_REG_EFLAGS)
        self.uc.reg_write(x.UC_X86_REG_EFLAGS, flags & ~EFLAGS_DF)  # the ABI: DF clear on return
        return self.run(target, self._resume_at)


__all__ = [
    "CALLER_SAVED32",
    "DEFAULT_STACK_TOP",
    "GPRS32",
    "INTERRUPTED",
    "SEGMENTS",
    "CpuState32",
    "Emulator32",
    "Stop32",
    "link32",
]
