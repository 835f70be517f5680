"""Check a linked riscv64 kernel ELF against its spec: the glue's symbols are where stvec can
point (priv 4.1.2 alignment), in executable sections, vectored slots jump where the spec says,
and the trampoline section starts a page and fits in it, with its entry, userret and (vectored)
vector table inside."""

from __future__ import annotations

import io

import attrs

from ...diagnostics import IsrgenError
from ...proof.elf import ElfSection, read_elf_stream
from .facts import TVEC_BASE_ALIGN, TVEC_SLOT_SIZE, TvecMode
from .options import Riscv64Options

_JAL_X0_MASK, _JAL_X0 = 0xFFF, 0x06F


class VerifyError(IsrgenError):
    """The kernel image does not hold the glue the spec describes."""


@attrs.frozen
class _Symbol:
    value: int
    section: ElfSection
    data: bytes
    size: int = 0


def jal_target(word: int, pc: int) -> int | None:
    """Where ``jal x0, imm`` at ``pc`` goes (J-type immediate, unprivileged spec 2.5); None if not one."""
    if word & _JAL_X0_MASK != _JAL_X0:
        return None
    imm = ((word >> 31) << 20) | (((word >> 21) & 0x3FF) << 1) | (((word >> 20) & 1) << 11) | (word & 0xFF000)
    imm -= (imm & (1 << 20)) << 1
    return pc + imm


def verify_elf(options: Riscv64Options, data: bytes) -> tuple[str, ...]:
    """The checks that passed; raise :class:`VerifyError` listing every problem."""
    elf = read_elf_stream(io.BytesIO(data), "the kernel")
    if not elf.has_section(".symtab"):
        raise VerifyError("the ELF has no symbol table")
    symbols: dict[str, _Symbol] = {}
    for entry in elf.symbols:
        if entry.name and entry.section is not None:
            section = elf.section(entry.section)
            symbols[entry.name] = _Symbol(entry.value, section, elf.contents.get(entry.section, b""), entry.size)
    problems: list[str] = []
    passed: list[str] = []

    def code_symbol(name: str, align: int) -> _Symbol | None:
        sym = symbols.get(name)
        if sym is None:
            problems.append(f"{name}: not defined in the image")
            return None
        if not (sym.section.alloc and sym.section.executable):
            problems.append(f"{name}: in {sym.section.name}, which is not allocated and executable")
        elif sym.value % align:
            problems.append(f"{name}: at {sym.value:#x}, not {align}-byte aligned")
        else:
            passed.append(f"{name} at {sym.value:#x}: executable, {align}-byte aligned")
        return sym

    def word_at(sym: _Symbol, address: int) -> int:
        offset = address - sym.section.addr
        return int.from_bytes(sym.data[offset : offset + 4], "little")

    o = options
    v = o.vector
    if v.mode is TvecMode.VECTORED:
        table_sym = code_symbol(o.symbols.vector, max(v.align, TVEC_BASE_ALIGN))
        targets = dict(v.targets)
        if table_sym is not None:
            for n in range(v.slots):
                pc = table_sym.value + TVEC_SLOT_SIZE * n
                want_name = targets.get(n, o.symbols.entry)
                want = symbols.get(want_name)
                got = jal_target(word_at(table_sym, pc), pc)
                if want is None or got != want.value:
                    problems.append(f"{o.symbols.vector} slot {n} at {pc:#x}: does not jump to {want_name}")
            passed.append(f"{v.slots} vector slots jump to their entries")
    elif o.trampoline is None:
        code_symbol(o.symbols.entry, max(v.align, TVEC_BASE_ALIGN))
    if o.trampoline is not None:
        t = o.trampoline
        start = code_symbol(f"{o.symbols.prefix}trampoline", t.page_size)
        in_page: tuple[str, ...] = (o.symbols.entry, t.userret)
        if v.mode is TvecMode.VECTORED:
            in_page = (o.symbols.vector, *in_page)  # its slots jump pc-relative: only in the alias
        for name in in_page:
            sym = code_symbol(name, TVEC_BASE_ALIGN)
            if (
                sym is not None
                and start is not None
                and not (0 <= sym.value - start.value and sym.value + sym.size - start.value <= t.page_size)
            ):
                problems.append(f"{name}: outside the trampoline page")
        # A linker script may place the section inside a larger output section (xv6's kernel.ld
        # puts trampsec in .text): the output section's size tells something only when it
        # starts with the trampoline.
        if start is not None and start.section.addr == start.value:
            size = start.section.size
            if size > t.page_size:
                problems.append(f"{start.section.name}: {size} bytes, larger than its {t.page_size}-byte page")
            else:
                passed.append(f"{start.section.name}: {size} bytes, within one page")
    elif o.kernel_entry is not None:
        code_symbol(o.symbols.entry, TVEC_BASE_ALIGN)
    if o.kernel_entry is not None:
        code_symbol(o.kernel_entry.symbol, TVEC_BASE_ALIGN)
    if o.machine_timer is not None:
        code_symbol(o.machine_timer.symbol, TVEC_BASE_ALIGN)
    if problems:
        raise VerifyError("\n".join(problems))
    return tuple(passed)
