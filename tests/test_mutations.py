"""The properties have teeth: corrupt generated output in known ways and `prove` must say so."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import DEFAULT_SPEC, load_x86, loads_x86, require_module, require_tool

import isrgen
from isrgen.proof.prove import ProofReport, prove


def _gas(edit: Callable[[str], str]) -> Callable[[str, str], str]:
    def transform(backend: str, text: str) -> str:
        if backend != "gas":
            return text
        try:
            changed = edit(text)
        except ValueError:
            return text  # the marker is in another file of a split output (xv6's vectors.S, trapasm.S)
        assert changed != text, "the mutation did not apply: the generated code changed shape"
        return changed

    return transform


def _swap_first_two_register_pushes(text: str) -> str:
    lines = text.splitlines()
    at = [i for i, line in enumerate(lines) if re.fullmatch(r"\s+push r\w+", line)][:2]
    lines[at[0]], lines[at[1]] = lines[at[1]], lines[at[0]]
    return "\n".join(lines) + "\n"


def _drop_synthetic_error_code_of_vector_0(text: str) -> str:
    return re.sub(r"(isr_stub_0:\n(?:\s+\.cfi[^\n]*\n)*)\s+push 0\n", r"\1", text, count=1)


def _misalign_the_call(text: str) -> str:
    return re.sub(r"(\n)(\s+call )", r"\1    sub rsp, 8\1\2", text, count=1)


def _code_in_rodata(text: str) -> str:
    return text.replace('.pushsection .text.isr,"ax",@progbits', '.pushsection .rodata.isr_code,"a",@progbits')


def _run(transform: Callable[[str, str], str], backends: list[str]) -> ProofReport:
    return prove(load_x86(DEFAULT_SPEC), backends, transform=transform)


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tool("as", "ld", "gcc")
    require_module("unicorn")


def test_the_unmutated_output_is_proven() -> None:
    report = _run(lambda backend, text: text, ["gas", "c"])
    assert report.ok, report.failures
    assert [r.outcome for r in report.rows] == ["proven", "skipped", "proven", "skipped"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            _swap_first_two_register_pushes,
            r"vector 0 from ring 0: frame field r\w+ \(offset \d+\) holds 0x[0-9a-f]+ "
            r"\(the value of r\w+\)",
        ),
        (_drop_synthetic_error_code_of_vector_0, r"vector 0 from ring 0: .*(rdi = 0x[0-9a-f]+ but the frame|holds)"),
        (_misalign_the_call, r"rsp % 16 == 8 at the call into isr_dispatch"),
        (_code_in_rodata, r"isr_stub_0 \(table entry 0\) is not in executable memory \(flags R\)"),
    ],
    ids=["swap-pushes", "drop-synthetic-error-code", "misalign-stack", "code-in-rodata"],
)
def test_prove_reports_each_corruption(edit: Callable[[str], str], expected: str) -> None:
    report = _run(_gas(edit), ["gas", "c"])
    assert not report.ok
    assert any(re.search(expected, f) for f in report.failures), report.failures
    machine = next(r for r in report.rows if r.name == "machine code")
    assert machine.outcome == "FAILED"


def test_a_reordered_c_struct_is_reported() -> None:
    def transform(backend: str, text: str) -> str:
        if backend != "c":
            return text
        # swap two members and drop the header's own static asserts: the checker must still see it
        text = re.sub(r"(\s+uint64_t r15;[^\n]*)(\n\s+uint64_t r14;[^\n]*)", r"\2\1", text, count=1)
        return re.sub(r"\nISR_STATIC_ASSERT\([^\n]*", "", text)

    report = _run(transform, ["gas", "c"])
    assert any(
        re.search(r"C: field r1[45] is at offset \d+ size 8, the model says offset \d+", f) for f in report.failures
    ), report.failures


def test_backends_that_disagree_are_reported() -> None:
    require_tool("nasm")
    report = _run(_gas(_misalign_the_call), ["gas", "nasm"])
    assert any(
        re.search(r"\.text\.isr differs between gas .* and nasm .* first at offset 0x", f) for f in report.failures
    )


ENTRY_SPEC = """\
isrgen: 1
arch: x86_64
symbols: {prefix: t_}
handler: {symbol: t_handler}
entry: {swapgs: true, clear_registers: true}
syscall: {handler: t_syscall, restored: [rax, rdx]}
vectors: [{vector: 0}, {vector: 14}, {range: [32, 47], name: "irq{n}"}]
"""


def _after(marker: str, old: str, new: str = "") -> Callable[[str], str]:
    """Replace the first ``old`` after ``marker`` (a label) with ``new``."""

    def edit(text: str) -> str:
        at = text.index(marker)
        return text[:at] + text[at:].replace(old, new, 1)

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            _after("t_common:", "    lfence\n"),
            r"vector 0 from ring 0: swapgs: no lfence runs after the swapgs decision",
        ),
        (_after("t_common:", "    swapgs\n"), r"vector 0 from ring 3: swapgs: the GS base at the handler is 0x1111"),
        (
            _after("_return_iret:", "    swapgs\n"),
            r"vector 0 from ring 3, returning: swapgs: the GS base is 0xffff8000",
        ),
        (
            _after("t_common:", "    xor r12d, r12d\n"),
            r"vector 0 from ring 0: clear_registers: r12 still holds the interrupted r12",
        ),
        (
            _after("_return_sysret:", "    xor esi, esi\n"),
            r"syscall: after sysretq rsi = 0x[0-9a-f]+, expected 0x0, zeroed \(not in syscall.restored\)",
        ),
        (
            _after("_return_sysret:", "    cmp r11, rcx\n    jne .Lt_return_iret\n"),
            r"syscall returning to a non-canonical RIP: left through sysretq, not iretq",
        ),
    ],
    ids=[
        "drop-lfence",
        "drop-entry-swapgs",
        "drop-exit-swapgs",
        "skip-clearing-r12",
        "keep-rsi-on-sysret",
        "sysret-to-noncanonical",
    ],
)
def test_prove_reports_each_entry_option_corruption(edit: Callable[[str], str], expected: str) -> None:
    spec = loads_x86(ENTRY_SPEC, "entry.yaml")
    assert prove(spec, ["gas"]).ok
    report = prove(spec, ["gas"], transform=_gas(edit))
    assert not report.ok
    assert any(re.search(expected, f) for f in report.failures), report.failures


SIMD_SPEC = """\
isrgen: 1
arch: x86_64
symbols: {prefix: t_}
handler: {symbol: t_handler}
frame:
  layout: [simd_area, r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code]
vectors: [{vector: 0}, {range: [32, 47], name: "irq{n}", class: irq, simd: fxsave}]
"""


@pytest.mark.parametrize(
    ("spec_text", "edit", "expected"),
    [
        # a handler that returns with interrupts enabled: the exit's swapgs would race them
        (ENTRY_SPEC, _after("call t_handler\n", "    cli\n"),
         r"vector 0 from ring \d, returning: interrupts are still enabled at instruction 1 of the exit path"),
        # the exit routine called from C with interrupts enabled
        (ENTRY_SPEC, _after("t_return:", "    cli\n"),
         r"t_return\(frame, 0x[0-9a-f]+\): interrupts are still enabled at instruction 1 of the exit path"),
        # no swapgs, but an interrupt would push its frame over the SIMD area below the frame
        (SIMD_SPEC, _after("call t_handler\n", "    cli\n"),
         r"vector \d+ from ring \d, returning: interrupts are still enabled at instruction 1 of the exit path"),
    ],
    ids=["swapgs-handler-return", "swapgs-exit-routine", "simd-handler-return"],
)  # fmt: skip
def test_prove_reports_an_exit_path_with_interrupts_enabled(
    spec_text: str, edit: Callable[[str], str], expected: str
) -> None:
    """The exit path must disable interrupts before the stack pointer moves to the frame."""
    spec = loads_x86(spec_text, "exit.yaml")
    assert prove(spec, ["gas"]).ok
    report = prove(spec, ["gas"], transform=_gas(edit))
    assert not report.ok
    assert any(re.search(expected, f) for f in report.failures), report.failures


def test_prove_reports_a_halt_path_that_keeps_a_register() -> None:
    text = ENTRY_SPEC.replace("entry: {", "entry: {kernel_fault: halt, ").replace(
        "handler: {symbol: t_handler}", "handler: {symbol: t_handler}\nclasses: {exception: {kernel_handler: t_oops}}"
    )
    spec = loads_x86(text, "halt.yaml")
    assert prove(spec, ["gas"]).ok
    report = prove(spec, ["gas"], transform=_gas(_after("t_halt:", "    xor eax, eax\n")))
    assert any(
        re.search(r"vector 0 from ring 0, after t_oops returned \(kernel_fault: halt\): rax not cleared", f)
        for f in report.failures
    ), report.failures


SPECS = DEFAULT_SPEC.parent
EXAMPLES = SPECS / "examples"


def _spec(path: str) -> isrgen.Spec:
    return load_x86(SPECS / path)


def _without_cfi(label: str) -> Callable[[str], str]:
    """Drop every CFI directive of the function that starts at ``label``."""

    def edit(text: str) -> str:
        start = text.index(f"\n{label}\n")
        end = text.index("    .size ", start)
        body = re.sub(r"    \.cfi_[^\n]*\n", "", text[start:end])
        return text[:start] + body + text[end:]

    return edit


def _swap_lines(first: str, second: str) -> Callable[[str], str]:
    """Swap two instruction lines; CFI directives between them stay where they are."""

    def edit(text: str) -> str:
        pattern = rf"^{re.escape(first)}\n((?:\s+\.cfi_[^\n]*\n)*){re.escape(second)}\n"
        return re.sub(pattern, lambda m: f"{second}\n{m.group(1)}{first}\n", text, count=1, flags=re.M)

    return edit


@pytest.mark.parametrize(
    ("spec", "edit", "expected"),
    [
        # i386, executed under emulate32
        ("i386.yaml", _after("isr_common:", "    mov es, ax\n"), r"es = 0x[0-9a-f]+ at the call into isr_dispatch, "
         r"expected 0x10 \(entry.data_segments\)"),
        ("i386.yaml", _swap_lines("    pop gs", "    pop fs"), r"from ring \d, returning: fs = 0x[0-9a-f]+, expected"),
        ("i386.yaml", _after("isr_common:", "    and esp, -16\n"), r"esp % 16 == \d+ at the call into isr_dispatch "
         r"\(handler.align_stack\)"),
        ("i386.yaml", _after("isr_common:", "    cld\n"), r"vector 0 from ring 0: DF is set at the call"),
        ("i386.yaml", _after("isr_stub_3:", "    push 3\n", "    push 4\n"),
         r"vector 3 from ring 0: frame field vector \(offset 48\) holds 0x4, expected 0x3"),
        ("i386.yaml", _after("isr_halt:", "    xor ebx, ebx\n"), r"isr_halt\(\): ebx not cleared before hlt"),
        # drop-in options
        ("examples/xv6_trapframe.yaml", _after("trapret:", "    {disp32} jmp", "    add esp, 4\n    {disp32} jmp"),
         r"trapret with esp = frame \(exit_frame: stack\): (no handler reached|\w+ = 0x)"),
        ("examples/xv6_trapframe.yaml", _after("vectors:", "    .long vector1\n", "    .long vector2\n"),
         r"table entry 1 is 0x[0-9a-f]+, not vector1 \(0x[0-9a-f]+\)"),
        ("examples/linux_pt_regs.yaml", _after("asm_irq_40:", "    push 40\n", "    push -1\n"),
         r"vector 40 from ring 0: frame field orig_ax \(offset 120\) holds 0xffffffffffffffff, expected 0x28"),
        ("examples/mittos64.yaml", _after("isr3:", "    cli\n", "    cli\n    .globl isr3\n"),
         r"isr3 is STB_GLOBAL, but symbols.visibility says local"),
        ("examples/mittos64_compatible.yaml", _without_cfi("isr0:"),
         r"no FDE in \.eh_frame starts at isr0 \(1 stubs without CFI\)"),
        ("examples/pintos_intr_frame.yaml", _after("intr_entry:", "    lea ebp, [esp + 56]\n"),
         r"vector 0 from ring 0: ebp = 0x[0-9a-f]+ .*at the call, expected the frame-pointer slot"),
        ("examples/pintos_intr_frame.yaml", _after("intr0e_stub:", "    mov dword ptr [esp + 4], ebp\n"),
         r"vector 14 from ring 0: frame field frame_pointer \(offset 56\) holds 0x[0-9a-f]+, expected"),
        ("examples/jamesm_registers.yaml", _after("_resume:", "    push ds\n    pop es\n"),
         r"from ring \d, returning: es = 0x[0-9a-f]+, expected 0x[0-9a-f]+"),
    ],
    ids=["i386-skip-es-load", "i386-swap-segment-pops", "i386-no-realign", "i386-no-cld", "i386-wrong-vector",
         "i386-halt-keeps-ebx", "xv6-trapret-misses-frame", "xv6-table-entry", "linux-irq-orig-ax",
         "mittos64-global-stub", "compatible-stub-without-cfi", "pintos-no-frame-pointer",
         "pintos-error-code-vector-keeps-the-error-code", "jamesm-es-not-restored-from-ds"],
)  # fmt: skip
def test_prove_reports_i386_and_dropin_corruptions(spec: str, edit: Callable[[str], str], expected: str) -> None:
    loaded = _spec(spec)
    assert prove(loaded, ["gas"]).ok
    report = prove(loaded, ["gas"], transform=_gas(edit))
    assert not report.ok
    assert any(re.search(expected, f) for f in report.failures), report.failures


@pytest.mark.parametrize(
    ("old", "new", "edit", "expected"),
    [
        ("  style: dense\n", "  style: dense\n  cli: trap_gates\n", _after("isr_stub_4:", "    cli\n"),
         r"vector 4 from ring 0: IF is set at the call into isr_dispatch \(trap gate, stubs.cli: trap_gates\)"),
        ("\noutputs:\n", "\ndebug: {cfi_sections: debug_frame}\noutputs:\n",
         lambda text: text.replace("    .cfi_sections .debug_frame\n", ""),
         r"CFI is in \.eh_frame, debug.cfi_sections says \.debug_frame"),
        ("\noutputs:\n", "\ntable: {width: 4, align: 64}\noutputs:\n",
         lambda text: text.replace("    .balign 64, 0x00\n", "    .balign 64, 0x00\n    .long 0\n"),
         r"the vector table is at 0x[0-9a-f]+4, not 64-byte aligned"),
    ],
    ids=["trap-gate-stub-without-cli", "cfi-not-in-debug-frame", "misaligned-narrow-table"],
)  # fmt: skip
def test_prove_reports_corrupted_x86_64_options(old: str, new: str, edit: Callable[[str], str], expected: str) -> None:
    text = DEFAULT_SPEC.read_text()
    assert old in text
    spec = loads_x86(text.replace(old, new, 1), "x86_64.yaml")
    assert prove(spec, ["gas"]).ok
    report = prove(spec, ["gas"], transform=_gas(edit))
    assert not report.ok
    assert any(re.search(expected, f) for f in report.failures), report.failures


def test_prove_reports_interrupts_enabled_before_the_entry_swapgs() -> None:
    """A trap gate under swapgs: the entry may set IF again only after the swapgs."""
    spec = loads_x86(ENTRY_SPEC.replace("vectors: [", "vectors: [{vector: 3, gate: trap, dpl: 3}, "), "t.yaml")
    assert prove(spec, ["gas"]).ok
    report = prove(spec, ["gas"], transform=_gas(_after("t_common_1:", "    swapgs\n", "    sti\n    swapgs\n")))
    assert not report.ok
    assert any(
        re.search(r"vector 3 from ring 3: swapgs runs with interrupts enabled on entry", f) for f in report.failures
    ), report.failures


TRAP_SPEC = ENTRY_SPEC.replace("vectors: [", "vectors: [{vector: 3, gate: trap, dpl: 3}, ")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # the re-enable must follow the interrupted IF, not set it always
        (_after("t_common_1:", "    jz .Lt_common_1_if_done\n"),
         r"vector 3 from ring 0 with IF clear: IF is set at the call into t_handler"),
        # a system call handler that enabled interrupts: the way back to sysretq must disable them
        (_after("call t_syscall\n", "    cli\n"),
         r"syscall, returning: interrupts are still enabled at instruction 1 of the exit path"),
    ],
    ids=["unconditional-sti", "syscall-return-without-cli"],
)  # fmt: skip
def test_prove_reports_interrupt_flag_corruptions(edit: Callable[[str], str], expected: str) -> None:
    spec = loads_x86(TRAP_SPEC, "trap.yaml")
    assert prove(spec, ["gas"]).ok
    report = prove(spec, ["gas"], transform=_gas(edit))
    assert not report.ok
    assert any(re.search(expected, f) for f in report.failures), report.failures
