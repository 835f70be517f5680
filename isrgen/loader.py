"""Spec file -> validated :class:`~isrgen.model.Spec`.

Three passes, each collecting every problem it finds: YAML parsing (with
locations and duplicate keys), the JSON Schema, and the semantic checks below.
Subtrees that failed the schema are skipped by the semantic pass, so one mistake
is not reported twice.  All problems are raised together as one SpecError.
"""

from __future__ import annotations

import hashlib
import os
import string
from pathlib import Path as FsPath
from typing import Any

from .arch import ArchFacts, get_arch
from .diagnostics import Diagnostic, SourceRef, SpecError, UsageError
from .identifiers import reserved_reason
from .model import (
    Entry,
    Frame,
    GateType,
    Handler,
    KernelFault,
    Output,
    ReturnModel,
    Sections,
    Simd,
    SimdPolicy,
    Slot,
    SlotKind,
    Spec,
    StubStyle,
    Symbols,
    Syscall,
    Vector,
    VectorClass,
    group_vectors,
)
from .schema_check import check_schema
from .yamlsource import Locations, Path, parse_yaml

DEFAULT_PREFIX = "isr_"
DEFAULT_OUTPUTS = {"gas": "isr.S", "c": "isr.h"}
_NON_EXEC_PREFIXES = (".rodata", ".data", ".bss", ".tbss", ".tdata", ".note", ".debug", ".comment")


def read_spec_text(path: str | os.PathLike[str]) -> str:
    """Read a spec file, turning OS errors into one-line :class:`UsageError`s."""
    p = FsPath(path)
    if p.is_dir():
        raise UsageError(f"{p}: is a directory, not a spec file")
    try:
        return p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{p}: no such spec file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{p}: cannot read: {exc.strerror}") from None


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Load, validate and resolve the spec at ``path``.

    Raises :class:`SpecError` listing every problem (each with file:line:col),
    or :class:`UsageError` when the file cannot be read.
    """
    text = read_spec_text(path)
    return loads_spec(text, os.fspath(path))


def loads_spec(text: str, filename: str = "<string>") -> Spec:
    """Like :func:`load_spec` for a spec given as text; ``filename`` names it in messages."""
    doc = parse_yaml(text, filename)
    diags = check_schema(doc.data, doc.locations)
    bad = {_path_of(d) for d in diags}
    resolver = _Resolver(doc.data, doc.locations, bad)
    spec = resolver.resolve(filename, hashlib.sha256(text.encode("utf-8")).hexdigest())
    diags.extend(resolver.diags)
    if diags or spec is None:
        raise SpecError(diags or [Diagnostic(SourceRef(filename, 1, 1), "invalid spec")])
    return spec


def _path_of(d: Diagnostic) -> str:
    return d.path


class _Resolver:
    """The semantic pass: defaults, expansion, cross-checks."""

    def __init__(self, data: Any, locations: Locations, bad_paths: set[str]):
        self.data = data if isinstance(data, dict) else {}
        self.loc = locations
        self.bad = bad_paths
        self.diags: list[Diagnostic] = []

    # -- helpers ---------------------------------------------------------------
    def err(self, path: Path, message: str, *, at_key: bool = False) -> None:
        self.diags.append(self.loc.error(path, message, at_key=at_key))

    def ok(self, path: Path) -> bool:
        """Whether the schema pass accepted the value at ``path`` and everything below it."""
        from .yamlsource import format_path

        text = format_path(path)
        return not any(b == text or b.startswith(text + ".") or b.startswith(text + "[") for b in self.bad)

    def get(self, section: str, key: str, default: Any, kind: type | tuple[type, ...]) -> Any:
        block = self.data.get(section)
        if not isinstance(block, dict) or key not in block:
            return default
        value = block[key]
        if not self.ok((section, key)) or not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            return default
        return value

    def src(self, path: Path) -> SourceRef:
        return self.loc.of(path)

    def check_ident(self, path: Path, name: str, arch: ArchFacts, what: str) -> bool:
        reason = reserved_reason(name, arch.register_aliases)
        if reason:
            self.err(path, f"invalid {what}: {reason}")
            return False
        return True

    def expand(self, path: Path, pattern: str, fields: dict[str, Any], allowed: tuple[str, ...]) -> str | None:
        try:
            parsed = list(string.Formatter().parse(pattern))
        except ValueError as exc:
            self.err(path, f"bad pattern {pattern!r}: {exc}")
            return None
        for _, field, spec, conv in parsed:
            if field is None:
                continue
            if field not in allowed or conv:
                self.err(
                    path,
                    f"unknown field {{{field}}} in {pattern!r} (allowed: {', '.join('{' + a + '}' for a in allowed)})",
                )
                return None
            if spec and field != "n":
                self.err(path, f"format spec not allowed on {{{field}}} in {pattern!r}")
                return None
        try:
            return pattern.format(**fields)
        except (ValueError, KeyError) as exc:
            self.err(path, f"bad pattern {pattern!r}: {exc}")
            return None

    # -- passes ----------------------------------------------------------------
    def resolve(self, filename: str, sha256: str) -> Spec | None:
        arch_name = self.data.get("arch")
        arch = get_arch(arch_name) if isinstance(arch_name, str) else None
        if arch is None:
            if "arch" in self.data and self.ok(("arch",)):
                self.err(("arch",), f"unknown architecture {arch_name!r}")
            return None
        symbols = self.symbols(arch)
        sections = self.sections()
        handler = self.handler(arch)
        outputs = self.outputs()
        vectors = self.vectors(arch, symbols, handler)
        uses_simd = any(v.simd is not SimdPolicy.NONE for v in vectors)
        frame = self.frame(arch, symbols.prefix, uses_simd)
        style = StubStyle(self.get("stubs", "style", "classic", str))
        entry = self.entry(arch, symbols.prefix)
        simd = self.simd()
        syscall = self.syscall(arch, symbols.prefix, frame, entry)
        if self.diags:
            return None
        self.cross_check(symbols, handler, vectors, entry, syscall)
        self.check_entry_options(frame, handler, vectors, syscall, entry)
        if self.diags:
            return None
        return Spec(
            arch_name=arch.name,
            symbols=symbols,
            sections=sections,
            handler=handler,
            frame=frame,
            vectors=vectors,
            outputs=outputs,
            stub_style=style,
            entry=entry,
            simd=simd,
            syscall=syscall,
            source_file=filename,
            source_sha256=sha256,
        )

    def symbols(self, arch: ArchFacts) -> Symbols:
        prefix = self.get("symbols", "prefix", DEFAULT_PREFIX, str)
        names: dict[str, str] = {}
        defaults = {
            "table": "{prefix}table",
            "entry": "{prefix}common",
            "exit": "{prefix}return",
            "gates": "{prefix}gate_attrs",
        }
        for key, default in defaults.items():
            pattern = self.get("symbols", key, default, str)
            name = self.expand(("symbols", key), pattern, {"prefix": prefix}, ("prefix",))
            if name is not None and self.check_ident(("symbols", key), name, arch, f"{key} symbol"):
                names[key] = name
            else:
                names[key] = "invalid"
        stub = self.get("symbols", "stub", "{prefix}stub_{n}", str)
        if "{n}" not in stub and "{n:" not in stub and "{name}" not in stub:
            self.err(
                ("symbols", "stub"),
                f"stub pattern {stub!r} must contain {{n}} or {{name}} so that each stub gets its own symbol",
            )
        return Symbols(
            prefix, stub, names["table"], names["entry"], names["exit"], names["gates"], self.src(("symbols",))
        )

    def sections(self) -> Sections:
        code = self.get("sections", "code", ".text.isr", str)
        table = self.get("sections", "table", ".rodata.isr", str)
        code_align = self.get("sections", "code_align", 16, int)
        stub_align = self.get("sections", "stub_align", 16, int)
        for key, value in (("code_align", code_align), ("stub_align", stub_align)):
            if value & (value - 1):
                self.err(("sections", key), f"impossible alignment {value}: must be a power of two")
        if code.startswith(_NON_EXEC_PREFIXES):
            self.err(
                ("sections", "code"),
                f"code section {code!r} would not be executable (a data section name); use a .text.* name",
            )
        if table.startswith(".text"):
            self.err(
                ("sections", "table"),
                f"table section {table!r} is a code section; the vector table belongs in read-only data",
            )
        if code == table:
            self.err(("sections", "table"), "the table section must differ from the code section")
        return Sections(code, table, code_align, stub_align, self.src(("sections",)))

    def handler(self, arch: ArchFacts) -> Handler:
        symbol = self.get("handler", "symbol", "isr_handler", str)
        if self.ok(("handler", "symbol")):
            self.check_ident(("handler", "symbol"), symbol, arch, "handler symbol")
        convention = self.get("handler", "convention", "sysv", str)
        returns = ReturnModel(self.get("handler", "returns", "void", str))
        return Handler(symbol, convention, returns, self.src(("handler",)))

    def frame(self, arch: ArchFacts, prefix: str, uses_simd: bool = False) -> Frame:
        struct_pattern = self.get("frame", "struct", "{prefix}frame", str)
        struct = self.expand(("frame", "struct"), struct_pattern, {"prefix": prefix}, ("prefix",)) or "invalid"
        self.check_ident(("frame", "struct"), struct, arch, "struct name")
        synthetic = self.get("frame", "synthetic_error_code", 0, int)
        layout = self.get("frame", "layout", None, list)
        if layout is None:
            layout = (["simd_area"] if uses_simd else []) + list(reversed(arch.gprs)) + ["vector", "error_code"]
            base: Path = ("frame",)
        else:
            base = ("frame", "layout")
        slots: list[Slot] = []
        seen: dict[str, int] = {}
        pads = 0
        for i, item in enumerate(layout):
            path = base + (i,) if base[-1] == "layout" else base
            if not isinstance(item, str):
                continue
            name = item.strip()
            if name == "pad":
                slots.append(Slot(SlotKind.PAD, f"_pad{pads}", 8, self.src(path)))
                pads += 1
                continue
            if name in seen:
                self.err(path, f"{name!r} is listed twice in the frame layout (first at index {seen[name]})")
                continue
            seen[name] = i
            if name == "vector":
                slots.append(Slot(SlotKind.VECTOR, "vector", 8, self.src(path)))
            elif name == "error_code":
                slots.append(Slot(SlotKind.ERROR_CODE, "error_code", 8, self.src(path)))
            elif name == "simd_area":
                slots.append(Slot(SlotKind.SIMD_AREA, "simd_area", 8, self.src(path)))
            elif name in arch.gprs:
                slots.append(Slot(SlotKind.GPR, name, 8, self.src(path)))
            elif name == arch.stack_pointer or name in arch.cpu_frame:
                self.err(path, f"{name!r} is saved by the CPU, not by the entry code; it is always part of the frame")
            else:
                choices = ", ".join(arch.gprs)
                self.err(
                    path,
                    f"unknown frame slot {name!r} (expected a register ({choices}), 'vector', 'error_code' or 'pad')",
                )
        kinds = [s.kind for s in slots]
        if base[-1] == "layout" and not any(d.path.startswith("$.frame.layout") for d in self.diags):
            if SlotKind.ERROR_CODE not in kinds:
                self.err(base, "the layout must contain 'error_code': the CPU pushes one on some vectors")
            elif kinds[-1] is not SlotKind.ERROR_CODE:
                self.err(
                    base + (layout.index("error_code"),),
                    "'error_code' must be the last slot: the CPU pushes it directly below its own frame",
                )
            if SlotKind.VECTOR not in kinds:
                self.err(base, "the layout must contain 'vector' so that handlers know which vector fired")
            elif len(kinds) < 2 or kinds[-2] is not SlotKind.VECTOR:
                self.err(
                    base + (layout.index("vector"),),
                    "'vector' must come directly before 'error_code': the stub pushes it right after the error code",
                )
        return Frame(struct, tuple(slots), synthetic, self.src(("frame",)))

    def outputs(self) -> tuple[Output, ...]:
        from .backends import available_backends

        raw = self.data.get("outputs")
        if not isinstance(raw, dict) or not self.ok(("outputs",)):
            return tuple(Output(b, f) for b, f in DEFAULT_OUTPUTS.items())
        known = available_backends()
        out: list[Output] = []
        files: dict[str, str] = {}
        for backend, filename in raw.items():
            path = ("outputs", backend)
            if backend not in known:
                self.err(path, f"unknown backend {backend!r} (available: {', '.join(sorted(known))})", at_key=True)
                continue
            if filename in files:
                self.err(path, f"output file {filename!r} is also written by backend {files[filename]!r}")
                continue
            files[filename] = backend
            out.append(Output(backend, filename, self.src(path)))
        if not out and not self.diags:
            self.err(("outputs",), "no outputs: name at least one backend")
        return tuple(out)

    def vectors(self, arch: ArchFacts, symbols: Symbols, handler: Handler) -> tuple[Vector, ...]:
        raw = self.data.get("vectors")
        if not isinstance(raw, list):
            return ()
        by_number: dict[int, Vector] = {}
        names: dict[str, SourceRef] = {}
        for i, entry in enumerate(raw):
            path: Path = ("vectors", i)
            if not isinstance(entry, dict) or not self.ok(path):
                continue
            for v in self.vector_entry(arch, symbols, handler, entry, path):
                prev = by_number.get(v.number)
                if prev is not None:
                    self.err(path, f"vector {v.number} is defined twice (first at line {prev.source.line})")
                    continue
                upper = v.name.upper()
                if upper in names:
                    self.err(
                        path + ("name",) if "name" in entry else path,
                        f"vector name {v.name!r} (vector {v.number}) is used twice (first at line {names[upper].line})",
                    )
                    continue
                names[upper] = v.source
                by_number[v.number] = v
        return tuple(by_number[n] for n in sorted(by_number))

    def vector_entry(
        self, arch: ArchFacts, symbols: Symbols, handler: Handler, entry: dict[str, Any], path: Path
    ) -> list[Vector]:
        if "range" in entry:
            lo, hi = entry["range"]
            if lo > hi:
                self.err(path + ("range",), f"empty range [{lo}, {hi}]: the first vector must not exceed the last")
                return []
            numbers = list(range(lo, hi + 1))
        else:
            numbers = [entry["vector"]]
        src = self.src(path)
        name_pattern = entry.get("name")
        if name_pattern is not None and len(numbers) > 1 and "{n" not in name_pattern:
            self.err(
                path + ("name",),
                f"name {name_pattern!r} covers {len(numbers)} vectors: include {{n}} to make each unique",
            )
            return []
        out: list[Vector] = []
        for n in numbers:
            vclass = VectorClass(entry.get("class", "exception" if n < 32 else "irq"))
            defaults = self.class_defaults(vclass)

            def pick(key: str, default: Any, entry: dict[str, Any] = entry, defaults: dict[str, Any] = defaults) -> Any:
                return entry[key] if key in entry else defaults.get(key, default)

            handler_symbol = pick("handler", handler.symbol)
            kernel_handler = pick("kernel_handler", None)
            for key, sym in (("handler", handler_symbol), ("kernel_handler", kernel_handler)):
                if sym is None or sym == handler.symbol:
                    continue
                where = path + (key,) if key in entry else ("classes", vclass.value, key)
                if not self.check_ident(where, sym, arch, f"{key.replace('_', ' ')} symbol"):
                    return []
            ist = pick("ist", None)
            gate = GateType(pick("gate", "interrupt"))
            dpl = pick("dpl", 0)
            info = arch.exception(n)
            if name_pattern is None:
                name = info.name if info else f"vector_{n}"
            else:
                name = self.expand(path + ("name",), name_pattern, {"n": n}, ("n",)) or ""
                if not name:
                    return []
            if not self.check_ident(path + ("name",) if name_pattern else path, name, arch, "vector name"):
                return []
            error_code = self.error_code(arch, n, entry, path)
            if error_code is None:
                return []
            stub = self.expand(
                ("symbols", "stub"),
                symbols.stub_pattern,
                {"prefix": symbols.prefix, "n": n, "name": name},
                ("prefix", "n", "name"),
            )
            if stub is None:
                return []
            if not self.check_ident(("symbols", "stub"), stub, arch, f"stub symbol for vector {n}"):
                return []
            out.append(
                Vector(
                    number=n,
                    name=name,
                    vector_class=vclass,
                    handler=handler_symbol,
                    stub_symbol=stub,
                    error_code=error_code[0],
                    error_code_overridden=error_code[1],
                    ist=ist,
                    gate=gate,
                    dpl=dpl,
                    kernel_handler=kernel_handler,
                    paranoid=pick("paranoid", False),
                    simd=SimdPolicy(pick("simd", "none")),
                    source=src,
                )
            )
        return out

    def error_code(self, arch: ArchFacts, n: int, entry: dict[str, Any], path: Path) -> tuple[bool, bool] | None:
        fact = arch.pushes_error_code(n)
        override = entry.get("error_code_override", False)
        if "error_code" not in entry:
            if override:
                self.err(
                    path + ("error_code_override",),
                    "error_code_override needs an explicit error_code to override",
                    at_key=True,
                )
                return None
            return fact, False
        said = entry["error_code"]
        if said == fact:
            return fact, False
        if not override:
            does = "pushes" if fact else "does not push"
            self.err(
                path + ("error_code",),
                f"vector {n}: the CPU {does} an error code on {arch.name} (SDM Vol. 3A 6.3.1); "
                "set error_code_override: true to contradict the architecture deliberately",
            )
            return None
        return said, True

    def class_defaults(self, vclass: VectorClass) -> dict[str, Any]:
        classes = self.data.get("classes")
        if not isinstance(classes, dict) or not self.ok(("classes", vclass.value)):
            return {}
        block = classes.get(vclass.value)
        return block if isinstance(block, dict) else {}

    def entry(self, arch: ArchFacts, prefix: str) -> Entry:
        keys = ("swapgs", "clear_registers", "endbr64", "exit_loads_cr3")
        flags = {k: self.get("entry", k, False, bool) for k in keys}
        halt_pattern = self.get("entry", "halt", "{prefix}halt", str)
        halt = self.expand(("entry", "halt"), halt_pattern, {"prefix": prefix}, ("prefix",)) or "invalid"
        self.check_ident(("entry", "halt"), halt, arch, "halt symbol")
        kernel_fault = KernelFault(self.get("entry", "kernel_fault", "resume", str))
        return Entry(
            swapgs=flags["swapgs"],
            clear_registers=flags["clear_registers"],
            endbr64=flags["endbr64"],
            kernel_fault=kernel_fault,
            halt=halt,
            exit_loads_cr3=flags["exit_loads_cr3"],
            source=self.src(("entry",)),
        )

    def simd(self) -> Simd:
        mask = self.get("simd", "xsave_mask", 0x3, int)
        given = self.get("simd", "area_size", None, int)
        # XSAVE standard format (SDM Vol. 1 13.4): legacy area 512 + header 64; AVX (bit 2)
        # state sits at offset 576 and is 256 bytes.  Other components' offsets are
        # CPU-specific (CPUID leaf 0Dh), so their size must be given.
        computed = None
        if mask & ~0x7 == 0:
            computed = 832 if mask & 0x4 else 576
        if given is None and computed is None:
            self.err(
                ("simd", "xsave_mask"), f"xsave_mask {mask:#x} has components beyond x87/SSE/AVX: give simd.area_size"
            )
        size = given if given is not None else (computed or 576)
        if size % 64:
            self.err(("simd", "area_size"), f"impossible alignment: area_size {size} must be a multiple of 64")
        if given is not None and computed is not None and given < computed:
            self.err(
                ("simd", "area_size"), f"area_size {given} is smaller than the {computed} bytes mask {mask:#x} needs"
            )
        return Simd(mask, size, self.src(("simd",)))

    def syscall(self, arch: ArchFacts, prefix: str, frame: Frame, entry: Entry) -> Syscall | None:
        raw = self.data.get("syscall")
        if not isinstance(raw, dict) or not self.ok(("syscall",)):
            return None
        base: Path = ("syscall",)
        pattern = raw.get("entry", "{prefix}syscall_entry")
        entry_sym = self.expand(base + ("entry",), pattern, {"prefix": prefix}, ("prefix",))
        handler = raw["handler"]
        ok = entry_sym is not None and self.check_ident(base + ("entry",), entry_sym, arch, "syscall entry symbol")
        ok = self.check_ident(base + ("handler",), handler, arch, "syscall handler symbol") and ok
        default_restored = ("rax", "rdx", "rbx", "rbp", "r12", "r13", "r14", "r15")
        restored = tuple(raw.get("restored", [r for r in default_restored if r in frame.saved_registers]))
        for i, reg in enumerate(restored):
            if reg in ("rcx", "r11"):
                self.err(base + ("restored", i), f"{reg} cannot be restored: sysretq takes RIP/RFLAGS from rcx/r11")
            elif reg not in frame.saved_registers:
                self.err(base + ("restored", i), f"{reg!r} is not a register the frame saves")
        if not entry.swapgs:
            self.err(base, "a syscall entry needs entry.swapgs: true (it reaches the kernel stack through GS)")
        if not ok:
            return None
        return Syscall(
            entry=entry_sym or "invalid",
            handler=handler,
            marker=raw.get("marker", -1),
            kernel_stack_gs=raw.get("kernel_stack_gs", 8),
            user_stack_gs=raw.get("user_stack_gs", 16),
            user_cs=raw.get("user_cs", 0x23),
            user_ss=raw.get("user_ss", 0x1B),
            restored=restored,
            source=self.src(base),
        )

    def check_entry_options(
        self, frame: Frame, handler: Handler, vectors: tuple[Vector, ...], syscall: Syscall | None, entry: Entry
    ) -> None:
        saved = set(frame.saved_registers)
        layout_path: Path = ("frame", "layout") if "layout" in (self.data.get("frame") or {}) else ("frame",)
        kinds = {v.simd for v in vectors} - {SimdPolicy.NONE}
        if len(kinds) > 1:
            self.err(("vectors",), "vectors mix fxsave and xsave: choose one SIMD save instruction per spec")
        if kinds and not any(s.kind is SlotKind.SIMD_AREA for s in frame.slots):
            self.err(layout_path, "some vectors save SIMD state: add 'simd_area' to the frame layout")
        if kinds and "r12" not in saved:
            self.err(layout_path, "saving SIMD state keeps the frame address in r12: the layout must save r12")
        if any(v.paranoid for v in vectors) and "rbx" not in saved:
            self.err(layout_path, "paranoid entries keep the swapgs decision in rbx: the layout must save rbx")
        if any(v.paranoid for v in vectors) and not entry.swapgs:
            self.err(("entry",), "paranoid vectors only make sense with entry.swapgs: true")
        # A C handler may clobber every caller-saved register (SysV ABI 3.2.1): the entry must save them.
        caller_saved = ("rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11")
        missing = [r for r in caller_saved if r not in saved]
        if missing:
            self.err(
                layout_path,
                f"the layout must save the caller-saved registers a handler may clobber: {', '.join(missing)}",
            )
        if handler.returns is not ReturnModel.VOID:
            absent = [r for r in ("rbx", "rbp", "r12", "r13", "r14", "r15") if r not in saved]
            if absent:
                self.err(
                    layout_path,
                    f"handler.returns: {handler.returns.value} resumes frames of other contexts, so the layout "
                    f"must save every register; missing: {', '.join(absent)}",
                )
        if syscall is not None and syscall.marker in {v.number for v in vectors}:
            self.err(("syscall", "marker"), f"marker {syscall.marker} is also a vector number")

    def cross_check(
        self, symbols: Symbols, handler: Handler, vectors: tuple[Vector, ...], entry: Entry, syscall: Syscall | None
    ) -> None:
        owners: dict[str, str] = {}
        fixed: list[tuple[str, str, Path]] = [
            (symbols.table, "the vector table", ("symbols", "table")),
            (symbols.exit, "the exit routine", ("symbols", "exit")),
            (symbols.gates, "the gate attribute table", ("symbols", "gates")),
            (entry.halt, "the halt routine", ("entry", "halt")),
        ]
        if syscall is not None:
            fixed.append((syscall.entry, "the syscall entry", ("syscall", "entry")))
        for name, what, path in fixed:
            if name in owners:
                self.err(path, f"symbol {name!r} names both {owners[name]} and {what}")
            owners[name] = what
        handlers = {v.handler for v in vectors} | {handler.symbol}
        handlers |= {v.kernel_handler for v in vectors if v.kernel_handler}
        if syscall is not None:
            handlers.add(syscall.handler)
        for v in vectors:
            if v.stub_symbol in owners:
                self.err(
                    ("symbols", "stub"),
                    f"stub symbol {v.stub_symbol!r} of vector {v.number} collides with {owners[v.stub_symbol]}",
                )
                return
            if v.stub_symbol in handlers:
                self.err(
                    ("symbols", "stub"),
                    f"stub symbol {v.stub_symbol!r} of vector {v.number} collides with a handler symbol",
                )
                return
            owners[v.stub_symbol] = f"the stub of vector {v.number}"
        for h in sorted(handlers):
            if h in owners:
                self.err(("handler", "symbol"), f"handler symbol {h!r} collides with {owners[h]}")
        for name in (g.symbol for g in group_vectors(symbols.entry, vectors)):
            if name in owners or name in handlers:
                other = owners.get(name, "a handler")
                self.err(("symbols", "entry"), f"entry symbol {name!r} collides with {other}")
