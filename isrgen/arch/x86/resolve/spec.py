"""The semantic pass of an x86_64 or i386 spec: defaults, expansion, cross-checks.

The core loader (:mod:`isrgen.spec.loader`) parses the YAML and checks the schema;
:func:`resolve_x86` turns what passed into an :class:`~isrgen.arch.x86.model.X86Spec`,
collecting every problem with the key that causes it.  Subtrees that failed the
schema are skipped, so one mistake is not reported twice.
"""

from __future__ import annotations

from isrgen.arch import ArchFacts, get_arch, get_isa
from isrgen.arch.x86.defaults import DEFAULT_OUTPUTS, SPEC_DEFAULTS, spec_default
from isrgen.arch.x86.model import (
    ErrorCodeFiller,
    SimdPolicy,
    StubCli,
    Stubs,
    Syscall,
    X86Entry,
    X86Spec,
    X86Vector,
    group_x86_vectors,
    reenables_interrupts,
)
from isrgen.arch.x86.resolve.entry import EntryResolver
from isrgen.arch.x86.resolve.frame import FrameResolver
from isrgen.arch.x86.resolve.machine_values import MachineValueChecks
from isrgen.arch.x86.resolve.names import NameResolver
from isrgen.arch.x86.resolve.percpu import PercpuResolver
from isrgen.arch.x86.resolve.vectors import VectorResolver
from isrgen.diagnostics import Diagnostic
from isrgen.model.spec import (
    ChosenName,
    Debug,
    Handler,
    Output,
    ReturnModel,
    Sections,
    StubStyle,
    Symbols,
    SymbolVisibility,
    Table,
    TableContents,
    Visibilities,
)
from isrgen.spec.resolve.base import (
    _NON_EXEC_PREFIXES,
    _NOT_TABLE_PREFIXES,
    _VISIBLE,
    BackendCatalogue,
    ResolveInput,
)
from isrgen.spec.resolve.outputs import PARTS, SPLITTABLE_BACKENDS
from isrgen.spec.resolve.special_sections import special_section_reason
from isrgen.spec.yamlsource import Path


def resolve_x86(source: ResolveInput) -> tuple[X86Spec | None, list[Diagnostic]]:
    """The spec ``source`` describes, or None, and every problem found."""
    resolver = X86Resolver(source.document.data, source.document.locations, set(source.bad_paths))
    resolver.catalogue = source.catalogue
    spec = resolver.resolve(source.filename, source.sha256)
    return spec, resolver.diags


def _under(path: str, roots: set[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or lies below one."""
    return any(path == r or path.startswith((r + ".", r + "[")) for r in roots)


class X86Resolver(FrameResolver, VectorResolver, EntryResolver, NameResolver, MachineValueChecks, PercpuResolver):
    """The semantic pass: defaults, expansion, cross-checks."""

    defaults = SPEC_DEFAULTS
    catalogue: BackendCatalogue | None = None

    def resolve(self, filename: str, sha256: str) -> X86Spec | None:
        arch_name = self.data.get("arch")
        arch = get_arch(arch_name) if isinstance(arch_name, str) else None
        if arch is None:
            if "arch" in self.data and self.ok(("arch",)):
                self.err(("arch",), f"unknown architecture {arch_name!r}")
            return None
        self.assembler_words = arch.assembler_words
        symbols = self.symbols(arch)
        sections = self.sections()
        handler = self.handler(arch)
        outputs = self.outputs()
        vectors = self.vectors(arch, symbols, handler)
        uses_simd = any(v.simd is not SimdPolicy.NONE for v in vectors)
        frame = self.frame(arch, symbols.prefix, uses_simd)
        style = StubStyle(self.option("stubs", "style", str))
        entry = self.entry(arch, symbols.prefix)
        simd = self.simd()
        syscall = self.syscall(arch, symbols.prefix, frame, entry)
        paranoid_gs = self.paranoid_gs(arch)
        irq_stack = self.irq_stack(arch, entry, syscall)
        table = self.table(arch, sections)
        stubs = self.stubs(style)
        debug = Debug(
            self.option("debug", "cfi", bool),
            self.option("debug", "cfi_sections", str),
            self.src(("debug",)),
        )
        self.check_machine_values()
        # The cross-checks run despite earlier errors, each unless one of the sections it
        # reads had an error (its value would be a placeholder): an independent mistake is
        # reported in the same run.
        first = {d.path for d in self.diags}

        def clean(*sections: str) -> bool:
            return not any(_under(p, {f"$.{s}" for s in sections}) or p == "$" for p in first)

        if clean("symbols", "handler", "entry", "syscall", "stubs", "classes"):
            self.cross_check(symbols, handler, vectors, entry, syscall, stubs)
        if clean("frame", "handler", "entry", "syscall", "classes"):
            self.check_entry_options(arch, frame, handler, vectors, syscall, entry)
        if clean("handler", "irq_stack", "classes", "frame"):
            self.check_irq_stack_vectors(vectors, irq_stack, handler, frame)
        if clean("entry", "paranoid_gs", "classes", "frame"):
            self.check_paranoid_gs_vectors(vectors, paranoid_gs, entry, frame)
        if clean("frame", "stubs", "syscall", "classes"):
            self.check_frame_identifies_vectors(frame, vectors, style, syscall)
        chosen: tuple[ChosenName, ...] = ()
        if clean("symbols", "frame", "handler", "entry", "syscall", "classes"):
            named = self.named_symbols(symbols, handler, frame, vectors, entry, syscall)
            self.check_generated_names(symbols.prefix, frame, vectors, named)
            handlers = {handler.symbol, *(h for v in vectors for h in (v.handler, v.kernel_handler) if h)}
            if syscall is not None:
                handlers.add(syscall.handler)
            chosen = self.chosen_names(named, handlers, frame.struct_name)
            if clean("paranoid_gs"):
                self.check_offsets_symbol(paranoid_gs, named)
        if self.diags:
            return None
        return X86Spec(
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
            paranoid_gs=paranoid_gs,
            irq_stack=irq_stack,
            source_file=filename,
            source_sha256=sha256,
            chosen_names=chosen,
        )

    def symbols(self, arch: ArchFacts) -> Symbols:
        prefix = self.option("symbols", "prefix", str)
        names: dict[str, str] = {}
        for key in ("table", "entry", "exit", "gates"):
            pattern = self.option("symbols", key, str)
            name = self.expand(("symbols", key), pattern, {"prefix": prefix}, ("prefix",))
            if name is not None and self.check_ident(("symbols", key), name, arch, f"{key} symbol"):
                names[key] = name
            else:
                names[key] = "invalid"
        stub = self.option("symbols", "stub", str)
        if "{n}" not in stub and "{n:" not in stub and "{name}" not in stub:
            self.err(
                ("symbols", "stub"),
                f"stub pattern {stub!r} must contain {{n}} or {{name}} so that each stub gets its own symbol",
            )
        vis = {
            k: SymbolVisibility(self.get_in(("symbols", "visibility", k), spec_default("symbols", "visibility", k)))
            for k in _VISIBLE
        }
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

    def table(self, arch: ArchFacts, sections: Sections) -> Table:
        """The vector table's format; writable exactly when its section is ``.data``/``.data.*``."""
        width = self.get("table", "width", arch.word_size, int)
        align = self.get("table", "align", width, int)
        contents = self.option("table", "contents", str)
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
        cli = StubCli(self.option("stubs", "cli", str))
        filler = ErrorCodeFiller(self.option("stubs", "error_code_filler", str))
        if filler is not ErrorCodeFiller.NONE and style is not StubStyle.CLASSIC:
            self.err(("stubs", "error_code_filler"), "error_code_filler applies to classic stubs only", at_key=True)
        return Stubs(cli, filler, self.src(("stubs",)))

    def sections(self) -> Sections:
        code = self.option("sections", "code", str)
        table = self.option("sections", "table", str)
        code_align = self.option("sections", "code_align", int)
        stub_align = self.option("sections", "stub_align", int)
        for key, value in (("code_align", code_align), ("stub_align", stub_align)):
            if value & (value - 1):
                self.err(("sections", key), f"impossible alignment {value}: must be a power of two")
        special: dict[str, str | None] = {}
        for key, name in (("code", code), ("table", table)):
            special[key] = special_section_reason(name)
            if special[key] is not None:
                self.err(("sections", key), f"{key} section {name!r} cannot be used: {special[key]}")
        if code.startswith(_NON_EXEC_PREFIXES) and special["code"] is None:
            self.err(
                ("sections", "code"),
                f"code section {code!r} would not be executable (a data section name); use a .text.* name",
            )
        if special["table"] is not None:
            pass
        elif table.startswith(".text"):
            self.err(
                ("sections", "table"),
                f"table section {table!r} is a code section; the vector table belongs in read-only data",
            )
        elif table.startswith(_NOT_TABLE_PREFIXES):
            self.err(
                ("sections", "table"),
                f"table section {table!r} cannot hold the table's addresses (no file contents, thread-local or "
                "not loaded); use a .rodata.* or .data.* name",
            )
        if code == table:
            self.err(("sections", "table"), "the table section must differ from the code section")
        return Sections(code, table, code_align, stub_align, self.src(("sections",)))

    def handler(self, arch: ArchFacts) -> Handler:
        symbol = self.option("handler", "symbol", str)
        if self.ok(("handler", "symbol")):
            self.check_ident(("handler", "symbol"), symbol, arch, "handler symbol")
        convention = self.get("handler", "convention", arch.conventions[0], str)
        if convention not in arch.conventions:
            self.err(
                ("handler", "convention"),
                f"calling convention {convention!r} is not available on {arch.name} "
                f"(use {', '.join(arch.conventions)})",
            )
        returns = ReturnModel(self.option("handler", "returns", str))
        frame_arg = self.option("handler", "frame_arg", str)
        align = self.get("handler", "align_stack", frame_arg != "value", bool)
        for key in ("align_stack", "frame_arg"):
            if key in self.block("handler") and convention != "cdecl":
                self.err(("handler", key), f"{key} applies to the cdecl convention only", at_key=True)
        if frame_arg == "value" and align:
            self.err(
                ("handler", "align_stack"),
                "a frame passed by value must stay where the CPU and the stubs put it: align_stack cannot be true",
                at_key=True,
            )
        args = tuple(self.option("handler", "args", list))
        if (args and args[0] != "frame") or len(set(args)) != len(args):
            self.err(("handler", "args"), "handler.args starts with 'frame' and names each argument once")
        if len(args) > 1 and frame_arg == "value":
            self.err(("handler", "args"), "a frame passed by value cannot be followed by other arguments")
        return Handler(symbol, convention, returns, align, frame_arg, args or ("frame",), self.src(("handler",)))

    def outputs(self) -> tuple[Output, ...]:
        raw = self.data.get("outputs")
        if not isinstance(raw, dict) or not self.ok(("outputs",)):
            return tuple(Output(b, f) for b, f in DEFAULT_OUTPUTS.items())
        out: list[Output] = []
        files: dict[str, str] = {}
        for backend, filename in raw.items():
            path = ("outputs", backend)
            if self.catalogue is not None:
                unknown = self.catalogue.unknown_reason(backend)
                if unknown is not None:
                    self.err(path, unknown, at_key=True)
                    continue
                isa = get_isa(arch_name) if isinstance(arch_name := self.data.get("arch"), str) else None
                reason = self.catalogue.unsupported_reason(backend, isa) if isa is not None else None
                if reason is not None:
                    self.err(path, reason, at_key=True)
                    continue
            if isinstance(filename, dict):
                out += self.split_outputs(backend, filename, files)
                continue
            if filename in (".", ".."):
                self.err(path, f"output file name {filename!r} names a folder, not a file")
                continue
            if filename in files:
                self.err(path, f"output file {filename!r} is also written by backend {files[filename]!r}")
                continue
            files[filename] = backend
            out.append(Output(backend, filename, self.src(path)))
        if not out and not self.diags:
            self.err(("outputs",), "no outputs: name at least one backend")
        return tuple(out)

    def split_outputs(self, backend: str, parts: dict[str, str], files: dict[str, str]) -> list[Output]:
        """An assembly backend's output split into files, one :class:`Output` per file with
        the parts it holds (see :mod:`isrgen.arch.x86.split`)."""
        path = ("outputs", backend)
        if backend not in SPLITTABLE_BACKENDS:
            one_unit = " (the Rust module is one global_asm!: rustc assembles a crate as one unit)"
            why = one_unit if backend == "rust" else ""
            self.err(path, f"only {', '.join(SPLITTABLE_BACKENDS)} split their output into files{why}", at_key=True)
            return []
        entry_file = parts["entry"]
        if parts.get("exit", entry_file) != entry_file:
            self.err(
                path + ("exit",),
                f"the exit routine jumps into the resume path the entry falls into: exit must be {entry_file!r}",
            )
            return []
        if parts["stubs"] != parts["table"] and self.get_in(("symbols", "visibility", "stubs"), "global") == "local":
            self.err(
                path + ("table",),
                "the table refers to every stub, and symbols.visibility.stubs: local keeps them out of "
                f"other files: put table in {parts['stubs']!r} too",
            )
            return []
        if "syscall" in parts and "syscall" not in self.data:
            self.err(path + ("syscall",), "there is no syscall entry (the spec has no syscall: section)", at_key=True)
            return []
        by_file: dict[str, list[str]] = {}
        for part in PARTS if "syscall" in self.data else tuple(p for p in PARTS if p != "syscall"):
            filename = parts.get(part, entry_file)
            by_file.setdefault(filename, []).append(part)
        out = []
        for filename, held in by_file.items():
            key = next(p for p in PARTS if p in parts and parts[p] == filename)
            if filename in (".", ".."):
                self.err(path + (key,), f"output file name {filename!r} names a folder, not a file")
                continue
            if filename in files:
                self.err(path + (key,), f"output file {filename!r} is also written by backend {files[filename]!r}")
                continue
            files[filename] = backend
            out.append(Output(backend, filename, self.src(path + (key,)), tuple(held)))
        return out

    def _written_or(self, path: Path, fallback: Path) -> Path:
        """``path`` if the spec writes it, else ``fallback``: an error about a default value
        points at what the spec does say."""
        return path if path in self.loc.values else fallback

    def _handler_path(self, name: str, handler: Handler, vectors: tuple[X86Vector, ...]) -> Path:
        """Where the spec names handler ``name``."""
        if name == handler.symbol:
            return ("handler", "symbol")
        v = next((v for v in vectors if name in (v.handler, v.kernel_handler)), None)
        return self.vector_path(v) if v is not None else ("handler",)

    def cross_check(
        self,
        symbols: Symbols,
        handler: Handler,
        vectors: tuple[X86Vector, ...],
        entry: X86Entry,
        syscall: Syscall | None,
        stubs: Stubs,
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
                by_syscall = syscall is not None and v.stub_symbol == syscall.handler
                self.err(
                    ("syscall", "handler")
                    if by_syscall
                    else self._written_or(("symbols", "stub"), self._handler_path(v.stub_symbol, handler, vectors)),
                    f"stub symbol {v.stub_symbol!r} of vector {v.number} collides with a handler symbol",
                )
                return
            owners[v.stub_symbol] = f"the stub of vector {v.number}"
        for h in sorted(handlers):
            if h in owners:
                self.err(("handler", "symbol"), f"handler symbol {h!r} collides with {owners[h]}")
        groups = group_x86_vectors(symbols.entry, vectors, lambda v: reenables_interrupts(entry.swapgs, stubs.cli, v))
        for name in (g.symbol for g in groups):
            if name in owners or name in handlers:
                other = owners.get(name, "a handler")
                path = self._written_or(
                    ("symbols", "entry"),
                    ("symbols",) if name in owners else self._handler_path(name, handler, vectors),
                )
                default = "" if path == ("symbols", "entry") else " (symbols.entry, by default {prefix}common)"
                self.err(path, f"entry symbol {name!r}{default} collides with {other}")
