"""Values the CPU itself constrains, checked where the spec writes them.

- SYSRET (SDM Vol. 2B "SYSRET"; AMD APM Vol. 3 "SYSRET") loads CS from
  ``IA32_STAR[63:48] + 16`` and SS from ``IA32_STAR[63:48] + 8``, both with RPL
  forced to 3: a ``user_cs`` with another RPL never matches, and ``user_ss`` must
  be ``user_cs - 8``.
- The SYSCALL entry stores the user stack pointer in one per-CPU (GS-relative)
  word and loads the kernel's from another: the two 8-byte slots must not overlap.
- The SYSCALL entry pushes the marker as a 32-bit immediate that the CPU
  sign-extends to 64 bits (SDM Vol. 2B PUSH): -1 and 0xFFFFFFFFFFFFFFFF are the
  same frame value; 0xFFFFFFFF is not (it would need a 64-bit immediate).
- XCR0 bit 0 (x87) is always set and the SSE bit 1 is required by AVX; a kernel
  that saves SIMD state must save x87 and SSE, the registers any handler compiled
  with SSE clobbers; the three AVX-512 bits go together and need AVX
  (SDM Vol. 1 13.3).
"""

from __future__ import annotations

from typing import Any

from isrgen.arch.x86.defaults import spec_default
from isrgen.spec.resolve.base import ResolverBase

#: XCR0 bits: x87, SSE, AVX, and the AVX-512 opmask / ZMM_Hi256 / Hi16_ZMM triple
_X87, _SSE, _AVX, _AVX512 = 0x1, 0x2, 0x4, 0xE0
#: the size of a GS-relative stack-pointer slot
_SLOT = 8
_IMM32 = 1 << 31
_U64 = 1 << 64


def marker_value(value: int) -> int | None:
    """The signed value of a syscall marker as the frame holds it (an unsigned 64-bit
    spelling of a negative value becomes that value), or None when a sign-extended
    32-bit immediate cannot produce it."""
    if value >= _U64 - _IMM32:
        value -= _U64
    return value if -_IMM32 <= value < _IMM32 else None


class MachineValueChecks(ResolverBase):
    """Checks of syscall selectors, per-CPU slots and the XSAVE mask (mixed into the semantic pass)."""

    def check_machine_values(self) -> None:
        """Report each value the CPU would reject or misuse, at its key."""
        raw = self.data.get("syscall")
        if isinstance(raw, dict) and self.ok(("syscall",)):
            self._check_syscall(raw)
        if self.ok(("simd", "xsave_mask")):
            mask = self.get("simd", "xsave_mask", None, int)
            if mask is not None:
                self._check_xsave_mask(mask)

    def _at(self, raw: dict[str, Any], key: str) -> tuple[str, ...]:
        return ("syscall", key) if key in raw else ("syscall",)

    def _check_syscall(self, raw: dict[str, Any]) -> None:
        cs = raw.get("user_cs", spec_default("syscall", "user_cs"))
        ss = raw.get("user_ss", spec_default("syscall", "user_ss"))
        if isinstance(cs, int) and cs & 3 != 3:
            self.err(
                self._at(raw, "user_cs"),
                f"user_cs {cs:#x} has RPL {cs & 3}: SYSRET always loads CS with RPL 3 ({cs | 3:#x} for this slot)",
            )
        elif isinstance(cs, int) and isinstance(ss, int) and ss != cs - 8:
            self.err(
                self._at(raw, "user_ss" if "user_ss" in raw else "user_cs"),
                f"user_ss {ss:#x} must be user_cs - 8 = {cs - 8:#x}: SYSRET loads SS from IA32_STAR[63:48] + 8 "
                "and CS from IA32_STAR[63:48] + 16",
            )
        marker = raw.get("marker")
        if isinstance(marker, int) and not isinstance(marker, bool) and marker_value(marker) is None:
            self.err(
                ("syscall", "marker"),
                f"marker {marker:#x} does not fit the sign-extended 32-bit immediate the entry pushes: "
                "use -2147483648..2147483647 (write -1, or 0xFFFFFFFFFFFFFFFF, for all ones)",
            )
        kernel = raw.get("kernel_stack_gs", spec_default("syscall", "kernel_stack_gs"))
        user = raw.get("user_stack_gs", spec_default("syscall", "user_stack_gs"))
        if isinstance(kernel, int) and isinstance(user, int) and abs(kernel - user) < _SLOT:
            key = "user_stack_gs" if "user_stack_gs" in raw else "kernel_stack_gs"
            self.err(
                self._at(raw, key),
                f"user_stack_gs {user} and kernel_stack_gs {kernel} overlap: the entry stores the user stack "
                "pointer before it loads the kernel's, so each needs its own 8-byte per-CPU slot",
            )

    def _check_xsave_mask(self, mask: int) -> None:
        problem = None
        if mask & (_X87 | _SSE) != _X87 | _SSE:
            problem = "must include x87 (bit 0) and SSE (bit 1): XCR0 always enables x87, and SSE is the state "
            problem += "every handler compiled with SSE clobbers"
        elif mask & _AVX512 and (mask & _AVX512 != _AVX512 or not mask & _AVX):
            problem = "AVX-512 state (bits 5, 6, 7) is enabled all together and only with AVX (bit 2)"
        if problem:
            self.err(("simd", "xsave_mask"), f"xsave_mask {mask:#x} {problem} (SDM Vol. 1 13.3)")
