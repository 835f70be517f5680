"""The C header serves C++ kernels too: g++ compiles it as C++ (extern "C" linkage,
static_assert, [[noreturn]]) and sees the same frame layout.

The expected offsets are written out here from each spec's frame text and the manuals,
not taken from isrgen: the software slots sit low address first in the order the spec
lists them, one word each; above the error code the CPU's frame follows, pushed (SS,)
(E/R)SP, (E/R)FLAGS, CS, (E/R)IP, so (E/R)IP is at the lowest address (SDM Vol. 3A
6.12.1 Figure 6-4 for protected mode, 6.14.2 Figure 6-9 for IA-32e mode, where each
pushed item is 8 bytes).  ``pushal`` stores EAX first, so EDI lands lowest
(SDM Vol. 2B PUSHA/PUSHAD).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SPECS, load_x86, require_tool, run

import isrgen

#: specs/x86_64.yaml: 15 GPRs (r15 .. rax, 8 bytes each: 0 .. 112), vector 120, error_code
#: 128, then the IA-32e CPU frame rip 136, cs 144, rflags 152, rsp 160, ss 168; 22 words.
X86_64 = ({"r15": 0, "r14": 8, "r13": 16, "r12": 24, "r11": 32, "r10": 40, "r9": 48, "r8": 56, "rbp": 64,
           "rdi": 72, "rsi": 80, "rdx": 88, "rcx": 96, "rbx": 104, "rax": 112, "vector": 120, "error_code": 128,
           "rip": 136, "cs": 144, "rflags": 152, "rsp": 160, "ss": 168}, 176)  # fmt: skip
#: specs/i386.yaml: pushal (edi 0, esi 4, ebp 8, the pushed esp 12, ebx 16, edx 20, ecx 24,
#: eax 28), gs 32, fs 36, es 40, ds 44 (a segment push is a 4-byte slot), vector 48,
#: error_code 52, then eip 56, cs 60, eflags 64, esp 68, ss 72; 19 dwords.
I386 = ({"edi": 0, "esi": 4, "ebp": 8, "oesp": 12, "ebx": 16, "edx": 20, "ecx": 24, "eax": 28, "gs": 32,
         "fs": 36, "es": 40, "ds": 44, "vector": 48, "error_code": 52, "eip": 56, "cs": 60, "eflags": 64,
         "esp": 68, "ss": 72}, 76)  # fmt: skip
#: Linux arch/x86/include/asm/ptrace.h, struct pt_regs (x86_64): r15 r14 r13 r12 bp bx
#: (callee-saved, 0 .. 40), r11 r10 r9 r8 ax cx dx si di (48 .. 112), orig_ax 120, then
#: the hardware frame ip 128, cs 136, flags 144, sp 152, ss 160; 21 words = 168.
LINUX_PT_REGS = ({"r15": 0, "r14": 8, "r13": 16, "r12": 24, "bp": 32, "bx": 40, "r11": 48, "r10": 56, "r9": 64,
                  "r8": 72, "ax": 80, "cx": 88, "dx": 96, "si": 104, "di": 112, "orig_ax": 120, "ip": 128,
                  "cs": 136, "flags": 144, "sp": 152, "ss": 160}, 168)  # fmt: skip
#: Pintos threads/interrupt.h, struct intr_frame: pushal (edi .. eax, 0 .. 28), gs fs es ds
#: (uint16_t + pad each, 32 .. 44), vec_no 48, error_code 52, frame_pointer 56, then eip
#: 60, cs 64, eflags 68, esp 72, ss 76; 20 dwords = 80.
PINTOS_INTR_FRAME = ({"edi": 0, "esi": 4, "ebp": 8, "esp_dummy": 12, "ebx": 16, "edx": 20, "ecx": 24, "eax": 28,
                      "gs": 32, "fs": 36, "es": 40, "ds": 44, "vec_no": 48, "error_code": 52, "frame_pointer": 56,
                      "eip": 60, "cs": 64, "eflags": 68, "esp": 72, "ss": 76}, 80)  # fmt: skip
#: James Molloy's kernel tutorial, isr.h struct registers: ds 0; pusha edi .. eax (4 .. 32);
#: int_no 36, err_code 40; then eip 44, cs 48, eflags 52, useresp 56, ss 60; 16 dwords = 64.
JAMESM_REGISTERS = ({"ds": 0, "edi": 4, "esi": 8, "ebp": 12, "esp": 16, "ebx": 20, "edx": 24, "ecx": 28, "eax": 32,
                     "int_no": 36, "err_code": 40, "eip": 44, "cs": 48, "eflags": 52, "useresp": 56, "ss": 60},
                    64)  # fmt: skip

EXPECTED: dict[str, tuple[Path, tuple[dict[str, int], int]]] = {
    "x86_64": (SPECS / "x86_64.yaml", X86_64),
    "i386": (SPECS / "i386.yaml", I386),
    "linux_pt_regs": (SPECS / "examples" / "linux_pt_regs.yaml", LINUX_PT_REGS),
    "pintos_intr_frame": (SPECS / "examples" / "pintos_intr_frame.yaml", PINTOS_INTR_FRAME),
    "jamesm_registers": (SPECS / "examples" / "jamesm_registers.yaml", JAMESM_REGISTERS),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_header_compiles_as_cxx_with_the_same_layout(name: str, tmp_path: Path) -> None:
    require_tool("g++")
    spec_path, (offsets, size) = EXPECTED[name]
    spec = load_x86(spec_path)
    (header,) = isrgen.build(spec, tmp_path, ["c"])
    struct = f"struct {spec.frame.struct_name}"
    checks = [f'static_assert(sizeof({struct}) == {size}, "size");']
    checks += [f'static_assert(offsetof({struct}, {f}) == {o}, "{f}");' for f, o in offsets.items()]
    # every field of the struct is one the table names
    assert {f.name for f in isrgen.compute_layout(spec).fields if not f.name.startswith("_")} == set(offsets)
    source = tmp_path / "check.cpp"
    source.write_text(f'#include "{header.name}"\n' + "\n".join(checks) + "\n")
    bits = ["-m32"] if spec.arch.word_size == 4 else []
    run(["g++", *bits, "-std=c++11", "-ffreestanding", "-fsyntax-only", "-Wall", "-Wextra", "-pedantic", "-Werror",
         "-I", str(tmp_path), str(source)])  # fmt: skip


def test_a_wrong_offset_stops_a_cxx_build(tmp_path: Path) -> None:
    require_tool("g++")
    (header,) = isrgen.build(load_x86(SPECS / "x86_64.yaml"), tmp_path, ["c"])
    text = header.read_text()
    assert "offsetof(struct isr_frame, rax) == 112" in text
    header.write_text(text.replace("offsetof(struct isr_frame, rax) == 112", "offsetof(struct isr_frame, rax) == 120"))
    source = tmp_path / "use.cpp"
    source.write_text(f'#include "{header.name}"\n')
    proc = run(["g++", "-std=c++11", "-fsyntax-only", "-I", str(tmp_path), str(source)], check=False)
    assert proc.returncode != 0 and "isrgen: offset of rax" in proc.stderr
