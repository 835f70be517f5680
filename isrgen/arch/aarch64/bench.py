"""Lower bounds on the instructions an entry and an exit need, to compare the
generated paths (:class:`~isrgen.arch.aarch64.prove.PathCost`) against.

The bound counts only what the frame forces: one store per two 8-byte fields (STP),
one per two q registers, one instruction producing each system-register or
constant field, the stack adjustment, one instruction per handler argument, the
``bl``, and one branch out of the 0x80-byte slot; on the way back the matching
loads, one ``msr`` per restored system register, the stack adjustment and ``eret``.
Hardening options are not part of the bound.
"""

from __future__ import annotations

from .facts import GPRS, QREGS
from .layout import FrameLayout
from .options import Handler

_PRODUCED = ("sp", "elr", "spsr", "esr", "far", "kind", "fpcr", "fpsr")


def _pairs(n: int) -> int:
    return (n + 1) // 2


def minimum_to_handler(layout: FrameLayout, handler: Handler) -> int:
    """Instructions from the vector to the handler's first instruction (``bl`` included)."""
    words = sum(f.size // 8 for f in layout.fields if not f.role.startswith("q"))
    qs = sum(1 for f in layout.fields if f.role in QREGS)
    produced = sum(1 for f in layout.fields if f.role in _PRODUCED)
    return 1 + 1 + _pairs(words) + _pairs(qs) + produced + len(handler.args) + 1


def minimum_back(layout: FrameLayout, restored: tuple[str, ...] | None = None) -> int:
    """Instructions from the handler's return to ``eret`` (included), restoring the frame;
    for a system call only the ``restored`` GPRs are loaded and each other one is zeroed."""
    gprs = sum(1 for f in layout.fields if f.role in GPRS and not f.copy)
    gpr_cost = _pairs(gprs) if restored is None else _pairs(len(restored)) + len(GPRS) - len(restored)
    qs = sum(1 for f in layout.fields if f.role in QREGS)
    sysregs = sum(1 for f in layout.fields if f.role in ("sp", "elr", "spsr", "fpcr", "fpsr"))
    return gpr_cost + _pairs(qs) + _pairs(sysregs) + sysregs + 1 + 1
