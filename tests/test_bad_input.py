"""Every class of bad input gets `file:line:col: error:`, a non-zero exit and no output."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from conftest import isrgen_cmd, load_x86, loads_x86, run

import isrgen

GOOD = """\
isrgen: 1
arch: x86_64
handler:
  symbol: isr_dispatch
frame:
  layout: [r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error_code]
vectors:
  - {vector: 0, name: divide_error}
  - {range: [32, 47], name: "irq_{n}", class: irq}
"""


def _fail(tmp_path: Path, text: str) -> tuple[str, Path]:
    spec = tmp_path / "bad.yaml"
    spec.write_text(textwrap.dedent(text))
    out = tmp_path / "out"
    proc = run(isrgen_cmd("build", str(spec), "-o", str(out)), check=False)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists(), "no output may be written for a bad spec"
    _assert_diagnostics_shape(proc.stderr, spec)
    return proc.stderr, spec


def _assert_diagnostics_shape(stderr: str, spec: Path) -> None:
    """Every error is ``file:line:col: error: message`` (1-based line and column), and the
    last line counts them."""
    errors = [ln for ln in stderr.splitlines() if ": error: " in ln]
    assert errors, stderr
    shape = re.compile(re.escape(str(spec)) + r":[1-9][0-9]*:[1-9][0-9]*: error: \S")
    assert all(shape.match(ln) for ln in errors), stderr
    assert stderr.rstrip().splitlines()[-1] == (f"{len(errors)} errors" if len(errors) > 1 else "1 error"), stderr


def _assert_at(stderr: str, spec: Path, line: int, col: int, fragment: str) -> None:
    head = f"{spec}:{line}:{col}: error: "
    matching = [ln for ln in stderr.splitlines() if ln.startswith(head)]
    assert matching, f"expected an error at {line}:{col}, got:\n{stderr}"
    assert any(fragment in ln for ln in matching), f"{fragment!r} not in {matching}"


def test_good_spec_is_accepted(tmp_path: Path) -> None:
    """The control for the checks below: the same command on a good spec writes the two
    default outputs, so "nothing written" is something a bad spec changes."""
    spec = tmp_path / "good.yaml"
    spec.write_text(GOOD)
    proc = run(isrgen_cmd("build", str(spec), "-o", str(tmp_path / "out")))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["isr.S", "isr.h"]
    assert ": error: " not in proc.stderr


def test_bad_spec_writes_nothing_into_an_existing_folder(tmp_path: Path) -> None:
    """A bad spec run against a folder that already exists (a rebuild) leaves it as it was:
    no isr.S, no isr.h, the kernel's own file untouched."""
    spec = tmp_path / "bad.yaml"
    spec.write_text(GOOD.replace("r14, r13", "r14, r15"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.c").write_text("int keep;\n")
    proc = run(isrgen_cmd("build", str(spec), "-o", str(out)), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert [p.name for p in out.iterdir()] == ["keep.c"] and (out / "keep.c").read_text() == "int keep;\n"
    _assert_diagnostics_shape(proc.stderr, spec)
    _assert_at(proc.stderr, spec, 6, 22, "'r15' is listed twice")


def test_not_yaml(tmp_path: Path) -> None:
    err, spec = _fail(tmp_path, "isrgen: 1\narch: [x86_64\nhandler: {}\n")
    # the parser stops at the ':' after "handler" (line 3, column 8): a flow sequence
    # still open there needs ',' or ']'
    _assert_at(err, spec, 3, 8, "not valid YAML")


def test_wrong_types(tmp_path: Path) -> None:
    err, spec = _fail(tmp_path, GOOD.replace("{vector: 0, name: divide_error}", "{vector: zero, name: 7}"))
    _assert_at(err, spec, 8, 14, "expected an integer")
    _assert_at(err, spec, 8, 26, "expected a string")


def test_unknown_keys(tmp_path: Path) -> None:
    err, spec = _fail(tmp_path, GOOD.replace("  symbol: isr_dispatch", "  symbol: isr_dispatch\n  symbl: x"))
    _assert_at(err, spec, 5, 3, "unknown key 'symbl'")


def test_duplicate_keys_all_reported(tmp_path: Path) -> None:
    text = GOOD.replace("arch: x86_64", "arch: x86_64\narch: x86_64") + "isrgen: 1\n"
    err, spec = _fail(tmp_path, text)
    _assert_at(err, spec, 3, 1, "duplicate key 'arch'")
    _assert_at(err, spec, 11, 1, "duplicate key 'isrgen'")


def test_duplicate_vectors(tmp_path: Path) -> None:
    err, spec = _fail(tmp_path, GOOD + "  - {vector: 40, name: again}\n")
    _assert_at(err, spec, 10, 5, "vector 40 is defined twice")


def test_out_of_range_numbers(tmp_path: Path) -> None:
    err, spec = _fail(tmp_path, GOOD + "  - {vector: 256, name: too_big}\n  - {vector: 3, ist: 8}\n")
    _assert_at(err, spec, 10, 14, "too large (maximum 255)")
    _assert_at(err, spec, 11, 22, "too large (maximum 7)")


@pytest.mark.parametrize(
    ("name", "col", "why"),
    [
        ("9lives", 11, "not a valid identifier"),
        ("rax", 11, "register name"),
        ("section", 11, "NASM keyword"),
        ("struct", 11, "C keyword"),
        ("offset", 11, "GNU as Intel syntax"),
        ("fn", 11, "Rust keyword"),
    ],
)
def test_invalid_symbol_names(tmp_path: Path, name: str, col: int, why: str) -> None:
    err, spec = _fail(tmp_path, GOOD.replace("symbol: isr_dispatch", f"symbol: {name}"))
    _assert_at(err, spec, 4, col, why)


def test_registers_listed_twice(tmp_path: Path) -> None:
    err, spec = _fail(tmp_path, GOOD.replace("r14, r13", "r14, r15"))
    _assert_at(err, spec, 6, 22, "'r15' is listed twice")


def test_impossible_alignment(tmp_path: Path) -> None:
    err, spec = _fail(tmp_path, GOOD + "sections:\n  stub_align: 12\n")
    _assert_at(err, spec, 11, 15, "impossible alignment 12")


def test_error_code_contradicting_architecture(tmp_path: Path) -> None:
    err, spec = _fail(tmp_path, GOOD + "  - {vector: 21, name: cp, error_code: false}\n")
    _assert_at(err, spec, 10, 40, "pushes an error code")


def test_error_code_override_is_recorded(tmp_path: Path) -> None:
    spec = tmp_path / "ok.yaml"
    spec.write_text(GOOD + "  - {vector: 21, name: cp, error_code: false, error_code_override: true}\n")
    model = load_x86(spec)
    v = model.vector(21)
    assert v is not None and v.error_code is False and v.error_code_overridden


def test_code_in_data_section_rejected(tmp_path: Path) -> None:
    err, spec = _fail(tmp_path, GOOD + "sections:\n  code: .rodata.isr\n")
    _assert_at(err, spec, 11, 9, "would not be executable")


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("r14, r13", "r14, r15") + "  - {vector: 300}\nbogus: 1\n"
    err, _ = _fail(tmp_path, text)
    assert err.count(": error: ") == 3
    assert err.rstrip().endswith("3 errors")
    # the offending line and a caret are shown
    assert "bogus: 1" in err and "^" in err


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_spec_is_one_line(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "nope.yaml" if kind == "missing" else tmp_path
    proc = run(isrgen_cmd("build", str(target), "-o", str(tmp_path / "out")), check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("isrgen: error: ")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_unwritable_output_folder(tmp_path: Path) -> None:
    spec = tmp_path / "good.yaml"
    spec.write_text(GOOD)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run(isrgen_cmd("build", str(spec), "-o", str(blocker / "sub")), check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    proc = run(isrgen_cmd("build", str(spec), "-o", str(blocker)), check=False)
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_library_raises_spec_error_with_all_diagnostics(tmp_path: Path) -> None:
    with pytest.raises(isrgen.SpecError) as info:
        loads_x86(GOOD.replace("rax, vector", "rax, rax, vector") + "  - {vector: 0}\n", "mem.yaml")
    paths = [d.path for d in info.value.diagnostics]
    assert "$.frame.layout[15]" in paths and "$.vectors[2]" in paths


@pytest.mark.parametrize(
    ("old", "new", "line", "col", "fragment"),
    [
        ('name: "irq_{n}"', 'name: "irq_{n:>99999}"', 9, 29, "format spec {n:>99999} not allowed"),
        ("name: divide_error", 'name: ""', 8, 23, "a vector name cannot be empty"),
        ("symbol: isr_dispatch", 'symbol: "isr_dispatch\\n"', 4, 11, "contains a control character"),
        ("isrgen: 1\n", "isrgen: 1\nsections: {table: .bss.isr}\n", 2, 19, "cannot hold the table's addresses"),
        ("isrgen: 1\n", "isrgen: 1\noutputs: {gas: ..}\n", 2, 16, "names a folder, not a file"),
        ("symbol: isr_dispatch", "symbol: " + "h" * 300, 4, 11, "characters long (at most 255)"),
    ],
    ids=["huge-format-width", "empty-name", "newline-in-symbol", "bss-table", "dotdot-output", "long-symbol"],
)
def test_hostile_values_are_located_errors(
    tmp_path: Path, old: str, new: str, line: int, col: int, fragment: str
) -> None:
    assert old in GOOD
    stderr, spec = _fail(tmp_path, GOOD.replace(old, new, 1))
    _assert_at(stderr, spec, line, col, fragment)
    assert len(stderr) < 5000, "messages stay short whatever the input"


def test_version_and_mapping_values_must_be_what_they_say(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    stderr, spec = _fail(tmp_path / "a", GOOD.replace("isrgen: 1", "isrgen: 1.0"))
    _assert_at(stderr, spec, 1, 9, "expected an integer, got the number 1.0")
    stderr, spec = _fail(tmp_path / "b", GOOD.replace("layout: [r15,", "layout: [{r15: null},"))
    _assert_at(stderr, spec, 6, 18, "{r15: ...} needs a value")


def test_a_collision_with_a_default_name_points_at_what_the_spec_wrote(tmp_path: Path) -> None:
    """The entry symbol is not in the spec (its default is isr_common): the error points at
    the handler the spec named, and says where the other name comes from."""
    stderr, spec = _fail(tmp_path, GOOD.replace("symbol: isr_dispatch", "symbol: isr_common"))
    _assert_at(stderr, spec, 4, 11, "entry symbol 'isr_common' (symbols.entry, by default {prefix}common)")
