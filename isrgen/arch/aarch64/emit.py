"""Small instruction builders shared by the aarch64 code generators.

They choose between the addressing forms the Arm ARM gives each instruction
(STP/LDP pairs where two 8- or 16-byte values are adjacent and in range, STR/LDR
otherwise) and split immediates that do not fit ADD/SUB's 12 bits.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...codegen.ir import Imm, Insn, Item, Mem, Reg, Sym
from .facts import ADD_IMM_MAX, STP_Q_RANGE, STP_X_RANGE, ZR


def insn(op: str, *operands: str | int) -> Insn:
    """An instruction; ``str`` operands are registers, ``int`` ones immediates."""
    return Insn(op, tuple(Reg(o) if isinstance(o, str) else Imm(o) for o in operands))


def mem(op: str, reg: str, base: str, disp: int) -> Insn:
    """``op reg, [base, #disp]``."""
    return Insn(op, (Reg(reg), Mem(base, disp)))


def branch(op: str, target: str) -> Insn:
    """``b``/``bl``/``b.eq`` to a label."""
    return Insn(op, (Sym(target),))


def _paired(values: Sequence[tuple[int, str]], size: int, lo: int, hi: int) -> list[tuple[int, str, str | None]]:
    ordered = sorted(values)
    out: list[tuple[int, str, str | None]] = []
    i = 0
    while i < len(ordered):
        off, reg = ordered[i]
        if i + 1 < len(ordered):
            nxt_off, nxt_reg = ordered[i + 1]
            if nxt_off == off + size and lo <= off <= hi and off % size == 0:
                out.append((off, reg, nxt_reg))
                i += 2
                continue
        out.append((off, reg, None))
        i += 1
    return out


def store(values: Sequence[tuple[int, str]], base: str = "sp", *, load: bool = False) -> list[Item]:
    """Store (or load) registers at ``[base + offset]``: ``stp`` for adjacent pairs, ``str`` otherwise.

    ``values`` holds (offset, register) pairs; all registers are x or all are q registers.
    """
    if not values:
        return []
    q = values[0][1].startswith("q")
    size = 16 if q else 8
    lo, hi = STP_Q_RANGE if q else STP_X_RANGE
    pair_op, one_op = ("ldp", "ldr") if load else ("stp", "str")
    items: list[Item] = []
    for off, first, second in _paired(values, size, lo, hi):
        if second is None:
            items.append(mem(one_op, first, base, off))
        else:
            items.append(Insn(pair_op, (Reg(first), Reg(second), Mem(base, off))))
    return items


def load(values: Sequence[tuple[int, str]], base: str = "sp") -> list[Item]:
    """The loads matching :func:`store` (never loads into ``xzr``)."""
    return store([(o, r) for o, r in values if r != ZR], base, load=True)


def add_imm(op: str, dst: str, src: str, value: int) -> list[Item]:
    """``add``/``sub`` of any non-negative ``value``, split into 12-bit steps."""
    items: list[Item] = []
    if value == 0 and dst != src:
        return [insn("mov", dst, src)]
    while value > 0:
        step = min(value, ADD_IMM_MAX)
        items.append(insn(op, dst, src, step))
        src = dst
        value -= step
    return items


def mov_imm(dst: str, value: int) -> Insn:
    """``mov dst, #value`` for a value ``movz`` can encode (< 65536)."""
    if not 0 <= value < 1 << 16:
        raise ValueError(f"immediate {value} needs more than one movz/movk")
    return insn("mov", dst, value)
