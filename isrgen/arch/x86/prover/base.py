"""What property 3 of ``isrgen prove`` does the same on x86_64 and i386.

:class:`MachineProverBase` drives one linked image through its emulator: it draws
register values, delivers every vector from ring 0 and ring 3, counts what ran in
a :class:`MachineTally`, and checks what both architectures share: the handler
reached, IF at the call, cleared registers, each frame field at its model offset,
the registers restored after the handler rewrote the frame, the exit routine on a
hand-built frame (with CR3 from its second argument), the halt routine, and the
dense stub stride.  :mod:`isrgen.arch.x86.prover.long_mode` (x86_64) and
:mod:`isrgen.arch.x86.prover.protected_mode` (i386) supply what really differs: how the CPU
delivers an interrupt there, where the handler finds its frame, the registers and
segments of the interrupted context, and their own entry options.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from itertools import pairwise
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import attrs

from isrgen.arch.x86.codegen.base import stub_stride
from isrgen.arch.x86.emulation.cpu import EFLAGS_DF, EFLAGS_FIXED, EFLAGS_IF, EmulationError, EmulatorBase
from isrgen.arch.x86.gates import gate_type
from isrgen.arch.x86.model import GateType, SimdPolicy, X86Spec, X86Vector
from isrgen.model.layout import Field, FieldKind, FrameLayout
from isrgen.model.spec import ExitFrame, KernelFault, ReturnModel

#: interrupted (R|E)FLAGS: IF and DF set (the entry must clear DF before calling C), some arithmetic flags
INTERRUPTED_FLAGS = EFLAGS_FIXED | EFLAGS_IF | EFLAGS_DF | 0x85
#: the page-table root the second exit-routine run passes with ``entry.exit_loads_cr3``
_EXIT_CR3 = 0x1234_5000
#: a non-zero root that must be ignored when the exit routine does not load CR3
_IGNORED_CR3 = 0x4321_7000


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
    #: option name -> how many times its effect was checked
    options: dict[str, int] = attrs.field(factory=dict)
    #: the interrupt-return instruction the returns went through
    return_instruction: str = "iretq"

    def saw(self, option: str) -> None:
        """Count one check of ``option``."""
        self.options[option] = self.options.get(option, 0) + 1

    def summary(self) -> str:
        """One line: what ran and which options were checked how often."""
        text = (
            f"{len(self.vectors)} vectors, {self.interrupts} interrupts "
            f"({self.kernel_entries} from ring 0, {self.user_entries} from ring 3), "
            f"{self.fields_checked} frame fields, {self.iretq_returns} {self.return_instruction} returns, "
            f"{self.exit_routine_resumes} exit-routine resume"
        )
        if self.options:
            text += "; options: " + ", ".join(f"{k} x{n}" for k, n in sorted(self.options.items()))
        return text


def if_clear_at_handler(spec: X86Spec, v: X86Vector) -> bool:
    """Whether IF must be clear when ``v``'s handler is called (the interrupted code had it
    set): an interrupt gate clears it on delivery, a trap gate keeps it (SDM Vol. 3A
    6.12.1.3) unless the stub clears it; under swapgs a trap gate is an interrupt gate
    whose entry sets IF again (:meth:`Spec.reenables_interrupts`)."""
    if spec.stub_clears_if(v):
        return True
    return gate_type(spec, v) is GateType.INTERRUPT and not spec.reenables_interrupts(v)


def expected_error_slot(spec: X86Spec, v: X86Vector, cpu_error: int | None, mask: int) -> int:
    """What the error-code slot holds for ``v``: the CPU's code, the vector number
    (``frame.vector_in_error_slot``) or the synthetic code (:meth:`Frame.error_slot_value`)."""
    stored = spec.frame.error_slot_value(v)
    value = cpu_error if stored is None else stored
    return (value or 0) & mask


def _who_holds(value: int, regs: Mapping[str, int]) -> str:
    for name, v in regs.items():
        if v == value:
            return f" (the value of {name})"
    return ""


class RegisterState(Protocol):
    """The part of an emulator's register state the shared checks read."""

    @property
    def gprs(self) -> Mapping[str, int]:
        """General-purpose register name -> value."""


class ProvenStop(Protocol):
    """The part of an emulator's stop record the shared checks read."""

    @property
    def symbol(self) -> str | None:
        """The marker reached, or None when the interrupted code resumed."""

    @property
    def state(self) -> RegisterState:
        """The registers where emulation stopped."""

    @property
    def resumed(self) -> bool:
        """Whether the interrupted code was resumed."""

    @property
    def halted(self) -> bool:
        """Whether the CPU stopped at ``hlt``."""

    @property
    def first_argument(self) -> int:
        """The first argument of the handler called (the frame pointer)."""


EmuT = TypeVar("EmuT", bound="EmulatorBase[Any, Any]")
StopT = TypeVar("StopT", bound=ProvenStop)


@attrs.frozen
class ExitCall(Generic[StopT]):
    """One call of the exit routine on a frame built by hand, as an architecture makes it."""

    #: how the call reads in messages
    what: str
    #: make the call (raises :class:`~isrgen.arch.x86.emulation.cpu.EmulationError` on a fault)
    run: Callable[[], StopT]
    #: whether the resumed state is the one the frame describes (failures reported)
    resumed: Callable[[StopT], bool]


class MachineProverBase(ABC, Generic[EmuT, StopT]):
    """Runs property 3 on one linked image; failures go to ``fail``.

    A subclass delivers interrupts the way its architecture does
    (:meth:`interrupt`) and checks its own entry options; this class holds the
    run order and the checks both architectures share.
    """

    #: the interrupt-return instruction (named in the tally's summary)
    RETURN_INSTRUCTION: ClassVar[str]
    #: random bits of a drawn register value, above the low byte that numbers the register
    REGISTER_BITS: ClassVar[int]

    def __init__(
        self,
        spec: X86Spec,
        layout: FrameLayout,
        emu: EmuT,
        fail: Callable[[str], None],
        rng: random.Random,
        label: str,
    ):
        self.spec, self.layout, self.emu, self.fail, self.rng = spec, layout, emu, fail, rng
        self.label = label
        self.tally = MachineTally(return_instruction=self.RETURN_INSTRUCTION)
        self.gpr_fields = [f for f in layout.fields if f.kind is FieldKind.GPR]
        self.saved = {f.role for f in self.gpr_fields}
        #: the segment register slots (i386 frames)
        self.seg_fields = [f for f in layout.fields if f.kind is FieldKind.SEGMENT]
        self.failures = 0
        #: stop delivering vectors after this many mismatches (they usually share one cause)
        self.max_failures = 5

    def _regs(self) -> dict[str, int]:
        # distinct values, so a value found in the wrong slot names its register
        return {r: (self.rng.getrandbits(self.REGISTER_BITS) << 8) | i for i, r in enumerate(self.emu.GPRS)}

    def _check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures += 1
            self.fail(f"{self.label}: {what}")
        return ok

    def run_all(self) -> MachineTally:
        """Check what can be read without running, deliver every vector from ring 0 and
        ring 3, then the architecture's other entries, the exit routine and the halt routine."""
        self._prepare()
        self.static_checks()
        for v in self.spec.vectors:
            for kernel in (True, False):
                if not self.interrupt(v, kernel):
                    break
            if self.failures >= self.max_failures:
                return self.tally
        if not self._other_entries():
            return self.tally
        self.exit_routine(cr3=0)
        if self.spec.entry.exit_loads_cr3:
            self.exit_routine(cr3=_EXIT_CR3)
        self.halt_routine()
        return self.tally

    def _prepare(self) -> None:
        """Set the CPU up as the kernel would before the first interrupt."""

    def _other_entries(self) -> bool:
        """Run the architecture's entries besides the vectors; False: too many failures to go on."""
        return True

    # -- what can be read without running -----------------------------------------
    @abstractmethod
    def static_checks(self) -> None:
        """What the image shows without running it."""

    def _symbol(self, name: str) -> int | None:
        address = self.emu.image.symbols.get(name)
        if address is None:
            self._check(False, f"{name} is not in the image")
        return address

    def _dense_stubs(self) -> bool | None:
        """With ``stubs.style: dense``, whether every stub sits at the fixed stride (the
        first gap that does not is reported); None for other stub styles."""
        stride = stub_stride(self.spec)
        if stride is None:
            return None
        stubs = [(self.emu.stub_address(v.number), v.stub_symbol) for v in self.spec.vectors]
        for (a, name_a), (b, name_b) in pairwise(stubs):
            if not self._check(b - a == stride, f"dense stubs: {name_b} is {b - a} bytes after {name_a}, not {stride}"):
                return False
        return True

    # -- interrupts ------------------------------------------------------------
    @abstractmethod
    def interrupt(self, v: X86Vector, kernel: bool) -> bool:
        """One delivery of ``v`` from ring 0 or ring 3; False after the first mismatch."""

    @abstractmethod
    def _flags(self, stop: StopT) -> int:
        """(R|E)FLAGS where emulation stopped."""

    @abstractmethod
    def _slot(self, stop: StopT, frame: int, f: Field) -> int:
        """The value of frame field ``f`` of the frame at ``frame``."""

    def _frame_of(self, stop: StopT) -> int:
        """The frame the handler received."""
        return stop.first_argument

    def _delivered(self, v: X86Vector, kernel: bool, stop: StopT, where: str) -> str | None:
        """Count one delivery of ``v``; the handler it reached, None (reported) if not the
        one it must reach (``kernel_handler`` from ring 0)."""
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
            return None
        if v.kernel_handler:
            self.tally.saw("kernel_handler")
        return want

    def _interrupt_flag(
        self, v: X86Vector, flags: int, where: str, want: str, *, count: bool = True, interrupted_if: bool = True
    ) -> bool:
        """IF at the call into ``want``; a stub's ``cli`` is counted (with ``count``) where it shows."""
        clear = if_clear_at_handler(self.spec, v) or not interrupted_if
        is_set = bool(flags & EFLAGS_IF)
        ok = self._check(
            is_set != clear,
            f"{where}: IF is {'set' if is_set else 'clear'} at the call into {want} "
            f"({v.gate} gate, stubs.cli: {self.spec.stubs.cli})",
        )
        if ok and count and self.spec.stub_clears_if(v) and gate_type(self.spec, v) is GateType.TRAP:
            self.tally.saw("stub cli")  # observable on trap gates only: interrupt gates clear IF anyway
        if ok and count and self.spec.reenables_interrupts(v):
            self.tally.saw("trap gate as interrupt gate + sti")
        return ok

    def _cleared(self, stop: StopT, where: str, want: str, regs: Mapping[str, int]) -> bool:
        """``entry.clear_registers``: no interrupted value of a saved register is left at the call."""
        if not self.spec.entry.clear_registers:
            return True
        leaked = {value: name for name, value in regs.items() if name in self.saved}
        for name, value in stop.state.gprs.items():
            if value in leaked:
                return self._check(
                    False,
                    f"{where}: clear_registers: {name} still holds the interrupted {leaked[value]} "
                    f"({value:#x}) at the call into {want}",
                )
        self.tally.saw("clear_registers")
        return True

    def _frame_fields(
        self,
        stop: StopT,
        frame: int,
        expected: Mapping[str, int],
        regs: Mapping[str, int],
        where: str,
        kernel: bool = False,
    ) -> bool:
        """Each frame field with an ``expected`` value holds it (fields the CPU pushes
        only on a ring change are left out for ring-0 interruptions)."""
        pushal = [f for f in self.layout.fields if f.block == "pushal"]
        if pushal:
            # pushad stores the ESP it found: the address just above its own block
            expected = dict(expected, pushal_esp=frame + max(f.end for f in pushal))
        if self.spec.frame.has_frame_pointer and not self._frame_pointer_at_call(stop, frame, regs, where):
            return False
        fp = self.spec.arch.frame_pointer
        if fp in regs:
            expected = dict({"frame_pointer": regs[fp]}, **expected)
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

    def _frame_pointer_at_call(self, stop: StopT, frame: int, regs: Mapping[str, int], where: str) -> bool:
        """rbp/ebp points at the frame-pointer slot at the call: the interrupted frame
        pointer, then the interrupted instruction pointer, like a call frame."""
        fp = self.spec.arch.frame_pointer
        slot = frame + self.layout.offset("frame_pointer")
        got = stop.state.gprs[fp]
        ok = self._check(
            got == slot,
            f"{where}: {fp} = {got:#x}{_who_holds(got, regs)} at the call, "
            f"expected the frame-pointer slot at {slot:#x}",
        )
        if ok:
            self.tally.saw("frame_pointer")
        return ok

    # -- the return --------------------------------------------------------------
    def _rewrite_saved(self, frame: int) -> dict[str, int]:
        """Write new values into every saved register slot of the frame, as a handler may; the values."""
        new = self._regs()
        for f in self.gpr_fields:
            self.emu.write_word(frame + f.offset, new[f.role])
        return new

    def _resume(
        self,
        v: X86Vector,
        stop: StopT,
        where: str,
        kernel: bool,
        regs: Mapping[str, int],
        *,
        rewrite: Callable[[int], None],
        check: Callable[[StopT, dict[str, int]], bool],
    ) -> bool:
        """The handler rewrites every saved register (and what ``rewrite`` writes given the
        frame) and clobbers the scratch registers; ``check`` judges the resumed state
        against the registers it must hold (a saved one its slot's new value, another its
        interrupted value)."""
        returns = self.spec.handler.returns
        if returns is ReturnModel.NORETURN:
            return True  # a handler that never returns: the exit routine is proven separately
        frame = self._frame_of(stop)
        new = self._rewrite_saved(frame)
        rewrite(frame)
        clobber = {r: self.rng.getrandbits(8 * self.emu.WORD) for r in self.emu.CALLER_SAVED}
        ret = frame if returns is ReturnModel.FRAME else None
        # where the exit must disable interrupts, the handler returns with them enabled
        guarded = self.exit_disables_interrupts()
        self.emu.if_trace = [] if guarded else None
        try:
            back: StopT = self.emu.return_from_handler(ret, clobber=clobber, interrupts_enabled=guarded)
        except EmulationError as exc:
            return self._check(False, f"{where}: after the handler returned: {exc}")
        finally:
            trace, self.emu.if_trace = self.emu.if_trace, None
        if kernel and v.kernel_handler and self.spec.entry.kernel_fault is KernelFault.HALT:
            return self._check_halted(back, f"{where}, after {v.kernel_handler} returned (kernel_fault: halt)")
        if guarded and not self._exit_ran_with_interrupts_disabled(trace, f"{where}, returning"):
            return False
        want = {r: new[r] if r in self.saved else regs[r] for r in self.emu.GPRS}
        return check(back, want)

    def exit_disables_interrupts(self) -> bool:
        """Whether the exit path must disable interrupts before it moves the stack pointer:
        with swapgs (an interrupt after the exit's swapgs would see the user GS base), a
        SIMD area (an interrupt would push its frame over the area below the frame) or a
        syscall entry (sysretq's path runs in ring 0 on the user stack)."""
        simd = any(v.simd is not SimdPolicy.NONE for v in self.spec.vectors)
        return self.spec.entry.swapgs or simd or self.spec.syscall is not None

    def _exit_ran_with_interrupts_disabled(self, trace: list[bool] | None, where: str, first: int = 0) -> bool:
        """Entered with IF set, the exit path must clear it at its first instruction
        (instruction ``first``: the exit routine may start with endbr64)."""
        late = [i for i, enabled in enumerate(trace or []) if enabled and i > first]
        ok = self._check(
            not late,
            f"{where}: interrupts are still enabled at instruction {late[0] if late else 0} of the exit path "
            "(it must start with cli: an interrupt there would reach a handler with the user GS base, "
            "or push its frame over the SIMD area below the frame)",
        )
        if ok:
            self.tally.saw("exit with IF clear")
        return ok

    def _resumed_registers(self, back: StopT, want: Mapping[str, int], where: str) -> bool:
        """The interrupted code resumed with each register in ``want`` holding its value."""
        if not self._check(back.resumed, f"{where}: reached {back.symbol} instead of the interrupted code"):
            return False
        for name in self.emu.GPRS:
            if name not in want:
                continue
            got = back.state.gprs[name]
            if got != want[name]:
                source = "from the frame" if name in self.saved else "(not saved: the handler preserves it)"
                return self._check(
                    False, f"{where}: {name} = {got:#x}{_who_holds(got, want)}, expected {want[name]:#x} {source}"
                )
        return True

    def _count_return(self, via_iret: bool) -> None:
        if via_iret:
            self.tally.iretq_returns += 1
        else:
            self.tally.exit_routine_resumes += 1

    def _check_halted(self, back: StopT, where: str) -> bool:
        if not self._check(back.halted, f"{where}: reached {back.symbol or 'the interrupted code'}, not hlt"):
            return False
        live = sorted(r for r, value in back.state.gprs.items() if value)
        ok = self._check(not live, f"{where}: {', '.join(live)} not cleared before hlt")
        ok &= self._check(not self._flags(back) & EFLAGS_IF, f"{where}: interrupts are enabled at hlt")
        if ok:
            self.tally.saw("halt")
        return ok

    # -- other entry points ---------------------------------------------------------
    def _cr3(self) -> int:
        from unicorn import x86_const

        value: int = self.emu.uc.reg_read(x86_const.UC_X86_REG_CR3)
        return value

    def _set_cr3(self, value: int) -> None:
        from unicorn import x86_const

        self.emu.uc.reg_write(x86_const.UC_X86_REG_CR3, value)

    @abstractmethod
    def _exit_call(self, address: int, name: str, root: int, on_stack: bool) -> ExitCall[StopT]:
        """Build a frame by hand and say how to call the exit routine ``name`` at
        ``address`` on it: with ESP/RSP at the frame when ``on_stack``, else with the
        frame and the page-table root ``root`` as its arguments."""

    def exit_arguments(self, frame: int, root: int) -> tuple[tuple[int, ...], str]:
        """The exit routine's arguments in ``entry.exit_args`` order (a root the routine
        does not take follows them, where it must be ignored), and how the call reads."""
        args = self.spec.entry.exit_args
        values = {"frame": frame, "cr3": root}
        shown = {"frame": "frame", "cr3": f"{root:#x}"}
        order = args if "cr3" in args else (*args, "cr3")
        return tuple(values[a] for a in order), ", ".join(shown[a] for a in order)

    def exit_routine(self, cr3: int) -> None:
        """Call the exit routine on a frame built by hand (a new thread's first switch);
        ``cr3`` is its second argument (a page-table root, 0 = keep)."""
        entry = self.spec.entry
        name = self.spec.symbols.exit
        address = self._symbol(name)
        if address is None:
            return
        on_stack = entry.exit_frame is ExitFrame.STACK
        call = self._exit_call(address, name, cr3 if entry.exit_loads_cr3 else _IGNORED_CR3, on_stack)
        before = self._cr3()
        try:
            back = call.run()
        except EmulationError as exc:
            self._check(False, f"{call.what}: {exc}")
            return
        finally:
            after = self._cr3()
            self._set_cr3(before)
        if call.resumed(back) and on_stack:
            self.tally.saw("exit_frame stack")
        expected_cr3 = cr3 if entry.exit_loads_cr3 and cr3 else before
        if (
            self._check(
                after == expected_cr3,
                f"{call.what}: exit_loads_cr3: CR3 is {after:#x}, expected {expected_cr3:#x}",
            )
            and entry.exit_loads_cr3
        ):
            self.tally.saw("exit_loads_cr3")

    @abstractmethod
    def _call_halt(self, address: int) -> StopT:
        """Call the halt routine at ``address`` with random registers and IF set."""

    def halt_routine(self) -> None:
        """The halt routine, called directly, clears every register and halts with IF clear."""
        name = self.spec.entry.halt
        address = self._symbol(name)
        if address is None:
            return
        try:
            back = self._call_halt(address)
        except EmulationError as exc:
            self._check(False, f"{name}(): {exc}")
            return
        self._check_halted(back, f"{name}()")
