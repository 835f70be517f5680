"""Per-CPU options: ``paranoid_gs`` (how paranoid entries reach the kernel GS base) and
``irq_stack`` (the per-CPU IRQ stack), with their cross-checks."""

from __future__ import annotations

from isrgen.arch import ArchFacts
from isrgen.arch.x86.defaults import spec_default
from isrgen.arch.x86.model import IrqStack, ParanoidGs, ParanoidGsMethod, Syscall, X86Entry, X86Vector
from isrgen.arch.x86.resolve.option_paths import OptionPaths
from isrgen.model.spec import Frame, Handler, ReturnModel
from isrgen.spec.yamlsource import Path

#: the size of a per-CPU word the glue reads or writes
_SLOT = 8


class PercpuResolver(OptionPaths):
    """Resolves ``paranoid_gs`` and ``irq_stack``."""

    def paranoid_gs(self, arch: ArchFacts) -> ParanoidGs:
        base: Path = ("paranoid_gs",)
        raw = self.data.get("paranoid_gs")
        if not isinstance(raw, dict) or not self.ok(base):
            return ParanoidGs()
        if "swapgs" not in arch.features:
            self.err(base, f"paranoid_gs is not available on {arch.name}", at_key=True)
            return ParanoidGs()
        method = ParanoidGsMethod(raw.get("method", spec_default("paranoid_gs", "method")))
        # no default: the methods that read them require them (checked below)
        offsets = raw["offsets"] if "offsets" in raw else ParanoidGs().offsets
        selector = raw["cpunode_selector"] if "cpunode_selector" in raw else ParanoidGs().cpunode_selector
        if method is ParanoidGsMethod.MSR_SIGN:
            for key in ("offsets", "cpunode_selector"):
                if key in raw:
                    self.err(base + (key,), f"{key} is not used by method msr_sign", at_key=True)
            return ParanoidGs(source=self.src(base))
        if not offsets:
            self.err(
                base,
                f"method {method.value} loads the GS base from the per-CPU offset table: give paranoid_gs.offsets "
                "(the symbol of an array of u64 GS bases indexed by CPU number)",
            )
        elif not self.check_ident(base + ("offsets",), offsets, arch, "per-CPU offset table symbol"):
            offsets = ""
        if method is ParanoidGsMethod.LSL:
            if "cpunode_selector" not in raw:
                self.err(
                    base, "method lsl reads the CPU number from a segment limit: give paranoid_gs.cpunode_selector"
                )
            elif selector & 4 or selector >> 3 == 0:
                # SDM Vol. 3A 3.4.2: TI (bit 2) selects the LDT; index 0 is the null descriptor
                self.err(
                    base + ("cpunode_selector",),
                    f"cpunode_selector {selector:#x} is not a GDT descriptor (TI must be 0 and the index non-zero)",
                )
        elif "cpunode_selector" in raw:
            self.err(base + ("cpunode_selector",), "cpunode_selector is used by method lsl only", at_key=True)
        return ParanoidGs(method, offsets, selector, self.src(base))

    def irq_stack(self, arch: ArchFacts, entry: X86Entry, syscall: Syscall | None) -> IrqStack | None:
        base: Path = ("irq_stack",)
        raw = self.data.get("irq_stack")
        if not isinstance(raw, dict) or not self.ok(base):
            return None
        if "swapgs" not in arch.features:
            self.err(base, f"irq_stack is not available on {arch.name}", at_key=True)
            return None
        if not entry.swapgs:
            self.err(base, "irq_stack needs entry.swapgs: true (its per-CPU words are reached through the kernel GS)")
        top, depth = raw["top_gs"], raw["depth_gs"]
        slots: list[tuple[str, int, Path]] = []
        # a syscall entry with fixed-address stack slots reads nothing through GS
        if syscall is not None and not syscall.fixed_stack_slots:
            slots.append(("syscall.kernel_stack_gs", syscall.kernel_stack_gs, ("syscall",)))
            slots.append(("syscall.user_stack_gs", syscall.user_stack_gs, ("syscall",)))
        for key, value in (("top_gs", top), ("depth_gs", depth)):
            for name, other, _ in slots:
                if abs(value - other) < _SLOT:
                    self.err(
                        base + (key,),
                        f"irq_stack.{key} {value} overlaps {name} {other}: each per-CPU word needs its own 8 bytes",
                    )
            slots.append((f"irq_stack.{key}", value, base + (key,)))
        return IrqStack(top, depth, self.src(base))

    def check_offsets_symbol(self, pg: ParanoidGs, named: list[tuple[str, Path]]) -> None:
        """The per-CPU offset table is the kernel's data: no generated symbol or handler
        may have its name (``named``: every symbol the spec names, with its key)."""
        if not pg.reads_gs_base:
            return
        for name, path in named:
            if name == pg.offsets:
                where = ".".join(str(p) for p in path)
                self.err(
                    ("paranoid_gs", "offsets"),
                    f"per-CPU offset table symbol {name!r} is also the symbol {where} names",
                )
                return

    def check_irq_stack_vectors(
        self, vectors: tuple[X86Vector, ...], irq: IrqStack | None, handler: Handler, frame: Frame
    ) -> None:
        """Each vector on the IRQ stack can use it: the block exists, and the entry has no
        other stack business (an IST stack, a paranoid GS switch, a frame it realigns)."""
        users = [v for v in vectors if v.irq_stack]
        if not users:
            return
        if frame.simd_inline:
            self.err(
                self.option_path(users[0], "irq_stack"),
                "the IRQ stack cannot go with a simd_state slot (that entry moves the frame itself): "
                "set irq_stack: false or keep the SIMD area out of the frame",
            )
            return
        if irq is None:
            v = users[0]
            self.err(
                self.option_path(v, "irq_stack"), f"vector {v.number} asks for the IRQ stack: add an irq_stack block"
            )
            return
        if handler.returns is ReturnModel.NORETURN:
            self.err(
                ("irq_stack",),
                "a handler that never returns never leaves the IRQ stack (its in-use counter would stay set)",
            )
        for v in users:
            clash = [
                (v.paranoid, "paranoid", "a paranoid entry"),
                (v.ist is not None, "ist", "an IST stack"),
            ]
            for on, key, what in clash:
                if on:
                    self.err(
                        self.option_path(v, key),
                        f"vector {v.number} runs on the IRQ stack and has {what}: set irq_stack: false for it",
                    )
                    return

    def check_paranoid_gs_vectors(
        self, vectors: tuple[X86Vector, ...], pg: ParanoidGs, entry: X86Entry, frame: Frame
    ) -> None:
        """What the paranoid vectors' GS method cannot do: trust the GS base's sign once
        ring 3 may write it, or record the user GS base without a swapgs."""
        paranoid = [v for v in vectors if v.paranoid]
        if not paranoid:
            return
        numbers = ", ".join(str(v.number) for v in paranoid[:4]) + (", ..." if len(paranoid) > 4 else "")
        if entry.fsgsbase and not pg.reads_gs_base:
            # CR4.FSGSBASE enables WRGSBASE at every privilege level (SDM Vol. 3A 2.5): a
            # negative user GS base then looks like the kernel's to msr_sign
            self.err(
                ("entry", "fsgsbase"),
                f"with CR4.FSGSBASE set, ring 3 can load a negative GS base, which paranoid_gs method msr_sign "
                f"takes for the kernel's: paranoid vectors ({numbers}) need paranoid_gs.method rdpid, rdtscp or lsl",
                at_key=True,
            )
        gs_slot = any(s.role == "gs_base" for s in frame.slots)
        if gs_slot and pg.reads_gs_base:
            self.err(
                self.layout_item_path("gs_base") or ("frame", "layout"),
                f"the gs_base slot records the user GS base from IA32_KERNEL_GS_BASE after a swapgs; paranoid "
                f"vectors ({numbers}) switch the GS base with wrgsbase (method {pg.method.value}) and never "
                "swapgs, so the slot would hold the kernel's base: drop the slot or the paranoid vectors",
            )
