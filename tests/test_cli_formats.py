"""Diagnostics for tools and people: ``check-spec FILE...``, ``--format json``,
``--error-format gcc|msvc|github``, ``-q``/``-v``, ``--color`` with NO_COLOR,
FORCE_COLOR and TERM=dumb, and "did you mean" hints for typos."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULT_SPEC, SPECS, isrgen_cmd, run

from isrgen.cli.options import use_color

# one typo per line, each at a known line and column (1-based)
TYPOS = """\
isrgen: 1
arch: x86_64
handlr: {symbol: h}
handler: {symbol: h, convention: sysvv}
frame: {layout: [rax, rcx, rdx, rsi, rdi, r8, r9, r10, r11, rbxx, vector, error_code]}
outputs: {gass: isr.S}
stubs: {style: dens}
vectors:
  - {vector: 0, name: x}
"""
#: (line, column, JSON path, the suggestion) of each typo above
EXPECTED = [
    (3, 1, "$.handlr", "did you mean 'handler'?"),
    (4, 34, "$.handler.convention", "did you mean 'sysv'?"),
    (5, 61, "$.frame.layout[9]", "did you mean 'rbx'?"),
    (6, 11, "$.outputs.gass", "did you mean 'gas'?"),
    (7, 16, "$.stubs.style", "did you mean 'dense'?"),
]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    return env | extra


@pytest.fixture
def typos(tmp_path: Path) -> Path:
    spec = tmp_path / "typos.yaml"
    spec.write_text(TYPOS)
    return spec


def test_typos_get_did_you_mean_hints_at_their_location(typos: Path) -> None:
    proc = run(isrgen_cmd("check-spec", str(typos)), env=_env(), check=False)
    assert proc.returncode == 1
    heads = [line for line in proc.stderr.splitlines() if line.startswith(str(typos))]
    assert len(heads) == len(EXPECTED)
    for head, (line, col, path, hint) in zip(heads, EXPECTED, strict=True):
        assert head.startswith(f"{typos}:{line}:{col}: error: {path}: "), head
        assert hint in head, head
    assert proc.stderr.splitlines()[-1] == "5 errors"


def test_no_hint_when_nothing_is_close(tmp_path: Path) -> None:
    spec = tmp_path / "far.yaml"
    spec.write_text("isrgen: 1\narch: x86_64\nhandler: {symbol: h}\nqqqqqq: 1\nvectors:\n  - {vector: 0}\n")
    proc = run(isrgen_cmd("check-spec", str(spec)), check=False)
    assert proc.returncode == 1
    assert "unknown key 'qqqqqq'" in proc.stderr and "did you mean" not in proc.stderr


def test_msvc_format(typos: Path) -> None:
    proc = run(isrgen_cmd("check-spec", "--error-format", "msvc", str(typos)), env=_env(), check=False)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"{typos}(3,1): error: $.handlr: unknown key 'handlr'; did you mean 'handler'?")
    assert len(lines) == len(EXPECTED) + 1  # no source excerpts, then the count


def test_github_annotations_escape_what_the_runner_parses(tmp_path: Path) -> None:
    # a comma and a colon in the file name are property separators: %2C and %3A
    spec = tmp_path / "a,b:c.yaml"
    spec.write_text("isrgen: 1\narch: x86_64\nhandler: {symbol: h}\nvectors:\n  - {vector: 3, ist: 9}\n")
    proc = run(isrgen_cmd("--error-format", "github", "check-spec", str(spec)), check=False)
    assert proc.returncode == 1
    escaped = str(spec).replace(",", "%2C").replace(":", "%3A")
    first = proc.stderr.splitlines()[0]
    assert first == f"::error file={escaped},line=5,col=22,title=isrgen::$.vectors[0].ist: 9 is too large (maximum 7)"


def test_github_annotation_for_a_missing_file(tmp_path: Path) -> None:
    proc = run(isrgen_cmd("check-spec", "--error-format", "github", str(tmp_path / "none.yaml")), check=False)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == f"::error title=isrgen::{tmp_path / 'none.yaml'}: no such spec file"


def test_command_option_wins_over_the_group_option(typos: Path) -> None:
    cmd = isrgen_cmd("--error-format", "msvc", "check-spec", "--error-format", "github", str(typos))
    assert run(cmd, check=False).stderr.startswith("::error file=")


def test_json_diagnostics(typos: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    proc = run(isrgen_cmd("check-spec", "--format", "json", str(typos), str(DEFAULT_SPEC), str(missing)), check=False)
    assert proc.returncode == 2  # the unreadable file decides
    assert proc.stderr == ""
    data: Any = json.loads(proc.stdout)
    assert data["format"] == "isrgen-diagnostics/1" and data["ok"] is False
    bad, good, gone = data["files"]
    assert (bad["file"], bad["ok"], bad["vectors"]) == (str(typos), False, None)
    got = [(d["line"], d["column"], d["path"]) for d in bad["diagnostics"]]
    assert got == [(line, col, path) for line, col, path, _ in EXPECTED]
    assert all(d["severity"] == "error" and d["file"] == str(typos) for d in bad["diagnostics"])
    assert "did you mean 'sysv'?" in bad["diagnostics"][1]["message"]
    assert good == {"file": str(DEFAULT_SPEC), "ok": True, "vectors": 256, "diagnostics": []}
    assert gone["ok"] is False
    assert gone["diagnostics"] == [
        {"file": str(missing), "line": 0, "column": 0, "severity": "error", "path": "", "message": "no such spec file"}
    ]


def test_json_for_valid_specs_exits_zero() -> None:
    proc = run(isrgen_cmd("check-spec", "--format", "json", str(DEFAULT_SPEC), str(SPECS / "i386.yaml")))
    data = json.loads(proc.stdout)
    assert data["ok"] is True and [f["ok"] for f in data["files"]] == [True, True]


def test_several_files_report_every_problem(typos: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("isrgen: 1\narch: x86_64\nhandler: {symbol: h}\nvectors:\n  - {vector: 3, ist: 9}\n")
    proc = run(isrgen_cmd("check-spec", str(DEFAULT_SPEC), str(typos), str(other)), env=_env(), check=False)
    assert proc.returncode == 1
    assert proc.stdout == f"{DEFAULT_SPEC}: ok (256 vectors)\n"
    assert f"{typos}:3:1: error:" in proc.stderr and f"{other}:5:22: error:" in proc.stderr
    assert proc.stderr.splitlines()[-1] == "6 errors in 2 of 3 files"


def test_quiet_and_verbose(typos: Path, tmp_path: Path) -> None:
    quiet = run(isrgen_cmd("check-spec", "-q", str(DEFAULT_SPEC)))
    assert quiet.stdout == "" and quiet.stderr == ""
    quiet_bad = run(isrgen_cmd("-q", "check-spec", str(typos)), env=_env(), check=False)
    assert quiet_bad.returncode == 1
    assert quiet_bad.stderr.count(": error: ") == len(EXPECTED) and "5 errors" not in quiet_bad.stderr
    verbose = run(isrgen_cmd("check-spec", "-v", str(DEFAULT_SPEC)))
    # the frame of specs/x86_64.yaml: 17 slots + 5 CPU words of 8 bytes
    summary = "  arch x86_64, frame 176 bytes, 1 common entry, outputs: gas isr.S, c isr.h"
    assert verbose.stdout.splitlines()[1] == summary

    out = tmp_path / "out"
    first = run(isrgen_cmd("build", "-v", str(DEFAULT_SPEC), "-o", str(out)))
    assert first.stdout.split() == [str(out / "isr.S"), str(out / "isr.h")]
    assert first.stderr.splitlines() == [f"isrgen: written: {out / 'isr.S'}", f"isrgen: written: {out / 'isr.h'}"]
    (out / "isr.h").write_text("stale\n")
    second = run(isrgen_cmd("build", "-v", str(DEFAULT_SPEC), "-o", str(out)))
    assert second.stderr.splitlines() == [f"isrgen: unchanged: {out / 'isr.S'}", f"isrgen: written: {out / 'isr.h'}"]
    assert run(isrgen_cmd("build", "-q", str(DEFAULT_SPEC), "-o", str(out))).stdout == ""


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ([], {}, False),  # a pipe
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "TERM": "dumb"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    ],
    ids=["pipe", "force", "force-dumb", "no-color-wins", "always", "never"],
)
def test_color_choice(typos: Path, args: list[str], env: dict[str, str], coloured: bool) -> None:
    proc = run(isrgen_cmd("check-spec", *args, str(typos)), env=_env(**env), check=False)
    assert proc.returncode == 1
    assert ("\x1b[1;31merror:\x1b[0m" in proc.stderr) is coloured


class _Tty:
    def isatty(self) -> bool:
        return True


class _Pipe:
    def isatty(self) -> bool:
        return False


def test_use_color_on_a_terminal() -> None:
    assert use_color("auto", _Tty(), {}) is True
    assert use_color("auto", _Pipe(), {}) is False
    assert use_color("auto", _Tty(), {"TERM": "dumb"}) is False
    assert use_color("auto", _Tty(), {"NO_COLOR": "1"}) is False
    assert use_color("auto", _Tty(), {"NO_COLOR": ""}) is True  # only a non-empty NO_COLOR counts
    assert use_color("never", _Tty(), {}) is False
    assert use_color("always", _Pipe(), {"NO_COLOR": "1"}) is True


def test_a_vector_inside_a_range_says_how_to_split_it(tmp_path: Path) -> None:
    spec = tmp_path / "overlap.yaml"
    spec.write_text(
        "isrgen: 1\narch: x86_64\nhandler: {symbol: h}\nvectors:\n"
        '  - {range: [0, 7], name: "e{n}"}\n'
        "  - {vector: 2, name: nmi}\n"
        "  - {vector: 7, name: last}\n"
    )
    proc = run(isrgen_cmd("check-spec", str(spec)), check=False)
    assert proc.returncode == 1
    heads = [line for line in proc.stderr.splitlines() if line.startswith(str(spec))]
    assert heads == [
        f"{spec}:6:5: error: $.vectors[1]: vector 2 is defined twice (first at line 5); "
        "to give vector 2 its own entry, split the range: [0, 1] and [3, 7]",
        f"{spec}:7:5: error: $.vectors[2]: vector 7 is defined twice (first at line 5); "
        "to give vector 7 its own entry, split the range: [0, 6]",
    ]
    # the split the hint gives is accepted
    spec.write_text(
        spec.read_text()
        .replace("[0, 7]", "[0, 1]")
        .replace("  - {vector: 2", '  - {range: [3, 6], name: "e{n}"}\n  - {vector: 2')
    )
    run(isrgen_cmd("check-spec", str(spec)))


def _complete(words: str) -> list[str]:
    env = _env(_ISRGEN_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=str(len(words.split()) - 1))
    out = run(isrgen_cmd(), env=env).stdout
    return [line.split(",", 1)[1] for line in out.splitlines()]


def test_shell_completion_of_backends_and_examples() -> None:
    assert _complete("isrgen build x.yaml -b n") == ["nasm"]
    assert {"gas", "gdb"} <= set(_complete("isrgen build x.yaml -b g"))
    assert _complete("isrgen init --example linu") == ["linux_pt_regs"]
    assert "layout" in _complete("isrgen la")
    # the script a shell sources
    script = run(isrgen_cmd(), env=_env(_ISRGEN_COMPLETE="bash_source")).stdout
    assert "_isrgen_completion()" in script


def test_unknown_backend_gets_a_hint() -> None:
    proc = run(isrgen_cmd("build", str(DEFAULT_SPEC), "-o", "-", "-b", "nsam"), check=False)
    assert proc.returncode == 2
    assert "unknown backend 'nsam'; did you mean 'nasm'?" in proc.stderr
