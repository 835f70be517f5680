"""What isrgen agrees to read and to replace on the file system.

A spec, an existing output or a depfile is read only when it is a regular file
of a bounded size: a FIFO would block the read forever, ``/dev/zero`` never
ends, and a multi-gigabyte file only exhausts memory.  A destination is replaced
only when it is missing or a regular file: writing "over" a symbolic link, a
device node or a socket through a rename would silently put a plain file where
the user had something else.  Every destination of a build is checked with
:func:`check_destination` before the first one is written, so a build writes
all of its files or none.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .diagnostics import UsageError

#: the largest spec isrgen reads; real specs are a few kilobytes (256 vectors, each on a
#: commented line of its own, stay below 64 KiB)
MAX_SPEC_BYTES = 256 << 10
#: the largest existing output isrgen reads back to compare (outputs of 256 vectors stay far below)
MAX_OUTPUT_BYTES = 16 << 20


def file_kind(mode: int) -> str:
    """A short description of what kind of file ``mode`` (from ``stat``) describes."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISREG, "a regular file"),
    )
    return next((text for test, text in kinds if test(mode)), "not a regular file")


def read_regular_file(path: Path, what: str, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit`` of them).

    Anything else (a directory, FIFO, device, socket) or a larger file is a
    :class:`UsageError` that says which limit applies; ``what`` names the file's role.
    """
    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(f"{path}: is {file_kind(st.st_mode)}; a {what} must be a regular file")
        if st.st_size > limit:
            raise UsageError(f"{path}: {st.st_size} bytes; a {what} may have at most {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # the file grew while it was read
            raise UsageError(f"{path}: more than {limit} bytes; a {what} may have at most {limit} bytes")
        return b"".join(chunks)
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory; a {what} must be a regular file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)


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
