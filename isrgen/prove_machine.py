"""Property 3 of ``isrgen prove``: the machine code does what the model says.

Every vector's stub runs under unicorn from a simulated CPU interrupt push with
random register values (from kernel and from user mode, with the interrupted
stack 16-byte aligned and not).  At the handler each register must sit at its
model offset, the vector and the error code (the CPU's or the synthetic one) in
their slots, the CPU frame right above, ``rdi`` pointing at the frame, RSP
16-byte aligned at the call and DF clear.  The handler then overwrites every
saved register slot and clobbers the caller-saved registers; after ``iretq``
each register must hold its slot's new value and RIP/RSP/RFLAGS/CS/SS the
interrupted context.  The exit routine is also called on a fabricated frame.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs

from . import emulate
from .layout import FieldKind, FrameLayout
from .model import ReturnModel, Spec, Vector

_MASK = 2**64 - 1
#: interrupted RFLAGS: IF and DF set (the entry must clear DF before calling C)
_RFLAGS = emulate.RFLAGS_FIXED | emulate.RFLAGS_IF | emulate.RFLAGS_DF | 0x85
_USER_RSP = 0x7FFF_FFFF_E000


@attrs.define
class MachineTally:
    """What the machine-code property executed."""

    interrupts: int = 0
    vectors: set[int] = attrs.field(factory=set)
    kernel_entries: int = 0
    user_entries: int = 0
    iretq_returns: int = 0
    exit_routine_resumes: int = 0
    fields_checked: int = 0


def _expected_handler(v: Vector, kernel: bool) -> str:
    # a vector may route ring-0 faults to a separate handler (entry options)
    kernel_handler = getattr(v, "kernel_handler", None)
    return str(kernel_handler) if kernel and kernel_handler else v.handler


def _who_holds(value: int, regs: dict[str, int]) -> str:
    for name, v in regs.items():
        if v == value:
            return f" (the value of {name})"
    return ""


class MachineProver:
    """Runs property 3 on one linked image; failures go to ``fail``."""

    def __init__(
        self,
        spec: Spec,
        layout: FrameLayout,
        emu: emulate.Emulator,
        fail: Callable[[str], None],
        rng: random.Random,
        label: str,
    ):
        self.spec, self.layout, self.emu, self.fail, self.rng = spec, layout, emu, fail, rng
        self.label = label
        self.tally = MachineTally()
        self.gpr_fields = [f for f in layout.fields if f.kind is FieldKind.GPR]
        self.failures = 0
        #: stop delivering vectors after this many mismatches (they usually share one cause)
        self.max_failures = 5
        #: how many vectors are also delivered from ring 3
        self.user_samples = 32

    def _regs(self) -> dict[str, int]:
        # distinct values, so a value found in the wrong slot names its register
        return {r: (self.rng.getrandbits(48) << 8) | i for i, r in enumerate(emulate.GPRS)}

    def _check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures += 1
            self.fail(f"{self.label}: {what}")
        return ok

    def run_all(self) -> MachineTally:
        """Deliver every vector from kernel and user mode, then resume a fabricated frame."""
        vectors = list(self.spec.vectors)
        # each return to ring 3 costs a fresh emulator (emulate.Emulator._rebuild): sample
        from_user = {v.number for v in self.rng.sample(vectors, min(len(vectors), self.user_samples))}
        for v in vectors:
            for kernel in (True, False):
                if not kernel and v.number not in from_user:
                    continue
                if not self.interrupt(v, kernel):
                    break
            if self.failures >= self.max_failures:
                return self.tally
        self.exit_routine()
        return self.tally

    def interrupt(self, v: Vector, kernel: bool) -> bool:
        """One delivery of ``v``; False after the first mismatch."""
        regs = self._regs()
        error = self.rng.getrandbits(32) if v.error_code else None
        rsp = emulate.DEFAULT_STACK_TOP - 8 * self.rng.randrange(4) if kernel else _USER_RSP
        cs = emulate.KERNEL_CS if kernel else emulate.USER_CS
        ring = "ring 0" if kernel else "ring 3"
        where = f"vector {v.number} from {ring}"
        try:
            stop = self.emu.interrupt(v.number, regs=regs, cs=cs, rsp=rsp, rflags=_RFLAGS, error_code=error)
        except emulate.EmulationError as exc:
            return self._check(False, f"{where}: {exc}")
        self.tally.interrupts += 1
        self.tally.vectors.add(v.number)
        if kernel:
            self.tally.kernel_entries += 1
        else:
            self.tally.user_entries += 1
        want = _expected_handler(v, kernel)
        if not self._check(
            stop.symbol == want, f"{where}: reached {stop.symbol or 'the interrupted code'}, not {want}"
        ):
            return False
        ok = self._check(
            stop.call_aligned,
            f"{where}: rsp % 16 == {(stop.state.rsp + 8) % 16} at the call into {want} (SysV needs 0)",
        )
        ok &= self._check(not stop.state.df, f"{where}: DF is set at the call into {want} (SysV needs it clear)")
        frame = stop.first_argument
        ok &= self._check(
            frame + self.layout.size == stop.frame_top,
            f"{where}: rdi = {frame:#x} but the frame the model describes starts at "
            f"{stop.frame_top - self.layout.size:#x} ({self.layout.size} bytes below the CPU frame's top)",
        )
        if not ok:
            return False
        expected = dict(regs)
        expected["vector"] = v.number
        expected["error_code"] = (error if error is not None else self.spec.frame.synthetic_error_code) & _MASK
        expected.update(rip=emulate.MARKER_BASE, cs=cs, rflags=_RFLAGS, rsp=rsp)
        expected["ss"] = emulate.KERNEL_SS if kernel else emulate.USER_SS
        for field in self.layout.fields:
            if field.kind is FieldKind.PAD or field.name not in expected:
                continue
            got = stop.u64(frame + field.offset)
            self.tally.fields_checked += 1
            if got != expected[field.name]:
                hint = _who_holds(got, regs)
                return self._check(
                    False,
                    f"{where}: frame field {field.name} (offset {field.offset}) holds {got:#x}{hint}, "
                    f"expected {expected[field.name]:#x}",
                )
        return self.resume(v, stop, where, rsp, cs)

    def resume(self, v: Vector, stop: emulate.Stop, where: str, rsp: int, cs: int) -> bool:
        """The handler rewrites every saved register; the exit path must restore exactly those."""
        if self.spec.handler.returns not in (ReturnModel.VOID, ReturnModel.FRAME):
            return True  # a handler that never returns: the exit routine is proven separately
        frame = stop.first_argument
        new = self._regs()
        for f in self.gpr_fields:
            self.emu.write_u64(frame + f.offset, new[f.name])
        clobber = {r: self.rng.getrandbits(64) for r in emulate.CALLER_SAVED}
        ret = frame if self.spec.handler.returns is ReturnModel.FRAME else None
        try:
            back = self.emu.return_from_handler(ret, clobber=clobber)
        except emulate.EmulationError as exc:
            return self._check(False, f"{where}: after the handler returned: {exc}")
        return self._check_resumed(back, new, where + ", returning", rsp, cs, via_iretq=True)

    def _check_resumed(
        self, back: emulate.Stop, want: dict[str, int], where: str, rsp: int, cs: int, *, via_iretq: bool
    ) -> bool:
        if not self._check(back.resumed, f"{where}: reached {back.symbol} instead of the interrupted code"):
            return False
        saved = [f.name for f in self.gpr_fields]
        for name in saved:
            got = back.state.gprs[name]
            if got != want[name]:
                hint = _who_holds(got, want)
                return self._check(False, f"{where}: {name} = {got:#x}{hint}, expected {want[name]:#x} from the frame")
        unsaved = sorted(set(emulate.GPRS) - set(saved))
        ok = self._check(not unsaved, f"{where}: {', '.join(unsaved)} not saved in the frame, so not restored")
        ctx = (back.state.rsp, back.state.rflags, back.state.cs)
        ok &= self._check(
            ctx == (rsp, _RFLAGS, cs),
            f"{where}: resumed with rsp/rflags/cs = {', '.join(hex(x) for x in ctx)}, "
            f"expected {rsp:#x}, {_RFLAGS:#x}, {cs:#x}",
        )
        if ok:
            if via_iretq:
                self.tally.iretq_returns += 1
            else:
                self.tally.exit_routine_resumes += 1
        return ok

    def exit_routine(self) -> None:
        """Call the exit routine on a frame built by hand (a new thread's first switch)."""
        exit_sym = self.spec.symbols.exit
        address = self.emu.image.symbols.get(exit_sym)
        if address is None:
            self.fail(f"{self.label}: the exit routine {exit_sym} is not in the image")
            return
        top = emulate.DEFAULT_STACK_TOP - 0x800
        frame = top - self.layout.size
        regs = self._regs()
        values = dict(regs, vector=0, error_code=0, rip=emulate.MARKER_BASE, cs=emulate.KERNEL_CS)
        values.update(rflags=_RFLAGS, rsp=top + 0x100, ss=emulate.KERNEL_SS)
        for f in self.layout.fields:
            self.emu.write_u64(frame + f.offset, values.get(f.name, 0))
        scratch = {r: self.rng.getrandbits(64) for r in emulate.GPRS}
        scratch["rdi"] = frame
        try:
            back = self.emu.call(address, regs=scratch, rsp=frame - 0x40)
        except emulate.EmulationError as exc:
            self._check(False, f"{exit_sym}(frame): {exc}")
            return
        self._check_resumed(back, regs, f"{exit_sym}(frame)", top + 0x100, emulate.KERNEL_CS, via_iretq=False)
