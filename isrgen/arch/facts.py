"""The shape of an architecture's interrupt facts."""

from __future__ import annotations

import attrs


@attrs.frozen
class ExceptionInfo:
    """An architecturally defined vector: its mnemonic, a default name and its error code."""

    vector: int
    mnemonic: str
    name: str
    pushes_error_code: bool


@attrs.frozen
class ArchFacts:
    """Everything isrgen needs to know about a CPU's interrupt mechanism.

    ``cpu_frame`` lists what the CPU pushes, low address first (excluding the
    error code, which sits directly below it when pushed).
    """

    name: str
    word_size: int
    gprs: tuple[str, ...]
    stack_pointer: str
    cpu_frame: tuple[str, ...]
    exceptions: tuple[ExceptionInfo, ...]
    vector_count: int
    call_alignment: int
    interrupt_return: str
    #: registers whose 8-bit/16-bit/32-bit aliases are also reserved names in assembly
    register_aliases: frozenset[str]
    #: registers a called C function may change (the entry must save them)
    caller_saved: tuple[str, ...]
    #: handler calling conventions: "sysv" (frame in rdi) or "cdecl" (frame pushed on the stack)
    conventions: tuple[str, ...]
    #: the register holding a function's return value
    return_register: str
    #: the frame-pointer register (the base of a frame-pointer backtrace)
    frame_pointer: str
    #: segment registers an entry may save (16-bit values in word-size slots)
    segment_registers: tuple[str, ...] = ()
    #: CPU frame fields pushed only when the privilege level changes (i386: esp, ss)
    ring_change_only: tuple[str, ...] = ()
    #: CPU frame fields holding a 16-bit selector in a word-size slot (a struct may
    #: declare them narrower, with explicit padding: ``width:``)
    selector_fields: tuple[str, ...] = ()
    #: memory order (low address first) of the registers pushad stores; empty if none
    pushal_order: tuple[str, ...] = ()
    #: whether the CPU aligns the stack before pushing its frame (to call_alignment)
    cpu_aligns_stack: bool = True
    #: entry features this architecture has: swapgs, syscall, ist, simd, paranoid
    features: frozenset[str] = frozenset()
    #: size of one IDT gate descriptor in bytes
    gate_size: int = 16
    #: registers the generated entry relies on, by purpose ("cdecl_frame", "simd_frame",
    #: "paranoid_flag"): a layout using that purpose must save the register
    reserved_registers: tuple[tuple[str, str], ...] = ()
    #: registers a syscall return overwrites (they cannot be restored from the frame)
    syscall_clobbered: tuple[str, ...] = ()
    #: registers a syscall entry restores when the spec lists none
    syscall_restored: tuple[str, ...] = ()
    #: macros GCC predefines for this ISA in its GNU dialects (-std=gnu11) outside the
    #: reserved namespace: a symbol or field spelled like one is replaced by the preprocessor
    c_predefined_macros: frozenset[str] = frozenset()
    #: words this ISA's assemblers read as something other than a symbol: (what they
    #: are, the lower-case words); a generated symbol spelled like one is refused
    assembler_words: tuple[tuple[str, frozenset[str]], ...] = ()

    def reserved_register(self, purpose: str) -> str:
        """The register the generated code uses for ``purpose`` ("" when it has none)."""
        return dict(self.reserved_registers).get(purpose, "")

    @property
    def bits(self) -> int:
        """32 or 64."""
        return self.word_size * 8

    @property
    def error_code_vectors(self) -> frozenset[int]:
        """Vectors on which the CPU pushes an error code."""
        return frozenset(e.vector for e in self.exceptions if e.pushes_error_code)

    def exception(self, vector: int) -> ExceptionInfo | None:
        """The architectural exception at ``vector`` (None for vectors >= 32)."""
        for info in self.exceptions:
            if info.vector == vector:
                return info
        return None

    def pushes_error_code(self, vector: int) -> bool:
        """Whether the CPU pushes an error code when delivering ``vector``."""
        return vector in self.error_code_vectors
