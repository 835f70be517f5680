"""aarch64 and riscv64: the Rust module declares, in ``extern "C"``, exactly what the C header
declares, with the same signatures, for every shipped spec of those ISAs.

The C header is read the way a compiler sees it (the ISA's cross gcc ``-E``), the Rust module's
``extern "C"`` block is parsed, and both are brought to one form by rules written here (LP64:
``unsigned long`` and ``uint64_t`` are ``u64``; ``struct x_y *`` is ``*mut XY``; noreturn is
``-> !``). For some specs the expected names and Rust signatures are also read off the spec's
YAML text here (not asked of isrgen), and rustc type-checks the module on the host (the
targets have no ``core``) with those expected signatures as coercions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, require_tool, run
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection
from ruamel.yaml import YAML

import isrgen

#: the cross compiler whose preprocessor reads each ISA's header, and the assembler
GCC = {"aarch64": "aarch64-linux-gnu-gcc", "riscv64": "riscv64-linux-gnu-gcc"}
AS = {"aarch64": ["aarch64-linux-gnu-as"], "riscv64": ["riscv64-linux-gnu-as", "-march=rv64gc", "-mabi=lp64d"]}
ARCHES = tuple(GCC)


def _specs() -> list[Path]:
    found = [*sorted((ROOT / "specs").glob("*.yaml")), *sorted((ROOT / "specs" / "examples").glob("*.yaml"))]
    found += sorted((ROOT / "examples").glob("kernel-*/*.yaml"))
    return [p for p in found if YAML(typ="safe").load(p.read_text())["arch"] in ARCHES]


SPECS = _specs()

#: the kinds of file-scope declaration, brought to one form:
#: ("fn", params, result) with result None (void), "!" or a type; ("label",); ("table", count, params, result)
Decl = tuple[object, ...]


def _camel(c_name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in c_name.split("_") if part)


def _c_type(text: str) -> str:
    """A C parameter/result type in its Rust spelling (LP64, AAPCS64 and the RISC-V psABI)."""
    t = " ".join(text.split())
    pointer = re.fullmatch(r"struct (\w+) ?\*", t)
    if pointer:
        return f"*mut {_camel(pointer.group(1))}"
    if t in ("uint64_t", "unsigned long"):
        return "u64"
    raise AssertionError(f"a C type this test does not know: {t!r}")


def _c_params(text: str) -> tuple[str, ...]:
    if text.strip() == "void":
        return ()
    types = []
    for param in text.split(","):
        m = re.fullmatch(r"\s*(.*?)\s*\b\w+\s*", param)
        assert m, param
        types.append(_c_type(m.group(1)))
    return tuple(types)


def _c_result(ret: str, noreturn: bool) -> str | None:
    if noreturn:
        assert ret.strip() == "void", "a noreturn function returns void"
        return "!"
    return None if ret.strip() == "void" else _c_type(ret)


def _statements(text: str) -> list[str]:
    """File-scope declarations of preprocessed C: struct and typedef bodies kept as ``{}``,
    function definitions dropped."""
    out: list[str] = []
    depth, statement = 0, ""
    for ch in text:
        if ch == "{":
            depth += 1
            if depth == 1:
                statement += "{}"
            continue
        if ch == "}":
            depth -= 1
            if depth == 0 and statement.rstrip().removesuffix("{}").rstrip().endswith(")"):
                statement = ""  # a function definition: nothing after it belongs to it
            continue
        if depth:
            continue
        if ch == ";":
            out.append(" ".join(statement.split()))
            statement = ""
        else:
            statement += ch
    assert not statement.strip(), statement
    return out


def c_declarations(header: str, arch: str, workdir: Path) -> dict[str, Decl]:
    """Every function, label and function-pointer table the header declares at file scope."""
    path = workdir / "decl.h"
    path.write_text(header)
    text = run([GCC[arch], "-E", "-P", "-std=c11", "-ffreestanding", str(path)]).stdout
    found: dict[str, Decl] = {}
    for decl in _statements(text):
        if not decl or "{}" in decl or decl.startswith(("_Static_assert", "typedef")):
            continue
        noreturn = "__attribute__((noreturn))" in decl
        decl = decl.replace("__attribute__((noreturn))", "").strip()
        label = re.fullmatch(r"extern char (\w+)\[\]", decl)
        table = re.fullmatch(r"extern (.*?)\(\*\s*const (\w+)\[(\d+)\]\)\s*\(([^()]*)\)", decl)
        function = re.fullmatch(r"(.*?)\b(\w+)\s*\(([^()]*)\)", decl)
        value: Decl
        if label:
            name, value = label.group(1), ("label",)
        elif table:
            ret, name, count, params = table.groups()
            value = ("table", int(count), _c_params(params), _c_result(ret, noreturn))
        elif function:
            ret, name, params = function.groups()
            value = ("fn", _c_params(params), _c_result(ret, noreturn))
        else:
            raise AssertionError(f"a file-scope declaration this test does not know: {decl!r}")
        assert name not in found, f"{name} declared twice"
        found[name] = value
    return found


def _rust_params(text: str) -> tuple[str, ...]:
    return tuple(p.split(":", 1)[1].strip() for p in text.split(",") if p.strip())


def _rust_result(text: str | None) -> str | None:
    return None if text is None else text.strip()


def rust_declarations(module: str) -> dict[str, Decl]:
    """Every item of the module's ``unsafe extern "C"`` blocks."""
    found: dict[str, Decl] = {}
    blocks = re.findall(r'^unsafe extern "C" \{\n(.*?)^\}', module, re.S | re.M)
    for block in blocks:
        for line in block.splitlines():
            item = line.strip()
            if not item or item.startswith("///"):
                continue
            function = re.fullmatch(r"pub fn (\w+)\(([^()]*)\)(?: -> (.+))?;", item)
            label = re.fullmatch(r"pub static (\w+): \[u8; 0\];", item)
            table = re.fullmatch(r'pub static (\w+): \[unsafe extern "C" fn\(([^()]*)\)(?: -> (.+?))?; (\d+)\];', item)
            if function:
                name, params, ret = function.groups()
                value: Decl = ("fn", _rust_params(params), _rust_result(ret))
            elif label:
                name, value = label.group(1), ("label",)
            elif table:
                name, params, ret, count = table.groups()
                value = ("table", int(count), _rust_params(params), _rust_result(ret))
            else:
                raise AssertionError(f"an extern item this test does not know: {item!r}")
            assert name not in found, f"{name} declared twice"
            found[name] = value
    return found


def _render(spec: Any, backend: str) -> str:
    (out,) = isrgen.render_outputs(spec, [backend])
    return out.content


def _host_check(module: str, tmp_path: Path, extra: str = "") -> str:
    """rustc on the host over the module up to its global_asm! (the glue is target assembly):
    the structs' layout asserts and the extern block must compile, FFI-safe, without warnings.
    Returns rustc's stderr when it fails, "" when it compiles."""
    start = module.index("global_asm!(")
    start = module.rfind("\n", 0, start) + 1
    src = tmp_path / "decls.rs"
    src.write_text("#![no_std]\n" + module[:start].replace("use core::arch::global_asm;", "") + extra)
    proc = run(
        ["rustc", "--edition", "2021", "--crate-type", "lib", "--emit", "metadata", "-D", "warnings",
         "-o", str(tmp_path / "decls.rmeta"), str(src)],
        check=False,
    )  # fmt: skip
    return "" if proc.returncode == 0 else proc.stderr


def _parity(spec: Any, arch: str, tmp_path: Path) -> dict[str, Decl]:
    c = c_declarations(_render(spec, "c"), arch, tmp_path)
    rust = rust_declarations(_render(spec, "rust"))
    assert set(rust) == set(c), f"C only: {sorted(set(c) - set(rust))}, Rust only: {sorted(set(rust) - set(c))}"
    for name in c:
        assert rust[name] == c[name], f"{name}: C {c[name]} vs Rust {rust[name]}"
    return c


def _object_globals(spec: Any, arch: str, tmp_path: Path) -> set[str]:
    """Global symbols of the assembled glue: those it defines and those it calls."""
    src = tmp_path / "glue.S"
    src.write_text(_render(spec, "gas"))
    run([*AS[arch], "-o", str(tmp_path / "glue.o"), str(src)])
    with (tmp_path / "glue.o").open("rb") as f:
        table = ELFFile(f).get_section_by_name(".symtab")
        assert isinstance(table, SymbolTableSection)
        return {sym.name for sym in table.iter_symbols() if sym["st_info"]["bind"] == "STB_GLOBAL"}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_rust_declares_what_the_header_declares(path: Path, tmp_path: Path) -> None:
    spec = isrgen.load_spec(path)
    arch = spec.arch_name
    require_tool(GCC[arch], AS[arch][0], "rustc")
    declared = _parity(spec, arch, tmp_path)
    # every symbol the object exports or calls is declared, except those the linker defines
    # (__global_pointer$ in the RISC-V psABI, GNU ld's __stop_<section>); handlers reached
    # through a pointer the kernel stores (xv6's usertrap) are declared without a reference
    in_object = _object_globals(spec, arch, tmp_path)
    assert in_object, "the glue defines global symbols"
    assert {n for n in in_object if not n.startswith("__")} <= set(declared)
    assert _host_check(_render(spec, "rust"), tmp_path) == ""


def test_every_shipped_aarch64_and_riscv64_spec_is_covered() -> None:
    stems = {p.stem for p in SPECS}
    assert {"aarch64", "riscv64", "riscv64_xv6_trampoline", "aarch64_teaching_trapframe"} <= stems
    assert {"kernel", "kernel-trampoline"} <= stems
    assert {YAML(typ="safe").load(p.read_text())["arch"] for p in SPECS} == set(ARCHES)


# -- expected names read off the spec text ---------------------------------------------------


def _yaml(path: Path) -> dict[str, Any]:
    doc = YAML(typ="safe").load(path.read_text())
    assert isinstance(doc, dict)
    return doc


def _expand(value: str, prefix: str) -> str:
    return value.replace("{prefix}", prefix)


def _aarch64_names(doc: dict[str, Any]) -> set[str]:
    """An aarch64 spec with table and exit global, entries local: the table, the exit (and its
    sp-entry), the halt routine ({prefix}halt unless named), and every handler the spec names."""
    sym, prefix = doc["symbols"], doc["symbols"]["prefix"]
    names = {_expand(sym[k], prefix) for k in ("table", "exit")} | {_expand(sym.get("halt", "{prefix}halt"), prefix)}
    if "exit_sp" in sym:
        names.add(sym["exit_sp"])
    for key in ("handler", "kernel_handler", "bad_mode"):
        if key in doc:
            names.add(doc[key]["symbol"])
    names.add(doc["syscall"]["handler"])
    return names


def _riscv64_names(doc: dict[str, Any]) -> set[str]:
    """A riscv64 spec: without a trampoline the entry, the exit, the handler and the syscall
    handler; with one the trampoline page's start ({prefix}trampoline), the entry and userret
    labels, the handler, the kernel entry and its handler, and the machine timer entry."""
    sym, prefix = doc["symbols"], doc["symbols"]["prefix"]
    names = {doc["handler"]["symbol"]}
    if "trampoline" in doc:
        names |= {f"{prefix}trampoline", _expand(sym["entry"], prefix), doc["trampoline"]["userret"]}
        names |= {doc["kernel_entry"]["symbol"], doc["kernel_entry"]["handler"]["symbol"]}
    else:
        names |= {_expand(sym["entry"], prefix), _expand(sym["exit"], prefix), doc["syscall"]["handler"]}
    if "machine_timer" in doc:
        names.add(doc["machine_timer"]["symbol"])
    return names


#: spec -> (names from its text, the Rust type each declaration must coerce to, written from
#: the spec's comments and AAPCS64 / the RISC-V psABI)
EXPECTED: dict[str, dict[str, str]] = {
    "aarch64": {
        "isr_vectors": "static [u8; 0]",
        "isr_return": 'unsafe extern "C" fn(*mut IsrFrame) -> !',
        "isr_halt": 'unsafe extern "C" fn() -> !',
        "isr_dispatch": 'unsafe extern "C" fn(*mut IsrFrame) -> *mut IsrFrame',
        "isr_kernel_fault": 'unsafe extern "C" fn(*mut IsrFrame)',
        "isr_bad_mode": 'unsafe extern "C" fn(*mut IsrFrame) -> !',
        "isr_syscall": 'unsafe extern "C" fn(*mut IsrFrame)',
    },
    "aarch64_teaching_trapframe": {
        "vectors": "static [u8; 0]",
        "usertrapret": 'unsafe extern "C" fn(*mut Trapframe) -> !',
        "trapret": 'unsafe extern "C" fn() -> !',
        "tf_halt": 'unsafe extern "C" fn() -> !',
        "trap": 'unsafe extern "C" fn(*mut Trapframe)',
        "badtrap": 'unsafe extern "C" fn(*mut Trapframe) -> !',
        "syscall": 'unsafe extern "C" fn(*mut Trapframe)',
    },
    "riscv64": {
        "trap_entry": 'unsafe extern "C" fn()',
        "trap_return": 'unsafe extern "C" fn(*mut TrapFrame) -> !',
        "trap_handler": 'unsafe extern "C" fn(*mut TrapFrame, u64)',
        "syscall_handler": 'unsafe extern "C" fn(*mut TrapFrame)',
    },
    "riscv64_xv6_trampoline": {
        "xv6_trampoline": "static [u8; 0]",
        "uservec": "static [u8; 0]",
        "userret": "static [u8; 0]",
        "usertrap": 'unsafe extern "C" fn() -> !',
        "kernelvec": 'unsafe extern "C" fn()',
        "kerneltrap": 'unsafe extern "C" fn()',
        "timervec": 'unsafe extern "C" fn()',
    },
}


def _coercions(expected: dict[str, str]) -> str:
    """Rust items that compile only if each declaration has the expected type."""
    lines = []
    for i, (name, rtype) in enumerate(sorted(expected.items())):
        if rtype.startswith("static "):
            lines.append(f"pub fn _addr_{i}() -> *const {rtype[7:]} {{ &raw const {name} }}")
        else:
            lines.append(f"pub const _FN_{i}: {rtype} = {name};")
    return "\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_declarations_match_the_spec_text(stem: str, tmp_path: Path) -> None:
    require_tool("rustc")
    path = next(p for p in SPECS if p.stem == stem)
    doc = _yaml(path)
    names = _aarch64_names(doc) if doc["arch"] == "aarch64" else _riscv64_names(doc)
    assert names == set(EXPECTED[stem])
    module = _render(isrgen.load_spec(path), "rust")
    assert set(rust_declarations(module)) == names
    assert _host_check(module, tmp_path, _coercions(EXPECTED[stem])) == ""


def test_a_wrong_signature_does_not_compile(tmp_path: Path) -> None:
    """The coercion check can fail: isr_dispatch returns the frame to resume, not nothing."""
    require_tool("rustc")
    module = _render(isrgen.load_spec(ROOT / "specs" / "aarch64.yaml"), "rust")
    wrong = {"isr_dispatch": 'unsafe extern "C" fn(*mut IsrFrame)'}
    assert "mismatched types" in _host_check(module, tmp_path, _coercions(wrong))


# -- variants the shipped specs do not exercise ----------------------------------------------


def test_riscv64_dispatch_tables(tmp_path: Path) -> None:
    """Handler tables indexed by cause: C ``void (*const t[n])(...)``, Rust ``[unsafe extern "C" fn(..); n]``."""
    require_tool(GCC["riscv64"], "rustc")
    text = (ROOT / "specs" / "riscv64.yaml").read_text()
    assert "  args: [frame, cause]" in text
    text = text.replace("  args: [frame, cause]", "  args: [frame, cause]\n  dispatch: {interrupts: 6, exceptions: 13}")
    spec = isrgen.loads_spec(text, "dispatch.yaml")
    declared = _parity(spec, "riscv64", tmp_path)
    handler = ("*mut TrapFrame", "u64")
    assert declared["trap_interrupt_handlers"] == ("table", 6, handler, None)
    assert declared["trap_exception_handlers"] == ("table", 13, handler, None)
    module = _render(spec, "rust")
    table = 'static [unsafe extern "C" fn(*mut TrapFrame, u64); 13]'
    assert _host_check(module, tmp_path, _coercions({"trap_exception_handlers": table})) == ""


def test_aarch64_visibility(tmp_path: Path) -> None:
    """A local table or exit is declared by neither (nothing can link to it; no VBAR helper
    then); global entries are declared by both, as code taking no arguments."""
    require_tool(GCC["aarch64"], "rustc")
    text = (ROOT / "specs" / "aarch64.yaml").read_text()
    old = "visibility: {table: global, entry: local, exit: global}"
    assert old in text
    spec = isrgen.loads_spec(text.replace(old, "visibility: {table: local, entry: global, exit: local}"), "v.yaml")
    declared = _parity(spec, "aarch64", tmp_path)
    assert "isr_vectors" not in declared and "isr_return" not in declared
    assert "isr_install_vbar" not in _render(spec, "c")
    # an entry per slot of the table, 16 (Arm ARM D1.10.2), named "{prefix}entry_{name}"
    entries = {n: d for n, d in declared.items() if n.startswith("isr_entry_")}
    assert len(entries) == 16 and set(entries.values()) == {("fn", (), None)}
    assert {"isr_entry_el1h_sync", "isr_entry_el0_64_irq", "isr_entry_el0_32_serror"} <= set(entries)
    assert _host_check(_render(spec, "rust"), tmp_path) == ""
