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
    Debug,
    Entry,
    ErrorCodeFiller,
    ExitFrame,
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
    StubCli,
    Stubs,
    StubStyle,
    Symbols,
    SymbolVisibility,
    Syscall,
    Table,
    TableContents,
    Vector,
    VectorClass,
    Visibilities,
    group_vectors,
)
from .schema_check import check_schema
from .yamlsource import Locations, Path, parse_yaml

DEFAULT_PREFIX = "isr_"
DEFAULT_OUTPUTS = {"gas": "isr.S", "c": "isr.h"}
_VISIBLE = ("stubs", "table", "entry", "exit")
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
        table = self.table(arch, sections)
        stubs = self.stubs(style)
        debug = Debug(
            self.get("debug", "cfi", True, bool),
            self.get("debug", "cfi_sections", "eh_frame", str),
            self.src(("debug",)),
        )
        if self.diags:
            return None
        self.cross_check(symbols, handler, vectors, entry, syscall)
        self.check_entry_options(arch, frame, handler, vectors, syscall, entry)
        self.check_frame_identifies_vectors(frame, vectors, style, syscall)
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
            table=table,
            stubs=stubs,
            debug=debug,
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
        vis = {k: SymbolVisibility(self.get_in(("symbols", "visibility", k), "global")) for k in _VISIBLE}
        return Symbols(
            prefix,
            stub,
            names["table"],
            names["entry"],
            names["exit"],
            names["gates"],
            self.src(("symbols",)),
            Visibilities(**vis, source=self.src(("symbols", "visibility"))),
        )

    def get_in(self, path: Path, default: Any) -> Any:
        """The value at a nested ``path`` if the schema accepted it, else ``default``."""
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node if self.ok(path) else default

    def table(self, arch: ArchFacts, sections: Sections) -> Table:
        """The vector table's format; writable exactly when its section is ``.data``/``.data.*``."""
        width = self.get("table", "width", arch.word_size, int)
        align = self.get("table", "align", width, int)
        contents = self.get("table", "contents", "stubs", str)
        if width > arch.word_size:
            self.err(("table", "width"), f"a {width}-byte entry cannot hold a {arch.name} address relocation")
        if align & (align - 1):
            self.err(("table", "align"), f"impossible alignment {align}: must be a power of two")
        if contents == "idt":
            self.err(
                ("table", "contents"),
                "a ready IDT image cannot be generated: ELF has no relocation that splits a stub address into "
                "the gate's 16/16/32-bit pieces at assembly time (and no static-link-only trick works for a "
                "relocatable kernel); keep contents: stubs and fill the IDT at boot (isr_idt_fill in the C header)",
            )
        writable = sections.table == ".data" or sections.table.startswith(".data.")
        return Table(width, align, TableContents.STUBS, writable, self.src(("table",)))

    def stubs(self, style: StubStyle) -> Stubs:
        cli = StubCli(self.get("stubs", "cli", "never", str))
        filler = ErrorCodeFiller(self.get("stubs", "error_code_filler", "none", str))
        if filler is not ErrorCodeFiller.NONE and style is not StubStyle.CLASSIC:
            self.err(("stubs", "error_code_filler"), "error_code_filler applies to classic stubs only", at_key=True)
        return Stubs(cli, filler, self.src(("stubs",)))

    def check_frame_identifies_vectors(
        self, frame: Frame, vectors: tuple[Vector, ...], style: StubStyle, syscall: Syscall | None
    ) -> None:
        """Without a vector slot a handler can only tell vectors apart by the error-code slot
        (``vector_in_error_slot``) or by being reached from one vector only."""
        fpath: Path = ("frame", "layout") if "layout" in (self.data.get("frame") or {}) else ("frame",)
        if frame.vector_in_error_slot and style is not StubStyle.CLASSIC:
            self.err(("frame", "vector_in_error_slot"), "vector_in_error_slot needs classic stubs", at_key=True)
        if frame.has_vector:
            return
        if style is not StubStyle.CLASSIC:
            self.err(fpath, "dense stubs need a 'vector' slot in the frame layout (the stub pushes the vector)")
        if syscall is not None:
            self.err(fpath, "a syscall entry records its marker in the 'vector' slot: add one to the frame layout")
        users: dict[str, list[int]] = {}
        for v in vectors:
            for h in {v.handler, v.kernel_handler} - {None}:
                users.setdefault(str(h), []).append(v.number)
        for v in vectors:
            if frame.error_slot_value(v) == v.number and v.vector_class in frame.vector_in_error_slot:
                continue
            for h in sorted({v.handler, v.kernel_handler} - {None}, key=str):
                shared = [n for n in users[str(h)] if n != v.number]
                if shared:
                    self.err(
                        ("vectors",),
                        f"vector {v.number} cannot be told apart: the frame has no 'vector' slot, its error-code "
                        f"slot does not carry the vector number, and its handler {h!r} also serves vector(s) "
                        f"{', '.join(map(str, shared[:4]))}{', ...' if len(shared) > 4 else ''}; "
                        "give it a handler of its own or add 'vector' to the layout",
                    )
                    return

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
        convention = self.get("handler", "convention", arch.conventions[0], str)
        if convention not in arch.conventions:
            self.err(
                ("handler", "convention"),
                f"calling convention {convention!r} is not available on {arch.name} "
                f"(use {', '.join(arch.conventions)})",
            )
        returns = ReturnModel(self.get("handler", "returns", "void", str))
        align = self.get("handler", "align_stack", True, bool)
        if "align_stack" in (self.data.get("handler") or {}) and convention != "cdecl":
            self.err(("handler", "align_stack"), "align_stack applies to the cdecl convention only", at_key=True)
        return Handler(symbol, convention, returns, align, self.src(("handler",)))

    def frame(self, arch: ArchFacts, prefix: str, uses_simd: bool = False) -> Frame:
        struct_pattern = self.get("frame", "struct", "{prefix}frame", str)
        struct = self.expand(("frame", "struct"), struct_pattern, {"prefix": prefix}, ("prefix",)) or "invalid"
        self.check_ident(("frame", "struct"), struct, arch, "struct name")
        synthetic = self.get("frame", "synthetic_error_code", 0, int)
        layout = self.get("frame", "layout", None, list)
        if layout is None:
            layout = (["simd_area"] if uses_simd else []) + self.default_registers(arch) + ["vector", "error_code"]
            base: Path = ("frame",)
        else:
            base = ("frame", "layout")
        builder = _SlotBuilder(self, arch)
        for i, item in enumerate(layout):
            builder.add(base + (i,) if base[-1] == "layout" else base, item)
        slots = builder.slots
        kinds = [s.kind for s in slots]
        if base[-1] == "layout" and not any(d.path.startswith("$.frame.layout") for d in self.diags):
            roles = [s.role for s in slots]
            if SlotKind.ERROR_CODE not in kinds:
                self.err(base, "the layout must contain 'error_code': the CPU pushes one on some vectors")
            elif kinds[-1] is not SlotKind.ERROR_CODE:
                self.err(
                    base + (builder.index_of("error_code"),),
                    "'error_code' must be the last slot: the CPU pushes it directly below its own frame",
                )
            if SlotKind.VECTOR in kinds and (len(kinds) < 2 or kinds[-2] is not SlotKind.VECTOR):
                self.err(
                    base + (builder.index_of("vector"),),
                    "'vector' must come directly before 'error_code': the stub pushes it right after the error code",
                )
            del roles
        cpu_names = self.cpu_names(arch)
        names: dict[str, str] = {}
        for s in slots:
            names.setdefault(s.name, s.role)
        renamed = dict(cpu_names)
        for cpu in arch.cpu_frame:
            field = renamed.get(cpu, cpu)
            if field in names:
                where: Path = ("frame", "cpu_fields", cpu) if cpu in renamed else layout_path_of(base)
                self.err(where, f"field name {field!r} is used by the {names[field]} slot and the CPU-pushed {cpu}")
            names[field] = cpu
        in_slot = tuple(VectorClass(c) for c in self.get("frame", "vector_in_error_slot", [], list))
        return Frame(struct, tuple(slots), synthetic, self.src(("frame",)), cpu_names, in_slot)

    @staticmethod
    def default_registers(arch: ArchFacts) -> list[Any]:
        """The conventional save order: pushad plus segment registers on i386, all GPRs on x86_64."""
        if arch.pushal_order:
            return ["pushal", *reversed(arch.segment_registers)]
        return list(reversed(arch.gprs))

    def cpu_names(self, arch: ArchFacts) -> tuple[tuple[str, str], ...]:
        raw = (self.data.get("frame") or {}).get("cpu_fields")
        if not isinstance(raw, dict) or not self.ok(("frame", "cpu_fields")):
            return ()
        out = []
        for cpu, field in raw.items():
            path = ("frame", "cpu_fields", cpu)
            if cpu not in arch.cpu_frame:
                self.err(
                    path, f"{cpu!r} is not a CPU-pushed field on {arch.name} ({', '.join(arch.cpu_frame)})", at_key=True
                )
            elif self.check_field_name(path, field):
                out.append((cpu, field))
        return tuple(out)

    def check_field_name(self, path: Path, name: Any) -> bool:
        reason = reserved_reason(name, frozenset()) if isinstance(name, str) else f"{name!r} is not a string"
        if reason:
            self.err(path, f"invalid field name: {reason}")
            return False
        return True

    def outputs(self) -> tuple[Output, ...]:
        from .backends import available_backends, builtin_backends, get_backend

        raw = self.data.get("outputs")
        if not isinstance(raw, dict) or not self.ok(("outputs",)):
            return tuple(Output(b, f) for b, f in DEFAULT_OUTPUTS.items())
        out: list[Output] = []
        files: dict[str, str] = {}
        for backend, filename in raw.items():
            path = ("outputs", backend)
            # plugins are only scanned for a name that is not built in
            if backend not in builtin_backends() and backend not in (known := available_backends()):
                self.err(path, f"unknown backend {backend!r} (available: {', '.join(sorted(known))})", at_key=True)
                continue
            supported = getattr(get_backend(backend), "architectures", None)
            arch_name = self.data.get("arch")
            if supported is not None and arch_name not in supported:
                self.err(
                    path,
                    f"backend {backend!r} does not generate for {arch_name} (only {', '.join(supported)})",
                    at_key=True,
                )
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
        data_segments = tuple(self.get("entry", "data_segments", [], list))
        data_selector = self.get("entry", "data_selector", 0x10, int)
        if data_segments and not arch.segment_registers:
            self.err(("entry", "data_segments"), f"{arch.name} entries do not load data segments", at_key=True)
        feature_keys = {"swapgs": "swapgs"}
        for key, feature in feature_keys.items():
            if flags.get(key) and feature not in arch.features:
                self.err(("entry", key), f"{key} is not available on {arch.name}", at_key=True)
        exit_frame = ExitFrame(self.get("entry", "exit_frame", "argument", str))
        if exit_frame is ExitFrame.STACK and flags["exit_loads_cr3"]:
            self.err(("entry", "exit_frame"), "exit_frame: stack takes no arguments, so it cannot load CR3 from one")
        return Entry(
            exit_frame=exit_frame,
            swapgs=flags["swapgs"],
            clear_registers=flags["clear_registers"],
            endbr64=flags["endbr64"],
            kernel_fault=kernel_fault,
            halt=halt,
            exit_loads_cr3=flags["exit_loads_cr3"],
            data_segments=data_segments,
            data_selector=data_selector,
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
        if "syscall" not in arch.features:
            self.err(base, f"SYSCALL/SYSRET entries are not available on {arch.name}")
            return None
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
        self,
        arch: ArchFacts,
        frame: Frame,
        handler: Handler,
        vectors: tuple[Vector, ...],
        syscall: Syscall | None,
        entry: Entry,
    ) -> None:
        saved = set(frame.saved_registers)
        layout_path: Path = ("frame", "layout") if "layout" in (self.data.get("frame") or {}) else ("frame",)
        for v in vectors:
            used = [
                (v.ist is not None, "ist", "an IST index"),
                (v.simd is not SimdPolicy.NONE, "simd", "a SIMD save policy"),
                (v.paranoid, "paranoid", "a paranoid entry"),
            ]
            for on, feature, what in used:
                if on and feature not in arch.features:
                    self.err(("vectors",), f"vector {v.number} asks for {what}, which {arch.name} does not have")
                    return
        if handler.convention == "cdecl" and "ebx" not in saved:
            self.err(layout_path, "the cdecl entry keeps the frame address in ebx: the layout must save ebx")
        for seg in entry.data_segments:
            if seg not in {s.role for s in frame.slots}:
                self.err(("entry", "data_segments"), f"{seg} is loaded but not saved: add it to the frame layout")
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
        missing = [r for r in arch.caller_saved if r not in saved]
        if missing:
            self.err(
                layout_path,
                f"the layout must save the caller-saved registers a handler may clobber: {', '.join(missing)}",
            )
        if handler.returns is not ReturnModel.VOID:
            absent = [r for r in arch.gprs if r not in saved]
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


def layout_path_of(base: Path) -> Path:
    """The path to report whole-layout problems at."""
    return base


class _SlotBuilder:
    """Turns frame.layout items into slots, checking each and collecting problems.

    An item is a name (a register, a segment register, ``pushal``, ``vector``,
    ``error_code``, ``simd_area``, ``pad``) or a one-key mapping giving the struct
    field's name: ``{vector: trapno}``, ``{rbp: bp}``, ``{pushal: [edi, ...]}``,
    ``{pad: 16}`` (bytes).
    """

    def __init__(self, resolver: _Resolver, arch: ArchFacts):
        self.r = resolver
        self.arch = arch
        self.slots: list[Slot] = []
        self.seen: dict[str, int] = {}
        self.names: set[str] = set()
        self.indexes: dict[str, int] = {}
        self.pads = 0
        self.index = 0

    def index_of(self, role: str) -> int:
        return self.indexes.get(role, 0)

    def choices(self) -> str:
        words = [*self.arch.gprs, *self.arch.segment_registers]
        if self.arch.pushal_order:
            words.append("pushal")
        return ", ".join([*words, "vector", "error_code", "simd_area", "pad"])

    def field_name(self, path: Path, name: Any) -> str | None:
        if not isinstance(name, str):
            self.r.err(path, f"a field name must be a string, got {name!r}")
            return None
        reason = reserved_reason(name, frozenset())
        if reason:
            self.r.err(path, f"invalid field name: {reason}")
            return None
        if name in self.names:
            self.r.err(path, f"field name {name!r} is used twice in the frame")
            return None
        self.names.add(name)
        return name

    def add(self, path: Path, item: Any) -> None:
        index = path[-1] if isinstance(path[-1], int) else 0
        if isinstance(item, str):
            role, rename = item.strip(), None
        elif isinstance(item, dict) and len(item) == 1:
            role, rename = next(iter(item.items()))
            path = path + (role,)
        else:
            self.r.err(path, "a layout item is a slot name or a one-key mapping {slot: field_name}")
            return
        word = self.arch.word_size
        src = self.r.src(path)
        if role == "pad":
            size = word
            if rename is not None:
                if not isinstance(rename, int) or isinstance(rename, bool) or rename <= 0 or rename % word:
                    self.r.err(path, f"a pad size must be a positive multiple of {word} bytes, got {rename!r}")
                    return
                size = rename
            self.slots.append(Slot(SlotKind.PAD, f"_pad{self.pads}", size, "pad", 0, "", src))
            self.pads += 1
            return
        if role in self.seen:
            self.r.err(path, f"{role!r} is listed twice in the frame layout (first at index {self.seen[role]})")
            return
        self.seen[role] = index
        self.indexes[role] = index
        if role == "pushal":
            self.pushal(path, rename, src)
            return
        kind = {
            "vector": SlotKind.VECTOR,
            "error_code": SlotKind.ERROR_CODE,
            "simd_area": SlotKind.SIMD_AREA,
        }.get(role)
        if kind is None and role in self.arch.gprs:
            kind = SlotKind.GPR
        if kind is None and role in self.arch.segment_registers:
            kind = SlotKind.SEGMENT
        if kind is None:
            if role == self.arch.stack_pointer or role in self.arch.cpu_frame:
                self.r.err(path, f"{role!r} is saved by the CPU, not by the entry code; it is always part of the frame")
            else:
                self.r.err(path, f"unknown frame slot {role!r} (expected one of: {self.choices()})")
            return
        name = self.field_name(path, role if rename is None else rename)
        if name is None:
            return
        value_size = 2 if kind is SlotKind.SEGMENT else 0
        if kind is SlotKind.GPR and any(s.block == "pushal" and s.role == role for s in self.slots):
            self.r.err(path, f"{role!r} is already saved by pushal")
            return
        self.slots.append(Slot(kind, name, word, role, value_size, "", src))

    def pushal(self, path: Path, rename: Any, src: SourceRef) -> None:
        order = self.arch.pushal_order
        if not order:
            self.r.err(path, f"{self.arch.name} has no pushal instruction")
            return
        # the ESP slot defaults to "oesp" (the classic name) so it cannot clash with the CPU's esp
        names = [("o" + r if r == self.arch.stack_pointer else r) for r in order] if rename is None else rename
        if not isinstance(names, list) or len(names) != len(order):
            self.r.err(
                path, f"pushal names its {len(order)} fields in memory order ({', '.join(order)}), got {rename!r}"
            )
            return
        for reg, field in zip(order, names, strict=True):
            name = self.field_name(path, field)
            if name is None:
                return
            if reg in self.seen and reg != "pushal":
                self.r.err(path, f"{reg!r} is saved twice (by pushal and on its own)")
                return
            self.seen[reg] = path[-2] if isinstance(path[-2], int) else 0
            # pushad stores the ESP from before it ran; popad skips that slot (SDM PUSHA/POPA)
            if reg == self.arch.stack_pointer:
                # not the interrupted esp (that is the CPU's field): a value popad skips
                self.slots.append(Slot(SlotKind.PAD, name, self.arch.word_size, "pushal_esp", 0, "pushal", src))
            else:
                self.slots.append(Slot(SlotKind.GPR, name, self.arch.word_size, reg, 0, "pushal", src))
