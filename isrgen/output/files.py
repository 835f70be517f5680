"""Writing generated files: atomically, and only when the content changed."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from isrgen.diagnostics import UsageError
from isrgen.output.fileguard import holds

#: attempts at a free temporary name next to the destination before giving up
_TEMP_ATTEMPTS = 100


def _existing_mode(path: Path) -> int | None:
    """The permission bits of the regular file at ``path``; None when there is none."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode) & 0o777 if stat.S_ISREG(st.st_mode) else None


def _create_temp(path: Path) -> tuple[int, str]:
    """Create a new, empty temporary file next to ``path``; returns (descriptor, name).

    It is created with mode 0o666, so the kernel applies the umask (and a folder's
    default ACL) exactly as for any new file: no process-wide state is read or changed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(_TEMP_ATTEMPTS):
        name = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary name next to {path.name}")


def write_if_changed(path: Path, content: str) -> bool:
    """Write ``content`` to ``path`` atomically; leave the file (and its mtime) alone
    when it already holds exactly that.  Returns whether the file was written.

    A replaced file keeps its permission bits; a new one gets 0o666 less the umask."""
    data = content.encode("utf-8", "surrogateescape")  # a path in a depfile need not be UTF-8
    if holds(path, data, "generated file"):
        return False
    mode = _existing_mode(path)
    fd = -1
    tmp = ""
    try:
        fd, tmp = _create_temp(path)
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data)
            fh.flush()
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = ""
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror}") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return True


def prepare_output_dir(out_dir: Path) -> None:
    """Create ``out_dir`` if needed; a one-line error if it is not a writable folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{out_dir}: cannot create output directory: {exc.strerror}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(f"{out_dir}: output directory is not writable")
