"""Numbers bounded by what the emitted instructions can encode.

Every frame offset is the signed 32-bit displacement of a ``[sp + disp32]``
operand, and pads are allocated with ``sub sp, imm32`` (SDM Vol. 2A 2.1.3: a
32-bit displacement or immediate is sign-extended in 64-bit mode); a C struct
on i386 is at most ``PTRDIFF_MAX`` (2^31 - 1) bytes.  A frame must therefore stay
below 2^31 bytes, with room left for the CPU's part and alignment.
"""

from __future__ import annotations

from isrgen.arch import ArchFacts
from isrgen.diagnostics import Diagnostic
from isrgen.model.spec import Slot, SlotKind

#: the largest signed 32-bit displacement or immediate
MAX_DISP32 = 2**31 - 1
#: room kept for the CPU-pushed words' alignment and the entry's own adjustments
FRAME_SLACK = 64


def frame_size_problems(slots: tuple[Slot, ...] | list[Slot], arch: ArchFacts) -> list[Diagnostic]:
    """A located error (at the largest pad) when the frame's offsets overflow a disp32."""
    total = len(arch.cpu_frame) * arch.word_size + FRAME_SLACK + sum(s.size for s in slots)
    if total <= MAX_DISP32 or not slots:
        return []
    culprit = max(slots, key=lambda s: (s.kind is SlotKind.PAD, s.size))
    what = f"a pad of {culprit.size} bytes" if culprit.kind is SlotKind.PAD else f"the {culprit.role} slot"
    return [
        Diagnostic(
            culprit.source,
            f"{what} makes the frame {total - FRAME_SLACK} bytes, more than {MAX_DISP32 - FRAME_SLACK}: every "
            "frame offset is a signed 32-bit displacement and a pad is allocated with sub sp, imm32",
            "$.frame.layout",
        )
    ]
