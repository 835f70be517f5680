"""What isrgen agrees to replace on the file system (what it agrees to read is
:mod:`isrgen.spec.regular_file`: regular files of a bounded size).

A destination is replaced only when it is missing or a regular file: writing
"over" a symbolic link, a device node or a socket through a rename would
silently put a plain file where the user had something else.  Every destination of a build is checked with
:func:`check_destination` before the first one is written, so a build writes
all of its files or none.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from isrgen.diagnostics import UsageError
from isrgen.spec.regular_file import file_kind, read_regular_file

#: the largest existing output isrgen reads back to compare (outputs of 256 vectors stay far below)
MAX_OUTPUT_BYTES = 16 << 20


def _replaceable(path: Path, what: str) -> bool:
    """Whether ``path`` exists; a :class:`UsageError` when it is not a regular file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise UsageError(f"{path}: a folder on the way to this {what} is a file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot inspect: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise UsageError(
            f"{path}: is a symbolic link; isrgen replaces only regular files (name the {what} by its real path)"
        )
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{path}: is {file_kind(st.st_mode)}; isrgen replaces only regular files with a {what}")
    return True


def holds(path: Path, data: bytes, what: str) -> bool:
    """Whether ``path`` already holds exactly ``data``; False when it is missing.

    A :class:`UsageError` when ``path`` exists and is not a regular file, since a
    build would then have to replace it."""
    if not _replaceable(path, what):
        return False
    try:
        if os.lstat(path).st_size != len(data):
            return False
    except OSError:
        return False
    return read_regular_file(path, what, max(len(data), 1)) == data


def _writable_folder(folder: Path, what: str, path: Path) -> None:
    """The nearest existing ancestor of ``folder`` is a folder this process may write to."""
    probe = Path(os.path.abspath(folder))
    while not probe.exists() and probe != probe.parent:
        if probe.is_symlink():  # a dangling link: mkdir would fail
            raise UsageError(f"{path}: cannot create the folder of this {what}: {probe} is a dangling link")
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{path}: cannot create the folder of this {what}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{path}: the folder {probe} is not writable")


def check_destination(path: Path, data: bytes, what: str) -> bool:
    """Check that writing ``data`` to ``path`` can succeed, writing nothing.

    Returns whether the file must be written (False when it already holds ``data``).
    Raises :class:`UsageError` when ``path`` is not a regular file (a symbolic link,
    device, FIFO, folder) or its folder cannot be created or written.
    """
    if holds(path, data, what):
        return False
    _writable_folder(path.parent, what, path)
    return True
