"""Property 3 of ``isrgen prove`` for i386 glue: the machine code does what the model says.

The 32-bit counterpart of :mod:`isrgen.prove_machine`, run on
:class:`isrgen.emulate32.Emulator32` (protected mode, a real GDT).  Every vector's
stub runs from ring 0 (the CPU pushes EFLAGS, CS, EIP at any dword position: it
does not align the stack) and from ring 3 (SS and ESP too, on the TSS stack),
with random registers and a different selector in each data segment register.
At the handler:

- ``[esp+4]`` is the frame, which ends exactly at the top of the CPU-pushed part;
  ESP is 16-byte aligned at the call when ``handler.align_stack``; DF is clear;
- each saved register, segment selector (16 bits of its slot), the vector, the
  error-code slot (:meth:`isrgen.model.Frame.error_slot_value`), EIP, CS, EFLAGS
  (ESP and SS from ring 3) are at the model's offsets; a ``pushal`` block's ESP
  slot holds the address just above the block (what ``pushad`` stores);
- ``entry.data_segments`` hold ``entry.data_selector``, the other segment
  registers the interrupted selectors; CS/SS are the kernel's;
- IF is clear on interrupt gates and on stubs that run ``cli``;
- ``entry.clear_registers``: no interrupted value is left in a register;
- ring-0 interruptions reach the ``kernel_handler``, which with
  ``kernel_fault: halt`` ends in ``hlt`` with every register zero.

The handler then rewrites every saved register and segment slot and clobbers the
cdecl scratch registers; after ``iretd`` each register and segment register must
hold its slot's value and EIP/CS/EFLAGS/ESP/SS the interrupted context.  The exit
routine resumes a hand-built ring-3 frame (given as its argument, or with ESP at
the frame for ``entry.exit_frame: stack``; CR3 from the second argument with
``exit_loads_cr3``), and the halt routine clears every register and halts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import pairwise

from . import emulate32 as e32
from .codegen.x86 import stub_stride
from .emulate import MARKER_BASE, EmulationError
from .layout import Field, FieldKind, FrameLayout
from .model import ExitFrame, GateType, KernelFault, ReturnModel, Spec, Vector
from .prove_machine import MachineTally, expected_error_slot, if_clear_at_handler

_MASK32 = 2**32 - 1
#: interrupted EFLAGS: IF and DF set (the entry must clear DF before calling C), some arithmetic flags
_EFLAGS = e32.EFLAGS_FIXED | e32.EFLAGS_IF | e32.EFLAGS_DF | 0x85
_USER_ESP = 0xBFFF_E000
#: a different selector in each data segment register, so a swapped push or pop shows
_KERNEL_SEGS = (e32.KERNEL_DS, e32.KERNEL_PERCPU, e32.USER_DS & ~3, e32.USER_TLS)
_USER_SEGS = (e32.USER_DS, e32.USER_TLS, 3, 0)
#: what a handler writes into the segment slots before returning (loadable in the target ring)
_NEW_KERNEL_SEGS = (e32.USER_TLS, e32.USER_DS & ~3, e32.KERNEL_PERCPU, e32.KERNEL_DS)
_NEW_USER_SEGS = (e32.USER_TLS, 0, e32.USER_DS, 3)


def _who_holds(value: int, regs: dict[str, int]) -> str:
    for name, v in regs.items():
        if v == value:
            return f" (the value of {name})"
    return ""


class MachineProver32:
    """Runs property 3 on one linked 32-bit image; failures go to ``fail``."""

    def __init__(
        self,
        spec: Spec,
        layout: FrameLayout,
        emu: e32.Emulator32,
        fail: Callable[[str], None],
        rng: random.Random,
        label: str,
    ):
        self.spec, self.layout, self.emu, self.fail, self.rng = spec, layout, emu, fail, rng
        self.label = label
        self.tally = MachineTally(return_instruction="iretd")
        self.gpr_fields = [f for f in layout.fields if f.kind is FieldKind.GPR]
        self.seg_fields = [f for f in layout.fields if f.kind is FieldKind.SEGMENT]
        self.saved = {f.role for f in self.gpr_fields}
        self.failures = 0
        #: stop delivering vectors after this many mismatches (they usually share one cause)
        self.max_failures = 5

    def _regs(self) -> dict[str, int]:
        # distinct values, so a value found in the wrong slot names its register
        return {r: (self.rng.getrandbits(24) << 8) | i for i, r in enumerate(e32.GPRS32)}

    def _check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures += 1
            self.fail(f"{self.label}: {what}")
        return ok

    def run_all(self) -> MachineTally:
        """Check the stub stride, deliver every vector from ring 0 and ring 3, then the
        exit routine and the halt routine."""
        self.static_checks()
        for v in self.spec.vectors:
            for kernel in (True, False):
                if not self.interrupt(v, kernel):
                    break
            if self.failures >= self.max_failures:
                return self.tally
        self.exit_routine(cr3=0)
        if self.spec.entry.exit_loads_cr3:
            self.exit_routine(cr3=0x1234_5000)
        self.halt_routine()
        return self.tally

    def static_checks(self) -> None:
        """Dense stubs sit at their fixed stride."""
        stride = stub_stride(self.spec)
        if stride is None:
            return
        stubs = [(self.emu.stub_address(v.number), v.stub_symbol) for v in self.spec.vectors]
        for (a, name_a), (b, name_b) in pairwise(stubs):
            if not self._check(b - a == stride, f"dense stubs: {name_b} is {b - a} bytes after {name_a}, not {stride}"):
                return
        self.tally.saw("dense stride")

    # -- interrupts ------------------------------------------------------------
    def _slot(self, stop: e32.Stop32, frame: int, f: Field) -> int:
        value = stop.u32(frame + f.offset)
        return value & 0xFFFF if f.value_size == 2 else value

    def interrupt(self, v: Vector, kernel: bool) -> bool:
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
                eflags=_EFLAGS,
                esp=stack if kernel else _USER_ESP,
                stack=None if kernel else stack,
                error_code=error,
                interrupt_gate=v.gate is GateType.INTERRUPT,
            )
        except EmulationError as exc:
            return self._check(False, f"{where}: {exc}")
        self.tally.interrupts += 1
        self.tally.vectors.add(v.number)
        if kernel:
            self.tally.kernel_entries += 1
        else:
            self.tally.user_entries += 1
        want = v.kernel_handler if kernel and v.kernel_handler else v.handler
        if not self._check(
            stop.symbol == want, f"{where}: reached {stop.symbol or 'the interrupted code'}, not {want}"
        ):
            return False
        if v.kernel_handler:
            self.tally.saw("kernel_handler")
        if not self._at_call(v, stop, where, want, kernel, regs, segs):
            return False
        frame = self._frame_of(stop)
        expected = dict(regs)
        expected.update(segs)
        expected["vector"] = v.number
        expected["error_code"] = expected_error_slot(self.spec, v, error, _MASK32)
        expected.update(eip=MARKER_BASE, cs=cs, eflags=_EFLAGS)
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
        v: Vector,
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
        clear = if_clear_at_handler(spec, v)
        is_set = bool(stop.state.eflags & e32.EFLAGS_IF)
        ok &= self._check(
            is_set != clear,
            f"{where}: IF is {'set' if is_set else 'clear'} at the call into {want} "
            f"({v.gate} gate, stubs.cli: {spec.stubs.cli})",
        )
        if ok and spec.stub_clears_if(v) and v.gate is GateType.TRAP:
            self.tally.saw("stub cli")  # observable on trap gates only: interrupt gates clear IF anyway
        ok &= self._check(
            (stop.state.cs, stop.state.ss) == (e32.KERNEL_CS, e32.KERNEL_DS),
            f"{where}: CS/SS at the handler are {stop.state.cs:#x}/{stop.state.ss:#x}, not the kernel's",
        )
        loaded = set(spec.entry.data_segments)
        for s in e32.SEGMENTS:
            expect = spec.entry.data_selector if s in loaded else segs[s]
            got = stop.state.segments[s]
            if not self._check(
                got == expect,
                f"{where}: {s} = {got:#x} at the call into {want}, expected {expect:#x}"
                + (" (entry.data_segments)" if s in loaded else " (the interrupted selector)"),
            ):
                return False
        if loaded:
            self.tally.saw("data_segments")
        if ok and spec.entry.clear_registers:
            leaked = {value: name for name, value in regs.items() if name in self.saved}
            for name, value in stop.state.gprs.items():
                if value in leaked:
                    return self._check(
                        False,
                        f"{where}: clear_registers: {name} still holds the interrupted {leaked[value]} "
                        f"({value:#x}) at the call into {want}",
                    )
            self.tally.saw("clear_registers")
        return ok

    def _frame_fields(
        self, stop: e32.Stop32, frame: int, expected: dict[str, int], regs: dict[str, int], where: str, kernel: bool
    ) -> bool:
        pushal = [f for f in self.layout.fields if f.block == "pushal"]
        if pushal:
            # pushad stores the ESP it found: the address just above its own block
            expected = dict(expected, pushal_esp=frame + max(f.end for f in pushal))
        for field in self.layout.fields:
            if field.kind is FieldKind.PAD and field.role != "pushal_esp":
                continue
            if field.role not in expected or (kernel and field.ring_change_only):
                continue
            got = self._slot(stop, frame, field)
            self.tally.fields_checked += 1
            if got != expected[field.role]:
                return self._check(
                    False,
                    f"{where}: frame field {field.name} (offset {field.offset}) holds {got:#x}"
                    f"{_who_holds(got, regs)}, expected {expected[field.role]:#x}",
                )
        return True

    def resume(
        self,
        v: Vector,
        stop: e32.Stop32,
        where: str,
        kernel: bool,
        regs: dict[str, int],
        segs: dict[str, int],
        stack: int,
    ) -> bool:
        """The handler rewrites every saved register and selector; the exit path must restore exactly those."""
        returns = self.spec.handler.returns
        if returns is ReturnModel.NORETURN:
            return True  # a handler that never returns: the exit routine is proven separately
        frame = self._frame_of(stop)
        new = self._regs()
        for f in self.gpr_fields:
            self.emu.write_u32(frame + f.offset, new[f.role])
        new_segs = dict(zip(e32.SEGMENTS, _NEW_KERNEL_SEGS if kernel else _NEW_USER_SEGS, strict=True))
        for f in self.seg_fields:
            self.emu.write_u32(frame + f.offset, new_segs[f.role])
        clobber = {r: self.rng.getrandbits(32) for r in e32.CALLER_SAVED32}
        ret = frame if returns is ReturnModel.FRAME else None
        try:
            back = self.emu.return_from_handler(ret, clobber=clobber)
        except EmulationError as exc:
            return self._check(False, f"{where}: after the handler returned: {exc}")
        if kernel and v.kernel_handler and self.spec.entry.kernel_fault is KernelFault.HALT:
            return self._check_halted(back, f"{where}, after {v.kernel_handler} returned (kernel_fault: halt)")
        want = {r: new[r] if r in self.saved else regs[r] for r in e32.GPRS32}
        saved_segs = {f.role for f in self.seg_fields}
        want_segs = {s: new_segs[s] if s in saved_segs else segs[s] for s in e32.SEGMENTS}
        esp, ss = (stack, e32.KERNEL_DS) if kernel else (_USER_ESP, e32.USER_DS)
        cs = e32.KERNEL_CS if kernel else e32.USER_CS
        return self._check_resumed(back, want, want_segs, where + ", returning", (esp, ss, cs), via_iretd=True)

    def _check_resumed(
        self,
        back: e32.Stop32,
        want: dict[str, int],
        want_segs: dict[str, int],
        where: str,
        context: tuple[int, int, int],
        *,
        via_iretd: bool,
    ) -> bool:
        if not self._check(back.resumed, f"{where}: reached {back.symbol} instead of the interrupted code"):
            return False
        for name in e32.GPRS32:
            got = back.state.gprs[name]
            if name in want and got != want[name]:
                source = "from the frame" if name in self.saved else "(not saved: the handler preserves it)"
                return self._check(
                    False, f"{where}: {name} = {got:#x}{_who_holds(got, want)}, expected {want[name]:#x} {source}"
                )
        for s, expect in want_segs.items():
            got = back.state.segments[s]
            if not self._check(got == expect, f"{where}: {s} = {got:#x}, expected {expect:#x}"):
                return False
        esp, ss, cs = context
        ctx = (back.state.eip, back.state.cs, back.state.eflags, back.state.esp, back.state.ss)
        wanted = (MARKER_BASE, cs, _EFLAGS, esp, ss)
        if not self._check(
            ctx == wanted,
            f"{where}: resumed with eip/cs/eflags/esp/ss = {', '.join(hex(x) for x in ctx)}, "
            f"expected {', '.join(hex(x) for x in wanted)}",
        ):
            return False
        if via_iretd:
            self.tally.iretq_returns += 1
        else:
            self.tally.exit_routine_resumes += 1
        return True

    def _check_halted(self, back: e32.Stop32, where: str) -> bool:
        if not self._check(back.halted, f"{where}: reached {back.symbol or 'the interrupted code'}, not hlt"):
            return False
        live = sorted(r for r, value in back.state.gprs.items() if value)
        ok = self._check(not live, f"{where}: {', '.join(live)} not cleared before hlt")
        ok &= self._check(not back.state.eflags & e32.EFLAGS_IF, f"{where}: interrupts are enabled at hlt")
        if ok:
            self.tally.saw("halt")
        return ok

    # -- other entry points ---------------------------------------------------------
    def _cr3(self) -> int:
        from unicorn import x86_const

        value: int = self.emu.uc.reg_read(x86_const.UC_X86_REG_CR3)
        return value

    def exit_routine(self, cr3: int) -> None:
        """Resume a hand-built ring-3 frame (a new task's first switch) through the exit routine."""
        spec = self.spec
        name = spec.symbols.exit
        address = self.emu.image.symbols.get(name)
        if not self._check(address is not None, f"{name} is not in the image") or address is None:
            return
        frame = e32.DEFAULT_STACK_TOP - 0x800
        regs = self._regs()
        segs = dict(zip(e32.SEGMENTS, _NEW_USER_SEGS, strict=True))
        values: dict[str, int] = {**regs, **segs, "vector": 32, "error_code": 0}
        values.update(eip=MARKER_BASE, cs=e32.USER_CS, eflags=_EFLAGS, esp=_USER_ESP, ss=e32.USER_DS)
        for f in self.layout.fields:
            self.emu.write_u32(frame + f.offset, values.get(f.role, 0))
        on_stack = spec.entry.exit_frame is ExitFrame.STACK
        # a non-zero root that must be ignored when the routine does not load CR3
        root = cr3 if spec.entry.exit_loads_cr3 else 0x4321_7000
        before = self._cr3()
        what = f"{name} with esp = frame (exit_frame: stack)" if on_stack else f"{name}(frame, {root:#x})"
        try:
            if on_stack:
                back = self.emu.call(address, regs=self._regs(), esp=frame, push_return=False)
            else:
                back = self.emu.call(address, args=[frame, root], regs=self._regs(), esp=frame - 0x40)
        except EmulationError as exc:
            self._check(False, f"{what}: {exc}")
            return
        finally:
            after = self._cr3()
            from unicorn import x86_const

            self.emu.uc.reg_write(x86_const.UC_X86_REG_CR3, before)
        want = {r: v for r, v in regs.items() if r in self.saved}
        want_segs = {f.role: segs[f.role] for f in self.seg_fields}
        context = (_USER_ESP, e32.USER_DS, e32.USER_CS)
        if self._check_resumed(back, want, want_segs, what, context, via_iretd=False) and on_stack:
            self.tally.saw("exit_frame stack")
        expected_cr3 = cr3 if spec.entry.exit_loads_cr3 and cr3 else before
        if self._check(after == expected_cr3, f"{what}: exit_loads_cr3: CR3 is {after:#x}, expected {expected_cr3:#x}"):
            if spec.entry.exit_loads_cr3:
                self.tally.saw("exit_loads_cr3")

    def halt_routine(self) -> None:
        """The halt routine, called directly, clears every register and halts with IF clear."""
        name = self.spec.entry.halt
        address = self.emu.image.symbols.get(name)
        if not self._check(address is not None, f"{name} is not in the image") or address is None:
            return
        try:
            back = self.emu.call(address, regs=self._regs(), eflags=e32.EFLAGS_IF)
        except EmulationError as exc:
            self._check(False, f"{name}(): {exc}")
            return
        self._check_halted(back, f"{name}()")
