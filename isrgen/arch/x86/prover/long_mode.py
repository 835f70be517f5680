"""Property 3 of ``isrgen prove``: the machine code does what the model says.

Every vector's stub runs under unicorn from a simulated CPU interrupt push with
random register values, from kernel and from user mode (the interrupted stack
16-byte aligned and not).  At the handler each register must sit at its model
offset, the vector and the error code (the CPU's or the synthetic one) in their
slots, the CPU frame right above, ``rdi`` pointing at the frame, RSP 16-byte
aligned at the call and DF clear.  The handler then overwrites every saved
register slot and clobbers the caller-saved registers; after ``iretq`` each
register must hold its slot's new value (an unsaved callee-saved register its
old one) and RIP/RSP/RFLAGS/CS/SS the interrupted context.  The exit routine is
also called on a fabricated frame.

Each entry option the model enables is checked by its effect, not by the
instructions that produce it:

- ``entry.swapgs``: the kernel GS base is live at the handler exactly when it was
  not before the interrupt, and the interrupted GS base is back after the return;
  an ``lfence`` runs after the swapgs decision (the first conditional branch)
  before the handler; paranoid vectors also decide right when the user GS base is
  live in ring 0 (an NMI before the entry's swapgs).
- ``paranoid_gs`` (``rdpid``, ``rdtscp``, ``lsl``): with CR4.FSGSBASE set, CPU
  ``CPU_NUMBER`` on node ``CPU_NODE`` published in IA32_TSC_AUX (and for ``lsl`` as a
  GDT limit) and the per-CPU offset table written at its symbol, every paranoid vector
  arrives with a negative user GS base (ring 3, and ring 0 before a swapgs) and with
  the kernel's: the handler must see the table's entry for this CPU as GS base, no
  conditional branch may run before the ``wrgsbase``, and both GS base MSRs must hold
  the interrupted values after ``iretq``.
- ``irq_stack``: the handler runs at the top of the IRQ stack with the counter at 1;
  delivered while a handler already runs on it (counter 1), it stays below the
  interrupted one; the counter is back after ``iretq``.
- ``entry.clear_registers``: no interrupted value of a saved register is left in
  any register at the call.
- ``entry.endbr64``: every stub and exported entry point starts with ENDBR64.
- ``stubs.style: dense``: stubs sit at the fixed stride.
- ``kernel_handler`` / ``entry.kernel_fault: halt``: ring-0 interruptions reach the
  kernel handler, and with ``halt`` the CPU ends in ``hlt`` with every register
  zero and interrupts off (the halt routine is also called directly).
- SIMD policies: the frame's ``simd_area`` slot is 0 or an aligned area holding the
  interrupted XMM registers, and the XMM registers are restored on return.
- ``entry.exit_args``: the exit routine loads CR3 from its ``cr3`` argument
  when it is non-zero, and never otherwise.
- ``syscall:``: SYSCALL reaches the handler on the kernel stack and GS with the
  frame the model describes; ``sysretq`` returns the restored registers, zeroes
  the other saved ones and restores the user GS base; a non-canonical RIP leaves
  through ``iretq``.

The run order and the checks x86_64 and i386 share are in
:mod:`isrgen.arch.x86.prover.base`.
"""

from __future__ import annotations

from functools import cached_property

from isrgen.arch.x86.emulation import long_mode as emulate
from isrgen.arch.x86.gates import gate_type
from isrgen.arch.x86.model import GateType, SimdPolicy, Syscall, X86Vector
from isrgen.arch.x86.prover.base import (
    INTERRUPTED_FLAGS,
    ExitCall,
    MachineProverBase,
    MachineTally,
    expected_error_slot,
    if_clear_at_handler,
)
from isrgen.model.layout import Field, FieldKind
from isrgen.model.spec import KernelFault, ReturnModel

_MASK = 2**64 - 1
_USER_RSP = 0x7FFF_FFFF_E000
#: GS bases: a user one (low half) and a kernel one (high half, what paranoid entries test)
USER_GS = 0x0000_1111_2222_0000
KERNEL_GS = 0xFFFF_8000_0000_1000
#: with CR4.FSGSBASE ring 3 may load any canonical GS base with wrgsbase, a negative one too
NEGATIVE_USER_GS = 0xFFFF_C0DE_0000_0000
#: the CPU the paranoid entries run on, and the NUMA node above it: (node << 12) | cpu is what
#: IA32_TSC_AUX and the CPUNODE segment limit hold (the entry must mask the node away)
CPU_NUMBER = 5
CPU_NODE = 1
#: the per-CPU offset table: CPU_NUMBER's entry is KERNEL_GS, every other one a wrong base
TABLE_CPUS = 8
#: the IRQ stack's top (16-byte aligned, inside the emulator's stack area, below the frames)
IRQ_STACK_TOP = emulate.STACK_BASE + 0xA000
IRQ_STACK_SIZE = 0x2000
_ENDBR64 = b"\xf3\x0f\x1e\xfa"
_LFENCE = b"\x0f\xae\xe8"
#: the first four bytes of RDGSBASE/WRGSBASE with a 64-bit register (SDM Vol. 2B/2C)
_FSGSBASE = b"\xf3\x48\x0f\xae"
#: FXSAVE/XSAVE legacy area: XMM0 at byte 160 (SDM Vol. 1 10.5.1, table 10-2)
_XMM0_OFFSET = 160


def _is_jcc(code: bytes) -> bool:
    return 0x70 <= code[0] <= 0x7F or (code[0] == 0x0F and len(code) > 1 and 0x80 <= code[1] <= 0x8F)


class MachineProver(MachineProverBase[emulate.Emulator, emulate.Stop]):
    """Runs property 3 on one linked x86_64 image; failures go to ``fail``."""

    RETURN_INSTRUCTION = "iretq"
    REGISTER_BITS = 48

    @cached_property
    def simd(self) -> SimdPolicy:
        """The SIMD policy of the vectors that save SIMD state (one per spec), else NONE."""
        simd = {v.simd for v in self.spec.vectors} - {SimdPolicy.NONE}
        return simd.pop() if simd else SimdPolicy.NONE

    @cached_property
    def saves_xmm(self) -> bool:
        """Whether the SIMD save covers the XMM registers (fxsave, or xsave with SSE in the mask)."""
        return self.simd is SimdPolicy.FXSAVE or (
            self.simd is SimdPolicy.XSAVE and bool(self.spec.simd.xsave_mask & 0x2)
        )

    @cached_property
    def fsgsbase(self) -> bool:
        """Whether paranoid entries switch the GS base with rdgsbase/wrgsbase: the kernel
        then enables CR4.FSGSBASE, and ring 3 may load a negative GS base."""
        return self.spec.paranoid_gs.reads_gs_base and any(v.paranoid for v in self.spec.vectors)

    @property
    def user_gs(self) -> int:
        """The GS base of interrupted user code."""
        return NEGATIVE_USER_GS if self.fsgsbase else USER_GS

    def _prepare(self) -> None:
        if self.simd is not SimdPolicy.NONE:
            # a kernel enables what its save instruction needs (x87, SSE, AVX components)
            self.emu.enable_simd(0x3 | (self.spec.simd.xsave_mask & 0x4))
        if self.spec.entry.fsgsbase:
            self.emu.enable_fsgsbase()
        if self.fsgsbase:
            self._prepare_percpu_table()
        irq = self.spec.irq_stack
        if irq is not None:
            for offset in (irq.top_gs, irq.depth_gs):
                self.emu.map_data(KERNEL_GS + offset, 8)
            self.emu.write_u64(self.emu.physical(KERNEL_GS + irq.top_gs), IRQ_STACK_TOP)
            self.emu.write_u64(self.emu.physical(KERNEL_GS + irq.depth_gs), 0)

    def _prepare_percpu_table(self) -> None:
        """CR4.FSGSBASE, this CPU's number where the spec's method reads it, and the
        per-CPU offset table at its symbol (a marker address the glue only reads)."""
        pg = self.spec.paranoid_gs
        self.emu.enable_fsgsbase()
        selector = pg.cpunode_selector if pg.method.value == "lsl" else None
        self.emu.set_cpu_number(CPU_NODE << 12 | CPU_NUMBER, selector)
        table = self.emu.image.symbols.get(pg.offsets)
        if table is None:
            self._check(False, f"the per-CPU offset table {pg.offsets} is not in the image")
            return
        for cpu in range(TABLE_CPUS):
            base = KERNEL_GS if cpu == CPU_NUMBER else KERNEL_GS + (cpu + 1) * 0x1_0000_0000
            self.emu.write_u64(table + 8 * cpu, base)

    def _other_entries(self) -> bool:
        """Paranoid vectors with the user GS base live in ring 0, then the syscall entry."""
        for v in [v for v in self.spec.vectors if v.paranoid][:8]:
            self.interrupt(v, True, user_gs_live=True)
        if self.failures >= self.max_failures:
            return False
        for v in [v for v in self.spec.vectors if v.irq_stack][:4]:
            self.interrupt(v, True, on_irq_stack=True)
        if self.failures >= self.max_failures:
            return False
        if self.spec.syscall is not None:
            self.syscall()
        return True

    # -- what can be read without running -----------------------------------------
    def static_checks(self) -> None:
        """ENDBR64 at every indirect-branch target, dense stubs at their stride."""
        spec = self.spec
        if spec.entry.endbr64:
            names = [v.stub_symbol for v in spec.vectors] + [spec.symbols.exit, spec.entry.halt]
            if spec.syscall is not None:
                names.append(spec.syscall.entry)
            for name in names:
                address = self._symbol(name)
                if address is None:
                    continue
                first = self.emu.read(address, 4)
                if not self._check(first == _ENDBR64, f"endbr64: {name} starts with {first.hex()}, not ENDBR64"):
                    break
                self.tally.saw("endbr64")
        if self._dense_stubs() is not None:
            self.tally.saw("dense stride")

    # -- interrupts ------------------------------------------------------------
    def _flags(self, stop: emulate.Stop) -> int:
        return stop.state.rflags

    def _slot(self, stop: emulate.Stop, frame: int, f: Field) -> int:
        return stop.u64(frame + f.offset)

    def _set_xmm(self) -> list[int]:
        values = [self.rng.getrandbits(128) for _ in range(16)]
        for i, value in enumerate(values):
            self.emu.set_xmm(i, value)
        return values

    def interrupt(self, v: X86Vector, kernel: bool, *, user_gs_live: bool = False, on_irq_stack: bool = False) -> bool:
        """One delivery of ``v``; False after the first mismatch.  ``user_gs_live``:
        a ring-0 interruption that arrives while the user GS base is live;
        ``on_irq_stack``: one that interrupts a handler running on the IRQ stack."""
        regs = self._regs()
        error = self.rng.getrandbits(32) if v.error_code else None
        rsp = emulate.DEFAULT_STACK_TOP - 8 * self.rng.randrange(4) if kernel else _USER_RSP
        depth = 0
        if on_irq_stack:
            rsp, depth = IRQ_STACK_TOP - 0x300 - 8 * self.rng.randrange(4), 1
        if v.irq_stack and self.spec.irq_stack is not None:
            self.emu.write_u64(self.emu.physical(KERNEL_GS + self.spec.irq_stack.depth_gs), depth)
        cs = emulate.KERNEL_CS if kernel else emulate.USER_CS
        gs_user = not kernel or user_gs_live
        gs, kgs = (self.user_gs, KERNEL_GS) if gs_user else (KERNEL_GS, self.user_gs)
        ring = "ring 0" if kernel else "ring 3"
        where = f"vector {v.number} from {ring}" + (" with the user GS base live" if user_gs_live else "")
        where += " on the IRQ stack" if on_irq_stack else ""
        xmm = self._set_xmm() if self.simd is not SimdPolicy.NONE else []
        # ring-0 code may run with interrupts disabled: a trap gate under swapgs must then not enable them
        interrupted_if = not (kernel and self.spec.reenables_interrupts(v))
        rflags = INTERRUPTED_FLAGS if interrupted_if else INTERRUPTED_FLAGS & ~emulate.RFLAGS_IF
        where += "" if interrupted_if else " with IF clear"
        self.emu.trace = [] if self.spec.entry.swapgs else None
        self.emu.swapgs_with_if = [] if self.spec.entry.swapgs else None
        fs = self._set_fs_base()
        try:
            stop = self.emu.interrupt(
                v.number,
                regs=regs,
                cs=cs,
                rsp=rsp,
                rflags=rflags,
                error_code=error,
                gs_base=gs,
                kernel_gs_base=kgs,
                interrupt_gate=gate_type(self.spec, v) is GateType.INTERRUPT,
            )
        except emulate.EmulationError as exc:
            return self._check(False, f"{where}: {exc}")
        finally:
            trace, self.emu.trace = self.emu.trace, None
            swaps, self.emu.swapgs_with_if = self.emu.swapgs_with_if, None
        want = self._delivered(v, kernel, stop, where)
        if want is None:
            return False
        if swaps and not self._check(
            not any(swaps),
            f"{where}: swapgs runs with interrupts enabled on entry: an interrupt before it would arrive "
            "from ring 0 with the user GS base live",
        ):
            return False
        ok = self._at_call(stop, where, want)
        ok = ok and self._interrupt_flag(v, stop.state.rflags, where, want, interrupted_if=interrupted_if)
        ok = ok and self._swapgs_at_handler(v, stop, where, gs_user, trace)
        ok = ok and self._irq_stack_at_handler(v, stop, where, rsp, depth)
        ok = ok and self._cleared(stop, where, want, regs)
        frame = stop.first_argument
        if not ok:
            return False
        expected = dict(regs)
        expected["vector"] = v.number
        expected["error_code"] = expected_error_slot(self.spec, v, error, _MASK)
        expected.update(rip=emulate.MARKER_BASE, cs=cs, rflags=rflags, rsp=rsp)
        expected["ss"] = emulate.KERNEL_SS if kernel else emulate.USER_SS
        # gs_base: the user GS base (IA32_KERNEL_GS_BASE after the entry's swapgs), or
        # the one GS base kernel and user share without swapgs
        expected.update(fs_base=fs, gs_base=USER_GS if self.spec.entry.swapgs else gs)
        if not self._frame_fields(stop, frame, expected, regs, where):
            return False
        if not self._simd_area(v, stop, frame, xmm, where):
            return False
        if not self.resume(v, stop, where, (rsp, rflags, cs), regs, (gs, kgs), xmm, kernel):
            return False
        return self._irq_stack_after(v, where, depth, halts=kernel and v.kernel_handler is not None)

    def _irq_stack_at_handler(self, v: X86Vector, stop: emulate.Stop, where: str, rsp: int, depth: int) -> bool:
        """On the IRQ stack at the call: at its top when the CPU was not on it, below the
        interrupted handler's stack when it was (nested); the counter one higher."""
        irq = self.spec.irq_stack
        if irq is None or not v.irq_stack:
            return True
        count = self.emu.read_u64(self.emu.physical(KERNEL_GS + irq.depth_gs))
        sp = stop.state.rsp
        if not self._check(
            count == depth + 1, f"{where}: the IRQ stack counter is {count} at the handler, not {depth + 1}"
        ):
            return False
        if depth == 0:
            ok = self._check(
                IRQ_STACK_TOP - 0x100 <= sp < IRQ_STACK_TOP,
                f"{where}: rsp = {sp:#x} at the handler is not at the top of the IRQ stack ({IRQ_STACK_TOP:#x})",
            )
        else:
            # the interrupted handler's data lies at and above rsp: the nested entry must stay below
            ok = self._check(
                IRQ_STACK_TOP - IRQ_STACK_SIZE <= sp < rsp - self.layout.size,
                f"{where}: rsp = {sp:#x} at the nested handler is not below the interrupted IRQ-stack rsp {rsp:#x}",
            )
        if ok:
            self.tally.saw("irq stack nested" if depth else "irq stack")
        return ok

    def _irq_stack_after(self, v: X86Vector, where: str, depth: int, *, halts: bool) -> bool:
        """After the return the counter is back where it was."""
        irq = self.spec.irq_stack
        if irq is None or not v.irq_stack or self.spec.handler.returns is ReturnModel.NORETURN:
            return True
        if halts and self.spec.entry.kernel_fault is KernelFault.HALT:
            return True
        count = self.emu.read_u64(self.emu.physical(KERNEL_GS + irq.depth_gs))
        return self._check(count == depth, f"{where}, returning: the IRQ stack counter is {count}, not {depth}")

    def _at_call(self, stop: emulate.Stop, where: str, want: str) -> bool:
        ok = self._check(
            stop.call_aligned,
            f"{where}: rsp % 16 == {(stop.state.rsp + 8) % 16} at the call into {want} (SysV needs 0)",
        )
        ok &= self._check(not stop.state.df, f"{where}: DF is set at the call into {want} (SysV needs it clear)")
        frame = stop.first_argument
        expected = stop.frame_top - self.layout.size
        if self.spec.frame.simd_inline:
            expected &= -64  # the entry moves the frame down to a 64-byte boundary
        ok &= self._check(
            frame == expected,
            f"{where}: rdi = {frame:#x} but the frame the model describes starts at "
            f"{expected:#x} ({self.layout.size} bytes below the CPU frame's top"
            f"{', aligned down to 64' if self.spec.frame.simd_inline else ''})",
        )
        if ok and self.spec.frame.simd_inline:
            shift = stop.u64(frame + self.layout.offset("frame_shift"))
            ok &= self._check(
                frame + self.layout.size + shift == stop.frame_top,
                f"{where}: frame_shift is {shift}, but the frame moved {stop.frame_top - self.layout.size - frame}",
            )
        # handler.args: the vector / error code after the frame, as the slot holds them
        for reg, arg in zip(("rsi", "rdx"), self.spec.handler.args[1:], strict=False):
            if not ok:
                break
            slot = stop.u64(frame + self.layout.offset(arg))
            ok &= self._check(
                stop.state.gprs[reg] == slot,
                f"{where}: {reg} = {stop.state.gprs[reg]:#x} at the call into {want}, but the {arg} is {slot:#x}",
            )
            self.tally.saw(f"handler arg {arg}")
        return ok

    def _interrupt_flag(
        self, v: X86Vector, flags: int, where: str, want: str, *, count: bool = True, interrupted_if: bool = True
    ) -> bool:
        ok = super()._interrupt_flag(v, flags, where, want, count=count, interrupted_if=interrupted_if)
        if ok and not v.error_code and v.vector_class in self.spec.frame.vector_in_error_slot:
            self.tally.saw("vector in error slot")
        return ok

    def _swapgs_at_handler(
        self, v: X86Vector, stop: emulate.Stop, where: str, gs_user: bool, trace: list[tuple[int, bytes]] | None
    ) -> bool:
        if not self.spec.entry.swapgs:
            want = self.user_gs if gs_user else KERNEL_GS
            return self._check(stop.state.gs_base == want, f"{where}: GS base changed without entry.swapgs")
        fsgsbase = v.paranoid and self.fsgsbase
        how = "the saved CS"
        if v.paranoid:
            how = f"the per-CPU offset table ({self.spec.paranoid_gs.method})" if fsgsbase else "the GS base MSR"
        if not self._check(
            stop.state.gs_base == KERNEL_GS,
            f"{where}: swapgs: the GS base at the handler is {stop.state.gs_base:#x}, not the kernel's "
            f"{KERNEL_GS:#x} (decided from {how})",
        ):
            return False
        if fsgsbase:
            return self._gs_base_written(trace or [], where)
        self.tally.saw("swapgs")
        codes = [code for _, code in trace or []]
        branch = next((i for i, code in enumerate(codes) if _is_jcc(code)), None)
        fenced = branch is not None and any(code.startswith(_LFENCE) for code in codes[branch + 1 :])
        if not self._check(
            fenced,
            f"{where}: swapgs: no lfence runs after the swapgs decision before the handler "
            "(CVE-2019-1125: the branch can be bypassed speculatively)",
        ):
            return False
        self.tally.saw("lfence")
        return True

    def _gs_base_written(self, trace: list[tuple[int, bytes]], where: str) -> bool:
        """A paranoid entry that loads the GS base from the per-CPU table writes it on every
        path (the reason it needs no lfence): no conditional branch before its WRGSBASE."""
        wrgsbase = None
        for i, (address, code) in enumerate(trace):
            # WRGSBASE r64: F3 REX.W 0F AE /3 (ModRM 11 011 rrr); RDGSBASE shares the opcode (/1)
            if code == _FSGSBASE and (self.emu.read(address + 4, 1)[0] >> 3) == 0b11011:
                wrgsbase = i
                break
        ok = self._check(wrgsbase is not None, f"{where}: the paranoid entry never runs wrgsbase")
        ok = ok and self._check(
            not any(_is_jcc(code) for _, code in trace[:wrgsbase]),
            f"{where}: a conditional branch runs before the paranoid entry's wrgsbase: the GS base it "
            "loads could be bypassed speculatively",
        )
        if ok:
            self.tally.saw(f"paranoid gs base from {self.spec.paranoid_gs.method}")
        return ok

    def _simd_area(self, v: X86Vector, stop: emulate.Stop, frame: int, xmm: list[int], where: str) -> bool:
        if self.spec.frame.simd_inline:
            # the area inside the frame, 64-byte aligned with it
            saved = int.from_bytes(self.emu.read(frame + self.layout.offset("simd_state") + _XMM0_OFFSET, 16), "little")
            ok = self._check(frame % 64 == 0, f"{where}: the frame at {frame:#x} is not 64-byte aligned")
            ok = ok and self._check(saved == xmm[0], f"{where}: {v.simd}: simd_state does not hold XMM0")
            if ok:
                self.tally.saw(f"simd {v.simd} in the frame")
            return ok
        if not self.layout.has("simd_area"):
            return True
        f = self.layout.field("simd_area")
        area = stop.u64(frame + f.offset)
        if v.simd is SimdPolicy.NONE:
            return self._check(area == 0, f"{where}: simd_area is {area:#x} but the vector saves no SIMD state")
        align = 64 if v.simd is SimdPolicy.XSAVE else 16
        if not self._check(
            area != 0 and area % align == 0 and stop.state.rsp < area < frame,
            f"{where}: {v.simd}: simd_area {area:#x} is not a {align}-byte aligned area between the "
            f"stack ({stop.state.rsp:#x}) and the frame ({frame:#x})",
        ):
            return False
        if self.saves_xmm:
            saved = int.from_bytes(self.emu.read(area + _XMM0_OFFSET, 16), "little")
            if not self._check(saved == xmm[0], f"{where}: {v.simd}: the save area does not hold XMM0"):
                return False
        self.tally.saw(f"simd {v.simd}")
        return True

    def resume(
        self,
        v: X86Vector,
        stop: emulate.Stop,
        where: str,
        context: tuple[int, int, int],
        regs: dict[str, int],
        gs_bases: tuple[int, int],
        xmm: list[int],
        kernel: bool,
    ) -> bool:
        """The handler rewrites every saved register; the exit path must restore exactly those
        (and resume rsp, rflags and cs as in ``context``)."""
        rsp, rflags, cs = context
        gs, kgs = gs_bases

        bases = self._segment_base_msrs()

        def rewrite(frame: int) -> None:
            self.emu.swapgs_with_if = []
            if xmm:
                for i in range(16):
                    self.emu.set_xmm(i, 0xDEAD_0000 + i)  # the handler may use SIMD registers
            for msr, _ in bases:  # the kernel changes the bases the frame keeps
                self.emu.uc.msr_write(msr, 0x0000_0BAD_0000_0000 | msr)

        def check(back: emulate.Stop, want: dict[str, int]) -> bool:
            swaps, self.emu.swapgs_with_if = self.emu.swapgs_with_if, None
            ok = self._check_resumed(back, want, where + ", returning", rsp, cs, via_iret=True, rflags=rflags)
            if ok and self.spec.entry.swapgs:
                ok = self._check(
                    back.state.gs_base == gs,
                    f"{where}, returning: swapgs: the GS base is {back.state.gs_base:#x}, not the interrupted {gs:#x}",
                )
            if ok and self.spec.entry.swapgs:
                ok = self._check(
                    back.state.kernel_gs_base == kgs,
                    f"{where}, returning: IA32_KERNEL_GS_BASE is {back.state.kernel_gs_base:#x}, "
                    f"not the interrupted {kgs:#x}",
                )
            if ok and swaps:
                # an interrupt between the exit's swapgs and iretq would arrive from ring 0 with
                # the user GS base live, and its entry would not swap back
                ok = self._check(
                    not any(swaps),
                    f"{where}, returning: swapgs runs with interrupts enabled (the handler came through a "
                    "trap gate): an interrupt before iretq would reach its handler with the user GS base",
                )
                if ok:
                    self.tally.saw("exit swapgs with IF clear")
            for msr, slot in bases:
                got, want_base = self.emu.uc.msr_read(msr), self.emu.read_u64(stop.first_argument + slot)
                ok = ok and self._check(
                    got == want_base,
                    f"{where}, returning: MSR {msr:#x} is {got:#x}, not the frame's {want_base:#x} (exit restore)",
                )
            if ok and v.simd is not SimdPolicy.NONE and self.saves_xmm:
                got = [self.emu.xmm(i) for i in range(16)]
                bad = [i for i in range(16) if got[i] != xmm[i]]
                ok = self._check(not bad, f"{where}, returning: {v.simd}: xmm{bad[0] if bad else 0} is not restored")
            return ok

        return self._resume(v, stop, where, kernel, regs, rewrite=rewrite, check=check)

    def _check_resumed(
        self,
        back: emulate.Stop,
        want: dict[str, int],
        where: str,
        rsp: int,
        cs: int,
        *,
        via_iret: bool,
        rflags: int = INTERRUPTED_FLAGS,
    ) -> bool:
        if not self._resumed_registers(back, want, where):
            return False
        ctx = (back.state.rsp, back.state.rflags, back.state.cs)
        ok = self._check(
            ctx == (rsp, rflags, cs),
            f"{where}: resumed with rsp/rflags/cs = {', '.join(hex(x) for x in ctx)}, "
            f"expected {rsp:#x}, {rflags:#x}, {cs:#x}",
        )
        if ok:
            self._count_return(via_iret)
        return ok

    # -- other entry points ---------------------------------------------------------
    def _exit_call(self, address: int, name: str, root: int, on_stack: bool) -> ExitCall[emulate.Stop]:
        top = emulate.DEFAULT_STACK_TOP - 0x800
        frame = top - self.layout.size
        regs = self._regs()
        # With swapgs the frame is a new user thread's, entered from C with interrupts
        # enabled: the exit path must swap the GS base, and do it with interrupts off.
        user = self.spec.entry.swapgs
        cs, ss = (emulate.USER_CS, emulate.USER_SS) if user else (emulate.KERNEL_CS, emulate.KERNEL_SS)
        resume_rsp = _USER_RSP if user else top + 0x100
        values = dict(regs, vector=0, error_code=0, rip=emulate.MARKER_BASE, cs=cs)
        values.update(rflags=INTERRUPTED_FLAGS, rsp=resume_rsp, ss=ss)
        values.update(fs_base=0x0000_7F00_0000_0000, gs_base=USER_GS if user else KERNEL_GS)
        if self.layout.has("simd_area"):
            values["simd_area"] = 0
        for f in self.layout.fields:
            if f.kind is FieldKind.SIMD_STATE:  # a new thread's area: all zeros is the initial state
                self.emu.write(frame + f.offset, bytes(f.size))
                continue
            self.emu.write_u64(frame + f.offset, values.get(f.role, 0))
        scratch = {r: self.rng.getrandbits(64) for r in emulate.GPRS}
        args, shown = self.exit_arguments(frame, root)
        scratch.update(zip(("rdi", "rsi"), args, strict=True))  # SysV ABI 3.2.3
        what = f"{name}({shown})"
        if on_stack:
            scratch["rdi"] = self.rng.getrandbits(64)  # no argument: the frame is where rsp points
            what = f"{name} with rsp = frame (exit_frame: stack)"

        guarded = self.exit_disables_interrupts()

        def run() -> emulate.Stop:
            # called from C with interrupts enabled where the exit must disable them
            flags = emulate.RFLAGS_IF if guarded else 0
            if user:
                self.emu.set_gs_bases(gs_base=KERNEL_GS, kernel_gs_base=self.user_gs)
            self.emu.swapgs_with_if = []
            self.emu.if_trace = [] if guarded else None
            if on_stack:
                return self.emu.call(address, regs=scratch, rsp=frame, rflags=flags, push_return=False)
            return self.emu.call(address, regs=scratch, rsp=frame - 0x40, rflags=flags)

        def resumed(back: emulate.Stop) -> bool:
            swaps, self.emu.swapgs_with_if = self.emu.swapgs_with_if, None
            trace, self.emu.if_trace = self.emu.if_trace, None
            if not self._check_resumed(back, want, what, resume_rsp, cs, via_iret=False):
                return False
            first = 1 if self.spec.entry.endbr64 else 0
            if guarded and not self._exit_ran_with_interrupts_disabled(trace, what, first):
                return False
            if not user:
                return True
            ok = self._check(
                back.state.gs_base == self.user_gs,
                f"{what}: entering a ring-3 frame left the GS base at {back.state.gs_base:#x}, not the user's",
            )
            return ok and self._check(
                bool(swaps) and not any(swaps or ()),
                f"{what}: called with interrupts enabled, the exit path runs swapgs with them still enabled: "
                "an interrupt before iretq would reach its handler with the user GS base",
            )

        want = {r: v for r, v in regs.items() if r in self.saved}
        return ExitCall(what, run, resumed)

    def _call_halt(self, address: int) -> emulate.Stop:
        return self.emu.call(address, regs=self._regs(), rflags=emulate.RFLAGS_IF)

    def syscall(self) -> None:
        """SYSCALL from ring 3 and back with sysretq (and iretq for a non-canonical RIP)."""
        sc = self.spec.syscall
        if sc is None:
            return
        for noncanonical in (False, True):
            regs = self._regs()
            percpu = emulate.STACK_BASE + 0x1000
            kstack = emulate.DEFAULT_STACK_TOP - 0x100
            self.emu.write_u64(self._kernel_stack_slot(sc, percpu), kstack)
            fs = self._set_fs_base()
            user_rsp = emulate.DEFAULT_STACK_TOP - 0x5000
            where = "syscall" + (" returning to a non-canonical RIP" if noncanonical else "")
            try:
                stop = self.emu.syscall(
                    sc.entry,
                    regs=regs,
                    user_rsp=user_rsp,
                    kernel_gs_base=percpu,
                    user_gs_base=self.user_gs,
                    kernel_stack_top=kstack,
                    user_rflags=0x246,
                )
            except emulate.EmulationError as exc:
                self._check(False, f"{where}: {exc}")
                return
            if not self._check(stop.symbol == sc.handler, f"{where}: reached {stop.symbol}, not {sc.handler}"):
                return
            entered = dict(regs, rcx=emulate.MARKER_BASE, r11=0x246)
            ok = self._at_call(stop, where, sc.handler)
            gs_at_handler = percpu if self.spec.entry.swapgs else USER_GS
            ok = ok and self._check(
                stop.state.gs_base == gs_at_handler,
                f"{where}: the GS base at the handler is {stop.state.gs_base:#x}, expected {gs_at_handler:#x}",
            )
            ok = ok and self._cleared(
                stop, where, sc.handler, {r: v for r, v in regs.items() if r not in ("rcx", "r11")}
            )
            frame = stop.first_argument
            expected = dict(entered, vector=sc.marker & _MASK, error_code=self.spec.frame.synthetic_error_code & _MASK)
            expected.update(rip=emulate.MARKER_BASE, cs=sc.user_cs, rflags=0x246, rsp=user_rsp, ss=sc.user_ss)
            expected.update(fs_base=fs, gs_base=USER_GS)
            if not ok or not self._frame_fields(stop, frame, expected, entered, where):
                return
            self.tally.saw("syscall")
            if self.spec.handler.returns is ReturnModel.NORETURN:
                return
            new = self._rewrite_saved(frame)
            if noncanonical:
                self.emu.write_u64(frame + self.layout.offset("rip"), 0x0000_8000_0000_0000)
            ret = frame if self.spec.handler.returns is ReturnModel.FRAME else None
            # a system call handler commonly enables interrupts: the way back must disable them
            self.emu.if_trace = []
            try:
                back = self.emu.return_from_handler(ret, clobber={"rax": 1, "rsi": 2}, interrupts_enabled=True)
            except emulate.EmulationError:
                back = None
            finally:
                if_trace, self.emu.if_trace = self.emu.if_trace, None
            if not self._exit_ran_with_interrupts_disabled(if_trace, f"{where}, returning"):
                return
            if noncanonical:
                self._check(
                    self.emu.last_return == "iretq",
                    f"{where}: left through {self.emu.last_return}, not iretq (sysretq faults in ring 0 on Intel)",
                )
                continue
            if back is None or not self._check(
                back.resumed and self.emu.last_return == "sysretq",
                f"{where}: did not return to the user with sysretq (last return: {self.emu.last_return})",
            ):
                return
            self._sysret_registers(back, new, where)
            self._check(back.state.gs_base == self.user_gs, f"{where}: the user GS base is not restored by sysret")
            self._check(back.state.rsp == user_rsp, f"{where}: rsp after sysret is {back.state.rsp:#x}")

    def _segment_base_msrs(self) -> list[tuple[int, int]]:
        """(MSR, frame offset) of the segment-base slots whose MSR must equal the slot
        after the return: IA32_FS_BASE, and IA32_GS_BASE for gs_base without swapgs.  (With
        swapgs the user GS base is live after a return to ring 3 and inactive after one to
        ring 0; the GS checks of :meth:`resume` and tests/test_segment_bases.py cover it.)"""
        out = []
        if self.layout.has("fs_base"):
            out.append((emulate.MSR_FS_BASE, self.layout.offset("fs_base")))
        if self.layout.has("gs_base") and not self.spec.entry.swapgs:
            out.append((emulate.MSR_GS_BASE, self.layout.offset("gs_base")))
        return out

    def _set_fs_base(self) -> int:
        """A distinctive, canonical FS base for the interrupted code (fs_base slots)."""
        fs = 0x0000_5A5A_0000_0000 | self.rng.getrandbits(32) << 4
        self.emu.uc.msr_write(emulate.MSR_FS_BASE, fs)
        return fs

    def _kernel_stack_slot(self, sc: Syscall, percpu: int) -> int:
        """The address the entry reads the kernel stack top from: GS-relative per-CPU data,
        or a fixed slot.  A data symbol the glue leaves undefined is linked as a marker:
        its slot on the marker page is made writable to stand for the kernel's word; an
        absolute address gets a page mapped where the CPU reaches it (a top-2-GiB address
        lands at :meth:`~isrgen.arch.x86.emulation.long_mode.Emulator.physical`)."""
        if not sc.fixed_stack_slots:
            return percpu + sc.kernel_stack_gs
        addresses = []
        for slot in (sc.kernel_stack, sc.user_stack):
            address = self.emu.image.symbols[slot] if isinstance(slot, str) else self.emu.physical(slot or 0)
            self.emu.make_writable(address)
            addresses.append(address)
        return addresses[0]

    def _sysret_registers(self, back: emulate.Stop, new: dict[str, int], where: str) -> None:
        sc = self.spec.syscall
        if sc is None:
            return
        expected: dict[str, int] = {}
        for r in self.saved:
            if r in sc.restored:
                expected[r] = new[r]
            elif r == "rcx":
                expected[r] = emulate.MARKER_BASE
            elif r == "r11":
                expected[r] = 0x246
            else:
                expected[r] = 0
        for r in sorted(expected):
            got = back.state.gprs[r]
            if got != expected[r]:
                what = "restored from the frame" if r in sc.restored else "zeroed (not in syscall.restored)"
                self._check(False, f"{where}: after sysretq {r} = {got:#x}, expected {expected[r]:#x}, {what}")
                return
        self.tally.saw("sysret")


__all__ = [
    "KERNEL_GS",
    "USER_GS",
    "MachineProver",
    "MachineTally",
    "expected_error_slot",
    "if_clear_at_handler",
]
