"""Entry-path options: ``entry``, ``simd``, ``syscall``, and their cross-checks
against the frame and the architecture."""

from __future__ import annotations

from isrgen.arch import ArchFacts
from isrgen.arch.x86.defaults import spec_default
from isrgen.arch.x86.model import Simd, SimdPolicy, Syscall, X86Entry, X86Vector
from isrgen.arch.x86.resolve.machine_values import marker_value
from isrgen.arch.x86.resolve.option_paths import OptionPaths
from isrgen.model.spec import ExitFrame, Frame, Handler, KernelFault, ReturnModel, SlotKind
from isrgen.spec.yamlsource import Path


class EntryResolver(OptionPaths):
    """Resolves ``entry``, ``simd`` and ``syscall``."""

    def entry(self, arch: ArchFacts, prefix: str) -> X86Entry:
        keys = ("swapgs", "clear_registers", "endbr64", "exit_loads_cr3", "segments_from_ds", "fsgsbase")
        flags = {k: self.option("entry", k, bool) for k in keys}
        halt_pattern = self.option("entry", "halt", str)
        halt = self.expand(("entry", "halt"), halt_pattern, {"prefix": prefix}, ("prefix",)) or "invalid"
        self.check_ident(("entry", "halt"), halt, arch, "halt symbol")
        kernel_fault = KernelFault(self.option("entry", "kernel_fault", str))
        data_segments = tuple(self.option("entry", "data_segments", list))
        data_selector = self.option("entry", "data_selector", int)
        if data_segments and not arch.segment_registers:
            self.err(("entry", "data_segments"), f"{arch.name} entries do not load data segments", at_key=True)
        per_register = self.option("entry", "data_selectors", dict)
        selectors: tuple[tuple[str, int], ...] = ()
        if per_register and not arch.segment_registers:
            self.err(("entry", "data_selectors"), f"{arch.name} entries do not load data segments", at_key=True)
        elif per_register:
            for other in ("data_segments", "data_selector"):
                if other in self.block("entry"):
                    self.err(
                        ("entry", "data_selectors"),
                        f"give either data_selectors (each register its selector) or {other}, not both",
                        at_key=True,
                    )
            # in the architecture's order (ds es fs gs), whatever order the mapping has
            selectors = tuple((s, int(per_register[s])) for s in arch.segment_registers if s in per_register)
            data_segments = tuple(s for s, _ in selectors)
        if flags["segments_from_ds"] and not arch.segment_registers:
            self.err(("entry", "segments_from_ds"), f"{arch.name} entries do not load data segments", at_key=True)
        feature_keys = {"swapgs": "swapgs", "fsgsbase": "segment_bases"}
        for key, feature in feature_keys.items():
            if flags.get(key) and feature not in arch.features:
                self.err(("entry", key), f"{key} is not available on {arch.name}", at_key=True)
        exit_frame = ExitFrame(self.option("entry", "exit_frame", str))
        if exit_frame is ExitFrame.STACK and flags["exit_loads_cr3"]:
            self.err(("entry", "exit_frame"), "exit_frame: stack takes no arguments, so it cannot load CR3 from one")
        exit_args = self.exit_args(exit_frame, flags["exit_loads_cr3"])
        return X86Entry(
            exit_frame=exit_frame,
            swapgs=flags["swapgs"],
            clear_registers=flags["clear_registers"],
            endbr64=flags["endbr64"],
            kernel_fault=kernel_fault,
            halt=halt,
            exit_args=exit_args,
            data_segments=data_segments,
            data_selector=data_selector,
            segment_selectors=selectors,
            source=self.src(("entry",)),
            segments_from_ds=flags["segments_from_ds"],
            fsgsbase=flags["fsgsbase"],
        )

    def exit_args(self, exit_frame: ExitFrame, loads_cr3: bool) -> tuple[str, ...]:
        """``entry.exit_args``: the exit routine's arguments by role, in order (``exit_loads_cr3:
        true`` is the older spelling of ``[frame, cr3]``)."""
        path: Path = ("entry", "exit_args")
        plain: tuple[str, ...] = tuple(spec_default("entry", "exit_args"))
        if "exit_args" not in self.block("entry"):
            return (*plain, "cr3") if loads_cr3 else plain
        args = tuple(self.option("entry", "exit_args", list))
        if not self.ok(path):
            return plain
        if loads_cr3:
            self.err(("entry", "exit_loads_cr3"), "give exit_args or exit_loads_cr3, not both", at_key=True)
        for i, arg in enumerate(args):
            if arg in args[:i]:
                self.err(path + (i,), f"{arg!r} is listed twice in exit_args")
        if "frame" not in args:
            self.err(path, "exit_args must include 'frame': the exit routine resumes the frame it is given")
        if exit_frame is ExitFrame.STACK:
            self.err(path, "exit_frame: stack takes no arguments (the stack pointer is at the frame)", at_key=True)
        return args

    def simd(self) -> Simd:
        mask = self.option("simd", "xsave_mask", int)
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

    def syscall(self, arch: ArchFacts, prefix: str, frame: Frame, entry: X86Entry) -> Syscall | None:
        raw = self.data.get("syscall")
        if not isinstance(raw, dict) or not self.ok(("syscall",)):
            return None
        base: Path = ("syscall",)
        if "syscall" not in arch.features:
            self.err(base, f"SYSCALL/SYSRET entries are not available on {arch.name}")
            return None
        pattern = raw.get("entry", spec_default("syscall", "entry"))
        entry_sym = self.expand(base + ("entry",), pattern, {"prefix": prefix}, ("prefix",))
        handler = raw["handler"]
        ok = entry_sym is not None and self.check_ident(base + ("entry",), entry_sym, arch, "syscall entry symbol")
        ok = self.check_ident(base + ("handler",), handler, arch, "syscall handler symbol") and ok
        default_restored = arch.syscall_restored
        restored = tuple(raw.get("restored", [r for r in default_restored if r in frame.saved_registers]))
        clobbered = "/".join(arch.syscall_clobbered)
        for i, reg in enumerate(restored):
            if reg in arch.syscall_clobbered:
                self.err(base + ("restored", i), f"{reg} cannot be restored: sysretq takes RIP/RFLAGS from {clobbered}")
            elif reg not in frame.saved_registers:
                self.err(base + ("restored", i), f"{reg!r} is not a register the frame saves")
        slots = self.fixed_slots(arch, raw)
        if not entry.swapgs and slots is None:
            self.err(
                base,
                "a syscall entry needs entry.swapgs: true (it reaches the kernel stack through GS), or "
                "syscall.kernel_stack and syscall.user_stack at fixed addresses",
            )
        if not ok:
            return None
        return Syscall(
            entry=entry_sym or "invalid",
            handler=handler,
            marker=marker_value(raw.get("marker", spec_default("syscall", "marker"))) or 0,
            kernel_stack_gs=raw.get("kernel_stack_gs", spec_default("syscall", "kernel_stack_gs")),
            user_stack_gs=raw.get("user_stack_gs", spec_default("syscall", "user_stack_gs")),
            user_cs=raw.get("user_cs", spec_default("syscall", "user_cs")),
            user_ss=raw.get("user_ss", spec_default("syscall", "user_ss")),
            restored=restored,
            source=self.src(base),
            kernel_stack=slots[0] if slots else None,
            user_stack=slots[1] if slots else None,
        )

    def fixed_slots(self, arch: ArchFacts, raw: dict[str, object]) -> tuple[str | int, str | int] | None:
        """``syscall.kernel_stack`` / ``user_stack``: both a symbol or an address, or neither."""
        base: Path = ("syscall",)
        given = [k for k in ("kernel_stack", "user_stack") if k in raw]
        if not given:
            return None
        if len(given) == 1:
            other = "user_stack" if given[0] == "kernel_stack" else "kernel_stack"
            self.err(base + (given[0],), f"{given[0]} needs {other} too: the entry stores the user rsp there")
            return None
        for key in ("kernel_stack_gs", "user_stack_gs"):
            if key in raw:
                self.err(base + (key,), f"{key} is GS-relative: it cannot go with kernel_stack/user_stack", at_key=True)
        out: list[str | int] = []
        for key in given:
            value = raw[key]
            if isinstance(value, str):
                self.check_ident(base + (key,), value, arch, f"{key} symbol")
                out.append(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                signed = value - (1 << 64) if value >= 1 << 63 else value
                # mov with an absolute address takes a sign-extended disp32 (SDM Vol. 2A 2.2.1.6)
                if not -(1 << 31) <= signed < 1 << 31:
                    self.err(
                        base + (key,),
                        f"{key} {value:#x} is not reachable by a sign-extended 32-bit address "
                        "(the low 2 GiB or the top 2 GiB): name a symbol instead",
                    )
                out.append(signed)
        if len(out) == 2 and out[0] == out[1]:
            self.err(base + ("user_stack",), "user_stack and kernel_stack must be different slots")
        return (out[0], out[1]) if len(out) == 2 else None

    def check_inline_simd(
        self, arch: ArchFacts, frame: Frame, vectors: tuple[X86Vector, ...], syscall: Syscall | None, at: Path
    ) -> None:
        """A ``simd_state`` area inside the frame: the entry aligns the frame base to 64
        (XSAVE needs a 64-byte aligned area, SDM Vol. 1 13.4; FXSAVE 16) and records
        how far it moved it in ``frame_shift``; every vector saves SIMD state."""
        if "simd" not in arch.features:
            self.err(at, f"{arch.name} entries do not save SIMD state: no simd_state or frame_shift slots")
            return
        kinds = {s.kind for s in frame.slots}
        if SlotKind.FRAME_SHIFT not in kinds:
            self.err(at, "a simd_state slot needs a 'frame_shift' slot: the entry records how far it moved the frame")
            return
        if SlotKind.SIMD_STATE not in kinds:
            self.err(at, "'frame_shift' goes with a {simd_state: N} slot (the SIMD area inside the frame)")
            return
        plain = next((v for v in vectors if v.simd is SimdPolicy.NONE), None)
        if plain is not None:
            self.err(
                self.vector_path(plain),
                f"with simd_state in the frame every vector saves SIMD state; vector {plain.number} does not "
                "(give it simd: fxsave or xsave, e.g. in classes)",
            )
        if syscall is not None:
            self.err(("syscall",), "a syscall entry cannot build a frame with simd_state (it saves no SIMD state)")
        if any(s.kind is SlotKind.SIMD_AREA for s in frame.slots):
            self.err(at, "simd_state and simd_area both name a SIMD area: keep one")
        size = sum(s.size for s in frame.slots) + arch.word_size * len(arch.cpu_frame)
        if size % 64:
            self.err(
                at,
                f"with simd_state the frame is 64-byte aligned, so its size must be a multiple of 64: it is {size}; "
                f"add {{pad: {64 - size % 64}}}",
            )
        area = next(s.size for s in frame.slots if s.kind is SlotKind.SIMD_STATE)
        mask = self.get("simd", "xsave_mask", spec_default("simd", "xsave_mask"), int)
        need = self.get("simd", "area_size", 832 if mask & 0x4 else 576, int)
        if any(v.simd is SimdPolicy.XSAVE for v in vectors) and area < need:
            self.err(at, f"simd_state has {area} bytes; XSAVE with mask {mask:#x} needs {need} (simd.area_size)")

    def check_entry_options(
        self,
        arch: ArchFacts,
        frame: Frame,
        handler: Handler,
        vectors: tuple[X86Vector, ...],
        syscall: Syscall | None,
        entry: X86Entry,
    ) -> None:
        saved = set(frame.saved_registers)
        roles = {s.role for s in frame.slots}
        for arg in handler.args[1:]:
            if arg not in roles:
                self.err(("handler", "args"), f"the handler cannot receive the {arg}: the frame has no {arg} slot")
        layout_path: Path = ("frame", "layout") if "layout" in self.block("frame") else ("frame",)
        for v in vectors:
            used = [
                (v.ist is not None, "ist", "an IST index"),
                (v.simd is not SimdPolicy.NONE, "simd", "a SIMD save policy"),
                (v.paranoid, "paranoid", "a paranoid entry"),
            ]
            for on, feature, what in used:
                if on and feature not in arch.features:
                    self.err(
                        self.option_path(v, feature),
                        f"vector {v.number} asks for {what}, which {arch.name} does not have",
                    )
                    return
        cdecl_frame = arch.reserved_register("cdecl_frame")
        if handler.convention == "cdecl" and cdecl_frame and cdecl_frame not in saved:
            self.err(
                layout_path,
                f"the cdecl entry keeps the frame address in {cdecl_frame}: the layout must save {cdecl_frame}",
            )
        roles = {s.role for s in frame.slots}
        if entry.segments_from_ds and "ds" not in roles:
            self.err(("entry", "segments_from_ds"), "segments_from_ds restores from the saved ds: add ds to the layout")
        if entry.segments_from_ds and not entry.data_segments:
            self.err(("entry", "segments_from_ds"), "segments_from_ds restores entry.data_segments, which lists none")
        for seg in entry.data_segments:
            if seg in roles or entry.segments_from_ds:
                continue  # with segments_from_ds, a missing ds is the error above
            self.err(
                ("entry", "data_selectors", seg) if entry.segment_selectors else ("entry", "data_segments"),
                f"{seg} is loaded but not saved: add it to the frame layout "
                "(or set segments_from_ds to give it the saved ds on exit)",
            )
        kinds = {v.simd for v in vectors} - {SimdPolicy.NONE}
        if len(kinds) > 1:
            first = next(v for v in vectors if v.simd is not SimdPolicy.NONE)
            other = next(v for v in vectors if v.simd not in (SimdPolicy.NONE, first.simd))
            self.err(
                self.option_path(other, "simd"),
                f"vectors mix fxsave and xsave (vector {other.number}: {other.simd.value}, vector {first.number}: "
                f"{first.simd.value}): choose one SIMD save instruction per spec",
            )
        if frame.simd_inline or any(s.kind is SlotKind.FRAME_SHIFT for s in frame.slots):
            self.check_inline_simd(arch, frame, vectors, syscall, layout_path)
        elif kinds and not any(s.kind is SlotKind.SIMD_AREA for s in frame.slots):
            self.err(layout_path, "some vectors save SIMD state: add 'simd_area' to the frame layout")
        simd_frame = arch.reserved_register("simd_frame")
        if kinds and simd_frame not in saved and not frame.simd_inline:
            self.err(
                layout_path,
                f"saving SIMD state keeps the frame address in {simd_frame}: the layout must save {simd_frame}",
            )
        flag = arch.reserved_register("paranoid_flag")
        if any(v.paranoid for v in vectors) and flag not in saved:
            self.err(layout_path, f"paranoid entries keep the swapgs decision in {flag}: the layout must save {flag}")
        paranoid = next((v for v in vectors if v.paranoid), None)
        if paranoid is not None and not entry.swapgs:
            self.err(
                self.option_path(paranoid, "paranoid"),
                f"paranoid vectors only make sense with entry.swapgs: true (vector {paranoid.number} is paranoid)",
            )
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
