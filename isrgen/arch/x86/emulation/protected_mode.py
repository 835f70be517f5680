"""Run linked i386 interrupt glue under unicorn in 32-bit protected mode.

The 32-bit counterpart of :mod:`isrgen.arch.x86.emulation.long_mode`: objects are linked with
``ld -m elf_i386`` (:func:`link32`), undefined symbols become markers that stop
emulation, and one :class:`Emulator32` delivers any number of interrupts.

What differs from x86_64 (Intel SDM Vol. 3A 6.12.1, figure 6-4): the CPU does
not align the stack, pushes only EFLAGS, CS, EIP (and the error code) when the
privilege level does not change, and SS, ESP before them when it does (on the
stack the TSS names: ``stack=``).  Segment registers are real: the emulator
loads a GDT with flat 32-bit code and data descriptors, so ``push ds`` /
``pop ds`` / ``mov ds, ax`` check their selectors exactly as a CPU would.

Unicorn cannot be brought back from CPL 3, so an ``iretd`` to ring 3 is carried
out in Python (:meth:`Emulator32._on_return`), including the rule that a return to
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

from isrgen.arch.x86.emulation.cpu import (
    DEFAULT_STACK_TOP,
    EFLAGS_DF,
    EFLAGS_FIXED,
    EFLAGS_IF,
    EFLAGS_NT,
    EFLAGS_RF,
    EFLAGS_TF,
    EFLAGS_VM,
    KERNEL_CS,
    KERNEL_DATA,
    STACK_BASE,
    USER_CS,
    USER_DATA,
    EmulatorBase,
    StopBase,
)
from isrgen.diagnostics import UsageError
from isrgen.proof.image import INTERRUPTED, MARKER_BASE, RETURNED, LinkedImage, link_for_emulation

#: the 7 general-purpose registers besides esp, in encoding order
GPRS32: tuple[str, ...] = ("eax", "ecx", "edx", "ebx", "ebp", "esi", "edi")
#: cdecl: registers a called function may change (the rest it must preserve)
CALLER_SAVED32: tuple[str, ...] = ("eax", "ecx", "edx")
#: the data segment registers, in the order the classic frame saves them
SEGMENTS: tuple[str, ...] = ("ds", "es", "fs", "gs")

#: selectors of the emulator's GDT (KERNEL_CS and USER_CS as in :mod:`isrgen.arch.x86.emulation.cpu`)
KERNEL_DS = KERNEL_DATA
USER_DS = USER_DATA
#: a second kernel data segment (DPL 0), like a per-CPU segment in fs/gs
KERNEL_PERCPU = 0x28
#: a second user data segment (DPL 3), like a TLS segment in gs
USER_TLS = 0x33

#: selectors a data segment register may hold in ring 0 (null selectors included)
KERNEL_LOADABLE: tuple[int, ...] = (0, 3, KERNEL_DS, USER_DS & ~3, USER_DS, KERNEL_PERCPU, USER_TLS)
#: selectors a data segment register may hold in ring 3
USER_LOADABLE: tuple[int, ...] = (0, 3, USER_DS, USER_TLS)

# Flat 32-bit descriptors, G=1 D=1 (SDM Vol. 3A 3.4.5).  The accessed bit is preset
# so loading a selector never needs to write the descriptor back.
_GDT: tuple[int, ...] = (
    0,
    0x00CF9B000000FFFF,  # 0x08 kernel code, DPL 0, execute/read
    0x00CF93000000FFFF,  # 0x10 kernel data, DPL 0
    0x00CFF3000000FFFF,  # 0x18 user data, DPL 3
    0x00CFFB000000FFFF,  # 0x20 user code, DPL 3, execute/read
    0x00CF93000000FFFF,  # 0x28 kernel per-CPU data, DPL 0
    0x00CFF3000000FFFF,  # 0x30 user TLS data, DPL 3
)


def _descriptor_dpl(selector: int, gdt: tuple[int, ...] = _GDT) -> int:
    return (gdt[selector >> 3] >> 45) & 3


#: the GDT is one page: 512 descriptors, selectors up to 0xFFF
_GDT_ENTRIES = 512
#: a flat 32-bit data descriptor with DPL 0; the DPL sits in bits 45-46 (SDM Vol. 3A 3.4.5)
_FLAT_DATA = 0x00CF93000000FFFF


def gdt_with(selectors: Sequence[int]) -> tuple[int, ...]:
    """The emulator's GDT plus a flat data descriptor for each of ``selectors`` it lacks, with
    the selector's RPL as DPL (as a kernel's GDT has for the data selector it loads on entry:
    Linux i386 loads 0x7b, a DPL 3 descriptor).  Raises :class:`ValueError` for a selector
    beyond the emulator's one-page GDT or one that names a code descriptor."""
    gdt = list(_GDT)
    for sel in selectors:
        index = sel >> 3
        if sel & 4 or index >= _GDT_ENTRIES:
            raise ValueError(f"selector {sel:#x} is outside the emulated GDT (index < {_GDT_ENTRIES}, TI = 0)")
        if index == 0:
            continue  # the null selector
        gdt += [0] * (index + 1 - len(gdt))
        if gdt[index] == 0:
            gdt[index] = _FLAT_DATA | (sel & 3) << 45
        elif (gdt[index] >> 43) & 1:
            raise ValueError(f"selector {sel:#x} names a code descriptor in the emulated GDT")
    return tuple(gdt)


def emulator_with_selectors(selectors: Sequence[int]) -> type[Emulator32]:
    """An :class:`Emulator32` whose GDT also holds a data descriptor for each of ``selectors``."""
    table = gdt_with(selectors)

    class _SpecEmulator32(Emulator32):
        GDT = table

    return _SpecEmulator32


def link32(
    objects: Sequence[str | os.PathLike[str]],
    workdir: str | os.PathLike[str],
    *,
    stop_symbols: Sequence[str] = (),
    name: str = "glue32.elf",
) -> LinkedImage:
    """Link 32-bit ``objects`` with ``ld -m elf_i386`` (see :func:`.long_mode.link_for_emulation`)."""
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
class Stop32(StopBase[CpuState32]):
    """Where emulation stopped: at a marker (a handler), or back in the interrupted code
    (``iretd`` completed)."""

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
        return self._word(self.state.esp, address, 4)


class Emulator32(EmulatorBase[CpuState32, Stop32]):
    """One unicorn CPU in 32-bit protected mode with a linked image loaded."""

    WORD = 4
    GPRS = GPRS32
    CALLER_SAVED = CALLER_SAVED32
    CLOBBER_RULE = "a cdecl handler must preserve {}; only eax, ecx, edx clobber"
    GDT = _GDT

    def __init__(self, image: LinkedImage, *, table_symbol: str, instruction_limit: int = 100_000):
        """``table_symbol`` names the vector table (256 4-byte stub addresses) in ``image``.

        A :class:`Stop32` whose symbol is :data:`isrgen.arch.x86.emulation.long_mode.HALTED` ended at a ``hlt``."""
        super().__init__(image, table_symbol=table_symbol, instruction_limit=instruction_limit, table_width=4)
        self._seg = {n: getattr(self._x, f"UC_X86_REG_{n.upper()}") for n in SEGMENTS}
        self._outer: CpuState32 | None = None
        #: the last return instruction carried out in Python (``iretd`` to ring 3), if any
        self.last_outer_return: str | None = None

    read_u32 = EmulatorBase.read_word
    write_u32 = EmulatorBase.write_word

    # -- returns to ring 3 -----------------------------------------------------
    def reset_cpu(self) -> None:
        """Forget the previous run's return to ring 3."""
        self._outer = None

    def _on_return(self, uc: Any, code: bytes) -> None:
        """Carry out an ``iretd`` to an outer privilege level in Python (SDM Vol. 2A IRET).

        Unicorn cannot return from CPL 3, so the return is decoded from the stack here
        and emulation stops; returns within ring 0 are left to unicorn.
        """
        if code != b"\xcf":
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
            segments[name] = 0 if sel & ~3 and _descriptor_dpl(sel, self.GDT) < new_cpl else sel
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

    def _final_state(self) -> tuple[CpuState32, int, int]:
        st = self._outer if self._outer is not None else self.state()
        return st, st.eip, st.esp

    def _stop(self, symbol: str | None, state: CpuState32, stack: bytes, frame_top: int) -> Stop32:
        return Stop32(symbol, state, stack, frame_top)

    # -- registers -------------------------------------------------------------
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
        it = self._interrupted(vector, cs=cs, ip=eip, sp=esp, ss=ss, stack=stack)
        pushed = [] if it.kernel else [it.ss, it.sp]
        pushed += [eflags | EFLAGS_FIXED, cs, it.ip]
        if error_code is not None:
            pushed.append(error_code)
        sp = self._push(it.stack, pushed)
        default = KERNEL_DS if it.kernel else USER_DS
        self._set_segments({**dict.fromkeys(SEGMENTS, default), **(segments or {})})
        if regs:
            self._set_gprs(regs)
        self._enter_kernel()
        flags = self._gate_flags(eflags, interrupt_gate)
        return self._jump(it.stub, sp=sp, flags=flags, frame_top=it.stack, resume_at=it.ip)

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
        ``esp``, then a return address (:data:`isrgen.arch.x86.emulation.long_mode.RETURNED`); runs until a
        marker or ``resume_at``.  ``frame_top`` bounds the stack captured at a stop.
        ``push_return=False`` jumps with ``esp`` as given (code entered by ``ret`` with
        the stack pointer at a frame: ``entry.exit_frame: stack``)."""
        pushed = [*reversed(args), self.image.markers[RETURNED]] if push_return else list(reversed(args))
        sp = self._push(esp, pushed)
        if regs:
            self._set_gprs(regs)
        self._enter_kernel()
        top = esp if frame_top is None else frame_top
        return self._jump(address, sp=sp, flags=eflags | EFLAGS_FIXED, frame_top=top, resume_at=resume_at)

    def return_from_handler(
        self,
        return_value: int | None = None,
        *,
        clobber: Mapping[str, int] | None = None,
        interrupts_enabled: bool = False,
        segments: Mapping[str, int] | None = None,
    ) -> Stop32:
        """Emulate the handler's ``ret`` and run on (normally through ``iretd``).

        ``return_value`` goes to ``eax`` (the frame to resume for ``returns: frame``
        handlers); ``clobber`` sets registers a cdecl function may change and
        ``segments`` segment registers the handler left changed, to prove the exit
        path restores them from the frame.
        """
        self._check_clobber(clobber)
        if segments:
            self._set_segments(segments)
        return super().return_from_handler(return_value, clobber=clobber, interrupts_enabled=interrupts_enabled)


__all__ = [
    "CALLER_SAVED32",
    "DEFAULT_STACK_TOP",
    "EFLAGS_DF",
    "EFLAGS_FIXED",
    "EFLAGS_IF",
    "EFLAGS_NT",
    "EFLAGS_RF",
    "EFLAGS_TF",
    "EFLAGS_VM",
    "GPRS32",
    "INTERRUPTED",
    "KERNEL_CS",
    "KERNEL_DS",
    "KERNEL_LOADABLE",
    "KERNEL_PERCPU",
    "MARKER_BASE",
    "RETURNED",
    "SEGMENTS",
    "STACK_BASE",
    "USER_CS",
    "USER_DS",
    "USER_LOADABLE",
    "USER_TLS",
    "CpuState32",
    "Emulator32",
    "Stop32",
    "emulator_with_selectors",
    "gdt_with",
    "link32",
]
