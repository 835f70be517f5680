"""Names the spec chooses are checked against every declaration of every rendered output.

The declaration readers are checked against the real tools (gcc's list of the
header's macros, nm on what as and nasm assembled); then spec names built to collide
with something only the rendered outputs declare are refused at their key, with
nothing written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DEFAULT_SPEC, isrgen_cmd, load_x86, loads_x86, require_tool, run
from elftools.elf.elffile import ELFFile

import isrgen
from isrgen.model.spec import ChosenName, NameRole
from isrgen.output.declarations import Namespace, declarations, name_clashes

BASE = """\
isrgen: 1
arch: x86_64
{extra}handler: {{symbol: isr_dispatch}}
vectors:
  - {{range: [0, 31]}}
  - {{range: [32, 47], class: irq}}
"""


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[str, str]]:
    spec = load_x86(DEFAULT_SPEC)
    return {r.backend: (r.filename, r.content) for r in isrgen.render_outputs(spec, ["gas", "nasm", "c", "rust"])}


def _names(backend: str, rendered: dict[str, tuple[str, str]], namespace: Namespace) -> set[str]:
    filename, text = rendered[backend]
    return {d.name for d in declarations(backend, text, filename) if d.namespace is namespace}


def test_header_macros_are_the_ones_gcc_defines(rendered: dict[str, tuple[str, str]], tmp_path: Path) -> None:
    require_tool("gcc")
    filename, text = rendered["c"]
    (tmp_path / filename).write_text(text)
    (tmp_path / "empty.h").write_text("")
    # the header's own macros, without the C library's: empty <stddef.h> and <stdint.h>
    (tmp_path / "inc").mkdir()
    for name in ("stddef.h", "stdint.h"):
        (tmp_path / "inc" / name).write_text("")
    std = ["-std=c11", "-nostdinc", "-I", str(tmp_path / "inc"), "-E", "-dM", "-x", "c"]
    mine = set(run(["gcc", *std, str(tmp_path / filename)]).stdout.splitlines())
    base = set(run(["gcc", *std, str(tmp_path / "empty.h")]).stdout.splitlines())
    gcc_macros = {re.match(r"#define (\w+)", ln).group(1) for ln in mine - base}  # type: ignore[union-attr]
    # the C spelling of the two compiler-dependent macros is the one gcc -std=c11 keeps
    assert _names("c", rendered, Namespace.MACRO) == gcc_macros


def test_header_declares_the_functions_objects_and_tags(rendered: dict[str, tuple[str, str]]) -> None:
    ordinary = _names("c", rendered, Namespace.ORDINARY)
    assert {"isr_dispatch", "isr_return", "isr_halt", "isr_common", "isr_table", "isr_gate_attrs",
            "isr_idt_fill", "isr_stub_0", "isr_stub_255"} <= ordinary  # fmt: skip
    assert not {n for n in ordinary if n.isupper()}, "a macro invocation is no declaration"
    assert _names("c", rendered, Namespace.TAG) == {"isr_frame", "isr_idt_gate"}


@pytest.mark.parametrize(("backend", "tool"), [("gas", "as"), ("nasm", "nasm")])
def test_assembly_symbols_are_the_ones_nm_lists(
    rendered: dict[str, tuple[str, str]], tmp_path: Path, backend: str, tool: str
) -> None:
    require_tool(tool, "nm")
    filename, text = rendered[backend]
    (tmp_path / filename).write_text(text)
    obj = tmp_path / "out.o"
    if backend == "gas":
        run(["as", "--64", "-L", "-o", str(obj), str(tmp_path / filename)])  # -L keeps .L labels
    else:
        run(["nasm", "-f", "elf64", "-o", str(obj), str(tmp_path / filename)])
    listed = run(["nm", "-a", str(obj)]).stdout
    defined = {m.group(1) for m in re.finditer(r"^[0-9a-f]+ [a-zA-Z] (\S+)$", listed, re.M)}
    undefined = {m.group(1) for m in re.finditer(r"^\s+U (\S+)$", listed, re.M)}
    with open(obj, "rb") as fh:
        sections = {s.name for s in ELFFile(fh).iter_sections()}
    files = {n for n in defined if n.endswith(filename)}  # the STT_FILE symbol
    assert _names(backend, rendered, Namespace.ASM) == defined - sections - files
    if backend == "nasm":
        assert _names(backend, rendered, Namespace.ASM_EXTERN) == undefined


def test_rust_module_items(rendered: dict[str, tuple[str, str]]) -> None:
    assert {"IsrFrame", "IsrIdtGate", "isrgen_glue"} == _names("rust", rendered, Namespace.RUST_TYPE)
    values = _names("rust", rendered, Namespace.RUST_VALUE)
    assert {"VECTOR_COUNT", "FRAME_SIZE", "isr_dispatch", "isr_table", "isr_idt_fill"} <= values
    # the struct's methods and fields are no module items
    assert "vector" not in values and "privilege_level" not in values
    assert _names("rust", rendered, Namespace.ASM) == _names("gas", rendered, Namespace.ASM)


@pytest.mark.parametrize(
    ("extra", "backends", "where", "message"),
    [
        # the Rust module's own IDT gate struct: only the rendered Rust output shows it
        ("frame: {struct: IsrIdtGate}\n", ["rust"], (3, 17), "'IsrIdtGate' is declared 2 times in isr.rs"),
        # a C name the Rust module respells into the same struct name
        ("frame: {struct: isrIdt_gate}\n", ["c", "rust"], (3, 17), "'isrIdt_gate' is spelled 'IsrIdtGate' in isr.rs"),
    ],
)
def test_a_collision_only_the_outputs_show_is_refused_at_the_key(
    extra: str, backends: list[str], where: tuple[int, int], message: str
) -> None:
    spec = loads_x86(BASE.format(extra=extra), "clash.yaml")  # the loader's own checks pass
    with pytest.raises(isrgen.SpecError) as info:
        isrgen.render_outputs(spec, backends)
    (diag,) = info.value.diagnostics
    assert (diag.source.file, diag.source.line, diag.source.col) == ("clash.yaml", *where)
    assert diag.path == "$.frame.struct" and message in diag.message


def test_a_handler_the_assembly_defines_is_refused(rendered: dict[str, tuple[str, str]]) -> None:
    """A called handler spelled like a label of the glue: the call would land on the label."""
    key = isrgen.SourceRef("h.yaml", 4, 20)
    chosen = [ChosenName("isr_common", NameRole.REFERENCED, "$.handler.symbol", key)]
    for backend in ("gas", "nasm"):
        filename, text = rendered[backend]
        (diag,) = name_clashes(chosen, [(backend, filename, text)], isrgen.SourceRef("h.yaml", 1, 1))
        assert diag.source == key and diag.path == "$.handler.symbol"
        assert "the glue's call would land on it" in diag.message
    # the same name as what the glue defines it as is no clash
    own = [ChosenName("isr_common", NameRole.DEFINED, "$.symbols.entry", key)]
    assert name_clashes(own, [(b, *rendered[b]) for b in ("gas", "nasm", "c", "rust")], key) == []


def test_a_macro_of_the_header_is_refused(rendered: dict[str, tuple[str, str]]) -> None:
    key = isrgen.SourceRef("m.yaml", 5, 7)
    chosen = [ChosenName("ISR_NORETURN", NameRole.REFERENCED, "$.vectors[3]", key)]
    (diag,) = name_clashes(chosen, [("c", *rendered["c"])], key)
    assert diag.message == "'ISR_NORETURN' is also a macro isr.h defines"


def test_every_shipped_x86_spec_has_no_clash() -> None:
    root = Path(DEFAULT_SPEC).parent
    for path in [*root.glob("*.yaml"), *(root / "examples").glob("*.yaml")]:
        spec = isrgen.load_spec(path)
        if isinstance(spec, isrgen.Spec):
            backends = ["gas", "nasm", "c"] + (["rust", "gdb"] if spec.arch_name == "x86_64" else [])
            assert isrgen.render_outputs(spec, backends), path


def test_cli_reports_the_clash_and_writes_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "clash.yaml"
    spec.write_text(BASE.format(extra="frame: {struct: IsrIdtGate}\n"))
    proc = run(isrgen_cmd("build", str(spec), "-o", str(tmp_path / "out"), "-b", "c", "-b", "rust"), check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"{spec}:3:17: error: $.frame.struct: 'IsrIdtGate' is declared 2 times in isr.rs")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
