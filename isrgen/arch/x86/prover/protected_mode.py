"""Property 3 of ``isrgen prove`` for i386 glue: the machine code does what the model says.

The 32-bit counterpart of :mod:`isrgen.arch.x86.prover.long_mode`, run on
:class:`isrgen.arch.x86.emulation.protected_mode.Emulator32` (protected mode, a real GDT); the run order
and the checks both share are in :mod:`isrgen.arch.x86.prover.base`.  Every vector's
stub runs from ring 0 (the CPU pushes EFLAGS, CS, EIP at any dword position: it
does not align the stack) and from ring 3 (SS and ESP too, on the TSS stack),
with random registers and a different selector in each data segment register.
At the handler:

- ``[esp+4]`` is the frame, which ends exactly at the top of the CPU-pushed part;
  ESP is 16-byte aligned at the call when ``handler.align_stack``; DF is clear;
- each saved register, segment selector (16 bits of its slot), the vector, the
  error-code slot (:meth:`isrgen.model.spec.Frame.error_slot_value`), EIP, CS, EFLAGS
  (ESP and SS from ring 3) are at the model's offsets; a ``pushal`` block's ESP
  slot holds the address just above the block (what ``pushad`` stores);
- ``entry.data_segments`` hold ``entry.data_selector`` (or each its own selector
  from ``entry.data_selectors``), the other segment registers the interrupted
  selectors; CS/SS are the kernel's;
- IF is clear on interrupt gates and on stubs that run ``cli``;
- ``entry.clear_registers``: no interrupted value is left in a register;
- ring-0 interruptions reach the ``kernel_handler``, which with
  ``kernel_fault: halt`` ends in ``hlt`` with every register zero.

The handler then rewrites every saved register and segment slot and clobbers the
cdecl scratch registers; after ``iretd`` each register and segment register must
hold its slot's value and EIP/CS/EFLAGS/ESP/SS the interrupted context.  The exit
routine resumes a hand-built ring-3 frame (given as its argument, or with ESP at
the frame for ``entry.exit_frame: stack``; CR3 from the ``cr3`` argument of
``entry.exit_args``), and the halt routine clears every register and halts.
"""

from __future__ import annotations

from isrgen.arch.x86.emulation import protected_mode as e32
from isrgen.arch.x86.emulation.long_mode import MARKER_BASE, EmulationError
from isrgen.arch.x86.model import GateType, X86Vector
from isrgen.arch.x86.prover.base import INTERRUPTED_FLAGS, ExitCall, MachineProverBase, expected_error_slot
from isrgen.model.layout import Field, FieldKind

_MASK32 = 2**32 - 1
_USER_ESP = 0xBFFF_E000
#: a different selector in each data segment register, so a swapped push or pop shows
_KERNEL_SEGS = (e32.KERNEL_DS, e32.KERNEL_PERCPU, e32.USER_DS & ~3, e32.USER_TLS)
_USER_SEGS = (e32.USER_DS, e32.USER_TLS, 3, 0)
#: what a handler writes into the segment slots before returning (loadable in the target ring)
_NEW_KERNEL_SEGS = (e32.USER_TLS, e32.USER_DS & ~3, e32.KERNEL_PERCPU, e32.KERNEL_DS)
_NEW_USER_SEGS = (e32.USER_TLS, 0, e32.USER_DS, 3)


class MachineProver32(MachineProverBase[e32.Emulator32, e32.Stop32]):
    """Runs property 3 on one linked 32-bit image; failures go to ``fail``."""

    RETURN_INSTRUCTION = "iretd"
    REGISTER_BITS = 24

    def static_checks(self) -> None:
        """Dense stubs sit at their fixed stride."""
        if self._dense_stubs():
            self.tally.saw("dense stride")

    # -- interrupts ------------------------------------------------------------
    def _flags(self, stop: e32.Stop32) -> int:
        return stop.state.eflags

    def _slot(self, stop: e32.Stop32, frame: int, f: Field) -> int:
        value = stop.u32(frame + f.offset)
        return value & 0xFFFF if f.value_size == 2 else value

    def interrupt(self, v: X86Vector, kernel: bool) -> bool:
        """One delivery of ``v`` from ring 0 or ring 3; False after the first mismatch."""
        regs = self._regs()
        segs = dict(zip(e32.SEGMENTS, _KERNEL_SEGS if kernel else _USER_SEGS, strict=True))
        error = self.rng.getrandbits(32) if v.error_code else None
        # the CPU does not align the stack on i386: any dword position
        stack = e32.DEFAULT_STACK_TOP - 0x400 + 4 * self.rng.randrange(4)
        cs = e32.KERNEL_CS if kernel else e32.USER_CS
        where = f"vector {v.number} from {'ring 0' if kernel else 'ring 3'}"
        try:
            stop = self.emu.interrupt(
                v.number,
                regs=regs,
                segments=segs,
                cs=cs,
                eflags=INTERRUPTED_FLAGS,
                esp=stack if kernel else _USER_ESP,
                stack=None if kernel else stack,
                error_code=error,
                interrupt_gate=v.gate is GateType.INTERRUPT,
            )
        except EmulationError as exc:
            return self._check(False, f"{where}: {exc}")
        want = self._delivered(v, kernel, stop, where)
        if want is None:
            return False
        if not self._at_call(v, stop, where, want, kernel, regs, segs):
            return False
        frame = self._frame_of(stop)
        expected = dict(regs)
        expected.update(segs)
        expected["vector"] = v.number
        expected["error_code"] = expected_error_slot(self.spec, v, error, _MASK32)
        expected.update(eip=MARKER_BASE, cs=cs, eflags=INTERRUPTED_FLAGS)
        if not kernel:
            expected.update(esp=_USER_ESP, ss=e32.USER_DS)
        if not self._frame_fields(stop, frame, expected, regs, where, kernel):
            return False
        return self.resume(v, stop, where, kernel, regs, segs, stack)

    def _frame_of(self, stop: e32.Stop32) -> int:
        """The frame the handler received: the pointer at [esp+4], or, with
        ``frame_arg: value``, the by-value argument that starts at esp+4 itself."""
        return stop.state.esp + 4 if self.spec.handler.frame_arg == "value" else stop.first_argument

    def _at_call(
        self,
        v: X86Vector,
        stop: e32.Stop32,
        where: str,
        want: str,
        kernel: bool,
        regs: dict[str, int],
        segs: dict[str, int],
    ) -> bool:
        spec, layout = self.spec, self.layout
        cpu_part = sum(
            f.size for f in layout.fields if f.kind is FieldKind.CPU and (not kernel or not f.ring_change_only)
        )
        software = sum(f.size for f in layout.fields if f.kind is not FieldKind.CPU)
        frame = self._frame_of(stop)
        ok = self._check(
            frame + software + cpu_part == stop.frame_top,
            f"{where}: the handler's frame is at {frame:#x} but the frame the model describes starts at "
            f"{stop.frame_top - software - cpu_part:#x} ({software} + {cpu_part} bytes below the stack top)",
        )
        # handler.args: the vector / error code pushed after the frame pointer (cdecl)
        for i, arg in enumerate(spec.handler.args[1:]):
            slot = stop.u32(frame + layout.offset(arg))
            got = stop.u32(stop.state.esp + 8 + 4 * i)
            ok &= self._check(got == slot, f"{where}: argument {i + 2} is {got:#x}, but the {arg} is {slot:#x}")
            self.tally.saw(f"handler arg {arg}")
        if spec.handler.align_stack:
            ok &= self._check(
                stop.call_aligned,
                f"{where}: esp % 16 == {(stop.state.esp + 4) % 16} at the call into {want} (handler.align_stack)",
            )
            if ok:
                self.tally.saw("align_stack")
        ok &= self._check(not stop.state.df, f"{where}: DF is set at the call into {want} (the ABI needs it clear)")
        ok &= self._interrupt_flag(v, stop.state.eflags, where, want, count=ok)
        ok &= self._check(
            (stop.state.cs, stop.state.ss) == (e32.KERNEL_CS, e32.KERNEL_DS),
            f"{where}: CS/SS at the handler are {stop.state.cs:#x}/{stop.state.ss:#x}, not the kernel's",
        )
        loaded = set(spec.entry.data_segments)
        for s in e32.SEGMENTS:
            expect = spec.entry.selector_of(s) if s in loaded else segs[s]
            got = stop.state.segments[s]
            if not self._check(
                got == expect,
                f"{where}: {s} = {got:#x} at the call into {want}, expected {expect:#x}"
                + (" (entry.data_segments)" if s in loaded else " (the interrupted selector)"),
            ):
                return False
        if loaded:
            self.tally.saw("data_segments")
        return ok and self._cleared(stop, where, want, regs)

    def resume(
        self,
        v: X86Vector,
        stop: e32.Stop32,
        where: str,
        kernel: bool,
        regs: dict[str, int],
        segs: dict[str, int],
        stack: int,
    ) -> bool:
        """The handler rewrites every saved register and selector; the exit path must restore exactly those."""
        new_segs = dict(zip(e32.SEGMENTS, _NEW_KERNEL_SEGS if kernel else _NEW_USER_SEGS, strict=True))

        def rewrite(frame: int) -> None:
            for f in self.seg_fields:
                self.emu.write_u32(frame + f.offset, new_segs[f.role])

        def check(back: e32.Stop32, want: dict[str, int]) -> bool:
            saved_segs = {f.role for f in self.seg_fields}
            want_segs = {s: new_segs[s] if s in saved_segs else segs[s] for s in e32.SEGMENTS}
            from_ds = self.spec.entry.restored_from_ds(saved_segs)
            for s in from_ds:
                want_segs[s] = new_segs["ds"]
            esp, ss = (stack, e32.KERNEL_DS) if kernel else (_USER_ESP, e32.USER_DS)
            cs = e32.KERNEL_CS if kernel else e32.USER_CS
            ok = self._check_resumed(back, want, want_segs, where + ", returning", (esp, ss, cs), via_iret=True)
            if ok and from_ds:
                self.tally.saw("segments_from_ds")
            return ok

        return self._resume(v, stop, where, kernel, regs, rewrite=rewrite, check=check)

    def _check_resumed(
        self,
        back: e32.Stop32,
        want: dict[str, int],
        want_segs: dict[str, int],
        where: str,
        context: tuple[int, int, int],
        *,
        via_iret: bool,
    ) -> bool:
        if not self._resumed_registers(back, want, where):
            return False
        for s, expect in want_segs.items():
            got = back.state.segments[s]
            if not self._check(got == expect, f"{where}: {s} = {got:#x}, expected {expect:#x}"):
                return False
        esp, ss, cs = context
        ctx = (back.state.eip, back.state.cs, back.state.eflags, back.state.esp, back.state.ss)
        wanted = (MARKER_BASE, cs, INTERRUPTED_FLAGS, esp, ss)
        if not self._check(
            ctx == wanted,
            f"{where}: resumed with eip/cs/eflags/esp/ss = {', '.join(hex(x) for x in ctx)}, "
            f"expected {', '.join(hex(x) for x in wanted)}",
        ):
            return False
        self._count_return(via_iret)
        return True

    # -- other entry points ---------------------------------------------------------
    def _exit_call(self, address: int, name: str, root: int, on_stack: bool) -> ExitCall[e32.Stop32]:
        """A hand-built ring-3 frame (a new task's first switch)."""
        frame = e32.DEFAULT_STACK_TOP - 0x800
        regs = self._regs()
        segs = dict(zip(e32.SEGMENTS, _NEW_USER_SEGS, strict=True))
        values: dict[str, int] = {**regs, **segs, "vector": 32, "error_code": 0}
        values.update(eip=MARKER_BASE, cs=e32.USER_CS, eflags=INTERRUPTED_FLAGS, esp=_USER_ESP, ss=e32.USER_DS)
        for f in self.layout.fields:
            self.emu.write_u32(frame + f.offset, values.get(f.role, 0))
        args, shown = self.exit_arguments(frame, root)
        what = f"{name} with esp = frame (exit_frame: stack)" if on_stack else f"{name}({shown})"

        def run() -> e32.Stop32:
            if on_stack:
                return self.emu.call(address, regs=self._regs(), esp=frame, push_return=False)
            return self.emu.call(address, args=args, regs=self._regs(), esp=frame - 0x40)

        want = {r: v for r, v in regs.items() if r in self.saved}
        want_segs = {f.role: segs[f.role] for f in self.seg_fields}
        for s in self.spec.entry.restored_from_ds(set(want_segs)):
            want_segs[s] = segs["ds"]
        context = (_USER_ESP, e32.USER_DS, e32.USER_CS)
        return ExitCall(
            what, run, lambda back: self._check_resumed(back, want, want_segs, what, context, via_iret=False)
        )

    def _call_halt(self, address: int) -> e32.Stop32:
        return self.emu.call(address, regs=self._regs(), eflags=e32.EFLAGS_IF)
