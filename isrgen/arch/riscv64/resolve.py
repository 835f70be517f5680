"""Located YAML -> :class:`~.options.Riscv64Options`, every problem reported at its key.

Two passes, both collecting: the JSON schema (:mod:`.schema`) checks shapes and names, then the
semantic pass checks what a schema cannot (registers saved once, offsets inside the frame,
protocols and the options they need).  All problems are raised together as one ``SpecError``.
"""

from __future__ import annotations

import re
import string
from typing import Any

import attrs
import jsonschema

from ...diagnostics import Diagnostic, SpecError
from ...spec.identifiers import RUST_KEYWORDS, reserved_reason, rust_type_name
from ...spec.resolve.special_sections import special_section_reason
from ...spec.yamlsource import Document, Locations, Path, parse_yaml
from .c_view import FP_MEMBERS, TAIL_MEMBER, header_macros
from .defaults import default
from .facts import (
    ABI_NAMES,
    ALIASES,
    CSRS,
    FPRS,
    GLOBAL_POINTER_SYMBOL,
    GPRS,
    MIP_STIP,
    PAGE_SIZE,
    SIP_SSIP,
    STACK_ALIGN,
    TVEC_BASE_ALIGN,
    WORD,
    Mode,
    TvecMode,
)
from .options import (
    Dispatch,
    FpArea,
    Frame,
    Handler,
    Hardening,
    KernelEntry,
    MachineTimer,
    Returns,
    Riscv64Options,
    Role,
    Slot,
    StackProtocol,
    Symbols,
    Syscall,
    ThreadPointerOffsets,
    Trampoline,
    Vector,
)
from .schema import SCHEMA
from .symbol_names import symbol_reason, underscore_upper_reason

_C_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYMBOL = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*")
_SECTION = re.compile(r"\.?[A-Za-z_][A-Za-z0-9_.$-]*")
_PREFIX = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)?")
#: sections the assembler gives data (or no-bits) flags of its own
_DATA_SECTIONS = (".data", ".bss", ".rodata", ".sdata", ".sbss", ".srodata", ".sdata2", ".sbss2", ".tdata", ".tbss")
_SPECIAL_CODE_SECTIONS = (".init", ".fini")
#: what the prover's harness defines next to the glue
_HARNESS_NAMES = frozenset(("_start",))
_CSR_ROLE = {"epc": Role.EPC, "status": Role.STATUS, "tval": Role.TVAL, "cause": Role.CAUSE}
_TRAMPOLINE_ROLES = (Role.KERNEL_SATP, Role.KERNEL_SP, Role.KERNEL_TRAP, Role.KERNEL_HARTID)
#: names an assembler reads as registers or CSRs, never as symbols
_ASM_NAMES = frozenset(
    (
        *ABI_NAMES,
        *ALIASES,
        *FPRS,
        "fcsr",
        "satp",
        "sip",
        "mip",
        "mideleg",
        "medeleg",
        *(name for csrs in CSRS.values() for name in attrs.astuple(csrs) if isinstance(name, str)),
    )
)
#: addi sp, sp, -size and sd reg, offset(sp) take 12-bit signed immediates (unprivileged spec 2.4)
MAX_FRAME = 2048
#: what :meth:`_Resolver.find` returns for a key the spec does not write (or the schema refused)
_ABSENT = object()


def _schema_diagnostics(data: Any, loc: Locations) -> tuple[list[Diagnostic], set[Path]]:
    diags: list[Diagnostic] = []
    bad: set[Path] = set()
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for error in validator.iter_errors(data):
        path: Path = tuple(error.absolute_path)
        at_key = False
        message = error.message
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = error.schema.get("properties", {})
            for key in error.instance:
                if key not in allowed:
                    diags.append(
                        loc.error(path + (key,), f"unknown key '{key}' (allowed: {', '.join(allowed)})", at_key=True)
                    )
                    bad.add(path + (key,))
            continue
        if error.validator == "required":
            at_key = bool(path)
        if error.validator == "oneOf":
            message = f"{error.instance!r} is not a valid slot (a name or a mapping with name/holds or pad)"
        diags.append(loc.error(path, message, at_key=at_key))
        bad.add(path)
    return diags, bad


class _Resolver:
    def __init__(self, data: dict[str, Any], loc: Locations, bad: set[Path]):
        self.data = data
        self.loc = loc
        self.bad = bad
        self.diags: list[Diagnostic] = []
        self.mode = Mode(data.get("mode", default(("mode",))) if ("mode",) not in bad else default(("mode",)))
        self.prefix = self.get(("symbols", "prefix"))

    def err(self, path: Path, message: str, *, at_key: bool = False) -> None:
        self.diags.append(self.loc.error(path, message, at_key=at_key))

    def has(self, path: Path) -> bool:
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        return True

    def refused(self, path: Path) -> bool:
        """Whether the schema refused the value at ``path`` or one around it."""
        return any(path[: len(b)] == b for b in self.bad)

    def find(self, path: Path) -> Any:
        """The value at ``path`` if present and accepted by the schema, else ``_ABSENT``."""
        if self.refused(path):
            return _ABSENT
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return _ABSENT
            node = node[key]
        return node

    def given(self, path: Path) -> Any:
        """The value at ``path`` if present and accepted by the schema, else None."""
        value = self.find(path)
        return None if value is _ABSENT else value

    def get(self, path: Path) -> Any:
        """The value at ``path`` if present and accepted by the schema, else its default (:mod:`.defaults`)."""
        value = self.find(path)
        return default(path) if value is _ABSENT else value

    def symbol(self, path: Path) -> str:
        """The symbol at ``path`` (its default pattern if absent), ``{prefix}`` expanded."""
        return self.expand_symbol(path, str(self.get(path)), default(path))

    def expand_symbol(self, path: Path, pattern: str, fallback: str) -> str:
        """``pattern`` with ``{prefix}`` expanded, checked; ``fallback``'s expansion if it is no pattern."""
        try:
            fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(pattern) if f is not None]
        except ValueError:
            fields = [("", None, None)]
        if any(f != "prefix" or spec or conv for f, spec, conv in fields):
            self.err(path, f"bad pattern {pattern!r}: only {{prefix}} may be used")
            return fallback.format(prefix=self.prefix)
        name = pattern.format(prefix=self.prefix)
        if not _SYMBOL.fullmatch(name):
            self.err(path, f"{name!r} is not a valid symbol name")
        else:
            reason = symbol_reason(name, _ASM_NAMES) or (
                f"{name!r} is a macro the C header defines" if name in header_macros(self.prefix) else None
            )
            if reason:
                self.err(path, f"invalid symbol name: {reason}")
        return name

    # --- frame -------------------------------------------------------------------------

    def frame(self, path: Path, *, on_stack: bool, trampoline: bool) -> Frame:
        layout = self.get(path + ("layout",))
        struct = self.symbol(path + ("struct",))
        if not _C_IDENT.fullmatch(struct):
            self.err(path + ("struct",), f"{struct!r} is not a C identifier")
        elif reason := reserved_reason(struct, frozenset(), header_macros(self.prefix)) or underscore_upper_reason(
            struct
        ):
            self.err(path + ("struct",), f"invalid struct name: {reason}")
        elif (rust := rust_type_name(struct)) in ("", "Self") or rust in RUST_KEYWORDS:
            self.err(path + ("struct",), f"invalid struct name: its Rust type name would be {rust!r}")
        slots: list[Slot] = []
        offset = 0
        names: dict[str, Path] = {}
        holds: dict[str, Path] = {}
        for i, raw in enumerate(layout if isinstance(layout, list) else []):
            p = path + ("layout", i)
            slot = self.slot(p, raw, offset, trampoline=trampoline)
            if slot is None:
                continue
            if slot.name in names:
                self.err(p, f"field name '{slot.name}' is used twice (first at {self.loc.of(names[slot.name])})")
            names[slot.name] = p
            if slot.role is not Role.PAD:
                if slot.holds in holds:
                    self.err(p, f"'{slot.holds}' is saved twice (first at {self.loc.of(holds[slot.holds])})")
                holds[slot.holds] = p
            slots.append(slot)
            offset += slot.size
        missing = [r for r in GPRS if r not in holds]
        if layout and missing:
            self.err(
                path + ("layout",),
                "the frame must hold every register x1-x31 (the trapped code resumes "
                f"with all of them); missing: {', '.join(missing)}",
            )
        fp: FpArea | None = None
        if self.get(path + ("fp",)):
            fp = FpArea(offset)
            offset += FpArea.size
        align = STACK_ALIGN if on_stack else WORD
        size = -(-offset // align) * align
        declared = self.given(path + ("size",))
        if declared is not None:
            if declared < offset:
                self.err(path + ("size",), f"size {declared} is smaller than the {offset} bytes the slots take")
            elif declared % align:
                why = "the psABI keeps sp 16-byte aligned" if on_stack else "slots are 8 bytes"
                self.err(path + ("size",), f"size {declared} is not a multiple of {align} ({why})")
            else:
                size = declared
        if size > MAX_FRAME:
            self.err(
                path + ("layout",),
                f"the frame takes {size} bytes; at most {MAX_FRAME} (the entry reaches "
                "every slot with a 12-bit signed offset)",
            )
        return Frame(struct, tuple(slots), size, fp)

    def slot(self, p: Path, raw: Any, offset: int, *, trampoline: bool) -> Slot | None:
        src = self.loc.of(p)
        if isinstance(raw, str):
            name, what = raw, raw
        elif isinstance(raw, dict):
            if "pad" in raw:
                size = raw["pad"]
                if set(raw) - {"pad", "name"}:
                    self.err(p, "a pad takes only 'pad' and 'name'")
                    return None
                if not isinstance(size, int) or size % WORD:
                    self.err(p + ("pad",), f"a pad is a multiple of {WORD} bytes")
                    return None
                name = str(raw.get("name", default(p[:-1] + ("name",)).format(offset=offset)))
                if not self.field_name_ok(p + ("name",) if "name" in raw else p, name):
                    return None
                return Slot(name, offset, size, role=Role.PAD, source=src)
            if "name" not in raw or "holds" not in raw:
                self.err(p, "a renamed slot needs both 'name' and 'holds'")
                return None
            name, what = str(raw["name"]), str(raw["holds"])
        else:
            return None
        if not self.field_name_ok(p, name):
            return None
        if what == "pad":
            return Slot(name, offset, WORD, role=Role.PAD, source=src)
        if what in GPRS:
            return Slot(name, offset, register=what, source=src)
        csr_prefix = "s" if self.mode is Mode.SUPERVISOR else "m"
        if what[:1] in "sm" and what[1:] in _CSR_ROLE:
            if what[0] != csr_prefix:
                self.err(
                    p,
                    f"'{what}' is a {'machine' if what[0] == 'm' else 'supervisor'}-mode CSR; this "
                    f"spec traps into {self.mode} mode ({csr_prefix}{what[1:]})",
                )
                return None
            what = what[1:]
        if what in _CSR_ROLE:
            return Slot(name, offset, role=_CSR_ROLE[what], source=src)
        try:
            role = Role(what)
        except ValueError:
            self.err(
                p,
                f"unknown slot '{what}' (a register ra..t6, {csr_prefix}epc, {csr_prefix}status, "
                f"{csr_prefix}tval, {csr_prefix}cause, orig_a0, pad or a trampoline word)",
            )
            return None
        if role in _TRAMPOLINE_ROLES and not trampoline:
            self.err(p, f"'{what}' belongs in a kernel_switch frame (the user entry loads it)")
            return None
        return Slot(name, offset, role=role, source=src)

    def field_name_ok(self, p: Path, name: str) -> bool:
        """A struct member name valid in C, C++ and Rust and distinct from what the header adds."""
        if not _C_IDENT.fullmatch(name):
            self.err(p, f"field name {name!r} is not a C identifier")
            return False
        reason = reserved_reason(name, frozenset(), header_macros(self.prefix)) or underscore_upper_reason(name)
        if name == "_":
            reason = "'_' is not a field name in Rust"
        elif name in (*FP_MEMBERS, TAIL_MEMBER) or name.startswith("_isrgen"):
            reason = f"'{name}' is a member the generated struct adds itself (f, fcsr, _isrgen_*)"
        if reason:
            self.err(p, f"invalid field name: {reason}")
            return False
        return True

    def handler(self, path: Path, *, no_args: bool = False) -> Handler:
        """The handler block at ``path``; ``no_args``: its args default to none (a kernel_switch user entry)."""
        symbol = self.symbol(path + ("symbol",))
        returns = Returns(self.get(path + ("returns",)))
        args = tuple(self.get(path + ("args",)))
        if no_args and self.given(path + ("args",)) is None:
            args = ()
        if returns is Returns.FRAME and "frame" not in args:
            self.err(path + ("returns",), "returns: frame needs the frame among the args")
        if len(set(args)) != len(args):
            self.err(path + ("args",), "an argument is listed twice")
        dispatch = None
        if self.has(path + ("dispatch",)):
            d = path + ("dispatch",)
            for key in ("interrupts", "exceptions"):
                if self.given(d + (key,)) == 0:
                    self.err(
                        d + (key,),
                        f"{key}: 0 declares an empty table (at least 1 entry; causes past "
                        "a table go to the handler's symbol)",
                    )
            dispatch = Dispatch(
                self.symbol(d + ("interrupt_table",)),
                self.get(d + ("interrupts",)),
                self.symbol(d + ("exception_table",)),
                self.get(d + ("exceptions",)),
            )
        return Handler(symbol, returns, args, dispatch)

    def regs(self, path: Path, frame: Frame) -> tuple[str, ...]:
        regs = () if self.refused(path) else tuple(self.get(path))
        for i, r in enumerate(regs):
            if r in regs[:i]:
                self.err(path + (i,), f"'{r}' is listed twice")
            elif frame.slot_of_register(r) is None and r in GPRS:
                self.err(path + (i,), f"'{r}' is not in the frame")
        return regs

    # --- the whole spec ----------------------------------------------------------------

    def resolve(self) -> Riscv64Options:
        symbols = Symbols(
            self.prefix,
            self.symbol(("symbols", "entry")),
            self.symbol(("symbols", "exit")),
            self.symbol(("symbols", "vector")),
        )
        protocol = StackProtocol(self.get(("stack", "protocol")))
        trampoline = self.trampoline(protocol)
        switch = protocol is StackProtocol.KERNEL_SWITCH
        frame = self.frame(("frame",), on_stack=not switch, trampoline=switch)
        if frame.slots and frame.slot_of_role(Role.EPC) is None:
            epc = "sepc" if self.mode is Mode.SUPERVISOR else "mepc"
            self.err(("frame", "layout"), f"the frame must hold the trap pc ({epc})")
        if switch:
            # the hart id is optional: a uniprocessor kernel (rCore-Tutorial) keeps none
            needed = (
                (Role.KERNEL_SATP, Role.KERNEL_SP, Role.KERNEL_TRAP)
                if trampoline is not None
                else (Role.KERNEL_SP, Role.KERNEL_TRAP)
            )
            missing = [str(r) for r in needed if frame.slot_of_role(r) is None]
            if missing and frame.slots:
                self.err(("frame", "layout"), f"a kernel_switch frame holds {', '.join(missing)} for the user entry")
            if trampoline is None and frame.slot_of_role(Role.KERNEL_SATP) is not None:
                self.err(("frame", "layout"), "kernel_satp needs a trampoline (only a trampoline switches satp)")
        if trampoline is not None:
            if frame.size > trampoline.page_size:
                self.err(("frame",), f"the trampoline frame ({frame.size} bytes) does not fit its page")
        handler = self.handler(("handler",), no_args=switch)
        if switch and handler.dispatch is not None:
            self.err(
                ("handler", "dispatch"), "the trampoline jumps to the frame's kernel_trap (no tables)", at_key=True
            )
        if switch and (handler.returns is not Returns.NORETURN or handler.args):
            self.err(
                ("handler",),
                "the user entry jumps to the handler: returns: noreturn, args: [] (it leaves through userret)",
                at_key=True,
            )
        hardening = self.hardening(frame)
        if switch and hardening.gp_reload:
            self.err(
                ("entry", "gp_reload"),
                "a kernel_switch user entry does not reload gp (lla is pc-relative "
                "and a trampoline runs at its alias): load gp in the kernel handler",
            )
        tp_offsets = self.tp_offsets(protocol, frame)
        syscall = self.syscall(frame, protocol)
        kernel_entry = self.kernel_entry(protocol)
        vector = self.vector(protocol)
        code = self.get(("sections", "code"))
        if not _SECTION.fullmatch(code):
            self.err(("sections", "code"), f"{code!r} is not a section name")
        if self.mode is Mode.MACHINE and protocol is not StackProtocol.SCRATCH_SP:
            self.err(("stack", "protocol"), "machine mode supports the scratch_sp protocol (mscratch)")
        self.section_ok(("sections", "code"), code)
        if trampoline is not None:
            self.section_ok(("trampoline", "section"), trampoline.section)
            if trampoline.section == code:
                self.err(
                    ("trampoline", "section"),
                    f"the trampoline needs a section of its own ({code!r} holds the kernel entry)",
                )
        if not _PREFIX.fullmatch(self.prefix) and ("symbols", "prefix") not in self.bad:
            self.err(
                ("symbols", "prefix"),
                f"prefix {self.prefix!r} is not the start of a C identifier (it also starts the header's macros)",
            )
        options = Riscv64Options(
            self.mode,
            symbols,
            code,
            vector,
            protocol,
            frame,
            handler,
            hardening,
            tp_offsets,
            syscall,
            trampoline,
            kernel_entry,
            self.machine_timer(),
            self.outputs(),
        )
        self.distinct_symbols(options)
        self.distinct_structs(options)
        return options

    def section_ok(self, path: Path, name: str) -> None:
        """A section the assembler and linker take as ordinary code."""
        if not _SECTION.fullmatch(name):
            return
        reason = special_section_reason(name)
        data = next((d for d in _DATA_SECTIONS if name == d or name.startswith(d + ".")), None)
        if reason is None and data is not None:
            reason = f"the toolchain gives {data} sections data flags (llvm-mc refuses code there)"
        if reason is None and name in _SPECIAL_CODE_SECTIONS:
            reason = "start-up or exit code runs it as the body of the init or fini function"
        if reason:
            self.err(path, f"{name!r} cannot hold the trap code: {reason}")

    def outputs(self) -> tuple[tuple[str, str], ...]:
        raw = self.get(("outputs",))
        seen: dict[str, str] = {}
        for backend, filename in raw.items():
            p: Path = ("outputs", backend)
            if filename in ("", ".", "..") or str(filename).endswith("/"):
                self.err(p, f"output file name {filename!r} names no file")
            elif filename in seen:
                self.err(p, f"output file {filename!r} is also written by backend {seen[filename]!r}")
            seen[filename] = backend
        if not raw and ("outputs",) not in self.bad:
            self.err(("outputs",), "no outputs: name at least one backend")
        return tuple(sorted((str(k), str(v)) for k, v in raw.items()))

    def where(self, path: Path) -> Path:
        """``path`` if the spec writes it, else its nearest written parent (a default's key)."""
        while path and not self.has(path):
            path = path[:-1]
        return path

    def distinct_symbols(self, o: Riscv64Options) -> None:
        """Every global symbol the glue defines or calls names one thing."""
        named: list[tuple[Path, str, str]] = [(("symbols", "entry"), o.symbols.entry, "the entry")]
        if o.protocol is not StackProtocol.KERNEL_SWITCH or o.trampoline is None:
            named.append((("symbols", "exit"), o.symbols.exit, "the exit"))
        if o.vector.mode is TvecMode.VECTORED:
            named.append((("symbols", "vector"), o.symbols.vector, "the vector table"))
        if o.trampoline is not None:
            named += [
                (("trampoline", "userret"), o.trampoline.userret, "userret"),
                (("symbols", "prefix"), f"{o.symbols.prefix}trampoline", "the trampoline page's start"),
            ]
        if o.kernel_entry is not None:
            named += [
                (("kernel_entry", "symbol"), o.kernel_entry.symbol, "the kernel entry"),
                (("kernel_entry", "handler", "symbol"), o.kernel_entry.handler.symbol, "the kernel handler"),
            ]
        if o.machine_timer is not None:
            named.append((("machine_timer", "symbol"), o.machine_timer.symbol, "the machine timer entry"))
        named.append((("handler", "symbol"), o.handler.symbol, "the handler"))
        d = o.handler.dispatch
        if d is not None:
            named += [
                (("handler", "dispatch", "interrupt_table"), d.interrupt_table, "the interrupt table"),
                (("handler", "dispatch", "exception_table"), d.exception_table, "the exception table"),
            ]
        if o.syscall is not None and o.syscall.handler is not None:
            named.append((("syscall", "handler"), o.syscall.handler, "the system call handler"))
        first: dict[str, tuple[Path, str]] = {}
        for path, name, what in named:
            if name in first:
                other_path, other = first[name]
                self.err(
                    self.where(path),
                    f"'{name}' names both {other} (at {self.loc.of(self.where(other_path))}) "
                    f"and {what}; each needs its own symbol",
                )
                continue
            first[name] = (path, what)
            if name in _HARNESS_NAMES or name.startswith("isrgen_"):
                self.err(self.where(path), f"'{name}' is reserved (isrgen's prover links its own {name})")
        for n, target in o.vector.targets:
            if target in first and target != o.symbols.entry:
                self.err(
                    ("vector", "interrupts", str(n))
                    if self.has(("vector", "interrupts", str(n)))
                    else ("vector", "interrupts", n),
                    f"slot {n} jumps to '{target}', which is {first[target][1]}: a vector slot jumps to an entry point",
                )

    def distinct_structs(self, o: Riscv64Options) -> None:
        if o.kernel_entry is None:
            return
        a, b = o.frame.struct, o.kernel_entry.frame.struct
        path = self.where(("kernel_entry", "frame", "struct"))
        if a == b:
            self.err(path, f"the kernel frame and the frame are both struct {a}")
        elif rust_type_name(a) == rust_type_name(b):
            self.err(path, f"struct {b} and struct {a} are both {rust_type_name(a)} in Rust")

    def machine_timer(self) -> MachineTimer | None:
        if not self.has(("machine_timer",)):
            return None
        p: Path = ("machine_timer",)
        if self.mode is Mode.MACHINE:
            self.err(p, "machine_timer forwards the tick to a supervisor-mode kernel (mode: supervisor)", at_key=True)
        offsets = []
        for key in ("mtimecmp_offset", "interval_offset"):
            value = self.get(p + (key,))
            if value % WORD:
                self.err(p + (key,), f"{key} {value} is not {WORD}-byte aligned")
            offsets.append(value)
        if offsets[0] == offsets[1]:
            self.err(p + ("interval_offset",), "the interval and mtimecmp's address share a word")
        bit = SIP_SSIP if self.get(p + ("forward",)) == "ssip" else MIP_STIP
        return MachineTimer(self.symbol(p + ("symbol",)), offsets[0], offsets[1], bit)

    def hardening(self, frame: Frame) -> Hardening:
        gp = self.get(("entry", "gp_reload"))
        gp_symbol = GLOBAL_POINTER_SYMBOL if gp is True else (gp if gp is not False else None)
        if isinstance(gp_symbol, str) and gp is not True:
            if not _SYMBOL.fullmatch(gp_symbol):
                self.err(("entry", "gp_reload"), f"{gp_symbol!r} is not a symbol")
            elif gp_symbol.lower() in _ASM_NAMES:
                self.err(("entry", "gp_reload"), f"'{gp_symbol}' is a register name in assembly, not a symbol")
        bits = self.get(("entry", "clear_status"))
        for i, bit in enumerate(bits):
            if bit in bits[:i]:
                self.err(("entry", "clear_status", i), f"'{bit}' is listed twice")
        no_restore = self.regs(("entry", "no_restore"), frame)
        for i, r in enumerate(no_restore):
            if r == "sp":
                self.err(("entry", "no_restore", i), "sp is always restored (it is how the entry finds the frame)")
        return Hardening(
            clear_registers=bool(self.get(("entry", "clear_registers"))),
            gp_reload=gp_symbol,
            clear_status=tuple(bits),
            clear_reservation=bool(self.get(("entry", "clear_reservation"))),
            no_restore=no_restore,
            cfi=bool(self.get(("entry", "cfi"))),
            compressed=bool(self.get(("entry", "compressed"))),
        )

    def tp_offsets(self, protocol: StackProtocol, frame: Frame) -> ThreadPointerOffsets | None:
        keys = ("kernel_sp_offset", "user_sp_offset")
        if protocol is not StackProtocol.THREAD_POINTER:
            for k in keys:
                if self.has(("stack", k)):
                    self.err(("stack", k), f"{k} belongs to the thread_pointer protocol", at_key=True)
            return None
        values = []
        for k in keys:
            if not self.has(("stack", k)):
                self.err(("stack", "protocol"), f"the thread_pointer protocol needs stack.{k}")
            v = self.get(("stack", k))
            if v % WORD:
                self.err(("stack", k), f"{k} {v} is not {WORD}-byte aligned")
            values.append(v)
        if values[0] == values[1] and all(self.has(("stack", k)) for k in keys):
            self.err(("stack", "user_sp_offset"), "user_sp_offset and kernel_sp_offset are the same word")
        return ThreadPointerOffsets(values[0], values[1])

    def syscall(self, frame: Frame, protocol: StackProtocol) -> Syscall | None:
        if not self.has(("syscall",)):
            return None
        handler: str | None = None
        if protocol is StackProtocol.KERNEL_SWITCH:
            if self.has(("syscall", "handler")):
                self.err(
                    ("syscall", "handler"),
                    "with kernel_switch every trap from U-mode reaches the frame's "
                    "kernel_trap, which tells a system call by scause (no syscall handler)",
                    at_key=True,
                )
            if frame.slots and frame.slot_of_role(Role.CAUSE) is None:
                self.err(
                    ("syscall",),
                    "a kernel_switch syscall: block needs scause in the frame (the return "
                    "path tells a system call's return by it)",
                    at_key=True,
                )
        elif not self.has(("syscall", "handler")):
            self.err(("syscall",), "a syscall: block needs a handler (the function the entry calls)", at_key=True)
        else:
            handler = self.symbol(("syscall", "handler"))
        restore: Path = ("syscall", "restore")
        return Syscall(handler, self.regs(restore, frame) if self.has(restore) else tuple(self.get(restore)))

    def trampoline(self, protocol: StackProtocol) -> Trampoline | None:
        if not self.has(("trampoline",)):
            return None
        if protocol is not StackProtocol.KERNEL_SWITCH:
            self.err(("trampoline",), "a trampoline needs stack.protocol: kernel_switch", at_key=True)
        if self.mode is Mode.MACHINE:
            self.err(("trampoline",), "a trampoline switches satp: supervisor mode only", at_key=True)
        page = self.get(("trampoline", "page_size"))
        if page < PAGE_SIZE or page & (page - 1):
            self.err(("trampoline", "page_size"), f"page_size {page} is not a power of two >= {PAGE_SIZE}")
            page = PAGE_SIZE
        address = self.get(("trampoline", "address"))
        frame_address = self.get(("trampoline", "frame_address"))
        for key, value in (("address", address), ("frame_address", frame_address)):
            if value % page:
                self.err(("trampoline", key), f"{value:#x} is not aligned to the {page}-byte page")
            if value >= 1 << 64:
                self.err(("trampoline", key), f"{value:#x} is not a 64-bit address")
        if address == frame_address and self.has(("trampoline", "address")):
            self.err(("trampoline", "frame_address"), "the frame and the trampoline share a page")
        section = self.get(("trampoline", "section"))
        if not _SECTION.fullmatch(section):
            self.err(("trampoline", "section"), f"{section!r} is not a section name")
        link_check = bool(self.get(("trampoline", "link_check")))
        if link_check and not _C_IDENT.fullmatch(section):
            self.err(
                ("trampoline", "section"),
                f"link_check needs a section name that is a C identifier "
                f"(the linker then defines __stop_{section}); set link_check: false otherwise",
            )
        args = tuple(self.get(("trampoline", "userret_args")))
        if "satp" not in args or len(set(args)) != len(args):
            self.err(
                ("trampoline", "userret_args"),
                f"userret_args {list(args)} must name satp once "
                "(userret switches to the user page table) and frame at most once",
            )
            args = tuple(default(("trampoline", "userret_args")))
        userret = self.symbol(("trampoline", "userret"))
        return Trampoline(section, address, frame_address, page, userret, link_check, args)

    def kernel_entry(self, protocol: StackProtocol) -> KernelEntry | None:
        if not self.has(("kernel_entry",)):
            if protocol is StackProtocol.KERNEL_SWITCH:
                self.err(("stack", "protocol"), "kernel_switch needs a kernel_entry: block")
            return None
        if protocol is not StackProtocol.KERNEL_SWITCH:
            self.err(("kernel_entry",), "kernel_entry belongs to stack.protocol: kernel_switch", at_key=True)
        path: Path = ("kernel_entry",)
        frame = self.frame(path + ("frame",), on_stack=True, trampoline=False)
        handler = self.handler(path + ("handler",))
        if handler.returns is Returns.NORETURN:
            self.err(path + ("handler", "returns"), "the kernel entry returns to the trapped kernel code")
        if handler.dispatch is not None:
            self.err(path + ("handler", "dispatch"), "handler tables are for the main entry", at_key=True)
        no_restore = self.regs(path + ("no_restore",), frame)
        if "sp" in no_restore:
            self.err(
                path + ("no_restore", no_restore.index("sp")),
                "sp is always restored (it is how the entry finds the frame)",
            )
        return KernelEntry(self.symbol(path + ("symbol",)), frame, handler, no_restore)

    def vector(self, protocol: StackProtocol) -> Vector:
        mode = TvecMode.VECTORED if self.get(("vector", "mode")) == "vectored" else TvecMode.DIRECT
        align = self.get(("sections", "align"))
        if align < TVEC_BASE_ALIGN or align & (align - 1) or align > PAGE_SIZE:
            self.err(
                ("sections", "align"),
                f"align {align} is not a power of two from {TVEC_BASE_ALIGN} "
                f"(stvec BASE, priv 4.1.2) to {PAGE_SIZE} (a page)",
            )
            align = TVEC_BASE_ALIGN
        slots = self.get(("vector", "slots"))
        targets: list[tuple[int, str]] = []
        raw = self.get(("vector", "interrupts"))
        if raw and mode is TvecMode.DIRECT:
            self.err(("vector", "interrupts"), "per-interrupt slots need vector.mode: vectored", at_key=True)
        if raw and protocol is StackProtocol.KERNEL_SWITCH:
            self.err(
                ("vector", "interrupts"),
                "with kernel_switch every slot jumps to the user entry (a jump "
                "out of the trampoline page would not survive its alias)",
                at_key=True,
            )
        for key, target in sorted(raw.items()):
            p: Path = ("vector", "interrupts", key)
            if not str(key).isdigit() or int(key) >= slots or int(key) == 0:
                self.err(
                    p, f"'{key}' is not an interrupt cause 1..{slots - 1} (slot 0 takes every exception)", at_key=True
                )
                continue
            if p not in self.bad:
                targets.append((int(key), self.expand_symbol(p, str(target), str(target))))
        return Vector(mode, slots, tuple(targets), align)


def resolve_document(doc: Document) -> Riscv64Options:
    """Validate a parsed riscv64 spec; raise ``SpecError`` listing every problem."""
    if not isinstance(doc.data, dict):
        raise SpecError([doc.locations.error((), "a spec is a mapping")])
    diags, bad = _schema_diagnostics(doc.data, doc.locations)
    resolver = _Resolver(doc.data, doc.locations, bad)
    try:
        options = resolver.resolve()
    except (TypeError, ValueError, AttributeError) as exc:  # a shape the schema already reported
        if not diags:
            raise SpecError([doc.locations.error((), f"cannot read the spec: {exc}")]) from None
        raise SpecError(diags) from None
    diags += resolver.diags
    if diags:
        raise SpecError(diags)
    return options


def load_riscv64_spec(text: str, filename: str) -> Riscv64Options:
    """Parse and validate a riscv64 spec given as text (``filename`` names it in messages)."""
    return resolve_document(parse_yaml(text, filename))
