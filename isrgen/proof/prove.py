"""``isrgen prove``: check a spec's generated glue against its model with the real tools.

Four properties, each run only for the backends chosen:

1. C layout: the generated header compiles with gcc, and a generated checker
   program, compiled and run, prints every field's offsetof/sizeof and the
   struct's sizeof, which must equal :func:`isrgen.compute_layout` (for i386,
   with ``gcc -m32``, a freestanding checker object whose data holds them).
2. Rust layout: the generated Rust module compiles (its ``offset_of!`` asserts
   included) and a tiny program prints the same offsets.
3. Machine code: the assembled stubs run under unicorn for every vector (see
   :mod:`isrgen.arch.x86.prover.long_mode`), and every entry option the model enables is
   checked for its effect on machine state; code must sit in executable memory,
   the table where its section puts it (read-only, or writable for ``.data*``),
   aligned, with one ``table.width`` entry per vector pointing at its stub, and
   every generated symbol bound as ``symbols.visibility`` says.  i386 glue runs
   on :mod:`isrgen.arch.x86.emulation.protected_mode` (see :mod:`isrgen.arch.x86.prover.protected_mode`).
4. Backends agree: the GAS, NASM and Rust objects hold the same bytes
   (relocated bytes masked) and the same symbols at the same offsets.

Typical use::

    report = isrgen.proof.prove.prove(isrgen.load_spec("specs/x86_64.yaml"), ["gas", "c"])
    print(report.table())
    assert report.ok, report.failures
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from isrgen.arch.isa import TableEmulator
from isrgen.diagnostics import UsageError
from isrgen.model.layout import FrameLayout, compute_layout
from isrgen.model.package_spec import PackageSpec
from isrgen.model.spec import Spec, SymbolVisibility
from isrgen.output.build import render_outputs
from isrgen.proof import toolchain
from isrgen.proof.elf import ElfObject, read_elf
from isrgen.proof.image import LinkedImage
from isrgen.proof.layout_check import (
    c_checker_source,
    c_layout_object_source,
    layout_lines_from_object,
    parse_layout_lines,
    rust_checker_source,
)

#: backends ``prove`` knows how to check, and the tools each needs
BACKEND_TOOLS: dict[str, tuple[str, ...]] = {
    "gas": ("as", "ld"),
    "nasm": ("nasm", "ld"),
    "rust": ("rustc", "ld"),
    "c": ("gcc",),
}
ASSEMBLY_BACKENDS = ("gas", "nasm", "rust")

#: ``transform(backend, text) -> text``: applied to each generated output before the
#: tools see it (the mutation tests corrupt outputs through it)
Transform = Callable[[str, str], str]


@attrs.frozen
class ProofRow:
    """One line of the report: a property, its outcome and what was checked."""

    name: str
    outcome: str  # "proven" | "FAILED" | "skipped"
    detail: str


@attrs.frozen
class ProofReport:
    """What ``prove`` checked and every mismatch it found."""

    spec_file: str
    backends: tuple[str, ...]
    rows: tuple[ProofRow, ...]
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether every property that ran held."""
        return not self.failures

    def table(self) -> str:
        """A short, aligned table of what was proven."""
        head = f"isrgen prove {self.spec_file} (backends: {', '.join(self.backends)})"
        width = max(len(r.name) for r in self.rows)
        lines = [head]
        lines += [f"  {r.name.ljust(width)}  {r.outcome.ljust(7)}  {r.detail}" for r in self.rows]
        lines.append(f"{'all properties hold' if self.ok else f'{len(self.failures)} mismatch(es)'}")
        return "\n".join(lines)


def choose_backends(spec: Spec, backends: Sequence[str] | None) -> tuple[str, ...]:
    """The backends to prove: those named, or the provable ones among the spec's outputs."""
    if backends:
        unknown = [b for b in backends if b not in BACKEND_TOOLS]
        if unknown:
            raise UsageError(f"cannot prove backend {unknown[0]!r} (provable: {', '.join(BACKEND_TOOLS)})")
        for b in backends:
            _check_arch(spec, b)
        return tuple(dict.fromkeys(backends))
    chosen = tuple(dict.fromkeys(o.backend for o in spec.outputs if o.backend in BACKEND_TOOLS))
    if not chosen:
        raise UsageError(
            f"none of the spec's outputs can be proven (provable: {', '.join(BACKEND_TOOLS)}); name some with --backend"
        )
    return chosen


def _check_arch(spec: Spec, backend: str) -> None:
    from isrgen.backends import get_backend, unsupported_reason

    reason = unsupported_reason(backend, get_backend(backend), spec.isa)
    if reason is not None:
        raise UsageError(reason)


def required_tools(backends: Sequence[str]) -> tuple[str, ...]:
    """Every external program the chosen backends' proofs run."""
    return tuple(dict.fromkeys(t for b in backends for t in BACKEND_TOOLS[b]))


class _Prover:
    def __init__(self, spec: Spec, backends: tuple[str, ...], work: Path, transform: Transform | None, seed: int):
        self.spec, self.backends, self.work = spec, backends, work
        self.transform = transform
        self.rng = random.Random(seed)
        self.layout: FrameLayout = compute_layout(spec)
        self.rows: list[ProofRow] = []
        self.failures: list[str] = []
        self.files: dict[str, Path] = {}
        #: every file of a backend (several when the spec splits its output)
        self.split_files: dict[str, list[Path]] = {}

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def row(self, name: str, before: int, detail: str) -> None:
        outcome = "proven" if len(self.failures) == before else "FAILED"
        self.rows.append(ProofRow(name, outcome, detail))

    def render(self) -> None:
        for out in render_outputs(self.spec, list(self.backends)):
            text = self.transform(out.backend, out.content) if self.transform else out.content
            path = self.work / out.filename
            path.write_text(text, encoding="utf-8")
            self.files.setdefault(out.backend, path)
            self.split_files.setdefault(out.backend, []).append(path)

    # -- 1 and 2: struct layouts -------------------------------------------------
    def check_printed_layout(self, lang: str, output: str) -> int:
        printed, size = parse_layout_lines(output)
        checked = 0
        for f in self.layout.fields:
            got = printed.get(f.name)
            if got is None:
                self.fail(f"{lang}: the frame struct has no field {f.name}")
                continue
            checked += 1
            # a segment selector is a 16-bit member followed by padding up to the slot's size
            width = f.value_size or f.size
            if got != (f.offset, width):
                self.fail(
                    f"{lang}: field {f.name} is at offset {got[0]} size {got[1]}, the model says "
                    f"offset {f.offset} size {width}"
                )
        extra = sorted(set(printed) - {f.name for f in self.layout.fields})
        if extra:
            self.fail(f"{lang}: the frame struct has fields the model does not: {', '.join(extra)}")
        if size != self.layout.size:
            self.fail(f"{lang}: sizeof(frame) is {size}, the model says {self.layout.size}")
        return checked

    def prove_c(self) -> None:
        before = len(self.failures)
        if "c" not in self.backends:
            self.rows.append(ProofRow("C layout", "skipped", "c backend not chosen"))
            return
        src = self.work / "isrgen_prove_layout.c"
        exe = self.work / "isrgen_prove_layout_c"
        header = self.files["c"].name
        hosted = self.spec.arch.word_size == 8
        how = "gcc-compiled checker run" if hosted else "gcc -m32 checker object read"
        cflags: list[str | Path] = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-I", self.work]
        try:
            if hosted:
                src.write_text(c_checker_source(self.spec, self.layout, header), encoding="utf-8")
                toolchain.run_tool(["gcc", *cflags, "-o", exe, src])
                output = toolchain.run_tool([exe])
            else:
                # no 32-bit C library is needed: the offsets are read from the object's data
                src.write_text(c_layout_object_source(self.spec, self.layout, header), encoding="utf-8")
                obj = self.work / "isrgen_prove_layout_c.o"
                toolchain.run_tool(["gcc", f"-m{self.spec.arch.bits}", "-ffreestanding", *cflags, "-c", "-o", obj, src])
                output = layout_lines_from_object(obj, self.layout)
        except toolchain.ToolError as exc:
            self.fail(f"C: the generated header does not compile into the checker: {exc.output.strip()[:600]}")
            self.row("C layout", before, "gcc failed")
            return
        n = self.check_printed_layout("C", output)
        self.row(
            "C layout",
            before,
            f"struct {self.spec.frame.struct_name}: {n} fields (offsetof + sizeof) and sizeof {self.layout.size}, "
            + how,
        )

    def prove_rust(self) -> None:
        before = len(self.failures)
        if "rust" not in self.backends:
            self.rows.append(ProofRow("Rust layout", "skipped", "rust backend not chosen"))
            return
        src = self.work / "isrgen_prove_layout.rs"
        src.write_text(rust_checker_source(self.spec, self.layout, self.files["rust"]), encoding="utf-8")
        exe = self.work / "isrgen_prove_layout_rs"
        try:
            # static: a non-PIE executable, linked below 4 GiB, where 4-byte table entries fit
            argv: list[str | Path] = [
                "rustc",
                "--edition",
                "2021",
                "-C",
                "panic=abort",
                "-C",
                "relocation-model=static",
            ]
            toolchain.run_tool([*argv, "-o", exe, src])
            output = toolchain.run_tool([exe])
        except toolchain.ToolError as exc:
            self.fail(f"Rust: the generated module does not compile into the checker: {exc.output.strip()[:600]}")
            self.row("Rust layout", before, "rustc failed")
            return
        n = self.check_printed_layout("Rust", output)
        self.row("Rust layout", before, f"{n} fields (offset_of! + size_of) and size_of {self.layout.size}, run")

    # -- 3 and 4: machine code --------------------------------------------------
    def objects(self) -> dict[str, Path]:
        objs: dict[str, Path] = {}
        for b in self.backends:
            if b in ASSEMBLY_BACKENDS:
                try:
                    if b == "rust":
                        objs[b] = toolchain.object_for(b, self.files[b], target=self._rust_target())
                    elif len(self.split_files[b]) == 1:
                        objs[b] = self.spec.isa.assemble(b, self.files[b])
                    else:
                        # each file assembled on its own, then joined as ld -r would for the kernel
                        pieces = [self.spec.isa.assemble(b, f) for f in self.split_files[b]]
                        joined = self.work / f"{b}-joined.o"
                        objs[b] = self.spec.isa.join_objects(pieces, joined)
                except toolchain.ToolError as exc:
                    self.fail(f"{b}: the generated output does not assemble: {exc.output.strip()[:600]}")
        return objs

    def _rust_target(self) -> str:
        rust = self.spec.isa.rust
        if rust is None:  # pragma: no cover - choose_backends refuses rust for such an ISA
            raise UsageError(f"backend 'rust' does not generate for {self.spec.arch_name}")
        return rust.target

    def placement(self, label: str, image: LinkedImage, emu: TableEmulator) -> int:
        """Stubs and entries in executable memory, reached through the table; the table in
        memory as writable as its section says, never executable, aligned.  Returns how
        many code addresses were checked."""
        spec = self.spec
        checked = 0
        for n in range(spec.arch.vector_count):
            v = spec.vector(n)
            stub = emu.stub_address(n)
            if v is None:
                if stub != 0:
                    self.fail(f"{label}: table entry {n} is {stub:#x}, but the spec defines no vector {n} (want 0)")
                    return checked
                continue
            symbol = image.symbols.get(v.stub_symbol)
            if symbol is not None and symbol != stub:
                self.fail(f"{label}: table entry {n} is {stub:#x}, not {v.stub_symbol} ({symbol:#x})")
                return checked
            if not self._executable(label, f"{v.stub_symbol} (table entry {n})", image, stub):
                return checked
            checked += 1
        for name in (spec.symbols.exit, *(g.symbol for g in spec.entry_groups)):
            if not self._executable(label, name, image, image.symbols.get(name, -1)):
                return checked
            checked += 1
        address = image.symbols.get(spec.symbols.table, -1)
        table = image.segment_of(address)
        where = "writable data (its section is .data*)" if spec.table.writable else "read-only data"
        if table is None or table.executable or bool(table.flags & 2) != spec.table.writable:
            flags = "not loaded" if table is None else f"flags {_pflags(table.flags)}"
            self.fail(f"{label}: the vector table {spec.symbols.table} is not in {where} ({flags})")
        if address % spec.table_align:
            self.fail(f"{label}: the vector table is at {address:#x}, not {spec.table_align}-byte aligned")
        return checked

    def _executable(self, label: str, name: str, image: LinkedImage, address: int) -> bool:
        seg = image.segment_of(address)
        if seg is None or not seg.executable:
            flags = "not loaded" if seg is None else f"flags {_pflags(seg.flags)}"
            self.fail(f"{label}: {name} is not in executable memory ({flags}): check the code section's flags")
            return False
        return True

    def visibility(self, label: str, obj: Path) -> int:
        """Each generated symbol is bound (global or local) as ``symbols.visibility`` says."""
        spec = self.spec
        vis = spec.symbols.visibility
        wanted = [(v.stub_symbol, vis.stubs) for v in spec.vectors]
        wanted += [(spec.symbols.table, vis.table), (spec.symbols.exit, vis.exit)]
        wanted += [(g.symbol, vis.entry) for g in spec.entry_groups]
        symbols = {s.name: s for s in read_elf(obj).symbols if s.name and s.section is not None}
        for name, want in wanted:
            sym = symbols.get(name)
            if sym is None:
                self.fail(f"{label}: {name} is not in the object's symbol table")
                return 0
            if sym.is_global != (want is SymbolVisibility.GLOBAL):
                self.fail(f"{label}: {name} is {sym.binding}, but symbols.visibility says {want}")
                return 0
        return len(wanted)

    def cfi(self, label: str, obj: Path) -> str:
        """GAS output: call-frame information where ``debug.cfi``/``cfi_sections`` put it,
        an FDE starting at every stub (the other assemblers' CFI is not the spec's)."""
        if label != "gas":
            return ""
        debug = self.spec.debug
        elf = read_elf(obj)
        present = [name for name in (".eh_frame", ".debug_frame") if elf.has_section(name)]
        # not every ISA's glue gets CFI (see Isa.emits_cfi)
        if not debug.cfi or not self.spec.isa.emits_cfi:
            if present:
                self.fail(f"{label}: the object has {', '.join(present)}, but the spec's glue has no CFI")
            return ", no CFI (" + (
                "debug.cfi: false)" if not debug.cfi else f"none generated for {self.spec.arch_name})"
            )
        want = f".{debug.cfi_sections}"
        if present != [want]:
            self.fail(f"{label}: CFI is in {', '.join(present) or 'no section'}, debug.cfi_sections says {want}")
            return ""
        code = self.spec.sections.code
        starts = {r.target[1] for r in elf.relocations.get(want, ()) if r.target[0] == code}
        stubs = elf.defined_symbols(code, only_global=False)
        # a stub outside the code section is reported by the placement check
        found = [stubs[v.stub_symbol] for v in self.spec.vectors if v.stub_symbol in stubs]
        missing = [sym.name for sym in found if sym.value not in starts]
        if missing:
            self.fail(f"{label}: no FDE in {want} starts at {missing[0]} ({len(missing)} stubs without CFI)")
        return f", CFI in {want} (an FDE at each of {len(found) - len(missing)} stubs)"

    def prove_machine(self, objs: dict[str, Path]) -> None:
        before = len(self.failures)
        if not objs:
            why = "no assembly backend chosen" if not set(self.backends) & set(ASSEMBLY_BACKENDS) else "no object"
            self.rows.append(ProofRow("machine code", "skipped" if before == len(self.failures) else "FAILED", why))
            return
        isa = self.spec.isa
        details = []
        for label, obj in objs.items():
            try:
                image = isa.link_for_emulation([obj], self.work, f"{label}.elf")
            except toolchain.ToolError as exc:
                self.fail(f"{label}: the object does not link: {exc.output.strip()[:600]}")
                continue
            width = self.spec.table_width
            try:
                emulator = isa.emulator(self.spec, image)
            except ValueError as exc:
                self.fail(f"{label}: {exc}")
                continue
            placed = self.placement(label, image, emulator)
            tally = isa.machine_prover(self.spec, self.layout, emulator, self.fail, self.rng, label).run_all()
            bound = self.visibility(label, obj)
            details.append(
                f"{label}: {tally.summary()}; {placed} code addresses in executable memory "
                f"({len(self.spec.vectors)} via {width}-byte table entries), {bound} symbols bound as specified"
                + self.cfi(label, obj)
            )
        self.row("machine code", before, "; ".join(details) or "nothing ran")

    def prove_agree(self, objs: dict[str, Path]) -> None:
        before = len(self.failures)
        if len(objs) < 2:
            chosen = ", ".join(objs) or "none"
            self.rows.append(ProofRow("backends agree", "skipped", f"needs two assembly backends (chosen: {chosen})"))
            return
        sections = (self.spec.sections.code, self.spec.sections.table)
        elves = {b: read_elf(p) for b, p in objs.items()}
        # only outputs split into files the same way hold the same bytes and symbols: a split
        # turns jumps between files into relocations and adds the symbols they need
        groups: dict[tuple[tuple[str, ...], ...], list[str]] = {}
        for b in elves:
            groups.setdefault(tuple(o.parts for o in self.spec.outputs_for(b) if o.parts), []).append(b)
        compared = 0
        for ref_name, *names in groups.values():
            for name in names:
                compared += self._agree(sections, ref_name, elves[ref_name], name, elves[name])
        details = [" == ".join(g) for g in groups.values()]
        detail = f"{', '.join(details)}: {compared} bytes of {', '.join(sections)}"
        if len(groups) > 1:
            detail += " (outputs split into files differently are not compared with each other)"
        self.row("backends agree", before, detail)

    def _agree(self, sections: tuple[str, str], ref_name: str, ref: ElfObject, name: str, other: ElfObject) -> int:
        """Compare two objects' sections byte for byte (relocated bytes masked) and their
        symbols; the number of bytes compared."""
        compared = 0
        for sec in sections:
            if not ref.has_section(sec) or not other.has_section(sec):
                self.fail(f"backends agree: {sec} missing from the {name if ref.has_section(sec) else ref_name} object")
                continue
            a, b = ref.masked_bytes(sec), other.masked_bytes(sec)
            compared += len(a)
            if a != b:
                at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
                self.fail(
                    f"backends agree: {sec} differs between {ref_name} ({len(a)} bytes) and {name} "
                    f"({len(b)} bytes) first at offset {at:#x}"
                )
            syms_a = {s: v.value for s, v in ref.defined_symbols(sec).items()}
            syms_b = {s: v.value for s, v in other.defined_symbols(sec).items()}
            if syms_a != syms_b:
                diff = sorted(set(syms_a.items()) ^ set(syms_b.items()))[:3]
                self.fail(f"backends agree: symbols in {sec} differ between {ref_name} and {name}: {diff}")
        return compared


def _pflags(flags: int) -> str:
    return "".join(c if flags & bit else "" for c, bit in (("R", 4), ("W", 2), ("E", 1))) or "none"


def prove(
    spec: Spec | PackageSpec,
    backends: Sequence[str] | None = None,
    *,
    workdir: str | Path | None = None,
    transform: Transform | None = None,
    seed: int = 0,
) -> ProofReport:
    """Run the four properties for ``spec`` with ``backends`` (default: the spec's provable outputs).

    Raises :class:`UsageError` when a needed tool is missing (naming it).  Mismatches
    are not exceptions: they are listed in the returned report's ``failures``.
    ``transform`` rewrites each generated output before it is built (see :data:`Transform`).
    Register values are drawn from ``random.Random(seed)``: the same seed, the same run.
    """
    if isinstance(spec, PackageSpec):
        return _prove_package(spec, backends, seed)
    chosen = choose_backends(spec, backends)
    for tool in required_tools(chosen):
        toolchain.find_tool(tool)
    if set(chosen) & set(ASSEMBLY_BACKENDS):
        spec.isa.require_emulator()
    with tempfile.TemporaryDirectory(prefix="isrgen-prove-") as tmp:
        work = Path(workdir) if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        p = _Prover(spec, chosen, work, transform, seed)
        p.render()
        p.prove_c()
        p.prove_rust()
        objs = p.objects()
        p.prove_machine(objs)
        p.prove_agree(objs)
    return ProofReport(spec.source_file, chosen, tuple(p.rows), tuple(p.failures))


def _prove_package(spec: PackageSpec, backends: Sequence[str] | None, seed: int) -> ProofReport:
    """``prove`` for a spec whose ISA package owns its model: the package assembles its GAS
    output and runs it under emulation."""
    if backends and set(backends) != {"gas"}:
        raise UsageError(f"prove for {spec.arch_name} runs the gas output only (asked: {', '.join(backends)})")
    result = spec.pipeline.prove(spec.options, seed)
    rows = [ProofRow(line, "proven", "") for line in result.checked]
    rows += [ProofRow(line, "FAILED", "") for line in result.failures]
    return ProofReport(spec.source_file, ("gas",), tuple(rows), result.failures)
