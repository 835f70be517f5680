"""What isrgen agrees to read: only regular files of a bounded size.

A spec (or an existing output read back to compare) is read only when it is a
regular file of a bounded size: a FIFO would block the read forever,
``/dev/zero`` never ends, and a multi-gigabyte file only exhausts memory.  What
isrgen agrees to replace is :mod:`isrgen.output.fileguard`'s business.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from isrgen.diagnostics import UsageError

#: the largest spec isrgen reads; real specs are a few kilobytes (256 vectors, each on a
#: commented line of its own, stay below 64 KiB)
MAX_SPEC_BYTES = 256 << 10


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
