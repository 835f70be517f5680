"""Writing generated files: atomically, and only when the content changed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from isrgen.diagnostics import UsageError
from isrgen.output.fileguard import holds


def write_if_changed(path: Path, content: str) -> bool:
    """Write ``content`` to ``path`` atomically; leave the file (and its mtime) alone
    when it already holds exactly that.  Returns whether the file was written."""
    data = content.encode("utf-8", "surrogateescape")  # a path in a depfile need not be UTF-8
    if holds(path, data, "generated file"):
        return False
    fd = -1
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
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
