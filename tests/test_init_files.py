"""How ``isrgen init --force`` and the atomic writer treat what is already on disk.

``init --force`` replaces only regular files: a symbolic link or a FIFO at any
destination is refused with a one-line error before any file is written (writing
through the link would change its target; opening a FIFO blocks).  Files are
replaced by rename, and a replaced output keeps its permission bits.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import isrgen_cmd, run

from isrgen.cli.init_project import SNIPPETS, SPEC_NAME
from isrgen.output.files import write_if_changed

#: every file ``isrgen init`` writes
NAMES = (SPEC_NAME, *SNIPPETS)


def _refused(directory: Path, needle: str) -> str:
    # a timeout, because a writer that opened a FIFO would block there for good
    proc = subprocess.run(isrgen_cmd("init", "--force", str(directory)), capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr
    assert needle in proc.stderr, proc.stderr
    assert proc.stdout == ""
    return proc.stderr


@pytest.mark.parametrize("position", [0, len(NAMES) - 1], ids=["first", "last"])
def test_force_refuses_a_symlink_and_writes_nothing(tmp_path: Path, position: int) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    project = tmp_path / "k"
    project.mkdir()
    link = project / NAMES[position]
    link.symlink_to(target)
    err = _refused(project, "is a symbolic link")
    assert str(link) in err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "keep me\n"
    assert sorted(p.name for p in project.iterdir()) == [NAMES[position]], "a file was written before the refusal"


@pytest.mark.parametrize("position", [0, len(NAMES) - 1], ids=["first", "last"])
def test_force_refuses_a_fifo_without_opening_it(tmp_path: Path, position: int) -> None:
    project = tmp_path / "k"
    project.mkdir()
    fifo = project / NAMES[position]
    os.mkfifo(fifo)
    err = _refused(project, "is a FIFO")
    assert str(fifo) in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in project.iterdir()) == [NAMES[position]], "a file was written before the refusal"


def test_force_replaces_regular_files_by_rename(tmp_path: Path) -> None:
    project = tmp_path / "k"
    project.mkdir()
    spec = project / SPEC_NAME
    spec.write_text("old\n")
    spec.chmod(0o600)
    hardlink = tmp_path / "other-name.yaml"
    os.link(spec, hardlink)
    run(isrgen_cmd("init", "--force", str(project)))
    assert sorted(p.name for p in project.iterdir()) == sorted(NAMES)
    assert spec.read_text().startswith("#") and spec.read_text() != "old\n"
    # a rename gives the name a new inode: the other link still holds the old text
    assert hardlink.read_text() == "old\n"
    assert stat.S_IMODE(os.lstat(spec).st_mode) == 0o600


def test_rewrite_keeps_an_existing_files_mode(tmp_path: Path) -> None:
    out = tmp_path / "isr.S"
    out.write_text("old\n")
    out.chmod(0o640)
    assert write_if_changed(out, "new\n")
    assert out.read_text() == "new\n"
    assert stat.S_IMODE(os.lstat(out).st_mode) == 0o640
    out.chmod(0o755)
    assert write_if_changed(out, "newer\n")
    assert stat.S_IMODE(os.lstat(out).st_mode) == 0o755


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=lambda m: f"umask{m:03o}")
def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path, umask: int) -> None:
    out = tmp_path / f"isr-{umask:o}.S"
    previous = os.umask(umask)  # the test sets it; the writer only lets the kernel apply it
    try:
        assert write_if_changed(out, "new\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.lstat(out).st_mode) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == [out.name], "a temporary file was left behind"
