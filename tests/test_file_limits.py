"""Only regular files of a bounded size are read; only regular files are replaced; a build
writes all of its files or none; diagnostics echo a bounded part of a line; a spec's work is
bounded."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from conftest import isrgen_cmd, run

from isrgen.diagnostics import Diagnostic, SourceRef, render

SPEC = """\
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


def _usage_error(args: list[str], fragment: str) -> str:
    proc = run(isrgen_cmd(*args), check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert fragment in proc.stderr, proc.stderr
    return proc.stderr


def _spec(tmp_path: Path) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    return spec


def test_a_fifo_spec_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    start = time.monotonic()
    _usage_error(["check-spec", str(fifo)], "is a FIFO (named pipe); a spec file must be a regular file")
    assert time.monotonic() - start < 30


def test_an_endless_device_spec_is_refused(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    _usage_error(["check-spec", "/dev/zero"], "is a character device; a spec file must be a regular file")


def test_a_folder_spec_is_refused(tmp_path: Path) -> None:
    _usage_error(["check-spec", str(tmp_path)], "is a directory; a spec file must be a regular file")


def test_a_spec_larger_than_the_limit_is_refused_with_the_limit(tmp_path: Path) -> None:
    spec = tmp_path / "big.yaml"
    # 256 KiB is the documented limit: one byte more is refused
    spec.write_text(SPEC + "#" * (256 * 1024 - len(SPEC) - 1) + "\n" + "#\n")
    _usage_error(["check-spec", str(spec)], "may have at most 262144 bytes")
    spec.write_text(SPEC + "#" * (256 * 1024 - len(SPEC) - 1) + "\n")
    assert spec.stat().st_size == 256 * 1024
    run(isrgen_cmd("check-spec", str(spec)))


def test_a_symlink_output_is_not_replaced_and_nothing_is_written(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "elsewhere.h"
    target.write_text("/* keep */\n")
    (out / "isr.h").symlink_to(target)
    _usage_error(["build", str(spec), "-o", str(out)], "is a symbolic link")
    assert (out / "isr.h").is_symlink() and target.read_text() == "/* keep */\n"
    assert not (out / "isr.S").exists(), "the first output was written before the second was refused"


def test_a_fifo_output_is_neither_read_nor_replaced(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "isr.S")
    _usage_error(["build", str(spec), "-o", str(out)], "is a FIFO")
    _usage_error(["build", str(spec), "-o", str(out), "--check"], "is a FIFO")
    assert stat.S_ISFIFO(os.lstat(out / "isr.S").st_mode)
    assert not (out / "isr.h").exists()


@pytest.mark.parametrize("kind", ["device", "fifo", "symlink"])
def test_a_depfile_that_is_not_a_regular_file_is_refused_before_any_output(tmp_path: Path, kind: str) -> None:
    spec = _spec(tmp_path)
    out = tmp_path / "out"
    if kind == "device":
        if not Path("/dev/null").exists():
            pytest.skip("no /dev/null")
        depfile = Path("/dev/null")
    else:
        depfile = tmp_path / "isr.d"
        if kind == "fifo":
            os.mkfifo(depfile)
        else:
            (tmp_path / "real.d").write_text("")
            depfile.symlink_to(tmp_path / "real.d")
    before = os.lstat(depfile).st_mode
    _usage_error(["build", str(spec), "-o", str(out), "--depfile", str(depfile)], "isrgen replaces only regular files")
    assert os.lstat(depfile).st_mode == before
    assert not out.exists(), "outputs were written although the depfile could not be"


def test_a_depfile_whose_folder_cannot_exist_is_refused_before_any_output(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    out = tmp_path / "out"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _usage_error(["build", str(spec), "-o", str(out), "--depfile", str(blocker / "deps" / "isr.d")], "is a file")
    assert not out.exists()


def test_a_long_line_is_echoed_as_a_bounded_window_with_the_caret_under_the_column() -> None:
    line = "a" * 100_000 + "BAD" + "b" * 100_000
    diag = Diagnostic(SourceRef("s.yaml", 2, 100_001), "bad thing")
    shown = render(diag, "first\n" + line + "\n", color=False).splitlines()
    assert len(shown) == 3
    assert len(shown[1]) <= 4 + 160 + 6
    caret = shown[2].index("^")
    assert shown[1][caret : caret + 3] == "BAD"


def test_a_long_line_in_a_spec_is_not_echoed_whole(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("name: divide_error", "name: " + "x" * 200_000 + "-"))
    proc = run(isrgen_cmd("check-spec", str(spec)), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr) < 2_000, len(proc.stderr)


def test_a_list_longer_than_any_spec_needs_is_one_located_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    entries = "".join(f"  - {{vector: {i % 256}, name: v{i}}}\n" for i in range(5000))
    spec.write_text(SPEC.split("vectors:")[0] + "vectors:\n" + entries)
    start = time.monotonic()
    proc = run(isrgen_cmd("check-spec", str(spec)), check=False)
    assert time.monotonic() - start < 20
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ": error: " in ln]
    assert errors == [f"{spec}:8:3: error: $.vectors: a list of 5000 items; no list in a spec has more than 1024"]
