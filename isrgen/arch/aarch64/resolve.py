"""Located YAML data -> :class:`~isrgen.arch.aarch64.options.Aarch64Spec`.

Two passes, both collecting every problem: the JSON Schema (types, enums, unknown
keys) and the semantic checks below (registers, duplicates, sizes, routing).  Each
problem is a :class:`~isrgen.diagnostics.Diagnostic` at the key or value that
causes it; nothing is built when there is one.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

import attrs
import jsonschema

from ...codegen.ir import Insn, Label
from ...codegen.ir import Visibility as IrVisibility
from ...diagnostics import Diagnostic, SpecError
from ...spec.identifiers import MAX_IDENTIFIER
from ...spec.resolve.special_sections import special_section_reason
from ...spec.yamlsource import Locations, Path, format_path, parse_yaml
from .codegen import build_program
from .codegen_entry import EntryBuilder
from .defaults import default
from .diagnostics_text import unsupported_backend_text
from .facts import GPRS, INSN_SIZE, SLOT_BY_NAME, SLOT_SIZE, SLOTS, STR_UNSIGNED_MAX_X, Origin, VectorSlot
from .layout import compute_layout
from .names import field_reason, header_guard, struct_reason, symbol_reason
from .options import (
    Aarch64Spec,
    Arg,
    ExitBarrier,
    Frame,
    FrameSlot,
    Handler,
    Hardening,
    Returns,
    Route,
    Sections,
    Stack,
    Symbols,
    Syscall,
    TableStyle,
    Use,
    Visibility,
)
from .schema import SCHEMA, SPECIAL_ROLES

#: roles a frame slot may hold besides the GPRs
#: roles that may span several 8-byte words, and may stand in the frame more than once
_SIZED_ROLES = ("pad", "reserved")
#: what the exit routine restores: the frame must hold all of it
REQUIRED_ROLES = (*GPRS, "sp", "elr", "spsr")
#: section names the toolchain gives non-executable attributes
_NOT_CODE_PREFIXES = (".rodata", ".data", ".bss", ".tbss", ".tdata", ".note", ".debug", ".comment")
#: the largest frame: the glue addresses every 8-byte field as [sp, #offset], and STR/LDR
#: (unsigned offset) reach at most STR_UNSIGNED_MAX_X (Arm ARM C6.2, STR (immediate))
MAX_FRAME_SIZE = STR_UNSIGNED_MAX_X + 8
#: the backends an aarch64 spec's ``outputs`` may name
BACKENDS = ("gas", "c", "rust", "gdb")
#: keys of a ``slots`` item that replace the signature of the handler its ``use`` names
_SLOT_HANDLER_KEYS = ("symbol", "returns", "args")
#: what :meth:`_Resolver.find` returns for a key the spec does not write (or the schema refused)
_ABSENT = object()


def _schema_diagnostics(data: Any, loc: Locations) -> tuple[list[Diagnostic], set[str]]:
    diags: list[Diagnostic] = []
    bad: set[str] = set()
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for error in validator.iter_errors(data):
        path: Path = tuple(error.absolute_path)
        bad.add(format_path(path))
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            for key in error.instance:
                if key not in known:
                    allowed = ", ".join(sorted(known))
                    diags.append(loc.error(path + (key,), f"unknown key '{key}' (allowed: {allowed})", at_key=True))
            continue
        if error.validator == "oneOf":
            hint = error.schema.get("description", "")
            diags.append(loc.error(path, f"{error.instance!r} is not valid here: {hint}"))
            continue
        if error.validator == "enum":
            choices = ", ".join(str(c) for c in error.validator_value)
            diags.append(loc.error(path, f"{error.instance!r} is not one of: {choices}"))
            continue
        diags.append(loc.error(path, error.message))
    return diags, bad


class _Resolver:
    def __init__(self, data: dict[str, Any], loc: Locations, bad: set[str]):
        self.data = data
        self.loc = loc
        self.bad = bad
        self.diags: list[Diagnostic] = []

    # -- helpers ---------------------------------------------------------------------
    def err(self, path: Path, message: str, *, at_key: bool = False) -> None:
        self.diags.append(self.loc.error(path, message, at_key=at_key))

    def ok(self, path: Path) -> bool:
        text = format_path(path)
        return not any(b == text or b.startswith(text + ".") or b.startswith(text + "[") for b in self.bad)

    def find(self, path: Path) -> Any:
        """The value at ``path`` if the spec writes it and the schema accepts it, else ``_ABSENT``."""
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return _ABSENT
            node = node[key]
        return node if self.ok(path) else _ABSENT

    def given(self, path: Path) -> Any:
        """The value at ``path`` if the spec writes it and the schema accepts it, else None."""
        value = self.find(path)
        return None if value is _ABSENT else value

    def get(self, path: Path) -> Any:
        """The value at ``path``, or its default (:mod:`.defaults`) if absent or refused."""
        value = self.find(path)
        return default(path) if value is _ABSENT else value

    def expand(
        self,
        path: Path,
        pattern: str,
        fields: dict[str, Any],
        reason: Callable[[str], str | None] = symbol_reason,
    ) -> str:
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
        except ValueError as exc:
            self.err(path, f"bad pattern {pattern!r}: {exc}")
            return pattern
        unknown = [n for n in names if n not in fields]
        if unknown:
            allowed = ", ".join("{" + f + "}" for f in fields)
            self.err(path, f"unknown field {{{unknown[0]}}} in {pattern!r} (allowed: {allowed})")
            return pattern
        value = pattern.format(**fields)
        why = reason(value)
        if why:
            self.err(path, why)
        return value

    # -- blocks ----------------------------------------------------------------------
    def symbols(self) -> Symbols:
        prefix = self.get(("symbols", "prefix"))
        if len(prefix) > MAX_IDENTIFIER:
            # said once here, not again at every name the prefix starts
            self.err(
                ("symbols", "prefix"), f"the prefix is {len(prefix)} characters long (names: at most {MAX_IDENTIFIER})"
            )
            prefix = default(("symbols", "prefix"))

        def one(key: str) -> str:
            return self.expand(("symbols", key), self.get(("symbols", key)), {"prefix": prefix})

        entry_pattern = self.get(("symbols", "entry"))
        before = len(self.diags)
        for s in SLOTS:
            self.expand(("symbols", "entry"), entry_pattern, {"prefix": prefix, "name": s.name, "n": s.number})
            if len(self.diags) != before:
                break
        if len(self.diags) == before:
            names = {entry_pattern.format(prefix=prefix, name=s.name, n=s.number) for s in SLOTS}
            if len(names) != len(SLOTS):
                self.err(("symbols", "entry"), f"{entry_pattern!r} gives two slots one entry symbol: use {{name}}")

        def vis(key: str) -> Visibility:
            return Visibility(self.get(("symbols", "visibility", key)))

        exit_sp = self.given(("symbols", "exit_sp"))
        return Symbols(
            prefix=prefix,
            table=one("table"),
            entry=entry_pattern.replace("{prefix}", prefix),
            exit=one("exit"),
            halt=one("halt"),
            exit_sp=self.expand(("symbols", "exit_sp"), exit_sp, {"prefix": prefix}) if exit_sp else None,
            table_visibility=vis("table"),
            entry_visibility=vis("entry"),
            exit_visibility=vis("exit"),
        )

    def sections(self) -> Sections:
        align = self.get(("sections", "code_align"))
        if align & (align - 1):
            self.err(("sections", "code_align"), f"{align} is not a power of two")
        sections = Sections(
            code=self.get(("sections", "code")),
            table=self.get(("sections", "table")),
            code_align=align,
        )
        for key in ("code", "table"):
            name = getattr(sections, key)
            special = special_section_reason(name)
            if name.startswith(_NOT_CODE_PREFIXES):
                self.err(("sections", key), f'{name} cannot hold code: the {key} is executed (emitted "ax")')
            elif special:
                self.err(("sections", key), f"{name} cannot hold the {key}: {special}")
        return sections

    def frame(self, prefix: str) -> Frame:
        # the items one by one (each checked below): a bad item must not hide the others
        block = self.data.get("frame")
        raw = block.get("layout") if isinstance(block, dict) else None
        renames = self.get(("frame", "renames"))
        slots: list[FrameSlot] = []
        paths: list[Path] = []
        first: dict[str, Path] = {}
        unnamed: dict[str, int] = {}
        unknown = 0  # items whose role cannot be told: the completeness check would only echo them
        dropped = 0  # refused items of a known role: the size checks would only echo them
        # a register written plainly is the one restored, wherever a named copy of it stands
        plain = {item for item in (raw if isinstance(raw, list) else []) if isinstance(item, str) and item in GPRS}
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            path: Path = ("frame", "layout", i)
            if not self.ok(path):
                unknown += 1
                continue
            name: str | None = None
            size = 8
            if isinstance(item, dict):
                role, name, size = item["holds"], item["name"], item.get("size", default(("frame", "layout", "size")))
                if role == "fpsimd":
                    self.err(path + ("name",), "the fpsimd area cannot be named: its fields are q0..q31, fpcr, fpsr")
                    unknown += 1
                    continue
            else:
                role = item
            if role not in GPRS and role not in SPECIAL_ROLES:
                hint = " (x31 is not a register: it encodes sp or xzr)" if role == "x31" else ""
                self.err(path, f"unknown register or slot {role!r}{hint}; allowed: x0..x30, {', '.join(SPECIAL_ROLES)}")
                unknown += 1
                continue
            if role == "record":
                size = 16  # {x29, elr}: AAPCS64 6.4.6 frame record
            elif size != 8 and role not in _SIZED_ROLES:
                self.err(path + ("size",), f"only a pad or reserved slot may have a size ({role} is 8 bytes)")
                dropped += 1
                continue
            if size % 8:
                self.err(path + ("size",), f"{role} size {size} is not a multiple of 8")
                dropped += 1
                continue
            copy = isinstance(item, dict) and role in GPRS and (role in plain or role in first)
            if role in first and role not in _SIZED_ROLES and not copy:
                prev = self.loc.of(first[role])
                self.err(
                    path,
                    f"duplicate slot {role!r} (first at line {prev.line}, column {prev.col}); "
                    "a second copy of a register needs a {name, holds} entry",
                )
                dropped += 1
                continue
            if not copy:
                first.setdefault(role, path)
            field = name or renames.get(role, role)
            if role in _SIZED_ROLES and name is None:
                unnamed[role] = unnamed.get(role, 0) + 1
                field = role if unnamed[role] == 1 else f"{role}{unnamed[role] - 1}"
            slots.append(FrameSlot(role, field, size, copy, self.loc.of(path)))
            paths.append(path)
        self.check_field_names(tuple(slots), paths, header_guard(prefix))
        for role in renames if isinstance(renames, dict) else []:
            if role not in GPRS and role not in SPECIAL_ROLES:
                self.err(("frame", "renames", role), f"{role!r} is not a register or slot name", at_key=True)
            elif role not in first and not unknown:
                self.err(("frame", "renames", role), f"{role!r} is not in frame.layout", at_key=True)
        if not isinstance(raw, list) or not raw or unknown:
            return Frame("frame", tuple(slots))
        missing = [r for r in REQUIRED_ROLES if r not in first]
        if missing:
            self.err(
                ("frame", "layout"),
                f"the frame must hold {', '.join(missing)}: the exit routine restores "
                "every general-purpose register, sp, elr and spsr",
                at_key=True,
            )
        struct_pattern = self.get(("frame", "struct"))
        frame = Frame(
            self.expand(("frame", "struct"), struct_pattern, {"prefix": prefix}, struct_reason),
            tuple(slots),
            self.loc.of(("frame",)),
        )
        layout = compute_layout(frame)
        if dropped:
            return frame
        if frame.has_fpsimd and layout.offset("q0") % 16:
            self.err(
                ("frame", "layout", self._index_of("fpsimd")),
                f"the fpsimd area starts at offset {layout.offset('q0')}: it must be 16-byte aligned (add a pad)",
            )
        if layout.size % 16:
            self.err(
                ("frame", "layout"),
                f"frame size {layout.size} is not a multiple of 16 (AAPCS64 6.4.5.1: "
                "the stack pointer is 16-byte aligned; add a pad)",
                at_key=True,
            )
        if layout.size > MAX_FRAME_SIZE:
            self.err(
                ("frame", "layout"),
                f"frame size {layout.size} is over {MAX_FRAME_SIZE} bytes: the glue stores each field "
                "at [sp, #offset], and STR/LDR reach offsets up to 32760 (Arm ARM C6.2)",
                at_key=True,
            )
        return frame

    def check_field_names(self, slots: tuple[FrameSlot, ...], paths: list[Path], guard: str) -> None:
        """Every struct member name once, and usable in C, C++ and Rust; located at its layout item."""
        seen: dict[str, Path] = {}
        for slot, path in zip(slots, paths, strict=True):
            renamed = slot.role in self.get(("frame", "renames"))
            at: Path = ("frame", "renames", slot.role) if renamed and not slot.copy else path
            names = (
                [slot.name] if slot.role != "fpsimd" else [f.name for f in compute_layout(Frame("f", (slot,))).fields]
            )
            for name in names:
                why = field_reason(name) or (
                    f"{name!r} is the C header's include guard macro" if name == guard else None
                )
                if why:
                    self.err(at, f"field name: {why}")
                elif name in seen and slot.role == "fpsimd":  # blame the name the user chose
                    self.err(seen[name], f"two fields are named {name!r} (the fpsimd area has a field {name!r})")
                elif name in seen:
                    prev = self.loc.of(seen[name])
                    self.err(at, f"two fields are named {name!r} (the first at line {prev.line}, column {prev.col})")
                seen.setdefault(name, at)

    def _index_of(self, role: str) -> int:
        block = self.data.get("frame")
        raw = block.get("layout") if isinstance(block, dict) else None
        return raw.index(role) if isinstance(raw, list) and role in raw else 0

    def stack(self) -> Stack:
        sp_el0 = self.get(("stack", "sp_el0"))
        return Stack(self.get(("stack", "source")), None if sp_el0 == "user" else sp_el0)

    def handler(self, key: str, *, noreturn: bool = False) -> Handler | None:
        # key by key: a bad returns must not hide a bad symbol
        block = self.data.get(key)
        if not isinstance(block, dict) or not self.ok((key, "symbol")) or not isinstance(block.get("symbol"), str):
            return None
        args = tuple(Arg(a) for a in self.get((key, "args")))
        self.check_args((key, "args"), args)
        why = symbol_reason(block["symbol"])
        if why:
            self.err((key, "symbol"), why)
        returns = Returns.NORETURN if noreturn else Returns(self.get((key, "returns")))
        return Handler(block["symbol"], returns, args, self.loc.of((key,)))

    def check_args(self, path: Path, args: tuple[Arg, ...]) -> None:
        if args and args[0] is not Arg.FRAME:
            self.err(path, "the first argument must be 'frame' (x0 = the frame, as the exit routine takes it)")
        if len(set(args)) != len(args):
            self.err(path, "an argument is listed twice")

    def routes(self, handler: Handler | None, kernel: Handler | None, bad: Handler | None, frame: Frame) -> list[Route]:
        uses: dict[int, Use] = {}
        own: dict[int, Handler] = {}
        no_fp: set[int] = set()
        where: dict[int, Path] = {}
        # the items one by one: a bad item must not hide the good ones (nor make the syscall
        # slot look unlisted)
        raw = self.data.get("slots") if self.ok(("slots",)) or isinstance(self.data.get("slots"), list) else []
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            path: Path = ("slots", i)
            if not isinstance(item, dict) or not all(self.ok(path + (k,)) for k in ("slot", *_SLOT_HANDLER_KEYS)):
                continue
            if "slot" not in item:
                continue
            use_ok = self.ok(path + ("use",))  # a bad use or fpsimd is the schema's error: the rest is checked
            slot = self.slot(item["slot"])
            if slot.number in where:
                prev = self.loc.of(where[slot.number])
                self.err(path + ("slot",), f"duplicate slot {slot.name} (first at line {prev.line}, column {prev.col})")
                continue
            use = Use(item.get("use", default(("slots", "use"))) if use_ok else default(("slots", "use")))
            if use is Use.KERNEL_HANDLER and kernel is None and "symbol" not in item:
                self.err(path + ("use",), "uses kernel_handler, but the spec declares no kernel_handler")
            if slot.origin is Origin.EL0_32 and use is not Use.BAD_MODE and use_ok:
                self.err(
                    path + ("slot",),
                    f"{slot.name}: AArch32 EL0 is not supported by the glue (its registers "
                    "are the AArch32 view); route it to bad_mode",
                )
            uses[slot.number] = use
            where[slot.number] = path
            chosen = {Use.HANDLER: handler, Use.KERNEL_HANDLER: kernel, Use.BAD_MODE: bad}[use]
            if any(k in item for k in _SLOT_HANDLER_KEYS):
                chosen = self.slot_handler(path, item, use, chosen)
                if chosen is not None:
                    own[slot.number] = chosen
            if item.get("fpsimd", default(("slots", "fpsimd"))) is False and self.ok(path + ("fpsimd",)):
                if not frame.has_fpsimd:
                    self.err(path + ("fpsimd",), "the frame has no fpsimd area to skip")
                elif chosen is not None and chosen.returns is Returns.FRAME:
                    self.err(
                        path + ("fpsimd",),
                        f"{chosen.symbol} returns a frame to resume (maybe another "
                        "task's): its FP/SIMD registers must be saved",
                    )
                no_fp.add(slot.number)
        out: list[Route] = []
        fallback = bad or Handler("bad_mode", Returns.NORETURN)
        for slot in SLOTS:
            use = uses.get(slot.number, Use.BAD_MODE)
            chosen = own.get(slot.number) or {Use.HANDLER: handler, Use.KERNEL_HANDLER: kernel, Use.BAD_MODE: bad}[use]
            out.append(Route(slot, use, chosen or fallback, slot.number not in no_fp))
        return out

    def slot_handler(self, path: Path, item: dict[str, Any], use: Use, base: Handler | None) -> Handler | None:
        """A slot's own handler: ``symbol``, ``returns``, ``args`` given there, the rest from ``use``'s."""
        if "symbol" not in item and base is None:
            self.err(path, f"the slot names no symbol and the spec declares no {use.value}", at_key=True)
            return None
        inherited = base if base is not None else self.undeclared(use, item["symbol"])
        symbol = item.get("symbol", inherited.symbol)
        why = symbol_reason(symbol)
        if why:
            self.err(path + ("symbol",), why)
        if use is Use.BAD_MODE and "returns" in item:
            self.err(path + ("returns",), "a bad_mode slot's handler must not return", at_key=True)
        returns = (
            Returns.NORETURN if use is Use.BAD_MODE else Returns(item.get("returns", inherited.returns))
        )
        args = tuple(Arg(a) for a in item["args"]) if "args" in item else inherited.args
        if "args" in item:
            self.check_args(path + ("args",), args)
        return Handler(symbol, returns, args, self.loc.of(path))

    @staticmethod
    def undeclared(use: Use, symbol: str) -> Handler:
        """The handler ``use`` names, for a spec that declares no such block: its keys' defaults."""
        returns = Returns.NORETURN if use is Use.BAD_MODE else Returns(default((use.value, "returns")))
        return Handler(symbol, returns, tuple(Arg(a) for a in default((use.value, "args"))))

    @staticmethod
    def slot(value: str | int) -> VectorSlot:
        return SLOTS[value] if isinstance(value, int) else SLOT_BY_NAME[value]

    def syscall(self, routes: list[Route]) -> Syscall | None:
        block = self.data.get("syscall")
        if not isinstance(block, dict) or not self.ok(("syscall", "handler")) or "handler" not in block:
            return None
        slot = self.slot(self.get(("syscall", "slot")))
        path: Path = ("syscall", "slot") if "slot" in block else ("syscall",)
        if slot.origin is not Origin.EL0_64 or slot.type.value != "sync":
            self.err(path, f"SVC from AArch64 EL0 arrives at el0_64_sync, not {slot.name} (Arm ARM D1.10.2)")
        elif not routes[slot.number].fpsimd:
            self.err(
                path,
                f"the syscall slot {slot.name} must save the FP/SIMD area (the syscall exit restores it)",
                at_key="slot" in block,
            )
        elif not routes[slot.number].used:
            self.err(
                path,
                f"the syscall slot {slot.name} must be listed in 'slots' (non-SVC exceptions from it "
                "reach that slot's handler)",
                at_key="slot" in block,
            )
        why = symbol_reason(block["handler"])
        if why:
            self.err(("syscall", "handler"), why)
        restored = tuple(self.get(("syscall", "restored")))
        for i, reg in enumerate(restored):
            if reg not in GPRS:
                self.err(("syscall", "restored", i), f"{reg!r} is not a general-purpose register (x0..x30)")
        args = tuple(Arg(a) for a in self.get(("syscall", "args")))
        self.check_args(("syscall", "args"), args)
        return Syscall(Handler(block["handler"], Returns.VOID, args, self.loc.of(("syscall",))), slot, restored)

    def hardening(self, frame: Frame) -> Hardening:
        record = any(s.role == "record" for s in frame.slots)
        if record and not self.get(("hardening", "frame_record")):
            self.err(("frame", "layout"), "a 'record' slot needs hardening.frame_record: true", at_key=True)
        return Hardening(
            clear_registers=self.get(("hardening", "clear_registers")),
            unmask_daif=tuple(self.get(("hardening", "unmask_daif"))),
            exit_barrier=ExitBarrier(self.get(("hardening", "exit_barrier"))),
            frame_record=self.get(("hardening", "frame_record")),
            cfi=self.get(("hardening", "cfi")),
        )

    def handler_paths(self) -> list[tuple[Path, str]]:
        """(path, symbol) of every handler symbol the spec writes, in document order."""
        out: list[tuple[Path, str]] = []
        for key in ("handler", "kernel_handler", "bad_mode", "syscall"):
            block = self.data.get(key)
            sub = "symbol" if key != "syscall" else "handler"
            if isinstance(block, dict) and isinstance(block.get(sub), str):
                out.append(((key, sub), block[sub]))
        slots = self.data.get("slots")
        for i, item in enumerate(slots if isinstance(slots, list) else []):
            if isinstance(item, dict) and isinstance(item.get("symbol"), str):
                out.append((("slots", i, "symbol"), item["symbol"]))
        return out

    def check_collisions(self, spec: Aarch64Spec) -> None:
        sym = spec.symbols
        named = [("symbols.table", sym.table), ("symbols.exit", sym.exit), ("symbols.halt", sym.halt)]
        named.append(("C header's VBAR_EL1 install function", sym.install))
        if sym.exit_sp:
            named.append(("symbols.exit_sp", sym.exit_sp))
        named += [("symbols.entry", sym.entry_symbol(slot)) for slot in SLOTS]
        # the glue's own labels are assembler-local (.L): a symbol spelled like one would be
        # rendered as that label
        # (a syscall.restored already refused is left out: the labels do not depend on it)
        if spec.syscall is not None:
            spec = attrs.evolve(spec, syscall=attrs.evolve(spec.syscall, restored=()))
        internal = [
            i.name
            for section in (build_program(spec).sections if _complete(spec.frame) else ())
            for i in section.items
            if isinstance(i, Label) and i.visibility is IrVisibility.INTERNAL
        ]
        named += [("glue's internal label", name) for name in internal]
        generated: dict[str, str] = {}
        for what, name in named:
            if name in generated and not (
                what == generated[name] and what in ("symbols.entry", "glue's internal label")
            ):
                self.err(("symbols",), f"{name!r} is both the {generated[name]} and the {what} symbol", at_key=True)
            generated.setdefault(name, what)
        for path, name in self.handler_paths():
            if name in generated:
                self.err(path, f"{name!r} is also the generated {generated[name]} symbol")
        if self.bad:
            return  # a signature the schema refused stands in as its default: no comparison
        # one symbol, one C prototype: every use of a handler symbol must agree on its signature
        signature: dict[str, tuple[Handler, str]] = {}
        clash: set[str] = set()
        users = [(r.handler, f"slot {r.slot.name}") for r in spec.routes]
        if spec.syscall is not None:
            users.append((spec.syscall.handler, "syscall"))
        for handler, user in users:
            known = signature.setdefault(handler.symbol, (handler, user))
            if (known[0].returns, known[0].args) != (handler.returns, handler.args) and handler.symbol not in clash:
                clash.add(handler.symbol)
                prev, at = known[0], self.symbol_path(handler.symbol)
                self.err(
                    at,
                    f"{handler.symbol!r} is called as returns {handler.returns.value}, args "
                    f"[{', '.join(handler.args)}] from {user} but as returns {prev.returns.value}, args "
                    f"[{', '.join(prev.args)}] from {known[1]}: one symbol has one C prototype",
                )

    def symbol_path(self, symbol: str) -> Path:
        """The last place the spec writes handler ``symbol`` (where a conflict shows)."""
        paths = [p for p, s in self.handler_paths() if s == symbol]
        return paths[-1] if paths else ("handler",)

    def check_inline_slots(self, spec: Aarch64Spec) -> None:
        """An inline table's slot holds the stack switch, the save and a branch: 32 instructions at most."""
        if spec.style is not TableStyle.INLINE or not _complete(spec.frame):
            return
        entry = EntryBuilder(spec, compute_layout(spec.frame))
        limit = SLOT_SIZE // INSN_SIZE
        for slot in SLOTS:
            count = 1 + sum(isinstance(i, Insn) for i in entry.prologue(slot) + entry.save_core(slot))
            if count > limit:
                self.err(
                    ("table", "style"),
                    f"inline: slot {slot.name} needs {count} instructions, but a vector slot holds "
                    f"{limit} (0x80 bytes, Arm ARM D1.10.2); use style branch or linux, or a smaller frame",
                )
                return

    def check_outputs(self) -> None:
        outputs = self.given(("outputs",))
        if not isinstance(outputs, dict):
            return
        files: dict[str, str] = {}
        for backend, filename in outputs.items():
            if backend not in BACKENDS:
                self.err(("outputs", backend), unsupported_backend_text(backend, BACKENDS), at_key=True)
            if filename in (".", ".."):
                self.err(("outputs", backend), f"{filename!r} is a directory, not a file name")
            elif filename in files:
                self.err(
                    ("outputs", backend), f"backends {files[filename]!r} and {backend!r} would both write {filename!r}"
                )
            files.setdefault(filename, backend)

    def resolve(self) -> Aarch64Spec | None:
        symbols = self.symbols()
        sections = self.sections()
        frame = self.frame(symbols.prefix)
        handler = self.handler("handler")
        kernel = self.handler("kernel_handler")
        bad = self.handler("bad_mode", noreturn=True)
        routes = self.routes(handler, kernel, bad, frame)
        syscall = self.syscall(routes)
        # written outputs in name order; the default ones in the table's order
        outputs = sorted(written.items()) if isinstance(written := self.given(("outputs",)), dict) else None
        self.check_outputs()
        if handler is None or bad is None:
            return None
        spec = Aarch64Spec(
            symbols=symbols,
            sections=sections,
            style=TableStyle(self.get(("table", "style"))),
            frame=frame,
            stack=self.stack(),
            routes=tuple(routes),
            bad_mode=bad,
            syscall=syscall,
            hardening=self.hardening(frame),
            outputs=tuple(outputs if outputs is not None else default(("outputs",)).items()),
        )
        self.check_collisions(spec)
        self.check_inline_slots(spec)
        return None if self.diags else spec


def _complete(frame: Frame) -> bool:
    """Whether ``frame`` holds everything the glue reads (a frame the schema refused may not)."""
    roles = {s.role for s in frame.slots}
    return all(r in roles for r in REQUIRED_ROLES)


def resolve_aarch64(data: Any, locations: Locations) -> Aarch64Spec:
    """Validate located YAML ``data`` and build the model; raise :class:`SpecError` with every problem."""
    diags, bad = _schema_diagnostics(data, locations)
    if not isinstance(data, dict):
        raise SpecError(diags or [locations.error((), "the spec must be a mapping")])
    resolver = _Resolver(data, locations, bad)
    spec = resolver.resolve()
    diags += resolver.diags
    if diags or spec is None:
        raise SpecError(diags or [locations.error((), "invalid spec")])
    return spec


def load_aarch64_spec(text: str, filename: str) -> Aarch64Spec:
    """Parse and resolve the YAML ``text`` of an aarch64 spec (``filename`` is used in messages)."""
    document = parse_yaml(text, filename)
    return resolve_aarch64(document.data, document.locations)
