"""The frame: ``frame.layout`` items to slots, CPU field names, and whether the
frame identifies the vector."""

from __future__ import annotations

from typing import Any

from isrgen.arch import ArchFacts
from isrgen.arch.x86.model import Syscall, X86Vector
from isrgen.arch.x86.resolve.option_paths import OptionPaths
from isrgen.diagnostics import SourceRef
from isrgen.model.narrow import NarrowField
from isrgen.model.spec import Frame, Slot, SlotKind, StubStyle, VectorClass
from isrgen.spec.identifiers import reserved_reason
from isrgen.spec.resolve.base import ResolverBase
from isrgen.spec.resolve.bounds import frame_size_problems
from isrgen.spec.resolve.narrow import parse_declaration
from isrgen.spec.suggest import did_you_mean
from isrgen.spec.yamlsource import Path

#: the slots that hold a segment base (x86_64: IA32_FS_BASE, the user GS base)
SEGMENT_BASES = ("fs_base", "gs_base")


class FrameResolver(OptionPaths):
    """Resolves the ``frame`` section."""

    def frame(self, arch: ArchFacts, prefix: str, uses_simd: bool = False) -> Frame:
        struct_pattern = self.option("frame", "struct", str)
        struct = self.expand(("frame", "struct"), struct_pattern, {"prefix": prefix}, ("prefix",)) or "invalid"
        self.check_ident(("frame", "struct"), struct, arch, "struct name")
        synthetic = self.option("frame", "synthetic_error_code", int)
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
        self.diags += frame_size_problems(slots, arch)
        kinds = [s.kind for s in slots]
        if base[-1] == "layout" and not any(d.path.startswith("$.frame.layout") for d in self.diags):
            self.check_stub_slots(base, builder, kinds, arch)
        cpu_names, cpu_narrow = self.cpu_declarations(arch)
        names: dict[str, str] = {}
        for s in slots:
            names.setdefault(s.name, s.role)
        for s in slots:
            for pad in s.narrow.padding if s.narrow else ():
                names.setdefault(pad.name, f"{s.role} padding")
        renamed = dict(cpu_names)
        for cpu in arch.cpu_frame:
            field = renamed.get(cpu, cpu)
            if field in names:
                slot = self._slot_path(base, builder, names[field])
                where: Path = ("frame", "cpu_fields", cpu) if cpu in renamed else slot
                self.err(where, f"field name {field!r} is used by the {names[field]} slot and the CPU-pushed {cpu}")
            names[field] = cpu
        for cpu, narrow in cpu_narrow:
            for pad in narrow.padding:
                if pad.name in names:
                    self.err(("frame", "cpu_fields", cpu), f"padding member {pad.name!r} is also a field of the frame")
                names[pad.name] = f"{cpu} padding"
        in_slot = tuple(VectorClass(c) for c in self.option("frame", "vector_in_error_slot", list))
        return Frame(struct, tuple(slots), synthetic, self.src(("frame",)), cpu_names, in_slot, cpu_narrow)

    def _slot_path(self, base: Path, builder: _SlotBuilder, role: str) -> Path:
        """Where the layout names the slot ``role``: its item (its new name when renamed), else ``base``."""
        if base[-1] != "layout" or role not in builder.indexes:
            return base
        item = base + (builder.indexes[role],)
        return item + (role,) if item + (role,) in self.loc.values else item

    def check_stub_slots(self, base: Path, builder: _SlotBuilder, kinds: list[SlotKind], arch: ArchFacts) -> None:
        """The slots the stub writes sit right below the CPU frame, in push order:
        [vector] error_code [frame_pointer]."""
        top = kinds[:-1] if kinds and kinds[-1] is SlotKind.FRAME_POINTER else kinds
        if SlotKind.FRAME_POINTER in top:
            self.err(
                base + (builder.index_of("frame_pointer"),),
                "'frame_pointer' must be the last slot, right after 'error_code': the stub stores it directly "
                "below the CPU frame",
            )
            return
        if SlotKind.ERROR_CODE not in kinds:
            self.err(base, "the layout must contain 'error_code': the CPU pushes one on some vectors")
        elif top[-1] is not SlotKind.ERROR_CODE:
            self.err(
                base + (builder.index_of("error_code"),),
                "'error_code' must be the last slot (or be followed only by 'frame_pointer'): the CPU pushes it "
                "directly below its own frame",
            )
        if SlotKind.VECTOR in kinds and (len(top) < 2 or top[-2] is not SlotKind.VECTOR):
            self.err(
                base + (builder.index_of("vector"),),
                "'vector' must come directly before 'error_code': the stub pushes it right after the error code",
            )
        if SlotKind.FRAME_POINTER in kinds and arch.frame_pointer not in {
            s.role for s in builder.slots if s.kind is SlotKind.GPR
        }:
            self.err(
                base + (builder.index_of("frame_pointer"),),
                f"a 'frame_pointer' slot needs {arch.frame_pointer} saved in the layout too: the entry points "
                f"{arch.frame_pointer} at the slot and restores it from its register slot",
            )

    @staticmethod
    def default_registers(arch: ArchFacts) -> list[Any]:
        """The conventional save order: pushad plus segment registers on i386, all GPRs on x86_64."""
        if arch.pushal_order:
            return ["pushal", *reversed(arch.segment_registers)]
        return list(reversed(arch.gprs))

    def cpu_declarations(
        self, arch: ArchFacts
    ) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, NarrowField], ...]]:
        """``frame.cpu_fields``: CPU-pushed fields renamed (``{rip: ip}``) and selector
        fields declared narrower (``{cs: {name: cs, width: 16, padding: [...]}}``)."""
        raw = self.block("frame").get("cpu_fields")
        if not isinstance(raw, dict) or not self.ok(("frame", "cpu_fields")):
            return (), ()
        out = []
        narrow_out = []
        for cpu, field in raw.items():
            path = ("frame", "cpu_fields", cpu)
            if cpu not in arch.cpu_frame:
                self.err(
                    path, f"{cpu!r} is not a CPU-pushed field on {arch.name} ({', '.join(arch.cpu_frame)})", at_key=True
                )
            elif isinstance(field, dict):
                if cpu not in arch.selector_fields:
                    self.err(path, f"only {', '.join(arch.selector_fields)} take a width: {cpu} is a full word")
                    continue
                name, narrow = parse_declaration(self, path, field, cpu, arch.word_size, arch.c_predefined_macros)
                if name is not None:
                    out.append((cpu, name))
                if narrow is not None:
                    narrow_out.append((cpu, narrow))
            elif self.check_field_name(path, field, arch.c_predefined_macros):
                out.append((cpu, field))
        return tuple(out), tuple(narrow_out)

    def check_frame_identifies_vectors(
        self, frame: Frame, vectors: tuple[X86Vector, ...], style: StubStyle, syscall: Syscall | None
    ) -> None:
        """Without a vector slot a handler can only tell vectors apart by the error-code slot
        (``vector_in_error_slot``) or by being reached from one vector only."""
        fpath: Path = ("frame", "layout") if "layout" in self.block("frame") else ("frame",)
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
                        self.vector_path(v),
                        f"vector {v.number} cannot be told apart: the frame has no 'vector' slot, its error-code "
                        f"slot does not carry the vector number, and its handler {h!r} also serves vector(s) "
                        f"{', '.join(map(str, shared[:4]))}{', ...' if len(shared) > 4 else ''}; "
                        "give it a handler of its own or add 'vector' to the layout",
                    )
                    return


class _SlotBuilder:
    """Turns frame.layout items into slots, checking each and collecting problems.

    An item is a name (a register, a segment register, ``pushal``, ``vector``,
    ``error_code``, ``frame_pointer``, ``simd_area``, ``pad``) or a one-key mapping giving the struct
    field's name: ``{vector: trapno}``, ``{rbp: bp}``, ``{pushal: [edi, ...]}``,
    ``{pad: 16}`` (bytes).
    """

    def __init__(self, resolver: ResolverBase, arch: ArchFacts):
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
        bases = list(SEGMENT_BASES) if "segment_bases" in self.arch.features else []
        inline = ["simd_state", "frame_shift"] if "simd" in self.arch.features else []
        return ", ".join([*words, "vector", "error_code", "frame_pointer", "simd_area", *inline, *bases, "pad"])

    def field_name(self, path: Path, name: Any) -> str | None:
        if not isinstance(name, str):
            self.r.err(path, f"a field name must be a string, got {name!r}")
            return None
        reason = reserved_reason(name, frozenset(), self.arch.c_predefined_macros, self.arch.assembler_words)
        if reason:
            self.r.err(path, f"invalid field name: {reason}")
            return None
        if name in self.names:
            self.r.err(path, f"field name {name!r} is used twice in the frame")
            return None
        self.names.add(name)
        return name

    def padding_name(self, path: Path, name: str) -> bool:
        """Whether a narrow field's padding member ``name`` is new to the frame; its spelling
        was checked with the declaration, which allows the ``__`` names kernels use there
        (Linux i386 ``unsigned short gs, __gsh;``): a struct member, never a symbol."""
        if name in self.names:
            self.r.err(path, f"field name {name!r} is used twice in the frame")
            return False
        self.names.add(name)
        return True

    def add(self, path: Path, item: Any) -> None:
        index = path[-1] if isinstance(path[-1], int) else 0
        if isinstance(item, str):
            role, rename = item.strip(), None
        elif isinstance(item, dict) and len(item) == 1:
            role, rename = next(iter(item.items()))
            path = path + (role,)
            if rename is None:
                self.r.err(path, f"{{{role}: ...}} needs a value: a field name (or a size in bytes for pad)")
                return
        else:
            self.r.err(path, "a layout item is a slot name or a one-key mapping {slot: field_name}")
            return
        word = self.arch.word_size
        src = self.r.src(path)
        if role == "simd_state":
            self.simd_state(path, rename, index, src)
            return
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
            "frame_pointer": SlotKind.FRAME_POINTER,
            "frame_shift": SlotKind.FRAME_SHIFT,
        }.get(role)
        if kind is None and role in SEGMENT_BASES and "segment_bases" in self.arch.features:
            kind = SlotKind.SEGMENT_BASE
        if kind is None and role in self.arch.gprs:
            kind = SlotKind.GPR
        if kind is None and role in self.arch.segment_registers:
            kind = SlotKind.SEGMENT
        if kind is None:
            if role == self.arch.stack_pointer or role in self.arch.cpu_frame:
                self.r.err(path, f"{role!r} is saved by the CPU, not by the entry code; it is always part of the frame")
            else:
                hint = did_you_mean(role, self.choices().split(", "))
                self.r.err(path, f"unknown frame slot {role!r}{hint} (expected one of: {self.choices()})")
            return
        narrow = None
        if isinstance(rename, dict):
            if kind is not SlotKind.SEGMENT:
                self.r.err(
                    path,
                    f"a declaration with width/padding is for segment-register slots (and the CPU's selectors in "
                    f"frame.cpu_fields); {role!r} takes a field name",
                )
                return
            rename, narrow = parse_declaration(self.r, path, rename, role, word, self.arch.c_predefined_macros)
            if rename is None:
                return
            for pad in narrow.padding if narrow else ():
                if not self.padding_name(path, pad.name):
                    return
        name = self.field_name(path, role if rename is None else rename)
        if name is None:
            return
        value_size = 2 if kind is SlotKind.SEGMENT else 0
        if kind is SlotKind.GPR and any(s.block == "pushal" and s.role == role for s in self.slots):
            self.r.err(path, f"{role!r} is already saved by pushal")
            return
        self.slots.append(Slot(kind, name, word, role, value_size, "", src, narrow))

    def simd_state(self, path: Path, size: Any, index: int, src: SourceRef) -> None:
        """``{simd_state: N}``: the SIMD save area inside the frame, N bytes, first in the
        layout (the entry aligns the frame base, and so the area, to 64 bytes)."""
        if "simd_state" in self.seen:
            first = self.seen["simd_state"]
            self.r.err(path, f"'simd_state' is listed twice in the frame layout (first at index {first})")
            return
        self.seen["simd_state"] = self.indexes["simd_state"] = index
        if not isinstance(size, int) or isinstance(size, bool) or size < 512 or size % 64:
            self.r.err(
                path,
                "simd_state takes the save area's size in bytes: {simd_state: N}, N a multiple of 64 and at least "
                f"512 (FXSAVE; XSAVE: simd.area_size), got {size!r}",
            )
            return
        if self.slots:
            self.r.err(path, "'simd_state' must be the first slot: the entry aligns the frame base to 64 for it")
            return
        self.slots.append(Slot(SlotKind.SIMD_STATE, "simd_state", size, "simd_state", 0, "", src))

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
            self.seen[reg] = next((e for e in reversed(path) if isinstance(e, int)), 0)
            # pushad stores the ESP from before it ran; popad skips that slot (SDM PUSHA/POPA)
            if reg == self.arch.stack_pointer:
                # not the interrupted esp (that is the CPU's field): a value popad skips
                self.slots.append(Slot(SlotKind.PAD, name, self.arch.word_size, "pushal_esp", 0, "pushal", src))
            else:
                self.slots.append(Slot(SlotKind.GPR, name, self.arch.word_size, reg, 0, "pushal", src))
