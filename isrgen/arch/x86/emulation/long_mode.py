"""Run linked x86_64 interrupt glue under unicorn, as a CPU would deliver an interrupt.

The objects are linked with :func:`link_for_emulation` (see
:mod:`isrgen.proof.image`: undefined symbols become markers that stop
emulation) and loaded by :class:`Emulator` next to a stack, the marker page and
a GDT (``iretq`` needs one); the machinery both architectures share is in
:mod:`isrgen.arch.x86.emulation.cpu`.  What is x86_64 here: long mode and its GDT, the
16-byte aligned five-word CPU frame, SYSCALL, MSR-based GS bases, SSE/XSAVE
state, and ``iretq``/``sysretq`` to ring 3 carried out in Python.

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

import struct
from collections.abc import Mapping
from typing import Any

import attrs

from isrgen.arch.x86.emulation import cpu as _cpu
from isrgen.arch.x86.emulation.cpu import (
    DEFAULT_STACK_TOP,
    GDT_BASE,
    HALTED,
    KERNEL_CS,
    KERNEL_DATA,
    STACK_BASE,
    STACK_SIZE,
    USER_CS,
    USER_DATA,
    EmulationError,
    EmulatorBase,
    StopBase,
    require_unicorn,
)
from isrgen.diagnostics import UsageError
from isrgen.proof.image import (
    INTERRUPTED,
    MARKER_BASE,
    MARKER_SLOT,
    PAGE,
    RETURNED,
    LinkedImage,
    Segment,
    link_for_emulation,
    read_image,
)

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
KERNEL_SS = KERNEL_DATA
USER_SS = USER_DATA

# RFLAGS[31:0] is EFLAGS (SDM Vol. 1 3.4.3).
RFLAGS_FIXED = _cpu.EFLAGS_FIXED
RFLAGS_TF = _cpu.EFLAGS_TF
RFLAGS_IF = _cpu.EFLAGS_IF
RFLAGS_DF = _cpu.EFLAGS_DF
RFLAGS_NT = _cpu.EFLAGS_NT
RFLAGS_RF = _cpu.EFLAGS_RF
RFLAGS_VM = _cpu.EFLAGS_VM

MSR_FS_BASE = 0xC0000100
MSR_GS_BASE = 0xC0000101
MSR_KERNEL_GS_BASE = 0xC0000102
#: what RDPID and RDTSCP return (SDM Vol. 4 table 2-2)
MSR_TSC_AUX = 0xC0000103
_PHYSICAL_MASK = (1 << 52) - 1
#: CR4.FSGSBASE: RDGSBASE/WRGSBASE allowed (SDM Vol. 3A 2.5)
CR4_FSGSBASE = 1 << 16

#: where ld places the image (the default for x86_64 executables)
IMAGE_BASE = 0x400000

# Flat 64-bit descriptors (SDM Vol. 3A 3.4.5, 5.2.1).  The accessed bit is preset
# and the GDT page is writable, so loading a selector never faults on the write back.
_GDT = (
    0,
    0x00AF9B000000FFFF,  # 0x08 kernel code, L=1, DPL 0
    0x00CF93000000FFFF,  # 0x10 kernel data, DPL 0
    0x00CFF3000000FFFF,  # 0x18 user data, DPL 3
    0x00AFFB000000FFFF,  # 0x20 user code, L=1, DPL 3
)


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
class Stop(StopBase[CpuState]):
    """Where emulation stopped: at a marker (a handler), or back in the interrupted code
    (``iretq`` or ``sysretq`` completed)."""

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
        return self._word(self.state.rsp, address, 8)


class Emulator(EmulatorBase[CpuState, Stop]):
    """One unicorn CPU in long mode with a linked image loaded; deliver interrupts to it one by one."""

    WORD = 8
    GPRS = GPRS
    CALLER_SAVED = CALLER_SAVED
    CLOBBER_RULE = "a SysV handler must preserve {}; only caller-saved registers clobber"
    GDT = _GDT

    def __init__(
        self, image: LinkedImage, *, table_symbol: str, instruction_limit: int = 100_000, table_width: int = 8
    ):
        """``table_symbol`` names the vector table (256 stub addresses, ``table_width`` bytes
        each: 4 for a kernel linked below 4 GiB) in ``image``."""
        super().__init__(image, table_symbol=table_symbol, instruction_limit=instruction_limit, table_width=table_width)
        self._ring3: tuple[int, int, int, int, int] | None = None
        #: the last return instruction reached ("iretq" or "sysretq")
        self.last_return: str | None = None
        self._scratch_mapped = False
        self._gdt_limit = len(self.GDT) * 8 - 1
        self.uc.hook_add(self._u.UC_HOOK_INSN_INVALID, self._on_invalid)

    read_u64 = EmulatorBase.read_word
    write_u64 = EmulatorBase.write_word

    # -- returns to ring 3 -----------------------------------------------------
    def reset_cpu(self) -> None:
        """Forget the previous run's return; the CPU is always in ring 0 (see :meth:`_on_return`)."""
        self._ring3 = None

    def _on_return(self, uc: Any, code: bytes) -> None:
        """Carry out ``iretq``/``sysretq`` to ring 3 in Python instead of in unicorn.

        Once unicorn has dropped to CPL 3 it cannot be brought back (writing CS does
        not change its CPL, and register writes made at CPL 3 are not all kept), so a
        return to ring 3 is decoded here from the stack exactly as the CPU defines it
        (SDM Vol. 2A IRET, Vol. 2B SYSRET) and emulation stops there.
        """
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

    def _on_invalid(self, uc: Any, user_data: Any) -> bool:
        """Carry out RDPID, which unicorn 2.1.4 does not decode, as the SDM defines it
        (Vol. 2B RDPID: F3 [REX] 0F C7 /7 with a register operand; the register gets
        IA32_TSC_AUX).  Any other invalid instruction stays a fault."""
        x = self._x
        rip = uc.reg_read(x.UC_X86_REG_RIP)
        code = bytes(uc.mem_read(rip, 5))
        rex = code[1] if 0x40 <= code[1] <= 0x4F else 0
        body = code[2:] if rex else code[1:]
        if code[0] != 0xF3 or body[:2] != b"\x0f\xc7" or body[2] >> 3 != 0xF8 >> 3:
            return False
        reg = (body[2] & 7) | (8 if rex & 1 else 0)
        uc.reg_write(self._reg[GPRS[reg]], uc.msr_read(MSR_TSC_AUX))
        uc.reg_write(x.UC_X86_REG_RIP, rip + (5 if rex else 4))
        return True

    def enable_fsgsbase(self) -> None:
        """Set CR4.FSGSBASE (bit 16), which RDFSBASE/WRFSBASE and RDGSBASE/WRGSBASE need
        (SDM Vol. 2C), as a kernel that lets ring 3 use WRGSBASE does."""
        x = self._x
        self.uc.reg_write(x.UC_X86_REG_CR4, self.uc.reg_read(x.UC_X86_REG_CR4) | CR4_FSGSBASE)

    def set_cpu_number(self, value: int, selector: int | None = None) -> None:
        """Publish ``value`` ((node << 12) | cpu) where RDPID/RDTSCP read it (IA32_TSC_AUX)
        and, with ``selector``, as the byte-granular limit of a DPL-3 read-only data
        descriptor at that GDT selector, where LSL reads it (Linux's CPUNODE segment;
        SDM Vol. 3A 3.4.5)."""
        self.uc.msr_write(MSR_TSC_AUX, value)
        if selector is None:
            return
        limit = value & 0xFFFFF
        # limit 15:0, type 5 (read-only, expand-down, accessed), S, DPL 3, P; limit 19:16
        descriptor = (limit & 0xFFFF) | (0xF5 << 40) | ((limit >> 16) << 48)
        index = selector >> 3
        self.write(GDT_BASE + 8 * index, struct.pack("<Q", descriptor))
        self._gdt_limit = max(self._gdt_limit, 8 * index + 7)
        self.uc.reg_write(self._x.UC_X86_REG_GDTR, (0, GDT_BASE, self._gdt_limit, 0))

    @staticmethod
    def physical(address: int) -> int:
        """Where unicorn puts a linear address: without paging it keeps the low 52 bits (the
        physical address width), so a high-half address such as a kernel GS base lands there.
        The ``read``/``write`` methods take these addresses."""
        return address & _PHYSICAL_MASK

    def map_data(self, address: int, size: int) -> None:
        """Map zeroed read-write pages covering linear ``[address, address + size)`` (a
        kernel's per-CPU block) at :meth:`physical`; pages already mapped stay as they are."""
        address = self.physical(address)
        mapped = {(begin, end) for begin, end, _ in self.uc.mem_regions()}
        for page in range(address & ~(PAGE - 1), address + size, PAGE):
            if not any(begin <= page <= end for begin, end in mapped):
                self.uc.mem_map(page, PAGE, self._u.UC_PROT_READ | self._u.UC_PROT_WRITE)
                mapped.add((page, page + PAGE - 1))

    def _final_state(self) -> tuple[CpuState, int, int]:
        st = self.state()
        if self._ring3 is not None:
            rip, cs, rflags, rsp, ss = self._ring3
            self._ring3 = None
            st = attrs.evolve(st, rip=rip, cs=cs, rflags=rflags, rsp=rsp, ss=ss)
        return st, st.rip, st.rsp

    def _stop(self, symbol: str | None, state: CpuState, stack: bytes, frame_top: int) -> Stop:
        return Stop(symbol, state, stack, frame_top)

    def _scratch_page(self) -> int:
        scratch = MARKER_BASE + PAGE
        if not self._scratch_mapped:
            self.uc.mem_map(scratch, PAGE, self._u.UC_PROT_READ | self._u.UC_PROT_EXEC)
            self._scratch_mapped = True
        return scratch

    def make_writable(self, address: int) -> None:
        """Let the kernel's code write the 8-byte word at ``address`` (a fixed per-CPU
        slot): its page keeps its other permissions, or is mapped read-write."""
        page = address & ~(PAGE - 1)
        for begin, end, perms in self.uc.mem_regions():
            if begin <= address <= end:
                self.uc.mem_protect(page, PAGE, perms | self._u.UC_PROT_WRITE)
                return
        self.uc.mem_map(page, PAGE, self._u.UC_PROT_READ | self._u.UC_PROT_WRITE)

    # -- registers -------------------------------------------------------------
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
        it = self._interrupted(vector, cs=cs, ip=rip, sp=rsp, ss=ss, stack=stack)
        self.reset_cpu()
        top = it.stack & ~0xF
        pushed = [it.ss, it.sp, rflags | RFLAGS_FIXED, cs, it.ip]
        if error_code is not None:
            pushed.append(error_code)
        sp = self._push(top, pushed)
        if regs:
            self._set_gprs(regs)
        if gs_base is not None:
            self.uc.msr_write(MSR_GS_BASE, gs_base)
        if kernel_gs_base is not None:
            self.uc.msr_write(MSR_KERNEL_GS_BASE, kernel_gs_base)
        flags = self._gate_flags(rflags, interrupt_gate)
        return self._jump(it.stub, sp=sp, flags=flags, frame_top=top, resume_at=it.ip)

    def set_gs_bases(self, *, gs_base: int, kernel_gs_base: int) -> None:
        """Load IA32_GS_BASE and IA32_KERNEL_GS_BASE (what swapgs exchanges)."""
        self.uc.msr_write(MSR_GS_BASE, gs_base)
        self.uc.msr_write(MSR_KERNEL_GS_BASE, kernel_gs_base)

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
        sp = self._push(rsp, [self.image.markers[RETURNED]] if push_return else [])
        top = rsp if frame_top is None else frame_top
        return self._jump(address, sp=sp, flags=rflags | RFLAGS_FIXED, frame_top=top, resume_at=resume_at, regs=regs)

    # -- entry paths beyond interrupts ------------------------------------
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
        uc = self.uc
        # EFER.SCE on; STAR[63:48] + 16 | 3 is the user CS sysretq loads, + 8 | 3 its SS.
        uc.msr_write(0xC0000080, uc.msr_read(0xC0000080) | 1)
        uc.msr_write(0xC0000081, ((user_cs - 16) & ~3) << 48 | KERNEL_CS << 32)
        if regs:
            self._set_gprs(regs)
        self._set_gprs({"rcx": user_rip, "r11": user_rflags | RFLAGS_FIXED})
        uc.msr_write(MSR_GS_BASE, user_gs_base)
        uc.msr_write(MSR_KERNEL_GS_BASE, kernel_gs_base)
        entry = self.image.symbols[entry_symbol]
        # FMASK clears IF, DF, TF
        return self._jump(entry, sp=user_rsp, flags=RFLAGS_FIXED, frame_top=kernel_stack_top, resume_at=user_rip)


__all__ = [
    "CALLER_SAVED",
    "DEFAULT_STACK_TOP",
    "GDT_BASE",
    "GPRS",
    "HALTED",
    "IMAGE_BASE",
    "INTERRUPTED",
    "KERNEL_CS",
    "KERNEL_SS",
    "MARKER_BASE",
    "MARKER_SLOT",
    "MSR_FS_BASE",
    "MSR_GS_BASE",
    "MSR_KERNEL_GS_BASE",
    "MSR_TSC_AUX",
    "RETURNED",
    "RFLAGS_DF",
    "RFLAGS_FIXED",
    "RFLAGS_IF",
    "RFLAGS_NT",
    "RFLAGS_RF",
    "RFLAGS_TF",
    "RFLAGS_VM",
    "STACK_BASE",
    "STACK_SIZE",
    "USER_CS",
    "USER_SS",
    "CpuState",
    "EmulationError",
    "Emulator",
    "LinkedImage",
    "Segment",
    "Stop",
    "link_for_emulation",
    "read_image",
    "require_unicorn",
]
