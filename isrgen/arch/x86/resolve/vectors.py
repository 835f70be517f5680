"""Vectors: ranges, names, class defaults, handlers and architecture error codes."""

from __future__ import annotations

from typing import Any

from isrgen.arch import ArchFacts
from isrgen.arch.x86.defaults import spec_default
from isrgen.arch.x86.model import GateType, SimdPolicy, X86Vector
from isrgen.diagnostics import SourceRef
from isrgen.model.spec import Handler, Symbols, VectorClass
from isrgen.spec.identifiers import identifier_reason
from isrgen.spec.resolve.base import ResolverBase
from isrgen.spec.suggest import split_hint
from isrgen.spec.yamlsource import Path


class VectorResolver(ResolverBase):
    """Resolves the ``vectors`` list (with ``classes`` defaults)."""

    def vectors(self, arch: ArchFacts, symbols: Symbols, handler: Handler) -> tuple[X86Vector, ...]:
        raw = self.data.get("vectors")
        if not isinstance(raw, list):
            return ()
        by_number: dict[int, X86Vector] = {}
        entry_of: dict[int, int] = {}  # vector number -> index of the entry that defined it
        names: dict[str, SourceRef] = {}
        for i, entry in enumerate(raw):
            path: Path = ("vectors", i)
            if not isinstance(entry, dict) or not self.ok(path):
                continue
            for v in self.vector_entry(arch, symbols, handler, entry, path):
                prev = by_number.get(v.number)
                if prev is not None:
                    hint = split_hint(v.number, raw[entry_of[v.number]], entry)
                    self.err(path, f"vector {v.number} is defined twice (first at line {prev.source.line}){hint}")
                    continue
                entry_of[v.number] = i
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
    ) -> list[X86Vector]:
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
        out: list[X86Vector] = []
        for n in numbers:
            vclass = VectorClass(entry.get("class", "exception" if n < 32 else "irq"))
            defaults = self.class_defaults(vclass)

            def pick(key: str, entry: dict[str, Any] = entry, defaults: dict[str, Any] = defaults) -> Any:
                return entry[key] if key in entry else defaults.get(key, spec_default("vectors", key))

            handler_symbol = entry.get("handler", defaults.get("handler", handler.symbol))
            kernel_handler = pick("kernel_handler")
            for key, sym in (("handler", handler_symbol), ("kernel_handler", kernel_handler)):
                if sym is None or sym == handler.symbol:
                    continue
                where = path + (key,) if key in entry else ("classes", vclass.value, key)
                if not self.check_ident(where, sym, arch, f"{key.replace('_', ' ')} symbol"):
                    return []
            ist = pick("ist")
            gate = GateType(pick("gate"))
            dpl = pick("dpl")
            info = arch.exception(n)
            if name_pattern is None:
                name = info.name if info else f"vector_{n}"
            else:
                expanded = self.expand(path + ("name",), name_pattern, {"n": n}, ("n",))
                if expanded is None:
                    return []
                name = expanded
                if not name:
                    self.err(path + ("name",), "a vector name cannot be empty")
                    return []
            bad_name = identifier_reason(name)
            if bad_name:
                self.err(path + ("name",) if name_pattern else path, f"invalid vector name: {bad_name}")
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
                X86Vector(
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
                    paranoid=pick("paranoid"),
                    simd=SimdPolicy(pick("simd")),
                    source=src,
                    # with an irq_stack block, irq-class vectors use it unless they say otherwise
                    irq_stack=entry.get(
                        "irq_stack",
                        defaults.get(
                            "irq_stack", vclass is VectorClass.IRQ and isinstance(self.data.get("irq_stack"), dict)
                        ),
                    ),
                )
            )
        return out

    def error_code(self, arch: ArchFacts, n: int, entry: dict[str, Any], path: Path) -> tuple[bool, bool] | None:
        fact = arch.pushes_error_code(n)
        override = entry.get("error_code_override", spec_default("vectors", "error_code_override"))
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
