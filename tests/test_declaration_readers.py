"""The declaration readers find what a plain line-by-line reading finds.

The readers of :mod:`isrgen.output.declarations` skip most lines (they search for the
marks a declaration's line holds, and read only the lines with a brace one by one).
The oracle here reads every line in turn, with the grammar of each declaration as the
module documents it; drawn texts mix the lines the backends write with comments,
braces, impl blocks and ``global_asm!`` blocks in odd places.
"""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from isrgen.output.declarations import declared_names

NAME = r"[A-Za-z_.$@?][\w.$@?]*"
LABEL = re.compile(rf"^\s*({NAME}):")
GAS_SET = re.compile(r"^\s*\.(?:set|equ|equiv)\s+([A-Za-z_.$][\w.$]*)\s*,")
NASM_EQU = re.compile(rf"^\s*({NAME})\s+equ\b")
NASM_DEFINE = re.compile(rf"^\s*%(?:i?define|i?xdefine|i?assign|macro)\s+({NAME})")
NASM_EXTERN = re.compile(r"^\s*extern\s+(.+)$")
C_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)")
C_TAG = re.compile(r"\b(?:struct|union|enum)\s+([A-Za-z_]\w*)\s*\{")
C_FUNCTION = re.compile(r"^(?![#\s}])(?:[\w\s\*\[\]]*?[\s\*])?([A-Za-z_]\w*)\s*\(")
C_OBJECT = re.compile(r"^(?:extern|typedef)\b[^;(]*?\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*;")
C_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "static_assert", "_Static_assert"}
RUST_ITEM = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:unsafe\s+)?(?:const\s+)?(?:extern\s+\"C\"\s+)?"
    r"(struct|enum|type|mod|trait|union|fn|const|static)\s+(?:mut\s+)?([A-Za-z_]\w*)"
)
RUST_ASM_LINE = re.compile(r'^\s*"(.*)",?\s*$')


def _cut(line: str, marker: str) -> str:
    return line.split(marker, 1)[0]


def gas(text: str) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for line in text.splitlines():
        for pattern in (LABEL, GAS_SET):
            if (m := pattern.match(_cut(line, "/*"))) is not None:
                found[m.group(1), "assembly symbol"] += 1
    return found


def nasm(text: str) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for line in (_cut(ln, ";") for ln in text.splitlines()):
        if (m := NASM_DEFINE.match(line)) is not None:
            found[m.group(1), "macro"] += 1
        elif (m := NASM_EXTERN.match(line)) is not None:
            for name in (n.split(":")[0].strip() for n in m.group(1).split(",")):
                found[name, "NASM extern"] += bool(name)
        elif (m := LABEL.match(line) or NASM_EQU.match(line)) is not None:
            found[m.group(1), "assembly symbol"] += 1
    return +found


def c(text: str) -> Counter[tuple[str, str]]:
    macros: set[str] = set()
    found: Counter[tuple[str, str]] = Counter()
    depth = 0
    for line in text.splitlines():
        if (m := C_DEFINE.match(line)) is not None:
            macros.add(m.group(1))
            continue
        if line.lstrip().startswith(("#", "/*", "*", "//")) or line.strip() == 'extern "C" {':
            continue
        found.update((tag, "struct tag") for tag in C_TAG.findall(line))
        m = (C_FUNCTION.match(line) or C_OBJECT.match(line)) if depth == 0 else None
        if m is not None and m.group(1) not in C_KEYWORDS:
            found[m.group(1), "ordinary identifier"] += 1
        depth = max(depth + line.count("{") - line.count("}"), 0)
    kept = Counter({k: n for k, n in found.items() if k[0] not in macros})
    return kept + Counter((name, "macro") for name in macros)


def rust(text: str) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    asm: list[str] = []
    skip: int | None = None
    depth = 0
    in_asm = False
    for line in (_cut(ln, "//") for ln in text.splitlines()):
        if in_asm:
            if (m := RUST_ASM_LINE.match(line)) is not None:
                asm.append(m.group(1).replace('\\"', '"'))
            elif line.strip().startswith(")"):
                in_asm = False
            continue
        if "global_asm!(" in line:
            in_asm = True
            continue
        if skip is None:
            if (m := RUST_ITEM.match(line)) is not None:
                kind, name = m.groups()
                types = ("struct", "enum", "type", "mod", "trait", "union")
                found[name, "Rust type" if kind in types else "Rust value"] += name != "_"
                if kind in ("struct", "enum", "union", "fn") and "{" in line:
                    skip = depth
            elif re.match(r"^\s*impl\b", line):
                skip = depth
        depth += line.count("{") - line.count("}")
        if skip is not None and depth <= skip:
            skip = None
    return +found + gas("\n".join(asm))


READ = {"gas": gas, "nasm": nasm, "c": c, "rust": rust}

LINES = {
    "gas": [
        "isr_stub_0:", "  .Lisr_common_noerr: nop", "    .set isr_vectors, 256", ".equ e2, 5", "  .equiv e3, 6",
        "    push 0", "    .cfi_offset rip, -40", "    {disp32} jmp .Lisr_common_noerr", "/* c: */", "x /* y: */",
        "  .set s4 /* c */, 1", "1:", "a: b:", "$x:", "@y:", "?z:", "  .setx q, 1", ".set\tt, 1", "",
    ],
    "nasm": [
        "isr_stub_0:", "..@isr_stub_0.end:", "    global isr_stub_0:function (..@isr_stub_0.end - isr_stub_0)",
        "extern isr_dispatch", "extern h1, h2:function", "extern   ", "extern equ 5", "extern:", "e equ 5",
        "  e2 equ 6 ; c", "%define D 1", "  %idefine D2", "%macro M 1", "; c:", "x ; y:", "    push 0",
        'db "a;b:"', "foo:equ", "bar\tequ 3", "q:; c", "",
    ],
    "c": [
        "#define ISR_VECTOR_COUNT 256", "  # define B(x) x", "#ifdef __cplusplus", "#endif", 'extern "C" {', "}",
        "struct isr_frame {", "    uint64_t r15;", "};", "struct t { int a; };", "void isr_stub_0(void);",
        "ISR_NORETURN void isr_halt(void);", "extern const uint64_t isr_table[ISR_VECTOR_COUNT];",
        "extern char lab[];", "typedef unsigned u32;", "/* int c(void); */", " * int d(void);", "// int e(void);",
        "static inline void isr_idt_fill(struct isr_idt_gate *idt, uint16_t code_selector)",
        "{", "    int inner(void);",
        "ISR_STATIC_ASSERT(sizeof(struct isr_frame) == 176, \"isrgen: frame size\");", "int A;", "*star(void);",
        "int  *  sp2 ( void ) ;", "} int after(void);", "int braces(void) { return 0; }", "",
    ],
    "rust": [
        "mod isrgen_glue {", "pub struct IsrFrame {", "    pub r15: u64,", "}", "impl IsrFrame {",
        "    pub fn vector(&self) -> u64 { self.vector }", "pub const VECTOR_COUNT: usize = 256;",
        'unsafe extern "C" {',
        "    pub fn isr_stub_0();", "    pub static isr_table: [u64; 256];", "static mut M: u8 = 0;",
        "pub(crate) type T = u8;", "pub trait Tr {", "enum E { A, B }", "pub const _: () = ();", "// pub fn c() {",
        "pub fn h() // {", "core::arch::global_asm!(", "// global_asm!(", ");", "  )", '    "isr_stub_0:",',
        '    "  .set sym, 1",', '    "    push 0",', '    "a // b:",', '    "ok:", // trailing', '    "q\\"r:",',
        "pub fn x(); // c", "pub(a // b) fn weird();", "pub fn a() { } pub fn b();", "impl", "",
    ],
}  # fmt: skip


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.sampled_from(sorted(LINES)).flatmap(lambda b: st.tuples(st.just(b), st.lists(st.sampled_from(LINES[b])))))
def test_readers_find_what_reading_every_line_finds(drawn: tuple[str, list[str]]) -> None:
    backend, lines = drawn
    text = "\n".join(lines)
    found = Counter((name, ns.value) for ns, names in declared_names(backend, text).items() for name in names)
    assert found == READ[backend](text)


def test_the_drawn_lines_declare_every_kind() -> None:
    def alone(backend: str, line: str) -> str:  # a Rust string line is assembly inside global_asm!( only
        return f"global_asm!(\n{line}\n);" if backend == "rust" and line.lstrip().startswith('"') else line

    kinds = {b: {k for line in lines for _, k in READ[b](alone(b, line))} for b, lines in LINES.items()}
    assert kinds == {
        "gas": {"assembly symbol"},
        "nasm": {"assembly symbol", "macro", "NASM extern"},
        "c": {"macro", "struct tag", "ordinary identifier"},
        "rust": {"Rust type", "Rust value", "assembly symbol"},
    }
