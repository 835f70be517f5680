"""One rejection test per loader rule: a spec that breaks just that rule is refused with
the rule's message, located at the line that breaks it (``# <-`` marks it below)."""

from __future__ import annotations

import pytest
from conftest import loads_x86

import isrgen

GOOD = """\
isrgen: 1
arch: {arch}
handler:
  symbol: isr_dispatch
frame:
  layout: [{layout}]
vectors:
{vectors}
"""
X86_64_LAYOUT = "r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code"
VECTORS = '  - {vector: 0, name: divide_error}\n  - {range: [32, 47], name: "irq_{n}", class: irq}'


def _spec(layout: str = X86_64_LAYOUT, vectors: str = VECTORS, extra: str = "", arch: str = "x86_64") -> str:
    return GOOD.format(arch=arch, layout=layout, vectors=vectors) + extra


def _rejected(text: str) -> list[isrgen.Diagnostic]:
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(text, "rule.yaml")
    return list(info.value.diagnostics)


def test_the_good_spec_loads() -> None:
    assert loads_x86(_spec(), "good.yaml").arch_name == "x86_64"


CASES: dict[str, tuple[str, str]] = {
    # frame layout: the stub's slots sit right below the CPU frame, in push order
    "error_code comes last": (
        _spec(layout="r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, error_code, vector"),
        "'error_code' must be the last slot",
    ),
    "error_code is required": (
        _spec(layout="r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector"),
        "must contain 'error_code'",
    ),
    "vector right before error_code": (
        _spec(layout="vector, r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, error_code"),
        "'vector' must come directly before 'error_code'",
    ),
    "frame_pointer only last": (
        _spec(layout=X86_64_LAYOUT.replace("vector, error_code", "frame_pointer, vector, error_code"))
        + "stubs: {style: classic}\n",
        "'frame_pointer' must be the last slot",
    ),
    "fixed syscall stack slots come in pairs": (
        _spec() + "syscall: {handler: s, kernel_stack: kernel_stack_top}\n",
        "needs user_stack too",
    ),
    "the exit routine is given its frame": (
        _spec() + "entry: {exit_args: [cr3]}\n",
        "exit_args must include 'frame'",
    ),
    "caller-saved registers are saved": (
        _spec(layout="r15, r14, r13, r12, rbp, rbx, vector, error_code"),
        "caller-saved registers",
    ),
    "cpu field renamed only on a CPU-pushed field": (
        _spec().replace("  layout:", "  cpu_fields: {rbx: foo}\n  layout:"),
        "is not a CPU-pushed field",
    ),
    # vectors
    "a vector is defined once": (
        _spec(vectors=VECTORS + "\n  - {vector: 0, name: again}"),
        "is defined twice",
    ),
    "vector names are unique": (
        _spec(vectors=VECTORS + "\n  - {vector: 1, name: divide_error}"),
        "is used twice",
    ),
    "ranges are not empty": (
        _spec(vectors='  - {range: [40, 32], name: "v{n}"}'),
        "empty range",
    ),
    "a range's name pattern tells its vectors apart": (
        _spec(vectors="  - {range: [32, 33], name: same}"),
        "include {n}",
    ),
    "an error-code override needs an error code": (
        _spec(vectors="  - {vector: 21, error_code_override: true}"),
        "error_code_override needs an explicit error_code",
    ),
    "the CPU decides the error code": (
        _spec(vectors="  - {vector: 14, error_code: false}"),
        "the CPU pushes an error code",
    ),
    # ISA features
    "IST only where the ISA has it": (
        _spec(
            arch="i386",
            layout="edi, esi, ebp, ebx, edx, ecx, eax, vector, error_code",
            vectors="  - {vector: 1, ist: 1}",
        ).replace("  symbol: isr_dispatch", "  symbol: isr_dispatch\n  convention: cdecl"),
        "which i386 does not have",
    ),
    "syscall only where the ISA has it": (
        _spec(
            arch="i386",
            layout="edi, esi, ebp, ebx, edx, ecx, eax, vector, error_code",
            extra="syscall: {handler: sys}\n",
        ).replace("  symbol: isr_dispatch", "  symbol: isr_dispatch\n  convention: cdecl"),
        "SYSCALL/SYSRET entries are not available",
    ),
    "a syscall entry needs swapgs": (_spec(extra="syscall: {handler: sys}\n"), "needs entry.swapgs: true"),
    "sysret cannot restore rcx": (
        _spec(extra="entry: {swapgs: true}\nsyscall: {handler: sys, restored: [rcx]}\n"),
        "rcx cannot be restored",
    ),
    "SIMD saving keeps the frame in r12": (
        _spec(
            layout="simd_area, r15, r14, r13, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code",
            vectors="  - {vector: 0, simd: fxsave}",
        ),
        "must save r12",
    ),
    "SIMD saving needs a simd_area slot": (_spec(vectors="  - {vector: 0, simd: fxsave}"), "add 'simd_area'"),
    "paranoid needs swapgs": (_spec(vectors="  - {vector: 2, ist: 2, paranoid: true}"), "only make sense with"),
    "the cdecl entry keeps the frame in ebx": (
        _spec(arch="i386", layout="eax, ecx, edx, esi, edi, ebp, vector, error_code").replace(
            "  symbol: isr_dispatch", "  symbol: isr_dispatch\n  convention: cdecl"
        ),
        "must save ebx",
    ),
    "dense stubs need a vector slot": (
        _spec(layout=X86_64_LAYOUT.replace("vector, ", "")) + "stubs: {style: dense}\n",
        "dense stubs need a 'vector' slot",
    ),
    "unknown architecture": (_spec(arch="sparc"), "sparc"),
    "a backend that does not generate for the ISA": (
        _spec(
            arch="i386",
            layout="edi, esi, ebp, ebx, edx, ecx, eax, vector, error_code",
        ).replace("  symbol: isr_dispatch", "  symbol: isr_dispatch\n  convention: cdecl")
        + "outputs: {rust: isr.rs}\n",
        "does not generate for i386",
    ),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_rejects_what_breaks_it(rule: str) -> None:
    text, fragment = CASES[rule]
    diagnostics = _rejected(text)
    assert any(fragment in d.message for d in diagnostics), [d.message for d in diagnostics]
    # the error is placed in the file (a line, not just the file name)
    assert all(d.source.file == "rule.yaml" for d in diagnostics)
    assert any(d.source.line > 0 for d in diagnostics if fragment in d.message)
